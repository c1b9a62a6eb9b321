package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// needTool returns the path of a poppler tool, skipping the test when it is
// missing, except under CI=true where a missing tool is a failure.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (install poppler-utils: .ci/install-deps test): %v", name, err)
		}
		t.Skipf("%s not found: install poppler-utils (.ci/install-deps test) to check the PDF as images", name)
	}
	return p
}

// checkPDF converts a PDF to PNG pages with pdftoppm and checks them: the
// page count, that page 1 is not blank, and that the chart area holds many
// distinct colours.
func checkPDF(t *testing.T, pdf []byte, minPages int) {
	t.Helper()
	tool := needTool(t, "pdftoppm")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	const dpi = 60
	out, err := exec.Command(tool, "-r", fmt.Sprint(dpi), "-png", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if len(pages) < minPages {
		t.Fatalf("pdftoppm made %d pages, want at least %d", len(pages), minPages)
	}
	f, err := os.Open(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
		}
	}
	if frac := float64(ink) / float64(b.Dx()*b.Dy()); frac < 0.02 {
		t.Errorf("page 1 is nearly blank: %.3f of pixels inked", frac)
	}
	mm := func(v float64) int { return int(v / 25.4 * dpi) }
	chart := image.Rect(mm(ChartX), mm(ChartY), mm(ChartX+ChartW), mm(ChartY+ChartH))
	if n := distinctColours(img, chart); n < 40 {
		t.Errorf("chart area %v has %d distinct colours, want ≥ 40", chart, n)
	}
}

func distinctColours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c0, c1, c2, _ := img.At(x, y).RGBA()
			seen[[3]uint32{c0 >> 8, c1 >> 8, c2 >> 8}] = true
		}
	}
	return len(seen)
}

func TestReportPDF(t *testing.T) {
	c := loadCase(t, "../../testdata/cases/report-summary.case")
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePDF(&buf, c, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	checkPDF(t, buf.Bytes(), 2)
	text := pdfText(t, buf.Bytes())
	for _, want := range []string{s.Label, "Nadir DO2i", "270 mL/min/m", "Blood gases", "Phenylephrine 100 mcg", "no ACT on bypass"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

// pdfText extracts a PDF's text with pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestReportHTML(t *testing.T) {
	c := loadCase(t, "../../testdata/cases/report-summary.case")
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, c, s); err != nil {
		t.Fatal(err)
	}
	CheckHTMLReport(t, buf.Bytes())
}

// CheckHTMLReport parses a report page and checks its sections and chart.
func CheckHTMLReport(t *testing.T, page []byte) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var chart string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" {
					ids[a.Val] = true
				}
				if n.Data == "img" && a.Key == "src" {
					chart = a.Val
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, id := range []string{"header", "chart", "summary", "missing", "blood-gases", "log"} {
		if !ids[id] {
			t.Errorf("no section %q", id)
		}
	}
	data, ok := strings.CutPrefix(chart, "data:image/png;base64,")
	if !ok {
		t.Fatalf("chart is not an embedded PNG: %.40q", chart)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if n := distinctColours(img, img.Bounds()); n < 40 {
		t.Errorf("chart has %d distinct colours", n)
	}
}

// TestNoIdentifierInOutputs: without Identify no output holds the patient's
// name, hospital number or case tag; with it, they are there (so the check
// can fail).
func TestNoIdentifierInOutputs(t *testing.T) {
	c := loadCase(t, "../../testdata/cases/report-summary.case")
	secrets := []string{"Jane Doe", "H1234567", "C-2026-0301-R"}
	for _, identify := range []bool{false, true} {
		s, err := Summarize(c, DefaultSettings(), Privacy{Identify: identify, Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		var p, h, v bytes.Buffer
		if err := WritePDF(&p, c, s); err != nil {
			t.Fatal(err)
		}
		if err := WriteHTML(&h, c, s); err != nil {
			t.Fatal(err)
		}
		if err := WriteSummaryCSV(&v, s); err != nil {
			t.Fatal(err)
		}
		outs := map[string]string{"pdf text": pdfText(t, p.Bytes()), "pdf bytes": p.String(), "html": h.String(), "csv": v.String()}
		for name, out := range outs {
			for _, id := range secrets {
				has := strings.Contains(strings.ToLower(out), strings.ToLower(id))
				if !identify && has {
					t.Errorf("%s holds %q without --identify", name, id)
				}
				if identify && !has && name != "pdf bytes" {
					t.Errorf("%s lacks %q with --identify", name, id)
				}
			}
		}
	}
}

func BenchmarkReport12h(b *testing.B) {
	path := syntheticCaseFile(b, b.TempDir(), "C-BENCH-12H", 12, 1)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	start := time.Now()
	var baseline time.Duration
	for b.Loop() {
		t0 := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		c, err := Load(f, nil)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
		if err != nil {
			b.Fatal(err)
		}
		baseline += time.Since(t0) // load + summary alone: the baseline
		var buf bytes.Buffer
		if err := WritePDF(&buf, c, s); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(per, "s/report")
	b.ReportMetric(baseline.Seconds()/float64(b.N), "s/load+summary")
	if per > 5 {
		b.Errorf("a 12-hour report took %.2f s, want < 5 s", per)
	}
}

// The PDF has no wall clock or randomness in it: the same case gives the
// same bytes.
func TestReportPDFReproducible(t *testing.T) {
	c := loadCase(t, "../../testdata/cases/report-summary.case")
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := WritePDF(&a, c, s); err != nil {
		t.Fatal(err)
	}
	if err := WritePDF(&b, c, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renders of the same case differ")
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/report"
)

const reportCase = casesData + "report-summary.case"

// The identifiers and case tag of report-summary.case.
var reportIdentifiers = []string{"Jane Doe", "H1234567", "C-2026-0301-R"}

func withSecret(t *testing.T) {
	t.Setenv(siteSecretEnv, "a-site-secret-of-enough-length")
}

// poppler returns the path of a poppler-utils tool; missing, it skips the
// test, except under CI=true where it fails.
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found under CI=true: install poppler-utils (.ci/install-deps test): %v", name, err)
		}
		t.Skipf("%s not found: install poppler-utils (.ci/install-deps test) to check the PDF as images", name)
	}
	return p
}

func TestReportPDFCommand(t *testing.T) {
	withSecret(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "case.pdf")
	code, stdout, errs := run("report", reportCase, "--out", out)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, stdout)
	assert.Empty(t, errs)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "owner-only, like the case file")

	tool := poppler(t, "pdftoppm")
	b, err := exec.Command(tool, "-r", "60", "-png", out, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, string(b))
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	require.GreaterOrEqual(t, len(pages), 2, "pages")
	img := decodePNG(t, pages[0])
	bb := img.Bounds()
	assert.Greater(t, inked(img, bb), bb.Dx()*bb.Dy()/50, "page 1 is not blank")
	// The chart sits at 10–200 mm × 52–202 mm of page 1 (report.ChartX...).
	mm := func(v float64) int { return int(v / 25.4 * 60) }
	chart := image.Rect(mm(10), mm(52), mm(200), mm(202))
	assert.GreaterOrEqual(t, colours(img, chart), 40, "distinct colours in the chart area")
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

func inked(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				n++
			}
		}
	}
	return n
}

func colours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen)
}

// htmlSections parses a page and returns the ids of its elements.
func htmlSections(t *testing.T, page string) map[string]bool {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	ids := map[string]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			if a.Key == "id" {
				ids[a.Val] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return ids
}

func TestReportHTMLCommand(t *testing.T) {
	withSecret(t)
	code, out, errs := run("report", reportCase, "--format", "html")
	require.Equal(t, 0, code, errs)
	ids := htmlSections(t, out)
	for _, id := range []string{"header", "chart", "summary", "missing", "blood-gases", "log"} {
		assert.True(t, ids[id], "section %s", id)
	}
	for _, want := range []string{"0:50:00 (50.0 min)", "270 mL/min/m² at 08:33:20", "no ACT on bypass", "data:image/png;base64,"} {
		assert.Contains(t, out, want)
	}
	// --out with .html picks the format.
	p := filepath.Join(t.TempDir(), "case.html")
	code, _, errs = run("report", "--out", p, reportCase)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.True(t, htmlSections(t, string(b))["summary"])
}

// First use with no site secret: one is created under the user's config
// directory (owner-only, 32 random bytes as hex), said once on stderr, and
// used from then on; PUMPSIDE_SITE_SECRET and --secret-file still win.
func TestReportFirstUseCreatesSecret(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv(siteSecretEnv, "")
	pseudonym := regexp.MustCompile(`P-[0-9a-f]{16}`)
	code, out, errs := run("report", reportCase, "--format", "html")
	require.Equal(t, 0, code, errs)
	path := filepath.Join(cfg, "pumpside", "site-secret")
	assert.Contains(t, errs, "created the site secret "+path)
	assert.Contains(t, errs, "Every machine of a site must use this one file")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}\n$`, string(b))
	first := pseudonym.FindString(out)
	require.NotEmpty(t, first)

	code, out, errs = run("report", reportCase, "--format", "html")
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, errs, "site secret", "said once, when created")
	assert.Equal(t, first, pseudonym.FindString(out), "the same secret: the same pseudonym")

	t.Setenv(siteSecretEnv, "a-site-secret-of-enough-length")
	code, out, errs = run("report", reportCase, "--format", "html")
	require.Equal(t, 0, code, errs)
	assert.NotEqual(t, first, pseudonym.FindString(out), "the environment wins")
	t.Setenv(siteSecretEnv, "")

	sf := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(sf, []byte("short\n"), 0o600))
	code, _, errs = run("report", reportCase, "--format", "html", "--secret-file", sf)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "shorter than 16 bytes")
	require.NoError(t, os.WriteFile(sf, []byte("a-site-secret-from-a-file\n"), 0o600))
	code, out, errs = run("report", reportCase, "--format", "html", "--secret-file", sf)
	assert.Equal(t, 0, code, errs)
	assert.NotEqual(t, first, pseudonym.FindString(out), "--secret-file wins")

	code, out, errs = run("report", reportCase, "--format", "html", "--identify")
	require.Equal(t, 0, code, errs)
	for _, id := range reportIdentifiers {
		assert.Contains(t, out, id, "--identify shows identifiers")
	}
}

// A secret that can be neither read nor created: a clear refusal naming the
// ways out, nothing written.
func TestReportSecretUnavailable(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(cfg, nil, 0o600))
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv(siteSecretEnv, "")
	code, out, errs := run("report", reportCase, "--format", "html")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, siteSecretEnv)
	assert.Contains(t, errs, "--identify")
}

// Without --identify, no output of report, audit or the summary CSV holds
// the patient's name, hospital number or case tag, stderr included.
func TestReportAuditPrivacy(t *testing.T) {
	withSecret(t)
	dir := t.TempDir()
	b, err := os.ReadFile(reportCase)
	require.NoError(t, err)
	cases := filepath.Join(dir, "cases")
	require.NoError(t, os.Mkdir(cases, 0o700))
	// A bad line holding the name: its message must not echo it.
	bad := append(bytes.Clone(b), []byte("note for Jane Doe H1234567 without a timestamp\n")...)
	require.NoError(t, os.WriteFile(filepath.Join(cases, "a.case"), bad, 0o600))

	outputs := map[string]string{}
	code, out, errs := run("report", filepath.Join(cases, "a.case"), "--format", "html")
	require.Equal(t, 0, code, errs)
	outputs["report html"], outputs["report stderr"] = out, errs
	pdf := filepath.Join(dir, "a.pdf")
	code, _, errs = run("report", filepath.Join(cases, "a.case"), "--out", pdf)
	require.Equal(t, 0, code, errs)
	pb, err := os.ReadFile(pdf)
	require.NoError(t, err)
	outputs["report pdf"] = string(pb)
	for _, f := range []string{"html", "csv"} {
		code, out, errs = run("audit", cases, "--format", f)
		require.Equal(t, 0, code, errs)
		outputs["audit "+f], outputs["audit stderr "+f] = out, errs
	}
	if tool, err := exec.LookPath("pdftotext"); err == nil {
		txt, err := exec.Command(tool, "-enc", "UTF-8", pdf, "-").Output()
		require.NoError(t, err)
		outputs["report pdf text"] = string(txt)
		assert.Contains(t, string(txt), "Case (pseudonym)", "pdftotext reads the PDF")
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("pdftotext not found under CI=true: %v", err)
	}
	for name, o := range outputs {
		for _, id := range reportIdentifiers {
			assert.NotContains(t, strings.ToLower(o), strings.ToLower(id), "%s without --identify", name)
		}
	}
}

// Bad lines: each on stderr with its line number, the rest used. Empty,
// missing or all-bad files: exit 2 with a clear message.
func TestReportBadInput(t *testing.T) {
	withSecret(t)
	dir := t.TempDir()
	b, err := os.ReadFile(reportCase)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	n := len(lines)
	var withBad strings.Builder
	for i, l := range lines {
		withBad.WriteString(l)
		if i == 10 {
			withBad.WriteString("this is not line protocol\n")
		}
	}
	withBad.WriteString("pump,case=C,source=x flow=4.5\n")
	p := filepath.Join(dir, "bad.case")
	require.NoError(t, os.WriteFile(p, []byte(withBad.String()), 0o600))
	code, out, errs := run("report", p, "--format", "html")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, p+":12: ")
	assert.Contains(t, errs, fmt.Sprintf("%s:%d: ", p, n+1))
	assert.Contains(t, errs, "2 bad lines skipped")
	assert.Contains(t, out, "0:50:00 (50.0 min)", "the rest of the file is used")

	empty := filepath.Join(dir, "empty.case")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	garbage := filepath.Join(dir, "garbage.case")
	require.NoError(t, os.WriteFile(garbage, []byte("# comment\nnot a case\n"), 0o600))
	for _, tc := range []struct{ path, msg string }{
		{empty, "empty file"},
		{filepath.Join(dir, "missing.case"), "no such file"},
		{garbage, "not a case file"},
		{dir, "is a directory"},
	} {
		code, out, errs := run("report", tc.path, "--format", "html")
		assert.Equal(t, 2, code, tc.path)
		assert.Empty(t, out)
		assert.Contains(t, errs, tc.msg)
	}
	code, _, errs = run("report", reportCase, "--format", "docx")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "unknown --format")
}

// The hook the export command calls for --format summary-csv.
func TestReportSummaryCSVHook(t *testing.T) {
	withSecret(t)
	fl := newFlagSet("export", "", "", io.Discard, io.Discard)
	pf := addPrivacyFlags(fl)
	require.NoError(t, fl.Parse([]string{"--map-low", "46"}))
	var out, errs bytes.Buffer
	require.Equal(t, 0, writeCaseSummaryCSV("export", reportCase, pf, &out, &errs), errs.String())
	rows, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	row := map[string]string{}
	for i, k := range rows[0] {
		row[k] = rows[1][i]
	}
	assert.Equal(t, "50.00", row["bypass_min"])
	// MAP 45, 45 then 48 from 1000 s: below 46 for 8 s.
	assert.Equal(t, "0.13", row["map_below_min"])
	assert.True(t, strings.HasPrefix(row["case"], "P-"), row["case"])
	assert.Empty(t, row["ident_name"])
	for _, id := range reportIdentifiers {
		assert.NotContains(t, out.String(), id)
	}
	var empty bytes.Buffer
	assert.Equal(t, 2, writeCaseSummaryCSV("export", filepath.Join(t.TempDir(), "none.case"), pf, &empty, &errs))
}

// TestExportSummaryCSV: pumpside export --format summary-csv is the same
// summary row, through the command line.
func TestExportSummaryCSV(t *testing.T) {
	withSecret(t)
	code, out, errs := run("export", reportCase, "--format", "summary-csv")
	require.Equal(t, 0, code, errs)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "case", rows[0][0])
	assert.True(t, strings.HasPrefix(rows[1][0], "P-"), rows[1][0])
	for _, id := range reportIdentifiers {
		assert.NotContains(t, out, id)
	}
	code, _, _ = run("export", reportCase, "--format", "pdf")
	assert.Equal(t, 2, code)
}

// TestReportDerivesMissingValues: a case file without derived lines (here
// pumpside sim --out; any tool writing the format may do the same) gets its
// derived values computed from its samples, as replay computes them, so the
// summary has its DO2i figures. The values are exactly those of the
// headless replay's derived CSV, second by second.
func TestReportDerivesMissingValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.case")
	code, _, errs := run("sim", "--seed", "3", "--duration", "90m", "--out", path)
	require.Equal(t, 0, code, errs)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), "\nderived,", "the simulator writes no derived lines")

	var stderr bytes.Buffer
	c, ok := loadCaseFile("report", path, &stderr)
	require.True(t, ok, stderr.String())
	assert.Contains(t, stderr.String(), "has no derived values: computed from its samples")
	do2i := c.Series["derived.do2i"]
	require.NotEmpty(t, do2i)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rc, err := replay.Load(f, nil)
	require.NoError(t, err)
	var csvOut bytes.Buffer
	_, err = headlessReplay(t.Context(), rc, qc.DefaultTolerances(), &csvOut, io.Discard)
	require.NoError(t, err)
	rows, err := csv.NewReader(&csvOut).ReadAll()
	require.NoError(t, err)
	col := slices.Index(rows[0], "derived.do2i")
	require.Positive(t, col)
	require.Len(t, do2i, len(rows)-1)
	ok = false
	for i, row := range rows[1:] {
		want := row[col]
		got := ""
		if !math.IsNaN(do2i[i].V) {
			got = strconv.FormatFloat(do2i[i].V, 'g', -1, 64)
			ok = true
		}
		require.Equal(t, want, got, "second %d (%s)", i, row[0])
	}
	require.True(t, ok, "the routine case has DO2i values")

	s, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Identify: true})
	require.NoError(t, err)
	assert.False(t, math.IsNaN(s.NadirDO2i.Value), "the summary has its nadir DO2i")

	// A recorded case keeps its own derived lines: nothing is recomputed.
	stderr.Reset()
	_, ok = loadCaseFile("report", reportCase, &stderr)
	require.True(t, ok)
	assert.NotContains(t, stderr.String(), "no derived values")
}

// Issue 22: the report of a case written by `pumpside sim --out` (no alarm
// lines, as any file another tool wrote) lists the alarm activations its
// replay raises, says they were computed, and never states a dose that was
// not entered.
func TestReportOfSimCaseCountsItsReplayAlarms(t *testing.T) {
	withSecret(t)
	path := filepath.Join(t.TempDir(), "sim.case")
	code, _, errs := run("sim", "--seed", "3", "--duration", "2h", "--out", path)
	require.Equal(t, 0, code, errs)
	// Another tool's drug line without a dose (the simulator's carry
	// theirs), at 09:45.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("event,case=sim-routine-cabg-3,kind=drug text=\"protamine\",name=\"protamine\" 1767606300000000000\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	alarmsOut := filepath.Join(t.TempDir(), "a.jsonl")
	code, _, errs = run("replay", path, "--headless", "--alarms-out", alarmsOut)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(alarmsOut)
	require.NoError(t, err)
	want := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var tr struct{ Priority, State string }
		require.NoError(t, json.Unmarshal([]byte(l), &tr))
		if tr.State == "active" {
			want[tr.Priority]++
		}
	}
	require.NotEmpty(t, want, "the routine case raises alarms when replayed")

	code, out, errs := run("export", path, "--format", "summary-csv")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "has no alarm log: alarms computed from its samples")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	for _, p := range []string{"high", "medium", "low"} {
		assert.Equal(t, strconv.Itoa(want[p]), rows[1][slices.Index(rows[0], "alarms_"+p)], p)
	}

	code, out, errs = run("report", path, "--format", "html")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, fmt.Sprintf("high %d, medium %d, low %d (computed from the samples", want["high"], want["medium"], want["low"]))
	assert.Contains(t, out, "protamine")
	assert.Contains(t, out, "1 entry with no dose recorded")
	assert.NotContains(t, out, "0.0 total")
	assert.Contains(t, out, "drug protamine at 09:45:00: no dose recorded", "a missing record item")
}

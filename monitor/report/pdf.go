package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
	"gonum.org/v1/plot/vg"
)

// The chart's place on the first page of the PDF, mm (A4 portrait). Tests
// look for it there.
const (
	ChartX, ChartY, ChartW, ChartH = 10.0, 52.0, 190.0, 150.0
	chartDPI                       = 150
)

// WritePDF writes the case report as a PDF: header, timeline chart,
// observation grid, summary, case set-up, missing items, blood gases, event
// and drug log, every time in the summary's zone (the footer names it). c supplies only
// the trends of the chart; everything written as text comes from s.
func WritePDF(w io.Writer, c *Case, s *CaseSummary) error {
	png, err := TimelinePNG(c, s.Settings, s.DO2iThreshold, vg.Millimeter*vg.Length(ChartW), vg.Millimeter*vg.Length(ChartH), chartDPI)
	if err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(s.End) // reproducible: no wall clock in the file
	pdf.SetModificationDate(s.End)
	pdf.SetCatalogSort(true) // resources in a fixed order: same case, same bytes
	pdf.SetTitle("Pumpside perfusion record "+s.Label, true)
	pdf.SetCreator("Pumpside", true)
	pdf.SetMargins(10, 10, 10)
	pdf.SetAutoPageBreak(true, 12)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to cp1252 for the core fonts
	txt := func(s string) string { return tr(pdfSafe.Replace(s)) }
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont("Helvetica", "", 7)
		state := "UNSIGNED"
		if s.SignOff.Signed() {
			state = "signed off by " + s.SignOff.Name
		}
		pdf.CellFormat(0, 4, txt(fmt.Sprintf("Pumpside perfusion record · %s · %s · times %s · page %d", s.Label, state, s.Settings.loc().String(), pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(0, 8, txt("Perfusion record"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 8)
	hdr := s.Header()
	for i := 0; i < len(hdr); i += 2 {
		for j := i; j < min(i+2, len(hdr)); j++ {
			pdf.SetFont("Helvetica", "B", 8)
			pdf.CellFormat(32, 4.5, txt(hdr[j][0]), "", 0, "L", false, 0, "")
			pdf.SetFont("Helvetica", "", 8)
			pdf.CellFormat(63, 4.5, txt(hdr[j][1]), "", 0, "L", false, 0, "")
		}
		pdf.Ln(4.5)
	}
	pdf.RegisterImageOptionsReader("timeline", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	pdf.ImageOptions("timeline", ChartX, ChartY, ChartW, ChartH, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetY(ChartY + ChartH + 1)
	pdf.SetFont("Helvetica", "I", 7)
	pdf.MultiCell(0, 3.5, txt("Grey dashed lines: events (bypass, clamp, arrest, cardioplegia, drugs, blood products). Red lines: alarm activations. Gaps: no usable, fresh value. Times: "+s.ZoneText()+"."), "", "L", false)
	writeQualityPDF(pdf, txt, c, s)

	section := func(title string) {
		pdf.Ln(2)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.CellFormat(0, 7, txt(title), "B", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 8)
	}
	pdf.AddPage()
	section("Observations")
	pdf.SetFont("Helvetica", "I", 7)
	pdf.MultiCell(0, 3.5, txt(s.GridTitle()+": each value is the channel's last usable value at that minute, if still fresh; empty: none."), "", "L", false)
	blocks := s.gridBlocks()
	if len(blocks) == 0 {
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 4.5, "none: no time on bypass", "", 1, "L", false, 0, "")
	}
	for _, b := range blocks {
		pdf.Ln(1)
		pdf.SetFont("Helvetica", "B", 6.5)
		pdf.CellFormat(30, 4, "", "1", 0, "L", false, 0, "")
		pdf.CellFormat(14, 4, "unit", "1", 0, "C", false, 0, "")
		for _, t := range b.Times {
			pdf.CellFormat(12, 4, t, "1", 0, "C", false, 0, "")
		}
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 6.5)
		for _, row := range b.Rows {
			pdf.CellFormat(30, 3.6, txt(row[0]), "1", 0, "L", false, 0, "")
			pdf.CellFormat(14, 3.6, txt(row[1]), "1", 0, "C", false, 0, "")
			for _, v := range row[2:] {
				pdf.CellFormat(12, 3.6, txt(v), "1", 0, "R", false, 0, "")
			}
			pdf.Ln(3.6)
		}
	}
	section("Summary")
	for _, r := range s.Rows() {
		pdf.CellFormat(80, 4.5, txt(r[0]), "", 0, "L", false, 0, "")
		pdf.MultiCell(0, 4.5, txt(r[1]), "", "L", false)
	}
	section("Case set-up")
	for _, r := range s.SetupRows() {
		pdf.CellFormat(80, 4.5, txt(r[0]), "", 0, "L", false, 0, "")
		pdf.MultiCell(0, 4.5, txt(r[1]), "", "L", false)
	}
	pdf.Ln(1)
	pdf.SetFont("Helvetica", "B", 7)
	widths := []float64{32, 50, 22, 46, 40}
	for i, c := range DisposableColumns {
		pdf.CellFormat(widths[i], 4, txt(c), "1", 0, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 7)
	for _, row := range s.DisposableRows() {
		for i, v := range row {
			pdf.CellFormat(widths[i], 4, txt(v), "1", 0, "L", false, 0, "")
		}
		pdf.Ln(4)
	}
	if len(s.Disposables) == 0 {
		pdf.CellFormat(0, 4, "no disposables recorded", "", 1, "L", false, 0, "")
	}
	pdf.SetFont("Helvetica", "", 8)
	section("Missing record items")
	if len(s.Missing) == 0 {
		pdf.CellFormat(0, 4.5, "none", "", 1, "L", false, 0, "")
	}
	for _, m := range s.Missing {
		pdf.MultiCell(0, 4.5, txt("• "+m), "", "L", false)
	}
	section("Blood gases")
	pdf.SetFont("Helvetica", "B", 6.5)
	pdf.CellFormat(16, 4, "time", "LTR", 0, "C", false, 0, "")
	pdf.CellFormat(9, 4, "", "LTR", 0, "C", false, 0, "")
	for _, g := range gasColumns {
		pdf.CellFormat(12.7, 4, txt(g.label), "LTR", 0, "C", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 6)
	pdf.CellFormat(16, 3, txt(s.Start.In(s.Settings.loc()).Format("MST")), "LBR", 0, "C", false, 0, "")
	pdf.CellFormat(9, 3, "", "LBR", 0, "C", false, 0, "")
	for i := range gasColumns {
		pdf.CellFormat(12.7, 3, txt(s.gasUnit(i)), "LBR", 0, "C", false, 0, "")
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "", 7)
	for _, g := range s.BloodGases {
		pdf.CellFormat(16, 4, s.hms(g.Time), "1", 0, "C", false, 0, "")
		pdf.CellFormat(9, 4, g.Sample, "1", 0, "C", false, 0, "")
		for _, col := range gasColumns {
			pdf.CellFormat(12.7, 4, txt(s.gasCell(g, col.key)), "1", 0, "C", false, 0, "")
		}
		pdf.Ln(4)
	}
	if len(s.BloodGases) == 0 {
		pdf.CellFormat(0, 4.5, "none recorded", "", 1, "L", false, 0, "")
	}
	section("In-line monitor checks")
	pdf.SetFont("Helvetica", "", 8)
	pdf.CellFormat(0, 4.5, txt(s.InlineCheckText()), "", 1, "L", false, 0, "")
	if len(s.InlineChecks) > 0 {
		widths := []float64{15, 15, 17, 13, 15, 15, 17, 17, 14, 52}
		pdf.SetFont("Helvetica", "B", 7)
		for i, h := range InlineCheckColumns {
			pdf.CellFormat(widths[i], 4, txt(h), "1", 0, "C", false, 0, "")
		}
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 7)
		for _, r := range s.InlineChecks {
			for i, cell := range s.InlineCheckCells(r) {
				pdf.CellFormat(widths[i], 4, txt(cell), "1", 0, "C", false, 0, "")
			}
			pdf.Ln(4)
		}
	}
	section("Event and drug log")
	for _, l := range s.Log {
		pdf.CellFormat(16, 4, s.hms(l.Time), "", 0, "L", false, 0, "")
		pdf.CellFormat(26, 4, txt(l.Kind), "", 0, "L", false, 0, "")
		who := ""
		if l.Who != "" {
			who = " [" + l.Who + "]"
		}
		pdf.MultiCell(0, 4, txt(l.Text+who), "", "L", false)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	return nil
}

// pdfSafe maps characters the PDF core fonts (cp1252) lack.
var pdfSafe = strings.NewReplacer("≥", ">=", "≤", "<=", "−", "-", "⁻", "-", "⁵", "5")

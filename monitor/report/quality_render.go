package report

import (
	"fmt"

	"github.com/go-pdf/fpdf"
)

// writeQualityPDF draws the quality indicators under the chart of the
// report's first page: status, indicator and what was measured, one line
// each. A status is "pass", "FAIL" or "no data", never a colour alone.
func writeQualityPDF(pdf *fpdf.Fpdf, txt func(string) string, c *Case, s *CaseSummary) {
	res := EvaluateQuality(c, s, nil)
	pdf.Ln(1.5)
	pdf.SetFont("Helvetica", "B", 9)
	title := fmt.Sprintf("Quality indicators on bypass: %d of %d failed", QualityFailures(res), len(res))
	pdf.CellFormat(0, 5, txt(title), "B", 1, "L", false, 0, "")
	for _, r := range res {
		status := "pass"
		switch {
		case !r.Evaluated:
			status = "no data"
			pdf.SetTextColor(0x60, 0x60, 0x60)
		case r.Pass:
			pdf.SetTextColor(0x1b, 0x6e, 0x1b)
		default:
			status = "FAIL"
			pdf.SetTextColor(0xb0, 0x10, 0x10)
		}
		pdf.SetFont("Helvetica", "B", 7.5)
		pdf.CellFormat(14, 4, status, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont("Helvetica", "", 7.5)
		pdf.CellFormat(62, 4, txt(r.Indicator.Name), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, txt(r.Text), "", 1, "L", false, 0, "")
	}
}

// qualityRows are the indicators as the HTML report lists them: status,
// indicator, measured, source.
func qualityRows(c *Case, s *CaseSummary) [][4]string {
	var rows [][4]string
	for _, r := range EvaluateQuality(c, s, nil) {
		rows = append(rows, [4]string{r.Status(), r.Indicator.Name, r.Text, r.Indicator.Source})
	}
	return rows
}

package report

import (
	"bytes"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
	"strings"
	"testing"
)

// TestQualityOnFirstPage: the PDF's first page (the text before the first
// form feed pdftotext writes between pages) lists every indicator with its
// status, and the HTML page has them in their section.
func TestQualityOnFirstPage(t *testing.T) {
	c := loadString(t, reporttest.QualityCase())
	set := DefaultSettings()
	s, err := Summarize(c, set, Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	var pdf bytes.Buffer
	if err := WritePDF(&pdf, c, s); err != nil {
		t.Fatal(err)
	}
	page1, _, _ := strings.Cut(pdfText(t, pdf.Bytes()), "\f")
	for _, want := range []string{
		"Quality indicators on bypass: 6 of 7 failed",
		"MAP < 40 mmHg for more than 5 min", "6.0 min longest stretch from 08:20:00",
		"SvO2 < 60 % for more than 5 min", "Nadir Hct < 21 %", "nadir 20.5 % at 09:00:00",
		"Glucose > 10 mmol/L", "Arterial outlet > 37 °C", "Cardioplegia re-dose overdue",
	} {
		if !strings.Contains(page1, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if n := strings.Count(page1, "FAIL"); n != 6 {
		t.Errorf("page 1 has %d FAIL, want 6", n)
	}
	if n := strings.Count(page1, "pass"); n < 1 {
		t.Errorf("page 1 has %d pass, want 1", n)
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, c, s); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if !strings.Contains(h, `<section id="quality">`) || strings.Count(h, "<td>fail</td>") != 6 || strings.Count(h, "<td>pass</td>") != 1 {
		t.Errorf("HTML quality section wrong")
	}
	// A site's own set replaces the defaults.
	set.Quality = []Indicator{DefaultIndicators()[5]}
	s2, _ := Summarize(c, set, Privacy{Secret: []byte(testSecret)})
	pdf.Reset()
	if err := WritePDF(&pdf, c, s2); err != nil {
		t.Fatal(err)
	}
	page1, _, _ = strings.Cut(pdfText(t, pdf.Bytes()), "\f")
	if !strings.Contains(page1, "1 of 1 failed") || strings.Contains(page1, "Nadir Hct") {
		t.Errorf("site set not used: %s", page1)
	}
}

package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// The techniques a casebook counts.
const (
	TechDHCA              = "DHCA"
	TechCirculatoryArrest = "circulatory arrest"
	TechACP               = "ACP"
	TechRCP               = "RCP"
	TechECMO              = "ECMO"
	TechHaemofiltration   = "haemofiltration"
	TechCellSalvage       = "cell salvage"
)

// DeepHypothermia is the highest lowest core temperature (°C) at which a
// circulatory arrest counts as deep hypothermic (DHCA): deep hypothermia
// is 14.1-20 °C and profound 14 °C or less in the consensus of Yan et
// al. 2013 (Ann Cardiothorac Surg); above it the arrest is listed as
// "circulatory arrest".
const DeepHypothermia = 20.0

// Techniques lists the techniques a case used, as its summary shows them:
// a circulatory arrest (DHCA when the lowest core temperature was at or
// below DeepHypothermia), antegrade or retrograde cerebral perfusion (the
// case timeline's ACP and RCP phases, CaseSummary.ACP and RCP), ECMO (the
// procedure names ECMO or ECLS, or an ecmo_start event), haemofiltration
// and cell salvage (a volume recorded).
func Techniques(c *Case, s *CaseSummary) []string {
	var out []string
	if s.Arrest > 0 {
		if s.LowestTemp.Valid() && s.LowestTemp.Value <= DeepHypothermia {
			out = append(out, TechDHCA)
		} else {
			out = append(out, TechCirculatoryArrest)
		}
	}
	has := map[string]bool{TechACP: s.ACP > 0, TechRCP: s.RCP > 0}
	for _, e := range c.Events {
		if e.Kind == "ecmo_start" {
			has[TechECMO] = true
		}
	}
	p := strings.ToUpper(s.Procedure)
	if strings.Contains(p, "ECMO") || strings.Contains(p, "ECLS") {
		has[TechECMO] = true
	}
	for _, t := range []string{TechACP, TechRCP, TechECMO} {
		if has[t] {
			out = append(out, t)
		}
	}
	if s.Haemofiltration.Count > 0 {
		out = append(out, TechHaemofiltration)
	}
	if s.CellSalvage.Count > 0 {
		out = append(out, TechCellSalvage)
	}
	return out
}

// CasebookEntry is one case of a trainee's casebook.
type CasebookEntry struct {
	// Case is the case's label (its pseudonym unless identified).
	Case      string
	Date      time.Time
	Procedure string
	// Role is primary, supervised, assisting or supervising;
	// Supervisor who supervised (empty: none recorded).
	Role, Supervisor           string
	Bypass, CrossClamp, Arrest time.Duration
	Techniques                 []string
}

// Casebook is the cases one person took part in.
type Casebook struct {
	Name     string
	From, To time.Time // the period asked for; zero: open
	Entries  []CasebookEntry
}

// CasebookEntryFor returns the case's entry for the person named name,
// and false when they are not on its perfusion team (its team entry,
// CaseSummary.Team).
func CasebookEntryFor(c *Case, s *CaseSummary, name string) (CasebookEntry, bool) {
	role, sup, ok := s.Team.Role(name)
	if !ok {
		return CasebookEntry{}, false
	}
	return CasebookEntry{Case: s.Label, Date: s.Start.In(s.Settings.loc()), Procedure: s.Procedure, Role: role, Supervisor: sup,
		Bypass: s.Bypass, CrossClamp: s.CrossClamp, Arrest: s.Arrest, Techniques: Techniques(c, s)}, true
}

// Sort puts the entries in date order.
func (cb *Casebook) Sort() {
	slices.SortStableFunc(cb.Entries, func(a, b CasebookEntry) int { return a.Date.Compare(b.Date) })
}

// ByRole and ByTechnique are the totals.
func (cb *Casebook) ByRole() map[string]int {
	m := map[string]int{}
	for _, e := range cb.Entries {
		m[e.Role]++
	}
	return m
}

// ByTechnique counts the cases that used each technique.
func (cb *Casebook) ByTechnique() map[string]int {
	m := map[string]int{}
	for _, e := range cb.Entries {
		for _, t := range e.Techniques {
			m[t]++
		}
	}
	return m
}

// CasebookColumns are the CSV's columns.
var CasebookColumns = []string{"no", "date", "case", "procedure", "role", "supervisor", "bypass_min", "cross_clamp_min", "arrest_min", "techniques"}

// WriteCasebookCSV writes one row per case (dates UTC, durations in
// minutes, techniques separated by "; ").
func WriteCasebookCSV(w io.Writer, cb *Casebook) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CasebookColumns); err != nil {
		return fmt.Errorf("report: casebook: %w", err)
	}
	for i, e := range cb.Entries {
		if err := cw.Write([]string{strconv.Itoa(i + 1), e.Date.Format(time.DateOnly), e.Case, e.Procedure, e.Role, e.Supervisor,
			mins(e.Bypass), mins(e.CrossClamp), mins(e.Arrest), strings.Join(e.Techniques, "; ")}); err != nil {
			return fmt.Errorf("report: casebook: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: casebook: %w", err)
	}
	return nil
}

// WriteCasebookPDF writes the casebook in a training logbook's layout: A4
// landscape, one numbered line per case with a column for the
// supervisor's signature, the header repeated on every page, then the
// totals by role and technique and lines for the trainee's and the
// supervisor's signatures. created stamps the document (no wall clock
// inside the package).
func WriteCasebookPDF(w io.Writer, cb *Casebook, created time.Time) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetTitle("Perfusion casebook "+cb.Name, true)
	pdf.SetCreator("Pumpside", true)
	pdf.SetMargins(10, 10, 10)
	pdf.SetAutoPageBreak(true, 14)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	txt := func(s string) string { return tr(pdfSafe.Replace(s)) }
	period := "all cases"
	switch {
	case !cb.From.IsZero() && !cb.To.IsZero():
		period = cb.From.Format(time.DateOnly) + " to " + cb.To.Format(time.DateOnly)
	case !cb.From.IsZero():
		period = "from " + cb.From.Format(time.DateOnly)
	case !cb.To.IsZero():
		period = "to " + cb.To.Format(time.DateOnly)
	}
	cols := []struct {
		title string
		w     float64
		align string
	}{{"No.", 10, "R"}, {"Date", 22, "L"}, {"Case", 32, "L"}, {"Procedure", 48, "L"}, {"Role", 22, "L"},
		{"Supervisor", 34, "L"}, {"CPB min", 16, "R"}, {"XC min", 15, "R"}, {"CA min", 15, "R"}, {"Techniques", 33, "L"}, {"Supervisor's signature", 30, "L"}}
	header := func() {
		pdf.SetFont("Helvetica", "B", 7.5)
		pdf.SetFillColor(0xe8, 0xe8, 0xe8)
		for _, c := range cols {
			pdf.CellFormat(c.w, 6, txt(c.title), "1", 0, "C", true, 0, "")
		}
		pdf.Ln(6)
		pdf.SetFont("Helvetica", "", 7.5)
	}
	inTotals := false // the totals page repeats no table header
	pdf.SetHeaderFunc(func() {
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(0, 7, txt("Perfusion training logbook: casebook of "+cb.Name), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, txt(fmt.Sprintf("Period: %s · %d cases · times in minutes · dates UTC · cases by their pseudonym", period, len(cb.Entries))), "", 1, "L", false, 0, "")
		pdf.Ln(1)
		if !inTotals {
			header()
		}
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont("Helvetica", "", 7)
		pdf.CellFormat(0, 4, txt(fmt.Sprintf("Pumpside casebook · %s · page %d", cb.Name, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	dash := func(d time.Duration) string {
		if d == 0 {
			return "–"
		}
		return strconv.FormatFloat(math.Round(d.Minutes()), 'f', 0, 64)
	}
	for i, e := range cb.Entries {
		cells := []string{strconv.Itoa(i + 1), e.Date.Format(time.DateOnly), e.Case, e.Procedure, e.Role, e.Supervisor,
			dash(e.Bypass), dash(e.CrossClamp), dash(e.Arrest), strings.Join(e.Techniques, ", "), ""}
		// A row as tall as its longest cell, wrapped; a new page first when
		// it does not fit.
		lines := make([][]string, len(cols))
		h := 7.0
		for j, c := range cols {
			lines[j] = wrap(pdf, txt(cells[j]), c.w-1.5)
			h = max(h, 4*float64(len(lines[j]))+3)
		}
		_, pageH := pdf.GetPageSize()
		_, _, _, bottom := pdf.GetMargins()
		if pdf.GetY()+h > pageH-bottom {
			pdf.AddPage()
		}
		x, y := pdf.GetXY()
		for j, c := range cols {
			pdf.Rect(x, y, c.w, h, "D")
			for k, l := range lines[j] {
				pdf.SetXY(x, y+1.5+4*float64(k))
				pdf.CellFormat(c.w, 4, l, "", 0, c.align, false, 0, "")
			}
			x += c.w
		}
		pdf.SetXY(10, y+h)
	}
	if len(cb.Entries) == 0 {
		pdf.CellFormat(0, 7, txt("No case lists this person on its team in this period."), "", 1, "L", false, 0, "")
	}
	inTotals = true
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 7, "Totals", "B", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	var bypass, clamp time.Duration
	for _, e := range cb.Entries {
		bypass += e.Bypass
		clamp += e.CrossClamp
	}
	line := func(k, v string) {
		pdf.CellFormat(70, 6, txt(k), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 6, txt(v), "", 1, "L", false, 0, "")
	}
	line("Cases", strconv.Itoa(len(cb.Entries)))
	line("Bypass time", fmt.Sprintf("%.0f min", bypass.Minutes()))
	line("Cross-clamp time", fmt.Sprintf("%.0f min", clamp.Minutes()))
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(0, 6, "By role", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	roles := cb.ByRole()
	for _, r := range casebookRoles {
		line(r, strconv.Itoa(roles[r]))
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(0, 6, "By technique", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	techs := cb.ByTechnique()
	for _, t := range []string{TechDHCA, TechCirculatoryArrest, TechACP, TechRCP, TechECMO, TechHaemofiltration, TechCellSalvage} {
		line(t, strconv.Itoa(techs[t]))
	}
	for _, t := range slices.Sorted(maps.Keys(techs)) {
		if !slices.Contains([]string{TechDHCA, TechCirculatoryArrest, TechACP, TechRCP, TechECMO, TechHaemofiltration, TechCellSalvage}, t) {
			line(t, strconv.Itoa(techs[t]))
		}
	}
	pdf.Ln(10)
	for _, who := range []string{"Trainee", "Supervisor"} {
		pdf.CellFormat(0, 8, txt(who+": name ______________________   signature ______________________   date ____________"), "", 1, "L", false, 0, "")
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: casebook pdf: %w", err)
	}
	return nil
}

// wrap breaks s (already translated for the core fonts) into lines no
// wider than w mm in the current font, at spaces, and inside a word only
// when the word alone is wider. (fpdf's SplitText reads the translated
// bytes as UTF-8 and fails on characters past ASCII.)
func wrap(pdf *fpdf.Fpdf, s string, w float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if pdf.GetStringWidth(try) <= w {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for pdf.GetStringWidth(word) > w && len(word) > 1 {
			n := len(word) - 1
			for n > 1 && pdf.GetStringWidth(word[:n]) > w {
				n--
			}
			lines = append(lines, word[:n])
			word = word[n:]
		}
		line = word
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

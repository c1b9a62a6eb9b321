package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

// archCase is the hand-made known case (bypass 50 min, clamp 30 min, a
// 5-min circulatory arrest at 18 °C, 800 mL haemofiltration) with a team,
// cerebral perfusion and cell salvage added.
func archCase(t *testing.T) string {
	b, err := os.ReadFile("../../testdata/cases/report-summary.case")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + fmt.Sprintf(`event,case=C-2026-0301-R,kind=procedure text="Aortic arch replacement",procedure="Aortic arch replacement" %d
event,case=C-2026-0301-R,kind=team text="Team",perfusionist="A. Perfusionist",trainee="T. Trainee" %d
event,case=C-2026-0301-R,kind=acp_start text="ACP" %d
event,case=C-2026-0301-R,kind=acp_end text="ACP ends" %d
event,case=C-2026-0301-R,kind=cell_salvage text="Cell salvage 400 mL",volume_ml=400 %d
`, at(90).UnixNano(), at(100).UnixNano(), at(1210).UnixNano(), at(1400).UnixNano(), at(3500).UnixNano())
}

func casebookOf(t *testing.T, name string, files ...string) *Casebook {
	t.Helper()
	cb := &Casebook{Name: name}
	for _, f := range files {
		c := loadString(t, f)
		s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := CasebookEntryFor(c, s, name); ok {
			cb.Entries = append(cb.Entries, e)
		}
	}
	cb.Sort()
	return cb
}

func TestCasebook(t *testing.T) {
	cb := casebookOf(t, "t. trainee", reporttest.QualityCase(), archCase(t))
	if len(cb.Entries) != 2 {
		t.Fatalf("%d entries", len(cb.Entries))
	}
	q, a := cb.Entries[0], cb.Entries[1]
	if q.Procedure != "CABG x3" || q.Role != RoleSupervised || q.Supervisor != "S. Senior" || q.Bypass.Minutes() != 100 || q.CrossClamp.Minutes() != 75 || len(q.Techniques) != 0 {
		t.Errorf("quality case %+v", q)
	}
	if a.Procedure != "Aortic arch replacement" || a.Supervisor != "A. Perfusionist" || a.Bypass.Minutes() != 50 || a.Arrest.Minutes() != 5 ||
		strings.Join(a.Techniques, ",") != "DHCA,ACP,haemofiltration,cell salvage" {
		t.Errorf("arch case %+v", a)
	}
	if r := cb.ByRole(); r[RoleSupervised] != 2 || len(r) != 1 {
		t.Errorf("roles %v", r)
	}
	if tc := cb.ByTechnique(); tc[TechDHCA] != 1 || tc[TechACP] != 1 || tc[TechCellSalvage] != 1 || tc[TechHaemofiltration] != 1 || len(tc) != 4 {
		t.Errorf("techniques %v", tc)
	}
	// The perfusionist of the arch case is primary there; the quality
	// case's perfusionist was supervised.
	if p := casebookOf(t, "A. Perfusionist", reporttest.QualityCase(), archCase(t)); len(p.Entries) != 2 || p.Entries[0].Role != RoleSupervised || p.Entries[1].Role != RolePrimary {
		t.Errorf("perfusionist %+v", p.Entries)
	}
	if n := casebookOf(t, "Nobody", reporttest.QualityCase(), archCase(t)); len(n.Entries) != 0 {
		t.Errorf("stranger %+v", n.Entries)
	}

	var buf bytes.Buffer
	if err := WriteCasebookCSV(&buf, cb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[2], "|") != "2|2026-03-01|"+a.Case+"|Aortic arch replacement|supervised|A. Perfusionist|50.00|30.00|5.00|DHCA; ACP; haemofiltration; cell salvage" {
		t.Errorf("csv %v %v", rows, err)
	}
	buf.Reset()
	if err := WriteCasebookPDF(&buf, cb, t0); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, buf.Bytes())
	for _, want := range []string{"casebook of t. trainee", "Supervisor's signature", "Aortic arch replacement", "DHCA, ACP, haemofiltration, cell salvage",
		"By role", "supervised 2", "By technique", "DHCA 1", "Trainee: name"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if strings.Contains(text, "Jane") || strings.Contains(text, "H1234567") {
		t.Error("the casebook names the patient")
	}
}

// TestCasebookAssisting: a team entry's assistant is in the summary's team
// and the report's list of it, and assisting in their casebook, with the
// case's supervisor, in the CSV and in the PDF's totals by role.
func TestCasebookAssisting(t *testing.T) {
	withAssistant := reporttest.QualityCase() +
		fmt.Sprintf("event,case=C-2026-0301-Q,kind=team text=\"Team\",assistant=\"C. Second\" %d\n", reporttest.T0.Add(70*time.Second).UnixNano())
	c := loadString(t, withAssistant)
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	// The later entry adds the assistant; the earlier one's names stay.
	if s.Team.Assistant != "C. Second" || s.Team.Trainee != "T. Trainee" || s.Team.Perfusionist != "A. Perfusionist" {
		t.Errorf("team %+v", s.Team)
	}
	if roles := fmt.Sprint(s.Team.Roles()); !strings.Contains(roles, "[assistant C. Second]") {
		t.Errorf("team roles %s", roles)
	}
	cb := casebookOf(t, "c. second", withAssistant, archCase(t))
	if len(cb.Entries) != 1 {
		t.Fatalf("%d entries", len(cb.Entries))
	}
	if e := cb.Entries[0]; e.Role != RoleAssisting || e.Supervisor != "S. Senior" || e.Procedure != "CABG x3" {
		t.Errorf("entry %+v", e)
	}
	if r := cb.ByRole(); r[RoleAssisting] != 1 || len(r) != 1 {
		t.Errorf("roles %v", r)
	}
	var buf bytes.Buffer
	if err := WriteCasebookCSV(&buf, cb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][4] != "assisting" || rows[1][5] != "S. Senior" {
		t.Errorf("csv %v %v", rows, err)
	}
	buf.Reset()
	if err := WriteCasebookPDF(&buf, cb, t0); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfText(t, buf.Bytes())), " ")
	for _, want := range []string{"By role", "primary 0", "supervised 0", "assisting 1", "supervising 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}

// TestCasebookDateInTheatreZone: a case's date is the theatre's day: the
// quality case starts 2026-03-01 08:00 UTC, 23:00 the day before in
// Anchorage (UTC-9).
func TestCasebookDateInTheatreZone(t *testing.T) {
	loc, err := time.LoadLocation("America/Anchorage")
	if err != nil {
		t.Fatal(err)
	}
	c := loadString(t, reporttest.QualityCase())
	set := DefaultSettings()
	set.Zone = loc
	s, err := Summarize(c, set, Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := CasebookEntryFor(c, s, "T. Trainee")
	if !ok || e.Date.Format(time.DateOnly) != "2026-02-28" {
		t.Errorf("date %s (%v)", e.Date, ok)
	}
	rc := RegistryCase{Case: c, Summary: s}
	if got := fDate.Value(rc); got != "2026-02-28" {
		t.Errorf("registry operation_date %s", got)
	}
}

func TestBenchmark(t *testing.T) {
	var cases []BenchmarkCase
	priv := Privacy{Secret: []byte(testSecret)}
	for _, f := range []string{reporttest.QualityCase(), archCase(t), reporttest.QualityCase()} {
		c := loadString(t, f)
		s, _ := Summarize(c, DefaultSettings(), priv)
		cases = append(cases, BenchmarkCase{Summary: s, Quality: EvaluateQuality(c, s, nil)})
	}
	cases[2].Summary.Team.Perfusionist = "" // a case that names nobody
	inds := DefaultIndicators()
	b := NewBenchmark(cases, inds, func(n string) string { return PerfusionistLabel(priv, n) })
	if b.Department.Cases != 3 || b.Unattributed != 1 || len(b.People) != 1 || b.People[0].Cases != 2 {
		t.Fatalf("benchmark %+v", b)
	}
	p := b.People[0]
	if strings.Contains(p.Label, "Perfusionist A.") || !strings.HasPrefix(p.Label, "Perfusionist ") || len(p.Label) != len("Perfusionist ")+8 {
		t.Errorf("label %q: pseudonymous", p.Label)
	}
	// map_low: the quality case fails (twice in the department), the arch
	// case has MAP 45-55 for seconds only.
	if r := b.Department.Rates[0]; r.Evaluated != 3 || r.Failed != 2 {
		t.Errorf("department map_low %+v", r)
	}
	if r := p.Rates[0]; r.Evaluated != 2 || r.Failed != 1 {
		t.Errorf("perfusionist map_low %+v", r)
	}
	var buf bytes.Buffer
	if err := WriteBenchmarkHTML(&buf, b); err != nil {
		t.Fatal(err)
	}
	h := buf.String()
	if !strings.Contains(h, "1/2 (50 %)") || !strings.Contains(h, "2/3 (67 %)") || !strings.Contains(h, "-17 points") || !strings.Contains(h, `class="few"`) || strings.Contains(h, "A. Perfusionist") {
		t.Errorf("html:\n%s", h)
	}
	named := NewBenchmark(cases, inds, func(n string) string { return PerfusionistLabel(Privacy{Identify: true}, n) })
	if named.People[0].Label != "A. Perfusionist" {
		t.Errorf("identified label %q", named.People[0].Label)
	}
	buf.Reset()
	if err := WriteBenchmarkCSV(&buf, b); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(&buf).ReadAll()
	if len(rows) != 1+2*len(inds) || strings.Join(rows[1], "|") != "Department|3|map_low|3|2|66.7|66.7" {
		t.Errorf("csv %v", rows[:2])
	}
}

func TestRegistryCSV(t *testing.T) {
	c := loadString(t, archCase(t))
	s, _ := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	rc := RegistryCase{Case: c, Summary: s, Quality: EvaluateQuality(c, s, nil)}
	for _, name := range RegistryNames() {
		var buf bytes.Buffer
		if err := WriteRegistryCSV(&buf, name, []RegistryCase{rc}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%s: %v %v", name, rows, err)
		}
		got := map[string]string{}
		for i, col := range rows[0] {
			got[col] = rows[1][i]
		}
		if got["cpb_time_min"] != "50" || got["cross_clamp_time_min"] != "30" || got["lowest_temp_c"] != "18.0" || got["case"] != s.Label {
			t.Errorf("%s: %v", name, got)
		}
		if name == "perform" && (got["rap_ml"] != "" || got["checklist_before_bypass"] != "") {
			t.Errorf("perform: RAP and checklist not recorded must be empty, not 0 or no: %v", got)
		}
		if name == "perform" && (got["ultrafiltration_ml"] != "800" || got["cell_salvage_ml"] != "400" || got["rbc_units_intraop"] != "1" || got["prime_volume_ml"] != "1400" || got["nadir_hct_pct"] != "21.0") {
			t.Errorf("perform: %v", got)
		}
		if strings.Contains(buf.String(), "Jane") || strings.Contains(buf.String(), "H1234567") {
			t.Errorf("%s names the patient", name)
		}
	}
	if err := WriteRegistryCSV(&bytes.Buffer{}, "nope", nil); err == nil {
		t.Error("unknown registry accepted")
	}
}

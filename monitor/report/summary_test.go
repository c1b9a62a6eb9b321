package report

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
)

const testSecret = "site-secret-for-tests-only"

// t0 is case time 0 of testdata/cases/report-summary.case.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func loadCase(t testing.TB, path string) *Case {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Load(f, func(e *record.LineError) { t.Errorf("bad line %d: %v", e.Line, e.Err) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func summarizeKnown(t testing.TB, identify bool) *CaseSummary {
	t.Helper()
	c := loadCase(t, "../../testdata/cases/report-summary.case")
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: identify, Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSummarizeKnownCase checks every figure of the hand-made case against
// the values worked out by hand from its lines (case time in seconds).
func TestSummarizeKnownCase(t *testing.T) {
	s := summarizeKnown(t, false)
	durs := []struct {
		name      string
		got, want time.Duration
	}{
		{"bypass 600–3600", s.Bypass, 3000 * time.Second},
		{"cross-clamp 900–2700", s.CrossClamp, 1800 * time.Second},
		{"arrest 1200–1500", s.Arrest, 300 * time.Second},
		// 250 @1501 (1 s), 240 @1502 (1 s), 260 @1503 (stale after 2 s), 270 @2000 (2 s)
		{"DO2i below 280", s.DO2iBelow, 6 * time.Second},
		// 45 @1000, 45 @1004, 48 @1008 until 55 @1012; 310 out of range and 40 questionable do not count
		{"MAP below 50", s.MAPBelow, 12 * time.Second},
		// 55 @1600, 58 @1606, until 70 @1612
		{"SvO2 below 60", s.SvO2Below, 12 * time.Second},
		// 37.2 @3010, 37.0 @3020, until 36.8 @3030
		{"outlet ≥ 37", s.OutletHigh, 20 * time.Second},
		// −12 @1300 held 2 s
		{"|A–V gradient| > 10", s.AVGradientHigh, 2 * time.Second},
		// 5 @3010 with the outlet at 37.2
		{"|A–V gradient| > 4 warm", s.AVGradientWarmHigh, 2 * time.Second},
		// 0.6 @3020 with the outlet at 37.0
		{"rewarm rate > 0.5", s.RewarmRateHigh, 2 * time.Second},
	}
	for _, d := range durs {
		if d.got != d.want {
			t.Errorf("%s: got %v, want %v", d.name, d.got, d.want)
		}
	}
	if want := (30.0*1 + 40*1 + 20*2 + 10*2) / 60; math.Abs(s.DO2iAreaBelow-want) > 1e-9 {
		t.Errorf("DO2i area below: got %v, want %v mL/min/m² × min", s.DO2iAreaBelow, want)
	}
	nadirs := []struct {
		name string
		got  Nadir
		v    float64
		at   time.Time
		ch   string
	}{
		{"nadir DO2i", s.NadirDO2i, 240, at(1502), "derived.do2i"},
		{"nadir Hct (abg beats inline 21.5; 2 is out of range)", s.NadirHct, 21, at(2500), "abg.hct"},
		{"lowest temp (17 after bypass does not count)", s.LowestTemp, 18.0, at(1450), "temp.nasopharyngeal"},
		{"max outlet", s.MaxOutlet, 37.2, at(3010), "temp.arterial_outlet"},
	}
	for _, n := range nadirs {
		if n.got.Value != n.v || !n.got.Time.Equal(n.at) || n.got.Channel != n.ch {
			t.Errorf("%s: got %v at %v (%s), want %v at %v (%s)", n.name, n.got.Value, n.got.Time, n.got.Channel, n.v, n.at, n.ch)
		}
	}
	if !s.BypassStart.Equal(at(600)) || !s.BypassEnd.Equal(at(3600)) {
		t.Errorf("bypass %v–%v", s.BypassStart, s.BypassEnd)
	}
	// Fluids: prime 1400 + crystalloid 500 + cardioplegia 1000 + RBC 300 in;
	// of the del Nido cardioplegia (1 blood : 4 crystalloid, Matte & del
	// Nido 2012) only its crystalloid 4/5 counts in the balance, 800 mL;
	// urine 450 − 100 + haemofiltration 800 out.
	if s.FluidsIn["prime"].ML != 1400 || s.FluidsIn["crystalloid"].ML != 500 || s.Cardioplegia.ML != 1000 {
		t.Errorf("fluids in %+v, cardioplegia %+v", s.FluidsIn, s.Cardioplegia)
	}
	if s.CardioplegiaCounted != 800 {
		t.Errorf("cardioplegia counted %v, want 800", s.CardioplegiaCounted)
	}
	if s.Urine.ML != 350 || s.Haemofiltration.ML != 800 || s.Balance != 3000-1150 {
		t.Errorf("urine %v, haemofiltration %v, balance %v", s.Urine, s.Haemofiltration, s.Balance)
	}
	if v := s.BloodProducts["RBC"]; v.ML != 300 || v.Count != 1 || s.BloodUnits() != 1 {
		t.Errorf("blood products %+v", s.BloodProducts)
	}
	wantDrugs := []DrugTotal{{"heparin", "IU", 29000, 2, 0}, {"phenylephrine", "mcg", 100, 1, 0}}
	if len(s.Drugs) != len(wantDrugs) {
		t.Fatalf("drugs %+v", s.Drugs)
	}
	for i, d := range wantDrugs {
		if s.Drugs[i] != d {
			t.Errorf("drug %d: got %+v, want %+v", i, s.Drugs[i], d)
		}
	}
	if s.AlarmsByPriority["medium"] != 1 || s.AlarmsByPriority["high"] != 1 || len(s.AlarmsByPriority) != 2 {
		t.Errorf("alarms by priority %v", s.AlarmsByPriority)
	}
	// pump.flow: 4.5 @600 and 4.4 @1000, each fresh for 5 s, of the 2700 s
	// of full flow (the arrest 1200–1500 is not: issue 16).
	for _, c := range s.Completeness {
		if c.Channel == "pump.flow" && math.Abs(c.Share-10.0/2700) > 1e-12 {
			t.Errorf("pump.flow completeness %v, want %v", c.Share, 10.0/2700)
		}
	}
	if s.FullFlow != 2700*time.Second || s.ArrestOnly != 300*time.Second || s.Weaning != 0 || s.ACP != 0 {
		t.Errorf("phases: full flow %v, arrest %v, weaning %v, ACP %v", s.FullFlow, s.ArrestOnly, s.Weaning, s.ACP)
	}
	miss := strings.Join(s.Missing, "\n")
	for _, want := range []string{"no ACT on bypass", "no blood gas on bypass from 08:10:00 to 08:41:40 (32 min)",
		"no protamine dose recorded", "record not signed off"} {
		if !strings.Contains(miss, want) {
			t.Errorf("missing items %q lack %q", miss, want)
		}
	}
	if len(s.Missing) != 4 {
		t.Errorf("missing items: %q", s.Missing)
	}
	if len(s.BloodGases) != 1 || s.BloodGases[0].Values["lactate"] != 1.8 || s.BloodGases[0].Sample != "ABG" {
		t.Errorf("blood gases %+v", s.BloodGases)
	}
	if s.DO2iThreshold != 280 || math.Abs(s.BSA-1.956) > 0.001 {
		t.Errorf("threshold %v, BSA %v", s.DO2iThreshold, s.BSA)
	}
}

func TestSummarizeUnclosedAndSettings(t *testing.T) {
	const lp = `event,case=X,kind=on_bypass text="" 1000000000000
pump,case=X,source=p flow=4 1000000000000
act,case=X,source=m seconds=500 1500000000000
derived,case=X,source=pumpside do2i=290 1600000000000
event,case=X,kind=clamp_off text="" 1700000000000
pump,case=X,source=p flow=4 2000000000000
`
	c, err := Load(strings.NewReader(lp), nil)
	if err != nil {
		t.Fatal(err)
	}
	set := DefaultSettings()
	set.DO2iThreshold = 300
	s, err := Summarize(c, set, Privacy{Identify: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bypass != 1000*time.Second {
		t.Errorf("unclosed bypass counts to the end of the file: %v", s.Bypass)
	}
	if s.DO2iBelow != 2*time.Second || s.DO2iAreaBelow != 10*2.0/60 {
		t.Errorf("threshold 300: below %v, area %v", s.DO2iBelow, s.DO2iAreaBelow)
	}
	miss := strings.Join(s.Missing, "\n")
	for _, want := range []string{"clamp_off at", "bypass from", "not closed"} {
		if !strings.Contains(miss, want) {
			t.Errorf("missing %q lacks %q", miss, want)
		}
	}
	if strings.Contains(miss, "no ACT on bypass") {
		t.Errorf("ACT on bypass reported missing: %q", miss)
	}
}

func TestLoadEmpty(t *testing.T) {
	if _, err := Load(strings.NewReader("# only a comment\n\nnot a line\n"), nil); err != ErrEmpty {
		t.Fatalf("got %v, want ErrEmpty", err)
	}
}

func TestPrivacy(t *testing.T) {
	if _, err := (Privacy{}).Label("C-1"); err != ErrNoSecret {
		t.Errorf("no secret: %v", err)
	}
	if _, err := (Privacy{Secret: []byte("short")}).Label("C-1"); err != ErrShortSecret {
		t.Errorf("short secret: %v", err)
	}
	a := Pseudonym([]byte(testSecret), "C-1")
	if a != Pseudonym([]byte(testSecret), "C-1") || a == Pseudonym([]byte(testSecret+"x"), "C-1") || a == Pseudonym([]byte(testSecret), "C-2") {
		t.Errorf("pseudonym not keyed and stable: %s", a)
	}
	if !strings.HasPrefix(a, "P-") || len(a) != 18 {
		t.Errorf("pseudonym %q", a)
	}
	s := summarizeKnown(t, false)
	if s.Label == "C-2026-0301-R" || s.CaseID != "" || s.Identifiers != nil {
		t.Errorf("identity leaked into the summary: %q %q %v", s.Label, s.CaseID, s.Identifiers)
	}
	for _, l := range s.Log {
		if strings.Contains(l.Text, "Jane") || strings.Contains(l.Text, "H1234567") {
			t.Errorf("log not redacted: %q", l.Text)
		}
	}
	si := summarizeKnown(t, true)
	if si.Label != "C-2026-0301-R" || si.Identifiers["name"] != "Jane Doe" {
		t.Errorf("identified summary: %q %v", si.Label, si.Identifiers)
	}
}

// A file without an alarm log states no alarm figures (empty cells, "not
// recorded"), computed ones say so, and a drug entry without a dose is never
// counted as 0.
func TestNotRecordedIsNotZero(t *testing.T) {
	const file = `case,case=N height_cm=170,weight_kg=70 1772352000000000000
event,case=N,kind=on_bypass text="On" 1772352060000000000
pump,case=N,source=p flow=4 1772352060000000000
event,case=N,kind=drug text="protamine",name="protamine" 1772352300000000000
event,case=N,kind=drug text="heparin",name="heparin",dose=5000,unit="IU" 1772352310000000000
event,case=N,kind=off_bypass text="Off" 1772352600000000000
`
	c, err := Load(strings.NewReader(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AlarmLog != AlarmLogNone {
		t.Fatalf("alarm log %v, want none", c.AlarmLog)
	}
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	var csvOut strings.Builder
	if err := WriteSummaryCSV(&csvOut, s); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(csvOut.String()), "\n")
	head, row := strings.Split(rows[0], ","), strings.Split(rows[1], ",")
	for i, k := range head {
		if strings.HasPrefix(k, "alarms_") && row[i] != "" {
			t.Errorf("%s = %q, want empty (not recorded)", k, row[i])
		}
	}
	if got := s.AlarmText(); !strings.HasPrefix(got, "not recorded") {
		t.Errorf("alarm text %q", got)
	}
	want := map[string]string{"protamine": "1 entry with no dose recorded", "heparin": "5000.0 IU total (1 dose)"}
	for _, d := range s.Drugs {
		if d.String() != want[d.Name] {
			t.Errorf("drug %s: %q, want %q", d.Name, d.String(), want[d.Name])
		}
	}
	if !slices.Contains(s.Missing, "drug protamine at 08:05:00: no dose recorded") {
		t.Errorf("missing items %q", s.Missing)
	}

	c.SetComputedAlarms([]Alarm{{T: 1772352100000000000, Alarm: "map_low", Priority: "medium", State: "active"}})
	s, err = Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.AlarmText(); !strings.HasPrefix(got, "high 0, medium 1, low 0 (computed from the samples") {
		t.Errorf("alarm text %q", got)
	}
}

// The fluid balance counts a cardioplegia's crystalloid share less what was
// discarded: worked examples of crystalloidIn.
func TestCardioplegiaCounted(t *testing.T) {
	for _, c := range []struct {
		name  string
		num   map[string]float64
		str   map[string]string
		want  float64
		known bool
	}{
		{"blood 4:1 by field", map[string]float64{"volume_ml": 1000}, map[string]string{"ratio": "4:1"}, 200, true},
		{"blood 4:1 in the name", map[string]float64{"volume_ml": 1000}, map[string]string{"solution": "Blood 4:1"}, 200, true},
		{"del Nido by name", map[string]float64{"volume_ml": 1000}, map[string]string{"solution": "del Nido"}, 800, true},
		{"stored share wins", map[string]float64{"volume_ml": 1000, "crystalloid_ml": 150}, map[string]string{"ratio": "4:1"}, 150, true},
		// HTK 2000 mL, 1500 mL of coronary sinus effluent suctioned to the cell saver.
		{"HTK with discard", map[string]float64{"volume_ml": 2000, "discarded_ml": 1500}, map[string]string{"solution": "Custodiol HTK"}, 500, true},
		{"discard beyond the share", map[string]float64{"volume_ml": 1000, "discarded_ml": 400}, map[string]string{"ratio": "4:1"}, 0, true},
		{"unknown solution: in full", map[string]float64{"volume_ml": 600}, map[string]string{"solution": "house mix"}, 600, false},
		{"no volume", map[string]float64{}, map[string]string{"solution": "blood 4:1"}, 0, false},
		// The site's table (entry.DefaultSolutions: del Nido 0.8) before the
		// built-in names; a site saying 0.75 for its del Nido wins.
		{"site table", map[string]float64{"volume_ml": 1000}, map[string]string{"solution": "del Nido"}, 750, true},
	} {
		sols := []entry.Solution(nil)
		if c.name == "site table" {
			sols = []entry.Solution{{Name: "del Nido", CrystalloidFraction: 0.75}}
		}
		got, known := crystalloidIn(c.num, c.str, sols)
		if got != c.want || known != c.known {
			t.Errorf("%s: %v (known %v), want %v (%v)", c.name, got, known, c.want, c.known)
		}
	}
}

package report

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

func loadString(t testing.TB, s string) *Case {
	t.Helper()
	c, err := Load(strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQualityKnownCase(t *testing.T) {
	c := loadString(t, reporttest.QualityCase())
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status string
		value  float64
		at     int // case seconds of the worst moment; -1: not checked
	}{
		"map_low":               {"fail", 6.0, 1200},
		"svo2_low":              {"pass", 4.0, 2004},
		"do2i_low":              {"fail", 16.0, 5000},
		"hct_nadir":             {"fail", 20.5, 3600},
		"glucose_high":          {"fail", 10.4, 4800},
		"outlet_high":           {"fail", 20.0 / 60, 6000},
		"cardioplegia_interval": {"fail", 10, 2700},
	}
	res := EvaluateQuality(c, s, nil)
	if len(res) != len(DefaultIndicators()) {
		t.Fatalf("%d results, want %d", len(res), len(DefaultIndicators()))
	}
	for _, r := range res {
		w, ok := want[r.Indicator.ID]
		if !ok {
			t.Errorf("unexpected indicator %s", r.Indicator.ID)
			continue
		}
		if r.Status() != w.status || math.Abs(r.Value-w.value) > 1e-9 || !r.At.Equal(at(w.at)) {
			t.Errorf("%s: %s %.6f at %s (%s), want %s %.6f at %s", r.Indicator.ID, r.Status(), r.Value, r.At.Format(time.TimeOnly), r.Text,
				w.status, w.value, at(w.at).Format(time.TimeOnly))
		}
	}
	if got := QualityFailures(res); got != 6 {
		t.Errorf("failures %d, want 6", got)
	}
	// The site's solution table decides the re-dose interval: with blood
	// 4:1 re-dosed every 30 min the same doses are at their limit, a pass.
	set := DefaultSettings()
	set.Solutions = []entry.Solution{{Name: "blood 4:1", CrystalloidFraction: 0.2, Redose: 30 * time.Minute}}
	s30, err := Summarize(c, set, Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if r := EvaluateQuality(c, s30, []Indicator{DefaultIndicators()[6]})[0]; r.Status() != "pass" || r.Value != 0 || !r.At.Equal(at(2700)) {
		t.Errorf("site table, blood 4:1 every 30 min: %s %v at %s (%s)", r.Status(), r.Value, r.At.Format(time.TimeOnly), r.Text)
	}
	// The totals the texts give: MAP 8.0 min in all, SvO2 554 s.
	if !strings.Contains(res[0].Text, "8.0 min in all") || !strings.Contains(res[1].Text, fmt.Sprintf("%.1f min in all", 554.0/60)) {
		t.Errorf("texts: %q; %q", res[0].Text, res[1].Text)
	}
	if res[2].Threshold != 280 {
		t.Errorf("do2i threshold %g, want the summary's 280", res[2].Threshold)
	}
}

// TestQualityEpisodeAndTotal: the same channel judged on the longest
// stretch and on the total gives the two figures of the known case.
func TestQualityEpisodeAndTotal(t *testing.T) {
	c := loadString(t, reporttest.QualityCase())
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
	if err != nil {
		t.Fatal(err)
	}
	ind := DefaultIndicators()[1] // svo2_low, 4.0 min longest, 554 s in all
	ind.Episode = false
	r := EvaluateQuality(c, s, []Indicator{ind})[0]
	if r.Status() != "fail" || math.Abs(r.Value-554.0/60) > 1e-9 {
		t.Errorf("total: %s %v (%s)", r.Status(), r.Value, r.Text)
	}
}

func TestQualityCardioplegiaSolutions(t *testing.T) {
	ev := func(sec int, kind, extra string) string {
		return fmt.Sprintf("event,case=C,kind=%s text=\"x\"%s %d\n", kind, extra, at(sec).UnixNano())
	}
	tests := []struct {
		name   string
		events string
		status string
		value  float64
	}{
		{"del Nido 90 min is at its limit",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", `,solution="del Nido"`) + ev(120+90*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"pass", 0},
		{"del Nido 80 min is within 90",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", `,solution="del Nido"`) + ev(120+80*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"pass", -10},
		{"blood 40 min overruns 20",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", `,solution="Blood 4:1"`) + ev(120+40*60, "cardioplegia", `,solution="Custodiol HTK"`) + ev(120+60*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"fail", 20},
		{"unstated solution takes the default 20",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", "") + ev(120+31*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"fail", 11},
		{"no clamp", ev(0, "on_bypass", "") + ev(9000, "off_bypass", ""), "no data", 0},
		{"clamp without cardioplegia", ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(600, "clamp_off", "") + ev(9000, "off_bypass", ""), "no data", 0},
	}
	ind := DefaultIndicators()[6]
	for _, tc := range tests {
		c := loadString(t, tc.events)
		s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
		if err != nil {
			t.Fatal(err)
		}
		r := EvaluateQuality(c, s, []Indicator{ind})[0]
		if r.Status() != tc.status || math.Abs(r.Value-tc.value) > 1e-9 {
			t.Errorf("%s: %s %v (%s %s)", tc.name, r.Status(), r.Value, r.Text, r.Note)
		}
	}
}

// TestQualityNoBypass: without bypass, nothing is a pass.
func TestQualityNoBypass(t *testing.T) {
	c := loadString(t, fmt.Sprintf("patient,case=C,source=m map=20 %d\n", at(0).UnixNano()))
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range EvaluateQuality(c, s, nil) {
		if r.Evaluated || r.Pass {
			t.Errorf("%s: %s without bypass", r.Indicator.ID, r.Status())
		}
	}
}

func TestValidateIndicators(t *testing.T) {
	if err := ValidateIndicators(DefaultIndicators()); err != nil {
		t.Fatal(err)
	}
	bad := []Indicator{
		{ID: "Bad-ID", Name: "x", Kind: TimeBelow, Channels: []string{"patient.map"}},
		{ID: "nochan", Name: "x", Kind: TimeAbove},
		{ID: "unknown", Name: "x", Kind: PeakAbove, Channels: []string{"no.such"}},
		{ID: "kind", Name: "x", Kind: "median"},
		{ID: "neg", Name: "x", Kind: TimeBelow, Channels: []string{"patient.map"}, Duration: -time.Second},
		{ID: "cp", Name: "x", Kind: CardioplegiaRedose, Threshold: 30},
	}
	for _, ind := range bad {
		if err := ind.Validate(); err == nil {
			t.Errorf("%+v accepted", ind)
		}
	}
	dup := append(DefaultIndicators(), DefaultIndicators()[0])
	if err := ValidateIndicators(dup); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate id: %v", err)
	}
}

func TestTeamRole(t *testing.T) {
	c := loadString(t, reporttest.QualityCase())
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	team := s.Team
	if s.Procedure != "CABG x3" || team.Perfusionist != "A. Perfusionist" || team.Trainee != "T. Trainee" || team.Supervisor != "S. Senior" {
		t.Fatalf("procedure %q, team %+v", s.Procedure, team)
	}
	for _, tc := range []struct{ name, role, sup string }{
		{"t. trainee", RoleSupervised, "S. Senior"},
		{" A. Perfusionist ", RoleSupervised, "S. Senior"},
		{"S. Senior", RoleSupervising, ""},
	} {
		role, sup, ok := team.Role(tc.name)
		if !ok || role != tc.role || sup != tc.sup {
			t.Errorf("%q: %q %q %v", tc.name, role, sup, ok)
		}
	}
	if _, _, ok := team.Role("Someone Else"); ok {
		t.Error("a stranger has a role")
	}
	if _, _, ok := team.Role(""); ok {
		t.Error("an empty name has a role")
	}
	solo := Team{Perfusionist: "P"}
	if role, _, _ := solo.Role("p"); role != RolePrimary {
		t.Errorf("alone: %s", role)
	}
	tr := Team{Perfusionist: "P", Trainee: "T"}
	if role, sup, _ := tr.Role("T"); role != RoleSupervised || sup != "P" {
		t.Errorf("trainee without a supervisor: %s %s", role, sup)
	}
	// The assistant assists, under the supervisor or else the
	// perfusionist in charge, who stays primary.
	as := Team{Perfusionist: "P", Assistant: "A", Supervisor: "S"}
	if role, sup, ok := as.Role(" a "); !ok || role != RoleAssisting || sup != "S" {
		t.Errorf("assistant: %q %q %v", role, sup, ok)
	}
	as.Supervisor = ""
	if role, sup, _ := as.Role("A"); role != RoleAssisting || sup != "P" {
		t.Errorf("assistant without a supervisor: %q %q", role, sup)
	}
	if role, _, _ := as.Role("P"); role != RolePrimary {
		t.Errorf("perfusionist beside an assistant: %q", role)
	}
}

// TestQualityOnFullFlow: the indicators judge the time on full flow, the
// spans the summary's perfusion figures count over: MAP low during weaning
// is the weaning's own, for the indicator as for the summary's time below
// its MAP limit, and the two agree for the same threshold.
func TestQualityOnFullFlow(t *testing.T) {
	// Weaning from 1150 to 1600 s covers the 6-min stretch of MAP 35.
	extra := fmt.Sprintf("event,case=C-2026-0301-Q,kind=weaning text=\"Weaning\" %d\nevent,case=C-2026-0301-Q,kind=full_flow text=\"Full flow\" %d\n",
		at(1150).UnixNano(), at(1600).UnixNano())
	c := loadString(t, reporttest.QualityCase()+extra)
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Weaning != 450*time.Second || len(s.FullFlowSpans()) != 2 {
		t.Fatalf("weaning %v, full-flow spans %v", s.Weaning, s.FullFlowSpans())
	}
	r := EvaluateQuality(c, s, []Indicator{DefaultIndicators()[0]})[0] // map_low, longest stretch
	if r.Status() != "pass" || math.Abs(r.Value-2.0) > 1e-9 || !r.At.Equal(at(3000)) {
		t.Errorf("map_low over full flow: %s %v at %s (%s)", r.Status(), r.Value, r.At.Format(time.TimeOnly), r.Text)
	}
	total := Indicator{ID: "map_total", Name: "MAP below the summary's limit", Kind: TimeBelow, Channels: []string{"patient.map"},
		Threshold: s.Settings.Limits.MAPLow}
	r = EvaluateQuality(c, s, []Indicator{total})[0]
	if math.Abs(r.Value-s.MAPBelow.Minutes()) > 1e-9 || s.MAPBelow == 0 {
		t.Errorf("indicator %v min, summary's MAP below %v: one definition of on bypass", r.Value, s.MAPBelow.Minutes())
	}
}

package report

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// qualityCase writes the case the quality tests judge. Case time 0 is
// 2026-03-01T08:00:00Z; bypass 600–6600 s, cross-clamp 900–5400 s. Each
// channel follows the rules below, from which the expected results of
// TestQualityKnownCase are worked out by hand.
func qualityCase() string {
	var b strings.Builder
	const id = "C-2026-0301-Q"
	t := func(sec int) int64 { return t0.Add(time.Duration(sec) * time.Second).UnixNano() }
	line := func(sec int, format string, a ...any) {
		fmt.Fprintf(&b, format+" %d\n", append(a, t(sec))...)
	}
	line(0, `case,case=%s height_cm=175,weight_kg=80,sex="male",do2i_threshold=280,ident_name="Jane Doe",ident_hospital_number="H1234567",perfusionist="A. Perfusionist",procedure="CABG x3"`, id)
	line(60, `event,case=%s,kind=team text="Team",trainee="T. Trainee",supervisor="S. Senior"`, id)
	line(600, `event,case=%s,kind=on_bypass text="On bypass"`, id)
	line(900, `event,case=%s,kind=clamp_on text="Cross-clamp on"`, id)
	// Cardioplegia: 960 → 2700 is 29 min, 2700 → 4500 exactly 30 min, 4500
	// → clamp off 15 min: the longest is at its 30 min limit, a pass.
	for _, s := range []int{960, 2700, 4500} {
		line(s, `event,case=%s,kind=cardioplegia text="Blood cardioplegia",solution="blood 4:1",volume_ml=500`, id)
	}
	line(5400, `event,case=%s,kind=clamp_off text="Cross-clamp off"`, id)
	line(6600, `event,case=%s,kind=off_bypass text="Off bypass"`, id)
	// MAP every 4 s (fresh 5 s): 30 before bypass (not counted); 35 from
	// 1200 to 1560 (6.0 min, the longest stretch) and 38 from 3000 to 3120
	// (2.0 min): 8.0 min in all below 40.
	for s := 240; s < 7000; s += 4 {
		v := 65.0
		switch {
		case s >= 300 && s < 360:
			v = 30
		case s >= 1200 && s < 1560:
			v = 35
		case s >= 3000 && s < 3120:
			v = 38
		}
		line(s, `patient,case=%s,source=mon map=%g`, id, v)
	}
	// SvO2 every 6 s (fresh 20 s), none from 4002 to 4098: 55 from 2004 to
	// 2244 (240 s), from 3900 to the last sample 3996 (stale at 4016: 116
	// s) and from 4104 to 4302 (198 s): the longest stretch is 4.0 min (the
	// gap ends a stretch), 554 s in all.
	for s := 600; s < 6600; s += 6 {
		if s > 3996 && s < 4104 {
			continue
		}
		v := 70.0
		if s >= 2004 && s < 2244 || s >= 3900 && s < 4302 {
			v = 55
		}
		line(s, `inline,case=%s,source=cdi ven_so2=%g,hct=%g`, id, v, map[bool]float64{true: 20.5, false: 27}[s == 3600])
	}
	// DO2i every second (held 2 s): 260 from 5000 to 5600 and 250 from
	// 6000 to 6360: 16 min below 280.
	for s := 600; s < 6600; s++ {
		v := 320.0
		if s >= 5000 && s < 5600 {
			v = 260
		} else if s >= 6000 && s < 6360 {
			v = 250
		}
		line(s, `derived,case=%s,source=pumpside do2i=%g`, id, v)
	}
	// Arterial outlet every 10 s (fresh 30 s): 37.2 at 6000 and 6010, then
	// 36.8: 20 s above 37.
	for s := 600; s < 6600; s += 10 {
		v := 36.0
		if s == 6000 || s == 6010 {
			v = 37.2
		} else if s > 6010 {
			v = 36.8
		}
		line(s, `temp,case=%s,source=hlm arterial_outlet=%g`, id, v)
	}
	// Glucose: the peak on bypass is 10.4 (venous, 4800); 12 after bypass
	// does not count. Hct 22 on the arterial gas at 3000.
	line(1800, `abg,case=%s,source=lab glucose=8.5`, id)
	line(3000, `abg,case=%s,source=lab glucose=9.9,hct=22`, id)
	line(4800, `vbg,case=%s,source=lab glucose=10.4`, id)
	line(7000, `abg,case=%s,source=lab glucose=12`, id)
	return b.String()
}

func loadString(t testing.TB, s string) *Case {
	t.Helper()
	c, err := Load(strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQualityKnownCase(t *testing.T) {
	c := loadString(t, qualityCase())
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
		"cardioplegia_interval": {"pass", 0, 2700},
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
	if got := QualityFailures(res); got != 5 {
		t.Errorf("failures %d, want 5", got)
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
	c := loadString(t, qualityCase())
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
		{"del Nido 80 min is within 90",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", `,solution="del Nido"`) + ev(120+80*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"pass", -10},
		{"blood 40 min overruns 30",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", `,solution="Blood 4:1"`) + ev(120+40*60, "cardioplegia", `,solution="Custodiol HTK"`) + ev(120+60*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"fail", 10},
		{"unstated solution takes the default 30",
			ev(0, "on_bypass", "") + ev(60, "clamp_on", "") + ev(120, "cardioplegia", "") + ev(120+31*60, "clamp_off", "") + ev(9000, "off_bypass", ""),
			"fail", 1},
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
		{ID: "cp", Name: "x", Kind: CardioplegiaInterval},
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
	c := loadString(t, qualityCase())
	team := TeamOf(c, map[string]string{"perfusionist": "A. Perfusionist", "procedure": "CABG x3", "ident_name": "ignored"})
	if team.Procedure != "CABG x3" || team.Trainee != "T. Trainee" || team.Supervisor != "S. Senior" {
		t.Fatalf("team %+v", team)
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
	solo := Team{Perfusionist: "P"}
	if role, _, _ := solo.Role("p"); role != RolePrimary {
		t.Errorf("alone: %s", role)
	}
	tr := Team{Perfusionist: "P", Trainee: "T", TraineeRole: "Primary"}
	if role, sup, _ := tr.Role("T"); role != RolePrimary || sup != "P" {
		t.Errorf("trainee primary: %s %s", role, sup)
	}
	meta, err := ReadMetaStrings(strings.NewReader(qualityCase()))
	if err != nil {
		t.Fatal(err)
	}
	if meta["perfusionist"] != "A. Perfusionist" || meta["procedure"] != "CABG x3" || meta["name"] != "" || meta["ident_name"] != "" {
		t.Errorf("meta strings %v", meta)
	}
}

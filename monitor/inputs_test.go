package monitor

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// newKinds is newTest with sources of a kind: names[i] runs kinds[i].
func newKinds(t *testing.T, change func(*Settings), names, kinds []string) *testPipeline {
	t.Helper()
	tp := newTest(t, change)
	for i, name := range names {
		pr, err := tp.AddSourceKind(name, kinds[i], 0)
		if err != nil {
			t.Fatal(err)
		}
		tp.src[name] = pr
	}
	return tp
}

// The patient monitor's arterial line wins MAP whoever sent last; when it
// goes stale or flags its value, the pump's patient pressure is shown, with
// its source; a manual entry never hides a measured value.
func TestSourcePriorityMAP(t *testing.T) {
	tp := newKinds(t, nil, []string{"hlm", "bedside", "operator"}, []string{"generic", "intellivue", KindManual})
	at := func(sec int) time.Duration { return time.Duration(sec) * time.Second }
	check := func(s *Snapshot, src string, v float64, q channel.Quality) {
		t.Helper()
		r := s.Reading(channel.PatientMAP)
		if s.SourceName(r.Source) != src || !near(r.Value, v, 1e-12) || r.Quality != q {
			t.Fatalf("MAP %v (%v) from %q, want %v (%v) from %q", r.Value, r.Quality, s.SourceName(r.Source), v, q, src)
		}
		if d := s.Derivation(channel.DerivedSVR); d.Inputs()[0].Source != r.Source {
			t.Fatalf("SVR's MAP input from %q, the tile's from %q", s.SourceName(d.Inputs()[0].Source), src)
		}
	}
	tp.put("bedside", channel.PatientMAP, at(0), 62)
	check(tp.step(at(0)), "bedside", 62, channel.OK)
	tp.put("hlm", channel.PatientMAP, at(1), 70) // newer, but the pump's
	tp.put("operator", channel.PatientMAP, at(1), 80)
	check(tp.step(at(1)), "bedside", 62, channel.OK)

	// The monitor flags its value (a line flush): the pump's fresh value.
	tp.putQ("bedside", channel.PatientMAP, at(2), 300, channel.Questionable)
	tp.put("hlm", channel.PatientMAP, at(2), 71)
	check(tp.step(at(2)), "hlm", 71, channel.OK)

	// The monitor is back.
	tp.put("bedside", channel.PatientMAP, at(3), 64)
	check(tp.step(at(3)), "bedside", 64, channel.OK)

	// The monitor falls silent: once its value is stale (5 s), the pump's,
	// even without a new sample (the choice is made again at a publish).
	tp.put("hlm", channel.PatientMAP, at(7), 72)
	check(tp.step(at(7)), "bedside", 64, channel.OK)
	check(tp.step(at(9)), "hlm", 72, channel.OK)

	// Only the manual value is fresh: it is shown, named.
	tp.put("operator", channel.PatientMAP, at(20), 66)
	check(tp.step(at(20)), "operator", 66, channel.OK)

	// Nothing usable: the newest reading, whatever its quality: "---",
	// never an older number.
	tp.putQ("hlm", channel.PatientMAP, at(40), 0, channel.Unavailable)
	check(tp.step(at(40)), "hlm", 0, channel.Unavailable)

	// The history holds the chosen source's values alone.
	snap := tp.step(at(40))
	var pts []Point
	pts = snap.History(channel.PatientMAP, t0.UnixNano(), t0.Add(at(40)).UnixNano(), pts)
	var got []float64
	for _, p := range pts {
		got = append(got, p.Value)
	}
	if want := []float64{62, 71, 64, 72, 66}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v (the chosen source's only)", got, want)
	}
}

// Channels without a rule, and sources a rule ranks alike, keep the plain
// rule: the newest sample wins.
func TestSourcePriorityUnranked(t *testing.T) {
	tp := newKinds(t, nil, []string{"a", "b"}, []string{"masimo", "nonin"})
	tp.put("a", channel.PatientSpO2, 0, 97)
	tp.put("b", channel.PatientSpO2, time.Second, 95)
	tp.put("b", channel.NIRSLeft, 0, 60)
	tp.put("a", channel.NIRSLeft, time.Second, 61)
	s := tp.step(time.Second)
	if r := s.Reading(channel.PatientSpO2); s.SourceName(r.Source) != "b" || r.Value != 95 {
		t.Fatalf("SpO2 from two oximeters of equal rank: %+v", r)
	}
	if r := s.Reading(channel.NIRSLeft); s.SourceName(r.Source) != "a" || r.Value != 61 {
		t.Fatalf("NIRS without a rule: %+v", r)
	}
	if len(tp.ranked) != 0 {
		t.Fatalf("%d channels ranked, want none", len(tp.ranked))
	}
}

// A site's own rule: the channel's own rule overrides its group's, names
// match as well as kinds, and "*" places the sources it does not name.
func TestSourcePriorityRules(t *testing.T) {
	rules := []SourcePriority{
		{Channels: "temp.*", Sources: []string{"s5", "*"}},
		{Channels: "temp.nasopharyngeal", Sources: []string{"*", "s5"}},
		{Channels: "patient.cvp", Sources: []string{"pumpside-cvp"}},
	}
	tp := newKinds(t, func(s *Settings) { s.SourcePriority = rules },
		[]string{"ge", "pump", "pumpside-cvp"}, []string{"s5", "generic", "generic"})
	for i, src := range []string{"ge", "pump", "pumpside-cvp"} {
		tp.put(src, channel.TempBladder, time.Duration(2-i)*time.Second, 35+float64(i))
		tp.put(src, channel.TempNasopharyngeal, time.Duration(2-i)*time.Second, 30+float64(i))
		tp.put(src, channel.PatientCVP, time.Duration(2-i)*time.Second, 5+float64(i))
	}
	s := tp.step(2 * time.Second)
	for _, c := range []struct {
		id   channel.ID
		src  string
		want float64
	}{
		{channel.TempBladder, "ge", 35},          // the group rule: s5 first
		{channel.TempNasopharyngeal, "pump", 31}, // its own rule: s5 last; pump is newer than pumpside-cvp
		{channel.PatientCVP, "pumpside-cvp", 7},  // a device by name
	} {
		if r := s.Reading(c.id); s.SourceName(r.Source) != c.src || r.Value != c.want {
			t.Errorf("%v: %v from %q, want %v from %q", c.id, r.Value, s.SourceName(r.Source), c.want, c.src)
		}
	}
	for name, bad := range map[string][]SourcePriority{
		"unknown channel": {{Channels: "patient.mapp", Sources: []string{"s5"}}},
		"unknown group":   {{Channels: "pateint.*", Sources: []string{"s5"}}},
		"derived":         {{Channels: "derived.do2i", Sources: []string{"s5"}}},
		"no sources":      {{Channels: "patient.map"}},
		"repeated":        {{Channels: "patient.map", Sources: []string{"s5", "s5"}}},
		"twice":           {{Channels: "patient.map", Sources: []string{"s5"}}, {Channels: "patient.map", Sources: []string{"generic"}}},
		"no dot":          {{Channels: "patient", Sources: []string{"s5"}}},
	} {
		set := DefaultSettings()
		set.SourcePriority = bad
		if err := set.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (func() error { s := DefaultSettings(); return s.Validate() })(); err != nil {
		t.Fatal(err)
	}
}

// The in-line monitor against the laboratory: an analyser Hb sampled after
// the last recalibration wins until the next recalibration, and the
// discrepancy is in the snapshot.
func TestHbNewestTrusted(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	min := func(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
	// The in-line monitor reads Hct 27 / Hb 9.0 (from 6 min: Hb 8.1).
	fed := 0
	feed := func(to time.Duration) {
		for ; fed <= int(to/time.Second); fed += 6 {
			at := time.Duration(fed) * time.Second
			tp.putCase(at, channel.InlineHb)
			v := 9.0
			if fed >= 360 {
				v = 8.1
			}
			tp.put("cdi", channel.InlineHb, at, v)
			tp.put("cdi", channel.InlineHct, at, 27)
		}
	}
	feed(min(2))
	s := tp.step(min(2))
	hb := func(s *Snapshot) Input { return s.Derivation(channel.DerivedDO2i).Inputs()[3] }
	if in := hb(s); in.Channel != channel.InlineHb || s.Derived[channel.DerivedDO2i-channel.DerivedBSA].Flags&FlagHbFromAnalyser != 0 {
		t.Fatalf("before any analyser result: Hb from %v", in.Channel)
	}
	// A gas drawn at 3 min reads Hb 8.1 / Hct 24.
	tp.put("analyser", channel.ABGHb, min(3), 8.1)
	tp.put("analyser", channel.ABGHct, min(3), 24)
	feed(min(5))
	s = tp.step(min(5))
	if in := hb(s); in.Channel != channel.ABGHb || in.Value != 8.1 {
		t.Fatalf("after a gas, no recalibration: Hb %v=%v, want abg.hb 8.1", in.Channel, in.Value)
	}
	if s.Derivation(channel.DerivedDO2i).Flags&FlagHbFromAnalyser == 0 {
		t.Fatal("the analyser's Hb is not flagged")
	}
	if tp.der.roles[RoleHct].Channel != channel.ABGHct {
		t.Fatalf("nadir Hct role from %v", tp.der.roles[RoleHct].Channel)
	}
	c := s.HctCheck
	if c.Lab != channel.ABGHct || c.LabValue != 24 || c.LabTime != t0.Add(min(3)).UnixNano() || !near(c.Inline, 27, 1e-6) ||
		!near(c.Diff, 3, 1e-6) || !c.LabPreferred || c.Recalibrated != 0 {
		t.Fatalf("Hct check %+v", c)
	}
	if !near(s.HbCheck.Diff, 0.9, 1e-6) {
		t.Fatalf("Hb check %+v", s.HbCheck)
	}
	// The perfusionist recalibrates the in-line monitor at 6 min: it is
	// trusted again (it now reads the laboratory's value).
	tp.Recalibrated(t0.Add(min(6)).UnixNano())
	tp.Recalibrated(t0.Add(min(1)).UnixNano()) // an older one changes nothing
	feed(min(7))
	s = tp.step(min(7))
	if in := hb(s); in.Channel != channel.InlineHb || in.Value != 8.1 {
		t.Fatalf("after the recalibration: Hb %v=%v, want inline.hb", in.Channel, in.Value)
	}
	if s.HctCheck.LabPreferred || s.HctCheck.Recalibrated != t0.Add(min(6)).UnixNano() {
		t.Fatalf("Hct check after recalibration %+v", s.HctCheck)
	}
	// A new gas after the recalibration wins again.
	tp.put("analyser", channel.ABGHb, min(8), 8.4)
	feed(min(9))
	s = tp.step(min(9))
	if in := hb(s); in.Channel != channel.ABGHb || in.Value != 8.4 {
		t.Fatalf("a gas after the recalibration: Hb %v=%v", in.Channel, in.Value)
	}
}

// SpO2 standing in for SaO2, and a DO2i without PaO2: computed, flagged.
func TestDO2iFlags(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(0, channel.InlineArtSO2, channel.InlineArtPO2)
	tp.put("monitor", channel.PatientSpO2, 0, 98)
	s := tp.step(time.Second)
	r := s.Reading(channel.DerivedDO2i)
	d := s.Derivation(channel.DerivedDO2i)
	if !r.OK() || d.Flags&(FlagSaO2FromSpO2|FlagPaO2Omitted) != FlagSaO2FromSpO2|FlagPaO2Omitted {
		t.Fatalf("DO2i %+v flags %v", r, d.Flags)
	}
	in := casePhysioInputs()
	in.SaO2, in.PaO2 = 98, math.NaN()
	want := physio.Compute(in, tp.Settings().Constants)
	if r.Value != want.DO2i || !want.CaO2DissolvedOmitted {
		t.Fatalf("DO2i %v, Compute %v", r.Value, want.DO2i)
	}
	if v := s.Reading(channel.DerivedVO2i); v.OK() {
		t.Fatalf("VO2i without PaO2: %+v", v)
	}
	if got := d.Flags.String(); got != "no PaO2, SpO2" {
		t.Fatalf("flags %q", got)
	}
}

// The pipeline corrects VCO2 to STPD from the room's air, and records the
// factor it used.
func TestVCO2AtSTPD(t *testing.T) {
	tp := newTest(t, func(s *Settings) { s.RoomTempC, s.BarometricMmHg = 24, 700 }, allSources...)
	tp.putCase(0)
	s := tp.step(time.Second)
	k := physio.VCO2FactorSTPD(700, 24, false)
	if got := tp.Settings().Constants.VCO2Factor; got != k {
		t.Fatalf("recorded factor %v, want %v", got, k)
	}
	// sweep 2.5 × exhaust 30 × 1000/760 × 273.15/297.15 = 75 × 1.31579 ×
	// 0.91923 = 90.71 mL/min.
	if r := s.Reading(channel.DerivedVCO2); !near(r.Value, 90.71, 0.005) {
		t.Fatalf("VCO2 %+v", r)
	}
	off := newTest(t, func(s *Settings) { s.RoomTempC = math.NaN() })
	if got := off.Settings().Constants.VCO2Factor; got != physio.DefaultConstants().VCO2Factor {
		t.Fatalf("correction off: factor %v", got)
	}
	bad := DefaultSettings()
	bad.RoomTempC = 60
	if bad.Validate() == nil {
		t.Fatal("a room at 60 °C accepted")
	}
}

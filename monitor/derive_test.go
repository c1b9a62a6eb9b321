package monitor

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// caseInputs is one full set of inputs, on the first channel of every role,
// and the same values as physio.Inputs.
var caseInputs = []struct {
	src string
	ch  channel.ID
	v   float64
}{
	{"manual", channel.PatientHeight, 175},
	{"manual", channel.PatientWeight, 80},
	{"pump", channel.PumpFlow, 4.4},
	{"monitor", channel.PatientMAP, 65},
	{"monitor", channel.PatientCVP, 5},
	{"cdi", channel.InlineHb, 9.5},
	{"cdi", channel.InlineArtSO2, 99},
	{"cdi", channel.InlineArtPO2, 250},
	{"cdi", channel.InlineVenSO2, 72},
	{"cdi", channel.InlineVenPO2, 40},
	{"gas", channel.GasSweep, 2.5},
	{"gas", channel.GasExhaustCO2, 30},
	{"heater", channel.TempArterialOutlet, 36.2},
	{"heater", channel.TempVenousInlet, 33.0},
	{"monitor", channel.TempNasopharyngeal, 35.8},
	{"pump", channel.PumpPreOxyPressure, 258},
	{"pump", channel.PumpPostOxyPressure, 214},
	{"gas", channel.GasFiO2, 60},
}

func casePhysioInputs() physio.Inputs {
	in := physio.AbsentInputs()
	in.HeightCm, in.WeightKg, in.FlowLpm, in.MAP, in.CVP = 175, 80, 4.4, 65, 5
	in.Hb, in.SaO2, in.PaO2, in.SvO2, in.PvO2 = 9.5, 99, 250, 72, 40
	in.SweepLpm, in.ExhaustCO2 = 2.5, 30
	return in
}

var allSources = []string{"manual", "pump", "monitor", "cdi", "gas", "heater", "analyser"}

// putCase puts every input at time at, skipping the channels in skip.
func (tp *testPipeline) putCase(at time.Duration, skip ...channel.ID) {
	for _, c := range caseInputs {
		if !slices.Contains(skip, c.ch) {
			tp.put(c.src, c.ch, at, c.v)
		}
	}
}

// resultValue maps a derived channel to its physio.Result field.
func resultValue(id channel.ID, r physio.Result) float64 {
	return map[channel.ID]float64{
		channel.DerivedBSA: r.BSA, channel.DerivedFlowIndex: r.FlowIndex, channel.DerivedSVR: r.SVR,
		channel.DerivedSVRI: r.SVRI, channel.DerivedCaO2: r.CaO2, channel.DerivedCvO2: r.CvO2,
		channel.DerivedDO2: r.DO2, channel.DerivedDO2i: r.DO2i, channel.DerivedVO2: r.VO2,
		channel.DerivedVO2i: r.VO2i, channel.DerivedO2ER: r.O2ERPct, channel.DerivedVCO2: r.VCO2,
		channel.DerivedVCO2i: r.VCO2i, channel.DerivedDO2iVCO2i: r.DO2iVCO2i, channel.DerivedRQ: r.RQ,
	}[id]
}

// TestDerivedMatchesCompute: the pipeline and "pumpside calc" share
// physio.Compute, so for the same inputs every derived value is identical to
// the bit.
func TestDerivedMatchesCompute(t *testing.T) {
	for _, consts := range []func(*physio.Constants){
		func(*physio.Constants) {},
		func(c *physio.Constants) { c.Hufner, c.VCO2Factor, c.BSAFormula = 1.39, 1.403, physio.Mosteller },
	} {
		tp := newTest(t, func(s *Settings) { consts(&s.Constants) }, allSources...)
		tp.putCase(0)
		s := tp.step(time.Second)
		c := tp.Settings().Constants
		want := physio.Compute(casePhysioInputs(), c)
		for id := channel.DerivedBSA; id <= channel.DerivedRQ; id++ {
			r := s.Reading(id)
			if !r.OK() || r.Value != resultValue(id, want) {
				t.Errorf("%v = %v (%v), Compute says %v", id, r.Value, r.Quality, resultValue(id, want))
			}
			if r.Time != t0.UnixNano() || r.Source != 0 {
				t.Errorf("%v time %d source %d", id, r.Time, r.Source)
			}
		}
		if r := s.Reading(channel.DerivedAVGradient); !r.OK() || r.Value != physio.AVGradient(36.2, 33.0) {
			t.Errorf("A–V gradient %+v", r)
		}
	}
}

func TestProvenance(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(0, channel.InlineHb)
	tp.put("analyser", channel.ABGHb, -10*time.Minute, 9.1)
	s := tp.step(2 * time.Second)
	d := s.Derivation(channel.DerivedDO2i)
	if d == nil || s.Derivation(channel.PumpFlow) != nil {
		t.Fatal("Derivation lookup")
	}
	ins := d.Inputs()
	if got := roles(ins); !slices.Equal(got, DerivedInputs(channel.DerivedDO2i)) {
		t.Fatalf("roles %v", got)
	}
	for _, in := range ins {
		if !in.Used() {
			t.Fatalf("input %+v not used", in)
		}
	}
	hb := ins[slices.IndexFunc(ins, func(in Input) bool { return in.Role == RoleHb })]
	if hb.Channel != channel.ABGHb || s.SourceName(hb.Source) != "analyser" || hb.Value != 9.1 ||
		hb.Age(s.Time) != 10*time.Minute+2*time.Second {
		t.Fatalf("Hb input %+v (%s)", hb, s.SourceName(hb.Source))
	}
	// The derived value is as old as its oldest input.
	if r := s.Reading(channel.DerivedDO2i); !r.OK() || r.Time != t0.Add(-10*time.Minute).UnixNano() {
		t.Fatalf("DO2i %+v: want the Hb's time", r)
	}
	// No recalibration was entered: the analyser's Hb is the newest
	// trusted one, and the value says so.
	if d.Flags != FlagHbFromAnalyser {
		t.Fatalf("flags %b", d.Flags)
	}
}

func roles(ins []Input) []Role {
	var r []Role
	for _, in := range ins {
		r = append(r, in.Role)
	}
	return r
}

// TestStaleInputMakesDerivedStale: an input past its freshness limit is
// skipped, and when nothing fresh remains the derived value is Stale with no
// number.
func TestStaleInputMakesDerivedStale(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(30*time.Minute, channel.InlineHb, channel.InlineHct)
	tp.put("analyser", channel.ABGHb, 0, 9.1) // bloodGasFreshness is 30 min
	if r := tp.step(30 * time.Minute).Reading(channel.DerivedDO2i); !r.OK() {
		t.Fatalf("DO2i with a 30-minute-old Hb: %+v", r)
	}
	s := tp.step(30*time.Minute + time.Second)
	for _, id := range []channel.ID{channel.DerivedCaO2, channel.DerivedDO2, channel.DerivedDO2i, channel.DerivedVO2i, channel.DerivedRQ} {
		r := s.Reading(id)
		if r.Quality != channel.Stale || !math.IsNaN(r.Value) || r.OK() {
			t.Errorf("%v with a stale Hb: %+v, want stale with no number", id, r)
		}
		if r.Time != t0.UnixNano() {
			t.Errorf("%v time: want the stale input's, so its age shows", id)
		}
		if got := s.Channel(id).Format(r.Value, r.Quality); got != channel.NoValue {
			t.Errorf("%v displays %q", id, got)
		}
	}
	hb := findInput(s, channel.DerivedDO2i, RoleHb)
	if hb.Quality != channel.Stale || hb.Channel != channel.ABGHb || hb.Used() {
		t.Fatalf("Hb input %+v", hb)
	}
	// Values that do not need Hb are unaffected.
	for _, id := range []channel.ID{channel.DerivedFlowIndex, channel.DerivedSVR, channel.DerivedVCO2i} {
		if !s.Reading(id).OK() {
			t.Errorf("%v lost its value with a stale Hb", id)
		}
	}
	// A fresh lower-priority candidate takes over.
	tp.put("analyser", channel.VBGHb, 30*time.Minute, 9.3)
	s = tp.step(30*time.Minute + 2*time.Second)
	if hb := findInput(s, channel.DerivedDO2i, RoleHb); hb.Channel != channel.VBGHb || !hb.Used() {
		t.Fatalf("Hb input %+v, want vbg.hb", hb)
	}
	if !s.Reading(channel.DerivedDO2i).OK() {
		t.Fatal("DO2i not back with a fresh venous Hb")
	}
}

func findInput(s *Snapshot, id channel.ID, role Role) Input {
	for _, in := range s.Derivation(id).Inputs() {
		if in.Role == role {
			return in
		}
	}
	return Input{}
}

func TestPriority(t *testing.T) {
	type put struct {
		ch channel.ID
		at time.Duration
		v  float64
		q  channel.Quality
	}
	cases := []struct {
		name  string
		role  Role
		puts  []put
		want  channel.ID // 0: none usable
		wantV float64
		wantQ channel.Quality
	}{
		{"inline first", RoleSaO2, []put{{channel.InlineArtSO2, 0, 99, 0}, {channel.ABGSO2, 0, 97, 0}, {channel.PatientSpO2, 0, 95, 0}}, channel.InlineArtSO2, 99, channel.OK},
		{"analyser when inline stale", RoleSaO2, []put{{channel.InlineArtSO2, -21 * time.Second, 99, 0}, {channel.ABGSO2, -20 * time.Minute, 97, 0}, {channel.PatientSpO2, 0, 95, 0}}, channel.ABGSO2, 97, channel.OK},
		{"SpO2 last", RoleSaO2, []put{{channel.InlineArtSO2, 0, 140, 0}, {channel.PatientSpO2, 0, 95, 0}}, channel.PatientSpO2, 95, channel.OK},
		{"questionable skipped", RoleSvO2, []put{{channel.InlineVenSO2, 0, 70, channel.Questionable}, {channel.VBGSO2, 0, 68, 0}}, channel.VBGSO2, 68, channel.OK},
		{"nothing usable: first failure", RoleSvO2, []put{{channel.InlineVenSO2, -time.Minute, 70, 0}, {channel.VBGSO2, 0, 68, channel.Unavailable}}, 0, math.NaN(), channel.Stale},
		{"nothing at all", RolePaO2, nil, 0, math.NaN(), channel.Unavailable},
		{"measured Hb before Hct", RoleHb, []put{{channel.InlineHct, 0, 27, 0}, {channel.VBGHb, -5 * time.Minute, 9.2, 0}}, channel.VBGHb, 9.2, channel.OK},
		{"Hct / 3 when no Hb", RoleHb, []put{{channel.InlineHct, 0, 27, 0}, {channel.InlineHb, -time.Minute, 9, 0}}, channel.InlineHct, 9, channel.OK},
		{"Hct: the analyser, no recalibration since", RoleHct, []put{{channel.ABGHct, -time.Minute, 25, 0}, {channel.InlineHct, 0, 27, 0}}, channel.ABGHct, 25, channel.OK},
		{"Hct: the in-line, analyser stale", RoleHct, []put{{channel.ABGHct, -31 * time.Minute, 25, 0}, {channel.InlineHct, 0, 27, 0}}, channel.InlineHct, 27, channel.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp := newTest(t, nil, "src")
			for _, p := range c.puts {
				tp.putQ("src", p.ch, p.at, p.v, p.q)
			}
			tp.step(0)
			in := tp.der.roles[c.role]
			if c.want == 0 {
				if in.Used() || in.Quality != c.wantQ {
					t.Fatalf("got %+v, want none (%v)", in, c.wantQ)
				}
				return
			}
			if in.Channel != c.want || !near(in.Value, c.wantV, 1e-12) || in.Quality != c.wantQ {
				t.Fatalf("got %v=%v (%v), want %v=%v", in.Channel, in.Value, in.Quality, c.want, c.wantV)
			}
		})
	}
}

func TestHbFromHct(t *testing.T) {
	for _, allowed := range []bool{true, false} {
		tp := newTest(t, func(s *Settings) { s.HbFromHct = allowed }, allSources...)
		tp.putCase(0, channel.InlineHb)
		tp.put("cdi", channel.InlineHct, 0, 28.5)
		s := tp.step(time.Second)
		r := s.Reading(channel.DerivedDO2i)
		d := s.Derivation(channel.DerivedDO2i)
		if !allowed {
			if r.OK() || r.Quality != channel.Unavailable || d.Flags != 0 {
				t.Fatalf("HbFromHct off: DO2i %+v flags %b", r, d.Flags)
			}
			continue
		}
		in := casePhysioInputs()
		in.Hb = 28.5 / 3
		want := physio.Compute(in, tp.Settings().Constants).DO2i
		if !r.OK() || !near(r.Value, want, 1e-9) || d.Flags&FlagHbFromHct == 0 {
			t.Fatalf("DO2i %+v (want %v), flags %b", r, want, d.Flags)
		}
		if f := s.Derivation(channel.DerivedVCO2).Flags; f != 0 {
			t.Fatalf("VCO2 does not use Hb but is flagged %b", f)
		}
	}
}

func TestPvO2Optional(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(0, channel.InlineVenPO2)
	s := tp.step(time.Second)
	in := casePhysioInputs()
	in.PvO2 = math.NaN()
	want := physio.Compute(in, tp.Settings().Constants)
	for _, id := range []channel.ID{channel.DerivedCvO2, channel.DerivedVO2, channel.DerivedVO2i, channel.DerivedO2ER, channel.DerivedRQ} {
		r := s.Reading(id)
		if !r.OK() || r.Value != resultValue(id, want) || s.Derivation(id).Flags != FlagPvO2AssumedZero {
			t.Errorf("%v = %+v flags %b, want %v flagged", id, r, s.Derivation(id).Flags, resultValue(id, want))
		}
	}
	if f := s.Derivation(channel.DerivedCaO2).Flags; f != 0 {
		t.Errorf("CaO2 flagged %b", f)
	}
}

// TestInputTable checks derivedInputs against physio.Compute itself: with
// every input, every derived value is OK; taking away one role's channel
// makes exactly the values listed as depending on it fail (PvO2 aside,
// which is optional), and changes no other value.
func TestInputTable(t *testing.T) {
	if NumDerived != len(derivedInputs) {
		t.Fatal("table size")
	}
	for _, c := range channel.All() {
		inRange := c.ID >= channel.DerivedBSA && c.ID <= channel.DerivedRewarmRate
		if c.Derived() != inRange {
			t.Fatalf("%s: derived channels must be contiguous from DerivedBSA to DerivedRewarmRate", c.Name)
		}
		if inRange && len(DerivedInputs(c.ID)) == 0 || len(DerivedInputs(c.ID)) > MaxInputs {
			t.Fatalf("%s: %d inputs", c.Name, len(DerivedInputs(c.ID)))
		}
	}
	full := func(skip channel.ID) *Snapshot {
		tp := newTest(t, func(s *Settings) { s.HbFromHct = false; s.RewarmWindow = 10 * time.Second }, allSources...)
		for sec := range 11 {
			tp.putCase(time.Duration(sec)*time.Second, skip)
		}
		return tp.step(10 * time.Second)
	}
	all := full(0)
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		if !all.Reading(id).OK() {
			t.Fatalf("%v not OK with every input: %+v", id, all.Reading(id))
		}
	}
	for _, in := range caseInputs {
		role := RoleNone
		for r := RoleHeight; r < numRoles; r++ {
			if candidates[r][0].ch == in.ch {
				role = r
				break
			}
		}
		s := full(in.ch)
		for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
			listed := slices.Contains(DerivedInputs(id), role)
			r := s.Reading(id)
			switch {
			case listed && !Optional(id, role):
				if r.OK() {
					t.Errorf("%v is OK without %v", id, in.ch)
				}
			case listed: // optional
				if !r.OK() {
					t.Errorf("%v failed without the optional %v", id, in.ch)
				}
			default:
				if !reflect.DeepEqual(r, all.Reading(id)) {
					t.Errorf("%v changed without %v, which it does not list: %+v vs %+v", id, in.ch, r, all.Reading(id))
				}
			}
		}
	}
}

func TestDerivedQualityReasons(t *testing.T) {
	// The plain factor 1.316 of the figures below, not the STPD one.
	tp := newTest(t, func(s *Settings) { s.RoomTempC = math.NaN() }, allSources...)
	tp.putCase(0)
	tp.putQ("pump", channel.PumpFlow, time.Second, 9.5, channel.OK) // beyond 8 L/min
	s := tp.step(time.Second)
	if r := s.Reading(channel.DerivedDO2i); r.Quality != channel.OutOfRange || !math.IsNaN(r.Value) {
		t.Fatalf("DO2i with an out-of-range flow: %+v", r)
	}
	// Zero flow: SVR is not computable although every input is there.
	tp.put("pump", channel.PumpFlow, 2*time.Second, 0)
	s = tp.step(2 * time.Second)
	if r := s.Reading(channel.DerivedSVR); r.Quality != channel.Unavailable || r.OK() {
		t.Fatalf("SVR at zero flow: %+v", r)
	}
	if r := s.Reading(channel.DerivedDO2i); !r.OK() || r.Value != 0 {
		t.Fatalf("DO2i at zero flow: %+v", r)
	}
	// A result outside the derived channel's plausible range is not shown.
	tp.put("gas", channel.GasSweep, 3*time.Second, 15)
	tp.put("gas", channel.GasExhaustCO2, 3*time.Second, 100)
	tp.put("pump", channel.PumpFlow, 3*time.Second, 4.4)
	s = tp.step(3 * time.Second)
	// VCO2 = 15 × 100 × 1.316 = 1974 mL/min is within its range, VCO2i =
	// 1009 mL/min/m² is not.
	if r := s.Reading(channel.DerivedVCO2); !r.OK() {
		t.Fatalf("VCO2: %+v", r)
	}
	if r := s.Reading(channel.DerivedVCO2i); r.Quality != channel.OutOfRange || r.OK() || !math.IsNaN(r.Value) {
		t.Fatalf("VCO2i: %+v", r)
	}
}

// The rewarming rate is the patient's core temperature's (nasopharyngeal,
// else bladder), fitted over the window: the alarm, the tile and the report
// read this one value (issue 16). The outlet, rising faster, is not it.
func TestRewarmRate(t *testing.T) {
	tp := newTest(t, nil, "heater", "monitor")
	// Core temperature rising 0.25 °C/min, a sample every 2 s; the outlet
	// twice as fast.
	for sec := 0; sec <= 600; sec += 2 {
		at := time.Duration(sec) * time.Second
		tp.put("monitor", channel.TempNasopharyngeal, at, 30+0.25*float64(sec)/60)
		tp.put("heater", channel.TempArterialOutlet, at, 32+0.5*float64(sec)/60)
		tp.put("heater", channel.TempVenousInlet, at, 28)
		s := tp.step(at)
		r := s.Reading(channel.DerivedRewarmRate)
		switch {
		case sec < 150: // less than half the 5-minute window
			if r.OK() {
				t.Fatalf("rate after %d s: %+v", sec, r)
			}
		case sec >= 300:
			if !r.OK() || !near(r.Value, 0.25, 1e-4) || r.Time != t0.Add(at).UnixNano() {
				t.Fatalf("rate after %d s: %+v, want 0.25 °C/min now", sec, r)
			}
		}
	}
	// The probe goes quiet: no rate from old history.
	if r := tp.step(10*time.Minute + 31*time.Second).Reading(channel.DerivedRewarmRate); r.OK() || r.Quality != channel.Stale {
		t.Fatalf("rate without a fresh core temperature: %+v", r)
	}
	// Without a nasopharyngeal probe, the bladder's.
	tb := newTest(t, nil, "monitor")
	for sec := 0; sec <= 300; sec += 2 {
		at := time.Duration(sec) * time.Second
		tb.put("monitor", channel.TempBladder, at, 31+0.4*float64(sec)/60)
		if r := tb.step(at).Reading(channel.DerivedRewarmRate); sec == 300 && (!r.OK() || !near(r.Value, 0.4, 1e-4)) {
			t.Fatalf("bladder rate after %d s: %+v", sec, r)
		}
	}
}

// TestDerivedTimeIgnoresUntimedInputs: height and weight are typed in once at
// the start of the case and never go stale; a derived value that uses BSA is
// as old as its measured inputs, not as old as the case set-up. BSA itself,
// which has only untimed inputs, keeps their time.
func TestDerivedTimeIgnoresUntimedInputs(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.put("manual", channel.PatientHeight, 0, 175)
	tp.put("manual", channel.PatientWeight, 0, 80)
	tp.putCase(40*time.Minute, channel.PatientHeight, channel.PatientWeight)
	s := tp.step(40*time.Minute + time.Second)
	at := t0.Add(40 * time.Minute).UnixNano()
	for _, id := range []channel.ID{channel.DerivedFlowIndex, channel.DerivedDO2i, channel.DerivedSVRI} {
		r := s.Reading(id)
		if r.Quality != channel.OK || r.Time != at {
			t.Errorf("%s: quality %v time %v, want ok at the measured inputs' time %v", s.Channel(id).Name, r.Quality, r.Time, at)
		}
	}
	if r := s.Reading(channel.DerivedBSA); r.Quality != channel.OK || r.Time != t0.UnixNano() {
		t.Errorf("bsa: quality %v time %v, want ok at the set-up time", r.Quality, r.Time)
	}
}

func TestAddDerived(t *testing.T) {
	var s channel.Set
	for _, id := range []channel.ID{channel.PumpFlow, channel.PatientHeight, channel.PatientWeight,
		channel.InlineHct, channel.InlineArtSO2, channel.InlineArtPO2, channel.InlineVenSO2} {
		s.Add(id)
	}
	AddDerived(&s)
	for _, id := range []channel.ID{channel.DerivedBSA, channel.DerivedFlowIndex, channel.DerivedCaO2,
		channel.DerivedCvO2, channel.DerivedDO2i, channel.DerivedVO2i, channel.DerivedO2ER} {
		if !s.Has(id) {
			t.Errorf("%s: its inputs are provided (Hb from Hct, PvO2 optional), not added", id)
		}
	}
	for _, id := range []channel.ID{channel.DerivedSVR, channel.DerivedVCO2, channel.DerivedDO2iVCO2i,
		channel.DerivedRQ, channel.DerivedAVGradient, channel.DerivedRewarmRate} {
		if s.Has(id) {
			t.Errorf("%s: an input has no source (MAP, sweep, exhaust CO2 or temperatures), added", id)
		}
	}
}

// The oxygenator's values from the case inputs, worked by hand: pre 258 −
// post 214 = 44 mmHg; 44 / 4.4 L/min = 10 mmHg/(L/min); PaO2 250 / FiO2
// 0.60 = 416.67 mmHg. A stale pressure gives no pressure drop; a flow below
// 1 L/min no resistance, but still a pressure drop.
func TestOxygenatorDerived(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(0)
	s := tp.step(time.Second)
	for _, c := range []struct {
		id   channel.ID
		want float64
	}{{channel.DerivedOxyDP, 44}, {channel.DerivedOxyResistance, 10}, {channel.DerivedOxyPF, 416.67}} {
		r := s.Reading(c.id)
		if !r.OK() || !near(r.Value, c.want, 0.01) {
			t.Errorf("%v = %+v, want %v", c.id, r, c.want)
		}
	}

	// Only the post-oxygenator pressure keeps coming: the pre-oxygenator
	// one goes stale after 5 s.
	for sec := 2; sec <= 8; sec++ {
		tp.putCase(time.Duration(sec)*time.Second, channel.PumpPreOxyPressure)
	}
	s = tp.step(8 * time.Second)
	for _, id := range []channel.ID{channel.DerivedOxyDP, channel.DerivedOxyResistance} {
		if r := s.Reading(id); r.OK() || r.Quality != channel.Stale || !math.IsNaN(r.Value) {
			t.Errorf("%v with a stale pre-oxygenator pressure: %+v, want no value (stale)", id, r)
		}
	}
	if r := s.Reading(channel.DerivedOxyPF); !r.OK() {
		t.Errorf("P/F does not use the pressures: %+v", r)
	}

	tp.putCase(9 * time.Second)
	tp.put("pump", channel.PumpFlow, 9*time.Second, 0.5)
	s = tp.step(9 * time.Second)
	if r := s.Reading(channel.DerivedOxyResistance); r.OK() || !math.IsNaN(r.Value) {
		t.Errorf("resistance at 0.5 L/min: %+v, want no value", r)
	}
	if r := s.Reading(channel.DerivedOxyDP); !r.OK() || !near(r.Value, 44, 1e-9) {
		t.Errorf("pressure drop at 0.5 L/min: %+v, want 44", r)
	}
}

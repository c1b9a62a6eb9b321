package sim

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// The ECMO gas-exchange formulas of deriveECMO on numbers worked by hand.
func TestECMOContentWorkedExamples(t *testing.T) {
	// VV: Cpost 14.6 mL/dL (Hb 10, SO2 100 %, PO2 398: 1.34×10 + 0.003×398),
	// Ccap 13.4, shunt 0.5, the effective ECMO flow 61 % of the cardiac
	// output (4.5 L/min × 0.9 / 6.65), a–v difference 3.14 mL/dL
	// (VO2 209 / (10 × 6.65)):
	//   numerator   0.5×0.61×14.6 − 0.5×0.39×3.14 + 0.5×13.4
	//             = 4.453 − 0.6123 + 6.7 = 10.5407
	//   denominator 1 − 0.5×0.39 = 0.805
	//   Ca = 10.5407 / 0.805 = 13.0940 mL/dL
	assert.InDelta(t, 13.0940, vvArterialContent(14.6, 13.4, 0.5, 0.61, 3.14), 1e-4)
	// No ECMO flow (a = 0): Ca = Ccap − Sh/(1−Sh)·d = 13.4 − 3.14 = 10.26,
	// the shunted lungs alone.
	assert.InDelta(t, 10.26, vvArterialContent(14.6, 13.4, 0.5, 0, 3.14), 1e-9)
	// All the venous return through the oxygenator (a = 1): the lungs
	// see only return blood, Ca = 0.5×14.6 + 0.5×13.4 = 14.0, whatever d.
	assert.InDelta(t, 14.0, vvArterialContent(14.6, 13.4, 0.5, 1, 3.14), 1e-9)
	// The drainage blood with 10 % recirculation: Cv = 13.094 − 3.14 =
	// 9.954; Cpre = 0.1×14.6 + 0.9×9.954 = 1.46 + 8.9586 = 10.4186 —
	// above the patient's venous blood.
	assert.InDelta(t, 10.4186, preOxyContent(14.6, 9.954, 0.1), 1e-4)
	// VA: Cpost 15.7, Ccap 14.4, shunt 0.2, the pump's share of the
	// systemic flow 0.635 (3.2 of 5.04 L/min), d 3.77 (VO2 190 / 50.4):
	//   numerator   0.635×15.7 − 0.365×0.2×3.77 + 0.365×0.8×14.4
	//             = 9.9695 − 0.27521 + 4.2048 = 13.89909
	//   denominator 1 − 0.365×0.2 = 0.927
	//   Ca = 13.89909 / 0.927 = 14.9936 mL/dL
	assert.InDelta(t, 14.9936, vaArterialContent(15.7, 14.4, 0.2, 0.635, 3.77), 1e-4)
	// No pump flow: the same shunted lungs as VV, Ca = 14.4 − 0.25×3.77.
	assert.InDelta(t, 14.4-0.25*3.77, vaArterialContent(15.7, 14.4, 0.2, 0, 3.77), 1e-9)
}

// withFlow returns a copy of the built-in ECMO scenario name with its
// flow set to lpm.
func withFlow(t *testing.T, name string, lpm float64) *Scenario {
	sc := *builtin(t, name)
	e := *sc.ECMO
	e.FlowLpm = lpm
	sc.ECMO = &e
	return &sc
}

// VA supports the circulation, VV only the gas exchange: more VA flow
// raises the MAP (by the systemic flow it adds × SVR) and narrows the
// pulse pressure; more VV flow leaves the MAP to the heart and raises the
// patient's saturation. The VV drainage blood, recirculation mixed in,
// reads above the patient's venous blood; the VA drainage is that blood.
func TestECMOModesDiffer(t *testing.T) {
	at := 2 * time.Hour
	vaLo, vaHi := stateAt(NewScenario(withFlow(t, "ecmo-va", 2.5), t0, 1), at), stateAt(NewScenario(withFlow(t, "ecmo-va", 4.0), t0, 1), at)
	require.True(t, vaLo.OnECMO && vaHi.OnECMO)
	// MAP − CVP = systemic flow × SVR / 80 at each flow (perfusion.md §2);
	// the same seed walks the same SVR.
	k := physio.DefaultConstants().SVRFactor
	for _, s := range []State{vaLo, vaHi} {
		systemic := s.FlowLpm + 1.1*s.BSA*math.Max(0.2, 1-nativeAfterload*s.FlowLpm)
		assert.InDelta(t, systemic*s.SVR/k, s.MAP-s.CVP, 0.01*s.MAP, "VA: the pump's flow is in the MAP")
	}
	assert.Greater(t, vaHi.MAP, vaLo.MAP+10, "VA: more flow, more pressure")
	assert.Less(t, vaHi.Sys-vaHi.Dia, vaLo.Sys-vaLo.Dia-2, "VA: the pulse pressure narrows with flow")
	assert.Less(t, vaHi.Sys-vaHi.Dia, 20.0)
	assert.Equal(t, vaLo.SvO2, vaLo.PreSO2, "VA: the drainage is the mixed venous blood")

	vvLo, vvHi := stateAt(NewScenario(withFlow(t, "ecmo-vv", 3.0), t0, 1), at), stateAt(NewScenario(withFlow(t, "ecmo-vv", 5.5), t0, 1), at)
	assert.InDelta(t, vvLo.MAP, vvHi.MAP, 0.5, "VV: the MAP is the heart's")
	assert.Greater(t, vvHi.Sys-vvHi.Dia, 30.0, "VV: a native pulse pressure")
	assert.Greater(t, vvHi.SaO2, vvLo.SaO2+3, "VV: SaO2 follows the ECMO flow's share of the cardiac output")
	for _, s := range []State{vvLo, vvHi} {
		assert.Greater(t, s.PreSO2, s.SvO2+2, "VV: recirculation lifts the drainage saturation above the venous")
	}
	t.Logf("VA 2.5 → 4.0 L/min: MAP %.0f → %.0f, pulse pressure %.0f → %.0f mmHg; VV 3.0 → 5.5 L/min: MAP %.0f → %.0f, SaO2 %.1f → %.1f %%, SvO2 %.1f, pre-oxygenator %.1f %%",
		vaLo.MAP, vaHi.MAP, vaLo.Sys-vaLo.Dia, vaHi.Sys-vaHi.Dia, vvLo.MAP, vvHi.MAP, vvLo.SaO2, vvHi.SaO2, vvHi.SvO2, vvHi.PreSO2)
}

// An ECMO run goes on for days at 37 °C with no bypass events: the
// circuit starts once, the team checks the ACT every 2 h (titrating the
// heparin infusion into 180–220 s), an aPTT every 6 h and a gas every 4 h;
// every sample is in its channel's range; the Hct and temperature hold.
func TestECMOLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("three simulated days per mode")
	}
	for _, name := range []string{"ecmo-vv", "ecmo-va"} {
		t.Run(name, func(t *testing.T) {
			sc := builtin(t, name)
			c := NewScenario(sc, t0, 1)
			kinds := map[string]int{}
			var acts []float64
			aptt := 0
			c.OnEvent(func(e Event) {
				kinds[e.Kind]++
				switch {
				case e.Kind == "act" && e.Time > t0.Add(12*time.Hour).UnixNano():
					acts = append(acts, e.Fields[0].Num)
				case e.Kind == "note" && strings.Contains(e.Text, "aPTT"):
					aptt++
				}
			})
			var inlet, outOfRange int
			var tMin, tMax = math.Inf(1), math.Inf(-1)
			var day1 State
			emit := func(src Source, s monitor.Sample) {
				if s.Channel == channel.PumpInletPressure {
					inlet++
				}
				if s.Quality == channel.OK && !channel.Get(s.Channel).InRange(s.Value) {
					// Only the arterial-line flush artefact may (300 mmHg
					// for 8 s, about every 90 min).
					if !slices.Contains([]channel.ID{channel.PatientMAP, channel.PatientSys, channel.PatientDia}, s.Channel) || s.Value < 290 {
						outOfRange++
						t.Errorf("%s = %v out of range at %v", channel.Get(s.Channel).Name, s.Value, time.Duration(s.Time-t0.UnixNano()))
					}
				}
			}
			for h := 1; h <= 72; h++ {
				c.AdvanceTo(t0.Add(time.Duration(h)*time.Hour), emit)
				s := c.State()
				tMin, tMax = min(tMin, s.TCore), max(tMax, s.TCore)
				if h == 24 {
					day1 = s
				}
			}
			day3 := c.State()
			assert.Equal(t, 1, kinds["ecmo_start"])
			assert.Equal(t, 1, kinds["ecmo_config"])
			for _, k := range []string{"on_bypass", "off_bypass", "clamp_on", "clamp_off", "cardioplegia", "arrest_start", "cool", "rewarm"} {
				assert.Zero(t, kinds[k], "no %s on ECMO", k)
			}
			assert.GreaterOrEqual(t, len(acts), 29, "an ACT every 2 h over days 1.5–3")
			for _, a := range acts {
				assert.InDelta(t, 200, a, 50, "the infusion keeps the ACT near 180–220 s")
			}
			assert.GreaterOrEqual(t, aptt, 11, "an aPTT every 6 h")
			assert.GreaterOrEqual(t, kinds["blood_gas"], 17, "a gas every 4 h")
			assert.Greater(t, inlet, 72*3600-20*60, "the drainage line's pressure every second on the circuit")
			assert.Zero(t, outOfRange)
			assert.GreaterOrEqual(t, tMin, 36.4)
			assert.LessOrEqual(t, tMax, 37.2)
			assert.InDelta(t, day1.Hct, day3.Hct, 0.2, "the volume holds over days")
			assert.InDelta(t, day1.SaO2, day3.SaO2, 1)
			assert.InDelta(t, 40, day3.PaCO2, 5, "the sweep titrated to the PaCO2")
			assert.Less(t, day3.Lactate, 1.5)
			assert.True(t, day3.HeparinRate >= 10 && day3.HeparinRate <= 40, "infusion %v IU/kg/h", day3.HeparinRate)
			t.Logf("%s day 3: flow %.1f L/min, MAP %.0f, SaO2 %.1f, SvO2 %.1f, pre-oxygenator SO2 %.1f, PaCO2 %.1f, sweep %.1f, heparin %.0f IU/kg/h, ACT %.0f s, T %.2f °C, %d ACTs and %d aPTTs",
				name, day3.FlowLpm, day3.MAP, day3.SaO2, day3.SvO2, day3.PreSO2, day3.PaCO2, day3.Sweep, day3.HeparinRate, day3.ACT, day3.TCore, kinds["act"], aptt)
		})
	}
}

// sign is one change a fault should make, as the console sees it: the
// first time the snapshot's value stays 10 s past its mark against its
// mean over the minute before the trigger (rel: a fraction of that mean,
// else delta: an absolute change; the sign of either is the direction).
type sign struct {
	ch         channel.ID
	rel, delta float64
	base       []float64
	run        int
	at         time.Duration // from the trigger; 0: never
}

func (g *sign) see(now, trigger time.Duration, s *monitor.Snapshot) {
	rd := s.Reading(g.ch)
	if !rd.OK() {
		return
	}
	if now <= trigger {
		if now > trigger-time.Minute {
			g.base = append(g.base, rd.Value)
		}
		return
	}
	m := mean(g.base)
	mark, up := m+g.delta, g.delta > 0
	if g.rel != 0 {
		mark, up = m*(1+g.rel), g.rel > 0
	}
	if up && rd.Value > mark || !up && rd.Value < mark {
		g.run++
		if g.run == 10 && g.at == 0 {
			g.at = now - 9*time.Second - trigger
		}
		return
	}
	g.run = 0
}

func mean(v []float64) float64 {
	var m float64
	for _, x := range v {
		m += x
	}
	return m / float64(len(v))
}

func sd(v []float64) float64 {
	m := mean(v)
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)))
}

// ecmoFaultRun runs scenario name through the pipeline to trigger, then
// fault for window, watching signs; it returns the model's states before
// and at the end, and every second's pump flow as the console read it.
func ecmoFaultRun(t *testing.T, name, fault string, trigger, window time.Duration, signs ...*sign) (b, a State, flow map[time.Duration]float64) {
	t.Helper()
	r := newConsoleRun(t, builtin(t, name))
	flow = map[time.Duration]float64{}
	r.each = func(now time.Duration, s *monitor.Snapshot) {
		for _, g := range signs {
			g.see(now, trigger, s)
		}
		if rd := s.Reading(channel.PumpFlow); rd.OK() {
			flow[now] = rd.Value
		}
	}
	r.runTo(trigger)
	b = r.c.State()
	require.True(t, b.OnECMO)
	require.NoError(t, r.c.Trigger(fault))
	r.runTo(trigger + window)
	return b, r.c.State(), flow
}

func between(m map[time.Duration]float64, from, to time.Duration) []float64 {
	var out []float64
	for d := from; d <= to; d += time.Second {
		if v, ok := m[d]; ok {
			out = append(out, v)
		}
	}
	return out
}

// TestECMOFaults: each ECMO fault moves what it should, in the order a
// perfusionist sees it, with the times measured from the trigger (the
// report lists them: go test -run TestECMOFaults -v ./devices/sim).
func TestECMOFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ECMO cases through the pipeline")
	}
	const at, window = 90 * time.Minute, 10 * time.Minute
	t.Run("recirculation/vv", func(t *testing.T) {
		// The return jet drawn back into the drainage: the pre-oxygenator
		// saturation rises (it looks better) while the patient's falls at
		// the same flow; the true venous saturation falls too.
		pre := &sign{ch: channel.InlineVenSO2, delta: 3}
		spo2 := &sign{ch: channel.PatientSpO2, delta: -2}
		b, a, flow := ecmoFaultRun(t, "ecmo-vv", "recirculation", at, window, pre, spo2)
		t.Logf("from the trigger: pre-oxygenator SO2 +3 at %v, SpO2 −2 at %v; recirculation %.0f → %.0f %%, pre-oxygenator SO2 %.1f → %.1f, SaO2 %.1f → %.1f, SvO2 %.1f → %.1f, PaCO2 %.1f → %.1f",
			pre.at, spo2.at, 100*b.Recirculation, 100*a.Recirculation, b.PreSO2, a.PreSO2, b.SaO2, a.SaO2, b.SvO2, a.SvO2, b.PaCO2, a.PaCO2)
		require.NotZero(t, pre.at, "the drainage saturation rises")
		require.NotZero(t, spo2.at, "the patient's SpO2 falls")
		assert.Less(t, pre.at, 3*time.Minute)
		assert.Less(t, spo2.at, 3*time.Minute)
		assert.InDelta(t, mean(between(flow, at-time.Minute, at)), mean(between(flow, at+window-time.Minute, at+window)), 0.05, "at the same flow")
		assert.Greater(t, a.Recirculation, b.Recirculation+0.25)
		assert.Less(t, a.SaO2, b.SaO2-4)
		assert.Less(t, a.SvO2, b.SvO2-2, "the venous blood the drainage no longer shows")
		assert.Greater(t, a.PreSO2, b.PreSO2+4)
		assert.Greater(t, a.PaCO2, b.PaCO2+1, "recirculated blood brings the membrane less CO2")
		assert.InDelta(t, b.MAP, a.MAP, 10, "nothing circulatory")
	})
	t.Run("recirculation/va", func(t *testing.T) {
		// A VA run drains venous blood and returns it to an artery: none
		// comes straight back.
		b, a, _ := ecmoFaultRun(t, "ecmo-va", "recirculation", at, window)
		assert.Zero(t, a.Recirculation)
		assert.InDelta(t, b.SaO2, a.SaO2, 0.5)
		assert.InDelta(t, b.PreSO2, a.PreSO2, 1)
	})
	for _, name := range []string{"ecmo-vv", "ecmo-va"} {
		t.Run("drainage-insufficiency/"+name, func(t *testing.T) {
			// The inlet's suction deepens first, then the flow falls and
			// chatters at the same pump speed.
			inlet := &sign{ch: channel.PumpInletPressure, delta: -10}
			if name == "ecmo-va" {
				inlet.delta = -5 // a VA run's lower flow draws less suction
			}
			fl := &sign{ch: channel.PumpFlow, rel: -0.1}
			b, a, flow := ecmoFaultRun(t, name, "drainage-insufficiency", at, window, inlet, fl)
			before, after := sd(between(flow, at-5*time.Minute, at)), sd(between(flow, at+5*time.Minute, at+window))
			t.Logf("%s from the trigger: inlet pressure %+.0f mmHg at %v, flow −10 %% at %v; inlet %.0f → %.0f mmHg, flow %.2f → %.2f L/min (SD %.3f → %.3f), speed %.0f → %.0f rpm, MAP %.0f → %.0f, SaO2 %.1f → %.1f",
				name, inlet.delta, inlet.at, fl.at, b.InletPressure, a.InletPressure, b.FlowLpm, mean(between(flow, at+5*time.Minute, at+window)), before, after, b.PumpSpeed, a.PumpSpeed, b.MAP, a.MAP, b.SaO2, a.SaO2)
			require.NotZero(t, inlet.at, "the inlet pressure goes more negative")
			require.NotZero(t, fl.at, "the flow falls")
			assert.Less(t, inlet.at, fl.at, "the suction deepens before the flow falls")
			assert.Less(t, fl.at, 2*time.Minute)
			assert.Greater(t, after, 5*before, "the flow chatters")
			assert.Less(t, mean(between(flow, at+5*time.Minute, at+window)), 0.8*b.FlowLpm)
			assert.Less(t, a.InletPressure, b.InletPressure-20)
			assert.Equal(t, b.PumpSpeed, a.PumpSpeed, "at the same pump speed")
			if name == "ecmo-va" {
				assert.Less(t, a.MAP, b.MAP-8, "VA: less flow, less pressure")
			} else {
				assert.InDelta(t, b.MAP, a.MAP, 10, "VV: the MAP is the heart's")
				assert.Less(t, a.SaO2, b.SaO2-2, "VV: less flow, less oxygen")
			}
		})
		t.Run("oxygenator-failure/"+name, func(t *testing.T) {
			// The oxygenator's own figures move first: its pressure drop
			// rises, the post-oxygenator pO2 (the in-line arterial cell on
			// the return line) falls; the patient's saturation (VV) or the
			// venous blood draining back (VA) only later.
			dp := &sign{ch: channel.DerivedOxyDP, rel: 0.2}
			post := &sign{ch: channel.InlineArtPO2, rel: -0.2}
			late := &sign{ch: channel.PatientSpO2, delta: -3}
			if name == "ecmo-va" {
				late = &sign{ch: channel.InlineVenSO2, delta: -5}
			}
			b, a, _ := ecmoFaultRun(t, name, "oxygenator-failure", at, 15*time.Minute, dp, post, late)
			t.Logf("%s from the trigger: pressure drop +20 %% at %v, post-oxygenator pO2 −20 %% at %v, %s at %v; drop %.0f → %.0f mmHg, post-oxygenator pO2 %.0f → %.0f, SaO2 %.1f → %.1f, SvO2 %.1f → %.1f",
				name, dp.at, post.at, channel.Get(late.ch).Name, late.at, b.OxyDP, a.OxyDP, b.PostPO2, a.PostPO2, b.SaO2, a.SaO2, b.SvO2, a.SvO2)
			require.NotZero(t, dp.at)
			require.NotZero(t, post.at)
			require.NotZero(t, late.at)
			assert.Less(t, dp.at, late.at)
			assert.Less(t, post.at, late.at)
			assert.Greater(t, a.OxyDP, 2*b.OxyDP)
			assert.Less(t, a.PostPO2, 80.0)
		})
	}
}

// TestECMOFaultAlarms: the alarms each ECMO fault raises under the
// default profile, with an ECMO run's circuit taken as the bypass phase
// (what the default rules know of a running circuit) and the NIRS
// baselines from the run's pre-ECMO nirs_baseline entry, beyond what the
// same run raises without it. The default profile is a bypass console's:
// it raises the oxygenator's alarms, and for the other faults only their
// consequences (cerebral oximetry, PaCO2, DO2i); needs lists what an ECMO
// profile should catch them by (docs/simulator.md lists both).
func TestECMOFaultAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ECMO cases through the pipeline and the alarm engine")
	}
	const at, window = 90 * time.Minute, 12 * time.Minute
	cases := []struct {
		scenario, fault string
		alarms          map[string]time.Duration // each must be raised within its time
		needs           []string
	}{
		{"ecmo-vv", "recirculation", map[string]time.Duration{"nirs_low_right": 3 * time.Minute},
			[]string{"patient SpO2 low on the circuit", "pre-oxygenator SO2 rising while SaO2 falls (recirculation)"}},
		{"ecmo-vv", "drainage-insufficiency", map[string]time.Duration{"do2i_low": 3 * time.Minute},
			[]string{"inlet pressure below its limit", "flow below the set flow at the same pump speed", "flow variability (chatter)"}},
		{"ecmo-va", "drainage-insufficiency", map[string]time.Duration{"do2i_vco2i_low": 5 * time.Minute},
			[]string{"inlet pressure below its limit", "flow below the set flow at the same pump speed", "MAP low on VA"}},
		{"ecmo-vv", "oxygenator-failure", map[string]time.Duration{"oxy_clotting": 3 * time.Minute, "oxy_pf_low": 5 * time.Minute, "pao2_low": 8 * time.Minute}, nil},
		{"ecmo-va", "oxygenator-failure", map[string]time.Duration{"oxy_clotting": 3 * time.Minute, "oxy_pf_low": 5 * time.Minute, "pao2_low": 8 * time.Minute}, nil},
	}
	bases := map[string]*consoleRun{}
	for _, c := range cases {
		if bases[c.scenario] == nil {
			b := newConsoleRun(t, builtin(t, c.scenario))
			b.baselines = true
			b.runTo(at + window)
			bases[c.scenario] = b
		}
		t.Run(c.scenario+"/"+c.fault, func(t *testing.T) {
			r := newConsoleRun(t, builtin(t, c.scenario))
			r.baselines = true // the pre-ECMO baseline: a run's NIRS is judged against it
			r.runTo(at)
			require.NoError(t, r.c.Trigger(c.fault))
			r.runTo(at + window)
			got := r.activeBetween(at, at+window)
			for id := range bases[c.scenario].activeBetween(at, at+window) {
				delete(got, id)
			}
			t.Logf("%s %s raises (from the trigger) %v; an ECMO profile also needs: %s", c.scenario, c.fault, relative(got, at), strings.Join(c.needs, "; "))
			for id, limit := range c.alarms {
				if assert.Contains(t, got, id) {
					assert.LessOrEqual(t, got[id]-at, limit, "%s raised %v after the trigger", id, got[id]-at)
				}
			}
			for _, id := range slices.Sorted(maps.Keys(got)) {
				// Every other alarm it raises is one of its consequences'.
				assert.True(t, strings.HasPrefix(id, "nirs_") || slices.Contains([]string{"paco2_band", "do2i_low", "do2i_vco2i_low", "pao2_low", "oxy_pf_low", "oxy_clotting"}, id),
					"%s raises %s", c.fault, id)
			}
		})
	}
}

const ecmoHead = `
name = "x"
duration = "2h"
[patient]
height_cm = 170
weight_kg = 70
sex = "female"
hct_pre_pct = 30
[circuit]
prime_ml = 600
`

// An ECMO scenario is checked whole: its configuration as the case
// set-up's entry would be, and its timeline (one ecmo_start, no bypass).
func TestECMOScenarioValidation(t *testing.T) {
	ecmo := func(mode, dr, rt, extra string) string {
		return ecmoHead + "[ecmo]\nmode = \"" + mode + "\"\ndrainage = \"" + dr + "\"\nreturn = \"" + rt + "\"\nflow_lpm = 4\nsweep_lpm = 3\nnative_ci = 2\n" + extra
	}
	start := "[[event]]\nat = \"5m\"\nkind = \"ecmo_start\"\n"
	for _, c := range []struct {
		name, file, want string // want: "" valid, else a fragment of the error
	}{
		{"vv", ecmo("vv", "femoral_vein", "jugular_vein", "recirculation_pct = 15\n") + start, ""},
		{"va central", ecmo("va", "right_atrium", "aorta", "") + start, ""},
		{"no mode", ecmo("", "femoral_vein", "jugular_vein", "") + start, "ecmo.mode: missing"},
		{"vv into an artery", ecmo("vv", "femoral_vein", "femoral_artery", "") + start, "ecmo.return"},
		{"va into a vein", ecmo("va", "femoral_vein", "jugular_vein", "") + start, "ecmo.return"},
		{"dual lumen at one end", ecmo("vv", "dual_lumen_jugular", "jugular_vein", "") + start, "dual-lumen"},
		{"recirculation in va", ecmo("va", "femoral_vein", "femoral_artery", "recirculation_pct = 10\n") + start, "ecmo.recirculation_pct"},
		{"act range upside down", ecmo("vv", "femoral_vein", "jugular_vein", "act_low_s = 220\nact_high_s = 180\n") + start, "ecmo.act_high_s"},
		{"no ecmo_start", ecmo("vv", "femoral_vein", "jugular_vein", ""), "needs an ecmo_start"},
		{"two starts", ecmo("vv", "femoral_vein", "jugular_vein", "") + start + start, "already on ECMO"},
		{"bypass in an ECMO run", ecmo("vv", "femoral_vein", "jugular_vein", "") + start + "[[event]]\nat = \"9m\"\nkind = \"bypass_on\"\n", "bypass_on in an ECMO scenario"},
		{"ecmo_start without [ecmo]", ecmoHead + start, "needs an [ecmo] table"},
		{"fio2 before the start", ecmo("vv", "femoral_vein", "jugular_vein", "") + "[[event]]\nat = \"1m\"\nkind = \"fio2\"\nfio2_pct = 80\n" + start, "fio2 needs bypass or ECMO"},
		{"unknown key", ecmo("vv", "femoral_vein", "jugular_vein", "flow = 3\n") + start, "ecmo.flow: unknown key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, err := ParseScenario("x.toml", []byte(c.file))
			if c.want == "" {
				require.NoError(t, err)
				require.NotNil(t, sc.ECMO)
				return
			}
			require.Error(t, err)
			assert.Nil(t, sc)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// The extremes the format allows run without a value turning into NaN.
func TestECMOExtremesStayNumbers(t *testing.T) {
	for _, extra := range []string{
		"mode = \"vv\"\ndrainage = \"femoral_vein\"\nreturn = \"jugular_vein\"\nflow_lpm = 7\nsweep_lpm = 10\nnative_ci = 0.5\nlung_shunt_pct = 80\nrecirculation_pct = 50\n",
		"mode = \"va\"\ndrainage = \"femoral_vein\"\nreturn = \"femoral_artery\"\nflow_lpm = 1\nsweep_lpm = 0.5\nnative_ci = 5\nlung_shunt_pct = 0\npaco2_pre = 100\n",
		"mode = \"va\"\ndrainage = \"femoral_vein\"\nreturn = \"femoral_artery\"\nflow_lpm = 7\nsweep_lpm = 0.5\nnative_ci = 0.5\nlung_shunt_pct = 80\n",
	} {
		sc, err := ParseScenario("x.toml", []byte(ecmoHead+"[ecmo]\n"+extra+"[[event]]\nat = \"5m\"\nkind = \"ecmo_start\"\n"))
		require.NoError(t, err)
		c := NewScenario(sc, t0, 1)
		for _, f := range []string{"", "recirculation", "drainage-insufficiency", "oxygenator-failure", "gas-supply-failure"} {
			if f != "" {
				require.NoError(t, c.Trigger(f))
			}
			s := stateAt(c, c.Now().Sub(t0)+30*time.Minute)
			for name, v := range map[string]float64{"SaO2": s.SaO2, "SvO2": s.SvO2, "pre-oxygenator SO2": s.PreSO2, "PaCO2": s.PaCO2, "MAP": s.MAP, "inlet": s.InletPressure, "lactate": s.Lactate} {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s with %q: %s = %v", sc.ECMO.Mode, f, name, v)
			}
		}
	}
}

// The bypass faults that act on an ECMO run too (docs/format/scenario.md)
// do; the bypass circuit's own change nothing.
func TestECMOSharedFaults(t *testing.T) {
	const at = 90 * time.Minute
	run := func(name, fault string, d time.Duration) (b, a State) {
		c := NewScenario(builtin(t, name), t0, 2)
		b = stateAt(c, at)
		require.NoError(t, c.Trigger(fault))
		return b, stateAt(c, at+d)
	}
	b, a := run("ecmo-vv", "gas-supply-failure", 10*time.Minute)
	assert.Zero(t, a.Sweep)
	assert.Less(t, a.PostPO2, 60.0, "no fresh gas, no transfer")
	assert.Less(t, a.SaO2, b.SaO2-5)
	assert.Greater(t, a.PaCO2, b.PaCO2+10, "the membrane no longer removes CO2")
	b, a = run("ecmo-va", "vasoplegia", 15*time.Minute)
	assert.Less(t, a.MAP, b.MAP*0.75, "VA: SVR halves at the same flow")
	assert.InDelta(t, b.FlowLpm, a.FlowLpm, 0.1)
	b, a = run("ecmo-vv", "inadequate-heparin", time.Minute)
	assert.Less(t, a.ACT, b.ACT-25)
	for _, f := range []string{"venous-air-lock", "low-reservoir", "rewarm-too-fast", "hypoperfusion"} {
		b, a = run("ecmo-vv", f, 10*time.Minute)
		assert.InDelta(t, b.FlowLpm, a.FlowLpm, 0.1, "%s on ECMO", f)
		assert.InDelta(t, b.TCore, a.TCore, 0.1, "%s on ECMO", f)
		assert.InDelta(t, b.SaO2, a.SaO2, 0.5, "%s on ECMO", f)
	}
}

package sim

import (
	"bytes"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/record"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type rec struct {
	src Source
	s   monitor.Sample
}

func collect(c *Case, until, step time.Duration) []rec {
	var out []rec
	f := func(src Source, s monitor.Sample) { out = append(out, rec{src, s}) }
	for t := t0; !t.After(t0.Add(until)); t = t.Add(step) {
		c.AdvanceTo(t, f)
	}
	c.AdvanceTo(t0.Add(until), f)
	return out
}

func builtin(t testing.TB, name string) *Scenario {
	t.Helper()
	sc, err := Builtin(name)
	require.NoError(t, err)
	return sc
}

// same compares sample lists treating NaN values as equal.
func same(a, b []rec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if math.IsNaN(x.s.Value) && math.IsNaN(y.s.Value) {
			x.s.Value, y.s.Value = 0, 0
		}
		if x != y {
			return false
		}
	}
	return true
}

func TestDeterministic(t *testing.T) {
	a := collect(New(t0, 7), 40*time.Minute, time.Second)
	b := collect(New(t0, 7), 40*time.Minute, 7*time.Second) // step size must not matter
	require.True(t, same(a, b), "same seed, different steps")
	c := collect(New(t0, 8), 40*time.Minute, time.Second)
	assert.False(t, same(a, c), "a different seed gives different noise")
}

func TestBuiltinsLoad(t *testing.T) {
	names := BuiltinNames()
	require.Contains(t, names, DefaultScenario)
	require.Contains(t, names, "valve-28c")
	require.Contains(t, names, "aortic-arch-dhca")
	for _, n := range names {
		sc := builtin(t, n)
		assert.Equal(t, n, sc.Name)
		assert.NotEmpty(t, sc.Actions)
	}
}

func TestTimeOrderRatesAndRanges(t *testing.T) {
	sc := builtin(t, DefaultScenario)
	out := collect(NewScenario(sc, t0, 1), sc.Duration, time.Second)
	var last int64
	per := map[Source]map[int64]bool{}
	outOfRange := 0
	for _, r := range out {
		require.GreaterOrEqual(t, r.s.Time, last, "samples must come in time order")
		last = r.s.Time
		require.True(t, r.s.Channel.Valid())
		ch := channel.Get(r.s.Channel)
		require.False(t, ch.Derived(), "the simulator never emits derived channels")
		if per[r.src] == nil {
			per[r.src] = map[int64]bool{}
		}
		per[r.src][r.s.Time] = true
		if r.s.Quality == channel.OK && !ch.InRange(r.s.Value) {
			outOfRange++ // only the arterial-line flush artefact may do this
			assert.Contains(t, []channel.ID{channel.PatientMAP, channel.PatientSys, channel.PatientDia}, r.s.Channel,
				"%s = %v out of range at %v", ch.Name, r.s.Value, time.Duration(r.s.Time-t0.UnixNano()))
		}
		if r.s.Quality != channel.OK {
			assert.True(t, math.IsNaN(r.s.Value) || r.s.Quality == channel.Questionable, "%s: a no-value sample carries no number", ch.Name)
		}
	}
	n := int(sc.Duration / time.Second)
	assert.Equal(t, n+1, len(per[Pump]), "pump 1 Hz")
	assert.Equal(t, n+1, len(per[Oximeter]), "oximeter 1 Hz")
	assert.Equal(t, n/5+1, len(per[NIRS]), "NIRS every 5 s")
	// The in-line monitor reports every 6 s while on bypass only.
	onBypass := 0
	for _, a := range sc.Actions {
		switch a.Kind {
		case "bypass_on":
			onBypass -= int(a.At / time.Second)
		case "bypass_off":
			onBypass += int(a.At / time.Second)
		}
	}
	assert.InDelta(t, onBypass/6, len(per[Inline]), 1, "in-line every 6 s on bypass")
	assert.NotEmpty(t, per[Analyser], "blood gases were sent")
	for ts := range per[Analyser] {
		assert.Zero(t, (ts-t0.UnixNano())%int64(time.Second))
	}
}

// stateAt runs sc to at and returns the model state.
func stateAt(c *Case, at time.Duration) State {
	c.AdvanceTo(t0.Add(at), func(Source, monitor.Sample) {})
	return c.State()
}

// startKind is the action that starts sc's circuit.
func startKind(sc *Scenario) string {
	if sc.ECMO != nil {
		return "ecmo_start"
	}
	return "bypass_on"
}

func actionAt(t *testing.T, sc *Scenario, kind string) time.Duration {
	for _, a := range sc.Actions {
		if a.Kind == kind {
			return a.At
		}
	}
	t.Fatalf("%s has no %s", sc.Name, kind)
	return 0
}

// The prime dilutes the blood as physio.PredictedHct says (perfusion.md §2).
func TestPrimeHaemodilutionMatchesPrediction(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			sc := builtin(t, name)
			k := physio.DefaultConstants()
			bv := physio.BloodVolume(sc.Patient.WeightKg, k.BloodVolumeMLPerKg)
			want := physio.PredictedHct(sc.Patient.HctPrePct, bv, sc.Circuit.PrimeML, sc.Circuit.PrebypassFluidsML, 0, 0)
			on := actionAt(t, sc, startKind(sc))
			s := stateAt(NewScenario(sc, t0, 3), on+2*time.Minute)
			require.True(t, s.OnBypass || s.OnECMO)
			assert.InDelta(t, want, s.Hct, 1.0, "Hct on bypass vs predicted (%.1f %%)", want)
			assert.Less(t, s.Hct, sc.Patient.HctPrePct-3, "the prime dilutes")
		})
	}
}

func TestCoolingLowersVO2(t *testing.T) {
	sc := builtin(t, "valve-28c")
	c := NewScenario(sc, t0, 1)
	warm := stateAt(c, actionAt(t, sc, "bypass_on")+2*time.Minute)
	cold := stateAt(c, actionAt(t, sc, "rewarm")-time.Minute)
	require.Less(t, cold.TCore, warm.TCore-6, "the patient cooled")
	assert.Less(t, cold.VO2, warm.VO2*0.7, "VO2 falls with temperature")
	q10 := math.Pow(warm.VO2/cold.VO2, 10/(warm.TCore-cold.TCore))
	assert.InDelta(t, 2.5, q10, 0.5, "Q10 of the model")
	assert.Greater(t, warm.TVenous-warm.TOutlet, -1.0)
	assert.Less(t, cold.TOutlet, cold.TVenous, "cooling: outlet colder than the venous blood")
}

// Cutting the flow lowers DO2i at once, then SvO2; lactate rises while DO2i
// stays below the critical level.
func TestFlowCutLowersDO2iThenSvO2(t *testing.T) {
	sc := builtin(t, DefaultScenario)
	c := NewScenario(sc, t0, 1)
	before := stateAt(c, 40*time.Minute)
	require.NoError(t, c.Trigger("hypoperfusion"))
	soon := stateAt(c, 40*time.Minute+30*time.Second)
	later := stateAt(c, 60*time.Minute)
	assert.Less(t, soon.DO2i, before.DO2i*0.75, "DO2i falls with the flow")
	assert.Less(t, later.SvO2, before.SvO2-8, "then SvO2")
	assert.Greater(t, later.Lactate, before.Lactate+0.3, "lactate rises below critical DO2i")
	assert.Less(t, later.MAP, before.MAP, "MAP falls at the same SVR")
	require.NoError(t, c.Clear("hypoperfusion"))
	after := stateAt(c, 70*time.Minute)
	assert.Greater(t, after.DO2i, later.DO2i*1.4, "flow restored")
}

func TestFaultsHaveTheirEffect(t *testing.T) {
	sc := builtin(t, DefaultScenario)
	type check func(t *testing.T, before, after State, got map[channel.ID][]monitor.Sample)
	cases := map[string]check{
		"oxygenator-failure": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.PaO2, 80.0)
			assert.Less(t, a.SaO2, 95.0)
		},
		"low-reservoir": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.Reservoir, b.Reservoir-400)
		},
		"vasoplegia": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.SVR, b.SVR*0.7)
			assert.Less(t, a.MAP, b.MAP*0.8)
		},
		"inadequate-heparin": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.ACT, sc.Circuit.ACTTarget)
		},
		"hypoperfusion": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.FlowLpm, b.FlowLpm*0.7)
		},
		"rewarm-too-fast": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.GreaterOrEqual(t, a.TOutlet, 37.0)
			assert.Greater(t, a.TOutlet-a.TVenous, 1.0, "the patient lags the circuit")
		},
		"sensor-disconnect": func(t *testing.T, b, a State, got map[channel.ID][]monitor.Sample) {
			l := got[channel.NIRSLeft]
			require.NotEmpty(t, l)
			assert.Equal(t, channel.Unavailable, l[len(l)-1].Quality)
			r := got[channel.NIRSRight]
			assert.Equal(t, channel.OK, r[len(r)-1].Quality)
		},
		"cable-unplugged": func(t *testing.T, b, a State, got map[channel.ID][]monitor.Sample) {
			assert.Empty(t, got[channel.InlineHct], "the in-line monitor is silent")
		},
		// The teaching faults: TestTeachingFaults checks them in full.
		"unilateral-desaturation": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.NIRSRight, b.NIRSRight-15)
		},
		"venous-air-lock": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.FlowLpm, b.FlowLpm*0.3)
			assert.Greater(t, a.CVP, b.CVP+10)
		},
		"gas-supply-failure": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Zero(t, a.Sweep)
			assert.Less(t, a.SaO2, 80.0)
		},
		"protamine-reaction": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Less(t, a.SVR, b.SVR*0.5)
		},
		"aortic-dissection-malperfusion": func(t *testing.T, b, a State, _ map[channel.ID][]monitor.Sample) {
			assert.Greater(t, a.LinePressure, b.LinePressure+120)
		},
		// The ECMO faults (TestECMOFaults checks them on ECMO) are an ECMO
		// circuit's: on bypass the pump and the patient go on as before.
		"recirculation": func(t *testing.T, b, a State, got map[channel.ID][]monitor.Sample) {
			assert.InDelta(t, b.FlowLpm, a.FlowLpm, 0.3)
			assert.InDelta(t, b.SaO2, a.SaO2, 1)
			assert.Empty(t, got[channel.PumpInletPressure], "no drainage transducer on bypass")
		},
		"drainage-insufficiency": func(t *testing.T, b, a State, got map[channel.ID][]monitor.Sample) {
			assert.InDelta(t, b.FlowLpm, a.FlowLpm, 0.3)
			assert.InDelta(t, b.Reservoir, a.Reservoir, 300)
			assert.Empty(t, got[channel.PumpInletPressure])
		},
	}
	require.Len(t, cases, len(Faults()), "every fault is tested")
	for name, chk := range cases {
		t.Run(name, func(t *testing.T) {
			c := NewScenario(sc, t0, 5)
			before := stateAt(c, 35*time.Minute)
			require.NoError(t, c.Trigger(name))
			var events []Event
			c.OnEvent(func(e Event) { events = append(events, e) })
			got := map[channel.ID][]monitor.Sample{}
			c.AdvanceTo(t0.Add(50*time.Minute), func(_ Source, s monitor.Sample) {
				if s.Time > t0.Add(36*time.Minute).UnixNano() {
					got[s.Channel] = append(got[s.Channel], s)
				}
			})
			chk(t, before, c.State(), got)
			require.NotEmpty(t, events)
			assert.Equal(t, "fault", events[0].Kind)
		})
	}
}

func TestScheduledFaultClears(t *testing.T) {
	data := []byte(string(mustRead(t, "routine-cabg")) + `
[[event]]
at = "30m"
kind = "fault"
fault = "vasoplegia"
over = "10m"
`)
	sc, err := ParseScenario("x.toml", data)
	require.NoError(t, err)
	c := NewScenario(sc, t0, 1)
	var kinds []string
	c.OnEvent(func(e Event) {
		if e.Kind == "fault" || e.Kind == "fault_clear" {
			kinds = append(kinds, e.Kind)
		}
	})
	during := stateAt(c, 39*time.Minute)
	after := stateAt(c, 55*time.Minute)
	assert.Equal(t, []string{"fault", "fault_clear"}, kinds)
	assert.Greater(t, after.MAP, during.MAP+5, "MAP recovers when vasoplegia clears")
}

func mustRead(t *testing.T, name string) []byte {
	b, err := builtinFS.ReadFile("scenarios/" + name + ".toml")
	require.NoError(t, err)
	return b
}

func TestTriggerUnknown(t *testing.T) {
	c := New(t0, 1)
	assert.ErrorIs(t, c.Trigger("meteor-strike"), ErrUnknown)
	assert.ErrorIs(t, c.Clear("phenylephrine"), ErrUnknown)
	assert.NoError(t, c.Trigger("phenylephrine"))
	assert.NoError(t, c.Clear("all"))
}

// Trigger is safe while another goroutine advances the case (run with -race).
func TestTriggerConcurrent(t *testing.T) {
	c := New(t0, 1)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				_ = c.Trigger(FaultNames()[(i+j)%len(FaultNames())])
				_ = c.Clear("all")
			}
		}()
	}
	for s := range 3000 {
		c.AdvanceTo(t0.Add(time.Duration(s)*time.Second), func(Source, monitor.Sample) {})
	}
	wg.Wait()
}

func TestDrugsMoveMAP(t *testing.T) {
	sc := builtin(t, DefaultScenario)
	c := NewScenario(sc, t0, 2)
	b := stateAt(c, 50*time.Minute)
	require.NoError(t, c.Trigger("phenylephrine"))
	a := stateAt(c, 51*time.Minute)
	assert.Greater(t, a.MAP, b.MAP*1.15, "vasoconstrictor bolus")
	c2 := NewScenario(sc, t0, 2)
	stateAt(c2, 50*time.Minute)
	require.NoError(t, c2.Trigger("gtn"))
	a2 := stateAt(c2, 51*time.Minute)
	assert.Less(t, a2.MAP, b.MAP*0.9, "vasodilator")
}

func TestCaseFileDeterministicAndReadable(t *testing.T) {
	sc := builtin(t, "aortic-arch-dhca")
	gen := func(seed uint64, d time.Duration) []byte {
		var b bytes.Buffer
		require.NoError(t, WriteCaseFile(&b, NewScenario(sc, t0, seed), "sim-test", t0.Add(d)))
		return b.Bytes()
	}
	full := 2*time.Hour + 15*time.Minute
	a, b, c := gen(11, full), gen(11, full), gen(12, 10*time.Minute)
	require.Equal(t, a, b, "same seed and scenario: byte-identical")
	require.NotEqual(t, a[:len(c)], c, "another seed, other noise")
	assert.True(t, bytes.HasPrefix(a, []byte("case,case=sim-test height_cm=180,")))
	assert.Contains(t, string(a), "event,case=sim-test,kind=on_bypass text=")
	assert.Contains(t, string(a), "\npump,case=sim-test,source=sim.pump flow=")
	assert.Contains(t, string(a), `spo2_q="unavailable"`)

	// The official reader of docs/format/case.md reads every line.
	rd := record.NewReader(bytes.NewReader(a))
	var bad []string
	rd.OnBadLine = func(e *record.LineError) { bad = append(bad, e.Error()) }
	kinds := map[string]int{}
	var lastEvent int64
	var buf []record.ChannelSample
	samples := 0
	for rd.Next() {
		e := rd.Entry()
		if string(e.Measurement) == "event" {
			kinds[e.Tag("kind")]++
			require.Greater(t, e.Time, lastEvent, "event times strictly increase")
			lastEvent = e.Time
		}
		buf = e.Samples(buf[:0])
		samples += len(buf)
	}
	require.Empty(t, bad)
	for _, k := range []string{"on_bypass", "clamp_on", "cardioplegia", "arrest_start", "arrest_end", "drug", "act", "blood_gas"} {
		assert.Positive(t, kinds[k], "event kind %s", k)
	}
	assert.Greater(t, samples, 100000)
}

func BenchmarkFourHourCase(b *testing.B) {
	sc := builtin(b, "aortic-arch-dhca")
	var n int
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var w countWriter
		if err := WriteCaseFile(&w, NewScenario(sc, t0, uint64(i)), "bench", t0.Add(4*time.Hour)); err != nil {
			b.Fatal(err)
		}
		n = w.n
	}
	el := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(el.Seconds(), "s/4h-case")
	b.ReportMetric(float64(n)/1e6, "MB/case")
	b.ReportMetric((4*time.Hour).Seconds()/el.Seconds(), "x-realtime")
}

// BenchmarkModelOnly is the baseline: the physiology and devices with
// samples discarded, no formatting.
func BenchmarkModelOnly(b *testing.B) {
	sc := builtin(b, "aortic-arch-dhca")
	for i := 0; i < b.N; i++ {
		c := NewScenario(sc, t0, uint64(i))
		c.AdvanceTo(t0.Add(4*time.Hour), func(Source, monitor.Sample) {})
	}
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// Every channel a source sends over whole cases, with every fault, is one
// it declares (Source.Channels: what a console takes the source to provide).
func TestSourceChannels(t *testing.T) {
	for _, name := range BuiltinNames() {
		sc, err := Builtin(name)
		require.NoError(t, err)
		c := NewScenario(sc, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), 7)
		check := func(src Source, s monitor.Sample) {
			if !slices.Contains(src.Channels(), s.Channel) {
				t.Errorf("%s: %s sends %s, not in Channels()", name, src, s.Channel)
			}
		}
		for i, f := range Faults() {
			c.AdvanceTo(c.Start().Add(time.Duration(20+10*i)*time.Minute), check)
			require.NoError(t, c.Trigger(f.String()))
		}
		c.AdvanceTo(c.Start().Add(sc.Duration), check)
	}
}

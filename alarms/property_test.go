package alarms_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// excursion is one planned run of samples past the limit.
type excursion struct {
	start, n int // first sample index, number of samples
}

// TestAlarmPropertyExcursions: for random series around a limit, with
// random delays and hysteresis, every excursion longer than the validation
// delay produces exactly one activation, none shorter than it produces one,
// and nothing else activates. An excursion starts with a sample below the
// limit and lasts while the samples stay below limit + hysteresis; it ends
// with a sample at or above limit + hysteresis or an invalid sample (the
// physiological rule does not fire on invalid input).
func TestAlarmPropertyExcursions(t *testing.T) {
	const step = time.Second
	for seed := uint64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		delay := time.Duration(rng.IntN(31)) * step // 0..30 s
		hyst := float64(rng.IntN(6))                // 0..5
		const limit = 50.0
		prof, err := alarms.ParseProfile("prop", fmt.Appendf(nil, `
[[rule]]
id = "x"
input = "patient.map"
condition = "below"
limit = %v
hysteresis = %v
delay = "%v"
priority = "medium"
message = "m"
`, limit, hyst, delay))
		require.NoError(t, err)
		log := &captureLog{}
		eng, err := alarms.New(prof, alarms.Options{Logger: log})
		require.NoError(t, err)

		// Plan: clear gaps and excursions. After an excursion that may
		// activate, the gap outlasts min_visible (5 s), so the alarm has
		// cleared before the next excursion: an excursion that starts
		// while the last alarm is still held visible continues that alarm
		// (documented in docs/alarms.md).
		type sampleSpec struct {
			v     float64
			valid bool
		}
		var series []sampleSpec
		var plan []excursion
		for len(series) < 600 {
			gap := 1 + rng.IntN(4)
			if n := len(plan); n > 0 && time.Duration(plan[n-1].n-1)*step >= delay {
				gap = 6 + rng.IntN(10)
			}
			for i := 0; i < gap; i++ {
				if rng.IntN(8) == 0 {
					series = append(series, sampleSpec{v: 20, valid: false}) // invalid: ends nothing, starts nothing
				} else {
					series = append(series, sampleSpec{v: limit + hyst + rng.Float64()*20, valid: true})
				}
			}
			n := 1 + rng.IntN(40)
			plan = append(plan, excursion{start: len(series), n: n})
			for i := 0; i < n; i++ {
				v := limit - 0.5 - rng.Float64()*20
				if i > 0 && hyst > 0 && rng.IntN(3) == 0 {
					v = limit + rng.Float64()*(hyst-0.01) // hovering inside the hysteresis band
				}
				series = append(series, sampleSpec{v: v, valid: true})
			}
		}
		// Trailing clear gap so the last excursion ends.
		for i := 0; i < 10; i++ {
			series = append(series, sampleSpec{v: limit + hyst + 1, valid: true})
		}

		snap := &monitor.Snapshot{Readings: make([]monitor.Reading, channel.Count)}
		ctx := &alarms.Context{}
		activations := map[int]int{} // sample index -> count
		for i, s := range series {
			now := scenarioEpoch.Add(time.Duration(i) * step)
			q := channel.OK
			if !s.valid {
				q = channel.Unavailable
			}
			snap.Readings[channel.PatientMAP] = monitor.Reading{Value: s.v, Time: now.UnixNano(), Quality: q}
			for _, tr := range eng.Eval(now, snap, ctx) {
				if tr.State == alarms.Active {
					activations[i]++
				}
			}
		}
		total := 0
		for _, n := range activations {
			total += n
		}
		want := 0
		for _, ex := range plan {
			got := 0
			for i := ex.start; i < ex.start+ex.n; i++ {
				got += activations[i]
			}
			length := time.Duration(ex.n) * step // first sample out to first sample back
			switch {
			case length > delay+step:
				want++
				require.Equal(t, 1, got, "seed %d delay %v hyst %v: excursion of %v at %d must activate once", seed, delay, hyst, length, ex.start)
			case length < delay:
				require.Equal(t, 0, got, "seed %d delay %v hyst %v: excursion of %v at %d must not activate", seed, delay, hyst, length, ex.start)
			default: // within one sampling step of the delay
				require.LessOrEqual(t, got, 1)
				want += got
			}
		}
		require.Equal(t, want, total, "seed %d: activations outside excursions", seed)
	}
}

// legal lists the transitions the state machine may make.
var legal = map[alarms.State][]alarms.State{
	alarms.Inactive:     {alarms.Pending, alarms.Active},
	alarms.Pending:      {alarms.Active, alarms.Inactive},
	alarms.Active:       {alarms.Active, alarms.AudioPaused, alarms.Acknowledged, alarms.Inactive},
	alarms.AudioPaused:  {alarms.Active, alarms.AudioPaused, alarms.Acknowledged, alarms.Inactive},
	alarms.Acknowledged: {alarms.Active, alarms.Inactive},
}

// FuzzAlarmEval drives the default profile with arbitrary values, qualities,
// gaps, phases, device states and operator actions: no panic, only legal
// transitions, Audible consistent with the statuses, time never backwards.
func FuzzAlarmEval(f *testing.F) {
	f.Add([]byte{0, 10, 200, 3, 1, 50, 0, 0, 9, 1, 40, 7, 2, 128, 255, 4})
	f.Add([]byte("a pump, a patient and a perfusionist walk into a theatre"))
	f.Add(make([]byte, 64))
	ids := []channel.ID{
		channel.DerivedDO2i, channel.DerivedDO2iVCO2i, channel.PatientMAP, channel.InlineVenSO2, channel.InlineHct,
		channel.TempArterialOutlet, channel.DerivedAVGradient, channel.ACTSeconds, channel.ABGLactate, channel.ABGPH,
		channel.NIRSLeft, channel.NIRSRight, channel.PumpFlow,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		log := &captureLog{}
		eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{Logger: log})
		require.NoError(t, err)
		snap := &monitor.Snapshot{Readings: make([]monitor.Reading, channel.Count), Sources: []monitor.SourceStatus{{}, {Name: "pump"}}}
		ctx := &alarms.Context{}
		now := scenarioEpoch
		var status []alarms.Status
		for len(data) >= 4 {
			op, a, b, c := data[0], data[1], data[2], data[3]
			data = data[4:]
			now = now.Add(time.Duration(a) * 100 * time.Millisecond)
			switch op % 8 {
			case 0, 1, 2: // a sample
				id := ids[int(b)%len(ids)]
				ch := channel.Get(id)
				v := ch.Min + (ch.Max-ch.Min)*float64(c)/255
				snap.Readings[id] = monitor.Reading{Value: v, Time: now.UnixNano(), Quality: channel.Quality(op % 3 * (c % 2))}
			case 3:
				ctx.Phase = alarms.Phase(b % 5)
				ctx.CrossClamp = c%2 == 0
			case 4:
				ctx.Devices[1] = alarms.Device{State: alarms.DeviceState(b % 4), Essential: c%2 == 0, Since: now.UnixNano() - int64(c)*1e8, LastData: now.UnixNano() - int64(b)*1e8, Interval: time.Second}
				ctx.RingDrops += uint64(c % 3)
				ctx.RecordingFailed, ctx.AudioUnavailable = b%5 == 0, b%7 == 0
			case 5:
				if b%2 == 0 {
					ctx.LastACT = now.UnixNano() - int64(c)*int64(time.Minute)/4
				} else {
					ctx.LastCardioplegia = now.UnixNano() - int64(c)*int64(time.Minute)/4
				}
			case 6:
				status = eng.AppendStatus(status[:0], false)
				target := alarms.AllAlarms
				if len(status) > 0 && c%3 != 0 {
					target = status[int(c)%len(status)].Alarm
				}
				if b%2 == 0 {
					_ = eng.Acknowledge(now, target)
				} else {
					_ = eng.PauseAudio(now, target)
				}
			case 7:
				_ = eng.SetLimit(now, "map_low", 30+float64(c)/5)
				_ = eng.SetBaseline(now, "nirs_drop_left", float64(b))
			}
			eng.Eval(now, snap, ctx)
			p := alarms.NoPriority
			status = eng.AppendStatus(status[:0], false)
			for _, s := range status {
				if s.Sounding && s.Priority > p {
					p = s.Priority
				}
			}
			require.Equal(t, p, eng.Audible())
		}
		state := map[string]alarms.State{}
		var last int64
		for _, e := range log.entries {
			require.GreaterOrEqual(t, e.Time, last)
			last = e.Time
			if !e.IsTransition() {
				continue
			}
			from := state[e.Alarm]
			require.Contains(t, legal[from], e.State, "%s: %s -> %s (%s)", e.Alarm, from, e.State, e.Reason)
			state[e.Alarm] = e.State
		}
	})
}

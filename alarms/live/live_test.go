package live_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/alarms/sound/soundtest"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rig is a real pipeline on a manual clock with one source, and a runner on
// the default profile, stepped by hand.
type rig struct {
	t     *testing.T
	clk   *clock.Manual
	p     *monitor.Pipeline
	src   *monitor.Producer
	r     *live.Runner
	out   *soundtest.Recorder
	phase alarms.Phase
	calls atomic.Int64
}

func newRig(t *testing.T, out *soundtest.Recorder) *rig {
	t.Helper()
	g := &rig{t: t, clk: clock.NewManual(t0), out: out, phase: alarms.Bypass}
	set := monitor.DefaultSettings()
	set.HistoryDuration = time.Hour
	p, err := monitor.New(monitor.Config{Clock: g.clk, Settings: set})
	require.NoError(t, err)
	g.p = p
	g.src, err = p.AddSource("monitor", 0)
	require.NoError(t, err)
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
	require.NoError(t, err)
	cfg := live.Config{
		Engine: eng, Acquire: p.Acquire, Clock: g.clk,
		Context:  func(_ time.Time, _ *monitor.Snapshot, c *alarms.Context) { c.Phase = g.phase },
		OnChange: func() { g.calls.Add(1) },
	}
	if out != nil {
		cfg.Output = out
	}
	g.r, err = live.New(cfg)
	require.NoError(t, err)
	return g
}

// at puts MAP v at case time d, publishes and evaluates.
func (g *rig) at(d time.Duration, mapValue float64) *live.Status {
	g.t.Helper()
	g.clk.Set(t0.Add(d))
	require.True(g.t, g.src.Put(monitor.Sample{Time: t0.Add(d).UnixNano(), Channel: channel.PatientMAP, Value: mapValue, Quality: channel.OK}))
	g.p.Step(t0.Add(d))
	g.r.Step()
	return g.r.Status()
}

func find(st *live.Status, id string) (alarms.Status, bool) {
	i := slices.IndexFunc(st.Alarms, func(a alarms.Status) bool { return a.Alarm == id })
	if i < 0 {
		return alarms.Status{}, false
	}
	return st.Alarms[i], true
}

// TestCriticalMAPRaisesSoundsAndAcknowledges: MAP 30 on bypass is pending
// for map_critical's 5 s delay, then active at HIGH with a HIGH burst
// played; the operator's acknowledgement reaches the engine through the
// queue and silences it.
func TestCriticalMAPRaisesSoundsAndAcknowledges(t *testing.T) {
	out := &soundtest.Recorder{}
	g := newRig(t, out)
	st := g.at(0, 70)
	_, ok := find(st, "map_critical")
	assert.False(t, ok, "no alarm at MAP 70")
	i := slices.IndexFunc(st.All, func(a alarms.Status) bool { return a.Alarm == "map_critical" })
	require.GreaterOrEqual(t, i, 0, "All lists inactive alarms too")
	assert.Equal(t, alarms.Inactive, st.All[i].State)
	assert.InDelta(t, 40, st.All[i].Limits.Limit, 0, "the limit in force, for the tiles")

	st = g.at(time.Second, 30)
	a, ok := find(st, "map_critical")
	require.True(t, ok)
	assert.Equal(t, alarms.Pending, a.State)
	assert.Empty(t, out.Plays(), "a pending alarm is silent")

	var last *live.Status
	for s := 2; s <= 7; s++ {
		last = g.at(time.Duration(s)*time.Second, 30)
	}
	a, ok = find(last, "map_critical")
	require.True(t, ok)
	assert.Equal(t, alarms.Active, a.State)
	assert.Equal(t, alarms.High, a.Priority)
	assert.Equal(t, alarms.High, last.Audible)
	require.NotEmpty(t, out.Plays(), "the HIGH burst must be played")
	assert.Greater(t, g.calls.Load(), int64(1), "OnChange tells the GUI")

	res, err := g.r.Acknowledge("map_critical")
	require.NoError(t, err)
	st = g.at(8*time.Second, 30)
	require.NoError(t, <-res)
	a, _ = find(st, "map_critical")
	assert.Equal(t, alarms.Acknowledged, a.State)
	assert.Equal(t, alarms.NoPriority, st.Audible)
	assert.Positive(t, out.Stops(), "acknowledging the only sounding alarm silences the output")

	// An unknown alarm: the engine's refusal comes back to the caller.
	res, err = g.r.Acknowledge("no_such_alarm")
	require.NoError(t, err)
	g.at(9*time.Second, 30)
	assert.Error(t, <-res)
}

// TestNoAudioRaisesAudioUnavailable: without an output, or when the output
// fails, the console keeps evaluating and raises audio_unavailable.
func TestNoAudioRaisesAudioUnavailable(t *testing.T) {
	for name, out := range map[string]*soundtest.Recorder{
		"no output":     nil,
		"output failed": {Failure: errors.New("device unplugged")},
	} {
		t.Run(name, func(t *testing.T) {
			g := newRig(t, out)
			var st *live.Status
			for s := range 3 {
				st = g.at(time.Duration(s)*time.Second, 70)
			}
			assert.True(t, st.AudioUnavailable)
			require.Error(t, st.AudioErr)
			a, ok := find(st, "audio_unavailable")
			require.True(t, ok, "audio_unavailable must be raised")
			assert.Equal(t, alarms.Active, a.State)
		})
	}
}

// TestRingDropsRaiseOverflow: drops counted by the pipeline reach the
// engine's ring_overflow rule.
func TestRingDropsRaiseOverflow(t *testing.T) {
	g := newRig(t, &soundtest.Recorder{})
	small, err := g.p.AddSource("flood", 2)
	require.NoError(t, err)
	g.at(0, 70)
	dropped := 0
	for i := range 10 {
		if !small.Put(monitor.Sample{Time: t0.Add(time.Second).UnixNano() + int64(i), Channel: channel.PatientCVP, Value: 5, Quality: channel.OK}) {
			dropped++
		}
	}
	require.Positive(t, dropped)
	st := g.at(time.Second, 70)
	a, ok := find(st, "ring_overflow")
	require.True(t, ok, "ring_overflow must be raised: %+v", st.Alarms)
	assert.NotEqual(t, alarms.Inactive, a.State)
}

// TestQueueBounded: actions never block; a full queue says so.
func TestQueueBounded(t *testing.T) {
	g := newRig(t, &soundtest.Recorder{})
	var busy error
	for range 1000 {
		if _, err := g.r.PauseAudio(alarms.AllAlarms); err != nil {
			busy = err
			break
		}
	}
	assert.ErrorIs(t, busy, live.ErrBusy)
	g.at(0, 70) // drains the queue
	_, err := g.r.PauseAudio(alarms.AllAlarms)
	assert.NoError(t, err)
}

// TestRunStops: Run evaluates on Notify and on its own tick, and returns
// when its context ends, leaving the output silent.
func TestRunStops(t *testing.T) {
	out := &soundtest.Recorder{}
	g := newRig(t, out)
	g.p.Step(t0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.r.Run(ctx) }()
	g.r.Notify()
	require.Eventually(t, func() bool { return g.r.Status().Seq == g.p.Latest().Seq && g.r.Status().Time != 0 },
		5*time.Second, 10*time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Positive(t, out.Stops())
}

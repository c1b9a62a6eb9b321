package live_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/alarms/sound/soundtest"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
)

// TestWatchSoundsAStall: when the runner stops evaluating (it hangs), the
// failure sounds within StallAfter and a watch interval, goes on for at
// least FailureSound even though the runner recovers sooner, then stops.
func TestWatchSoundsAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &soundtest.Recorder{}
		g := newRig(t, out)
		g.at(0, 70)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- g.r.Watch(ctx) }()
		for range 30 { // healthy: an evaluation every 100 ms
			time.Sleep(live.EvalInterval)
			g.r.Step()
		}
		assert.Empty(t, out.Plays(), "no failure while the runner evaluates")

		time.Sleep(live.StallAfter + time.Second) // the runner hangs
		require.NotEmpty(t, out.Plays(), "a stalled alarm system must sound")
		for range 100 { // it recovers after 10 s
			time.Sleep(live.EvalInterval)
			g.r.Step()
		}
		n := len(out.Plays())
		for range 1000 { // 100 s more, still evaluating
			time.Sleep(live.EvalInterval)
			g.r.Step()
		}
		// A HIGH burst and its pause last about 3.5 s: some 28 in 100 s.
		assert.Greater(t, len(out.Plays()), n+20, "the failure sounds on for at least FailureSound")
		stops := out.Stops()
		for range 200 {
			time.Sleep(live.EvalInterval)
			g.r.Step()
		}
		assert.Greater(t, out.Stops(), stops, "silenced once recovered and FailureSound is over")
		n = len(out.Plays())
		for range 300 {
			time.Sleep(live.EvalInterval)
			g.r.Step()
		}
		assert.Equal(t, n, len(out.Plays()), "no more failure bursts")
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
}

// TestPanicIsAFailure: an evaluation that panics stops the runner with
// ErrFailed, the status says so, and Watch sounds it.
func TestPanicIsAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &soundtest.Recorder{}
		clk := clock.NewManual(t0)
		p, err := monitor.New(monitor.Config{Clock: clk, Settings: monitor.DefaultSettings()})
		require.NoError(t, err)
		eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
		require.NoError(t, err)
		calls := 0
		r, err := live.New(live.Config{Engine: eng, Acquire: p.Acquire, Clock: clk, Output: out,
			Context: func(time.Time, *monitor.Snapshot, *alarms.Context) {
				if calls++; calls > 3 {
					panic("context source broken")
				}
			}})
		require.NoError(t, err)
		p.Step(t0)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		go func() { _ = r.Watch(ctx) }()
		time.Sleep(time.Second)
		select {
		case err := <-done:
			assert.ErrorIs(t, err, live.ErrFailed)
		default:
			t.Fatal("the runner must stop on a panic")
		}
		assert.Contains(t, r.Status().Failure, "context source broken")
		time.Sleep(time.Second)
		assert.NotEmpty(t, out.Plays(), "the failure sounds at once")
	})
}

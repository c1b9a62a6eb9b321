package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gioui.org/app"
	"gioui.org/unit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/ui/xvfbtest"
)

// TestRunClosesOnCancel opens real windows on a virtual X display and
// cancels Run's context while another goroutine invalidates the window as
// fast as it can (a pipeline publishing): every time, Run closes the window
// and returns nil. The cancel comes at a different moment of the frame
// cycle each round. Ctrl-C and SIGTERM reach the console this way; a close
// requested from outside the window goroutine used to race Xlib and could
// leave the console running.
func TestRunClosesOnCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb")
	}
	t.Setenv("DISPLAY", xvfbtest.Start(t))
	t.Setenv("WAYLAND_DISPLAY", "")
	snap, now := syntheticSnapshot()
	for round := range 6 {
		ctx, cancel := context.WithCancel(context.Background())
		w := new(app.Window)
		w.Option(app.Size(unit.Dp(640), unit.Dp(400)))
		var frames atomic.Int64
		acquire := func() *monitor.Snapshot { frames.Add(1); return snap.Retain() } // Run releases each frame's
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, w, NewConsole(Options{CaseStart: caseStart}), acquire, func() time.Time { return now })
		}()
		stopSpam := make(chan struct{})
		go func() {
			for {
				select {
				case <-stopSpam:
					return
				default:
					w.Invalidate()
					time.Sleep(time.Millisecond)
				}
			}
		}()
		require.Eventually(t, func() bool { return frames.Load() >= 2 }, 30*time.Second, 10*time.Millisecond,
			"round %d: no frames drawn", round)
		time.Sleep(time.Duration(round) * 37 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "round %d", round)
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Run did not return within 10 s of the cancel (%d frames drawn)", round, frames.Load())
		}
		close(stopSpam)
	}
}

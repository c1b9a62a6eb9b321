package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gioui.org/app"
	"gioui.org/io/event"
	"gioui.org/io/system"
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

// fakeWindow plays a sequence of events; asking for one more after the
// last fails the test (on a real window, Gio would create a new window).
type fakeWindow struct {
	t       *testing.T
	events  []event.Event
	perform []system.Action
}

func (f *fakeWindow) Event() event.Event {
	if len(f.events) == 0 {
		f.t.Fatal("Event called after the window was destroyed: Gio would create a new window")
	}
	e := f.events[0]
	f.events = f.events[1:]
	return e
}
func (f *fakeWindow) Perform(a system.Action) { f.perform = append(f.perform, a) }
func (f *fakeWindow) Invalidate()             {}

// Closing, Gio destroys the window and then delivers an invalid ViewEvent
// before the DestroyEvent; run must stop at the ViewEvent, since asking
// for the DestroyEvent would re-create the window (and can deadlock).
// Whether the close came from the window manager or from ctx.
func TestRunStopsAtTheInvalidView(t *testing.T) {
	gone := []event.Event{&app.ClosingEvent{}, app.X11ViewEvent{}}
	f := &fakeWindow{t: t, events: gone}
	require.NoError(t, run(t.Context(), f, NewConsole(Options{CaseStart: caseStart}), nil, time.Now))
	assert.Empty(t, f.perform, "the window manager closed it")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f = &fakeWindow{t: t, events: append([]event.Event{app.ConfigEvent{}}, gone...)}
	require.NoError(t, run(ctx, f, NewConsole(Options{CaseStart: caseStart}), nil, time.Now))
	assert.Equal(t, []system.Action{system.ActionClose}, f.perform, "ctx ended: run asked for the close")

	// A view going away while no close is under way is not the end.
	f = &fakeWindow{t: t, events: []event.Event{app.X11ViewEvent{}, app.DestroyEvent{}}}
	require.NoError(t, run(t.Context(), f, NewConsole(Options{CaseStart: caseStart}), nil, time.Now))
	assert.Empty(t, f.events)
}

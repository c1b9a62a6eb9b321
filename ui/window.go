package ui

import (
	"context"
	"time"

	"gioui.org/app"
	"gioui.org/io/event"
	"gioui.org/io/system"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
)

// MaxFrameInterval is the longest the window goes without redrawing. Ages,
// the case time and the stopped-feed check advance with "now", so the screen
// redraws at least this often even when no snapshot is published: a stalled
// pipeline must not leave a frozen screen that looks live.
const MaxFrameInterval = time.Second

// Run is the window loop: it handles w's events until the window is closed.
// When ctx is done (Ctrl-C, SIGTERM) Run closes the window itself and
// returns once it is destroyed.
// On every frame it takes acquire() (nil before the first snapshot) and
// now(), lays the console out, and releases the snapshot: acquire is
// monitor.Pipeline.Acquire, or any function whose snapshots' Release is
// right to call once per frame. Run must be called on the goroutine that
// owns c; the caller owns app.Main and creates w.
//
// New data reaches the screen by another goroutine calling w.Invalidate()
// after the pipeline publishes: Invalidate is the one Window method that is
// safe from other goroutines. Wrap it in Throttle: the pipeline may publish
// ten times a second, and with a software renderer a frame costs tens of
// milliseconds. acquire and now are called on Run's goroutine, once per
// frame: typically an atomic pointer load and time.Now (or a replay clock;
// now must be on the snapshot's clock).
//
// Typical wiring, in the caller that owns app.Main:
//
//	w := new(app.Window)
//	invalidate := ui.Throttle(w, ui.DefaultRedrawInterval)
//	// pipeline config: OnPublish: func(*monitor.Snapshot) { invalidate() }
//	go func() {
//		err := ui.Run(ctx, w, ui.NewConsole(ui.Options{CaseStart: start}), p.Acquire, time.Now)
//		...
//		os.Exit(code)
//	}()
//	app.Main()
//
// Run returns nil when the window is closed normally, or the error that
// closed it.
//
// The close on ctx is requested from Run's own goroutine, never from the
// goroutine that sees ctx end: on X11 Gio performs window actions on the
// calling goroutine, and Xlib's display connection is not safe for two
// goroutines at once (a close sent from elsewhere could be lost, or sit
// unflushed, and the console would not exit). The other goroutine only
// wakes the loop, with Invalidate.
func Run(ctx context.Context, w *app.Window, c *Console, acquire func() *monitor.Snapshot, now func() time.Time) error {
	return run(ctx, w, c, acquire, now)
}

// window is what Run uses of an app.Window (a fake in tests).
type window interface {
	Event() event.Event
	Perform(system.Action)
	Invalidate()
}

func run(ctx context.Context, w window, c *Console, acquire func() *monitor.Snapshot, now func() time.Time) error {
	stop := context.AfterFunc(ctx, w.Invalidate)
	defer stop()
	var ops op.Ops
	requested := false // we asked for the close (ctx ended)
	closing := false   // a close is under way: ours, or the window manager's
	for {
		e := w.Event()
		if !requested && ctx.Err() != nil {
			requested, closing = true, true
			w.Perform(system.ActionClose)
		}
		switch e := e.(type) {
		case app.DestroyEvent:
			return e.Err
		case *app.ClosingEvent:
			closing = true
		case app.ViewEvent:
			// Closing, Gio destroys the window and queues an invalid
			// ViewEvent, then the DestroyEvent. But Window.Event called on
			// a window already destroyed creates a new one instead of
			// returning the queued DestroyEvent, and deadlocks when that
			// fails (seen under CI load: a console that ignored Ctrl-C).
			// The window is gone: stop here.
			if closing && !e.Valid() {
				return nil
			}
		case app.FrameEvent:
			gtx := app.NewContext(&ops, e)
			snap := acquire()
			c.Layout(gtx, snap, now())
			snap.Release() // the frame's ops hold no reference to it
			gtx.Execute(op.InvalidateCmd{At: e.Now.Add(MaxFrameInterval)})
			e.Frame(gtx.Ops)
		}
	}
}

package ui

import (
	"time"

	"gioui.org/app"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
)

// MaxFrameInterval is the longest the window goes without redrawing. Ages,
// the case time and the stopped-feed check advance with "now", so the screen
// redraws at least this often even when no snapshot is published: a stalled
// pipeline must not leave a frozen screen that looks live.
const MaxFrameInterval = time.Second

// Run is the window loop: it handles w's events until the window is closed.
// On every frame it takes latest() (nil before the first snapshot) and
// now(), and lays the console out. Run must be called on the goroutine that
// owns c; the caller owns app.Main and creates w.
//
// New data reaches the screen by another goroutine calling w.Invalidate()
// after the pipeline publishes: Invalidate is the one Window method that is
// safe from other goroutines. Wrap it in Throttle: the pipeline may publish
// ten times a second, and with a software renderer a frame costs tens of
// milliseconds. latest and now are called on Run's goroutine, once per
// frame: typically an atomic pointer load and time.Now (or a replay clock;
// now must be on the snapshot's clock).
//
// Typical wiring, in the caller that owns app.Main:
//
//	w := new(app.Window)
//	invalidate := ui.Throttle(w, ui.DefaultRedrawInterval)
//	// pipeline config: OnPublish: func(*monitor.Snapshot) { invalidate() }
//	go func() {
//		err := ui.Run(w, ui.NewConsole(ui.Options{CaseStart: start}), p.Latest, time.Now)
//		...
//		os.Exit(code)
//	}()
//	app.Main()
//
// Run returns nil when the window is closed normally, or the error that
// closed it.
func Run(w *app.Window, c *Console, latest func() *monitor.Snapshot, now func() time.Time) error {
	var ops op.Ops
	for {
		switch e := w.Event().(type) {
		case app.DestroyEvent:
			return e.Err
		case app.FrameEvent:
			gtx := app.NewContext(&ops, e)
			c.Layout(gtx, latest(), now())
			gtx.Execute(op.InvalidateCmd{At: e.Now.Add(MaxFrameInterval)})
			e.Frame(gtx.Ops)
		}
	}
}

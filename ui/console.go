package ui

import (
	"time"

	"gioui.org/layout"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/view"
)

// Options configure a Console.
type Options struct {
	// Theme to draw with; nil means theme.NewDark(). A theme holds a text
	// shaper: do not share one between consoles used on different
	// goroutines.
	Theme *theme.Theme
	// CaseStart is when the case started: the header shows the snapshot's
	// time as elapsed since then ("01:23:45"). Zero shows "--:--:--".
	CaseStart time.Time
	// StaleAfter is how old a snapshot may get (against "now") before the
	// console treats the feed as stopped: every value shows as stale and
	// the header says so. Zero means view.DefaultStaleAfter (5 s);
	// negative disables the check.
	StaleAfter time.Duration
}

// Console is the console's state across frames: the theme and the screens.
// It belongs to one goroutine at a time (the window loop, or a caller of
// Render).
type Console struct {
	th      *theme.Theme
	monitor *view.Monitor
}

// NewConsole returns a console.
func NewConsole(opts Options) *Console {
	th := opts.Theme
	if th == nil {
		th = theme.NewDark()
	}
	return &Console{
		th:      th,
		monitor: view.NewMonitor(view.Options{CaseStart: opts.CaseStart, StaleAfter: opts.StaleAfter}),
	}
}

// Theme returns the console's theme.
func (c *Console) Theme() *theme.Theme { return c.th }

// Monitor returns the monitor screen.
func (c *Console) Monitor() *view.Monitor { return c.monitor }

// Layout draws snap as of now (on the snapshot's clock) to fill
// gtx.Constraints.Max. snap may be nil: before the first snapshot. Layout
// does not lock, does not read the clock and does not allocate in steady
// state.
func (c *Console) Layout(gtx layout.Context, snap *monitor.Snapshot, now time.Time) layout.Dimensions {
	return c.monitor.Layout(gtx, c.th, snap, now)
}

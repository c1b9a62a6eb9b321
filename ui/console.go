package ui

import (
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/view"
)

// The console's data types, defined in ui/view and documented there: the
// integrator fills a State each frame and receives Actions.
type (
	State        = view.State
	AlarmView    = view.AlarmView
	AlarmLogView = view.AlarmLogView
	LimitView    = view.LimitView
	DeviceView   = view.DeviceView
	DiskView     = view.DiskView
	EventView    = view.EventView
	ReplayView   = view.ReplayView
	SetupView    = view.SetupView
	Priority     = view.Priority
	AlarmState   = view.AlarmState
	DeviceState  = view.DeviceState
	EventKind    = view.EventKind
	Screen       = view.Screen

	Action      = view.Action
	Acknowledge = view.Acknowledge
	PauseAudio  = view.PauseAudio
	EnterEvent  = view.EnterEvent
	EditEvent   = view.EditEvent
	Seek        = view.Seek
	SetPlaying  = view.SetPlaying
	SetSpeed    = view.SetSpeed
	ApplySetup  = view.ApplySetup
	ChangeLimit = view.ChangeLimit

	LimitSetting = view.LimitSetting

	InstructorView = view.InstructorView
	InjectFault    = view.InjectFault

	SpecimenPrompt = view.SpecimenPrompt
	AssignSpecimen = view.AssignSpecimen

	RecordEntries = view.RecordEntries
	SetupTab      = view.SetupTab
)

// Options configure a Console.
type Options struct {
	// Theme to draw with; nil means theme.NewDark() (theme.NewLight() for
	// a bright room). A theme holds a text shaper: do not share one
	// between consoles used on different goroutines.
	Theme *theme.Theme
	// CaseStart is when the case started: the header shows the snapshot's
	// time as elapsed since then ("01:23:45"). Zero shows "--:--:--".
	CaseStart time.Time
	// StaleAfter is how old a snapshot may get (against "now") before the
	// console treats the feed as stopped: every value shows as stale and
	// the header says so. Zero means view.DefaultStaleAfter (5 s);
	// negative disables the check.
	StaleAfter time.Duration
	// Constants are the physiological constants in force (flow index
	// target table, DO2i threshold, set-up screen); nil means
	// physio.DefaultConstants().
	Constants *physio.Constants
	// CardioplegiaInterval is the re-dose interval the cardioplegia timer
	// counts down to; zero means view.DefaultCardioplegiaInterval (20 min).
	CardioplegiaInterval time.Duration
	// DO2iQ10 and DO2iQ10Inputs scale the DO2i tile's threshold and the
	// trend's band with the patient's temperature as the alarm profile's
	// do2i_low does (view.Options; alarms.Profile.Q10Of). Zero: the fixed
	// threshold.
	DO2iQ10       float64
	DO2iQ10Inputs []channel.ID
	// GasStrategy and GasCorrection: how the arterial blood gas is shown
	// while the patient is cooled (view.Options).
	GasStrategy   physio.GasStrategy
	GasCorrection *physio.GasCorrection
	// State returns what the console shows besides the snapshot: alarms,
	// devices, events, replay, set-up. It is called once per frame on the
	// console's goroutine; the State it returns must not change afterwards
	// (publish a new one, e.g. through an atomic.Pointer). nil, or a nil
	// result, shows none of them. SetState replaces it.
	State func() *State
	// OnAction receives the operator's actions (acknowledge, pause audio,
	// events, replay controls, set-up), on the console's goroutine during
	// Layout. It must not block: queue the action, apply it on the
	// goroutine that owns the alarm engine or the record, and publish the
	// resulting State; the window redraws on the next Invalidate.
	OnAction func(Action)
	// Zone is the theatre's time zone for every time of day shown; nil
	// means time.Local. Units are the site's display units (gases, Hb,
	// glucose); Preset the site's usual set-up entries. See view.Options.
	Zone   *time.Location
	Units  site.Units
	Preset []entry.Entry
	// Oxygenator shows the oxygenator's tile group (view.Options): for
	// ECMO and long runs.
	Oxygenator bool
	// ECMO is a long run's console: its timers and entries (view.Options).
	ECMO bool
}

// Console is the console's state across frames: the theme and the screens.
// It belongs to one goroutine at a time (the window loop, or a caller of
// Render).
type Console struct {
	th      *theme.Theme
	screens *view.Screens
	state   func() *State
	// flashing: the last frame asked for an animation frame.
	flashing bool
}

// NewConsole returns a console.
func NewConsole(opts Options) *Console {
	th := opts.Theme
	if th == nil {
		th = theme.NewDark()
	}
	return &Console{
		th:    th,
		state: opts.State,
		screens: view.NewScreens(view.Options{
			CaseStart: opts.CaseStart, StaleAfter: opts.StaleAfter, Constants: opts.Constants,
			DO2iQ10: opts.DO2iQ10, DO2iQ10Inputs: opts.DO2iQ10Inputs,
			CardioplegiaInterval: opts.CardioplegiaInterval, OnAction: opts.OnAction,
			GasStrategy: opts.GasStrategy, GasCorrection: opts.GasCorrection,
			Zone: opts.Zone, Units: opts.Units, Preset: opts.Preset, Oxygenator: opts.Oxygenator, ECMO: opts.ECMO,
		}),
	}
}

// SetState sets the function that supplies the State each frame (see
// Options.State). Call it on the console's goroutine, or before Run.
func (c *Console) SetState(f func() *State) { c.state = f }

// Theme returns the console's theme.
func (c *Console) Theme() *theme.Theme { return c.th }

// Screens returns the console's screens (what each showed, for tests).
func (c *Console) Screens() *view.Screens { return c.screens }

// Monitor returns the monitor screen.
func (c *Console) Monitor() *view.Monitor { return c.screens.Monitor }

// SetScreen selects the screen shown (view.ScreenMonitor, ...).
func (c *Console) SetScreen(s Screen) { c.screens.SetScreen(s) }

// Animating reports whether the last frame scheduled an animation frame
// (an alarm is flashing).
func (c *Console) Animating() bool { return c.flashing }

// Layout draws snap as of now (on the snapshot's clock) to fill
// gtx.Constraints.Max. snap may be nil: before the first snapshot. Layout
// does not lock and does not read the clock; on the monitor screen it does
// not allocate in steady state. While an alarm flashes it schedules the
// next frame at the next flash change (op.InvalidateCmd), and only then:
// a console without flashing alarms redraws when invalidated.
func (c *Console) Layout(gtx layout.Context, snap *monitor.Snapshot, now time.Time) layout.Dimensions {
	var st *State
	if c.state != nil {
		st = c.state()
	}
	next := c.screens.Layout(gtx, c.th, snap, st, now)
	c.flashing = !next.IsZero()
	if c.flashing {
		gtx.Execute(op.InvalidateCmd{At: next})
	}
	return layout.Dimensions{Size: gtx.Constraints.Max}
}

package view

import (
	"image"
	"slices"
	"time"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// Screen selects what the body of the window shows.
type Screen uint8

// The screens, in the order of the navigation bar (F1–F6).
const (
	ScreenMonitor Screen = iota
	ScreenTrends
	ScreenAlarms
	ScreenDevices
	ScreenEvents
	ScreenSetup
	NumScreens
)

var screenLabels = [NumScreens]string{"MONITOR  F1", "TRENDS  F2", "ALARMS  F3", "DEVICES  F4", "EVENTS  F5", "SET-UP  F6"}

var screenKeys = [NumScreens]key.Name{key.NameF1, key.NameF2, key.NameF3, key.NameF4, key.NameF5, key.NameF6}

// Keys of the alarm controls and the replay.
const (
	KeyAcknowledge key.Name = key.NameF7
	KeyPauseAudio  key.Name = key.NameF8
	KeyPlayPause   key.Name = key.NameSpace
)

// Screens is the whole window: header, alarm banner, the selected screen,
// the replay bar while replaying and the navigation bar. It owns every
// screen's state across frames and belongs to one goroutine.
type Screens struct {
	opts    Options
	header  header
	Banner  *Banner
	Monitor *Monitor
	Trends  *Trends
	Alarms  *AlarmLog
	Devices *Devices
	Events  *Events
	Setup   *Setup
	Replay  *ReplayBar
	// Specimen asks for the specimen of an analyser result that did not
	// state it, under the banner, on every screen.
	Specimen specimenBar
	nav      [NumScreens]button
	screen   Screen
	empty    State
	emitFn   func(Action)
	// Last frame's layout, for tests that click.
	rects Rects
}

// Rects are where the last frame put the controls, window pixels.
type Rects struct {
	Header, Banner, Specimen, Body, Replay, Nav image.Rectangle
}

// NewScreens returns the window's screens, showing the monitor.
func NewScreens(opts Options) *Screens {
	opts = opts.withDefaults()
	s := &Screens{
		opts:    opts,
		header:  newHeader(),
		Banner:  NewBanner(),
		Monitor: NewMonitor(opts),
		Trends:  NewTrends(),
		Alarms:  NewAlarmLog(),
		Devices: NewDevices(),
		Events:  NewEvents(),
		Setup:   NewSetup(),
		Replay:  NewReplayBar(),
	}
	if opts.ECMO {
		s.Events = newEvents(append(slices.Clone(EntryKinds), ECMOEntryKinds...))
	}
	s.emitFn = s.emit
	s.Banner.zone, s.Specimen.zone = opts.Zone, opts.Zone
	s.Setup.configure(opts)
	// Times are shown in the theatre's zone: clockOf reads it from the
	// case start's location (a zero case start too).
	s.opts.CaseStart = s.opts.CaseStart.In(opts.Zone)
	return s
}

func (s *Screens) emit(a Action) {
	if s.opts.OnAction != nil {
		s.opts.OnAction(a)
	}
}

// Screen returns the screen shown.
func (s *Screens) Screen() Screen { return s.screen }

// SetScreen selects the screen shown.
func (s *Screens) SetScreen(sc Screen) {
	if sc < NumScreens {
		s.screen = sc
	}
}

// Rects returns where the last frame put things.
func (s *Screens) Rects() Rects { return s.rects }

// Header returns what the header showed on the last frame: the case time,
// the feed badge ("" when none) and the other badges ("REPLAY|LOST: x|").
func (s *Screens) Header() (caseTime, badge, badges string) {
	return string(s.header.clockBuf), string(s.header.badgeBuf), string(s.header.badges)
}

// FeedStale reports whether snap is too old at now to be trusted.
func (s *Screens) FeedStale(snap *monitor.Snapshot, now time.Time) bool {
	return snap != nil && s.opts.StaleAfter > 0 && now.UnixNano()-snap.Time > int64(s.opts.StaleAfter)
}

// editing reports whether a text field has the keyboard: letter shortcuts
// are then text.
func (s *Screens) editing(gtx layout.Context) bool {
	if gtx.Focused(&s.Events.Details) {
		return true
	}
	return s.Setup.focused(gtx)
}

// keys handles the keyboard: screens, alarm controls, replay, event
// shortcuts.
func (s *Screens) keys(gtx layout.Context, snap *monitor.Snapshot, st *State, nowNs int64) {
	for i, k := range screenKeys {
		for {
			ev, ok := gtx.Event(key.Filter{Name: k})
			if !ok {
				break
			}
			if e, ok := ev.(key.Event); ok && e.State == key.Press {
				s.screen = Screen(i)
			}
		}
	}
	for {
		ev, ok := gtx.Event(key.Filter{Name: KeyAcknowledge}, key.Filter{Name: KeyPauseAudio})
		if !ok {
			break
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		if e.Name == KeyAcknowledge {
			s.Banner.acknowledge(st, nowNs, s.emitFn)
		} else {
			pauseAudio(st, nowNs, s.emitFn)
		}
	}
	if s.editing(gtx) {
		return
	}
	s.Specimen.keys(gtx, st.Specimen, nowNs, s.emitFn)
	if st.Replay != nil {
		for {
			ev, ok := gtx.Event(key.Filter{Name: KeyPlayPause})
			if !ok {
				break
			}
			if e, ok := ev.(key.Event); ok && e.State == key.Press {
				s.emit(SetPlaying{Playing: !st.Replay.Playing})
			}
		}
	}
	for _, sc := range Shortcuts {
		for {
			ev, ok := gtx.Event(key.Filter{Name: sc.Key, Optional: key.ModShift})
			if !ok {
				break
			}
			e, ok := ev.(key.Event)
			if !ok || e.State != key.Press {
				continue
			}
			kind := sc.Kind
			if sc.Off != EventNone {
				ct := ComputeTimes(st.Events, snap, nowNs)
				on := map[EventKind]bool{EventBypassOn: ct.BypassOn, EventClampOn: ct.ClampOn, EventArrestStart: ct.ArrestOn,
					EventWeaning: ct.WeaningOn, EventACPStart: ct.ACPOn}[sc.Kind]
				if on {
					kind = sc.Off
				}
			}
			s.Events.enter(kind, nowNs, s.emitFn)
		}
	}
}

// Layout draws the window to fill gtx.Constraints.Max. snap may be nil
// (before the first snapshot); st may be nil (no alarms, devices or
// events). now is on the snapshot's clock. It returns the time of the next
// frame the screen needs for animation (an alarm flashing), zero if none.
//
// Layout does not lock and does not read the clock; on the monitor screen
// it does not allocate in steady state.
func (s *Screens) Layout(gtx layout.Context, th *theme.Theme, snap *monitor.Snapshot, st *State, now time.Time) time.Time {
	if st == nil {
		st = &s.empty
	}
	nowNs := now.UnixNano()
	s.keys(gtx, snap, st, nowNs)
	for i := range s.nav {
		if s.nav[i].clicked(gtx) {
			s.screen = Screen(i)
		}
	}
	sz := gtx.Constraints.Max
	scale := min(float32(sz.X)/1280, float32(sz.Y)/800)
	px := func(v float32) int { return max(1, int(v*scale+0.5)) }
	widget.Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, th.Background)

	r := &s.rects
	r.Header = image.Rect(0, 0, sz.X, px(60))
	r.Banner = image.Rect(0, r.Header.Max.Y, sz.X, r.Header.Max.Y+px(56))
	r.Nav = image.Rect(0, sz.Y-px(46), sz.X, sz.Y)
	r.Replay = image.Rectangle{}
	bodyBottom := r.Nav.Min.Y
	if st.Replay != nil {
		r.Replay = image.Rect(0, r.Nav.Min.Y-px(58), sz.X, r.Nav.Min.Y)
		bodyBottom = r.Replay.Min.Y
	}
	gap := px(8)
	top := r.Banner.Max.Y
	r.Specimen = image.Rectangle{}
	if st.Specimen != nil {
		r.Specimen = image.Rect(gap, top+gap/2, sz.X-gap, top+gap/2+px(40))
		top = r.Specimen.Max.Y
	}
	r.Body = image.Rect(gap, top+gap/2, sz.X-gap, bodyBottom-gap)

	feedStale := s.FeedStale(snap, now)
	off := op.Offset(r.Header.Min).Push(gtx.Ops)
	s.header.layout(gtx, th, r.Header.Size(), px, snap, st, now, feedStale, s.opts.CaseStart)
	off.Pop()
	next := s.Banner.Layout(gtx, th, r.Banner, px, st, now, s.emitFn)
	s.Specimen.layout(gtx, th, r.Specimen, px, st.Specimen, nowNs, s.emitFn)

	switch s.screen {
	case ScreenMonitor:
		s.Monitor.Layout(gtx, th, r.Body, scale, snap, st, now, feedStale)
	case ScreenTrends:
		s.Trends.Layout(gtx, th, r.Body, px, snap, st, now, s.opts)
	case ScreenAlarms:
		s.Alarms.Layout(gtx, th, r.Body, px, st, now, s.opts.CaseStart, s.Banner, s.emitFn)
	case ScreenDevices:
		s.Devices.Layout(gtx, th, r.Body, px, st, now)
	case ScreenEvents:
		s.Events.Layout(gtx, th, r.Body, px, snap, st, now, s.opts.CaseStart, s.emitFn)
	case ScreenSetup:
		s.Setup.Layout(gtx, th, r.Body, px, st, s.opts.Constants, now, s.emitFn)
	}
	if st.Replay != nil {
		s.Replay.Layout(gtx, th, r.Replay, px, st.Replay, st, s.opts.CaseStart, s.emitFn)
	}

	// Navigation bar.
	widget.Rect(gtx.Ops, r.Nav, 0, th.Header)
	n := int(NumScreens)
	w := (r.Nav.Dx() - gap*(n+1)) / n
	for i := range s.nav {
		x := r.Nav.Min.X + gap + i*(w+gap)
		bg, fg := th.Button, th.OnButton
		if Screen(i) == s.screen {
			bg, fg = th.Selected, th.OnSelected
		}
		s.nav[i].layout(gtx, th, image.Rect(x, r.Nav.Min.Y+px(6), x+w, r.Nav.Max.Y-px(6)), screenLabels[i], px(16), bg, fg)
	}
	return next
}

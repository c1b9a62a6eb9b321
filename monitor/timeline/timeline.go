package timeline

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// The event kinds that change the case's state (docs/format/case.md).
// Others (drug, fluid, note, ...) are kept and listed but change nothing
// here.
const (
	KindOnBypass     = "on_bypass"
	KindOffBypass    = "off_bypass"
	KindClampOn      = "clamp_on"
	KindClampOff     = "clamp_off"
	KindArrestStart  = "arrest_start"
	KindArrestEnd    = "arrest_end"
	KindCardioplegia = "cardioplegia"
	KindACT          = "act"
)

// DefaultCapacity is enough for the longest case: a 12-hour case with an
// event a minute is 720.
const DefaultCapacity = 10000

// ErrFull is returned by Add when the timeline holds its capacity.
var ErrFull = errors.New("timeline: full")

// Event is one case event. Time is Unix ns on the case clock.
type Event struct {
	Time int64
	Kind string
	Text string
}

// Phase is the phase of the case.
type Phase uint8

// The phases. Unknown until the first event: rules that depend on the
// phase then do not apply.
const (
	Unknown Phase = iota
	PreBypass
	Bypass
	// Arrest is circulatory arrest: on bypass with the flow stopped on
	// purpose.
	Arrest
	OffBypass
)

var phaseNames = [...]string{"unknown", "pre_bypass", "bypass", "arrest", "off_bypass"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// State is what the events up to a moment imply.
type State struct {
	Phase      Phase
	CrossClamp bool
	// BypassStart, ClampStart and ArrestStart are the starts of the
	// current (or, when over, the last) period, Unix ns; 0 if none yet.
	BypassStart, ClampStart, ArrestStart int64
	// Bypass, Clamp and Arrest are the total times so far, over every
	// period (a return to bypass adds to the first).
	Bypass, Clamp, Arrest time.Duration
	// LastCardioplegia and LastACT are the times of the last dose and
	// result, Unix ns; 0 if none yet.
	LastCardioplegia, LastACT int64
}

// Timeline is the case's events in time order.
type Timeline struct {
	mu     sync.RWMutex
	events []Event
	max    int
}

// New returns an empty timeline holding at most capacity events
// (DefaultCapacity if capacity ≤ 0).
func New(capacity int) *Timeline {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Timeline{max: capacity}
}

// Add inserts e in time order (after events of the same time). It refuses
// an event without a time or a kind, and any event once full.
func (t *Timeline) Add(e Event) error {
	if e.Time <= 0 {
		return fmt.Errorf("timeline: event %q has no time", e.Kind)
	}
	if e.Kind == "" {
		return errors.New("timeline: event has no kind")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.events) >= t.max {
		return fmt.Errorf("%w: %d events", ErrFull, t.max)
	}
	i, _ := slices.BinarySearchFunc(t.events, e.Time+1, func(x Event, at int64) int {
		return cmpInt(x.Time, at)
	})
	t.events = slices.Insert(t.events, i, e)
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Len returns the number of events.
func (t *Timeline) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.events)
}

// Events appends every event, oldest first, to dst.
func (t *Timeline) Events(dst []Event) []Event {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append(dst, t.events...)
}

// At returns the state implied by the events up to and including now.
func (t *Timeline) At(now int64) State {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var s State
	onBypass, inArrest := false, false
	var bypassFrom, clampFrom, arrestFrom int64
	for i := range t.events {
		e := &t.events[i]
		if e.Time > now {
			break
		}
		if s.Phase == Unknown {
			s.Phase = PreBypass
		}
		switch e.Kind {
		case KindOnBypass:
			if !onBypass {
				onBypass, bypassFrom, s.BypassStart = true, e.Time, e.Time
			}
		case KindOffBypass:
			if onBypass {
				s.Bypass += time.Duration(e.Time - bypassFrom)
				onBypass = false
			}
			if inArrest { // the arrest ends with bypass at the latest
				s.Arrest += time.Duration(e.Time - arrestFrom)
				inArrest = false
			}
		case KindClampOn:
			if !s.CrossClamp {
				s.CrossClamp, clampFrom, s.ClampStart = true, e.Time, e.Time
			}
		case KindClampOff:
			if s.CrossClamp {
				s.Clamp += time.Duration(e.Time - clampFrom)
				s.CrossClamp = false
			}
		case KindArrestStart:
			if !inArrest {
				inArrest, arrestFrom, s.ArrestStart = true, e.Time, e.Time
			}
		case KindArrestEnd:
			if inArrest {
				s.Arrest += time.Duration(e.Time - arrestFrom)
				inArrest = false
			}
		case KindCardioplegia:
			s.LastCardioplegia = e.Time
		case KindACT:
			s.LastACT = e.Time
		}
		switch {
		case inArrest:
			s.Phase = Arrest
		case onBypass:
			s.Phase = Bypass
		case s.BypassStart != 0:
			s.Phase = OffBypass
		}
	}
	if onBypass {
		s.Bypass += time.Duration(now - bypassFrom)
	}
	if s.CrossClamp {
		s.Clamp += time.Duration(now - clampFrom)
	}
	if inArrest {
		s.Arrest += time.Duration(now - arrestFrom)
	}
	return s
}

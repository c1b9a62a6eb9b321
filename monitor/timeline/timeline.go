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

// ErrFull is returned by Add and Edit when the timeline holds its
// capacity (events and edits together).
var ErrFull = errors.New("timeline: full")

// ErrNotFound is returned by Edit for an ID no event has; ErrAmbiguous
// when more than one event has it (events added with Add at the same
// time: AddUnique avoids that).
var (
	ErrNotFound  = errors.New("timeline: no event with that id")
	ErrAmbiguous = errors.New("timeline: more than one event with that id")
)

// Event is one case event. Time is Unix ns on the case clock.
type Event struct {
	// Time is when it happened: the current value, after any edit.
	Time int64
	Kind string
	Text string
	// ID is the event's identity, stable across edits: its time when it
	// was first recorded, which is also its identity in the case file
	// (docs/format/case.md, "Entry identity and edits"). Add sets it to
	// Time when zero.
	ID int64
	// Edited: changed after entry (History has the trail). Void: struck
	// out: listed, but it implies nothing (At ignores it).
	Edited, Void bool
}

// Change is an edit of an event. Fields left nil or zero keep their value.
type Change struct {
	// At is when the edit was made (Unix ns), Who who made it.
	At  int64
	Who string
	// Time is the event's new time; 0 keeps it.
	Time int64
	// Text is the new text; nil keeps it.
	Text *string
	// Void strikes the event out (true) or restores it (false); nil
	// keeps the state.
	Void *bool
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
	events []Event // by current time
	ids    map[int64]int
	// history holds each edited event's original and its changes, by ID.
	history map[int64]*revisions
	edits   int
	max     int
}

type revisions struct {
	original Event
	changes  []Change
}

// New returns an empty timeline holding at most capacity events
// (DefaultCapacity if capacity ≤ 0).
func New(capacity int) *Timeline {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Timeline{max: capacity, ids: map[int64]int{}, history: map[int64]*revisions{}}
}

// Add inserts e in time order (after events of the same time). It refuses
// an event without a time or a kind, and any event once full. An event
// with an ID already in use is kept, but Edit cannot name it then: use
// AddUnique for events that may be edited.
func (t *Timeline) Add(e Event) error {
	if err := check(&e); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.add(e)
}

func check(e *Event) error {
	if e.Time <= 0 {
		return fmt.Errorf("timeline: event %q has no time", e.Kind)
	}
	if e.Kind == "" {
		return errors.New("timeline: event has no kind")
	}
	if e.ID == 0 {
		e.ID = e.Time
	}
	return nil
}

func (t *Timeline) add(e Event) error {
	if len(t.events)+t.edits >= t.max {
		return fmt.Errorf("%w: %d events and edits", ErrFull, t.max)
	}
	t.insert(e)
	t.ids[e.ID]++
	return nil
}

func (t *Timeline) insert(e Event) {
	i, _ := slices.BinarySearchFunc(t.events, e.Time+1, func(x Event, at int64) int {
		return cmpInt(x.Time, at)
	})
	t.events = slices.Insert(t.events, i, e)
}

// AddUnique adds e with an ID no other event has: its time, moved 1 ns
// later while that ID is taken (a case file needs the same: two events of
// one time are one point in InfluxDB). It returns the event as added;
// record it with that time.
func (t *Timeline) AddUnique(e Event) (Event, error) {
	if err := check(&e); err != nil {
		return Event{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.ID == e.Time {
		for t.ids[e.Time] > 0 {
			e.Time++
		}
		e.ID = e.Time
	} else if t.ids[e.ID] > 0 {
		return Event{}, fmt.Errorf("timeline: id %d is taken", e.ID)
	}
	return e, t.add(e)
}

// Edit changes the event whose ID is id and keeps the change in its
// history. A change to no time (negative) is refused; so is any edit once
// the timeline is full.
func (t *Timeline) Edit(id int64, c Change) (Event, error) {
	if c.Time < 0 {
		return Event{}, fmt.Errorf("timeline: edit of %d: time %d", id, c.Time)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.ids[id] {
	case 0:
		return Event{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	case 1:
	default:
		return Event{}, fmt.Errorf("%w: %d", ErrAmbiguous, id)
	}
	if len(t.events)+t.edits >= t.max {
		return Event{}, fmt.Errorf("%w: %d events and edits", ErrFull, t.max)
	}
	i := slices.IndexFunc(t.events, func(e Event) bool { return e.ID == id })
	e := t.events[i]
	h := t.history[id]
	if h == nil {
		h = &revisions{original: e}
		t.history[id] = h
	}
	h.changes = append(h.changes, c)
	t.edits++
	e.Edited = true
	if c.Text != nil {
		e.Text = *c.Text
	}
	if c.Void != nil {
		e.Void = *c.Void
	}
	if c.Time != 0 && c.Time != e.Time {
		e.Time = c.Time
		t.events = slices.Delete(t.events, i, i+1)
		t.insert(e)
	} else {
		t.events[i] = e
	}
	return e, nil
}

// Void strikes out the event whose ID is id: see Edit.
func (t *Timeline) Void(id, at int64, who string) (Event, error) {
	v := true
	return t.Edit(id, Change{At: at, Who: who, Void: &v})
}

// Lookup returns the event whose ID is id, as it stands.
func (t *Timeline) Lookup(id int64) (Event, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, e := range t.events {
		if e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}

// History returns the event whose ID is id as first added and its
// changes, oldest first; ok is false if it was never edited.
func (t *Timeline) History(id int64) (original Event, changes []Change, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	h := t.history[id]
	if h == nil {
		return Event{}, nil, false
	}
	return h.original, slices.Clone(h.changes), true
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

// Events appends every event as it stands (edits applied, voided ones
// included with Void set), in order of time, to dst.
func (t *Timeline) Events(dst []Event) []Event {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append(dst, t.events...)
}

// At returns the state implied by the events up to and including now, at
// their current times; voided events imply nothing.
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
		if e.Void {
			continue
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

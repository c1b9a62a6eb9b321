package timeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// KindWeaning starts partial bypass (weaning: flow reduced, the heart
	// taking over); KindFullFlow returns to full bypass. off_bypass ends
	// either.
	KindWeaning  = "weaning"
	KindFullFlow = "full_flow"
	// KindACPStart and KindACPEnd bound antegrade selective cerebral
	// perfusion, KindRCPStart and KindRCPEnd retrograde cerebral
	// perfusion, each usually within a circulatory arrest (the body's
	// flow stopped, the brain's not). An arrest_start whose
	// cerebral_perfusion is antegrade or retrograde starts them too.
	KindACPStart = "acp_start"
	KindACPEnd   = "acp_end"
	KindRCPStart = "rcp_start"
	KindRCPEnd   = "rcp_end"
	// KindDrug is a drug given; its Tag is the drug's name (heparin).
	KindDrug = "drug"
	// KindNIRSBaseline records the pre-induction cerebral oximetry
	// baseline.
	KindNIRSBaseline = "nirs_baseline"
	// The long run (ECMO, ECCO2R; docs/ecmo.md). KindECMOStart starts the
	// run: its run time counts from the first one, and the oxygenator and
	// the circuit fitted then are as old as the run. KindOxygenatorChange
	// fits a new oxygenator; KindCircuitChange a new circuit, its
	// oxygenator with it. They change no phase: an ECMO run has none of a
	// bypass case's phases.
	KindECMOStart        = "ecmo_start"
	KindOxygenatorChange = "oxygenator_change"
	KindCircuitChange    = "circuit_change"
)

// Qualifier returns the Tag of an event of kind from its fields (field
// returns a string field of the event, "" if absent): the cardioplegia's
// solution, the drug's name, an arrest's cerebral perfusion. Lower case.
func Qualifier(kind string, field func(key string) string) string {
	key := map[string]string{KindCardioplegia: "solution", KindDrug: "name", KindArrestStart: "cerebral_perfusion"}[kind]
	if key == "" {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(field(key)))
}

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
	// Tag qualifies the event (Qualifier): the cardioplegia solution that
	// sets the re-dose interval, the drug's name, the arrest's cerebral
	// perfusion.
	Tag string
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
//
// "On bypass" in the statistics of the console and the report is Bypass
// alone: full flow. Weaning, circulatory arrest and cerebral perfusion are
// on the pump too, but their flows are low on purpose; they are counted
// and reported on their own (Spans).
const (
	Unknown Phase = iota
	PreBypass
	// Bypass is full cardiopulmonary bypass (the aortic cross-clamp, the
	// cardiac arrest, is State.CrossClamp within it).
	Bypass
	// Arrest is circulatory arrest: on bypass with the flow stopped on
	// purpose (deep hypothermic circulatory arrest), no cerebral
	// perfusion.
	Arrest
	OffBypass
	// Weaning is partial bypass: the flow reduced as the heart takes over
	// (entered, or inferred from the flow and confirmed).
	Weaning
	// ACP is antegrade selective cerebral perfusion, RCP retrograde: the
	// pump perfuses the brain alone, during a circulatory arrest.
	ACP
	RCP
	NumPhases
)

var phaseNames = [...]string{"unknown", "pre_bypass", "bypass", "arrest", "off_bypass", "weaning", "acp", "rcp"}

// Label is the phase as a person reads it.
func (p Phase) Label() string {
	if int(p) < len(phaseLabels) {
		return phaseLabels[p]
	}
	return p.String()
}

var phaseLabels = [...]string{"Unknown", "Pre-bypass", "On bypass", "Circulatory arrest", "Off bypass", "Weaning (partial bypass)",
	"Antegrade cerebral perfusion", "Retrograde cerebral perfusion"}

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
	// PhaseSince is when Phase began, Unix ns.
	PhaseSince int64
	// BypassStart, ClampStart and ArrestStart are the starts of the
	// current (or, when over, the last) period, Unix ns; 0 if none yet.
	BypassStart, ClampStart, ArrestStart int64
	// Bypass is the total time on the pump (from on_bypass to off_bypass:
	// full flow, weaning, arrest and cerebral perfusion); Clamp and Arrest
	// the cross-clamp and circulatory arrest (ACP and RCP included) times.
	// Every period counts (a return to bypass adds to the first).
	Bypass, Clamp, Arrest time.Duration
	// InPhase is the total time so far in each phase.
	InPhase [NumPhases]time.Duration
	// LastCardioplegia and LastACT are the times of the last dose and
	// result, Unix ns; 0 if none yet. CardioplegiaSolution is the last
	// dose's solution (lower case), which sets the re-dose interval.
	LastCardioplegia, LastACT int64
	CardioplegiaSolution      string
	// Heparin is the time of the first heparin dose, 0 if none yet;
	// NIRSBaseline the time of the last NIRS baseline entry.
	Heparin, NIRSBaseline int64
	// ECMOStart is the time of the first ecmo_start, 0 if none yet;
	// Oxygenator and Circuit are when the oxygenator and the circuit in
	// use were fitted (the last oxygenator_change or circuit_change, else
	// the ECMO start), Unix ns. See ECMOTimes.
	ECMOStart, Oxygenator, Circuit int64
}

// ECMOTimes are a long run's timers at one moment: the run time (from the
// first ecmo_start), the oxygenator's age (from the last oxygenator_change
// or circuit_change, else the ECMO start) and the circuit's (from the last
// circuit_change, else the ECMO start). Zero when there is no ECMO start
// yet (the run time) or nothing fitted yet.
type ECMOTimes struct {
	Run, Oxygenator, Circuit time.Duration
}

// ECMOTimes returns the long run's timers of s at now (Unix ns).
func (s *State) ECMOTimes(now int64) ECMOTimes {
	since := func(t int64) time.Duration {
		if t == 0 || now < t {
			return 0
		}
		return time.Duration(now - t)
	}
	return ECMOTimes{Run: since(s.ECMOStart), Oxygenator: since(s.Oxygenator), Circuit: since(s.Circuit)}
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
	var m machine
	for i := range t.events {
		e := &t.events[i]
		if e.Time > now {
			break
		}
		if !e.Void {
			m.step(e)
		}
	}
	return m.state(now)
}

// Settle is the first part of full flow that the figures of perfusion
// (DO2i and MAP below their limits, their nadirs) do not count, in the
// console's statistics and the report alike: the pump's flow coming up to
// its target after going on bypass, or after reperfusion following an
// arrest, where a DO2i of 40 for a second is no finding.
const Settle = time.Minute

// Settled returns spans (of full flow) without their first Settle; spans
// shorter than that are left out.
func Settled(spans []Span) []Span {
	out := make([]Span, 0, len(spans))
	for _, sp := range spans {
		if sp.To-sp.From > int64(Settle) {
			out = append(out, Span{sp.From + int64(Settle), sp.To})
		}
	}
	return out
}

// Span is a time range [From, To), Unix ns.
type Span struct{ From, To int64 }

// Spans returns the ranges in which the case was in phase p, up to end (a
// phase still open at end is cut there). The report counts its on-bypass
// figures over the Bypass spans, as the console's statistics count while
// the phase is Bypass: one definition of "on bypass".
func (t *Timeline) Spans(p Phase, end int64) []Span {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var m machine
	var out []Span
	cur, since := Unknown, int64(0)
	for i := range t.events {
		e := &t.events[i]
		if e.Time > end {
			break
		}
		if e.Void {
			continue
		}
		m.step(e)
		if ph := m.phase(); ph != cur {
			if cur == p && e.Time > since {
				out = append(out, Span{since, e.Time})
			}
			cur, since = ph, e.Time
		}
	}
	if cur == p && end > since {
		out = append(out, Span{since, end})
	}
	return out
}

// machine folds events into the case's state.
type machine struct {
	s                                     State
	started                               bool
	onBypass, inArrest, weaning, acp, rcp bool
	bypassFrom, clampFrom, arrestFrom     int64
	cur                                   Phase
}

func (m *machine) step(e *Event) {
	s := &m.s
	if !m.started {
		m.started, m.cur, s.PhaseSince = true, PreBypass, e.Time
	}
	switch e.Kind {
	case KindOnBypass:
		if !m.onBypass {
			m.onBypass, m.bypassFrom, s.BypassStart = true, e.Time, e.Time
			m.weaning = false
		}
	case KindOffBypass:
		if m.onBypass {
			s.Bypass += time.Duration(e.Time - m.bypassFrom)
			m.onBypass = false
		}
		if m.inArrest { // the arrest ends with bypass at the latest
			s.Arrest += time.Duration(e.Time - m.arrestFrom)
			m.inArrest = false
		}
		m.weaning, m.acp, m.rcp = false, false, false
	case KindWeaning:
		m.weaning = m.onBypass
	case KindFullFlow:
		m.weaning = false
	case KindClampOn:
		if !s.CrossClamp {
			s.CrossClamp, m.clampFrom, s.ClampStart = true, e.Time, e.Time
		}
	case KindClampOff:
		if s.CrossClamp {
			s.Clamp += time.Duration(e.Time - m.clampFrom)
			s.CrossClamp = false
		}
	case KindArrestStart:
		if !m.inArrest {
			m.inArrest, m.arrestFrom, s.ArrestStart = true, e.Time, e.Time
		}
		switch e.Tag {
		case "antegrade":
			m.acp = true
		case "retrograde":
			m.rcp = true
		}
	case KindArrestEnd:
		if m.inArrest {
			s.Arrest += time.Duration(e.Time - m.arrestFrom)
			m.inArrest = false
		}
		m.acp, m.rcp = false, false
	case KindACPStart:
		m.acp, m.rcp = true, false
	case KindACPEnd:
		m.acp = false
	case KindRCPStart:
		m.rcp, m.acp = true, false
	case KindRCPEnd:
		m.rcp = false
	case KindCardioplegia:
		s.LastCardioplegia, s.CardioplegiaSolution = e.Time, e.Tag
	case KindACT:
		s.LastACT = e.Time
	case KindDrug:
		if e.Tag == "heparin" && s.Heparin == 0 {
			s.Heparin = e.Time
		}
	case KindNIRSBaseline:
		s.NIRSBaseline = e.Time
	case KindECMOStart:
		if s.ECMOStart == 0 {
			s.ECMOStart = e.Time
			if s.Oxygenator == 0 {
				s.Oxygenator = e.Time
			}
			if s.Circuit == 0 {
				s.Circuit = e.Time
			}
		}
	case KindOxygenatorChange:
		s.Oxygenator = e.Time
	case KindCircuitChange:
		s.Circuit, s.Oxygenator = e.Time, e.Time // a new circuit comes with its oxygenator
	}
	if ph := m.phase(); ph != m.cur {
		s.InPhase[m.cur] += time.Duration(e.Time - s.PhaseSince)
		m.cur, s.PhaseSince = ph, e.Time
	}
}

// phase is the phase the events so far imply.
func (m *machine) phase() Phase {
	switch {
	case !m.started:
		return Unknown
	case m.acp && (m.onBypass || m.inArrest):
		return ACP
	case m.rcp && (m.onBypass || m.inArrest):
		return RCP
	case m.inArrest:
		return Arrest
	case m.onBypass && m.weaning:
		return Weaning
	case m.onBypass:
		return Bypass
	case m.s.BypassStart != 0:
		return OffBypass
	}
	return PreBypass
}

// state is the state at now, with the periods still open counted to now.
func (m *machine) state(now int64) State {
	s := m.s
	s.Phase = m.phase()
	if m.onBypass {
		s.Bypass += time.Duration(now - m.bypassFrom)
	}
	if s.CrossClamp {
		s.Clamp += time.Duration(now - m.clampFrom)
	}
	if m.inArrest {
		s.Arrest += time.Duration(now - m.arrestFrom)
	}
	if m.started && now > s.PhaseSince {
		s.InPhase[s.Phase] += time.Duration(now - s.PhaseSince)
	}
	return s
}

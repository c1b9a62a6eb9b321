package alarms

import "math"

// Status is one alarm as the GUI shows it.
type Status struct {
	// Alarm is the alarm's id; Rule the id of its rule ("no_data" for a
	// no_data alarm).
	Alarm, Rule string
	// Index is the alarm's index in the engine's table, as in
	// Transition.Index.
	Index    int
	Message  string
	Class    Class
	State    State
	Priority Priority
	// Present: the condition holds now. An active alarm that is not
	// present is latched, or held visible for the profile's min_visible.
	Present  bool
	Latching bool
	// Sounding: it should sound now (Audible is the highest of these).
	Sounding bool
	// Since is when it became active (or pending), Unix ns.
	Since int64
	// PausedUntil is the end of the audio pause countdown, Unix ns; 0 if
	// not paused.
	PausedUntil int64
	// Value and Limit are the latest input value and the limit it crossed,
	// NaN if none (units as in Transition).
	Value, Limit float64
	// Raised is the value when the alarm became active (NaN if none), the
	// value that raised it.
	Raised float64
	// Ended is when the condition ended while the alarm stays shown
	// (latched, acknowledged-latched, or held for min_visible), Unix ns; 0
	// while the condition holds. An ended alarm is shown with Raised, not
	// with the recovered Value.
	Ended int64
	// Limits in force, shown always; Adjustable if the operator may change
	// them and within what.
	Limits             Limits
	Adjustable         bool
	LimitMin, LimitMax float64
	// Baseline of a fall_pct rule, NaN if none yet.
	Baseline float64
}

// AppendStatus appends the status of the engine's alarms to dst: all of them
// (one per rule, device slot in use and no_data channel) if all is true,
// otherwise only those pending, active, audio paused or acknowledged. Order
// is the profile's rule order, then no_data alarms. It allocates only if dst
// is too small.
func (e *Engine) AppendStatus(dst []Status, all bool) []Status {
	for i := range e.inst {
		a := &e.inst[i]
		if a.id == "" || (!all && a.state == Inactive) {
			continue
		}
		s := Status{
			Alarm: a.id, Index: a.idx, Rule: "no_data", Message: e.profile.NoData.Message, Class: Technical,
			State: a.state, Priority: a.prio, Present: a.engaged, Latching: a.latching, Sounding: a.sounding(),
			PausedUntil: a.pausedUntil, Value: a.value, Limit: a.limit, Raised: math.NaN(),
			Limits: noLimits, LimitMin: math.NaN(), LimitMax: math.NaN(), Baseline: math.NaN(),
		}
		switch a.state {
		case Pending:
			s.Since = a.pendingSince
		case Active, AudioPaused, Acknowledged:
			s.Since, s.Raised, s.Ended = a.activeSince, a.raised, a.endedAt
		}
		if a.rule >= 0 {
			r := &e.rules[a.rule]
			s.Rule, s.Message, s.Class = r.ID, r.Message, r.Class
			s.Limits, s.Adjustable, s.LimitMin, s.LimitMax = r.inForce(), r.Adjustable(), r.LimitMin, r.LimitMax
			if r.hasBaseline {
				s.Baseline = r.baseline
			}
		}
		dst = append(dst, s)
	}
	return dst
}

package alarms

import (
	"fmt"
	"strconv"
)

// Priority is an alarm condition's priority (IEC 60601-1-8): from the harm
// if nobody responds crossed with how fast it starts. Priorities are ordered:
// a greater value is more urgent.
type Priority uint8

// The priorities. NoPriority is the zero value: nothing to signal.
const (
	NoPriority Priority = iota
	Low
	Medium
	High
)

var priorityNames = [...]string{NoPriority: "none", Low: "low", Medium: "medium", High: "high"}

// String returns "high", "medium", "low" or "none".
func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "priority(" + strconv.Itoa(int(p)) + ")"
}

// ParsePriority is the inverse of String for the three alarm priorities.
func ParsePriority(s string) (Priority, error) {
	for p := Low; p <= High; p++ {
		if priorityNames[p] == s {
			return p, nil
		}
	}
	return NoPriority, fmt.Errorf("unknown priority %q (want high, medium or low)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// State is where an alarm is in its life.
//
//	Inactive -> Pending (validation delay) -> Active -> Acknowledged
//	                                          Active <-> AudioPaused
//
// Any state returns to Inactive when the alarm clears; a transition to
// Inactive is reported as "cleared".
type State uint8

// The alarm states.
const (
	// Inactive: no condition, or it cleared.
	Inactive State = iota
	// Pending: the condition is present and its validation delay is running.
	// Nothing is shown or sounded yet.
	Pending
	// Active: the alarm is shown and sounds.
	Active
	// AudioPaused: shown with a countdown; its sound is paused until the
	// countdown ends.
	AudioPaused
	// Acknowledged: shown, silent until the reminder interval has passed.
	Acknowledged
)

var stateNames = [...]string{Inactive: "inactive", Pending: "pending", Active: "active", AudioPaused: "audio_paused", Acknowledged: "acknowledged"}

// String returns the state's name ("audio_paused", ...).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// TransitionName is the name of a transition into s in the alarm log and in
// the headless JSON-lines contract: a transition into Inactive is "cleared".
func (s State) TransitionName() string {
	if s == Inactive {
		return "cleared"
	}
	return s.String()
}

// ParseTransitionName is the inverse of TransitionName.
func ParseTransitionName(name string) (State, error) {
	if name == "cleared" {
		return Inactive, nil
	}
	for s := Pending; s <= Acknowledged; s++ {
		if stateNames[s] == name {
			return s, nil
		}
	}
	return Inactive, fmt.Errorf("unknown alarm state %q (want pending, active, acknowledged, audio_paused or cleared)", name)
}

// Reason says why a transition happened.
type Reason uint8

// The reasons.
const (
	// ReasonCondition: the condition appeared (to pending, or straight to
	// active when the rule has no delay).
	ReasonCondition Reason = iota
	// ReasonDelay: the condition lasted its validation delay.
	ReasonDelay
	// ReasonRecovered: the value came back inside its limit (beyond the
	// hysteresis).
	ReasonRecovered
	// ReasonNotApplicable: the case phase, cross-clamp or gate no longer
	// allows the rule.
	ReasonNotApplicable
	// ReasonInputInvalid: the input has no valid value (missing, stale,
	// unavailable, out of range, questionable); a physiological rule never
	// fires on it and its no_data condition is raised instead.
	ReasonInputInvalid
	// ReasonEscalated: the alarm lasted its escalation time; its priority
	// rose and it sounds again.
	ReasonEscalated
	// ReasonReminder: acknowledged but still present after the reminder
	// interval; it sounds again.
	ReasonReminder
	// ReasonPauseExpired: the audio pause countdown ended.
	ReasonPauseExpired
	// ReasonOperator: an operator action (acknowledge, pause).
	ReasonOperator
	// ReasonLimitChanged: the operator changed a limit (log entries only).
	ReasonLimitChanged
	// ReasonBaselineSet: the baseline of a fall-from-baseline rule was set
	// by the operator or captured from the first valid value (log entries
	// only).
	ReasonBaselineSet
)

var reasonNames = [...]string{
	ReasonCondition: "condition", ReasonDelay: "delay_elapsed", ReasonRecovered: "recovered",
	ReasonNotApplicable: "not_applicable", ReasonInputInvalid: "input_invalid", ReasonEscalated: "escalated",
	ReasonReminder: "reminder", ReasonPauseExpired: "pause_expired", ReasonOperator: "operator",
	ReasonLimitChanged: "limit_changed", ReasonBaselineSet: "baseline_set",
}

// String returns the reason's name ("delay_elapsed", ...).
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Class is the kind of alarm condition.
type Class uint8

// The classes.
const (
	// Physiological: a monitored or derived value crossed its limit.
	Physiological Class = iota
	// Technical: no data, stale data, device lost, storage, audio.
	Technical
	// Reminder: a process timer ran out (cardioplegia or ACT due).
	Reminder
)

var classNames = [...]string{Physiological: "physiological", Technical: "technical", Reminder: "reminder"}

// String returns "physiological", "technical" or "reminder".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Condition is what a rule tests.
type Condition uint8

// The conditions. The unit of a rule's limit depends on the condition; see
// docs/alarms.md.
const (
	// Below: value < limit (<= with inclusive); clears at limit + hysteresis.
	Below Condition = iota + 1
	// Above: value > limit (>= with inclusive); clears at limit - hysteresis.
	Above
	// Outside: value < low or value > high; clears inside the band narrowed
	// by the hysteresis.
	Outside
	// RateAbove: the input's rate of change over the window, per minute, is
	// above the limit.
	RateAbove
	// RateBelow: the rate of change per minute is below the limit (a fall
	// faster than -limit when the limit is negative).
	RateBelow
	// FallPercent: the value is more than limit % below its baseline.
	FallPercent
	// Stale: the input has no valid value, or (limit > 0) its newest value
	// is older than limit minutes.
	Stale
	// DeviceLost: one instance per device: the device is disconnected, or
	// has sent nothing for limit times its interval (capped at max_silence).
	DeviceLost
	// Flag: a health flag of the Context is set.
	Flag
	// Increase: a counter of the Context rose within the last window.
	Increase
)

var conditionNames = [...]string{
	Below: "below", Above: "above", Outside: "outside", RateAbove: "rate_above", RateBelow: "rate_below",
	FallPercent: "fall_pct", Stale: "stale", DeviceLost: "device_lost", Flag: "flag", Increase: "increase",
}

// String returns the condition's profile name ("fall_pct", ...).
func (c Condition) String() string {
	if c != 0 && int(c) < len(conditionNames) {
		return conditionNames[c]
	}
	return "condition(" + strconv.Itoa(int(c)) + ")"
}

func parseCondition(s string) (Condition, bool) {
	for c := Below; int(c) < len(conditionNames); c++ {
		if conditionNames[c] == s {
			return c, true
		}
	}
	return 0, false
}

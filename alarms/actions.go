package alarms

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// AllAlarms, as the id given to Acknowledge or PauseAudio, acts on every
// alarm the action applies to.
const AllAlarms = "all"

// Errors of the operator actions; test with errors.Is.
var (
	ErrUnknownAlarm = errors.New("unknown alarm")
	// ErrNotActive: the alarm is not in a state the action applies to
	// (acknowledge and pause need an active or audio-paused alarm).
	ErrNotActive = errors.New("alarm is not active")
	// ErrLimitFixed: the profile gives no bounds for the operator.
	ErrLimitFixed = errors.New("limit is fixed by the profile")
)

// LimitError is a limit change refused because it lies outside the bounds
// the profile allows.
type LimitError struct {
	Rule  string
	Value float64
	// Bound is the profile key that refused it: "limit_min" or "limit_max".
	Bound      string
	BoundValue float64
}

func (e *LimitError) Error() string {
	rel := "below"
	if e.Bound == "limit_max" {
		rel = "above"
	}
	return fmt.Sprintf("alarms: rule %s: limit %g is %s the profile's %s %g", e.Rule, e.Value, rel, e.Bound, e.BoundValue)
}

// Acknowledge acknowledges alarm id (or AllAlarms) at now: an alarm whose
// condition is still present goes silent until the reminder interval has
// passed; one whose condition has ended (latched, or held visible) clears.
func (e *Engine) Acknowledge(now time.Time, id string) error {
	return e.operate(now, id, func(t int64, a *instance) bool {
		if a.state != Active && a.state != AudioPaused {
			return false
		}
		a.state, a.ackAt, a.pausedUntil = Acknowledged, t, 0
		e.emit(t, a, ReasonOperator)
		if !a.engaged {
			e.clear(t, a, ReasonOperator)
		}
		return true
	})
}

// PauseAudio pauses the sound of alarm id (or of every sounding alarm, with
// AllAlarms) for the profile's pause length. The pause is per alarm: an
// alarm raised later sounds. Pausing a paused alarm restarts its countdown.
func (e *Engine) PauseAudio(now time.Time, id string) error {
	return e.operate(now, id, func(t int64, a *instance) bool {
		if a.state != Active && a.state != AudioPaused {
			return false
		}
		a.state, a.pausedUntil = AudioPaused, t+e.pause
		e.emit(t, a, ReasonOperator)
		return true
	})
}

func (e *Engine) operate(now time.Time, id string, act func(int64, *instance) bool) error {
	t := now.UnixNano()
	start := len(e.out)
	defer func() {
		// Operator transitions are logged, not added to Eval's result.
		for i := start; i < len(e.out); i++ {
			if e.log != nil {
				e.log.LogAlarm(e.entry(&e.out[i]))
			}
		}
		e.out = e.out[:start]
		e.updateAudible()
	}()
	if id == AllAlarms {
		for i := range e.inst {
			act(t, &e.inst[i])
		}
		return nil
	}
	for i := range e.inst {
		if a := &e.inst[i]; a.id == id {
			if !act(t, a) {
				return fmt.Errorf("alarms: %s is %s: %w", id, a.state, ErrNotActive)
			}
			return nil
		}
	}
	return fmt.Errorf("alarms: %q: %w", id, ErrUnknownAlarm)
}

func (e *Engine) ruleByID(id string) (*crule, error) {
	for i := range e.rules {
		if e.rules[i].ID == id {
			return &e.rules[i], nil
		}
	}
	return nil, fmt.Errorf("alarms: rule %q: %w", id, ErrUnknownAlarm)
}

func (e *Engine) adjustable(id string, values ...float64) (*crule, error) {
	r, err := e.ruleByID(id)
	if err != nil {
		return nil, err
	}
	if !r.Adjustable() {
		return nil, fmt.Errorf("alarms: rule %s: %w", id, ErrLimitFixed)
	}
	for _, v := range values {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return nil, fmt.Errorf("alarms: rule %s: limit %g is not a number", id, v)
		case v < r.LimitMin:
			return nil, &LimitError{Rule: id, Value: v, Bound: "limit_min", BoundValue: r.LimitMin}
		case v > r.LimitMax:
			return nil, &LimitError{Rule: id, Value: v, Bound: "limit_max", BoundValue: r.LimitMax}
		}
	}
	return r, nil
}

// SetLimit changes the limit of rule id at the operator's request, within
// the profile's limit_min..limit_max, and logs the change. It takes effect
// at the next Eval. For a band (outside) use SetBand.
func (e *Engine) SetLimit(now time.Time, id string, limit float64) error {
	r, err := e.adjustable(id, limit)
	if err != nil {
		return err
	}
	if r.Condition == Outside {
		return fmt.Errorf("alarms: rule %s has a band: set low and high with SetBand", id)
	}
	old := r.set()
	r.Limit = limit
	e.logChange(now.UnixNano(), r, old, ReasonLimitChanged)
	return nil
}

// SetBand changes the band of an outside rule, as SetLimit does.
func (e *Engine) SetBand(now time.Time, id string, low, high float64) error {
	r, err := e.adjustable(id, low, high)
	if err != nil {
		return err
	}
	if r.Condition != Outside {
		return fmt.Errorf("alarms: rule %s has a single limit: use SetLimit", id)
	}
	if !(low < high) || r.Hysteresis*2 >= high-low {
		return fmt.Errorf("alarms: rule %s: band %g..%g is empty with hysteresis %g", id, low, high, r.Hysteresis)
	}
	old := r.set()
	r.Low, r.High = low, high
	e.logChange(now.UnixNano(), r, old, ReasonLimitChanged)
	return nil
}

// SetBaseline sets the baseline of a fall_pct rule (for instance the value
// before induction). Until it is set, the first valid value is taken.
func (e *Engine) SetBaseline(now time.Time, id string, baseline float64) error {
	r, err := e.ruleByID(id)
	if err != nil {
		return err
	}
	if r.Condition != FallPercent {
		return fmt.Errorf("alarms: rule %s is not a fall_pct rule", id)
	}
	if !(baseline > 0) || math.IsInf(baseline, 0) {
		return fmt.Errorf("alarms: rule %s: baseline %g must be above 0", id, baseline)
	}
	prev := math.NaN()
	if r.hasBaseline {
		prev = r.baseline
	}
	r.hasBaseline, r.baseline = true, baseline
	e.logBaseline(now.UnixNano(), r, prev)
	return nil
}

func (e *Engine) logChange(t int64, r *crule, old Limits, why Reason) {
	if e.log == nil {
		return
	}
	a := &e.inst[r.first]
	en := e.entry(&Transition{Time: t, Alarm: r.ID, Index: a.idx, State: a.state, Priority: a.prio, Reason: why, Value: a.value, Limit: a.limit})
	en.Limits, en.Previous = r.set(), old
	e.log.LogAlarm(en)
}

func (e *Engine) logBaseline(t int64, r *crule, prev float64) {
	if e.log == nil {
		return
	}
	a := &e.inst[r.first]
	en := e.entry(&Transition{Time: t, Alarm: r.ID, Index: a.idx, State: a.state, Priority: a.prio, Reason: ReasonBaselineSet, Value: a.value, Limit: a.limit})
	en.Baseline, en.PrevBaseline = r.baseline, prev
	e.log.LogAlarm(en)
}

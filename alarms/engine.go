package alarms

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Transition is one change of one alarm.
type Transition struct {
	// Time is the case-clock time, Unix ns.
	Time int64
	// Alarm is the alarm's id: the rule id, "device_lost/<device>" or
	// "no_data/<channel>".
	Alarm string
	// Index is the alarm's index in the engine's table (Status.Index).
	Index int
	// State is the new state; Inactive is reported as "cleared".
	State    State
	Priority Priority
	Reason   Reason
	// Value is the input's value when the transition happened (for
	// fall_pct the fall in %, for stale the age in minutes, for device_lost
	// the silence in seconds); NaN if it had none.
	Value float64
	// Limit is the limit the value crossed (the side crossed, for a band);
	// NaN if none.
	Limit float64
}

// Options configure an Engine.
type Options struct {
	// Logger receives every transition and operator action, on the
	// goroutine that calls the engine. Nil: none.
	Logger Logger
}

// Engine evaluates a profile's rules against snapshots. It is a pure state
// machine: it starts no goroutines, reads no clock, and does no I/O except
// through the Logger it is given.
//
// An Engine is not safe for concurrent use: one goroutine owns it and calls
// Eval, the operator actions and the status methods in turn.
type Engine struct {
	rules   []crule
	inst    []instance
	present []bool // per no_data alarm: some rule's input was invalid this Eval
	noData0 int    // index of the first no_data alarm in inst
	out     []Transition
	log     Logger
	audible Priority

	pause, minVisible, reminder int64
	profile                     *Profile
}

// crule is a compiled rule with its run-time state.
type crule struct {
	Rule
	in, gate input
	q10      []channel.ID // the temperatures the limit scales with
	// scale and fixed are this evaluation's dynamic limit (dynamic): the
	// limit times scale, or fixed (in the limit's unit) when not NaN.
	scale, fixed float64
	// The artefact check (Rule.Artefact): the confirming channel, the
	// last sample of the input and the confirm channel's value then, and
	// when a fall held as artefact began (0: none) with the value before it.
	confirm                  channel.ID
	lastT                    int64
	lastV, lastConfirm       float64
	artefactSince, artefactV int64
	gateOn                   bool
	first, n                 int // its alarms: inst[first : first+n]
	noData                   int // its no_data alarm's index in Engine.present, -1 if none
	hist                     *history
	hasBaseline              bool
	baseline                 float64
	counter                  uint64
	counterInit              bool
	lastRise                 int64
	delay                    int64
	escalate                 int64
}

// instance is one alarm: a rule's, a device's under device_lost, or a
// channel's no_data.
type instance struct {
	id       string
	idx      int // in Engine.inst
	rule     int // -1 for no_data
	device   int // device slot for device_lost alarms
	state    State
	engaged  bool // condition present, with hysteresis
	prio     Priority
	latching bool
	delay    int64

	applicable      bool
	applicableSince int64
	pendingSince    int64
	activeSince     int64
	ackAt           int64
	pausedUntil     int64
	value, limit    float64
	// raised is the value when the alarm became active; endedAt when its
	// condition ended while it stays shown (latched, or held for
	// min_visible), 0 while the condition holds.
	raised  float64
	endedAt int64

	// device_lost: the device's State as last seen and since when. A
	// caller's Since may follow finer states than the Context's (a
	// supervisor's running and silent are both DeviceConnected): silence
	// counts from when the State itself last changed.
	devState DeviceState
	devSince int64
}

const noDataPrefix = "no_data/"

// New compiles a profile into an engine. All alarms start inactive.
func New(p *Profile, opts Options) (*Engine, error) {
	if p == nil || len(p.Rules) == 0 {
		return nil, fmt.Errorf("alarms: profile has no rules")
	}
	e := &Engine{
		log:        opts.Logger,
		pause:      int64(p.Pause),
		minVisible: int64(p.MinVisible),
		reminder:   int64(p.Reminder),
		profile:    p,
	}
	noDataOf := map[channel.ID]int{}
	var noDataCh []channel.ID
	var noDataDelay []time.Duration
	for i := range p.Rules {
		r := crule{Rule: p.Rules[i], noData: -1, delay: int64(p.Rules[i].Delay), escalate: int64(p.Rules[i].EscalateAfter),
			scale: 1, fixed: math.NaN()}
		for _, name := range r.Q10Inputs {
			id, ok := channel.Lookup(name)
			if !ok {
				return nil, fmt.Errorf("alarms: rule %s: unknown q10 input %q", r.ID, name)
			}
			r.q10 = append(r.q10, id)
		}
		var ok bool
		if r.Condition != DeviceLost {
			if r.in, ok = resolveInput(r.Input); !ok {
				return nil, fmt.Errorf("alarms: rule %s: unknown input %q", r.ID, r.Input)
			}
		}
		if r.When != nil {
			if r.gate, ok = resolveInput(r.When.Input); !ok || r.gate.kind != inChannel {
				return nil, fmt.Errorf("alarms: rule %s: bad gate input %q", r.ID, r.When.Input)
			}
		}
		if r.Condition == RateAbove || r.Condition == RateBelow {
			r.hist = &history{}
		}
		if r.Artefact != nil {
			id, ok := channel.Lookup(r.Artefact.Confirm)
			if !ok {
				return nil, fmt.Errorf("alarms: rule %s: unknown artefact input %q", r.ID, r.Artefact.Confirm)
			}
			r.confirm = id
		}
		if r.StaleAlarm {
			k, seen := noDataOf[r.in.ch]
			if !seen {
				k = len(noDataCh)
				noDataOf[r.in.ch] = k
				noDataCh = append(noDataCh, r.in.ch)
				noDataDelay = append(noDataDelay, p.NoData.Delay)
			}
			noDataDelay[k] = max(noDataDelay[k], r.NoDataDelay)
			r.noData = k
		}
		r.first = len(e.inst)
		r.n = 1
		if r.Condition == DeviceLost {
			r.n = MaxDevices
		}
		for d := 0; d < r.n; d++ {
			a := instance{rule: i, device: d, prio: r.Priority, latching: r.Latching, delay: r.delay, value: math.NaN(), limit: math.NaN()}
			if r.Condition != DeviceLost {
				a.id = r.ID
			}
			e.inst = append(e.inst, a)
		}
		e.rules = append(e.rules, r)
	}
	e.noData0 = len(e.inst)
	for k, ch := range noDataCh {
		e.inst = append(e.inst, instance{
			id: noDataPrefix + ch.String(), rule: -1, prio: p.NoData.Priority,
			delay: int64(noDataDelay[k]), value: math.NaN(), limit: math.NaN(),
		})
	}
	for i := range e.inst {
		e.inst[i].idx = i
	}
	e.present = make([]bool, len(noDataCh))
	// At most a few transitions per alarm per Eval (pending+active,
	// expiry+escalation); the slice grows only in pathological cases.
	e.out = make([]Transition, 0, 4*len(e.inst)+16)
	return e, nil
}

// Profile returns the profile the engine was built from.
func (e *Engine) Profile() *Profile { return e.profile }

var zeroContext Context

// Eval evaluates every rule at now against snap and ctx, advances every
// alarm's state and returns the transitions, which it has also logged. The
// returned slice is owned by the engine and valid until the next call to
// Eval; copy what must outlive it. snap and ctx may be nil (no readings; an
// unknown phase) and are only read.
//
// now must not go backwards between calls. In steady state Eval does not
// allocate.
func (e *Engine) Eval(now time.Time, snap *monitor.Snapshot, ctx *Context) []Transition {
	t := now.UnixNano()
	if ctx == nil {
		ctx = &zeroContext
	}
	e.out = e.out[:0]
	clear(e.present)
	for i := range e.rules {
		r := &e.rules[i]
		e.observe(t, r, snap, ctx)
		r.dynamic(snap, ctx)
		if r.Condition == DeviceLost {
			e.evalDevices(t, r, snap, ctx)
			continue
		}
		a := &e.inst[r.first]
		if ok, onset := e.applicable(t, r, ctx); !ok {
			a.applicable = false
			e.step(t, a, false, ReasonNotApplicable)
			if onset && r.noData >= 0 {
				// The condition waits out the phase's first minutes; a
				// lost input does not (an arterial line lost as bypass
				// starts is no transient).
				var scratch instance
				if _, valid := e.measure(t, r, &scratch, snap, ctx); !valid {
					e.present[r.noData] = true
				}
			}
			continue
		}
		if !a.applicable {
			a.applicable, a.applicableSince = true, t
		}
		present, valid := e.measure(t, r, a, snap, ctx)
		if art := r.artefact(t, snap); present && art {
			present = false // a fall the line pressure does not share: the transducer
		}
		why := ReasonRecovered
		if !valid {
			why = ReasonInputInvalid
			if r.noData >= 0 {
				e.present[r.noData] = true
			}
		}
		e.step(t, a, present, why)
	}
	for k, present := range e.present {
		e.step(t, &e.inst[e.noData0+k], present, ReasonRecovered)
	}
	e.updateAudible()
	e.logOut()
	return e.out
}

// observe keeps the state that must follow the input whether or not the
// rule applies now: gate, baseline, rate history, counter.
func (e *Engine) observe(t int64, r *crule, snap *monitor.Snapshot, ctx *Context) {
	if r.When != nil {
		rd := snap.Reading(r.gate.ch)
		if !rd.OK() {
			r.gateOn = false
		} else {
			w := r.When
			switch {
			case w.AtLeast && r.gateOn:
				r.gateOn = rd.Value >= w.Threshold-w.Hysteresis
			case w.AtLeast:
				r.gateOn = rd.Value >= w.Threshold
			case r.gateOn:
				r.gateOn = rd.Value < w.Threshold+w.Hysteresis
			default:
				r.gateOn = rd.Value < w.Threshold
			}
		}
	}
	switch r.Condition {
	case FallPercent:
		if !r.hasBaseline {
			if rd := snap.Reading(r.in.ch); rd.OK() && rd.Value > 0 {
				r.hasBaseline, r.baseline = true, rd.Value
				e.logBaseline(t, r, math.NaN())
			}
		}
	case RateAbove, RateBelow:
		if rd := snap.Reading(r.in.ch); rd.OK() {
			r.hist.add(rd.Time, rd.Value, int64(r.Window))
		}
	case Increase:
		c := ctx.RingDrops
		switch {
		case !r.counterInit:
			r.counterInit = true
		case c > r.counter:
			r.lastRise = t
		}
		r.counter = c
	}
}

// applicable reports whether rule r applies now; onset, when it does not,
// that only its onset window keeps it from applying.
func (e *Engine) applicable(t int64, r *crule, ctx *Context) (ok, onset bool) {
	if !r.Phases.Has(ctx.Phase) || (r.CrossClamp && !ctx.CrossClamp) {
		return false, false
	}
	ok = e.applicableNow(r, ctx)
	if ok && r.Onset > 0 && ctx.PhaseSince != 0 && t-ctx.PhaseSince < int64(r.Onset) {
		return false, true // the expected transient as the phase begins
	}
	return ok, false
}

func (e *Engine) applicableNow(r *crule, ctx *Context) bool {
	if r.AfterHeparin && ctx.Heparin == 0 {
		return false
	}
	if r.LimitOf == LimitOfFlowIndexTarget && !(ctx.FlowIndexTarget > 0) {
		return false
	}
	if r.in.kind == inChannel && ctx.Unprovided.Has(r.in.ch) {
		return false // no source of the case provides the input
	}
	return r.When == nil || r.gateOn || r.When.Overrides()
}

// limits returns the limits in force: the gate's override while it holds.
func (r *crule) limits() (limit, low, high float64) {
	limit, low, high = r.Limit, r.Low, r.High
	if r.When != nil && r.gateOn && r.When.Overrides() {
		limit, low, high = r.When.Limit, r.When.Low, r.When.High
	}
	if !math.IsNaN(r.fixed) {
		limit = r.fixed
	}
	return limit * r.scale, low, high
}

// dynamic sets this evaluation's limit scaling: a share of the flow index
// target, the oxygen-demand scaling with the patient's temperature (Q10),
// the re-dose interval of the last cardioplegia solution.
func (r *crule) dynamic(snap *monitor.Snapshot, ctx *Context) {
	r.scale, r.fixed = 1, math.NaN()
	switch {
	case r.LimitOf == LimitOfFlowIndexTarget:
		r.scale = ctx.FlowIndexTarget / 100 // the limit is in % of the target
	case r.Q10 > 1:
		// The console's DO2i tile and the report scale by the same
		// function (physio.Q10Factor).
		r.scale, _, _ = monitor.Q10Factor(snap, r.Q10, r.q10)
	}
	if r.in.kind == inSinceCardioplegia && ctx.CardioplegiaInterval > 0 {
		r.fixed = ctx.CardioplegiaInterval.Minutes()
	}
}

// measure decides whether the rule's condition is present, with hysteresis.
// valid is false when the input has no valid value.
func (e *Engine) measure(t int64, r *crule, a *instance, snap *monitor.Snapshot, ctx *Context) (present, valid bool) {
	limit, low, high := r.limits()
	h := r.Hysteresis
	if r.LimitOf != "" {
		h *= r.scale // in % of the target, as the limit
	}
	a.limit = limit
	if r.AfterHeparin && r.in.kind == inChannel && snap.Reading(r.in.ch).Time < ctx.Heparin {
		// A value measured before the heparin (a baseline ACT) says
		// nothing about the anticoagulation the rule judges.
		a.value = math.NaN()
		return false, true
	}
	switch r.Condition {
	case Flag:
		on := ctx.RecordingFailed
		switch r.in.kind {
		case inAudioUnavailable:
			on = ctx.AudioUnavailable
		case inUploadFailed:
			on = ctx.UploadFailed
		case inNIRSBaselineMissing:
			on = ctx.NIRSBaselineMissing
		case inInlineDrift:
			on = ctx.InlineDrift
		case inDiskLow:
			on = ctx.DiskLow
		}
		a.value, a.limit = 0, math.NaN()
		if on {
			a.value = 1
		}
		return on, true
	case Increase:
		a.value, a.limit = float64(r.counter), math.NaN()
		return r.lastRise != 0 && t-r.lastRise < int64(r.Window), true
	case Stale:
		return e.stale(t, r, a, snap), true
	}

	v, ok := r.read(t, snap, ctx)
	if !ok {
		a.value = math.NaN()
		return false, false
	}
	a.value = v
	switch r.Condition {
	case Below:
		return below(v, limit, h, r.Inclusive, a.engaged), true
	case Above:
		return above(v, limit, h, r.Inclusive, a.engaged), true
	case Outside:
		a.limit = high
		if v < (low+high)/2 {
			a.limit = low
		}
		if a.engaged {
			return v < low+h || v > high-h, true
		}
		return v < low || v > high, true
	case RateAbove, RateBelow:
		now := snap.Reading(r.in.ch)
		rate, ok := r.hist.rate(now.Time, now.Value, int64(r.Window))
		a.value = rate
		if !ok {
			return false, true // not enough history yet: nothing wrong with the input
		}
		if r.Condition == RateAbove {
			return above(rate, limit, h, false, a.engaged), true
		}
		return below(rate, limit, h, false, a.engaged), true
	case FallPercent:
		if !r.hasBaseline {
			a.value = math.NaN()
			return false, true
		}
		fall := (r.baseline - v) / r.baseline * 100
		a.value = fall
		return above(fall, limit, h, false, a.engaged), true
	}
	return false, true
}

func below(v, limit, h float64, inclusive, engaged bool) bool {
	if engaged && h > 0 {
		return v < limit+h
	}
	if inclusive {
		return v <= limit
	}
	return v < limit
}

func above(v, limit, h float64, inclusive, engaged bool) bool {
	if engaged && h > 0 {
		return v > limit-h
	}
	if inclusive {
		return v >= limit
	}
	return v > limit
}

// read returns the rule's input value: a valid channel reading or a timer in
// minutes.
func (r *crule) read(t int64, snap *monitor.Snapshot, ctx *Context) (float64, bool) {
	switch r.in.kind {
	case inChannel:
		rd := snap.Reading(r.in.ch)
		return rd.Value, rd.OK()
	case inSinceCardioplegia:
		return minutesSince(t, ctx.LastCardioplegia)
	case inSinceACT:
		return minutesSince(t, ctx.LastACT)
	case inRingDrops:
		return float64(ctx.RingDrops), true
	}
	return 0, false
}

func minutesSince(t, then int64) (float64, bool) {
	if then == 0 {
		return 0, false
	}
	return float64(t-then) / float64(time.Minute), true
}

// stale: no valid value (limit 0), or the newest value, valid or not, older
// than limit minutes. A channel that never had a value counts as old as the
// time since the rule began to apply.
func (e *Engine) stale(t int64, r *crule, a *instance, snap *monitor.Snapshot) bool {
	rd := snap.Reading(r.in.ch)
	since := rd.Time
	if since == 0 {
		since = a.applicableSince
	}
	age := float64(t-since) / float64(time.Minute)
	a.value = age
	if r.Limit <= 0 {
		a.limit = math.NaN()
		return !rd.OK()
	}
	return age > r.Limit
}

func (e *Engine) evalDevices(t int64, r *crule, snap *monitor.Snapshot, ctx *Context) {
	phaseOK, _ := e.applicable(t, r, ctx)
	for d := 1; d < r.n; d++ {
		a := &e.inst[r.first+d]
		dev := &ctx.Devices[d]
		if dev.State != a.devState || a.devSince == 0 {
			a.devState, a.devSince = dev.State, dev.Since
			if a.devSince <= 0 || a.devSince > t {
				a.devSince = t
			}
		}
		if dev.State == DeviceAbsent || !phaseOK {
			a.applicable = false
			e.step(t, a, false, ReasonNotApplicable)
			continue
		}
		if a.id == "" {
			// Named on first sight: the only allocation after New, once per
			// device.
			name := snap.SourceName(monitor.SourceID(d))
			if name == "" {
				name = "source" + strconv.Itoa(d)
			}
			a.id = r.ID + "/" + name
		}
		if !a.applicable {
			a.applicable, a.applicableSince = true, t
		}
		if a.state == Inactive {
			a.prio = r.NonessentialPriority
			if dev.Essential {
				a.prio = r.Priority
			}
		}
		silenceLimit := r.MaxSilence
		if dev.Interval > 0 {
			silenceLimit = min(time.Duration(r.Limit*float64(dev.Interval)), r.MaxSilence)
		}
		// The silence is the time since the newest sample, or, before any
		// since this connection, since the device entered its State: the
		// switch to "silent" must not restart the count.
		last := max(dev.LastData, a.devSince)
		silence := time.Duration(t - last)
		a.value, a.limit = silence.Seconds(), silenceLimit.Seconds()
		lost := dev.State == DeviceDisconnected || (!dev.Sporadic && silence > silenceLimit)
		e.step(t, a, lost, ReasonRecovered)
	}
}

// step advances one alarm's state machine. why is the reason reported if
// the alarm clears because its condition is absent.
func (e *Engine) step(t int64, a *instance, present bool, why Reason) {
	a.engaged = present
	switch a.state {
	case Inactive:
		if !present {
			return
		}
		a.pendingSince = t
		if a.delay <= 0 {
			e.activate(t, a, ReasonCondition)
			return
		}
		a.state = Pending
		e.emit(t, a, ReasonCondition)
	case Pending:
		if !present {
			a.state = Inactive
			e.emit(t, a, why)
			return
		}
		if t-a.pendingSince >= a.delay {
			e.activate(t, a, ReasonDelay)
		}
	default: // Active, AudioPaused, Acknowledged
		switch {
		case present:
			a.endedAt = 0
		case a.endedAt == 0:
			a.endedAt = t
		}
		if !present {
			if a.state == Acknowledged || (!a.latching && t-a.activeSince >= e.minVisible) {
				e.clear(t, a, why)
			}
			// Latched, or held visible: the state stays.
		}
		if a.state == AudioPaused && t >= a.pausedUntil {
			a.state, a.pausedUntil = Active, 0
			e.emit(t, a, ReasonPauseExpired)
		}
		if present && a.state == Acknowledged && t-a.ackAt >= e.reminder {
			a.state = Active
			e.emit(t, a, ReasonReminder)
		}
		if present && a.rule >= 0 {
			r := &e.rules[a.rule]
			if r.escalate > 0 && a.prio < r.EscalateTo && t-a.activeSince >= r.escalate {
				a.prio, a.state, a.pausedUntil = r.EscalateTo, Active, 0
				e.emit(t, a, ReasonEscalated)
			}
		}
	}
}

func (e *Engine) activate(t int64, a *instance, why Reason) {
	a.state, a.activeSince, a.pausedUntil = Active, t, 0
	a.raised, a.endedAt = a.value, 0
	e.emit(t, a, why)
}

func (e *Engine) clear(t int64, a *instance, why Reason) {
	a.state, a.pausedUntil, a.endedAt = Inactive, 0, 0
	e.emit(t, a, why)
	if a.rule >= 0 {
		a.prio = e.rules[a.rule].Priority // escalation ends with the alarm
	}
}

func (e *Engine) emit(t int64, a *instance, why Reason) {
	e.out = append(e.out, Transition{
		Time: t, Alarm: a.id, Index: a.idx, State: a.state, Priority: a.prio,
		Reason: why, Value: a.value, Limit: a.limit,
	})
}

// sounding: shown and not silenced, and either its condition is present or
// it latches (a non-latched alarm held visible after recovery is silent).
func (a *instance) sounding() bool { return a.state == Active && (a.engaged || a.latching) }

func (e *Engine) updateAudible() {
	p := NoPriority
	for i := range e.inst {
		if a := &e.inst[i]; a.sounding() && a.prio > p {
			p = a.prio
		}
	}
	e.audible = p
}

// Audible returns the highest priority among the alarms that should sound
// now, NoPriority if none: what the sound output must play.
func (e *Engine) Audible() Priority { return e.audible }

func (e *Engine) logOut() {
	if e.log == nil {
		return
	}
	for i := range e.out {
		e.log.LogAlarm(e.entry(&e.out[i]))
	}
}

// entry completes a transition with the limits in force.
func (e *Engine) entry(tr *Transition) Entry {
	en := Entry{Transition: *tr, Limits: noLimits, Previous: noLimits, Baseline: math.NaN(), PrevBaseline: math.NaN()}
	if tr.Index >= 0 {
		if a := &e.inst[tr.Index]; a.rule >= 0 {
			r := &e.rules[a.rule]
			en.Limits = r.inForce()
			if r.hasBaseline {
				en.Baseline = r.baseline
			}
		}
	}
	return en
}

func (r *crule) inForce() Limits {
	limit, low, high := r.limits()
	if r.Condition == Outside {
		return Limits{Limit: math.NaN(), Low: low, High: high}
	}
	return Limits{Limit: limit, Low: math.NaN(), High: math.NaN()}
}

// set is the rule's limits as set: the profile's or the operator's, before
// scaling and gate overrides.
func (r *crule) set() Limits {
	if r.Condition == Outside {
		return Limits{Limit: math.NaN(), Low: r.Low, High: r.High}
	}
	return Limits{Limit: r.Limit, Low: math.NaN(), High: math.NaN()}
}

var noLimits = Limits{Limit: math.NaN(), Low: math.NaN(), High: math.NaN()}

// artefact runs the rule's artefact check (Rule.Artefact) on the input's
// newest value and reports whether the condition is to be held absent as an
// artefact now.
func (r *crule) artefact(t int64, snap *monitor.Snapshot) bool {
	if r.Artefact == nil {
		return false
	}
	in, conf := snap.Reading(r.in.ch), snap.Reading(r.confirm)
	if !in.OK() {
		r.artefactSince = 0
		return false
	}
	if in.Time != r.lastT { // a new value of the input
		fall := r.Artefact.Fall / 100
		if r.artefactSince == 0 && r.lastT != 0 && in.Value < r.lastV*(1-fall) && conf.OK() &&
			!math.IsNaN(r.lastConfirm) && conf.Value > r.lastConfirm*(1-fall/2) {
			r.artefactSince, r.artefactV = t, int64(math.Float64bits(r.lastV))
		}
		r.lastT, r.lastV = in.Time, in.Value
		r.lastConfirm = math.NaN()
		if conf.OK() {
			r.lastConfirm = conf.Value
		}
	}
	if r.artefactSince == 0 {
		return false
	}
	before := math.Float64frombits(uint64(r.artefactV))
	if in.Value >= before*(1-r.Artefact.Fall/200) || t-r.artefactSince >= int64(r.Artefact.Hold) {
		r.artefactSince = 0 // recovered, or held long enough: real from now on
		return false
	}
	return true
}

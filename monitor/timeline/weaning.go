package timeline

import "time"

// WeaningDetector infers that weaning has begun when no one has said so:
// on full bypass, once the patient is rewarmed, the flow index held below a
// share of its target at that temperature. Reducing the flow after
// rewarming is what weaning is; the console shows the inference and the
// perfusionist confirms it with the weaning event (or returns to full
// flow), so that the DO2i rules pause and a trial off the pump is no
// latched HIGH alarm meanwhile.
//
// The flow is reduced below Share of its target either for Hold, or after a
// gradual reduction: the pump is brought down over minutes as the venous
// line is occluded and the heart fills, then stopped for a trial off (the
// weaning manoeuvre: Gravlee, Cardiopulmonary Bypass: Principles and
// Practice). A gradual reduction is one that took from Hold to Ramp to come
// from Full of the target to below Share, and that ran below Share (at
// Running of the target or more) for RunFor: then weaning is inferred
// before the pump stops, from the reduction's history, not only Hold after
// the flow went below Share, by which time flow_stopped (5 s) would have
// latched HIGH on the trial off (TestTrialOffBeforeWeaningEntered). A stop from full flow, or from a steady
// reduced flow (a pump or power failure, a clamped line), comes down in a
// step or a few seconds' run-down: it is no gradual reduction, and
// flow_stopped fires as on full bypass.
//
// The zero value uses the defaults below (Full, Ramp, RunFor and Running
// are proposed here, not taken from a source). Not safe for concurrent use.
type WeaningDetector struct {
	// RewarmedC is the core temperature at which the patient counts as
	// rewarmed; default 35.5 °C.
	RewarmedC float64
	// Share is the fraction of the target flow index under which the flow
	// counts as reduced; default 0.6.
	Share float64
	// Hold is how long the flow must stay reduced; default 60 s. It is
	// also the shortest a gradual reduction takes from Full to Share.
	Hold time.Duration
	// Full is the fraction of the target at or above which the flow is
	// full flow; default 0.9 (flow_index_low's limit).
	Full float64
	// Ramp is the longest a gradual reduction takes from Full to Share;
	// default 10 min (a flow held reduced for longer, then stopped, is a
	// stop).
	Ramp time.Duration
	// RunFor is how long the pump must still run after the flow went below
	// Share for the reduction to count as gradual; default 10 s (a pump
	// losing power runs down in a few seconds).
	RunFor time.Duration
	// Running is the fraction of the target at or above which the pump
	// still runs; default 0.1.
	Running float64

	since    int64 // when the flow went below Share, 0 if not below
	fullLeft int64 // when the flow went below Full, 0 if not below
	gradual  bool  // this stretch below Share came from a gradual reduction
}

// Since is when the flow went below (the inferred weaning's start), 0 if
// it is not below.
func (d *WeaningDetector) Since() int64 { return d.since }

// Observe takes the state at t (Unix ns) with the flow index, its target at
// the patient's temperature and the patient's core temperature (ok false
// when any is not a valid value) and reports whether weaning is inferred.
// It never infers weaning outside full bypass.
func (d *WeaningDetector) Observe(t int64, phase Phase, flowIndex, target, coreC float64, ok bool) bool {
	rewarmed, share, hold := d.RewarmedC, d.Share, d.Hold
	if rewarmed == 0 {
		rewarmed = 35.5
	}
	if share == 0 {
		share = 0.6
	}
	if hold == 0 {
		hold = 60 * time.Second
	}
	full, ramp, runFor, running := d.Full, d.Ramp, d.RunFor, d.Running
	if full == 0 {
		full = 0.9
	}
	if ramp == 0 {
		ramp = 10 * time.Minute
	}
	if runFor == 0 {
		runFor = 10 * time.Second
	}
	if running == 0 {
		running = 0.1
	}
	if phase != Bypass || !ok || coreC < rewarmed || target <= 0 || flowIndex >= full*target {
		d.since, d.fullLeft, d.gradual = 0, 0, false
		return false
	}
	if d.fullLeft == 0 {
		d.fullLeft = t
	}
	if flowIndex >= share*target {
		d.since, d.gradual = 0, false
		return false
	}
	if d.since == 0 {
		d.since = t
	}
	// Gradual: from full flow to below Share over Hold to Ramp, and still
	// running RunFor after.
	if took := d.since - d.fullLeft; !d.gradual && took >= int64(hold) && took <= int64(ramp) &&
		t-d.since >= int64(runFor) && flowIndex >= running*target {
		d.gradual = true
	}
	return d.gradual || t-d.since >= int64(hold)
}

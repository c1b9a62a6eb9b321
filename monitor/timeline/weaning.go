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
// The zero value uses the defaults below. Not safe for concurrent use.
type WeaningDetector struct {
	// RewarmedC is the core temperature at which the patient counts as
	// rewarmed; default 35.5 °C.
	RewarmedC float64
	// Share is the fraction of the target flow index under which the flow
	// counts as reduced; default 0.6.
	Share float64
	// Hold is how long the flow must stay reduced; default 60 s.
	Hold time.Duration

	since int64 // when the flow went below, 0 if not below
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
	if phase != Bypass || !ok || coreC < rewarmed || target <= 0 || flowIndex >= share*target {
		d.since = 0
		return false
	}
	if d.since == 0 {
		d.since = t
	}
	return t-d.since >= int64(hold)
}

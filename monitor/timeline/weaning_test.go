package timeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWeaningDetectorGradual: a gradual reduction after rewarming is
// weaning before the pump stops; a stop from full or steady reduced flow is
// not (target flow index 2.4, so Full 2.16, Share 1.44, Running 0.24).
func TestWeaningDetectorGradual(t *testing.T) {
	const target, core = 2.4, 36.6
	sec := int64(time.Second)
	base := time.Date(2026, 5, 4, 11, 30, 0, 0, time.UTC).UnixNano() // 0 is "not below" to the detector
	// first returns the second weaning is first inferred at, −1 never.
	first := func(fi func(s int) float64, until int) int {
		var d WeaningDetector
		for s := -60; s <= until; s++ {
			v := target
			if s >= 0 {
				v = fi(s)
			}
			if d.Observe(base+int64(s)*sec, Bypass, v, target, core, true) {
				return s
			}
		}
		return -1
	}
	// The trial off of TestTrialOffBeforeWeaningEntered: 100 % to 70 %
	// over 4 min, to 0 over 1 min. Below Full at 80 s, below Share at
	// 249 s (2 min 49 s later: gradual), still running 10 s later: 259 s,
	// 40 s before the pump stops. Before, 60 s below Share: 309 s.
	trial := func(s int) float64 {
		if s < 240 {
			return target * (1 - 0.3*float64(s)/240)
		}
		return max(0, target*0.7*float64(300-s)/60)
	}
	assert.Equal(t, 259, first(trial, 400))
	// Straight down from full flow to half (a step): Hold after, as before.
	assert.Equal(t, 60, first(func(int) float64 { return 1.2 }, 400))
	// Stopped from full flow: Hold after the stop (flow_stopped has fired).
	assert.Equal(t, 60, first(func(int) float64 { return 0 }, 400))
	// Held at 85 % for 5 min, then stopped: a stop, not a reduction.
	stopAt := func(s int) float64 {
		if s < 300 {
			return 0.85 * target
		}
		return 0
	}
	assert.Equal(t, 360, first(stopAt, 400))
	// Held at 85 % for 5 min, run down over 3 s: still a stop.
	rundown := func(s int) float64 {
		switch {
		case s < 300:
			return 0.85 * target
		case s < 303:
			return 0.85 * target * float64(303-s) / 3
		}
		return 0
	}
	assert.Equal(t, 301+60, first(rundown, 400))
	// Held at 85 % for 12 min, then brought down over 30 s: longer than
	// Ramp since full flow, so Hold applies.
	slow := func(s int) float64 {
		if s < 720 {
			return 0.85 * target
		}
		return max(0, 0.85*target*(1-float64(s-720)/30))
	}
	below := 720 + 10 // 0.85 → 0.6 of the target over 30 s: below Share after 8.8 s
	assert.Equal(t, below-1+60, first(slow, 900))
	// Cold: never.
	var d WeaningDetector
	for s := range 400 {
		assert.False(t, d.Observe(base+int64(s)*sec, Bypass, trial(s), target, 34, true))
	}
}

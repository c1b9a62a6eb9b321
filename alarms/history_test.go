package alarms

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRateFit: the rate of a clean ramp is its slope, whatever the
// thinning; one noisy point at the window's old end (a value 3 below a flat
// series, as the resistance's noise can be) moves a two-point slope over
// 5 min by 0.6/min but the least-squares fit by under 0.05/min.
func TestRateFit(t *testing.T) {
	const window = int64(5 * time.Minute)
	sec := int64(time.Second)
	var h history
	for s := int64(0); s <= 600; s++ {
		h.add(s*sec, 10+0.05*float64(s), window) // 3 per minute
	}
	r, ok := h.rate(600*sec, 10+0.05*600, window)
	require.True(t, ok)
	assert.InDelta(t, 3.0, r, 1e-9, "a clean ramp's slope")

	h = history{}
	h.add(0, 7, window) // the outlier, 5 min before now
	for s := int64(1); s <= 300; s++ {
		h.add(s*sec, 10, window)
	}
	r, ok = h.rate(300*sec, 10, window)
	require.True(t, ok)
	twoPoint := (10.0 - 7) / 5
	assert.InDelta(t, 0.6, twoPoint, 1e-12)
	assert.Less(t, r, 0.05, "the fit over ~100 points")
	assert.Greater(t, r, 0.0, "the outlier still counts a little")

	// Until the points span half the window there is no rate.
	h = history{}
	h.add(0, 10, window)
	_, ok = h.rate(window/2-sec, 99, window)
	assert.False(t, ok)
}

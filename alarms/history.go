package alarms

import "time"

// histCap is the number of points a rate rule keeps. Points are thinned to
// one per window/histSpan so that the ring always covers the window.
const (
	histCap  = 128
	histSpan = 100
)

// history is a fixed ring of (time, value) points for rate conditions; it
// never allocates after New.
type history struct {
	t       [histCap]int64
	v       [histCap]float64
	head, n int
}

// add records a reading if it is newer than the last point by at least
// window/histSpan.
func (h *history) add(t int64, v float64, window int64) {
	if h.n > 0 {
		last := h.t[(h.head+h.n-1)%histCap]
		if t <= last || t-last < window/histSpan {
			return
		}
	}
	if h.n == histCap {
		h.head = (h.head + 1) % histCap
		h.n--
	}
	i := (h.head + h.n) % histCap
	h.t[i], h.v[i] = t, v
	h.n++
}

// rate returns the change per minute from the oldest point inside the
// window to (tNow, vNow): a two-point slope, simple to check by hand. It
// reports false until the points span at least half the window, so a
// fresh or interrupted series cannot produce a wild slope.
func (h *history) rate(tNow int64, vNow float64, window int64) (float64, bool) {
	for h.n > 0 && h.t[h.head] < tNow-window {
		h.head = (h.head + 1) % histCap
		h.n--
	}
	if h.n == 0 {
		return 0, false
	}
	dt := tNow - h.t[h.head]
	if dt <= 0 || dt < window/2 {
		return 0, false
	}
	return (vNow - h.v[h.head]) / float64(dt) * float64(time.Minute), true
}

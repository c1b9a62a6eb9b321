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

// rate returns the change per minute over the window: the least-squares
// slope of the points inside the window and (tNow, vNow). A two-point slope
// (the oldest point to the newest) is as good on a clean ramp, and gives the
// same value there, but a single noisy point at either end moves it: the
// oxygenator's resistance (two pressures' difference divided by the flow)
// is noisy to about 1 mmHg/(L/min) a sample, which through a two-point
// slope over 5 minutes makes 0.2/min of noise and a false clot alarm at
// the start of an ECMO run; through the fit over 50-100 points, about
// 0.03/min. It reports false until the points span at least half the
// window, so a fresh or interrupted series cannot produce a wild slope.
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
	// Times in minutes before tNow keep the sums small.
	var n, sx, sy, sxx, sxy float64
	fit := func(t int64, v float64) {
		x := float64(t-tNow) / float64(time.Minute)
		n++
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	last := int64(0)
	for i := range h.n {
		j := (h.head + i) % histCap
		fit(h.t[j], h.v[j])
		last = h.t[j]
	}
	if tNow > last {
		fit(tNow, vNow)
	}
	den := n*sxx - sx*sx
	if den <= 0 {
		return 0, false
	}
	return (n*sxy - sx*sy) / den, true
}

package ui

import (
	"sync/atomic"
	"time"
)

// Invalidater is what Throttle calls: *app.Window.
type Invalidater interface{ Invalidate() }

// DefaultRedrawInterval is the redraw rate for new data: the devices report
// once a second or slower, so a value reaches the screen at most a second
// after it was published, and with a software renderer (llvmpipe), where a
// 1920×1080 frame costs about 85 ms of CPU, the console stays near one frame
// a second. Alarms do not wait for it: their state changes invalidate the
// window at once.
const DefaultRedrawInterval = time.Second

// Throttle returns a function that invalidates w at most once every
// interval, for the pipeline to call on every publish (it publishes up to
// ten times a second). A call within interval of the last invalidation
// schedules one at the end of the interval, so the newest snapshot is always
// drawn, at most interval late. The function is safe for concurrent use and
// never blocks; at most one timer is pending at a time.
func Throttle(w Invalidater, interval time.Duration) func() {
	var pending atomic.Bool
	var last atomic.Int64 // UnixNano of the last invalidation
	fire := func() {
		last.Store(time.Now().UnixNano())
		// Clear pending before invalidating: a publish from now on needs
		// a frame of its own, while the frame this one causes will read
		// every snapshot published until it starts.
		pending.Store(false)
		w.Invalidate()
	}
	return func() {
		if !pending.CompareAndSwap(false, true) {
			return // an invalidation is already scheduled
		}
		wait := time.Duration(last.Load() + int64(interval) - time.Now().UnixNano())
		if wait <= 0 {
			fire()
			return
		}
		time.AfterFunc(wait, fire)
	}
}

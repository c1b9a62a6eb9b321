package ui

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

type countInvalidates struct{ n atomic.Int32 }

func (c *countInvalidates) Invalidate() { c.n.Add(1) }

func TestThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w countInvalidates
		inv := Throttle(&w, 250*time.Millisecond)

		inv() // first call: at once
		assert.EqualValues(t, 1, w.n.Load())

		// A publish every 90 ms for 900 ms: frames at 250, 500, 750 and
		// 1000 ms, the last one after the last publish.
		for range 10 {
			time.Sleep(90 * time.Millisecond)
			inv()
		}
		time.Sleep(time.Second)
		synctest.Wait()
		assert.EqualValues(t, 5, w.n.Load())

		// Quiet for a while: the next call invalidates at once again.
		inv()
		assert.EqualValues(t, 6, w.n.Load())
	})
}

func TestThrottleConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w countInvalidates
		inv := Throttle(&w, time.Second)
		inv()
		done := make(chan struct{})
		for range 8 {
			go func() {
				for range 100 {
					inv()
				}
				done <- struct{}{}
			}()
		}
		for range 8 {
			<-done
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		assert.EqualValues(t, 2, w.n.Load()) // the first, and one pending
	})
}

package live_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/alarms/sound/soundtest"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// BenchmarkSignalDelay measures the alarm signal generation delay on the
// live path, excluding the rule's validation delay: from a driver's Put of
// a MAP sample below map_critical's limit to the runner publishing the
// alarm (pending: the condition is detected; active follows exactly the
// rule's delay later) and calling OnChange, which invalidates the window.
// The GUI's frame comes on top: see ui's BenchmarkFrame.
//
// Each iteration is one crossing on a fresh pipeline and runner on the wall
// clock, with a second source putting 3,200 samples/s (the realistic peak
// of a bypass case) on other channels. Run with -benchtime=200x or more for
// a meaningful p99.
func BenchmarkSignalDelay(b *testing.B) {
	var delays []time.Duration
	for b.Loop() {
		delays = append(delays, oneCrossing(b))
	}
	slices.Sort(delays)
	q := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(p*float64(len(delays))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.5), "ms-p50")
	b.ReportMetric(q(0.99), "ms-p99")
	b.ReportMetric(float64(delays[len(delays)-1])/float64(time.Millisecond), "ms-max")
}

func oneCrossing(b *testing.B) time.Duration {
	var r *live.Runner
	notify := func(*monitor.Snapshot) {
		if r != nil {
			r.Notify()
		}
	}
	p, err := monitor.New(monitor.Config{Clock: clock.Wall{}, Settings: monitor.DefaultSettings(), OnPublish: notify})
	if err != nil {
		b.Fatal(err)
	}
	mon, _ := p.AddSource("monitor", 0)
	load, _ := p.AddSource("load", 0)
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
	if err != nil {
		b.Fatal(err)
	}
	seen := make(chan time.Time, 1)
	r, err = live.New(live.Config{
		Engine: eng, Acquire: p.Acquire, Clock: clock.Wall{}, Output: &soundtest.Recorder{},
		Context: func(_ time.Time, _ *monitor.Snapshot, c *alarms.Context) { c.Phase = alarms.Bypass },
		OnChange: func() {
			if _, ok := find(r.Status(), "map_critical"); ok {
				select {
				case seen <- time.Now():
				default:
				}
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Run(ctx) })
	wg.Go(func() { _ = r.Run(ctx) })
	wg.Go(func() { // 3,200 samples/s in bursts of 32 every 10 ms
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				now := time.Now().UnixNano()
				for i := range 32 {
					load.Put(monitor.Sample{Time: now, Channel: loadChannels[i%len(loadChannels)], Value: 5, Quality: channel.OK})
				}
			}
		}
	})
	put := func(v float64) time.Time {
		t := time.Now()
		mon.Put(monitor.Sample{Time: t.UnixNano(), Channel: channel.PatientMAP, Value: v, Quality: channel.OK})
		return t
	}
	put(70)
	time.Sleep(150 * time.Millisecond) // a normal value published and evaluated
	start := put(30)
	var d time.Duration
	select {
	case at := <-seen:
		d = at.Sub(start)
	case <-time.After(5 * time.Second):
		b.Fatal("map_critical never became pending")
	}
	cancel()
	wg.Wait()
	return d
}

var loadChannels = []channel.ID{channel.PatientCVP, channel.PumpFlow, channel.TempArterialOutlet, channel.InlineHb}

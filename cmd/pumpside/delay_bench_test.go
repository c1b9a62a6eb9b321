package main

import (
	"context"
	"image"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
)

// BenchmarkAlarmToScreen measures the alarm signal generation delay end to
// end, as issue 6 defines it (excluding the rule's validation delay): from a
// driver's Put of a MAP sample below map_critical's limit, through the
// pipeline, the alarm goroutine and the state builder of a console session
// on the wall clock, to a 1920×1080 frame of the console rendered with
// the alarm (pending, which the console shows in the alarm list; active
// follows exactly the rule's delay later). The frame is rendered headless
// with the software renderer, so this is an upper bound for a window on a
// GPU. Run with -benchtime=50x or more for a p99.
func BenchmarkAlarmToScreen(b *testing.B) {
	r, err := ui.NewRenderer(image.Pt(1920, 1080))
	if err != nil {
		b.Fatalf("headless rendering: %v", err)
	}
	defer r.Close()
	// One console for every crossing, as on a running console: its text
	// shaping caches are warm.
	var state func() *ui.State
	c := ui.NewConsole(ui.Options{State: func() *ui.State { return state() }})
	var delays, states []time.Duration
	for b.Loop() {
		d, st := alarmToScreen(b, r, c, &state)
		delays, states = append(delays, d), append(states, st)
	}
	slices.Sort(states)
	b.ReportMetric(float64(states[len(states)/2])/float64(time.Millisecond), "ms-to-state-p50")
	slices.Sort(delays)
	q := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(p*float64(len(delays))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.5), "ms-p50")
	b.ReportMetric(q(0.99), "ms-p99")
	b.ReportMetric(float64(delays[len(delays)-1])/float64(time.Millisecond), "ms-max")
}

func alarmToScreen(b *testing.B, r *ui.Renderer, c *ui.Console, state *func() *ui.State) (total, toState time.Duration) {
	s, err := newSession(sessionOptions{clk: clock.Wall{}, caseID: "C-bench", profile: alarms.DefaultProfile(), stderr: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	mon, sink, err := s.addSource(watch{name: "monitor"})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.sealSources([]*monitor.Producer{mon}); err != nil {
		b.Fatal(err)
	}
	shown := make(chan struct{}, 1)
	s.redraw = func() {
		if st := s.state.Load(); st != nil && slices.ContainsFunc(st.Alarms, func(a ui.AlarmView) bool { return a.ID == "map_critical" }) {
			select {
			case shown <- struct{}{}:
			default:
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := s.start(ctx)
	defer func() { cancel(); wait() }()
	s.addEvent(time.Now().Add(-time.Minute).UnixNano(), timeline.KindOnBypass, "")
	put := func(v float64) time.Time {
		t := time.Now()
		sink.Put(monitor.Sample{Time: t.UnixNano(), Channel: channel.PatientMAP, Value: v, Quality: channel.OK})
		return t
	}
	*state = s.state.Load
	put(70)
	time.Sleep(300 * time.Millisecond)
	if _, err := r.Render(c, s.p.Latest(), time.Now()); err != nil { // the frame before
		b.Fatal(err)
	}
	start := put(30)
	select {
	case <-shown:
		toState = time.Since(start)
	case <-time.After(5 * time.Second):
		b.Fatal("map_critical never reached the console's state")
	}
	if _, err := r.Render(c, s.p.Latest(), time.Now()); err != nil {
		b.Fatal(err)
	}
	return time.Since(start), toState
}

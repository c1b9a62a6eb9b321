package monitor

import (
	"math"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

func TestHistoryMeansAndGaps(t *testing.T) {
	tp := newTest(t, nil, "pump") // pump.speed: a channel with a wide range
	for ms := 0; ms < 20_000; ms += 250 {
		if ms >= 10_000 && ms < 15_000 {
			continue // a 5-second gap
		}
		tp.put("pump", channel.PumpSpeed, time.Duration(ms)*time.Millisecond, float64(ms/1000)+float64(ms%1000)/10_000)
	}
	s := tp.step(20 * time.Second)
	pts := s.History(channel.PumpSpeed, t0.UnixNano(), s.Time, nil)
	if len(pts) != 15 {
		t.Fatalf("%d points, want 15: %v", len(pts), pts)
	}
	for i, p := range pts {
		sec := i
		if i >= 10 {
			sec = i + 5
		}
		// Samples at sec + 0, .025, .05, .075: mean sec + .0375.
		if p.Time != t0.Add(time.Duration(sec)*time.Second).UnixNano() || !near(p.Value, float64(sec)+0.0375, 1e-5) {
			t.Fatalf("point %d = %+v, want second %d value %v", i, p, sec, float64(sec)+0.0375)
		}
	}
	// A window, and dst reuse.
	buf := make([]Point, 0, 64)
	pts = s.History(channel.PumpSpeed, t0.Add(3*time.Second).UnixNano(), t0.Add(5*time.Second+time.Millisecond).UnixNano(), buf)
	if len(pts) != 3 || pts[0].Time != t0.Add(3*time.Second).UnixNano() || &pts[0] != &buf[:1][0] {
		t.Fatalf("window: %v", pts)
	}
	if allocs := testing.AllocsPerRun(10, func() { s.History(channel.PumpSpeed, t0.UnixNano(), s.Time, buf[:0]) }); allocs != 0 {
		t.Fatalf("History into a large enough dst allocates %v times", allocs)
	}
	var nilSnap *Snapshot
	if nilSnap.History(channel.PumpSpeed, 0, math.MaxInt64, nil) != nil ||
		s.History(channel.ID(60000), 0, math.MaxInt64, nil) != nil ||
		s.History(channel.PumpSpeed, s.Time, t0.UnixNano(), nil) != nil ||
		s.History(channel.PumpFlow, 0, math.MaxInt64, nil) != nil {
		t.Fatal("empty cases returned points")
	}
}

// TestHistoryWraps: the store keeps HistoryDuration; a snapshot held while
// the store wraps round returns only points that are still true, never a
// later second's value under an old time.
func TestHistoryWraps(t *testing.T) {
	tp := newTest(t, func(s *Settings) { s.HistoryDuration = 2 * time.Minute; s.RewarmWindow = time.Minute }, "heater")
	value := func(sec int) float64 { return 20 + float64(sec)/100 }
	var old *Snapshot
	for sec := 0; sec < 300; sec++ {
		at := time.Duration(sec) * time.Second
		tp.put("heater", channel.TempBladder, at, value(sec))
		tp.put("heater", channel.TempArterialOutlet, at, value(sec))
		s := tp.step(at)
		if sec == 60 {
			old = s
		}
	}
	s := tp.Latest()
	pts := s.History(channel.TempBladder, 0, s.Time, nil)
	if len(pts) != 120 || pts[0].Time != t0.Add(180*time.Second).UnixNano() {
		t.Fatalf("%d points from %v, want 120 from 180 s", len(pts), time.Duration(pts[0].Time-t0.UnixNano()))
	}
	check := func(pts []Point) {
		for _, p := range pts {
			sec := int((p.Time - t0.UnixNano()) / 1e9)
			if !near(p.Value, value(sec), 1e-4) {
				t.Fatalf("second %d holds %v, want %v", sec, p.Value, value(sec))
			}
		}
	}
	check(pts)
	oldPts := old.History(channel.TempBladder, 0, old.Time, nil)
	if len(oldPts) != 0 {
		t.Fatalf("the old snapshot's seconds are all overwritten, yet it returned %d points", len(oldPts))
	}
	check(oldPts)
	// Derived channels have history too.
	if n := len(s.History(channel.DerivedRewarmRate, 0, s.Time, nil)); n < 60 {
		t.Fatalf("rewarm-rate history: %d points", n)
	}
}

func TestHistoryLateSample(t *testing.T) {
	tp := newTest(t, nil, "a", "b")
	tp.put("a", channel.PatientHR, 0, 60)
	tp.put("a", channel.PatientHR, 2*time.Second, 62)
	tp.step(3 * time.Second)
	tp.put("b", channel.PatientHR, time.Second, 61)           // late, fills the gap
	tp.put("b", channel.PatientHR, 1500*time.Millisecond, 99) // late, its second already has a value
	tp.put("b", channel.PatientHR, -2*time.Hour, 70)          // older than the store: ignored
	s := tp.step(3 * time.Second)
	pts := s.History(channel.PatientHR, t0.Add(-3*time.Hour).UnixNano(), s.Time, nil)
	want := []float64{60, 61, 62}
	if len(pts) != len(want) {
		t.Fatalf("points %v", pts)
	}
	for i := range want {
		if pts[i].Value != want[i] {
			t.Fatalf("points %v, want values %v", pts, want)
		}
	}
	if r := s.Reading(channel.PatientHR); r.Value != 62 {
		t.Fatalf("a late sample replaced the latest reading: %+v", r)
	}
}

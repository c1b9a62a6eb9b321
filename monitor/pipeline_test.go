package monitor

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/ring"
)

func TestSettingsValidate(t *testing.T) {
	def := DefaultSettings()
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	var zero Settings
	if err := zero.Validate(); !errors.Is(err, ErrSettings) {
		t.Fatalf("zero Settings: %v, want ErrSettings", err)
	}
	for name, change := range map[string]func(*Settings){
		"interval":       func(s *Settings) { s.PublishInterval = 0 },
		"gap < interval": func(s *Settings) { s.MaxPublishGap = 50 * time.Millisecond },
		"ring":           func(s *Settings) { s.RingSize = 1000 },
		"map":            func(s *Settings) { s.Limits.MAPLow = math.NaN() },
		"constants":      func(s *Settings) { s.Constants.Hufner = 2 },
		"extra builtin":  func(s *Settings) { s.ExtraChannels = []channel.Channel{{Name: "pump.flow", Max: 1}} },
		"extra derived":  func(s *Settings) { s.ExtraChannels = []channel.Channel{{Name: "derived.x", Max: 1}} },
		"extra dup":      func(s *Settings) { s.ExtraChannels = []channel.Channel{{Name: "a.b"}, {Name: "a.b"}} },
		"extra name":     func(s *Settings) { s.ExtraChannels = []channel.Channel{{Name: "ab"}} },
		"extra range":    func(s *Settings) { s.ExtraChannels = []channel.Channel{{Name: "a.b", Min: 2, Max: 1}} },
	} {
		s := DefaultSettings()
		change(&s)
		if err := s.Validate(); !errors.Is(err, ErrSettings) {
			t.Errorf("%s: Validate = %v, want ErrSettings", name, err)
		}
		if _, err := New(Config{Settings: s}); err == nil {
			t.Errorf("%s: New accepted invalid settings", name)
		}
	}
}

func TestAddSource(t *testing.T) {
	tp := newTest(t, nil, "cdi")
	if _, err := tp.AddSource("cdi", 0); !errors.Is(err, ErrDuplicateSource) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := tp.AddSource("", 0); err == nil {
		t.Fatal("empty name accepted")
	}
	if _, err := tp.AddSource("x", 1000); !errors.Is(err, ring.ErrSize) {
		t.Fatalf("ring size 1000: %v, want ring.ErrSize", err)
	}
	pr, err := tp.AddSource("manual", 2)
	if err != nil || pr.ID() != 2 || pr.Name() != "manual" {
		t.Fatalf("AddSource = %v %v", pr, err)
	}
	s := tp.step(0)
	if len(s.Sources) != 3 || s.SourceName(1) != "cdi" || s.SourceName(2) != "manual" || s.SourceName(3) != "" {
		t.Fatalf("sources %+v", s.Sources)
	}
	if _, err := tp.AddSource("late", 0); !errors.Is(err, ErrStarted) {
		t.Fatalf("AddSource after Step: %v, want ErrStarted", err)
	}
}

func TestLatestBeforeData(t *testing.T) {
	tp := newTest(t, nil)
	s := tp.Latest()
	if s == nil || s.Seq != 0 || len(s.Readings) != channel.Count {
		t.Fatalf("first snapshot %+v", s)
	}
	for id := range s.Readings {
		if s.Readings[id].OK() {
			t.Fatalf("%v has a value before any data", channel.ID(id))
		}
	}
	if s := tp.step(time.Second); s.Seq != 1 || tp.Latest() != s {
		t.Fatalf("Step returned seq %d, Latest %p vs %p", s.Seq, tp.Latest(), s)
	}
}

func TestLatestReading(t *testing.T) {
	tp := newTest(t, nil, "pump", "backup")
	tp.put("pump", channel.PumpFlow, 0, 4.0)
	tp.put("pump", channel.PumpFlow, 100*time.Millisecond, 4.1)
	// An older sample from another source does not replace a newer one.
	tp.put("backup", channel.PumpFlow, 50*time.Millisecond, 3.0)
	s := tp.step(200 * time.Millisecond)
	r := s.Reading(channel.PumpFlow)
	if !r.OK() || r.Value != 4.1 || r.Source != 1 || r.Time != t0.Add(100*time.Millisecond).UnixNano() {
		t.Fatalf("pump.flow = %+v", r)
	}
	if age := r.Age(s.Time); age != 100*time.Millisecond {
		t.Fatalf("age %v", age)
	}
	st := s.Sources[1]
	if st.Samples != 2 || st.LastTime != t0.Add(100*time.Millisecond).UnixNano() || st.Dropped != 0 {
		t.Fatalf("status %+v", st)
	}
}

// TestOutOfRangeNeverDisplayed: a device producing garbage must not leave its
// last good number on screen, nor put its garbage in the trend.
func TestOutOfRangeNeverDisplayed(t *testing.T) {
	tp := newTest(t, nil, "cdi")
	tp.put("cdi", channel.InlineVenSO2, 0, 72)
	s := tp.step(time.Second)
	if r := s.Reading(channel.InlineVenSO2); !r.OK() || r.Value != 72 {
		t.Fatalf("good value: %+v", r)
	}
	for i, bad := range []struct {
		v float64
		q channel.Quality
	}{
		{140, channel.OK},                  // beyond the plausible range
		{-3, channel.OK},                   // below it
		{math.NaN(), channel.OK},           // not a number at all
		{math.Inf(1), channel.OK},          // overflow
		{71, channel.Questionable},         // the device says so
		{0, channel.Unavailable},           // dashes
		{72, channel.OutOfRange},           // the device flagged it
		{math.NaN(), channel.Unavailable},  // dashes, as NaN
		{1e300, channel.Questionable},      // never upgraded
		{55, channel.Quality(200)},         // nonsense quality
		{math.Inf(-1), channel.OutOfRange}, // both wrong
		{100.0000001, channel.OK},          // just outside
		{-0.0000001, channel.OK},           // just outside
		{math.Copysign(0, -1), channel.OK}, // -0 is 0: in range
	} {
		at := time.Duration(i+2) * time.Second
		tp.putQ("cdi", channel.InlineVenSO2, at, bad.v, bad.q)
		s := tp.step(at)
		r := s.Reading(channel.InlineVenSO2)
		c := s.Channel(channel.InlineVenSO2)
		want := channel.Get(channel.InlineVenSO2).Classify(bad.v, bad.q)
		if r.Quality != want || r.Time != t0.Add(at).UnixNano() {
			t.Fatalf("sample %v/%v: reading %+v, want quality %v", bad.v, bad.q, r, want)
		}
		if want != channel.OK {
			if r.OK() || c.Format(r.Value, r.Quality) != channel.NoValue {
				t.Fatalf("sample %v/%v is displayed as %q", bad.v, bad.q, c.Format(r.Value, r.Quality))
			}
			if pts := s.History(channel.InlineVenSO2, t0.Add(at).UnixNano(), s.Time, nil); len(pts) != 0 {
				t.Fatalf("sample %v/%v entered the trend: %v", bad.v, bad.q, pts)
			}
		}
	}
}

func TestRawStaleness(t *testing.T) {
	tp := newTest(t, nil, "pump", "manual")
	tp.put("pump", channel.PumpFlow, 0, 4)
	tp.put("manual", channel.PatientWeight, 0, 80) // never stale
	if r := tp.step(5 * time.Second).Reading(channel.PumpFlow); r.Quality != channel.OK {
		t.Fatalf("at the freshness limit: %v", r.Quality)
	}
	s := tp.step(5*time.Second + time.Millisecond)
	if r := s.Reading(channel.PumpFlow); r.Quality != channel.Stale || r.OK() {
		t.Fatalf("past the freshness limit: %+v", r)
	}
	if r := tp.step(10 * time.Hour).Reading(channel.PatientWeight); !r.OK() {
		t.Fatalf("weight went stale: %+v", r)
	}
}

// TestFullRingDropsAndCounts: Put into a full ring returns at once, drops the
// sample and counts it; the count reaches the snapshot.
func TestFullRingDropsAndCounts(t *testing.T) {
	tp := newTest(t, nil)
	pr, err := tp.AddSource("flood", 4)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []bool)
	go func() {
		var ok []bool
		for i := range 10 {
			ok = append(ok, pr.Put(Sample{Time: t0.Add(time.Duration(i) * time.Millisecond).UnixNano(), Channel: channel.PumpFlow, Value: float64(i) / 10}))
		}
		done <- ok
	}()
	var ok []bool
	select {
	case ok = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Put blocked on a full ring")
	}
	for i, v := range ok {
		if v != (i < 4) {
			t.Fatalf("Put #%d = %v", i, v)
		}
	}
	if pr.Dropped() != 6 {
		t.Fatalf("Dropped() = %d", pr.Dropped())
	}
	s := tp.step(time.Second)
	st := s.Sources[pr.ID()]
	if st.Samples != 4 || st.Dropped != 6 {
		t.Fatalf("status %+v, want 4 samples 6 dropped", st)
	}
	if r := s.Reading(channel.PumpFlow); r.Value != 0.3 {
		t.Fatalf("latest %+v: the last sample that fitted was 0.3", r)
	}
	// Room again after the drain.
	if !pr.Put(Sample{Time: t0.Add(time.Second).UnixNano(), Channel: channel.PumpFlow, Value: 1}) {
		t.Fatal("Put after drain failed")
	}
}

func TestRejected(t *testing.T) {
	tp := newTest(t, nil, "drv")
	pr := tp.src["drv"]
	now := t0.Add(time.Minute)
	for _, s := range []Sample{
		{Time: now.UnixNano(), Channel: channel.Invalid, Value: 1},
		{Time: now.UnixNano(), Channel: channel.ID(channel.Count), Value: 1},
		{Time: now.UnixNano(), Channel: channel.ID(60000), Value: 1},
		{Time: now.UnixNano(), Channel: channel.DerivedDO2i, Value: 300},
		{Time: 0, Channel: channel.PumpFlow, Value: 1},
		{Time: -5, Channel: channel.PumpFlow, Value: 1},
		{Time: now.Add(3 * time.Second).UnixNano(), Channel: channel.PumpFlow, Value: 1}, // beyond MaxFutureSkew
		{Time: now.Add(time.Second).UnixNano(), Channel: channel.PumpSpeed, Value: 2000}, // within it
	} {
		pr.Put(s)
	}
	s := tp.Step(now)
	if st := s.Sources[1]; st.Rejected != 7 || st.Samples != 1 {
		t.Fatalf("status %+v, want 7 rejected, 1 accepted", st)
	}
	if s.Reading(channel.PumpFlow).Time != 0 || s.Reading(channel.DerivedDO2i).OK() {
		t.Fatal("a rejected sample reached the table")
	}
	if !s.Reading(channel.PumpSpeed).OK() {
		t.Fatal("a sample within MaxFutureSkew was lost")
	}
}

func TestExtraChannels(t *testing.T) {
	tp := newTest(t, func(s *Settings) {
		s.ExtraChannels = []channel.Channel{{Name: "site.cerebral_flow", Unit: "mL/min", Min: 0, Max: 2000, Freshness: 10 * time.Second}}
	}, "site")
	id, ok := tp.ChannelID("site.cerebral_flow")
	if !ok || int(id) != channel.Count {
		t.Fatalf("ChannelID = %v %v", id, ok)
	}
	if id2, _ := tp.ChannelID("pump.flow"); id2 != channel.PumpFlow {
		t.Fatal("built-in lookup")
	}
	tp.put("site", id, 0, 500)
	tp.put("site", id, time.Second, 5000)
	s := tp.step(time.Second)
	if len(s.Readings) != channel.Count+1 || s.Channel(id).Name != "site.cerebral_flow" {
		t.Fatalf("table length %d, channel %q", len(s.Readings), s.Channel(id).Name)
	}
	if r := s.Reading(id); r.Quality != channel.OutOfRange {
		t.Fatalf("extra channel range not applied: %+v", r)
	}
	if pts := s.History(id, t0.UnixNano(), s.Time, nil); len(pts) != 1 || pts[0].Value != 500 {
		t.Fatalf("history %v", pts)
	}
	if s := tp.step(12 * time.Second); s.Reading(id).Quality != channel.OutOfRange {
		t.Fatal("an out-of-range value turned stale: it should stay out of range")
	}
}

// TestRun checks the running pipeline's timing in a synctest bubble, where
// time is simulated: a sample becomes visible at the next wake-up, nothing is
// published while nothing happens, and a publish comes at least every
// MaxPublishGap.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var published []uint64
		p, err := New(Config{Clock: clock.Wall{}, Settings: shortHistory(), OnPublish: func(s *Snapshot) {
			mu.Lock()
			published = append(published, s.Seq)
			mu.Unlock()
		}})
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := p.AddSource("pump", 0)
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { errc <- p.Run(ctx) }()

		time.Sleep(150 * time.Millisecond) // between the first and second wake-ups
		synctest.Wait()
		if err := p.Run(ctx); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Run: %v", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Step during Run did not panic")
				}
			}()
			p.Step(time.Now())
		}()

		put := time.Now()
		pr.Put(Sample{Time: put.UnixNano(), Channel: channel.PumpFlow, Value: 4.2})
		time.Sleep(49 * time.Millisecond)
		synctest.Wait()
		if p.Latest().Reading(channel.PumpFlow).OK() {
			t.Fatal("visible before the wake-up")
		}
		time.Sleep(time.Millisecond) // 200 ms: a wake-up
		synctest.Wait()
		s := p.Latest()
		if r := s.Reading(channel.PumpFlow); !r.OK() || r.Value != 4.2 {
			t.Fatalf("not visible at the first wake-up after Put: %+v", r)
		}
		seq := s.Seq
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if p.Latest().Seq != seq {
			t.Fatal("published without news before MaxPublishGap")
		}
		time.Sleep(600 * time.Millisecond)
		synctest.Wait()
		if p.Latest().Seq != seq+1 {
			t.Fatalf("seq %d: want one publish at MaxPublishGap", p.Latest().Seq)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("Run returned %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for i, q := range published {
			if q != uint64(i+1) {
				t.Fatalf("OnPublish saw seqs %v", published)
			}
		}
		if len(published) != int(seq+1) {
			t.Fatalf("OnPublish called %d times for %d publishes", len(published), seq+1)
		}
	})
}

func shortHistory() Settings {
	s := DefaultSettings()
	s.HistoryDuration = 10 * time.Minute
	return s
}

func TestChanStateIsOneCacheLine(t *testing.T) {
	if n := unsafe.Sizeof(chanState{}); n > 64 {
		t.Fatalf("chanState is %d bytes: ingest would touch two cache lines per sample", n)
	}
}

// TestStepAtOddTimes: a caller passing the zero time.Time or a time before
// 1970 gets a snapshot, not a panic.
func TestStepAtOddTimes(t *testing.T) {
	tp := newTest(t, nil, "manual")
	tp.put("manual", channel.PatientHeight, 0, 175)
	tp.put("manual", channel.PatientWeight, 0, 80)
	tp.step(0)
	for _, at := range []time.Time{{}, time.Unix(0, 0), time.Unix(-1000, 0), t0} {
		if s := tp.Step(at); s == nil {
			t.Fatalf("Step(%v) = nil", at)
		}
	}
}

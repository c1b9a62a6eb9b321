package monitor

import (
	"math"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// t0 is the start of the test case.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// testPipeline is a pipeline on a manual clock with one hour of history, to
// keep the race detector's memory small.
type testPipeline struct {
	*Pipeline
	t   *testing.T
	clk *clock.Manual
	src map[string]*Producer
}

func newTest(t *testing.T, change func(*Settings), sources ...string) *testPipeline {
	t.Helper()
	set := DefaultSettings()
	set.HistoryDuration = time.Hour
	if change != nil {
		change(&set)
	}
	clk := clock.NewManual(t0)
	p, err := New(Config{Clock: clk, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	tp := &testPipeline{Pipeline: p, t: t, clk: clk, src: map[string]*Producer{}}
	for _, name := range sources {
		pr, err := p.AddSource(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		tp.src[name] = pr
	}
	return tp
}

// put puts an OK sample of ch at case time at (offset from t0).
func (tp *testPipeline) put(src string, ch channel.ID, at time.Duration, v float64) {
	tp.putQ(src, ch, at, v, channel.OK)
}

func (tp *testPipeline) putQ(src string, ch channel.ID, at time.Duration, v float64, q channel.Quality) {
	tp.t.Helper()
	pr := tp.src[src]
	if pr == nil {
		tp.t.Fatalf("no source %q", src)
	}
	if !pr.Put(Sample{Time: t0.Add(at).UnixNano(), Channel: ch, Value: v, Quality: q}) {
		tp.t.Fatalf("ring of %s full", src)
	}
}

// step publishes at t0+at.
func (tp *testPipeline) step(at time.Duration) *Snapshot {
	tp.clk.Set(t0.Add(at))
	return tp.Step(t0.Add(at))
}

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol || (math.IsNaN(a) && math.IsNaN(b))
}

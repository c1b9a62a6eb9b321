package record

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// TestECMOSoak runs a simulated 7-day ECMO run through the pipeline and the
// recorder (segments of a day) as fast as they go, at the built-in
// simulated devices' rates: pump, patient monitor and oximeter every
// second, the in-line monitor every 6 s, cerebral oximetry every 5 s; an
// analyser blood gas every 4 h and a manual entry (ACT, size) every 2 h,
// the ECMO checks. Every sample goes to the pipeline's ring and to the
// record, as the console's sinks do; the derived values of every published
// snapshot go to the record (once a second). It reports the heap at day 1
// and day 7 (within 10 %), the samples handed over and dropped (none), and
// the segments with their sizes; it then reads the run back and counts
// every sample in it.
//
// It takes minutes, so it runs only with PUMPSIDE_SOAK=1 (make soak-ecmo):
//
//	PUMPSIDE_SOAK=1 go test -run '^TestECMOSoak$' -timeout 60m -v ./monitor/record/
func TestECMOSoak(t *testing.T) {
	if os.Getenv("PUMPSIDE_SOAK") != "1" {
		t.Skip("soak test: set PUMPSIDE_SOAK=1 (make soak-ecmo) to run a 7-day ECMO run")
	}
	const days = 7
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	var w *Writer
	p, err := monitor.New(monitor.Config{Clock: clk, Settings: monitor.DefaultSettings(), OnPublish: func(s *monitor.Snapshot) { w.Snapshot(s) }})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ecmo.case")
	w, err = Open(path, Options{Case: "C-ecmo-soak", Channels: p.Channels(), Segment: DefaultSegment, Origin: start.UnixNano()})
	require.NoError(t, err)

	type feed struct {
		pr     *monitor.Producer
		chans  []channel.ID
		period time.Duration
		next   time.Duration
		base   []float64
	}
	var feeds []*feed
	var prods []*monitor.Producer
	for i, name := range sim.Sources() {
		src := sim.Source(i)
		period := src.Interval()
		switch src {
		case sim.Analyser:
			period = 4 * time.Hour
		case sim.Manual:
			period = 2 * time.Hour
		}
		pr, err := p.AddSource(name, 0)
		require.NoError(t, err)
		prods = append(prods, pr)
		f := &feed{pr: pr, chans: src.Channels(), period: period}
		for _, id := range f.chans {
			c := p.Channels()[id]
			f.base = append(f.base, c.Min+(c.Max-c.Min)*0.4)
		}
		feeds = append(feeds, f)
	}
	w.SetSources(SourceNames(prods...))

	heapAt := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var samples, refused uint64
	var heapDay1 uint64
	began := time.Now()
	const step = time.Second
	for at := time.Duration(0); at <= days*24*time.Hour; at += step {
		for _, f := range feeds {
			for ; f.next <= at; f.next += f.period {
				ts := start.Add(f.next).UnixNano()
				phase := f.next.Seconds() / 600
				for i, id := range f.chans {
					c := p.Channels()[id]
					s := monitor.Sample{Time: ts, Channel: id, Source: f.pr.ID(),
						Value: f.base[i] + (c.Max-c.Min)*0.05*math.Sin(phase+float64(i))}
					require.True(t, f.pr.Put(s), "%s: the ring dropped a sample", f.pr.Name())
					if !w.Sample(s) {
						refused++
					}
					samples++
				}
			}
		}
		clk.Set(start.Add(at))
		p.Advance(start.Add(at))
		if at%(10*time.Minute) == 0 {
			// The recorder at its own pace: in real time it has 10 min
			// for what it gets here in a moment.
			require.NoError(t, w.Flush())
		}
		if at == 24*time.Hour {
			heapDay1 = heapAt()
			t.Logf("day 1: heap %.1f MiB after %v", float64(heapDay1)/(1<<20), time.Since(began).Round(time.Millisecond))
		}
	}
	heapDay7 := heapAt()
	wall := time.Since(began)
	require.NoError(t, w.Flush())
	st := w.Status()
	require.NoError(t, w.Close())
	snap := p.Latest()
	for _, s := range snap.Sources[1:] {
		require.Zero(t, s.Dropped, "%s: dropped by the pipeline", s.Name)
	}
	segs := Segments(path)
	var sizes []string
	var total int64
	for _, sp := range segs {
		fi, err := os.Stat(sp)
		require.NoError(t, err)
		total += fi.Size()
		sizes = append(sizes, humanMiB(fi.Size()))
	}
	t.Logf("day 7: heap %.1f MiB (%.3f× day 1); %d samples (%.1f/s of run time) handed over, %d refused by the recorder, %d dropped (status); %d publishes; %v wall time (%.0f× real time)",
		float64(heapDay7)/(1<<20), float64(heapDay7)/float64(heapDay1), samples, float64(samples)/(days*86400), refused, st.Dropped, snap.Seq,
		wall.Round(time.Millisecond), days*86400/wall.Seconds())
	t.Logf("record: %d segments, %s in all (%s a day); sizes %v", len(segs), humanMiB(total), humanMiB(total/days), sizes)
	require.Zero(t, refused, "samples refused by the recorder's queue")
	require.Zero(t, st.Dropped, "samples dropped by the recorder")
	require.Equal(t, total, st.RunBytes, "the run's disk use as the writer counts it")
	// A segment per day, and the empty one begun by the last commit at the
	// end of day 7.
	require.Len(t, segs, days+1)

	// Read the run back: every sample handed over is in it, once.
	r, err := OpenRun(path)
	require.NoError(t, err)
	defer r.Close()
	rd := NewReader(r)
	var got uint64
	var smp []ChannelSample
	for rd.Next() {
		e := rd.Entry()
		if e.Kind() != KindSamples || e.Tag(TagSource) == DerivedSource {
			continue
		}
		smp = e.Samples(smp[:0])
		got += uint64(len(smp))
	}
	require.NoError(t, rd.Err())
	require.Zero(t, rd.BadLines)
	require.Equal(t, samples, got, "samples in the run")
	if ratio := float64(heapDay7) / float64(heapDay1); ratio > 1.10 || ratio < 0.90 {
		t.Fatalf("heap at day 7 is %.3f× the heap at day 1", ratio)
	}
}

func humanMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

package monitor

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// The benchmark workload: 16 sources, 200 ingestible channels. The built-in
// vocabulary has channel.Count-1 channels of which NumDerived are computed,
// so the table is extended with synthetic site channels up to 200 that
// samples can go to (Settings.ExtraChannels).
const (
	benchSources  = 16
	benchChannels = 200
	benchBatch    = 1024 // samples per source per drain round (rings: the default 4096)
	benchRate     = 32_000
)

func benchSettings() Settings {
	set := DefaultSettings()
	builtin := channel.Count - 1 - NumDerived
	for i := range benchChannels - builtin {
		set.ExtraChannels = append(set.ExtraChannels, channel.Channel{
			Name: fmt.Sprintf("site.ch%03d", i), Min: 0, Max: 1000, Freshness: 5 * time.Second,
		})
	}
	return set
}

// benchWorkload returns, per source, a cycle of samples over the 200
// channels with in-range values (source i starts at a different channel).
func benchWorkload(p *Pipeline) [][]Sample {
	var ids []channel.ID
	for id := 1; id < len(p.chans); id++ {
		if !p.derived[id] {
			ids = append(ids, channel.ID(id))
		}
	}
	if len(ids) != benchChannels {
		panic(fmt.Sprintf("%d channels", len(ids)))
	}
	w := make([][]Sample, benchSources)
	for src := range w {
		w[src] = make([]Sample, benchBatch)
		for j := range w[src] {
			id := ids[(src*37+j)%len(ids)]
			c := &p.chans[id]
			w[src][j] = Sample{Channel: id, Value: c.Min + (c.Max-c.Min)*float64((j*7)%10+1)/12, Quality: channel.OK}
		}
	}
	return w
}

// BenchmarkIngest measures samples per second from Put through the ring and
// the drain into the latest table and the history accumulators, on one
// goroutine (one core): each round puts up to benchBatch samples into each
// of the 16 rings and drains them, as the pipeline goroutine does every
// publish interval. Sample times advance at 32,000 samples/s of case time.
//
// In the same run it measures the baseline, a straightforward pipeline with
// one buffered Go channel per source and a mutex-guarded map, on the same
// samples, and reports the ratio of the two throughputs as x_baseline. The
// two alternate in chunks, so a change of load on a shared machine hits both
// alike. The baseline does less (no history), so the ratio is if anything
// modest.
func BenchmarkIngest(b *testing.B) { benchIngest(b, func(int) string { return "" }) }

// BenchmarkIngestRanked is BenchmarkIngest with sources of two kinds, half
// "intellivue" and half "generic", so that the default source priority ranks
// every patient.*, temp.*, pump.* and gas.* channel (about a fifth of the
// samples): those go through the choice of source (SourcePriority).
func BenchmarkIngestRanked(b *testing.B) {
	benchIngest(b, func(i int) string {
		if i%2 == 0 {
			return "intellivue"
		}
		return "generic"
	})
}

func benchIngest(b *testing.B, kind func(int) string) {
	set := benchSettings()
	clk := clock.NewManual(t0)
	p, err := New(Config{Clock: clk, Settings: set})
	if err != nil {
		b.Fatal(err)
	}
	prods := make([]*Producer, benchSources)
	for i := range prods {
		name := fmt.Sprintf("src%02d", i)
		k := kind(i)
		if k == "" {
			k = name
		}
		if prods[i], err = p.AddSourceKind(name, k, 0); err != nil {
			b.Fatal(err)
		}
	}
	work := benchWorkload(p)
	p.Step(t0) // starts the pipeline; from here the benchmark drives its consumer side directly
	const dt = int64(time.Second) / benchRate
	now := t0.UnixNano()
	round := func(n int) int {
		k := min((n+benchSources-1)/benchSources, benchBatch)
		for src, pr := range prods {
			ws := work[src][:k]
			for j := range ws {
				s := ws[j]
				s.Time = now + int64(j*benchSources+src)*dt
				if !pr.Put(s) {
					b.Fatal("ring full")
				}
			}
		}
		now += int64(k*benchSources) * dt
		p.drain(now)
		p.flushHistory()
		return k * benchSources
	}
	// Warm up: every channel's history is allocated on its first value.
	for range 8 {
		round(benchBatch * benchSources)
	}
	base := newBaseline(work, p.chans)
	base.run(benchBatch * benchSources)

	const chunk = 1 << 18 // samples per alternation
	var mainTime, baseTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		start := time.Now()
		for k := 0; k < n; {
			k += round(n - k)
		}
		mainTime += time.Since(start)
		b.StopTimer()
		baseTime += base.run(n)
		b.StartTimer()
		done += n
	}
	b.StopTimer()
	if st := p.srcStat[1]; st.Rejected != 0 || st.Dropped != 0 {
		b.Fatalf("workload rejected or dropped: %+v", st)
	}
	b.ReportMetric(float64(b.N)/mainTime.Seconds(), "samples/s")
	b.ReportMetric(baseTime.Seconds()/mainTime.Seconds(), "x_baseline")
	b.ReportMetric(float64(len(p.ranked)), "ranked_channels")
}

// baseline is the naive design: a buffered Go channel per source (a
// non-blocking send, since a driver must not block either) and a map behind
// a mutex, locked per sample.
type baseline struct {
	work   [][]Sample
	chans  []channel.Channel
	mu     sync.Mutex
	latest map[channel.ID]Reading
	chs    []chan Sample
	now    int64
}

func newBaseline(work [][]Sample, chans []channel.Channel) *baseline {
	bl := &baseline{work: work, chans: chans, latest: make(map[channel.ID]Reading, len(chans)), now: t0.UnixNano()}
	for range work {
		bl.chs = append(bl.chs, make(chan Sample, 4096))
	}
	return bl
}

// run pushes about n samples through and returns how long that took.
func (bl *baseline) run(n int) time.Duration {
	const dt = int64(time.Second) / benchRate
	start := time.Now()
	for done := 0; done < n; {
		k := min((n-done+benchSources-1)/benchSources, benchBatch)
		for src, ch := range bl.chs {
			for j, s := range bl.work[src][:k] {
				s.Time = bl.now + int64(j*benchSources+src)*dt
				s.Source = SourceID(src + 1)
				select {
				case ch <- s:
				default: // dropped
				}
			}
		}
		bl.now += int64(k*benchSources) * dt
		for _, ch := range bl.chs {
			for len(ch) > 0 {
				s := <-ch
				if int(s.Channel) >= len(bl.chans) || s.Channel == 0 {
					continue
				}
				q := bl.chans[s.Channel].Classify(s.Value, s.Quality)
				bl.mu.Lock()
				if r, ok := bl.latest[s.Channel]; !ok || s.Time >= r.Time {
					bl.latest[s.Channel] = Reading{Value: s.Value, Time: s.Time, Source: s.Source, Quality: q}
				}
				bl.mu.Unlock()
			}
		}
		done += k * benchSources
	}
	return time.Since(start)
}

// benchCase fills a 200-channel pipeline with five minutes of data on every
// channel, every derived input included, so each publish computes every
// derived value (the rewarming rate from a full window).
func benchCase(b *testing.B) (*Pipeline, int64) {
	p, err := New(Config{Clock: clock.NewManual(t0), Settings: benchSettings()})
	if err != nil {
		b.Fatal(err)
	}
	pr, _ := p.AddSource("all", 8192)
	work := benchWorkload(p)
	now := t0.UnixNano()
	values := map[channel.ID]float64{}
	for _, c := range caseInputs {
		values[c.ch] = c.v
	}
	for sec := range 300 {
		now = t0.Add(time.Duration(sec) * time.Second).UnixNano()
		for _, s := range work[0][:benchChannels] {
			s.Time = now
			if v, ok := values[s.Channel]; ok {
				s.Value = v
			}
			if s.Channel == channel.TempArterialOutlet {
				s.Value = 30 + float64(sec)/120
			}
			pr.Put(s)
		}
		p.Step(time.Unix(0, now))
	}
	return p, now
}

// BenchmarkPublish is the cost of one publish: 200 channels with staleness,
// every derived value with provenance, the history flush and the case
// statistics, while readers hold snapshots the way the console does.
//
// "readers": a frame reader takes each snapshot with Acquire, reads every
// reading and releases it, and the OnPublish hook retains each snapshot
// into a recorder-like queue (4 deep) that another goroutine drains and
// releases; the pipeline reuses snapshots nobody holds. allocs/op and B/op
// count every goroutine. new_snapshots/op is the exact fraction of
// publishes that had to allocate (allocs/op is rounded down).
//
// "fresh_baseline": the same with every snapshot pinned (as Latest does),
// so every publish allocates a new one: the design before the pool, for
// comparison in the same run.
func BenchmarkPublish(b *testing.B) {
	for _, mode := range []string{"readers", "fresh_baseline"} {
		b.Run(mode, func(b *testing.B) {
			p, now := benchCase(b)
			for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
				if r := p.Latest().Reading(id); !r.OK() {
					b.Fatalf("%v not OK in the benchmark case: %+v", id, r)
				}
			}
			queue := make(chan *Snapshot, 4)
			p.onPublish = func(s *Snapshot) {
				select {
				case queue <- s.Retain():
				default:
					s.Release() // the recorder counts a drop
				}
			}
			var frames, sink atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case s := <-queue:
						s.Release()
					case <-stop:
						return
					}
				}
			})
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					s := p.Acquire()
					var sum float64
					for _, r := range s.Readings {
						sum += r.Value
					}
					sink.Add(int64(sum))
					s.Release()
					frames.Add(1)
					runtime.Gosched()
				}
			})
			_, before := p.SnapshotCounts()
			b.ReportAllocs()
			for b.Loop() {
				// 1 µs of case time per publish keeps every input fresh for
				// any realistic b.N (pump flow, the tightest, is fresh for 5 s).
				now += int64(time.Microsecond)
				s := p.publish(now)
				if mode == "fresh_baseline" {
					s.ref.pinned.Store(true)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			for len(queue) > 0 {
				(<-queue).Release()
			}
			_, after := p.SnapshotCounts()
			b.ReportMetric(float64(after-before)/float64(b.N), "new_snapshots/op")
			b.ReportMetric(float64(frames.Load())/float64(b.N), "reads/op")
			for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
				if r := p.Latest().Reading(id); !r.OK() {
					b.Fatalf("%v went %v during the benchmark", id, r.Quality)
				}
			}
		})
	}
}

// BenchmarkLatency measures, in real time, how long a sample takes from Put
// to a published snapshot with the pipeline goroutine running (Run, wall
// clock) under 32,000 samples/s from 16 producer goroutines (ten times the
// realistic peak). A producer sleeps 5 ms, then puts the samples due; each
// put is timed, and at every publish the samples newly counted in
// SourceStatus.Samples are visible. Reported: p50, p99 and max in ns.
//
// The load runs for PUMPSIDE_LATENCY_DURATION (default 60s), once whatever
// b.N is, so ns/op is the length of the run. Expect p99 just under one
// PublishInterval (a sample waits for the next wake-up) plus the drain and
// publish.
func BenchmarkLatency(b *testing.B) {
	dur := 60 * time.Second
	if v := os.Getenv("PUMPSIDE_LATENCY_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		dur = d
	}
	perSource := int(dur.Seconds()*benchRate/benchSources) + benchRate
	putAt := make([][]int64, benchSources)
	for i := range putAt {
		putAt[i] = make([]int64, perSource)
	}
	lat := make([]int64, 0, perSource*benchSources)
	seen := make([]uint64, benchSources+1)
	var publishes int
	set := benchSettings()
	var p *Pipeline
	p, err := New(Config{Clock: clock.Wall{}, Settings: set, OnPublish: func(s *Snapshot) {
		visible := time.Now().UnixNano()
		publishes++
		for src := 1; src <= benchSources; src++ {
			for i := seen[src]; i < s.Sources[src].Samples; i++ {
				lat = append(lat, visible-putAt[src-1][i])
			}
			seen[src] = s.Sources[src].Samples
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	prods := make([]*Producer, benchSources)
	for i := range prods {
		prods[i], _ = p.AddSource(fmt.Sprintf("src%02d", i), 4096)
	}
	work := benchWorkload(p)
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	go func() { p.Run(ctx); close(runDone) }()

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for src, pr := range prods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := 0
			for {
				time.Sleep(5 * time.Millisecond)
				el := time.Since(start)
				if el > dur {
					return
				}
				due := min(int(el.Seconds()*benchRate/benchSources), perSource)
				for ; sent < due; sent++ {
					s := work[src][sent%benchBatch]
					t := time.Now().UnixNano()
					s.Time = t
					putAt[src][sent] = t
					if !pr.Put(s) {
						panic("dropped")
					}
				}
			}
		}()
	}
	wg.Wait()
	time.Sleep(2 * set.PublishInterval)
	cancel()
	<-runDone
	b.StopTimer()
	if len(lat) == 0 {
		b.Fatal("no samples seen")
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(math.Ceil(f*float64(len(lat))))-1]) }
	b.ReportMetric(q(0.50), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
	b.ReportMetric(float64(len(lat))/dur.Seconds(), "samples/s")
	b.ReportMetric(float64(publishes), "publishes")
}

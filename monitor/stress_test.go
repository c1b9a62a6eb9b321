package monitor

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// TestStress runs the pipeline goroutine with 16 producer goroutines putting
// random samples (valid, out of range, flagged, on unknown and derived
// channels, stamped far in the future) into small rings, while readers take
// snapshots, read history and provenance, all at once. Under -race it checks
// the synchronisation; the readers check that nothing out of range is ever
// displayed; at the end every Put is accounted for.
func TestStress(t *testing.T) {
	const producers, readers = 16, 4 // the 16 producers
	duration := time.Second
	if testing.Short() {
		duration = 200 * time.Millisecond
	}
	set := DefaultSettings()
	set.PublishInterval = 5 * time.Millisecond
	set.MaxPublishGap = 20 * time.Millisecond
	set.StatsMaxStep = set.MaxPublishGap
	set.HistoryDuration = 10 * time.Minute
	set.RewarmWindow = time.Minute
	var published atomic.Uint64
	p, err := New(Config{Clock: clock.Wall{}, Settings: set, OnPublish: func(*Snapshot) { published.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ ok, full, bad uint64 }
	tallies := make([]tally, producers)
	prods := make([]*Producer, producers)
	for i := range prods {
		if prods[i], err = p.AddSource(fmt.Sprintf("dev%02d", i), 256); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan error)
	go func() { runDone <- p.Run(ctx) }()

	stopReaders := make(chan struct{})
	var rwg sync.WaitGroup
	for r := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 99))
			var lastSeq uint64
			buf := make([]Point, 0, 1024)
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				s := p.Latest()
				if s.Seq < lastSeq {
					t.Errorf("reader %d: seq went back %d -> %d", r, lastSeq, s.Seq)
					return
				}
				lastSeq = s.Seq
				for id, rd := range s.Readings {
					c := s.Channel(channel.ID(id))
					if rd.OK() && !c.InRange(rd.Value) {
						t.Errorf("%s shown as %v, outside %v…%v", c.Name, rd.Value, c.Min, c.Max)
						return
					}
					if c.Derived() && !rd.OK() && !math.IsNaN(rd.Value) {
						t.Errorf("%s not OK (%v) but has a number %v", c.Name, rd.Quality, rd.Value)
						return
					}
				}
				id := channel.ID(1 + rng.IntN(channel.Count-1))
				buf = s.History(id, s.Time-int64(time.Minute), s.Time, buf[:0])
				c := s.Channel(id)
				for i, pt := range buf {
					// float32 storage: allow its rounding at the range edges.
					if pt.Value < c.Min-1e-3*math.Abs(c.Min)-1e-6 || pt.Value > c.Max+1e-3*math.Abs(c.Max)+1e-6 {
						t.Errorf("%s history point %v outside its range", c.Name, pt.Value)
						return
					}
					if i > 0 && pt.Time <= buf[i-1].Time {
						t.Errorf("%s history out of order", c.Name)
						return
					}
				}
				for _, in := range s.Derivation(channel.DerivedDO2i).Inputs() {
					if in.Used() && math.IsNaN(in.Value) {
						t.Errorf("used input %+v without a value", in)
						return
					}
				}
				runtime.Gosched()
			}
		}()
	}

	deadline := time.Now().Add(duration)
	var pwg sync.WaitGroup
	for i, pr := range prods {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			tl := &tallies[i]
			for n := 0; n%64 != 0 || time.Now().Before(deadline); n++ {
				s := Sample{Time: time.Now().UnixNano(), Quality: channel.OK}
				s.Channel = channel.ID(1 + rng.IntN(int(channel.DerivedBSA)-1))
				c := channel.Get(s.Channel)
				s.Value = c.Min + (c.Max-c.Min)*(rng.Float64()*1.2-0.1) // a tenth out of range each side
				bad := false
				switch rng.IntN(20) {
				case 0:
					s.Channel, bad = channel.DerivedDO2i, true
				case 1:
					s.Channel, bad = channel.ID(channel.Count+rng.IntN(100)), true
				case 2:
					s.Time, bad = s.Time+int64(time.Hour), true
				case 3:
					s.Quality = channel.Quality(1 + rng.IntN(4))
				case 4:
					s.Value = math.NaN()
				}
				if pr.Put(s) {
					tl.ok++
					if bad {
						tl.bad++
					}
				} else {
					tl.full++
				}
				if n%64 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	pwg.Wait()
	time.Sleep(3 * set.PublishInterval)
	close(stopReaders)
	rwg.Wait()
	cancel()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	s := p.Step(time.Now()) // whatever Run left in the rings
	for i, tl := range tallies {
		st := s.Sources[i+1]
		if st.Samples+st.Rejected != tl.ok || st.Rejected != tl.bad || st.Dropped != tl.full {
			t.Errorf("%s: put ok %d (bad %d), full %d; pipeline saw %d + %d rejected, %d dropped",
				st.Name, tl.ok, tl.bad, tl.full, st.Samples, st.Rejected, st.Dropped)
		}
	}
	if published.Load() < 2 || published.Load() != s.Seq {
		t.Fatalf("OnPublish called %d times, seq %d", published.Load(), s.Seq)
	}
	var ok, full uint64
	for _, tl := range tallies {
		ok, full = ok+tl.ok, full+tl.full
	}
	t.Logf("%d snapshots; %d samples put, %d dropped, in %v", s.Seq, ok, full, duration)
}

package monitor

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// digest hashes everything a reader can see in s, provenance included
// (fmt prints NaN alike every time, and unexported fields too).
func digest(s *Snapshot) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d %d %v %v %v %v", s.Seq, s.Time, s.Readings, s.Sources, s.Derived, s.Stats)
	return h.Sum64()
}

// feedRound puts one second of a changing case into pr: the derived
// inputs every second, with the in-line monitor dropping out now and then
// (stale Hb, a switch to the analyser), and some channels out of range.
func feedRound(t *testing.T, pr *Producer, sec int, at int64) {
	t.Helper()
	for _, c := range caseInputs {
		v := c.v
		if c.ch == channel.PumpFlow {
			v += float64(sec%7) / 10
		}
		if c.ch == channel.InlineHb && sec%40 >= 30 {
			continue // goes stale: the analyser's Hb takes over
		}
		require.True(t, pr.Put(Sample{Time: at, Channel: c.ch, Value: v, Quality: channel.OK}))
	}
	if sec%10 == 0 {
		require.True(t, pr.Put(Sample{Time: at, Channel: channel.ABGHb, Value: 9.1, Quality: channel.OK}))
	}
	if sec%5 == 0 {
		require.True(t, pr.Put(Sample{Time: at, Channel: channel.PatientSys, Value: 900, Quality: channel.OK}))
	}
}

// TestRecycledSnapshotsMatchFresh: a pipeline that reuses its snapshots
// (Advance, nobody holding them) publishes exactly what a pipeline that
// allocates every snapshot (Step, which pins) publishes from the same
// samples: nothing of an earlier publish shows through a reused one.
func TestRecycledSnapshotsMatchFresh(t *testing.T) {
	newP := func() (*Pipeline, *Producer) {
		set := DefaultSettings()
		set.HistoryDuration = time.Hour
		p, err := New(Config{Clock: clock.NewManual(t0), Settings: set})
		require.NoError(t, err)
		pr, err := p.AddSource("all", 1024)
		require.NoError(t, err)
		return p, pr
	}
	fresh, frPr := newP()
	recycled, rcPr := newP()
	const rounds = 300
	for sec := range rounds {
		at := t0.Add(time.Duration(sec) * time.Second)
		feedRound(t, frPr, sec, at.UnixNano())
		feedRound(t, rcPr, sec, at.UnixNano())
		a := fresh.Step(at)
		b := recycled.Advance(at)
		require.Equal(t, digest(a), digest(b), "publish %d differs", sec)
	}
	reused, allocated := recycled.SnapshotCounts()
	assert.LessOrEqual(t, allocated, uint64(3), "the first snapshot, then two in turn")
	assert.Equal(t, uint64(rounds+1), reused+allocated)
	_, freshAlloc := fresh.SnapshotCounts()
	assert.Equal(t, uint64(rounds+1), freshAlloc, "pinned snapshots are never reused")
	assert.True(t, recycled.Latest().Reading(channel.DerivedDO2i).OK(), "the case computes DO2i")
}

// TestHeldSnapshotsNeverChange: a snapshot held through Acquire, Retain or
// Latest stays as it was while the pipeline publishes on; released, it is
// reused.
func TestHeldSnapshotsNeverChange(t *testing.T) {
	tp := newTest(t, nil, "all")
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	feedRound(t, tp.src["all"], 0, at(0).UnixNano())
	tp.Advance(at(0))

	acquired := tp.Acquire()
	retained := tp.Acquire().Retain()
	pinned := tp.Latest()
	require.True(t, acquired == retained && acquired == pinned, "one latest snapshot")
	before := digest(acquired)
	// Release one of the two references: still held by the other.
	acquired.Release()

	other := make(map[*Snapshot]bool)
	for sec := 1; sec < 50; sec++ {
		feedRound(t, tp.src["all"], sec, at(sec).UnixNano())
		s := tp.Advance(at(sec))
		other[s] = true
		require.False(t, pinned == s, "publish %d reused a held snapshot", sec)
	}
	assert.Equal(t, before, digest(pinned), "a held snapshot changed")
	assert.LessOrEqual(t, len(other), 3, "the others were reused")
	retained.Release()

	// The pin still holds it: released references do not free a pinned
	// snapshot.
	for sec := 50; sec < 60; sec++ {
		require.False(t, pinned == tp.Advance(at(sec)), "a pinned snapshot was reused")
	}
	assert.Equal(t, before, digest(pinned))

	// An acquired, unpinned snapshot returns to the pool once released.
	held := tp.Acquire()
	for sec := 60; sec < 70; sec++ {
		require.False(t, held == tp.Advance(at(sec)), "an acquired snapshot was reused")
	}
	held.Release()
	var again bool
	for sec := 70; sec < 75; sec++ {
		again = again || tp.Advance(at(sec)) == held
	}
	assert.True(t, again, "a released snapshot is reused")
}

// TestStepPinsItsSnapshot: Step's snapshot may be kept, like Latest's.
func TestStepPinsItsSnapshot(t *testing.T) {
	tp := newTest(t, nil, "all")
	var kept []*Snapshot
	var sums []uint64
	for sec := range 20 {
		at := t0.Add(time.Duration(sec) * time.Second)
		feedRound(t, tp.src["all"], sec, at.UnixNano())
		s := tp.Step(at)
		kept, sums = append(kept, s), append(sums, digest(s))
	}
	for i, s := range kept {
		assert.Equal(t, sums[i], digest(s), "snapshot %d changed", i)
		assert.Equal(t, uint64(i+1), s.Seq)
	}
}

// TestReleaseMisuse: one release too many is a bug that would let the
// pipeline refill a snapshot under a reader: it panics. A snapshot built by
// hand (tests, tools) has nothing to count, and nil is fine.
func TestReleaseMisuse(t *testing.T) {
	tp := newTest(t, nil)
	s := tp.Acquire()
	s.Release()
	assert.PanicsWithValue(t, "monitor: Snapshot.Release without a matching Acquire or Retain", s.Release)

	byHand := &Snapshot{Seq: 3}
	assert.NotPanics(t, func() { byHand.Retain().Release(); byHand.Release() })
	var none *Snapshot
	assert.NotPanics(t, func() { none.Release() })
}

// TestRecyclingUnderReaders runs the pipeline goroutine at 200 publishes a
// second with producers, while readers hold snapshots every way the
// program does: per frame (Acquire, read, Release), queued from OnPublish
// (Retain, written out later, Release), and kept (Latest). Each reader
// checks that what it holds does not change while it holds it; under -race
// a refill under a reader would also be a reported race. The pool must
// actually be reused, or the test proves nothing.
func TestRecyclingUnderReaders(t *testing.T) {
	duration := 2 * time.Second
	if testing.Short() {
		duration = 300 * time.Millisecond
	}
	set := DefaultSettings()
	set.HistoryDuration = 10 * time.Minute
	set.PublishInterval = 5 * time.Millisecond
	set.MaxPublishGap = 20 * time.Millisecond
	set.StatsMaxStep = set.MaxPublishGap
	set.RewarmWindow = time.Minute

	// The recorder's way: OnPublish retains into a bounded queue, a writer
	// goroutine checks and releases; a full queue drops (and releases).
	type queued struct {
		s   *Snapshot
		sum uint64
	}
	queue := make(chan queued, 4)
	var dropped, written atomic.Int64
	p, err := New(Config{Clock: clock.Wall{}, Settings: set, OnPublish: func(s *Snapshot) {
		q := queued{s.Retain(), digest(s)}
		select {
		case queue <- q:
		default:
			dropped.Add(1)
			s.Release()
		}
	}})
	require.NoError(t, err)
	prods := make([]*Producer, 4)
	for i := range prods {
		prods[i], err = p.AddSource(fmt.Sprintf("dev%d", i), 1024)
		require.NoError(t, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Run(ctx) })

	var changed atomic.Int64
	var mu sync.Mutex
	var firstChange string
	report := func(what string, s *Snapshot, want uint64) {
		if got := digest(s); got != want {
			changed.Add(1)
			mu.Lock()
			if firstChange == "" {
				firstChange = fmt.Sprintf("%s: snapshot seq %d changed while held", what, s.Seq)
			}
			mu.Unlock()
		}
	}
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				for {
					select {
					case q := <-queue:
						report("queued", q.s, q.sum)
						q.s.Release()
					default:
						return
					}
				}
			case q := <-queue:
				time.Sleep(time.Duration(rand.IntN(8)) * time.Millisecond) // a slow disk
				report("queued", q.s, q.sum)
				q.s.Release()
				written.Add(1)
			}
		}
	})
	var frames atomic.Int64
	for r := range 2 { // frame readers
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 5))
			var last uint64
			for ctx.Err() == nil {
				s := p.Acquire()
				if s.Seq < last {
					t.Errorf("seq went back %d -> %d", last, s.Seq)
				}
				last = s.Seq
				sum := digest(s)
				time.Sleep(time.Duration(rng.IntN(12)) * time.Millisecond) // a frame
				report("acquired", s, sum)
				s.Release()
				frames.Add(1)
			}
		})
	}
	wg.Go(func() { // an occasional keeper
		var kept []*Snapshot
		var sums []uint64
		for ctx.Err() == nil {
			s := p.Latest()
			kept, sums = append(kept, s), append(sums, digest(s))
			time.Sleep(50 * time.Millisecond)
		}
		for i, s := range kept {
			report("pinned", s, sums[i])
		}
	})
	for i, pr := range prods {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			for ctx.Err() == nil {
				c := caseInputs[rng.IntN(len(caseInputs))]
				pr.Put(Sample{Time: time.Now().UnixNano(), Channel: c.ch, Value: c.v * (0.9 + 0.2*rng.Float64()), Quality: channel.OK})
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	time.Sleep(duration)
	cancel()
	wg.Wait()

	require.Zero(t, changed.Load(), firstChange)
	reused, allocated := p.SnapshotCounts()
	t.Logf("%d publishes: %d reused, %d allocated; %d frames, %d queued written, %d dropped",
		reused+allocated, reused, allocated, frames.Load(), written.Load(), dropped.Load())
	assert.Greater(t, reused, allocated, "the pool was not reused: the test proves nothing")
	assert.Positive(t, written.Load())
}

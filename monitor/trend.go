package monitor

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// The long-term trend store.
//
// Above the 1 Hz circle (history.go) every channel keeps a pyramid of
// coarser levels, each a circle of buckets. A bucket holds the minimum and
// maximum of the channel's 1 Hz values in its interval, when in it each
// occurred, its first and last second with a value and how many seconds had
// one. Nothing is averaged above the second: a 10-second dip of the mean
// arterial pressure that raised an alarm is the minimum of its bucket at
// every level, so it shows at any zoom. Only OK values reach the 1 Hz
// circle, so a stale or invalid stretch is a bucket with no seconds: a gap
// stays a gap.
//
// Each level keeps as long as a window drawn in a few hundred columns or
// more would read it (Decimate reads the coarsest level no coarser than a
// column): 10 s for windows up to ~6 h, 1 min up to ~2 days, 10 min beyond.
//
// Memory is fixed when a channel has its first value and never grows:
// bucketBytes × (4,320 + 2,880 + 4,320) = 276,480 bytes (270 KiB) per
// channel, on top of the 1 Hz circle (8 bytes × HistoryDuration in seconds).
var trendLevels = [numLevels]struct {
	dur int64 // seconds per bucket
	n   int64 // buckets kept
}{
	{10, 12 * 360},     // 10 s for 12 h
	{60, 48 * 60},      // 1 min for 48 h
	{600, 30 * 24 * 6}, // 10 min for 30 days
}

const numLevels = 3

// bucketBytes is the size of one bucket.
const bucketBytes = 24

// TrendRetention is how far back the coarsest level reaches: a run longer
// than this shows its last TrendRetention.
const TrendRetention = 30 * 24 * time.Hour

// level is one circle of buckets; bucket number b (Unix second / dur)
// lives in slot b mod n.
type level struct{ b []bucket }

// bucket is three atomic words under a sequence lock, so that a reader on
// any goroutine sees a bucket whole or retries:
//
//	head:  (bucket number + 1) << 16 | sequence (odd while being written)
//	vals:  float32 bits of the minimum << 32 | of the maximum
//	times: offsets in seconds from the bucket's start, 12 bits each, from
//	       the top: minimum's, maximum's, first, last; then the count
//
// 12 bits hold offsets and counts up to 4,095: buckets are at most 600 s.
type bucket struct{ head, vals, times atomic.Uint64 }

func newSeries(size int64) *series {
	s := &series{slots: make([]atomic.Uint64, size)}
	for i := range s.lv {
		s.lv[i].b = make([]bucket, trendLevels[i].n)
	}
	return s
}

// fold adds the value v of second sec to every level. Writer only.
func (s *series) fold(sec int64, v float32) {
	for i := range s.lv {
		if sec >= s.seeded[i] {
			s.lv[i].fold(trendLevels[i].dur, trendLevels[i].n, sec, v)
		}
	}
}

func (l *level) fold(dur, n, sec int64, v float32) {
	num := sec / dur
	b := &l.b[num%n]
	off := uint64(sec - num*dur)
	h := b.head.Load()
	var lo, hi float32
	var tmin, tmax, first, last, cnt uint64
	switch have := int64(h>>16) - 1; {
	case h != 0 && have == num:
		lo, hi = unpackVals(b.vals.Load())
		tmin, tmax, first, last, cnt = unpackTimes(b.times.Load())
		if v < lo {
			lo, tmin = v, off
		}
		if v > hi {
			hi, tmax = v, off
		}
		first, last, cnt = min(first, off), max(last, off), min(cnt+1, 1<<12-1)
	case h == 0 || have < num: // empty, or an older bucket's: reuse
		lo, hi, tmin, tmax, first, last, cnt = v, v, off, off, off, off, 1
	default: // the slot holds a newer bucket: sec is older than the level keeps
		return
	}
	head, seq := uint64(num+1)<<16, h&0xffff
	b.head.Store(head | (seq+1)&0xffff)
	b.vals.Store(uint64(math.Float32bits(lo))<<32 | uint64(math.Float32bits(hi)))
	b.times.Store(tmin<<48 | tmax<<36 | first<<24 | last<<12 | cnt)
	b.head.Store(head | (seq+2)&0xffff)
}

func unpackVals(w uint64) (lo, hi float32) {
	return math.Float32frombits(uint32(w >> 32)), math.Float32frombits(uint32(w))
}

func unpackTimes(w uint64) (tmin, tmax, first, last, cnt uint64) {
	const m = 1<<12 - 1
	return w >> 48 & m, w >> 36 & m, w >> 24 & m, w >> 12 & m, w & m
}

// Bucket is one bucket of a trend level, as read.
type Bucket struct {
	// Start is the bucket's first second, Unix ns; it spans the level's
	// resolution.
	Start int64
	// Min and Max are the extremes of the channel's 1 Hz values in the
	// bucket, at MinTime and MaxTime (Unix ns, whole seconds).
	Min, Max         float32
	MinTime, MaxTime int64
	// First and Last are the first and last seconds with a value, Unix ns.
	First, Last int64
	// N is how many seconds had a value.
	N int
}

// get reads bucket number num, if the level still holds it. Any goroutine.
func (l *level) get(dur, n, num int64) (Bucket, bool) {
	b := &l.b[num%n]
	for spins := 0; ; spins++ {
		h1 := b.head.Load()
		if h1&1 == 0 {
			vals, times := b.vals.Load(), b.times.Load()
			if b.head.Load() == h1 {
				if h1 == 0 || int64(h1>>16)-1 != num {
					return Bucket{}, false
				}
				lo, hi := unpackVals(vals)
				tmin, tmax, first, last, cnt := unpackTimes(times)
				start := num * dur
				at := func(off uint64) int64 { return (start + int64(off)) * nsPerSec }
				return Bucket{Start: start * nsPerSec, Min: lo, Max: hi, MinTime: at(tmin), MaxTime: at(tmax),
					First: at(first), Last: at(last), N: int(cnt)}, true
			}
		}
		if spins > 8 { // the writer was preempted mid-bucket: let it finish
			runtime.Gosched()
		}
	}
}

// minMax reads the extremes and count of bucket number num, if the slot
// holds it. Any goroutine.
func (b *bucket) minMax(num int64) (lo, hi float32, cnt int, ok bool) {
	for spins := 0; ; spins++ {
		h1 := b.head.Load()
		if h1&1 == 0 {
			vals, times := b.vals.Load(), b.times.Load()
			if b.head.Load() == h1 {
				if h1 == 0 || int64(h1>>16)-1 != num {
					return 0, 0, 0, false
				}
				lo, hi = unpackVals(vals)
				return lo, hi, int(times & (1<<12 - 1)), true
			}
		}
		if spins > 8 {
			runtime.Gosched()
		}
	}
}

// Column is one column of a decimated trend: the minimum and maximum of the
// channel's 1 Hz values in it and how many seconds had one (0: a gap; then
// Min and Max mean nothing).
type Column struct {
	Min, Max float32
	N        int
}

// Decimated is a channel's trend over a window in columns of equal time.
// Column i spans [Start + i×Step, Start + (i+1)×Step).
type Decimated struct {
	Start int64 // Unix ns, a whole multiple of Step
	Step  int64 // ns per column, a whole multiple of Res
	// Res is the resolution of what was read: 1 s (the 1 Hz history) or a
	// trend level's bucket (10 s, 1 min, 10 min).
	Res  time.Duration
	Cols []Column
}

// Decimate sets d to the trend of channel id over [from, to] (Unix ns,
// inclusive, by the second) in about cols columns (at most cols + 2): each
// column's minimum and maximum of the channel's 1 Hz values, never a mean,
// so every excursion is in the column of its time whatever the width.
//
// It reads the coarsest store whose resolution is no coarser than a column
// and that still holds from: the 1 Hz history for short windows, then the
// 10 s, 1 min and 10 min levels. The columns are whole multiples of that
// resolution, aligned to it, so a column is exactly the minimum and maximum
// of its seconds: the first column may start before from, and the last
// part of the window, short of a whole bucket, is read from the 1 Hz
// history when it still holds it. A window older than any store holds is
// cut to what remains (at most TrendRetention).
//
// Like History it takes no lock, may be called from any goroutine, and
// allocates only when d.Cols is too small: reuse d from frame to frame.
// Values after the snapshot's time are not returned, except those of the
// snapshot's own second and, when the 1 Hz history no longer holds the end
// of the window, of the last bucket.
func (s *Snapshot) Decimate(id channel.ID, from, to int64, cols int, d *Decimated) {
	d.Cols = d.Cols[:0]
	d.Start, d.Step, d.Res = 0, 0, 0
	if s == nil || s.hist == nil || int(id) >= len(s.hist.series) || from > to || cols < 1 {
		return
	}
	h := s.hist
	ser := h.series[id].Load()
	last := floorSec(s.Time)
	f, t := floorSec(from), min(floorSec(to), last)
	if ser == nil || f > t {
		return
	}
	// Level -1 is the 1 Hz history.
	oldest := func(lv int) int64 {
		if lv < 0 {
			return last - h.size + 1
		}
		L := trendLevels[lv]
		return max((last/L.dur-L.n+1)*L.dur, ser.from[lv])
	}
	if f = max(f, min(oldest(-1), oldest(numLevels-1))); f > t { // older than any store holds: cut
		return
	}
	target := max(1, (t-f+int64(cols))/int64(cols)) // seconds a column, rounded up
	dur := func(lv int) int64 {
		if lv < 0 {
			return 1
		}
		return trendLevels[lv].dur
	}
	lv := -2
	for k := -1; k < numLevels; k++ { // the coarsest fine enough that holds f
		if dur(k) <= target && oldest(k) <= f {
			lv = k
		}
	}
	for k := -1; lv == -2; k++ { // else the finest that holds f (one does, after the cut)
		if oldest(k) <= f {
			lv = k
		}
	}
	res := dur(lv)
	step := (target + res - 1) / res * res
	start := floorDiv(f, step) * step
	n := int((t-start)/step + 1)
	if cap(d.Cols) < n {
		d.Cols = make([]Column, n)
	}
	d.Cols = d.Cols[:n]
	clear(d.Cols)
	d.Start, d.Step, d.Res = start*nsPerSec, step*nsPerSec, time.Duration(res)*time.Second
	add := func(sec int64, lo, hi float32, cnt int) {
		c := &d.Cols[(sec-start)/step]
		if c.N == 0 {
			c.Min, c.Max = lo, hi
		} else {
			c.Min, c.Max = min(c.Min, lo), max(c.Max, hi)
		}
		c.N += cnt
	}
	secs := func(a, b int64) { // from the 1 Hz history
		for sec := max(a, oldest(-1)); sec <= b; sec++ {
			if v, ok := ser.get(sec, h.size); ok {
				add(sec, float32(v), float32(v), 1)
			}
		}
	}
	if lv < 0 {
		secs(start, t)
		return
	}
	// Whole buckets from the level; the tail short of a whole bucket, and
	// the second not yet folded, from the 1 Hz history when it holds them.
	L := trendLevels[lv]
	tail := (t+1)/res*res - 1 // the last second of the last whole bucket
	if oldest(-1) > tail+1 {
		tail = t // the 1 Hz history no longer holds it: the last bucket whole
	}
	// Walk the slots and columns in step: no division per bucket.
	num := max(start, oldest(lv)) / res
	per, k := step/res, (num*res-start)%step/res // buckets a column; this one's place in its column
	ci, slot := int((num*res-start)/step), num%L.n
	for ; num*res <= tail; num++ {
		if lo, hi, cnt, ok := ser.lv[lv].b[slot].minMax(num); ok {
			c := &d.Cols[ci]
			if c.N == 0 {
				c.Min, c.Max = lo, hi
			} else {
				c.Min, c.Max = min(c.Min, lo), max(c.Max, hi)
			}
			c.N += cnt
		}
		if slot++; slot == L.n {
			slot = 0
		}
		if k++; k == per {
			k, ci = 0, ci+1
		}
	}
	if tail < t {
		secs(tail+1, t)
	}
	if p := ser.pend.Load(); p >= start && p <= tail {
		if v, ok := ser.get(p, h.size); ok {
			add(p, float32(v), float32(v), 1)
		}
	}
}

// Buckets appends to dst the buckets of channel id at the level of
// resolution res (10 s, 1 min or 10 min) between from and to (Unix ns),
// oldest first, skipping empty ones; nothing for another res. Any goroutine;
// allocates only when dst is too small.
func (s *Snapshot) Buckets(id channel.ID, res time.Duration, from, to int64, dst []Bucket) []Bucket {
	if s == nil || s.hist == nil || int(id) >= len(s.hist.series) || from > to {
		return dst
	}
	ser := s.hist.series[id].Load()
	if ser == nil {
		return dst
	}
	for lv, L := range trendLevels {
		if time.Duration(L.dur)*time.Second != res {
			continue
		}
		last := floorSec(s.Time) / L.dur
		for num := max(floorSec(from)/L.dur, last-L.n+1); num <= min(floorSec(to)/L.dur, last); num++ {
			if b, ok := ser.lv[lv].get(L.dur, L.n, num); ok {
				dst = append(dst, b)
			}
		}
	}
	return dst
}

// load reads the bucket's words whole. Any goroutine.
func (b *bucket) load() (head, vals, times uint64) {
	for spins := 0; ; spins++ {
		h1 := b.head.Load()
		if h1&1 == 0 {
			vals, times = b.vals.Load(), b.times.Load()
			if b.head.Load() == h1 {
				return h1, vals, times
			}
		}
		if spins > 8 {
			runtime.Gosched()
		}
	}
}

// TrendArchive is a copy of a pipeline's trend levels (not its 1 Hz
// history) at one time: what a later pipeline over the same case starts
// from (Pipeline.SeedTrends). Read-only once made; any goroutine.
type TrendArchive struct {
	last   int64     // the Unix second it was taken at
	series []*series // by channel; levels only
}

// TrendArchive copies the trend levels as they are at the snapshot's time.
// It allocates about 270 KiB per channel with a value. Any goroutine.
func (s *Snapshot) TrendArchive() *TrendArchive {
	if s == nil || s.hist == nil {
		return nil
	}
	a := &TrendArchive{last: floorSec(s.Time), series: make([]*series, len(s.hist.series))}
	for id := range s.hist.series {
		src := s.hist.series[id].Load()
		if src == nil {
			continue
		}
		dst := &series{from: src.from}
		for k := range src.lv {
			dst.lv[k].b = make([]bucket, len(src.lv[k].b))
			for i := range src.lv[k].b {
				h, v, t := src.lv[k].b[i].load()
				dst.lv[k].b[i].set(h, v, t)
			}
		}
		a.series[id] = dst
	}
	return a
}

func (b *bucket) set(head, vals, times uint64) {
	b.head.Store(head &^ 0xffff)
	b.vals.Store(vals)
	b.times.Store(times)
}

// SeedTrends starts the trend levels from a's buckets that begin before
// before (Unix ns): for a pipeline that replays a case from before onward
// (a replay's seek), so that its trends still show the whole run. A level
// is whole from the oldest bucket a holds when that is before before (else
// from its first bucket after before: Decimate reads a coarser level for
// what lies earlier); the seconds of a seeded bucket are not folded again.
// It must be called before the first sample is put; it panics after the
// first publish (a programmer error).
func (p *Pipeline) SeedTrends(a *TrendArchive, before int64) {
	if p.seq != 0 {
		panic("monitor: SeedTrends after the pipeline has published")
	}
	if a == nil {
		return
	}
	b := floorSec(before)
	for id, src := range a.series {
		if src == nil || id >= len(p.hist.series) {
			continue
		}
		dst := newSeries(p.hist.size)
		for k, L := range trendLevels {
			oldest := max((a.last/L.dur-L.n+1)*L.dur, src.from[k])
			end := floorDiv(b+L.dur-1, L.dur) // buckets before end begin before b
			if oldest >= b {
				dst.from[k] = end * L.dur // nothing to take
				continue
			}
			for num := oldest / L.dur; num < end && num <= a.last/L.dur; num++ {
				h, v, t := src.lv[k].b[num%L.n].load()
				if h != 0 && int64(h>>16)-1 == num {
					dst.lv[k].b[num%L.n].set(h, v, t)
				}
			}
			dst.from[k], dst.seeded[k] = oldest, end*L.dur
		}
		p.hist.series[id].Store(dst)
	}
}

// floorDiv is a/b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

package monitor

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/pumpside/pumpside/monitor/channel"
)

// trendRun is a channel's 1 Hz series written into a history the way the
// pipeline writes it (running means of the current second stored first,
// late seconds filled), with the final value of every second kept for the
// naive reference.
type trendRun struct {
	h      *history
	id     channel.ID
	vals   map[int64]float32 // second -> value, as stored (float32)
	last   int64             // the newest second
	spikes []spike
}

type spike struct {
	sec     int64   // the spike's deepest second
	extreme float32 // its value
}

const trendT0 = int64(1_772_438_400) // 2026-03-02 08:00 UTC, Unix s

// newTrendRun writes secs seconds of a random walk of MAP-like values
// (60–90 mmHg) from trendT0, every step seconds, with gaps, late seconds
// and 10-s dips well below the walk, into a history keeping size seconds
// at 1 Hz.
func newTrendRun(t testing.TB, seed uint64, secs, step, size int64) *trendRun {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	tr := &trendRun{h: newHistory(channel.Count, size), id: channel.PatientMAP, vals: map[int64]float32{}}
	v := 75.0
	var late []int64
	put := func(sec int64, x float64) {
		tr.h.store(tr.id, sec, x+0.5) // a running mean, then the second's final value
		tr.h.store(tr.id, sec, x)
		tr.vals[sec] = float32(x)
		tr.last = sec
	}
	for sec := trendT0; sec < trendT0+secs; sec += step {
		switch p := r.Float64(); {
		case p < 0.002: // a gap of up to 20 min: no value folded
			sec += r.Int64N(1200)
			continue
		case p < 0.004: // a second that arrives late (filled a few seconds on)
			late = append(late, sec)
			continue
		case p < 0.005 && step == 1: // a 10-s dip, deepest in its middle
			depth := 30 + 10*r.Float64()
			for k := range int64(10) {
				x := depth + math.Abs(float64(k)-5)
				put(sec+k, x)
				if k == 5 {
					tr.spikes = append(tr.spikes, spike{sec + k, float32(x)})
				}
			}
			sec += 9
			continue
		}
		v = min(90, max(60, v+r.NormFloat64()))
		put(sec, v)
		for len(late) > 0 && late[0] < sec-3 {
			x := 60 + 30*r.Float64()
			tr.h.fill(tr.id, late[0], x)
			tr.vals[late[0]] = float32(x)
			late = late[1:]
		}
	}
	return tr
}

func (tr *trendRun) snap() *Snapshot { return &Snapshot{Time: tr.last*nsPerSec + 400e6, hist: tr.h} }

// naive is the minimum, maximum and count of the stored seconds in [a, b].
func (tr *trendRun) naive(a, b int64) (lo, hi float32, n int) {
	for sec := a; sec <= b; sec++ {
		v, ok := tr.vals[sec]
		if !ok {
			continue
		}
		if n == 0 || v < lo {
			lo = v
		}
		if n == 0 || v > hi {
			hi = v
		}
		n++
	}
	return lo, hi, n
}

// TestTrendBucketsEqualNaive: every bucket of every level is the minimum,
// maximum, count, first and last of its seconds, and its extremes' times
// hold those values. The newest second is not folded yet (it may change).
func TestTrendBucketsEqualNaive(t *testing.T) {
	tr := newTrendRun(t, 1, 3*86400, 1, 12*3600)
	s := tr.snap()
	for _, L := range trendLevels {
		res := time.Duration(L.dur) * time.Second
		from := max(trendT0, (tr.last/L.dur-L.n+1)*L.dur)
		bs := s.Buckets(tr.id, res, from*nsPerSec, tr.last*nsPerSec, nil)
		byStart := map[int64]Bucket{}
		for _, b := range bs {
			byStart[b.Start/nsPerSec] = b
		}
		checked := 0
		for start := from / L.dur * L.dur; start <= tr.last; start += L.dur {
			end := min(start+L.dur-1, tr.last-1) // tr.last: pending
			lo, hi, n := tr.naive(start, end)
			b, ok := byStart[start]
			if n == 0 {
				if ok {
					t.Fatalf("%v bucket at %d has %d seconds, want none", res, start-trendT0, b.N)
				}
				continue
			}
			if !ok || b.Min != lo || b.Max != hi || b.N != n {
				t.Fatalf("%v bucket at %d = %+v (found %v), want min %v max %v n %d", res, start-trendT0, b, ok, lo, hi, n)
			}
			if tr.vals[b.MinTime/nsPerSec] != lo || tr.vals[b.MaxTime/nsPerSec] != hi {
				t.Fatalf("%v bucket at %d: extremes' times %d, %d hold %v, %v", res, start-trendT0,
					b.MinTime/nsPerSec-trendT0, b.MaxTime/nsPerSec-trendT0, tr.vals[b.MinTime/nsPerSec], tr.vals[b.MaxTime/nsPerSec])
			}
			_, fok := tr.vals[b.First/nsPerSec]
			_, lok := tr.vals[b.Last/nsPerSec]
			if _, _, before := tr.naive(start, b.First/nsPerSec-1); !fok || before != 0 {
				t.Fatalf("%v bucket at %d: first %d", res, start-trendT0, b.First/nsPerSec-start)
			}
			if _, _, after := tr.naive(b.Last/nsPerSec+1, end); !lok || after != 0 {
				t.Fatalf("%v bucket at %d: last %d", res, start-trendT0, b.Last/nsPerSec-start)
			}
			checked++
		}
		if checked < 100 {
			t.Fatalf("%v: only %d buckets checked", res, checked)
		}
	}
}

// retainedFrom is the oldest second the store of resolution res holds at
// the run's end (mirrors Decimate's bookkeeping).
func (tr *trendRun) retainedFrom(res time.Duration) int64 {
	if res == time.Second {
		return tr.last - tr.h.size + 1
	}
	for _, L := range trendLevels {
		if time.Duration(L.dur)*time.Second == res {
			return (tr.last/L.dur - L.n + 1) * L.dur
		}
	}
	panic("no level")
}

// TestDecimateEqualsNaive: for random series with 10-s dips, over 6 h, 24 h
// and the whole run at random widths, every column is exactly the naive
// minimum and maximum of its seconds, and every dip's deepest value is the
// minimum of (or below) its column.
func TestDecimateEqualsNaive(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		tr := newTrendRun(t, seed, 3*86400, 1, 12*3600)
		s := tr.snap()
		r := rand.New(rand.NewPCG(seed, 2))
		if len(tr.spikes) < 50 {
			t.Fatalf("seed %d: only %d spikes", seed, len(tr.spikes))
		}
		var d Decimated
		resSeen := map[time.Duration]bool{}
		for _, window := range []int64{6 * 3600, 24 * 3600, 3 * 86400} {
			for range 20 {
				cols := 20 + r.IntN(2500)
				to := tr.last - r.Int64N(600)
				if window == 3*86400 {
					to = tr.last
				}
				from := to - window + 1
				s.Decimate(tr.id, from*nsPerSec, to*nsPerSec, cols, &d)
				resSeen[d.Res] = true
				step := d.Step / nsPerSec
				if d.Start%d.Step != 0 || step%int64(d.Res/time.Second) != 0 || len(d.Cols) > cols+2 || len(d.Cols) < 1 ||
					d.Start/nsPerSec > max(from, trendT0) || d.Start/nsPerSec+int64(len(d.Cols))*step <= to {
					t.Fatalf("window %d s, %d cols: start %d step %d res %v, %d columns", window, cols, d.Start/nsPerSec-from, step, d.Res, len(d.Cols))
				}
				keep := tr.retainedFrom(d.Res)
				for i, c := range d.Cols {
					a := d.Start/nsPerSec + int64(i)*step
					lo, hi, n := tr.naive(max(a, keep), min(a+step-1, to))
					if c.N != n || n > 0 && (c.Min != lo || c.Max != hi) {
						t.Fatalf("window %d s, %d cols (res %v step %d s): column %d = %+v, want min %v max %v n %d",
							window, cols, d.Res, step, i, c, lo, hi, n)
					}
				}
				for _, sp := range tr.spikes {
					if sp.sec < max(from, keep) || sp.sec > to {
						continue
					}
					c := d.Cols[(sp.sec-d.Start/nsPerSec)/step]
					if c.N == 0 || c.Min > sp.extreme {
						t.Fatalf("window %d s, %d cols: the dip to %v at %d s is not in its column %+v", window, cols, sp.extreme, sp.sec-trendT0, c)
					}
				}
			}
		}
		for _, res := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute} {
			if !resSeen[res] {
				t.Fatalf("no query read the %v store: %v", res, resSeen)
			}
		}
		if allocs := testing.AllocsPerRun(10, func() { s.Decimate(tr.id, trendT0*nsPerSec, tr.last*nsPerSec, 600, &d) }); allocs != 0 {
			t.Fatalf("Decimate into a large enough d allocates %v times", allocs)
		}
	}
}

// TestDecimateWholeRunKeepsThirtyDays: a 40-day run (a value every 30 s)
// shows its last 30 days from the 10-min level; memory does not grow.
func TestDecimateWholeRunKeepsThirtyDays(t *testing.T) {
	tr := newTrendRun(t, 7, 40*86400, 30, 3600)
	s := tr.snap()
	var d Decimated
	s.Decimate(tr.id, trendT0*nsPerSec, tr.last*nsPerSec, 800, &d)
	if d.Res != 10*time.Minute {
		t.Fatalf("whole run read at %v, want 10 min", d.Res)
	}
	keep := tr.retainedFrom(d.Res)
	if keep-trendT0 < 10*86400-600 || tr.last-keep > int64(TrendRetention/time.Second) {
		t.Fatalf("kept from day %.2f", float64(keep-trendT0)/86400)
	}
	step := d.Step / nsPerSec
	total := 0
	for i, c := range d.Cols {
		a := d.Start/nsPerSec + int64(i)*step
		lo, hi, n := tr.naive(max(a, keep), a+step-1)
		if c.N != n || n > 0 && (c.Min != lo || c.Max != hi) {
			t.Fatalf("column %d = %+v, want %v %v %d", i, c, lo, hi, n)
		}
		total += c.N
	}
	if _, _, n := tr.naive(keep, tr.last); total != n {
		t.Fatalf("%d seconds in the columns, %d in the last 30 days", total, n)
	}
	if n := unsafe.Sizeof(bucket{}); n != bucketBytes {
		t.Fatalf("a bucket is %d bytes, the memory bound counts %d", n, bucketBytes)
	}
	ser := tr.h.series[tr.id].Load()
	for i := range ser.lv {
		if int64(len(ser.lv[i].b)) != trendLevels[i].n || cap(ser.lv[i].b) != len(ser.lv[i].b) {
			t.Fatalf("level %d grew to %d buckets", i, cap(ser.lv[i].b))
		}
	}
}

// TestTrendThroughPipeline: the pipeline feeds the levels as it publishes.
// A 10-s dip shows in a 3-hour view beyond the 1 Hz history; a stretch of
// invalid values is a gap; the current second is in the last column.
func TestTrendThroughPipeline(t *testing.T) {
	tp := newTest(t, func(s *Settings) { s.HistoryDuration = time.Hour }, "mon")
	const dipAt, badFrom, badTo = 2 * 3600, 3600, 3600 + 600
	var s *Snapshot
	for sec := range 3 * 3600 {
		for q := range 4 { // 4 Hz
			at := time.Duration(sec)*time.Second + time.Duration(q)*250*time.Millisecond
			v := 70.0 + float64(sec%7)
			if sec >= dipAt && sec < dipAt+10 {
				v = 35 // the per-second mean is 35 too
			}
			if sec >= badFrom && sec < badTo {
				tp.putQ("mon", channel.PatientMAP, at, 20, channel.Questionable)
				continue
			}
			tp.put("mon", channel.PatientMAP, at, v)
		}
		s = tp.step(time.Duration(sec)*time.Second + 900*time.Millisecond)
	}
	var d Decimated
	from := t0.UnixNano()
	s.Decimate(channel.PatientMAP, from, s.Time, 90, &d) // 120 s a column: the 1-min level
	if d.Res != time.Minute || d.Step != int64(2*time.Minute) {
		t.Fatalf("res %v step %v", d.Res, time.Duration(d.Step))
	}
	col := func(sec int64) Column { return d.Cols[(t0.Unix()+sec-d.Start/nsPerSec)/(d.Step/nsPerSec)] }
	if c := col(dipAt + 5); c.Min != 35 || c.Max != 76 {
		t.Fatalf("dip column %+v, want min 35 max 76", c)
	}
	for sec := int64(badFrom + 120); sec < badTo-120; sec += 60 {
		if c := col(sec); c.N != 0 {
			t.Fatalf("invalid values folded: column at %d s %+v", sec, c)
		}
	}
	last := d.Cols[len(d.Cols)-1]
	want := float32(70 + (3*3600-1)%7)
	if last.N == 0 || last.Max < want || col(3*3600-1).N == 0 {
		t.Fatalf("last column %+v, want the current second (%v) in it", last, want)
	}
}

// BenchmarkTrendQuery: a 7-day run of one channel at 1 Hz, queried into
// 800 columns over 6 h, 24 h and 7 days, by Decimate and by a naive scan of
// the per-second values over the same window.
func BenchmarkTrendQuery(b *testing.B) {
	tr := newTrendRun(b, 1, 7*86400, 1, 12*3600)
	s := tr.snap()
	pts := make([]Point, 0, 7*86400)
	for sec := trendT0; sec <= tr.last; sec++ {
		if v, ok := tr.vals[sec]; ok {
			pts = append(pts, Point{Time: sec * nsPerSec, Value: float64(v)})
		}
	}
	const cols = 800
	for _, w := range []struct {
		name string
		dur  int64
	}{{"6h", 6 * 3600}, {"24h", 86400}, {"7d", 7 * 86400}} {
		to := tr.last * nsPerSec
		from := to - w.dur*nsPerSec
		b.Run(w.name+"/store", func(b *testing.B) {
			var d Decimated
			b.ReportAllocs()
			for b.Loop() {
				s.Decimate(tr.id, from, to, cols, &d)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/query")
		})
		b.Run(w.name+"/naive", func(b *testing.B) {
			lo, hi := make([]float32, cols), make([]float32, cols)
			b.ReportAllocs()
			for b.Loop() {
				naiveColumns(pts, from, to, lo, hi)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/query")
		})
	}
}

// naiveColumns is the baseline: scan every per-second point in the window
// (found by binary search) into its column's minimum and maximum.
func naiveColumns(pts []Point, from, to int64, lo, hi []float32) {
	for i := range lo {
		lo[i], hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	i, j := 0, len(pts)
	for i < j {
		m := (i + j) / 2
		if pts[m].Time < from {
			i = m + 1
		} else {
			j = m
		}
	}
	span := float64(to - from + 1)
	for _, p := range pts[i:] {
		if p.Time > to {
			break
		}
		c := int(float64(p.Time-from) / span * float64(len(lo)))
		v := float32(p.Value)
		lo[c], hi[c] = min(lo[c], v), max(hi[c], v)
	}
}

// TestTrendReadWhileWriting: a reader on another goroutine sees every
// bucket whole while the writer folds and the circles wrap. The value of
// second s is s mod 100,000, so a bucket's extremes are the values of its
// extremes' times, inside its own span; a bucket read half old, half new
// would break that. Run under -race.
func TestTrendReadWhileWriting(t *testing.T) {
	h := newHistory(channel.Count, 600)
	id := channel.PatientMAP
	val := func(sec int64) float64 { return float64(sec % 100_000) }
	h.store(id, trendT0, val(trendT0))
	var last atomic.Int64
	last.Store(trendT0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sec := trendT0 + 1; sec < trendT0+200_000; sec++ {
			h.store(id, sec, val(sec))
			last.Store(sec)
		}
	}()
	var bs []Bucket
	reads := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		s := &Snapshot{Time: last.Load() * nsPerSec, hist: h}
		for _, res := range []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute} {
			bs = s.Buckets(id, res, s.Time-int64(2*time.Hour), s.Time, bs[:0])
			for _, b := range bs {
				lo, hi := float32(val(b.MinTime/nsPerSec)), float32(val(b.MaxTime/nsPerSec))
				if b.Min != lo || b.Max != hi || b.MinTime < b.Start || b.MaxTime >= b.Start+int64(res) || b.N < 1 || b.N > int(res/time.Second) {
					t.Fatalf("%v bucket read torn: %+v", res, b)
				}
			}
			reads += len(bs)
		}
	}
	if reads == 0 {
		t.Fatal("no bucket read")
	}
}

// TestSeedTrends: a pipeline that starts at a seek's carry point from an
// archive of the whole run (a replay's opening pass) and takes the run on
// from there has the trend of the straight run: every column of the whole
// run and of 24 h is the naive minimum and maximum of all the run's seconds
// up to the seek, none counted twice.
func TestSeedTrends(t *testing.T) {
	tr := newTrendRun(t, 5, 3*86400, 1, 12*3600)
	a := tr.snap().TrendArchive()
	tp := newTest(t, nil) // 1 h of 1 Hz history
	before := trendT0 + 60*3600 + 7
	tp.SeedTrends(a, before*nsPerSec)
	at := before + 6*3600 // the seek's target
	for sec := before; sec <= at; sec++ {
		if v, ok := tr.vals[sec]; ok {
			tp.hist.store(tr.id, sec, float64(v))
		}
	}
	s := &Snapshot{Time: at * nsPerSec, hist: tp.hist}
	var d Decimated
	for _, w := range []struct {
		from int64
		res  time.Duration
	}{{trendT0, 10 * time.Minute}, {at - 86400 + 1, time.Minute}} {
		s.Decimate(tr.id, w.from*nsPerSec, at*nsPerSec, 450, &d)
		if d.Res != w.res {
			t.Fatalf("window from %d h read at %v, want %v", (w.from-trendT0)/3600, d.Res, w.res)
		}
		step := d.Step / nsPerSec
		total := 0
		for i, c := range d.Cols {
			a := d.Start/nsPerSec + int64(i)*step
			lo, hi, n := tr.naive(a, min(a+step-1, at))
			if c.N != n || n > 0 && (c.Min != lo || c.Max != hi) {
				t.Fatalf("window from %d h: column %d (%d s) = %+v, want %v %v %d", (w.from-trendT0)/3600, i, a-trendT0, c, lo, hi, n)
			}
			total += c.N
		}
		if _, _, n := tr.naive(d.Start/nsPerSec, at); total != n || n < 20_000 {
			t.Fatalf("%d seconds in the columns, %d in the run", total, n)
		}
	}
	// A level is not read where it is not whole: the archive's 10-s level
	// held the run's last 12 h (from 60 h), so a window from 59 h reads a
	// coarser one.
	s.Decimate(tr.id, (at-6*3600-3600)*nsPerSec, (at-3600)*nsPerSec, 1000, &d)
	if d.Res == 10*time.Second {
		t.Fatalf("a window before the 10-s level is whole read it")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("SeedTrends after a publish did not panic")
		}
	}()
	tp.step(time.Second)
	tp.SeedTrends(a, before*nsPerSec)
}

package monitor

import (
	"math"
	"sync/atomic"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Point is one second of a channel's history: the mean of the channel's OK
// values in that second.
type Point struct {
	// Time is the start of the second, Unix nanoseconds.
	Time  int64
	Value float64
}

const nsPerSec = int64(1e9)

// history is the trend store: for every channel, one slot per second of
// HistoryDuration in a circle (second s lives in slot s mod size). A slot is
// one atomic 64-bit word holding the second it belongs to (low 32 bits of the
// Unix second) and the value as float32, so a reader checks each slot on its
// own: a slot that has since been reused for a later second, or never
// written, does not carry the second asked for and is skipped. No locks, no
// sequence counters, and no clearing of gaps.
//
// Only the pipeline goroutine writes; any goroutine may read. float32 keeps
// about 7 significant digits, more than any channel's display precision.
//
// Memory is 8 bytes × seconds per channel that has ever had a valid value,
// allocated on its first value and never grown; channels a case does not use
// cost a nil pointer.
type history struct {
	size   int64 // slots per series: seconds retained
	series []atomic.Pointer[series]
}

// series is one channel's store: the 1 Hz circle and the coarse trend
// levels (trend.go) the seconds are folded into.
type series struct {
	slots []atomic.Uint64
	lv    [numLevels]level
	// pend is the newest second stored in slots and not yet folded into
	// the levels: its value may still change (the running mean of the
	// current second). It is folded when a later second is stored. Written
	// by the writer; readers use it to add that second from slots.
	pend atomic.Int64
	// from is, per level, the first second from which the level is whole
	// (0: from the pipeline's start); seeded, the first second the level
	// takes from this pipeline: earlier ones came whole from an archive
	// (SeedTrends). Both are set before the series is published.
	from, seeded [numLevels]int64
}

func newHistory(channels int, size int64) *history {
	return &history{size: size, series: make([]atomic.Pointer[series], channels)}
}

func pack(sec int64, v float64) uint64 {
	return uint64(uint32(sec))<<32 | uint64(math.Float32bits(float32(v)))
}

// slot returns the series of id, allocating it on first use. Writer only.
func (h *history) slot(id channel.ID, sec int64) *atomic.Uint64 {
	s := h.series[id].Load()
	if s == nil {
		s = newSeries(h.size)
		h.series[id].Store(s)
	}
	return &s.slots[sec%h.size]
}

// store sets the value of second sec, the channel's newest second (the
// pipeline stores a channel's seconds in order). A second is folded into
// the trend levels once a later one is stored, so the levels see each
// second's final value once. Writer only.
func (h *history) store(id channel.ID, sec int64, v float64) {
	sl := h.slot(id, sec)
	s := h.series[id].Load()
	if p := s.pend.Load(); p != sec {
		if p != 0 {
			if pv, ok := s.get(p, h.size); ok {
				s.fold(p, float32(pv))
			}
		}
		s.pend.Store(sec)
	}
	sl.Store(pack(sec, v))
}

// fill sets the value of second sec unless that second already has one: a
// late sample fills a gap but never rewrites what was shown. A filled
// second is older than the channel's newest, so final: it is folded into
// the trend levels at once. Writer only.
func (h *history) fill(id channel.ID, sec int64, v float64) {
	sl := h.slot(id, sec)
	if w := sl.Load(); w == 0 || uint32(w>>32) != uint32(sec) {
		sl.Store(pack(sec, v))
		h.series[id].Load().fold(sec, float32(v))
	}
}

// near returns the value of id nearest to second sec within w seconds
// either side (the earlier of two equally near), if the store has one.
func (h *history) near(id channel.ID, sec, w int64) (float64, bool) {
	s := h.series[id].Load()
	if s == nil || sec <= 0 {
		return 0, false
	}
	for d := int64(0); d <= w; d++ {
		if v, ok := s.get(sec-d, h.size); ok {
			return v, true
		}
		if v, ok := s.get(sec+d, h.size); ok && d > 0 {
			return v, true
		}
	}
	return 0, false
}

// get returns the value of second sec, if the store still has it.
func (s *series) get(sec, size int64) (float64, bool) {
	w := s.slots[sec%size].Load()
	if w == 0 || uint32(w>>32) != uint32(sec) {
		return 0, false
	}
	return float64(math.Float32frombits(uint32(w))), true
}

// clamp limits [from, to] (seconds) to the retained window ending at last.
func (h *history) clamp(from, to, last int64) (int64, int64) {
	to = min(to, last)
	from = max(from, last-h.size+1, 0)
	return from, to
}

// appendPoints appends the points of id in seconds [from, to] to dst.
func (h *history) appendPoints(id channel.ID, from, to int64, dst []Point) []Point {
	s := h.series[id].Load()
	if s == nil {
		return dst
	}
	for sec := from; sec <= to; sec++ {
		if v, ok := s.get(sec, h.size); ok {
			dst = append(dst, Point{Time: sec * nsPerSec, Value: v})
		}
	}
	return dst
}

// appendTemps is appendPoints for physio.RewarmRate. Writer only (scratch).
func (h *history) appendTemps(id channel.ID, from, to int64, dst []physio.TempPoint) []physio.TempPoint {
	s := h.series[id].Load()
	if s == nil {
		return dst
	}
	for sec := from; sec <= to; sec++ {
		if v, ok := s.get(sec, h.size); ok {
			dst = append(dst, physio.TempPoint{Time: sec * nsPerSec, TempC: v})
		}
	}
	return dst
}

// History appends to dst the 1 Hz history of channel id between from and to
// (Unix ns, inclusive, by the second), oldest first, and returns the
// extended slice. Seconds with no OK value are absent, so a gap in the
// returned times is a gap in the data. Points after the snapshot's time are
// not returned; points older than the pipeline's HistoryDuration before the
// newest second written are gone.
//
// It takes no lock and may be called from any goroutine, on any snapshot, for
// as long as the snapshot is held. The history is shared with later
// snapshots, so the point of the snapshot's own (unfinished) second may
// reflect samples that arrived after it was published. It allocates only if
// dst is too small: reuse dst from frame to frame.
func (s *Snapshot) History(id channel.ID, from, to int64, dst []Point) []Point {
	if s == nil || s.hist == nil || int(id) >= len(s.hist.series) || from > to {
		return dst
	}
	f, t := s.hist.clamp(floorSec(from), floorSec(to), floorSec(s.Time))
	return s.hist.appendPoints(id, f, t, dst)
}

// floorSec is the Unix second of t (ns), rounding down for negative times too.
func floorSec(t int64) int64 {
	s := t / nsPerSec
	if t%nsPerSec < 0 {
		s--
	}
	return s
}

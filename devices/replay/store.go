package replay

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

// A store holds a case's samples and hands them out in time order from any
// time: all in memory (memStore), or read from the case file through an
// index when they are needed (fileStore), so that replaying a case of any
// length takes the same memory.
type store interface {
	// len is the number of samples.
	len() int
	// from returns an iterator at the first sample at or after t.
	from(t int64) iterator
	close() error
}

// iterator hands out samples in time order (equal times in file order).
// It belongs to one goroutine.
type iterator interface {
	// next returns the next sample; ok is false at the end.
	next() (s Sample, ok bool)
	// peek returns the time of the next sample without taking it.
	peek() (t int64, ok bool)
}

// memStore is every sample in memory, sorted by time.
type memStore struct{ s []Sample }

func (m *memStore) len() int     { return len(m.s) }
func (m *memStore) close() error { return nil }

func (m *memStore) from(t int64) iterator {
	i := sort.Search(len(m.s), func(i int) bool { return m.s[i].Time >= t })
	return &memIter{s: m.s, i: i}
}

type memIter struct {
	s []Sample
	i int
}

func (it *memIter) next() (Sample, bool) {
	if it.i >= len(it.s) {
		return Sample{}, false
	}
	it.i++
	return it.s[it.i-1], true
}

func (it *memIter) peek() (int64, bool) {
	if it.i >= len(it.s) {
		return 0, false
	}
	return it.s[it.i].Time, true
}

// The file store's layout. A block is a run of whole lines of about
// blockBytes; a window, what an iterator reads at a time, spans at most
// windowTime of case time and about windowBlocks blocks, so its samples
// are bounded whatever the case's length or rate.
var blockBytes int64 = 512 << 10 // a variable for the tests

const (
	windowTime   = int64(300e9) // 5 min
	windowBlocks = 4
	// straggleSlack is how far behind the newest sample time so far a
	// sample line may be and still count as in order: devices report
	// seconds late (an in-line monitor every 6 s). A line later than that
	// (an analyser's result, stamped with its draw time minutes before) is
	// a straggler, kept in memory.
	straggleSlack = int64(30e9)
	// maxStragglers bounds the stragglers kept in memory (32 B each). A
	// file with more (lines in no time order at all) is loaded whole.
	maxStragglers = 2 << 20
)

// block is a run of whole lines of the case file.
type block struct {
	off, end int64
	// hi is the newest sample time before the block's first line (the
	// straggler rule's state there); minT and maxT bound the times of its
	// in-order samples (none: minT > maxT).
	hi, minT, maxT int64
}

// fileStore reads samples from the case file through a block index; the
// stragglers, and the samples made from the metadata, are in memory.
type fileStore struct {
	f      *record.RunFile
	blocks []block
	// maxTo[k] is the largest maxT of blocks 0..k: the first block that
	// can hold a time t is the first with maxTo >= t.
	maxTo []int64
	// meta are the samples made of the metadata (at the first sample's
	// time, before any other sample of that time); extra the stragglers,
	// by time then file order. Every in-order sample of a time comes before
	// any straggler of that time in the file (the straggler rule only
	// hardens as the file goes on), so a window is in file order when it
	// puts meta, then the blocks' samples, then the stragglers, and sorts
	// stably by time.
	meta, extra []Sample
	n           int
	chIdx       map[string]int32
	srcIdx      map[string]int32
}

func (fs *fileStore) len() int     { return fs.n }
func (fs *fileStore) close() error { return fs.f.Close() }

func (fs *fileStore) from(t int64) iterator {
	k := sort.Search(len(fs.maxTo), func(i int) bool { return fs.maxTo[i] >= t })
	x := sort.Search(len(fs.extra), func(i int) bool { return fs.extra[i].Time >= t })
	m := sort.Search(len(fs.meta), func(i int) bool { return fs.meta[i].Time >= t })
	return &fileIter{fs: fs, a: t, blk: k, ex: x, mx: m}
}

// fileIter reads the case a window at a time.
type fileIter struct {
	fs   *fileStore
	a    int64 // start of the next window
	blk  int   // first block that may hold a time >= a
	ex   int   // next extra sample
	mx   int   // next meta sample
	win  []Sample
	pos  int
	buf  []byte
	smp  []record.ChannelSample
	done bool
	// nextT: see load.
	nextT int64
}

func (it *fileIter) next() (Sample, bool) {
	for it.pos >= len(it.win) {
		if it.done {
			return Sample{}, false
		}
		it.load()
	}
	it.pos++
	return it.win[it.pos-1], true
}

func (it *fileIter) peek() (int64, bool) {
	for it.pos >= len(it.win) {
		if it.done {
			return 0, false
		}
		it.load()
	}
	return it.win[it.pos].Time, true
}

// load reads the next window [a, b): the in-order samples of the blocks
// that may hold its times, and the extra samples in it, sorted by time.
func (it *fileIter) load() {
	fs := it.fs
	it.win, it.pos = it.win[:0], 0
	for it.blk < len(fs.blocks) && (fs.blocks[it.blk].maxT < it.a || fs.blocks[it.blk].minT > fs.blocks[it.blk].maxT) {
		it.blk++ // past, or no in-order sample at all
	}
	// Blocks hold times of at least their hi - slack, and hi never falls:
	// from block k on, none holds a time before blocks[k].hi - slack.
	b := after(it.a, windowTime)
	if k := it.blk + windowBlocks; k < len(fs.blocks) {
		b = min(b, max(after(it.a, 1e9), inOrderFrom(fs.blocks[k].hi)))
	}
	if it.blk >= len(fs.blocks) && it.ex >= len(fs.extra) && it.mx >= len(fs.meta) {
		it.done = true
		return
	}
	if it.blk >= len(fs.blocks) { // what is left is in memory
		if it.ex < len(fs.extra) {
			b = max(b, after(fs.extra[len(fs.extra)-1].Time, 1))
		}
		if it.mx < len(fs.meta) {
			b = max(b, after(fs.meta[len(fs.meta)-1].Time, 1))
		}
	}
	for ; it.mx < len(fs.meta) && fs.meta[it.mx].Time < b; it.mx++ {
		it.win = append(it.win, fs.meta[it.mx])
	}
	// nextT is the earliest in-order time at or after b among the blocks
	// read and the first block not read: where the next window starts
	// when this one is empty (a gap in the case).
	it.nextT = maxTime
	k := it.blk
	for ; k < len(fs.blocks) && inOrderFrom(fs.blocks[k].hi) < b; k++ {
		bl := &fs.blocks[k]
		if bl.minT > bl.maxT || bl.maxT < it.a {
			continue
		}
		if bl.minT >= b {
			it.nextT = min(it.nextT, bl.minT)
			continue
		}
		it.readBlock(bl, it.a, b)
	}
	for ; k < len(fs.blocks); k++ {
		if bl := &fs.blocks[k]; bl.minT <= bl.maxT {
			it.nextT = min(it.nextT, bl.minT)
			break
		}
	}
	for ; it.ex < len(fs.extra) && fs.extra[it.ex].Time < b; it.ex++ {
		it.win = append(it.win, fs.extra[it.ex])
	}
	slices.SortStableFunc(it.win, func(x, y Sample) int { return cmp64(x.Time, y.Time) })
	it.a = b
	if len(it.win) == 0 { // a gap in the case: go straight to what comes next
		next := it.nextT
		if it.ex < len(fs.extra) {
			next = min(next, fs.extra[it.ex].Time)
		}
		if it.mx < len(fs.meta) {
			next = min(next, fs.meta[it.mx].Time)
		}
		if next != maxTime {
			it.a = max(it.a, next)
		}
	}
}

// readBlock appends the block's in-order samples with a time in [a, b).
func (it *fileIter) readBlock(bl *block, a, b int64) {
	fs := it.fs
	n := int(bl.end - bl.off)
	if cap(it.buf) < n {
		it.buf = make([]byte, n)
	}
	buf := it.buf[:n]
	if _, err := fs.f.ReadAt(buf, bl.off); err != nil && err != io.EOF {
		panic(fmt.Sprintf("replay: the case file went away under the replay: %v", err))
	}
	rd := record.NewReader(bytes.NewReader(buf))
	hi := bl.hi
	for rd.Next() {
		e := rd.Entry()
		if e.Kind() != record.KindSamples {
			continue
		}
		if e.Time < inOrderFrom(hi) {
			continue // a straggler: in the extra samples
		}
		hi = max(hi, e.Time)
		if e.Time >= b {
			it.nextT = min(it.nextT, e.Time)
		}
		if e.Time < a || e.Time >= b {
			continue
		}
		it.smp = e.Samples(it.smp[:0])
		for _, s := range it.smp {
			if isDerived(s.Channel) {
				continue
			}
			it.win = append(it.win, Sample{Time: s.Time, Value: s.Value, Quality: s.Quality,
				Channel: fs.chIdx[s.Channel], Source: fs.srcIdx[sourceName(s.Source)]})
		}
	}
}

// indexFile reads a case file once and builds its Case with a fileStore:
// what the Builder keeps of every entry but the samples, which stay in the
// file. It reports false when the file's sample lines are in too little
// time order to index (more stragglers than maxStragglers): Open then loads
// it whole.
func indexFile(f *record.RunFile, b *Builder, rd *record.Reader, bad *int) (ok bool) {
	fs := &fileStore{f: f}
	cur := block{off: 0, hi: minTime, minT: maxTime, maxT: minTime}
	hi := int64(minTime)
	var smp []record.ChannelSample
	for rd.Next() {
		e := rd.Entry()
		if e.Offset-cur.off >= blockBytes {
			cur.end = e.Offset
			fs.blocks = append(fs.blocks, cur)
			cur = block{off: e.Offset, hi: hi, minT: maxTime, maxT: minTime}
		}
		if e.Kind() != record.KindSamples {
			if err := b.AddEntry(e); err != nil {
				*bad++
			}
			continue
		}
		if b.c.ID == "" {
			b.c.ID = e.Tag(record.TagCase)
		}
		smp = e.Samples(smp[:0])
		straggler := e.Time < inOrderFrom(hi)
		for _, s := range smp {
			if isDerived(s.Channel) {
				continue
			}
			ci, si := b.index(s.Channel, s.Source)
			fs.n++
			b.c.Start, b.c.End = min(b.c.Start, s.Time), max(b.c.End, s.Time)
			if straggler {
				fs.extra = append(fs.extra, Sample{Time: s.Time, Value: s.Value, Channel: ci, Source: si, Quality: s.Quality})
				if len(fs.extra) > maxStragglers {
					return false
				}
			} else {
				cur.minT, cur.maxT = min(cur.minT, s.Time), max(cur.maxT, s.Time)
			}
		}
		if !straggler {
			hi = max(hi, e.Time)
		}
	}
	cur.end = rd.Offset()
	fs.blocks = append(fs.blocks, cur)
	fs.maxTo = make([]int64, len(fs.blocks))
	m := int64(minTime)
	for i := range fs.blocks {
		m = max(m, fs.blocks[i].maxT)
		fs.maxTo[i] = m
	}
	fs.chIdx, fs.srcIdx = b.chIdx, b.srcIdx
	b.c.store = fs
	return true
}

const (
	minTime = -1 << 63
	maxTime = 1<<63 - 1
)

// after is t + d, at most maxTime. A window that reaches maxTime is the
// last: no sample is later.
func after(t, d int64) int64 {
	if t > maxTime-d {
		return maxTime
	}
	return t + d
}

// inOrderFrom is the earliest time a sample line may have and still be in
// order after lines up to time hi: hi - straggleSlack, without overflow.
func inOrderFrom(hi int64) int64 {
	if hi < minTime+straggleSlack {
		return minTime
	}
	return hi - straggleSlack
}

func isDerived(ch string) bool { return len(ch) > 8 && ch[:8] == "derived." }

func sourceName(s string) string {
	if s == "" {
		return "file"
	}
	return s
}

// index returns the Case indices of a channel and source, adding them (and
// the channel to what the source provides) on first sight.
func (b *Builder) index(ch, source string) (int32, int32) {
	c := &b.c
	ci, ok := b.chIdx[ch]
	if !ok {
		ci = int32(len(c.Channels))
		b.chIdx[ch] = ci
		c.Channels = append(c.Channels, ch)
	}
	source = sourceName(source)
	si, ok := b.srcIdx[source]
	if !ok {
		si = int32(len(c.Sources))
		b.srcIdx[source] = si
		c.Sources = append(c.Sources, source)
		c.provides = append(c.provides, channel.Set{})
	}
	if id, ok := channel.Lookup(ch); ok {
		c.provides[si].Add(id)
	}
	return ci, si
}

package monitor

import "sync/atomic"

// Snapshot recycling.
//
// A publish fills a snapshot that no reader can be looking at, so that the
// steady state allocates nothing. Readers say what they hold:
//
//   - Acquire takes a reference on the latest snapshot; Release gives it
//     back. The GUI (one per frame), the alarm runner (one per evaluation)
//     and the state builder read this way.
//   - Retain takes another reference on a snapshot already held, or on the
//     snapshot an OnPublish callback was given: the recorder queues
//     snapshots this way and releases each once written.
//   - Latest pins the snapshot: it is never reused, and the garbage
//     collector frees it when its last holder lets go. For readers that keep
//     snapshots without a Release (tests, tools, the first frame of a
//     screenshot); each pin costs one allocation at a later publish.
//
// The pipeline reuses a snapshot only when it is not the latest, holds no
// reference and was never pinned. A reader's Acquire or Latest loads the
// latest pointer, marks the snapshot (count or pin) and loads the pointer
// again: if it is still the latest, the mark was made while the snapshot
// was the latest, before the pipeline could have checked it for reuse, so
// the check sees it (Go's atomics are sequentially consistent). If the
// latest pointer moved in between, the reader unmarks (Acquire) and
// retries: it never reads a snapshot that the pipeline may be refilling.

// snapPoolSize is how many published snapshots the pipeline keeps for
// reuse: the latest, and those readers may still hold (a GUI frame, an
// alarm evaluation, a few in the recorder's queue). When every pooled
// snapshot is held, a publish allocates a new one.
const snapPoolSize = 8

// snapRefs is a pooled snapshot's reference state.
type snapRefs struct {
	refs   atomic.Int32 // references from Acquire and Retain not yet released
	pinned atomic.Bool  // handed out by Latest: never reused
}

// Acquire returns the latest snapshot with a reference held on it: it
// stays unchanged until the caller's Release. It never blocks, never
// allocates, and never returns nil. Any goroutine.
func (p *Pipeline) Acquire() *Snapshot {
	for {
		s := p.snap.Load()
		s.ref.refs.Add(1)
		if p.snap.Load() == s {
			return s
		}
		s.ref.refs.Add(-1) // replaced meanwhile: it may be being refilled
	}
}

// Latest returns the newest snapshot, pinned: it never changes and the
// caller may keep it as long as it likes, with no Release. It never blocks
// and never returns nil. Any goroutine. A pinned snapshot is never reused,
// so readers that call this at every publish cost a publish its
// allocations back; the GUI and the alarm runner use Acquire.
func (p *Pipeline) Latest() *Snapshot {
	for {
		s := p.snap.Load()
		if !s.ref.pinned.Load() {
			s.ref.pinned.Store(true)
		}
		if p.snap.Load() == s {
			return s
		}
	}
}

// Retain takes another reference on s, which the caller must hold (by
// Acquire or Retain), or be in the OnPublish callback that was given s.
// It returns s. The reference is given back by Release. On a snapshot not
// made by a pipeline it does nothing.
func (s *Snapshot) Retain() *Snapshot {
	if s != nil && s.ref != nil {
		s.ref.refs.Add(1)
	}
	return s
}

// Release gives back a reference taken by Acquire or Retain; s must not be
// read after. It panics when s holds no reference (a release too many: a
// bug that could let the pipeline refill a snapshot under a reader). On nil
// or a snapshot not made by a pipeline it does nothing.
func (s *Snapshot) Release() {
	if s == nil || s.ref == nil {
		return
	}
	if s.ref.refs.Add(-1) < 0 {
		panic("monitor: Snapshot.Release without a matching Acquire or Retain")
	}
}

// nextSnapshot returns a snapshot for the next publish, with Readings of
// length n and Sources of length nsrc: a pooled one no reader holds, or a
// new one. Consumer only.
func (p *Pipeline) nextSnapshot(n, nsrc int) *Snapshot {
	cur := p.snap.Load()
	free := -1
	for i, s := range p.spare {
		switch {
		case s == nil:
		case s == cur:
			continue
		case s.ref.pinned.Load() || len(s.Readings) != n || len(s.Sources) != nsrc:
			p.spare[i] = nil // let the garbage collector have it
		case s.ref.refs.Load() == 0:
			p.reused++
			return s
		default:
			continue // held
		}
		if free < 0 {
			free = i
		}
	}
	s := &Snapshot{Readings: make([]Reading, n), Sources: make([]SourceStatus, nsrc), ref: new(snapRefs)}
	if free >= 0 {
		p.spare[free] = s
	}
	p.allocated++
	return s
}

// SnapshotCounts reports how many publishes reused a pooled snapshot and
// how many allocated one, since New. Consumer only (the goroutine of Step,
// or after Run returned): for tests and benchmarks.
func (p *Pipeline) SnapshotCounts() (reused, allocated uint64) { return p.reused, p.allocated }

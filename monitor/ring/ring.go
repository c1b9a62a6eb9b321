package ring

import (
	"errors"
	"sync/atomic"
)

// cacheLinePad separates the indices. 128 bytes rather than 64: Intel cores
// prefetch cache lines in adjacent pairs, so two indices 64 bytes apart
// still share traffic.
const cacheLinePad = 128

// MaxSize is the largest ring New accepts.
const MaxSize = 1 << 30

// ErrSize is returned by New for a size that is not a power of two in
// [2, MaxSize].
var ErrSize = errors.New("ring: size must be a power of two between 2 and 2^30")

// Ring is a bounded SPSC queue of T. T should be a small value type without
// pointers (see package monitor's Sample) so that the ring costs the garbage
// collector nothing; the ring itself does not care.
type Ring[T any] struct {
	_    [cacheLinePad]byte
	buf  []T // read-only after New; shared by both sides
	mask uint64
	_    [cacheLinePad - 32]byte

	// Consumer side.
	head       atomic.Uint64 // next slot to read
	cachedTail uint64        // consumer's last view of tail: avoids touching the producer's line per item
	_          [cacheLinePad - 16]byte

	// Producer side.
	tail       atomic.Uint64 // next slot to write
	cachedHead uint64        // producer's last view of head
	_          [cacheLinePad - 16]byte
}

// New returns an empty ring of size slots.
func New[T any](size int) (*Ring[T], error) {
	if size < 2 || size > MaxSize || size&(size-1) != 0 {
		return nil, ErrSize
	}
	return &Ring[T]{buf: make([]T, size), mask: uint64(size - 1)}, nil
}

// Cap returns the number of slots.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Len returns the number of items waiting. Called from a goroutine that is
// neither producer nor consumer it is a momentary estimate.
func (r *Ring[T]) Len() int {
	h := r.head.Load()
	t := r.tail.Load()
	if t < h { // head moved between the two loads
		return 0
	}
	return int(t - h)
}

// Put appends v and reports true, or reports false and changes nothing when
// the ring is full. It never blocks. Producer only.
func (r *Ring[T]) Put(v T) bool {
	t := r.tail.Load() // our own index: an uncontended load
	if t-r.cachedHead >= uint64(len(r.buf)) {
		r.cachedHead = r.head.Load()
		if t-r.cachedHead >= uint64(len(r.buf)) {
			return false
		}
	}
	r.buf[t&r.mask] = v
	r.tail.Store(t + 1) // publishes the slot to the consumer
	return true
}

// Get removes and returns the oldest item; ok is false when the ring is
// empty. Consumer only.
func (r *Ring[T]) Get() (v T, ok bool) {
	h := r.head.Load()
	if h == r.cachedTail {
		r.cachedTail = r.tail.Load()
		if h == r.cachedTail {
			return v, false
		}
	}
	v = r.buf[h&r.mask]
	r.head.Store(h + 1) // frees the slot for the producer
	return v, true
}

// Read moves up to len(dst) of the oldest items into dst and returns how many.
// It costs one atomic store however many items it moves. Consumer only.
func (r *Ring[T]) Read(dst []T) int {
	h := r.head.Load()
	avail := r.cachedTail - h
	if avail < uint64(len(dst)) {
		r.cachedTail = r.tail.Load()
		avail = r.cachedTail - h
	}
	n := min(avail, uint64(len(dst)))
	if n == 0 {
		return 0
	}
	start := h & r.mask
	k := copy(dst[:n], r.buf[start:])
	copy(dst[k:n], r.buf)
	r.head.Store(h + n)
	return int(n)
}

// Peek returns the items waiting, oldest first, without removing them: as
// two slices because they may wrap round the end of the buffer (second is
// empty otherwise). The items stay in place, and their slots closed to the
// producer, until Release; the consumer may read them in place instead of
// copying them out. Consumer only; the slices are valid until Release.
func (r *Ring[T]) Peek() (first, second []T) {
	h := r.head.Load()
	r.cachedTail = r.tail.Load() // once per batch: worth seeing everything there is
	n := r.cachedTail - h
	if n == 0 {
		return nil, nil
	}
	start := h & r.mask
	end := start + n
	if end <= uint64(len(r.buf)) {
		return r.buf[start:end], nil
	}
	return r.buf[start:], r.buf[:end-uint64(len(r.buf))]
}

// Release removes the n oldest items, which the consumer has finished with
// (n at most what the last Peek returned). Consumer only.
func (r *Ring[T]) Release(n int) {
	if n <= 0 {
		return
	}
	h := r.head.Load()
	if uint64(n) > r.cachedTail-h {
		panic("ring: Release of more items than Peek returned")
	}
	r.head.Store(h + uint64(n))
}

// Package ring is a bounded single-producer/single-consumer queue: the path
// every sample takes from a device goroutine to the pipeline goroutine.
//
// A Ring has a power-of-two number of slots and two indices that only grow:
// the producer owns tail, the consumer owns head, each on its own cache line
// so the two cores do not fight over one line. Synchronisation is one atomic
// load and one atomic store per operation (per batch for Read); there is no
// mutex and no Go channel. Put never blocks and never allocates: when the
// ring is full it returns false and the caller decides (the pipeline counts
// the sample as dropped).
//
// The consumer takes items with Get (one), Read (a batch, copied out) or
// Peek and Release (a batch, read in place: what the pipeline uses).
//
// Exactly one goroutine may call Put and exactly one goroutine may call Get,
// Read, Peek or Release at a time; they may be different goroutines. Len and Cap may be called
// from anywhere. Hand-overs of either role between goroutines must be
// synchronised by the caller (as starting a goroutine does).
package ring

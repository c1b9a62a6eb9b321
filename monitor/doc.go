// Package monitor is Pumpside's pipeline: samples from drivers, the simulator,
// replay and manual entry go in through one lock-free single-producer ring per
// source; one pipeline goroutine drains them, keeps the latest value and the
// history of every channel, computes the derived values (package physio) and
// the case statistics, and publishes immutable snapshots through an atomic
// pointer for the alarm engine, the GUI and the recorder.
//
// # Flow and ownership
//
//	device goroutine --Put--> ring (per source) --drain--> latest table, history
//	                                                  |
//	                     publish: derived values, statistics -> *Snapshot (atomic)
//	                                                  |
//	                   Acquire/Release, Latest, OnPublish: alarms, GUI, recorder
//
// Who may do what:
//
//   - Sources are registered with AddSource before the pipeline starts. Each
//     returned Producer belongs to one goroutine at a time. Producer.Put never
//     blocks and never allocates; when the ring is full the sample is dropped
//     and counted (SourceStatus.Dropped), never lost silently.
//   - Exactly one consumer drives the pipeline: the goroutine in Run, or the
//     caller of Step (headless tools, replay, tests). It owns all the mutable
//     state; nothing on that path takes a lock, allocates per sample, or
//     reads the time except through the clock.Clock it was given.
//   - A snapshot never changes while anyone holds it. Readers that take one
//     per frame or per evaluation use Acquire and Release: the pipeline then
//     reuses snapshots nobody holds, and a publish allocates nothing. An
//     OnPublish callback that keeps its snapshot calls Retain (and Release
//     later). Latest and Step pin the snapshot instead: it is never reused,
//     and the caller may keep it with no Release. No reader ever blocks the
//     pipeline, and none takes a lock. Snapshot.History and
//     Snapshot.Decimate read the shared trend store (the 1 Hz history and
//     its min/max levels, trend.go) without locks.
//
// # Quality
//
// Every sample is classified on ingest (channel.Classify against the
// pipeline's table): a value outside its channel's plausible range becomes
// the channel's latest reading with quality OutOfRange, so a faulty device
// never leaves its last good number on screen. A reading older than its
// channel's freshness limit is Stale in the snapshot. Only OK readings reach
// the history and the derived values.
//
// A derived value takes each input from a priority list of channels (see
// Role), skipping any candidate that is not OK or past its freshness limit;
// it is OK only when every input it needs was found, and otherwise has no
// number (NaN) and the quality of its worst missing input (Stale first).
// Its time is that of its oldest input, and its Derivation in the snapshot
// records, per input, the channel, source, time and quality used.
//
// The package imports no GUI code and does no disk or network I/O. The design
// and its measurements are in docs/pipeline.md.
package monitor

package monitor

import "github.com/pumpside/pumpside/monitor/channel"

// Snapshot is the pipeline's published state at one moment. A published
// snapshot is immutable: readers on any goroutine may keep and read it
// without locks for as long as they like. (Each publish allocates a new one;
// see docs/pipeline.md for why the pipeline does not recycle them.)
type Snapshot struct {
	// Seq increases by one with every publish; the snapshot New publishes
	// before any data is 0.
	Seq uint64
	// Time is the case-clock time of publication, Unix nanoseconds.
	Time int64
	// Readings holds the latest value of every channel, indexed by
	// channel.ID (length len(Channels): channel.Count plus the pipeline's
	// extra channels). Qualities are as of Time: a value past its channel's
	// freshness limit is Stale; a value outside its plausible range is
	// OutOfRange and stays so until a valid sample replaces it. Derived
	// channels have Source 0, the time of their oldest input, and a NaN
	// Value unless their quality is OK; Derived says where they came from.
	Readings []Reading
	// Sources describes every registered source, indexed by SourceID
	// (entry 0 is unused).
	Sources []SourceStatus

	// Derived is the provenance of each derived value, indexed by
	// id − channel.DerivedBSA; see the Derivation method.
	Derived [NumDerived]Derivation
	// Stats are the case statistics as of Time.
	Stats CaseStats
	// HctCheck and HbCheck compare the in-line monitor with the newest
	// analyser result (Pipeline.Recalibrated, docs/pipeline.md).
	HctCheck, HbCheck InlineCheck
	// Channels is the pipeline's channel table, indexed by ID (shared by
	// every snapshot of a pipeline; do not modify).
	Channels []channel.Channel

	hist *history
	// ref is the reference state of a snapshot the pipeline made (nil for
	// one built by hand): see Acquire.
	ref *snapRefs
}

// SourceStatus is the pipeline's view of one source.
type SourceStatus struct {
	Name string
	// Samples counts samples accepted from the source.
	Samples uint64
	// Dropped counts samples lost because the source's ring was full.
	Dropped uint64
	// LastTime is the time of the newest sample drained, Unix ns; 0 if none.
	LastTime int64
	// Rejected counts samples the pipeline refused: an unknown or derived
	// channel, or a time unset, or later than the case clock allows
	// (Settings.MaxFutureSkew). A driver bug, never a device reading.
	Rejected uint64
}

// Reading returns the latest reading of id, or the zero Reading (no value)
// for an unknown id.
func (s *Snapshot) Reading(id channel.ID) Reading {
	if s == nil || int(id) >= len(s.Readings) {
		return Reading{}
	}
	return s.Readings[id]
}

// SourceName returns the name of a source, or "" if unknown.
func (s *Snapshot) SourceName(id SourceID) string {
	if s == nil || id == 0 || int(id) >= len(s.Sources) {
		return ""
	}
	return s.Sources[id].Name
}

// Channel returns the description of id in the pipeline's table (extra
// channels included), or the zero Channel for an unknown id.
func (s *Snapshot) Channel(id channel.ID) *channel.Channel {
	if s == nil || int(id) >= len(s.Channels) {
		return channel.Get(channel.Invalid)
	}
	return &s.Channels[id]
}

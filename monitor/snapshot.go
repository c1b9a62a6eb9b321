package monitor

import "github.com/pumpside/pumpside/monitor/channel"

// Snapshot is the pipeline's published state at one moment. A published
// snapshot is immutable: readers on any goroutine may keep and read it
// without locks for as long as they like.
type Snapshot struct {
	// Seq increases by one with every publish.
	Seq uint64
	// Time is the case-clock time of publication, Unix nanoseconds.
	Time int64
	// Readings holds the latest value of every channel, indexed by
	// channel.ID (length channel.Count). Qualities are as of Time: a value
	// past its channel's freshness limit is Stale.
	Readings []Reading
	// Sources describes every registered source, indexed by SourceID
	// (entry 0 is unused).
	Sources []SourceStatus
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

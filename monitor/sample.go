package monitor

import (
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// SourceID identifies where samples come from: a device, the simulator, a
// replayed case or manual entry. It indexes the pipeline's source table, built
// at start-up; 0 is "no source".
type SourceID uint16

// Sample is one value on one channel at one time. It is a small value type
// with no pointers so that rings of samples cost the garbage collector
// nothing.
type Sample struct {
	// Time is the measurement time in Unix nanoseconds on the case clock.
	Time    int64
	Value   float64
	Channel channel.ID
	Source  SourceID
	Quality channel.Quality
}

// Reading is the latest value of a channel as a snapshot holds it.
type Reading struct {
	Value float64
	// Time is the measurement time in Unix nanoseconds; 0 means the channel
	// has had no sample.
	Time    int64
	Source  SourceID
	Quality channel.Quality
}

// OK reports whether the reading may be shown as a number and used in
// calculations: it exists and its quality is OK at the snapshot's time.
func (r Reading) OK() bool { return r.Time != 0 && r.Quality == channel.OK }

// Age returns how old the reading was at now (Unix nanoseconds).
func (r Reading) Age(now int64) time.Duration {
	if r.Time == 0 {
		return 0
	}
	return time.Duration(now - r.Time)
}

package widget

import (
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Status is what a tile shows about a reading besides its number.
type Status struct {
	// Quality is the effective quality at now: the channel's
	// classification of the reading (so an out-of-range value is OutOfRange
	// whatever the device said), then Stale if the reading has outlived its
	// channel's freshness limit or the whole feed has stopped.
	Quality channel.Quality
	// NoData means the channel has had no sample.
	NoData bool
	// Age is how old the reading is at now; ShowAge says it is old enough
	// to be worth showing.
	Age     time.Duration
	ShowAge bool
}

// DefaultAgeAfter is when the age of a reading on a channel with no
// freshness limit (derived values, whose inputs decide) starts to be shown.
const DefaultAgeAfter = 10 * time.Second

// Assess returns the status of reading r of channel c at now (Unix
// nanoseconds, on the same clock as the snapshot). feedStale says that the
// snapshot itself is too old to trust: every value is then Stale.
//
// It does not rely on the pipeline alone to mark old values: a snapshot that
// stopped being published keeps its qualities frozen, so a reading older than
// its freshness limit at now is Stale here too.
func Assess(c *channel.Channel, r monitor.Reading, now int64, feedStale bool) Status {
	if r.Time == 0 {
		return Status{NoData: true, Quality: channel.Unavailable}
	}
	s := Status{Quality: c.Classify(r.Value, r.Quality), Age: max(0, r.Age(now))}
	if s.Quality == channel.OK && (feedStale || c.Freshness > 0 && s.Age > c.Freshness) {
		s.Quality = channel.Stale
	}
	// The freshness limit is about three reporting intervals (see package
	// channel): past half of it the device has missed at least one report.
	after := DefaultAgeAfter
	if c.Freshness > 0 {
		after = c.Freshness / 2
	}
	s.ShowAge = s.Age > after
	return s
}

// OK reports whether the value may be shown as a number.
func (s Status) OK() bool { return !s.NoData && s.Quality == channel.OK }

// Word is the status in words, for the tile's badge: "" when OK, else "NO
// DATA", "STALE", "OUT OF RANGE", "QUESTIONABLE" or "UNAVAILABLE".
func (s Status) Word() string {
	switch {
	case s.NoData:
		return "NO DATA"
	case s.Quality == channel.OK:
		return ""
	case s.Quality == channel.Stale:
		return "STALE"
	case s.Quality == channel.OutOfRange:
		return "OUT OF RANGE"
	case s.Quality == channel.Questionable:
		return "QUESTIONABLE"
	case s.Quality == channel.Unavailable:
		return "UNAVAILABLE"
	}
	return "INVALID"
}

// AppendValue appends the text shown for r: the number at the channel's
// precision, or channel.NoValue when s is not OK. The number itself comes from
// Channel.AppendFormat, which checks quality and range again, so no path shows
// a number that must not be shown (a zero Reading, for one, has quality OK and
// value 0 but no sample: it shows NoValue).
func AppendValue(dst []byte, c *channel.Channel, r monitor.Reading, s Status) []byte {
	if !s.OK() {
		return append(dst, channel.NoValue...)
	}
	return c.AppendFormat(dst, r.Value, r.Quality)
}

// AppendAge appends d as the tile shows an age: "42 s ago", "12 min ago",
// "1 h 05 min ago".
func AppendAge(dst []byte, d time.Duration) []byte {
	return append(AppendDuration(dst, d), " ago"...)
}

// AppendDuration appends d rounded down to a readable unit: "42 s",
// "12 min", "1 h 05 min".
func AppendDuration(dst []byte, d time.Duration) []byte {
	switch {
	case d < time.Minute:
		dst = strconv.AppendInt(dst, int64(max(0, d)/time.Second), 10)
		return append(dst, " s"...)
	case d < time.Hour:
		dst = strconv.AppendInt(dst, int64(d/time.Minute), 10)
		return append(dst, " min"...)
	}
	dst = strconv.AppendInt(dst, int64(d/time.Hour), 10)
	dst = append(dst, " h "...)
	dst = append2(dst, int64(d%time.Hour/time.Minute))
	return append(dst, " min"...)
}

// AppendClock appends d as "hh:mm:ss" (hours grow past 99 if need be), or
// "--:--:--" when d is negative.
func AppendClock(dst []byte, d time.Duration) []byte {
	if d < 0 {
		return append(dst, "--:--:--"...)
	}
	s := int64(d / time.Second)
	h, m := s/3600, s/60%60
	s %= 60
	dst = append2(dst, h)
	dst = append(dst, ':')
	dst = append2(dst, m)
	dst = append(dst, ':')
	return append2(dst, s)
}

func append2(dst []byte, n int64) []byte {
	if n < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, n, 10)
}

package channel

import "fmt"

// Quality says whether a value may be shown as a number and used in derived
// values. Only OK may.
type Quality uint8

// The quality flags of the channel contract.
const (
	// OK is a valid, in-range value.
	OK Quality = iota
	// Unavailable means the device said "no value" (dashes, blank field).
	Unavailable
	// OutOfRange means the device flagged the value, or it lies outside the
	// channel's plausible range.
	OutOfRange
	// Questionable means the device reported the value with a warning (for
	// example low perfusion on an oximeter).
	Questionable
	// Stale means the value, or an input it was derived from, is older than
	// its freshness limit.
	Stale
)

var qualityNames = [...]string{
	OK:           "ok",
	Unavailable:  "unavailable",
	OutOfRange:   "out_of_range",
	Questionable: "questionable",
	Stale:        "stale",
}

// String returns the contract's spelling ("ok", "out_of_range", ...).
func (q Quality) String() string {
	if int(q) < len(qualityNames) {
		return qualityNames[q]
	}
	return fmt.Sprintf("quality(%d)", uint8(q))
}

// ParseQuality is the inverse of String.
func ParseQuality(s string) (Quality, error) {
	for q, name := range qualityNames {
		if name == s {
			return Quality(q), nil
		}
	}
	return 0, fmt.Errorf("channel: unknown quality %q (want one of ok, unavailable, out_of_range, questionable, stale)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (q Quality) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (q *Quality) UnmarshalText(b []byte) error {
	v, err := ParseQuality(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

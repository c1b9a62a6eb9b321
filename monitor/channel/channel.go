package channel

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Channel describes one named value.
type Channel struct {
	ID          ID
	Name        string // "group.field", e.g. "pump.flow"
	Unit        string // as in the contract, e.g. "L/min"
	Label       string // short label for tiles and tables
	Description string
	// Precision is the number of decimals shown.
	Precision int
	// Min and Max bound the plausible range, inclusive. A value outside it is
	// OutOfRange: a device fault or a decoding error, not physiology.
	Min, Max float64
	// Freshness is how long a value stays current. Zero means it does not go
	// stale by age (patient size, derived values whose inputs decide).
	Freshness time.Duration
}

var byName map[string]ID

// All returns the built-in channels in ID order. The slice is shared: do not
// modify it.
func All() []Channel { return builtin[1:] }

// Count is one more than the largest built-in ID: the length of a table
// indexed by ID.
const Count = int(numBuiltin)

// Lookup finds a channel by its contract name.
func Lookup(name string) (ID, bool) {
	id, ok := byName[name]
	return id, ok
}

// Get returns the description of id. An unknown id yields the zero Channel
// (Name "").
func Get(id ID) *Channel {
	if id == Invalid || id >= numBuiltin {
		return &builtin[Invalid]
	}
	return &builtin[id]
}

// Valid reports whether id names a built-in channel.
func (id ID) Valid() bool { return id != Invalid && id < numBuiltin }

// String returns the channel's name.
func (id ID) String() string {
	if !id.Valid() {
		return "channel(" + strconv.Itoa(int(id)) + ")"
	}
	return builtin[id].Name
}

// Group returns the part of the name before the dot: the measurement.
func (c *Channel) Group() string {
	g, _, _ := strings.Cut(c.Name, ".")
	return g
}

// Field returns the part of the name after the dot: the field.
func (c *Channel) Field() string {
	_, f, _ := strings.Cut(c.Name, ".")
	return f
}

// Derived reports whether the pipeline computes this channel.
func (c *Channel) Derived() bool { return strings.HasPrefix(c.Name, "derived.") }

// InRange reports whether v is a finite value inside the plausible range.
func (c *Channel) InRange(v float64) bool {
	return !math.IsNaN(v) && v >= c.Min && v <= c.Max
}

// Classify returns the quality a value with the device's own quality q gets
// on this channel: a value outside the plausible range is OutOfRange whatever
// the device said. It never upgrades q.
func (c *Channel) Classify(v float64, q Quality) Quality {
	if q == OK && !c.InRange(v) {
		return OutOfRange
	}
	return q
}

// NoValue is what is shown in place of a number that is not OK.
const NoValue = "---"

// Format renders v at the channel's precision, or NoValue when q is not OK or
// v is outside the plausible range. It never shows a number that must not be
// shown.
func (c *Channel) Format(v float64, q Quality) string {
	if c.Classify(v, q) != OK {
		return NoValue
	}
	return strconv.FormatFloat(v, 'f', c.Precision, 64)
}

// AppendFormat is Format appending to dst, for allocation-free rendering.
func (c *Channel) AppendFormat(dst []byte, v float64, q Quality) []byte {
	if c.Classify(v, q) != OK {
		return append(dst, NoValue...)
	}
	return strconv.AppendFloat(dst, v, 'f', c.Precision, 64)
}

package external

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor/channel"
)

// The subset of InfluxDB line protocol the driver reads:
//
//	measurement[,quality=q] field=value[,field=value…] [timestamp]
//
// without escapes or quoted strings (no channel name needs them): names are
// letters, digits and '_'; field values are numbers in JSON's syntax
// (exponents allowed, at most 17 digits) or integers with an 'i' suffix
// (not 'u': one flipped bit makes a final 5 a u, "35" a 3); the timestamp
// is 19 digits, nanoseconds since 1970 (the years 2001 to 2286). The only
// tag is quality (ok, unavailable, out_of_range, questionable), applying
// to every field of the line; any other tag makes the line bad (a damaged
// "quality" must never leave the values ok). Lines starting with '#' are
// comments.

var (
	errShape    = errors.New("not measurement[,tags] fields [timestamp]")
	errName     = errors.New("name is not letters, digits and _")
	errValue    = errors.New("field value is not a number")
	errTime     = errors.New("timestamp is not 19 digits (ns since 1970)")
	errQuality  = errors.New("quality tag is not ok, unavailable, out_of_range or questionable")
	errUnknown  = errors.New("unknown channel")
	errDerived  = errors.New("derived channels are computed by Pumpside, not read")
	errRepeated = errors.New("field repeated in the line")
	errTooMany  = errors.New("too many fields in one line")
	errTag      = errors.New("tag is not key=value")
	errTagName  = errors.New("unknown tag: quality is the only one")
)

// maxDigits is the most digits a value's mantissa may have: 17 print any
// float64 exactly.
const maxDigits = 17

// maxFields bounds the fields of one line.
const maxFields = 64

// point is one parsed line. Its slices alias the line.
type point struct {
	measurement []byte
	quality     channel.Quality
	names       [maxFields][]byte
	values      [maxFields]float64
	n           int
	// time is the line's timestamp, ns; hasTime false without one.
	time    int64
	hasTime bool
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isNameByte(c) {
			return false
		}
	}
	return true
}

// parse reads one line into p. field names the offending part on error.
func parse(line []byte, p *point) (field string, err error) {
	p.n, p.quality, p.hasTime = 0, channel.OK, false
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return "", errShape
	}
	head, rest := line[:sp], line[sp+1:]
	var fields, ts []byte
	if i := bytes.IndexByte(rest, ' '); i >= 0 {
		fields, ts = rest[:i], rest[i+1:]
		if len(ts) == 0 || bytes.IndexByte(ts, ' ') >= 0 {
			return "", errShape
		}
	} else {
		fields = rest
	}
	// measurement and tags
	m := head
	if i := bytes.IndexByte(head, ','); i >= 0 {
		m = head[:i]
		tags := head[i+1:]
		for len(tags) > 0 {
			var tag []byte
			if j := bytes.IndexByte(tags, ','); j >= 0 {
				tag, tags = tags[:j], tags[j+1:]
			} else {
				tag, tags = tags, nil
			}
			eq := bytes.IndexByte(tag, '=')
			if eq <= 0 || eq == len(tag)-1 || !validName(tag[:eq]) || !validName(tag[eq+1:]) {
				return "tags", errTag
			}
			if string(tag[:eq]) != "quality" {
				return "tags", errTagName
			}
			switch string(tag[eq+1:]) {
			case "ok":
				p.quality = channel.OK
			case "unavailable":
				p.quality = channel.Unavailable
			case "out_of_range":
				p.quality = channel.OutOfRange
			case "questionable":
				p.quality = channel.Questionable
			default:
				return "quality", errQuality
			}
		}
	}
	if !validName(m) {
		return "measurement", errName
	}
	p.measurement = m
	if len(fields) == 0 {
		return "", errShape
	}
	for len(fields) > 0 {
		var f []byte
		if j := bytes.IndexByte(fields, ','); j >= 0 {
			f, fields = fields[:j], fields[j+1:]
			if len(fields) == 0 {
				return "", errShape
			}
		} else {
			f, fields = fields, nil
		}
		eq := bytes.IndexByte(f, '=')
		if eq <= 0 {
			return "", errShape
		}
		name, val := f[:eq], f[eq+1:]
		if !validName(name) {
			return string(name), errName
		}
		v, ok := number(val)
		if !ok {
			return string(name), errValue
		}
		if p.n == maxFields {
			return "", errTooMany
		}
		for i := range p.n {
			if bytes.Equal(p.names[i], name) {
				return string(name), errRepeated
			}
		}
		p.names[p.n], p.values[p.n] = name, v
		p.n++
	}
	if len(ts) > 0 {
		var ok bool
		if p.time, ok = integer(ts); !ok || len(ts) != 19 {
			return "timestamp", errTime
		}
		p.hasTime = true
	}
	return "", nil
}

// number reads a float in JSON's number syntax ("-1.5", "2.8e1"; not
// "+7", "8." or ".7", which no program prints and line noise makes) or an
// integer with an i suffix.
func number(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if b[len(b)-1] == 'i' {
		n, ok := integer(b[:len(b)-1])
		return float64(n), ok
	}
	if !jsonNumber(b) {
		return 0, false
	}
	if v, ok := framing.ParseDecimal(b); ok {
		return v, true
	}
	// Exponents and mantissas of 16 or 17 digits (a float64 printed to
	// round trip): the rare slow path. More than 17 digits before an
	// exponent is no float a program prints, but what a flipped space
	// makes of a value and its timestamp ("35.9 1772…" as "35.901772…").
	mant := 0
	for _, c := range b {
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			mant++
		}
	}
	if mant > maxDigits {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// jsonNumber reports whether b is a number as JSON writes one:
// -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?, leading zeros allowed.
func jsonNumber(b []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

func integer(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n < 0 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

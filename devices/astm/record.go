package astm

import (
	"bytes"
	"errors"
	"time"
)

// Delimiters are the separators an E1394 / LIS02-A2 message declares in its
// header record: "H|\^&" gives field '|', repeat '\', component '^' and
// escape '&'.
type Delimiters struct {
	FieldSep, RepeatSep, ComponentSep, EscapeChar byte
}

// DefaultDelimiters are the delimiters LIS02-A2 recommends.
var DefaultDelimiters = Delimiters{'|', '\\', '^', '&'}

// Record errors.
var (
	ErrHeader     = errors.New("header record must declare four distinct delimiters: H|\\^&")
	ErrRecordType = errors.New("unknown record type")
	ErrNoHeader   = errors.New("record outside a message (no H record before it)")
	ErrNoField    = errors.New("record type not followed by the field delimiter")
)

// ParseHeader reads the delimiters from a header record.
func ParseHeader(rec []byte) (Delimiters, error) {
	if len(rec) < 5 || rec[0] != 'H' {
		return Delimiters{}, ErrHeader
	}
	d := Delimiters{rec[1], rec[2], rec[3], rec[4]}
	ds := [4]byte{d.FieldSep, d.RepeatSep, d.ComponentSep, d.EscapeChar}
	for i, c := range ds {
		if c <= ' ' || c >= 0x7f || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return Delimiters{}, ErrHeader
		}
		for _, o := range ds[i+1:] {
			if o == c {
				return Delimiters{}, ErrHeader
			}
		}
	}
	if len(rec) > 5 && rec[5] != d.FieldSep {
		return Delimiters{}, ErrHeader
	}
	return d, nil
}

// Field returns field n of rec, numbered as the standard does: field 1 is
// the record type ("R"), field 3 of a result record its test ID. A missing
// field is empty. In the header record field 2 is the delimiter
// declaration.
func (d Delimiters) Field(rec []byte, n int) []byte {
	if n < 1 || len(rec) == 0 {
		return nil
	}
	if rec[0] == 'H' && len(rec) >= 5 {
		// "H|\^&|...": the declaration holds the field delimiter's
		// companions, not further fields.
		switch n {
		case 1:
			return rec[:1]
		case 2:
			return rec[2:5]
		}
		if len(rec) <= 5 {
			return nil
		}
		return nth(rec[6:], d.FieldSep, n-3)
	}
	return nth(rec, d.FieldSep, n-1)
}

// Component returns component n (from 1) of the first repeat of field f.
func (d Delimiters) Component(f []byte, n int) []byte {
	f = nth(f, d.RepeatSep, 0)
	return nth(f, d.ComponentSep, n-1)
}

// nth returns the n-th (from 0) piece of b split at sep, empty if missing.
func nth(b []byte, sep byte, n int) []byte {
	for ; n > 0; n-- {
		i := bytes.IndexByte(b, sep)
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	if i := bytes.IndexByte(b, sep); i >= 0 {
		return b[:i]
	}
	return b
}

// Unescape appends src to dst with the escape sequences of E1394 replaced:
// &F& field, &S& component, &R& repeat, &E& escape delimiter (with the
// declared escape character in place of &). Other sequences are kept as
// they are.
func (d Delimiters) Unescape(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == d.EscapeChar && i+2 < len(src) && src[i+2] == d.EscapeChar {
			var r byte
			switch src[i+1] {
			case 'F':
				r = d.FieldSep
			case 'S':
				r = d.ComponentSep
			case 'R':
				r = d.RepeatSep
			case 'E':
				r = d.EscapeChar
			}
			if r != 0 {
				dst = append(dst, r)
				i += 2
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// Escape appends src to dst with the delimiters escaped.
func (d Delimiters) Escape(dst, src []byte) []byte {
	for _, c := range src {
		var r byte
		switch c {
		case d.FieldSep:
			r = 'F'
		case d.ComponentSep:
			r = 'S'
		case d.RepeatSep:
			r = 'R'
		case d.EscapeChar:
			r = 'E'
		}
		if r != 0 {
			dst = append(dst, d.EscapeChar, r, d.EscapeChar)
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// ParseTime reads an E1394 date and time, YYYYMMDDHHMMSS or YYYYMMDDHHMM,
// in loc, as Unix nanoseconds. A date without a time of day, or anything
// else, gives ok false. It does not allocate.
func ParseTime(b []byte, loc *time.Location) (int64, bool) {
	if len(b) != 14 && len(b) != 12 {
		return 0, false
	}
	var v [7]int
	for i, w := range [...]int{4, 2, 2, 2, 2, 2} {
		o := [...]int{0, 4, 6, 8, 10, 12}[i]
		if o+w > len(b) {
			break
		}
		for _, c := range b[o : o+w] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	y, mo, dd, h, mi, s := v[0], v[1], v[2], v[3], v[4], v[5]
	if y < 1970 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), dd, h, mi, s, 0, loc)
	if t.Day() != dd {
		return 0, false // 31 February
	}
	return t.UnixNano(), true
}

// AppendTime appends t (Unix ns) in loc as YYYYMMDDHHMMSS.
func AppendTime(dst []byte, t int64, loc *time.Location) []byte {
	return time.Unix(0, t).In(loc).AppendFormat(dst, "20060102150405")
}

package hl7

import (
	"bytes"
	"errors"
	"time"
)

// Delimiters are a message's separators, declared in MSH-1 and MSH-2:
// "MSH|^~\&" gives field '|', component '^', repeat '~', escape '\' and
// subcomponent '&'.
type Delimiters struct {
	FieldSep, ComponentSep, RepeatSep, EscapeChar, SubSep byte
}

// DefaultDelimiters are HL7's recommended separators.
var DefaultDelimiters = Delimiters{'|', '^', '~', '\\', '&'}

// ErrMSH: the message does not start with a usable MSH segment.
var ErrMSH = errors.New("message does not start with MSH and its delimiters (MSH|^~\\&)")

// ParseMSH reads the delimiters from a message's first segment.
func ParseMSH(msg []byte) (Delimiters, error) {
	if len(msg) < 8 || string(msg[:3]) != "MSH" {
		return Delimiters{}, ErrMSH
	}
	d := Delimiters{FieldSep: msg[3], ComponentSep: msg[4], RepeatSep: msg[5], EscapeChar: msg[6], SubSep: msg[7]}
	n := 4
	if len(msg) > 7 && msg[7] == d.FieldSep {
		// Only four encoding characters would be "MSH|^~\|": no
		// subcomponent separator (allowed, rare).
		d.SubSep, n = 0, 3
	}
	ds := [5]byte{d.FieldSep, d.ComponentSep, d.RepeatSep, d.EscapeChar, d.SubSep}
	for i, c := range ds[:n+1] {
		if c <= ' ' || c >= 0x7f || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			return Delimiters{}, ErrMSH
		}
		for _, o := range ds[i+1 : n+1] {
			if o == c {
				return Delimiters{}, ErrMSH
			}
		}
	}
	if end := 4 + n; len(msg) > end && msg[end] != d.FieldSep && msg[end] != CR && msg[end] != LF {
		return Delimiters{}, ErrMSH
	}
	return d, nil
}

// Segments calls fn for each segment of msg: segments end with CR (LF and
// CR LF are accepted too); empty ones are skipped. It stops when fn
// returns false.
func Segments(msg []byte, fn func(seg []byte) bool) {
	for len(msg) > 0 {
		i := bytes.IndexAny(msg, "\r\n")
		seg := msg
		if i >= 0 {
			seg, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		if len(seg) > 0 && !fn(seg) {
			return
		}
	}
}

// Field returns field n of seg as HL7 numbers them: for MSH, field 1 is the
// field separator and field 2 the encoding characters; for other segments
// field 1 follows the segment name. A missing field is empty.
func (d Delimiters) Field(seg []byte, n int) []byte {
	if n < 1 || len(seg) < 3 {
		return nil
	}
	if string(seg[:3]) == "MSH" {
		switch {
		case n == 1:
			return seg[3:4]
		case len(seg) < 5:
			return nil
		}
		return nth(seg[4:], d.FieldSep, n-2)
	}
	return nth(seg, d.FieldSep, n)
}

// Component returns component n (from 1) of the first repetition of f, and
// of that its first subcomponent when sub is true.
func (d Delimiters) Component(f []byte, n int, sub bool) []byte {
	c := nth(nth(f, d.RepeatSep, 0), d.ComponentSep, n-1)
	if sub && d.SubSep != 0 {
		c = nth(c, d.SubSep, 0)
	}
	return c
}

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

// Unescape appends src to dst with HL7's delimiter escapes replaced: \F\
// field, \S\ component, \T\ subcomponent, \R\ repeat, \E\ escape. Other
// escapes (\H\, \Xhh\, ...) are kept as they are.
func (d Delimiters) Unescape(dst, src []byte) []byte {
	e := d.EscapeChar
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == e && i+2 < len(src) && src[i+2] == e {
			var r byte
			switch src[i+1] {
			case 'F':
				r = d.FieldSep
			case 'S':
				r = d.ComponentSep
			case 'T':
				r = d.SubSep
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
		switch {
		case c == d.FieldSep:
			r = 'F'
		case c == d.ComponentSep:
			r = 'S'
		case c == d.SubSep && c != 0:
			r = 'T'
		case c == d.RepeatSep:
			r = 'R'
		case c == d.EscapeChar:
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

// ParseTime reads an HL7 TS/DTM to at least the minute,
// YYYYMMDDHHMM[SS[.S...]][+/-ZZZZ], as Unix nanoseconds; without an offset
// it is in loc. Anything else gives ok false. It does not allocate.
func ParseTime(b []byte, loc *time.Location) (int64, bool) {
	if len(b) < 12 {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var v [5]int
	for i, o := range [...]int{0, 4, 6, 8, 10} {
		w := 2
		if i == 0 {
			w = 4
		}
		x, ok := num(b[o : o+w])
		if !ok {
			return 0, false
		}
		v[i] = x
	}
	rest := b[12:]
	sec, nsec := 0, 0
	if len(rest) >= 2 && rest[0] >= '0' && rest[0] <= '9' {
		s, ok := num(rest[:2])
		if !ok {
			return 0, false
		}
		sec, rest = s, rest[2:]
		if len(rest) > 0 && rest[0] == '.' {
			rest = rest[1:]
			scale := 100_000_000
			n := 0
			for n < len(rest) && n < 4 && rest[n] >= '0' && rest[n] <= '9' {
				nsec += int(rest[n]-'0') * scale
				scale /= 10
				n++
			}
			if n == 0 {
				return 0, false
			}
			rest = rest[n:]
		}
	}
	if len(rest) > 0 {
		if len(rest) != 5 || rest[0] != '+' && rest[0] != '-' {
			return 0, false
		}
		hh, ok1 := num(rest[1:3])
		mm, ok2 := num(rest[3:5])
		if !ok1 || !ok2 || hh > 14 || mm > 59 {
			return 0, false
		}
		offset := hh*3600 + mm*60
		if rest[0] == '-' {
			offset = -offset
		}
		loc = fixedZone(offset)
	}
	y, mo, dd, h, mi := v[0], v[1], v[2], v[3], v[4]
	if y < 1970 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), dd, h, mi, sec, nsec, loc)
	if t.Day() != dd {
		return 0, false
	}
	return t.UnixNano(), true
}

// fixedZone returns a zone at offset seconds east of UTC. The common
// offsets are made once, so that parsing does not allocate.
func fixedZone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	if offset%1800 == 0 && offset >= -14*3600 && offset <= 14*3600 {
		return halfHours[offset/1800+28]
	}
	return time.FixedZone("", offset)
}

var halfHours = func() (z [57]*time.Location) {
	for i := range z {
		z[i] = time.FixedZone("", (i-28)*1800)
	}
	return z
}()

// AppendTime appends t (Unix ns) in loc as YYYYMMDDHHMMSS±ZZZZ.
func AppendTime(dst []byte, t int64, loc *time.Location) []byte {
	return time.Unix(0, t).In(loc).AppendFormat(dst, "20060102150405-0700")
}

// SplitFields fills dst with the fields of a segment other than MSH, as
// HL7 numbers them (dst[1] is field 1; dst[0] the segment name), up to
// len(dst)-1 fields, and returns how many the segment has. Later fields
// stay empty. One pass, no allocation: for a segment read field by field.
func (d Delimiters) SplitFields(seg []byte, dst [][]byte) int {
	for i := range dst {
		dst[i] = nil
	}
	n := 0
	for {
		i := bytes.IndexByte(seg, d.FieldSep)
		f := seg
		if i >= 0 {
			f, seg = seg[:i], seg[i+1:]
		}
		if n < len(dst) {
			dst[n] = f
		}
		if i < 0 {
			return n
		}
		n++
	}
}

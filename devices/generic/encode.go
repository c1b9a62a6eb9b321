package generic

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

var errRegexEncode = errors.New("generic: parse.type = \"regex\" has no encoder")

// AppendFrame appends one frame carrying samples (all of one time) to dst,
// as the configured device would send it: the fields in config order
// (keyvalue) or at their columns (delimited; in config order under a
// header, see AppendHeader), each value unconverted, unscaled and written
// with the field's decimals; then the check and the framing. A sample that
// is not OK is written as the first parse.out_of_range marker (out of range,
// questionable) or the first parse.missing marker; a field without a sample
// too, or left out if it is optional. It reads only the compiled config, so
// one Driver may encode from several goroutines (not while Init runs).
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	k := d.k
	if k.kind == parseRegex {
		return dst, errRegexEncode
	}
	for _, s := range samples {
		if !slicesContainsID(k.fields, s.Channel) {
			return dst, fmt.Errorf("generic: channel %v is not in the config's fields", s.Channel)
		}
	}
	start := len(dst)
	dst = append(dst, k.prefix...)
	var err error
	switch k.kind {
	case parseKeyValue:
		first := true
		for i := range k.fields {
			f := &k.fields[i]
			s, ok := find(samples, f.id)
			if !ok && f.optional {
				continue
			}
			if !first {
				dst = append(dst, k.delim...)
			}
			first = false
			dst = append(dst, f.name...)
			dst = append(dst, k.kvSep...)
			if dst, err = d.appendValue(dst, f, s, ok); err != nil {
				return dst, err
			}
		}
	case parseDelimited:
		order := d.columnOrder()
		for j, i := range order {
			if j > 0 {
				dst = append(dst, k.delim...)
			}
			if i < 0 {
				continue
			}
			f := &k.fields[i]
			s, ok := find(samples, f.id)
			if !ok && f.optional {
				continue
			}
			if dst, err = d.appendValue(dst, f, s, ok); err != nil {
				return dst, err
			}
		}
	}
	return d.finish(dst, start)
}

// AppendHeader appends a header line (delimited with parse.header): the
// field names in the order AppendFrame writes them.
func (d *Driver) AppendHeader(dst []byte) ([]byte, error) {
	k := d.k
	if k.kind != parseDelimited || !k.header {
		return dst, errors.New("generic: AppendHeader needs parse.type = \"delimited\" and parse.header")
	}
	start := len(dst)
	dst = append(dst, k.prefix...)
	for j, i := range d.columnOrder() {
		if j > 0 {
			dst = append(dst, k.delim...)
		}
		if i < 0 || len(k.fields[i].name) == 0 {
			return dst[:start], errors.New("generic: AppendHeader needs a name for every column")
		}
		dst = append(dst, k.fields[i].name...)
	}
	return d.finish(dst, start)
}

// columnOrder gives, per column, the field written there (-1 none): by
// column when every field has one, else in config order.
func (d *Driver) columnOrder() []int {
	k := d.k
	byCol := true
	for i := range k.fields {
		byCol = byCol && k.fields[i].column >= 0
	}
	n := len(k.fields)
	if byCol {
		n = max(k.maxColumn, d.cfg.Parse.Count)
	}
	order := make([]int, n)
	for j := range order {
		order[j] = -1
	}
	for i := range k.fields {
		if byCol {
			order[k.fields[i].column] = i
		} else {
			order[i] = i
		}
	}
	return order
}

// finish adds the check and the framing to the payload dst[start:].
func (d *Driver) finish(dst []byte, start int) ([]byte, error) {
	k := d.k
	var code []byte
	if k.check != nil {
		payload := dst[start:]
		if len(payload) < k.skip {
			return dst, errors.New("generic: frame shorter than checksum.skip")
		}
		covered := payload[k.skip:]
		if k.inclStart || k.inclEnd {
			var c []byte
			if k.inclStart && k.skip == 0 {
				c = append(c, k.start)
			}
			c = append(c, covered...)
			if k.inclEnd {
				c = append(c, k.end)
			}
			covered = c
		}
		sum := k.check.Sum(covered)
		w := k.check.Width()
		if w == 2 && k.little {
			sum = sum>>8 | sum<<8
		}
		if k.hexCheck {
			code = fmt.Appendf(nil, "%0*X", 2*w, sum)
		} else if w == 1 {
			code = []byte{byte(sum)}
		} else {
			code = []byte{byte(sum >> 8), byte(sum)}
		}
		if !k.afterEnd {
			dst = append(dst, k.sep...)
			dst = append(dst, code...)
			code = nil
		}
	}
	if len(dst)-start > d.cfg.MaxFrame {
		return dst[:start], fmt.Errorf("generic: frame of %d bytes is over max_frame = %d", len(dst)-start, d.cfg.MaxFrame)
	}
	if k.line {
		frame := dst[start:]
		if len(k.term) > 0 && bytes.Contains(frame, k.term) || len(k.term) == 0 && bytes.ContainsAny(frame, "\r\n") {
			return dst[:start], errors.New("generic: the frame would hold its line terminator")
		}
		if len(k.term) == 0 {
			return append(dst, '\r', '\n'), nil
		}
		return append(dst, k.term...), nil
	}
	payload := bytes.Clone(dst[start:])
	dst = append(dst[:start], k.start)
	for _, b := range payload {
		if k.hasEsc && (b == k.start || b == k.end || b == k.esc) {
			dst = append(dst, k.esc, b^k.xor)
			continue
		}
		if b == k.start || b == k.end {
			return dst[:start], fmt.Errorf("generic: byte %#02x in the frame needs framing.escape", b)
		}
		dst = append(dst, b)
	}
	dst = append(dst, k.end)
	return append(dst, code...), nil
}

func (d *Driver) appendValue(dst []byte, f *field, s monitor.Sample, ok bool) ([]byte, error) {
	k := d.k
	marker := func(list [][]byte) ([]byte, error) {
		if len(list) == 0 {
			list = k.missing
		}
		if len(list) == 0 {
			return dst, fmt.Errorf("generic: %v has no value and parse.missing is empty", f.id)
		}
		return append(dst, list[0]...), nil
	}
	if !ok {
		return marker(k.missing)
	}
	switch s.Quality {
	case channel.OK:
	case channel.OutOfRange, channel.Questionable:
		return marker(k.oor)
	default:
		return marker(k.missing)
	}
	v := (f.conv.Invert(s.Value) - f.offset) / f.scale
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e15 {
		return dst, fmt.Errorf("generic: cannot encode %v = %v", s.Channel, s.Value)
	}
	prec := f.decimals
	if prec >= 0 {
		if r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64); math.Abs(r-v) > 1e-9*math.Max(1, math.Abs(v)) {
			prec = -1 // the configured decimals would change the value
		}
	}
	at := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', prec, 64)
	if d.cfg.Parse.DecimalComma {
		for i := at; i < len(dst); i++ {
			if dst[i] == '.' {
				dst[i] = ','
			}
		}
	}
	return dst, nil
}

func find(samples []monitor.Sample, id channel.ID) (monitor.Sample, bool) {
	for _, s := range samples {
		if s.Channel == id {
			return s, true
		}
	}
	return monitor.Sample{}, false
}

func slicesContainsID(fs []field, id channel.ID) bool {
	for i := range fs {
		if fs[i].id == id {
			return true
		}
	}
	return false
}

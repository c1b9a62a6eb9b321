package cdi550

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

var errNoColumns = errors.New("cdi550: the encoder writes the default column order, and columns is empty")

// HeaderEvery is how many data lines the device sends between headers in
// ASCII mode (appendix C: "A header line will print out every 50 lines").
const HeaderEvery = 50

// AppendHeader appends the header line of the default column order, as the
// device sends it every 50 lines.
func (d *Driver) AppendHeader(dst []byte) ([]byte, error) {
	if len(d.cfg.Columns) == 0 {
		return dst, errNoColumns
	}
	dst = append(dst, strings.Join(d.cfg.Columns, "\t")...)
	return append(dst, '\r'), nil
}

// AppendTempMode appends the line the device sends when its temperature
// display mode changes to m.
func AppendTempMode(dst []byte, m TempMode) []byte {
	if m == TempPatient {
		return append(dst, "@ Temp Data\r"...)
	}
	return append(dst, "37C Temp Data\r"...)
}

// AppendFrame appends one report carrying samples (all of one time): in
// ASCII mode a data line in the default column order, ended by CR, and
// before every 51st, 101st, ... line the header, as the device repeats it
// every 50 lines (the first 50 lines of an encoder go without one, as a
// receiver that connects mid-stream sees them); in packet mode an analyte
// packet (command A, subcommand 0) with the next sequence number.
//
// The time of the first sample is written as HH:MM:SS in UTC, each value
// with its channel's decimals (more, up to 3, when that would change it),
// in the column's configured unit. Samples that are out of range or
// questionable are written as dashes, the device's out-of-range form;
// unavailable, stale and missing ones as an empty field. Unmapped columns
// (VO2, BSA) are dashes.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	if d.mode == ModePacket {
		return d.appendPacketFrame(dst, samples)
	}
	if len(d.cfg.Columns) == 0 {
		return dst, errNoColumns
	}
	for _, s := range samples {
		found := false
		for _, c := range d.defaults {
			found = found || (c.kind == colChannel && c.m.id == s.Channel)
		}
		if !found {
			return dst, fmt.Errorf("cdi550: cannot encode channel %v in the default columns", s.Channel)
		}
	}
	var t int64
	if len(samples) > 0 {
		t = samples[0].Time
	}
	start := len(dst)
	if d.encLines == HeaderEvery {
		dst, _ = d.AppendHeader(dst)
		d.encLines = 0
	}
	for i, c := range d.defaults {
		if i > 0 {
			dst = append(dst, '\t')
		}
		switch c.kind {
		case colTime:
			dst = time.Unix(0, t).UTC().AppendFormat(dst, "15:04:05")
		case colOpaque:
			dst = append(dst, "---"...)
		case colChannel:
			var err error
			if dst, err = appendValue(dst, c, samples); err != nil {
				return dst[:start], err
			}
		}
	}
	d.encLines++
	return append(dst, '\r'), nil
}

// appendPacketFrame appends an analyte packet carrying samples.
func (d *Driver) appendPacketFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	for _, s := range samples {
		found := false
		for c := range d.codes {
			found = found || (d.codes[c].kind == colChannel && d.codes[c].m.id == s.Channel)
		}
		if !found {
			return dst, fmt.Errorf("cdi550: packet mode carries no code for channel %v", s.Channel)
		}
	}
	var t int64
	if len(samples) > 0 {
		t = samples[0].Time
	}
	start := len(dst)
	dst = append(dst, stx, 'X')
	dst = appendHex(dst, uint64(d.encSeq), 2)
	lenAt := len(dst)
	dst = append(dst, "0000A0"...)
	dst = time.Unix(0, t).UTC().AppendFormat(dst, "15:04:05")
	dst = append(dst, '\t')
	for c := range d.codes {
		col := d.codes[c]
		if col.name == "" {
			continue
		}
		dst = appendHex(dst, uint64(c), 2)
		dst = append(dst, "00"...)
		if col.kind == colChannel {
			var err error
			if dst, err = appendValue(dst, col, samples); err != nil {
				return dst[:start], err
			}
		} else {
			dst = append(dst, "---"...)
		}
		dst = append(dst, '\t')
	}
	n := len(dst) - start + 3
	if n > MaxPacket {
		return dst[:start], fmt.Errorf("cdi550: packet of %d bytes is over %d", n, MaxPacket)
	}
	appendHex(dst[:lenAt], uint64(n), 4)
	from := start
	if d.cfg.CRCSkipSTX {
		from++
	}
	dst = appendHex(dst, uint64(CRC8(dst[from:])), 2)
	d.encSeq++
	return append(dst, etx), nil
}

func appendValue(dst []byte, c column, samples []monitor.Sample) ([]byte, error) {
	for _, s := range samples {
		if s.Channel != c.m.id {
			continue
		}
		switch s.Quality {
		case channel.OK:
		case channel.OutOfRange, channel.Questionable:
			return append(dst, "---"...), nil
		default:
			return dst, nil
		}
		v := c.m.conv.Invert(s.Value)
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e4 {
			return dst, fmt.Errorf("cdi550: cannot encode %v = %v", s.Channel, s.Value)
		}
		prec := channel.Get(s.Channel).Precision
		for prec < 3 {
			if r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64); math.Abs(r-v) <= 1e-9 {
				break
			}
			prec++ // the device's decimals would change the value
		}
		return strconv.AppendFloat(dst, v, 'f', prec, 64), nil
	}
	return dst, nil
}

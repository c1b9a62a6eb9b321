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

// AppendFrame appends one data line in the default column order, ended by
// CR, carrying samples (all of one time): the time of the first sample as
// HH:MM:SS in UTC, each value with its channel's decimals (more when that
// would change it), in the column's configured unit. Samples that are out of
// range or questionable are written as dashes, the device's out-of-range
// form; unavailable, stale and missing ones as an empty field. Unmapped
// columns (VO2, BSA) are dashes.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
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
				return dst, err
			}
		}
	}
	return append(dst, '\r'), nil
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
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e9 {
			return dst, fmt.Errorf("cdi550: cannot encode %v = %v", s.Channel, s.Value)
		}
		prec := channel.Get(s.Channel).Precision
		if r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64); math.Abs(r-v) > 1e-9 {
			prec = -1 // the device's decimals would change the value: write it exactly
		}
		return strconv.AppendFloat(dst, v, 'f', prec, 64), nil
	}
	return dst, nil
}

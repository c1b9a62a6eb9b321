package masimo

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// AppendFrame appends one ASCII 1 line carrying samples, all of one time, to
// dst, as the simulator sends it: the time of the first sample in UTC as the
// device clock, SN 0000000000, the SpCO/SpMet fields as dashes, PI as dashes
// when samples have none, and PVI only when samples have it.
// SpO2 and pulse rate samples that are not OK are sent as dashes; a
// questionable one sets EXC 004 (low perfusion), an unavailable one EXC 020
// (sensor off). The O3 channels configured as so2_1/so2_2 are sent as SO2_1
// and SO2_2.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	var spo2, bpm, pi, pvi value
	var so2 [2]value
	var exc uint32 = ExcSETMode
	var t int64
	for i, s := range samples {
		if i == 0 {
			t = s.Time
		}
		var v *value
		switch s.Channel {
		case channel.PatientSpO2:
			v = &spo2
		case channel.PatientHR:
			v = &bpm
		case channel.PatientPI:
			v = &pi
		case channel.PatientPVI:
			v = &pvi
		case d.so2[0]:
			v = &so2[0]
		case d.so2[1]:
			v = &so2[1]
		}
		if v == nil || s.Channel == channel.Invalid {
			return dst, fmt.Errorf("masimo: cannot encode channel %v", s.Channel)
		}
		*v = value{v: s.Value, present: true}
		switch s.Quality {
		case channel.OK, channel.OutOfRange:
		case channel.Questionable:
			exc |= ExcLowPerfusion
		default:
			v.dash = true
			if v == &spo2 || v == &bpm || v == &pi || v == &pvi {
				exc |= ExcSensorOff
			}
		}
	}
	tm := time.Unix(0, t).UTC()
	dst = two(dst, int(tm.Month()))
	dst = append(dst, '/')
	dst = two(dst, tm.Day())
	dst = append(dst, '/')
	dst = two(dst, tm.Year()%100)
	dst = append(dst, ' ')
	dst = two(dst, tm.Hour())
	dst = append(dst, ':')
	dst = two(dst, tm.Minute())
	dst = append(dst, ':')
	dst = two(dst, tm.Second())
	dst = append(dst, " SN=0000000000 SPO2="...)
	var err error
	if dst, err = three(dst, spo2, "%"); err != nil {
		return dst, err
	}
	dst = append(dst, " BPM="...)
	if dst, err = three(dst, bpm, ""); err != nil {
		return dst, err
	}
	dst = append(dst, " PI="...)
	if dst, err = perfusionIndex(dst, pi); err != nil {
		return dst, err
	}
	dst = append(dst, " SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+--"...)
	if pvi.present {
		dst = append(dst, " PVI="...)
		if dst, err = three(dst, pvi, ""); err != nil {
			return dst, err
		}
	}
	for i, v := range so2 {
		if v.present {
			dst = append(dst, " SO2_"...)
			dst = strconv.AppendInt(dst, int64(i+1), 10)
			dst = append(dst, '=')
			if dst, err = three(dst, v, "%"); err != nil {
				return dst, err
			}
		}
	}
	dst = append(dst, " ALARM=0000 EXC="...)
	h := strconv.FormatUint(uint64(exc), 16)
	for range 6 - len(h) {
		dst = append(dst, '0')
	}
	dst = append(dst, toUpper(h)...)
	return append(dst, "\r\n"...), nil
}

func two(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

func three(dst []byte, v value, unit string) ([]byte, error) {
	if !v.present || v.dash {
		return append(append(dst, "---"...), unit...), nil
	}
	r := math.Round(v.v)
	if math.IsNaN(r) || r < 0 || r > 999 {
		return dst, fmt.Errorf("masimo: cannot encode %v in three digits", v.v)
	}
	n := int(r)
	dst = append(dst, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	return append(dst, unit...), nil
}

// perfusionIndex writes PI as the device does, "03.60%", or "--.--%".
func perfusionIndex(dst []byte, v value) ([]byte, error) {
	if !v.present || v.dash {
		return append(dst, "--.--%"...), nil
	}
	r := math.Round(v.v * 100)
	if math.IsNaN(r) || r < 0 || r > 9999 {
		return dst, fmt.Errorf("masimo: cannot encode PI %v as NN.NN", v.v)
	}
	n := int(r)
	dst = append(dst, byte('0'+n/1000), byte('0'+n/100%10), '.', byte('0'+n/10%10), byte('0'+n%10), '%')
	return dst, nil
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

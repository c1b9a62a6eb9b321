package nonin

import (
	"fmt"
	"math"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// AppendFrame appends the lines carrying samples, all of one time, to dst:
// "SPO2=XXX HR=YYY" for SpO2 and pulse rate, and a 7600 line (time of the
// first sample, UTC) for the channels mapped to rSO2 sensors. Values that are
// not OK or out of range are sent as "---" (the pulse line has no way to say
// "questionable"); a questionable rSO2 sets its SIG_QUAL_ALM entry.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	var spo2, hr = value{dash: true}, value{dash: true}
	var pulse bool
	var rso2 [Sensors]value
	var sig [Sensors]bool
	var regional bool
	var t int64
	for i := range rso2 {
		rso2[i].dash = true
	}
	for i, s := range samples {
		if i == 0 {
			t = s.Time
		}
		v := value{v: s.Value, dash: s.Quality != channel.OK && s.Quality != channel.OutOfRange}
		switch s.Channel {
		case channel.PatientSpO2:
			spo2, pulse = v, true
			spo2.dash = s.Quality != channel.OK && s.Quality != channel.OutOfRange
		case channel.PatientHR:
			hr, pulse = v, true
		default:
			k := -1
			for j, id := range d.rso2 {
				if id == s.Channel && id != channel.Invalid {
					k = j
				}
			}
			if k < 0 {
				return dst, fmt.Errorf("nonin: cannot encode channel %v", s.Channel)
			}
			regional = true
			rso2[k] = v
			if s.Quality == channel.Questionable {
				rso2[k].dash, sig[k] = false, true
			}
		}
	}
	var err error
	if pulse {
		dst = append(dst, "SPO2="...)
		if dst, err = appendInt(dst, spo2, '0'); err != nil {
			return dst, err
		}
		dst = append(dst, " HR="...)
		if dst, err = appendInt(dst, hr, '0'); err != nil {
			return dst, err
		}
		dst = append(dst, "\r\n"...)
	}
	if regional {
		dst = append(dst, "Ch1=1 Ch2=1 |"...)
		dst = time.Unix(0, t).UTC().AppendFormat(dst, "2006-01-02T15:04:05")
		dst = append(dst, "|rSO2="...)
		for i, v := range rso2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendInt(dst, v, ' '); err != nil {
				return dst, err
			}
		}
		dst = append(dst, "|HbI=---,---,---,---|AUC=---,---,---,---|REF=---,---,---,---|HI_LIM=---,---,---,---|LOW_LIM=---,---,---,---|ALM=0,0,0,0|SIG_QUAL_ALM="...)
		for i, s := range sig {
			if i > 0 {
				dst = append(dst, ',')
			}
			if s {
				dst = append(dst, '1')
			} else {
				dst = append(dst, '0')
			}
		}
		dst = append(dst, "|\r\n"...)
	}
	return dst, nil
}

// appendInt writes three characters, padded with pad ('0', or ' ' for the
// 7600's blanked leading zeros), or "---".
func appendInt(dst []byte, v value, pad byte) ([]byte, error) {
	if v.dash {
		return append(dst, "---"...), nil
	}
	r := math.Round(v.v)
	if math.IsNaN(r) || r < 0 || r > 999 {
		return dst, fmt.Errorf("nonin: cannot encode %v in three digits", v.v)
	}
	n := int(r)
	b := [3]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)}
	if pad == ' ' {
		for i := 0; i < 2 && b[i] == '0'; i++ {
			b[i] = ' '
		}
	}
	return append(dst, b[:]...), nil
}

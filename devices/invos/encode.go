package invos

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Version is the version field the encoder writes in PC LINK 2 lines:
// major.minor.patch.build/event list version/output format version.
const Version = "1.0.0.0/1/1"

// labels are what the encoder writes as PC LINK 1 channel labels: the
// device's L and R for the cerebral sides, S1 and S2 for somatic sites.
var labels = map[channel.ID]string{
	channel.NIRSLeft: "L", channel.NIRSRight: "R", channel.NIRSSomatic: "S1", channel.NIRSRenal: "S2",
}

// encodeStatus is the status code the encoder writes for a value that is
// present but not ok (questionable or out of range): the first code the
// [status] table does not call ok.
func (d *Driver) encodeStatus() (int, bool) {
	for s := 1; s <= MaxStatus; s++ {
		if d.status[s] == statusQ {
			return s, true
		}
	}
	return 0, false
}

// AppendFrame appends one line in the configured format (PC LINK 1 when
// the format is detected), ended by CR LF, carrying samples (all of one
// time): the time of the first sample as the device's date and time in
// UTC; for each INVOS channel mapped in [channels] its rSO2 rounded to an
// integer (ok samples), or the channel as not active (label 0, rSO2 0,
// sensor 0) when the sample is missing or unavailable, or the value with a
// status the [status] table withholds when it is questionable or out of
// range. In PC LINK 1 the baseline comes from the baseline channel's
// sample (0 when none), the alarm limits are 50 and 90, the AUC 0.
// Unmapped channels are not active. Event codes are 0.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	var rso2, base [Channels]int
	var withheld [Channels]bool
	var t int64
	for k, s := range samples {
		if k == 0 {
			t = s.Time
		}
		i, isBase := d.index(s.Channel)
		if i < 0 || isBase && d.format == PCLink2 {
			return dst, fmt.Errorf("invos: cannot encode channel %v", s.Channel)
		}
		if s.Quality == channel.Unavailable || s.Quality == channel.Stale || math.IsNaN(s.Value) {
			continue
		}
		v := int(math.Round(s.Value))
		if v < MinRSO2 || v > MaxRSO2 {
			if s.Quality == channel.OK {
				return dst, fmt.Errorf("invos: %v = %v is outside the device's %d to %d", s.Channel, s.Value, MinRSO2, MaxRSO2)
			}
			v = min(max(v, MinRSO2), MaxRSO2)
		}
		if isBase {
			if s.Quality == channel.OK {
				base[i] = v
			}
			continue
		}
		rso2[i] = v
		withheld[i] = s.Quality != channel.OK
	}
	status, ok := d.encodeStatus()
	for i := range withheld {
		if withheld[i] && !ok {
			return dst, fmt.Errorf("invos: no status code withholds a value in [status]: cannot encode a questionable value")
		}
	}
	tm := time.Unix(0, t).UTC()
	sep := func(dst []byte) []byte { return append(dst, ' ', ' ') }
	f := d.format
	if f == Auto {
		f = PCLink1
	}
	if f == PCLink2 {
		dst = append(dst, Version...)
		dst = sep(dst)
	}
	dst = tm.AppendFormat(dst, "01/02/06")
	dst = sep(dst)
	dst = tm.AppendFormat(dst, "15:04:05")
	for i := range Channels {
		active := rso2[i] != 0
		st := 0
		if withheld[i] {
			st = status
		}
		if f == PCLink1 {
			dst = sep(dst)
			if active {
				dst = append(dst, labels[d.ids[i]]...)
			} else {
				dst = append(dst, '0')
			}
		}
		dst = sep(dst)
		dst = strconv.AppendInt(dst, int64(rso2[i]), 10)
		dst = append(dst, "  0  "...)
		dst = strconv.AppendInt(dst, int64(st), 10)
		if f == PCLink1 {
			b, ual, lal := 0, 0, 0
			if active {
				b, ual, lal = base[i], 90, 50
			}
			dst = fmt.Appendf(dst, "  %d  0  %d  %d", b, ual, lal)
		}
		dst = append(dst, "  0.0000  0.0000"...)
		if f == PCLink1 {
			dst = append(dst, "  0"...)
		}
		dst = append(dst, "  0  "...)
		if active {
			dst = fmt.Appendf(dst, "SN%012d", i+1)
		} else {
			dst = append(dst, '0')
		}
	}
	return append(dst, '\r', '\n'), nil
}

// index returns the INVOS channel (0 to 3) that carries id, and whether
// id is that channel's baseline; -1 when no channel does.
func (d *Driver) index(id channel.ID) (int, bool) {
	if id == channel.Invalid {
		return -1, false
	}
	for i := range Channels {
		switch id {
		case d.ids[i]:
			return i, false
		case d.bases[i]:
			return i, true
		}
	}
	return -1, false
}

// AppendHistory appends one case-history line (the download format) for
// reading h, its time written in h.Time's location, ended by LF.
func AppendHistory(dst []byte, h History) []byte {
	dst = append(dst, Version...)
	dst = append(dst, "  "...)
	dst = h.Time.AppendFormat(dst, "01/02/06  15:04:05")
	for _, c := range h.Ch {
		dst = fmt.Appendf(dst, "  %d  %d  %d  0", c.RSO2, c.Event, c.Status)
	}
	return append(dst, '\n')
}

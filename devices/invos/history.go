package invos

import (
	"errors"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// The case-history download (operator's manual, "Data Format - Case
// History Downloads"): one line per reading, ended by LF (0x0A), fields
// separated by two spaces:
//
//	Version  Date  Time  Ch1 rSO2  Event  Status  Rsvd  … Ch4 rSO2  Event  Status  Rsvd
//
// Version as in PC LINK 2, Date MM/DD/YY and Time HH:MM:SS in the device's
// local time, rSO2 0 (not active) or 15 to 95, Event 0 to 160 or 252 to
// 254, Status 0 to 19, Rsvd 0.
const (
	historyFields     = 3 + Channels*historyPerChannel
	historyPerChannel = 4
	// MaxHistoryStatus is the highest status code of a case history
	// download (the serial streams go to 21).
	MaxHistoryStatus = 19
)

// HistoryChannel is one channel of a case-history reading.
type HistoryChannel struct {
	RSO2   int // 0: not active
	Event  int // 0: none
	Status int // 0: none
}

// History is one reading of a case-history download.
type History struct {
	// Time is the reading's date and time read in the location given to
	// ParseHistory.
	Time time.Time
	Ch   [Channels]HistoryChannel
}

// HistoryError says which field of a case-history line is wrong.
type HistoryError struct {
	Field string
	Err   error
}

func (e *HistoryError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

func (e *HistoryError) Unwrap() error { return e.Err }

var (
	errHistoryFields = errors.New("not the 19 fields of a case-history line (version, date, time, then rSO2, event, status, reserved for each of 4 channels)")
	errHistoryStatus = errors.New("not a status code 0 to 19")
)

// ParseHistory reads one line of a case-history download (without its line
// end), with the driver's spacing option, and returns the reading with its
// time in loc. A line that does not follow the manual's layout exactly is
// a *HistoryError naming the field.
func (d *Driver) ParseHistory(line []byte, loc *time.Location) (History, error) {
	var h History
	n := d.split(line)
	if n < 0 {
		return h, &HistoryError{Err: errSpacing}
	}
	if n != historyFields {
		return h, &HistoryError{Err: errHistoryFields}
	}
	fs := d.fs[:n]
	if !isVersion(fs[0]) {
		return h, &HistoryError{Field: "Version", Err: errVersion}
	}
	if !isDate(fs[1]) {
		return h, &HistoryError{Field: "Date", Err: errDate}
	}
	if !isTime(fs[2]) {
		return h, &HistoryError{Field: "Time", Err: errTime}
	}
	mo, dd, yy := two(fs[1][0:2]), two(fs[1][3:5]), two(fs[1][6:8])
	h.Time = time.Date(2000+yy, time.Month(mo), dd, two(fs[2][0:2]), two(fs[2][3:5]), two(fs[2][6:8]), 0, loc)
	if h.Time.Day() != dd {
		return h, &HistoryError{Field: "Date", Err: errDate} // 02/31/26 and the like
	}
	fs = fs[3:]
	for i := range Channels {
		c := &h.Ch[i]
		f := fs[i*historyPerChannel : (i+1)*historyPerChannel]
		var ok bool
		if c.RSO2, ok = uintField(f[0], 2); !ok || c.RSO2 != 0 && (c.RSO2 < MinRSO2 || c.RSO2 > MaxRSO2) {
			return h, &HistoryError{Field: channelField(i, "rSO2"), Err: errRSO2}
		}
		if c.Event, ok = uintField(f[1], 3); !ok || c.Event > MaxEvent && (c.Event < 252 || c.Event > 254) {
			return h, &HistoryError{Field: channelField(i, "Event"), Err: errEvent}
		}
		if c.Status, ok = uintField(f[2], 2); !ok || c.Status > MaxHistoryStatus {
			return h, &HistoryError{Field: channelField(i, "Status"), Err: errHistoryStatus}
		}
		if string(f[3]) != "0" {
			return h, &HistoryError{Field: channelField(i, "Rsvd"), Err: errFixed}
		}
	}
	return h, nil
}

// ChannelID returns the vocabulary channel INVOS channel i (0 to 3) is
// mapped to, or channel.Invalid.
func (d *Driver) ChannelID(i int) channel.ID { return d.ids[i] }

// StatusQuality returns the quality status code s gives a value under the
// driver's [status] table: ok, questionable or unavailable ("invalid").
func (d *Driver) StatusQuality(s int) channel.Quality {
	if s < 0 || s > MaxStatus {
		return channel.Questionable
	}
	switch d.status[s] {
	case statusOK:
		return channel.OK
	case statusInvalid:
		return channel.Unavailable
	}
	return channel.Questionable
}

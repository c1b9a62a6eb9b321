package invos

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
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

// HistoryReader reads a case-history download one reading at a time. A
// bad line is returned as a *LineError with its line number and reading
// goes on; nothing is skipped silently (an empty line is reported too). A
// line longer than MaxLine is reported once and skipped without being
// buffered. It is not safe for concurrent use.
type HistoryReader struct {
	d    *Driver
	loc  *time.Location
	br   *bufio.Reader
	line int
	buf  []byte
	err  error
}

// LineError is a bad line of a case-history download.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Err.Error() }

func (e *LineError) Unwrap() error { return e.Err }

var (
	errEmptyLine = errors.New("empty line")
	errLongLine  = errors.New("longer than " + strconv.Itoa(MaxLine) + " bytes")
)

// NewHistoryReader returns a reader of a case-history download whose times
// are in loc, parsed with d's options (spacing).
func (d *Driver) NewHistoryReader(r io.Reader, loc *time.Location) *HistoryReader {
	return &HistoryReader{d: d, loc: loc, br: bufio.NewReaderSize(r, 4096), buf: make([]byte, 0, MaxLine)}
}

// Line returns the number of the line last read.
func (hr *HistoryReader) Line() int { return hr.line }

// Next returns the next reading; a *LineError for a bad line (call Next
// again); io.EOF at the end; or the reader's error.
func (hr *HistoryReader) Next() (History, error) {
	if hr.err != nil {
		return History{}, hr.err
	}
	hr.buf = hr.buf[:0]
	long := false
	for {
		frag, err := hr.br.ReadSlice('\n')
		if len(hr.buf)+len(frag) > MaxLine+2 { // the line, CR, LF
			long = true
		} else {
			hr.buf = append(hr.buf, frag...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			hr.err = err
			if len(hr.buf) == 0 && !long {
				return History{}, err
			}
		}
		break
	}
	hr.line++
	if long {
		return History{}, &LineError{Line: hr.line, Err: errLongLine}
	}
	line := bytes.TrimSuffix(bytes.TrimSuffix(hr.buf, []byte("\n")), []byte("\r"))
	if len(line) == 0 {
		return History{}, &LineError{Line: hr.line, Err: errEmptyLine}
	}
	h, err := hr.d.ParseHistory(line, hr.loc)
	if err != nil {
		return History{}, &LineError{Line: hr.line, Err: err}
	}
	return h, nil
}

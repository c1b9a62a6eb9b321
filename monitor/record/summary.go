package record

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Summary is what `pumpside cases` shows of a case file.
type Summary struct {
	// Case is the case tag of the first line that has one.
	Case string
	// Start and End are the earliest and latest times of any line, Unix ns
	// (0 when the file has no good line).
	Start, End int64
	// Lines counts good lines; Samples channel values; Events, Alarms and
	// Bookmarks lines of those measurements; BadLines lines that do not
	// follow the format.
	Lines, Samples, Events, Alarms, Bookmarks, BadLines int
}

// Duration is End − Start.
func (s *Summary) Duration() time.Duration { return time.Duration(s.End - s.Start) }

// Summarize reads a whole case file. Bad lines are counted (and passed to
// onBad if it is not nil); the error is an I/O error only.
func Summarize(r io.Reader, onBad func(*LineError)) (Summary, error) {
	var s Summary
	rd := NewReader(r)
	rd.OnBadLine = onBad
	var buf []ChannelSample
	for rd.Next() {
		e := rd.Entry()
		s.Lines++
		if s.Start == 0 || e.Time < s.Start {
			s.Start = e.Time
		}
		s.End = max(s.End, e.Time)
		if s.Case == "" {
			s.Case = e.Tag(TagCase)
		}
		switch e.Kind() {
		case KindSamples:
			buf = e.Samples(buf[:0])
			s.Samples += len(buf)
		case KindEvent:
			s.Events++
		case KindAlarm:
			s.Alarms++
		case KindBookmark:
			s.Bookmarks++
		}
	}
	s.BadLines = rd.BadLines
	return s, rd.Err()
}

// unknownFreshness is how long a value of a channel outside the built-in
// vocabulary counts as current in an export.
const unknownFreshness = 30 * time.Second

// ExportCSV writes one row per second of case time, from the second of the
// first sample to that of the last: column time (RFC 3339, UTC), then one
// column per channel of the file (vocabulary order, then others by name).
// A cell holds the channel's latest sample at or before the row's time when
// it is ok: its quality ok, inside the channel's plausible range, and
// younger than the channel's freshness limit (30 s for channels outside the
// vocabulary); otherwise it is empty. Bad lines go to onBad. It reads the
// whole file into memory first (samples need not be in time order).
// Values are as stored, under the channels' names.
func ExportCSV(w io.Writer, r io.Reader, onBad func(*LineError)) (rows int, err error) {
	return ExportCSVDisplay(w, r, onBad, nil)
}

// ColumnDisplay is how ExportCSVDisplay shows a channel's column: under
// Header, each value as stored × Factor with Precision decimals. Factor 0
// is the channel's name and the value as stored, exactly.
type ColumnDisplay struct {
	Header    string
	Factor    float64
	Precision int
}

// ExportCSVDisplay is ExportCSV with the columns display says (nil: as
// ExportCSV): a site's display units, for a table a person reads
// (monitor/site; the stored values keep the channel's unit). The ok test
// of a value (plausible range, freshness) is on the stored value.
func ExportCSVDisplay(w io.Writer, r io.Reader, onBad func(*LineError), display func(channel string) ColumnDisplay) (rows int, err error) {
	type smp struct {
		t  int64
		v  float64
		ch int32
		q  channel.Quality
	}
	var (
		names []string
		index = map[string]int32{}
		all   []smp
		buf   []ChannelSample
	)
	rd := NewReader(r)
	rd.OnBadLine = onBad
	for rd.Next() {
		buf = rd.Entry().Samples(buf[:0])
		for _, s := range buf {
			i, ok := index[s.Channel]
			if !ok {
				i = int32(len(names))
				index[s.Channel] = i
				names = append(names, s.Channel)
			}
			all = append(all, smp{s.Time, s.Value, i, s.Quality})
		}
	}
	if err := rd.Err(); err != nil {
		return 0, err
	}
	if len(all) == 0 {
		return 0, fmt.Errorf("%w: no samples", ErrFormat)
	}
	// Columns: vocabulary order, then the rest by name.
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	rank := func(n string) (int, string) {
		if id, ok := channel.Lookup(n); ok {
			return int(id), ""
		}
		return math.MaxInt, n
	}
	sort.Slice(order, func(a, b int) bool {
		ra, na := rank(names[order[a]])
		rb, nb := rank(names[order[b]])
		if ra != rb {
			return ra < rb
		}
		return na < nb
	})
	chans := make([]*channel.Channel, len(names))
	fresh := make([]int64, len(names))
	for i, n := range names {
		if id, ok := channel.Lookup(n); ok {
			chans[i] = channel.Get(id)
			fresh[i] = int64(chans[i].Freshness)
		} else {
			fresh[i] = int64(unknownFreshness)
		}
	}
	slices.SortStableFunc(all, func(a, b smp) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
	disp := make([]ColumnDisplay, len(names))
	for i, n := range names {
		if display != nil {
			disp[i] = display(n)
		}
		if disp[i].Factor == 0 {
			disp[i].Header = n
		}
	}
	var line []byte
	line = append(line, "time"...)
	for _, i := range order {
		line = append(line, ',')
		line = append(line, csvField(disp[i].Header)...)
	}
	line = append(line, '\n')
	if _, err := w.Write(line); err != nil {
		return 0, err
	}
	latest := make([]smp, len(names))
	have := make([]bool, len(names))
	first := floorSec(all[0].t)
	last := floorSec(all[len(all)-1].t)
	next := 0
	for sec := first; sec <= last; sec++ {
		now := sec * int64(time.Second)
		for next < len(all) && all[next].t <= now {
			s := all[next]
			latest[s.ch], have[s.ch] = s, true
			next++
		}
		line = time.Unix(sec, 0).UTC().AppendFormat(line[:0], time.RFC3339)
		for _, i := range order {
			line = append(line, ',')
			s := latest[i]
			if !have[i] || s.q != channel.OK || math.IsNaN(s.v) || math.IsInf(s.v, 0) {
				continue
			}
			if c := chans[i]; c != nil && !c.InRange(s.v) {
				continue
			}
			if fresh[i] > 0 && now-s.t > fresh[i] {
				continue
			}
			if d := &disp[i]; d.Factor != 0 {
				line = strconv.AppendFloat(line, s.v*d.Factor, 'f', d.Precision, 64)
			} else {
				line = strconv.AppendFloat(line, s.v, 'g', -1, 64)
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return rows, err
		}
		rows++
	}
	return rows, nil
}

func floorSec(t int64) int64 {
	s := t / int64(time.Second)
	if t < 0 && t%int64(time.Second) != 0 {
		s--
	}
	return s
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

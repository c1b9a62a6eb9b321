package report

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/record"
)

// ErrEmpty is returned by Load for a case file without a single good line.
var ErrEmpty = errors.New("report: case file has no usable line")

// Point is one recorded value of a channel. V is NaN when the value was
// not usable (quality not ok, outside the channel's plausible range, or no
// number): it ends the previous value, it is never shown.
type Point struct {
	T int64 // Unix ns
	V float64
}

// Event is an event of the case file as its edits leave it
// (docs/format/case.md, "Entry identity and edits"), or an edit line
// itself (Kind "edit", kept for the audit trail).
type Event struct {
	// T is the event's current time (after edits).
	T          int64
	Kind, Text string
	Who        string
	Num        map[string]float64
	Str        map[string]string
	// ID is the event's identity: its time as first written.
	ID int64
	// Edited: an edit line changed it.
	Edited bool
}

// Alarm is an alarm transition of the case file.
type Alarm struct {
	T                      int64
	Alarm, Priority, State string
	Reason                 string
	Value, Limit           float64 // NaN when absent
}

// Meta is the case metadata (the last line of measurement case wins, field
// by field).
type Meta struct {
	HeightCm, WeightKg, AgeYears float64 // NaN when unknown
	Sex                          string
	BSAFormula                   string
	DO2iThreshold                float64 // NaN when the file does not say
	// Mode is the run's recorded mode (record.Meta.Mode): record.ModeECMO
	// for a long run, "" for a bypass case.
	Mode string
	// Identifiers are the ident_* fields without the prefix.
	Identifiers map[string]string
}

// Case is a case file read into memory. Built by Load, read-only after.
type Case struct {
	// ID is the case tag (pseudonymous by the format, but still an
	// identifier of the record: outputs show it only with Identify).
	ID         string
	Start, End int64 // earliest and latest line, Unix ns
	Meta       Meta
	// Series holds every channel's points by channel name, in time order.
	Series map[string][]Point
	// Events are the events at their current values and times (edits
	// applied, voided events left out), with the edit lines themselves
	// (kind edit, at the time they were made), in time order.
	Events []Event
	// Voided are the events an edit struck out, as they stood; never
	// counted.
	Voided []Event
	// EditProblems are edit lines that could not be applied (unreadable,
	// or no event has their target): listed as missing record items.
	EditProblems []string
	Alarms       []Alarm // time order
	// AlarmLog says where Alarms come from: the file's alarm lines, none
	// (a file without any: its alarm figures are not recorded), or
	// computed from its samples as replay computes them (SetComputedAlarms).
	AlarmLog AlarmLog
	// BadLines counts lines that did not follow the format.
	BadLines int
	// computedChecks are the in-line monitor checks a replay computed
	// (SetComputedInlineChecks), for a file that records none.
	computedChecks []qc.Check
	checksComputed bool
}

// AlarmLog is where a case's alarm transitions come from.
type AlarmLog uint8

// The sources of a case's alarms.
const (
	// AlarmLogNone: the file has no alarm line, and none were computed.
	AlarmLogNone AlarmLog = iota
	// AlarmLogRecorded: the file's own alarm lines.
	AlarmLogRecorded
	// AlarmLogComputed: computed from the samples, as replay does.
	AlarmLogComputed
)

// SetComputedAlarms gives a case whose file holds no alarm line the
// transitions a replay of its samples raised (time order).
func (c *Case) SetComputedAlarms(as []Alarm) {
	c.Alarms = as
	c.AlarmLog = AlarmLogComputed
}

// Load reads a whole case file. Bad lines are passed to onBad (if not nil)
// and skipped; the error is an I/O error, or ErrEmpty when no line was good.
func Load(r io.Reader, onBad func(*record.LineError)) (*Case, error) {
	c := &Case{
		Series: make(map[string][]Point),
		Meta:   Meta{HeightCm: math.NaN(), WeightKg: math.NaN(), AgeYears: math.NaN(), DO2iThreshold: math.NaN(), Identifiers: map[string]string{}},
	}
	rd := record.NewReader(r)
	rd.OnBadLine = onBad
	var samples, opGas []record.ChannelSample
	good := 0
	meta := record.NewMeta()
	for rd.Next() {
		e := rd.Entry()
		good++
		if c.Start == 0 || e.Time < c.Start {
			c.Start = e.Time
		}
		c.End = max(c.End, e.Time)
		if c.ID == "" {
			c.ID = e.Tag(record.TagCase)
		}
		switch e.Kind() {
		case record.KindMeta:
			for _, err := range meta.Apply(e) {
				if onBad != nil {
					onBad(&record.LineError{Line: rd.Line(), Err: err})
				}
			}
			c.Meta.apply(e, &meta)
		case record.KindEvent:
			c.Events = append(c.Events, newEvent(e))
		case record.KindAlarm:
			c.Alarms = append(c.Alarms, Alarm{T: e.Time, Alarm: e.Tag(record.TagAlarm), Priority: e.Str("priority"),
				State: e.Str("state"), Reason: e.Str("reason"), Value: e.Num("value"), Limit: e.Num("limit")})
		case record.KindSamples:
			samples = e.Samples(samples[:0])
			for _, s := range samples {
				if manualGas(s) {
					opGas = append(opGas, s) // placed once the entries are known
					continue
				}
				c.Series[s.Channel] = append(c.Series[s.Channel], Point{T: s.Time, V: usable(s)})
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	c.BadLines = rd.BadLines
	if good == 0 {
		return nil, ErrEmpty
	}
	if len(c.Alarms) > 0 {
		c.AlarmLog = AlarmLogRecorded
	}
	c.applyEdits()
	c.placeManualGases(opGas)
	for k, s := range c.Series {
		if !slices.IsSortedFunc(s, func(a, b Point) int { return cmpInt(a.T, b.T) }) {
			slices.SortStableFunc(s, func(a, b Point) int { return cmpInt(a.T, b.T) })
			c.Series[k] = s
		}
	}
	slices.SortStableFunc(c.Events, func(a, b Event) int { return cmpInt(a.T, b.T) })
	slices.SortStableFunc(c.Alarms, func(a, b Alarm) int { return cmpInt(a.T, b.T) })
	return c, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// usable returns the sample's value when the pipeline would use it: quality
// ok and inside the channel's plausible range (channel vocabulary); NaN
// otherwise.
func usable(s record.ChannelSample) float64 {
	if s.Quality != channel.OK || math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
		return math.NaN()
	}
	if id, ok := channel.Lookup(s.Channel); ok && !channel.Get(id).InRange(s.Value) {
		return math.NaN()
	}
	return s.Value
}

// apply takes the fields e holds from rm, the metadata as record.Meta.Apply
// read it (sizes in range, sex normalised to female/male/unknown), so that
// the report and replay read a line the same way.
func (m *Meta) apply(e *record.Entry, rm *record.Meta) {
	m.HeightCm, m.WeightKg, m.AgeYears, m.Sex = rm.HeightCm, rm.WeightKg, rm.AgeYears, rm.Sex
	m.Identifiers = rm.Identifiers
	if _, ok := e.Field("bsa_formula"); ok {
		m.BSAFormula = rm.Constants.BSAFormula.String()
	}
	if _, ok := e.Field("do2i_threshold"); ok {
		m.DO2iThreshold = rm.Constants.DO2iThreshold
	}
	if rm.Mode != "" {
		m.Mode = rm.Mode
	}
}

func newEvent(e *record.Entry) Event {
	ev := Event{T: e.Time, ID: e.Time, Kind: e.Tag(record.TagKind), Text: e.Str("text"), Who: e.Str("who")}
	for _, f := range e.Fields {
		k := string(f.Key)
		switch k {
		case "text", "who":
			continue
		}
		if f.Value.Kind() == lineprotocol.String {
			if ev.Str == nil {
				ev.Str = map[string]string{}
			}
			ev.Str[k] = f.Value.StringV()
		} else if v := e.Num(k); !math.IsNaN(v) {
			if ev.Num == nil {
				ev.Num = map[string]float64{}
			}
			ev.Num[k] = v
		}
	}
	return ev
}

// BSA returns the case's body surface area in m²: the last usable recorded
// derived.bsa, else computed from the metadata's height and weight with its
// formula (physio.BSA, DuBois by default); NaN when unknown.
func (c *Case) BSA() float64 {
	s := c.Series["derived.bsa"]
	for i := len(s) - 1; i >= 0; i-- {
		if !math.IsNaN(s[i].V) {
			return s[i].V
		}
	}
	f, err := physio.ParseBSAFormula(c.Meta.BSAFormula)
	if err != nil {
		f = physio.DuBois
	}
	if math.IsNaN(c.Meta.HeightCm) || math.IsNaN(c.Meta.WeightKg) {
		return math.NaN()
	}
	return physio.BSA(f, c.Meta.HeightCm, c.Meta.WeightKg)
}

// identifierStrings are the strings outputs must not contain without
// Identify: the identifier values and the case tag.
func (c *Case) identifierStrings() []string {
	out := slices.Collect(maps.Values(c.Meta.Identifiers))
	if c.ID != "" {
		out = append(out, c.ID)
	}
	return out
}

// applyEdits replaces c.Events by the events as their edits leave them
// (entry.Resolve), keeping the edit lines for the audit trail.
func (c *Case) applyEdits() {
	hasEdit := false
	for i := range c.Events {
		hasEdit = hasEdit || c.Events[i].Kind == entry.KindEdit
	}
	if !hasEdit {
		return
	}
	all := make([]entry.Entry, len(c.Events))
	var edits []Event
	for i, e := range c.Events {
		all[i] = entry.Entry{Kind: e.Kind, Time: e.T, Text: e.Text, Who: e.Who, Num: e.Num, Str: e.Str}
		if e.Kind == entry.KindEdit {
			edits = append(edits, e)
		}
	}
	cur, problems := entry.Resolve(all)
	for _, p := range problems {
		c.EditProblems = append(c.EditProblems, p.Error())
	}
	c.Events = c.Events[:0]
	for _, r := range cur {
		ev := Event{T: r.Time, ID: r.ID, Kind: r.Kind, Text: r.Text, Who: r.Who, Num: r.Num, Str: r.Str, Edited: r.Edited}
		if r.Void {
			c.Voided = append(c.Voided, ev)
			continue
		}
		c.Events = append(c.Events, ev)
	}
	c.Events = append(c.Events, edits...)
}

// manualGas reports whether s is a result the operator entered by hand on
// an arterial or venous panel (pumpside event add --kind blood_gas, the
// console's blood gas entry): its blood_gas entry decides it.
func manualGas(s record.ChannelSample) bool {
	return s.Source == "operator" && (strings.HasPrefix(s.Channel, channel.PanelArterial+".") || strings.HasPrefix(s.Channel, channel.PanelVenous+"."))
}

// placeManualGases puts the operator's blood gas results on their series
// as their entries stand: the results of a blood_gas entry (the samples at
// its identity, its first time) follow its edits (values, sample, time)
// and a voided entry's count for nothing, as for every other entry. A
// result without such an entry (a specimen assignment's) stays as written.
func (c *Case) placeManualGases(opGas []record.ChannelSample) {
	if len(opGas) == 0 {
		return
	}
	type gas struct {
		e    Event
		void bool
	}
	byID := map[int64]gas{}
	for _, e := range c.Events {
		if e.Kind == entry.KindBloodGas && len(e.Num) > 0 {
			byID[e.ID] = gas{e: e}
		}
	}
	for _, e := range c.Voided {
		if e.Kind == entry.KindBloodGas && len(e.Num) > 0 {
			byID[e.ID] = gas{e: e, void: true}
		}
	}
	placed := map[int64]bool{}
	for _, s := range opGas {
		g, ok := byID[s.Time]
		if !ok {
			c.Series[s.Channel] = append(c.Series[s.Channel], Point{T: s.Time, V: usable(s)})
			continue
		}
		if g.void || placed[s.Time] {
			continue
		}
		placed[s.Time] = true
		en := entry.Entry{Kind: g.e.Kind, Time: g.e.T, Num: g.e.Num, Str: g.e.Str}
		for _, r := range entry.BloodGasResults(en) {
			ch := channel.Get(r.Channel)
			v := r.Value
			if !ch.InRange(v) {
				v = math.NaN()
			}
			c.Series[ch.Name] = append(c.Series[ch.Name], Point{T: g.e.T, V: v})
		}
	}
}

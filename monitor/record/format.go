package record

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// The measurements of a case file that are not channel groups
// (docs/format/case.md). No channel group may use these names.
const (
	MeasurementCase     = "case"
	MeasurementEvent    = "event"
	MeasurementAlarm    = "alarm"
	MeasurementBookmark = "bookmark"
)

// Tag keys.
const (
	TagCase   = "case"
	TagSource = "source"
	TagKind   = "kind"
	TagAlarm  = "alarm"
)

// QualitySuffix ends the name of the field that carries a channel's quality
// when it is not ok: pump.flow out of range is the field flow_q="out_of_range"
// of measurement pump, next to flow when the value is a finite number.
const QualitySuffix = "_q"

// IdentPrefix starts the field names of patient identifiers in the case
// measurement (ident_name, ident_hospital_number, ...). They are never tags;
// the shipper strips them before anything leaves the machine.
const IdentPrefix = "ident_"

// DerivedSource is the source tag of derived values computed by Pumpside.
const DerivedSource = "pumpside"

// The event kinds Pumpside writes. A case file may hold others: readers keep
// unknown kinds as they are.
const (
	KindOnBypass     = "on_bypass"
	KindOffBypass    = "off_bypass"
	KindClampOn      = "clamp_on"
	KindClampOff     = "clamp_off"
	KindCardioplegia = "cardioplegia"
	KindArrestStart  = "arrest_start"
	KindArrestEnd    = "arrest_end"
	KindDrug         = "drug"
	KindFluid        = "fluid"
	KindBloodProduct = "blood_product"
	KindACT          = "act"
	KindBloodGas     = "blood_gas"
	KindNote         = "note"
	KindArtifact     = "artifact"
	KindLimitChange  = "limit_change"
	// KindRecordingGap marks samples the recorder had to drop (queue or
	// backlog full): the file says where it is incomplete.
	KindRecordingGap = "recording_gap"
)

// ErrFormat is wrapped by every error about a case file's content.
var ErrFormat = errors.New("record: case file format")

// Meta is the case metadata: one line of measurement case, written when
// the case starts and again whenever it changes (the last line wins).
type Meta struct {
	// Time is when the metadata took effect, Unix ns.
	Time int64
	// HeightCm, WeightKg, AgeYears: NaN when unknown (then left out).
	HeightCm, WeightKg, AgeYears float64
	// Sex is "female", "male" or "" (unknown; left out).
	Sex string
	// Constants are the formula constants in force.
	Constants physio.Constants
	// Identifiers are patient identifiers by name without the prefix
	// (name, hospital_number, ...): written as ident_<key> fields, never as
	// tags, and stripped by the shipper.
	Identifiers map[string]string
	// Extra holds further numeric fields by key.
	Extra map[string]float64
	// Mode is the run's mode (`pumpside run --mode`): ModeECMO for a long
	// run, "" (left out) for a bypass case. A replay of a run reads it to
	// use the mode's alarm profile and display (docs/ecmo.md).
	Mode string
}

// ModeECMO is Meta.Mode of a long run (ECMO, ECCO2R).
const ModeECMO = "ecmo"

// Field is one extra field of an event: a number or a string.
type Field struct {
	Key   string
	Num   float64
	Str   string
	IsStr bool
}

// Num returns a numeric field.
func Num(key string, v float64) Field { return Field{Key: key, Num: v} }

// Str returns a string field.
func Str(key, v string) Field { return Field{Key: key, Str: v, IsStr: true} }

// Event is a line of measurement event: something that happened in the
// case, with a free text and structured fields.
type Event struct {
	Time   int64 // Unix ns
	Kind   string
	Text   string
	Fields []Field
}

// Bookmark is a teaching note on the case timeline: measurement bookmark.
// Bookmarks never alter recorded data.
type Bookmark struct {
	Time   int64
	Text   string
	Author string
}

// encodeSample appends one sample line. Allocation-free: every string comes
// from the writer's tables and quality values are prebuilt.
func encodeSample(e *lineprotocol.Encoder, group, field, fieldQ, caseID, source string, t int64, v float64, q channel.Quality) {
	e.StartLine(group)
	e.AddTag(TagCase, caseID)
	e.AddTag(TagSource, source)
	finite := !math.IsNaN(v) && !math.IsInf(v, 0)
	if finite {
		fv, _ := lineprotocol.FloatValue(v)
		e.AddField(field, fv)
	}
	if q != channel.OK || !finite {
		if q == channel.OK {
			q = channel.Unavailable // a non-number is never ok
		}
		e.AddField(fieldQ, qualityValue(q))
	}
	e.EndLine(time.Unix(0, t))
}

var qualityValues = func() []lineprotocol.Value {
	var vs []lineprotocol.Value
	for q := channel.OK; q <= channel.Stale; q++ {
		vs = append(vs, lineprotocol.MustNewValue(q.String()))
	}
	return vs
}()

func qualityValue(q channel.Quality) lineprotocol.Value {
	if int(q) < len(qualityValues) {
		return qualityValues[q]
	}
	return qualityValues[channel.Questionable]
}

func strValue(s string) lineprotocol.Value {
	v, ok := lineprotocol.StringValue(s)
	if !ok {
		v, _ = lineprotocol.StringValue(strings.ToValidUTF8(s, "\uFFFD"))
	}
	return v
}

func addNum(e *lineprotocol.Encoder, key string, v float64) {
	if fv, ok := lineprotocol.FloatValue(v); ok {
		e.AddField(key, fv)
	}
}

func encodeMeta(e *lineprotocol.Encoder, caseID string, m *Meta) {
	e.StartLine(MeasurementCase)
	e.AddTag(TagCase, caseID)
	addNum(e, "height_cm", m.HeightCm)
	addNum(e, "weight_kg", m.WeightKg)
	addNum(e, "age_years", m.AgeYears)
	if m.Sex != "" {
		e.AddField("sex", strValue(m.Sex))
	}
	c := &m.Constants
	e.AddField("bsa_formula", strValue(c.BSAFormula.String()))
	addNum(e, "hufner", c.Hufner)
	addNum(e, "o2_solubility", c.O2Solubility)
	addNum(e, "vco2_factor", c.VCO2Factor)
	addNum(e, "svr_factor", c.SVRFactor)
	addNum(e, "bv_ml_per_kg", c.BloodVolumeMLPerKg)
	e.AddField("bv_formula", strValue(c.BloodVolumeFormula.String()))
	addNum(e, "protamine_mg_per_100iu", c.ProtamineMgPer100IU)
	addNum(e, "heparin_iu_per_kg", c.HeparinIUPerKg)
	addNum(e, "do2i_threshold", c.DO2iThreshold)
	if m.Mode != "" {
		e.AddField("mode", strValue(m.Mode))
	}
	for _, k := range sortedKeys(m.Extra) {
		addNum(e, k, m.Extra[k])
	}
	for _, k := range sortedKeys(m.Identifiers) {
		e.AddField(IdentPrefix+k, strValue(m.Identifiers[k]))
	}
	e.EndLine(time.Unix(0, m.Time))
}

func encodeEvent(e *lineprotocol.Encoder, caseID string, t int64, ev *Event) {
	e.StartLine(MeasurementEvent)
	e.AddTag(TagCase, caseID)
	e.AddTag(TagKind, ev.Kind)
	e.AddField("text", strValue(ev.Text))
	for _, f := range ev.Fields {
		if f.Key == "text" {
			continue
		}
		if f.IsStr {
			e.AddField(f.Key, strValue(f.Str))
		} else {
			addNum(e, f.Key, f.Num)
		}
	}
	e.EndLine(time.Unix(0, t))
}

func encodeAlarm(e *lineprotocol.Encoder, caseID string, t int64, en *alarms.Entry) {
	e.StartLine(MeasurementAlarm)
	e.AddTag(TagAlarm, en.Alarm)
	e.AddTag(TagCase, caseID)
	e.AddField("priority", strValue(en.Priority.String()))
	e.AddField("state", strValue(en.State.TransitionName()))
	addNum(e, "value", en.Value)
	addNum(e, "limit", en.Limit)
	e.AddField("reason", strValue(en.Reason.String()))
	e.EndLine(time.Unix(0, t))
}

// limitEvent is a limit or baseline change of the alarm log as an event.
func limitEvent(en *alarms.Entry) *Event {
	ev := &Event{Time: en.Time, Kind: KindLimitChange, Fields: []Field{Str("alarm", en.Alarm), Str("reason", en.Reason.String())}}
	add := func(k string, v float64) {
		if !math.IsNaN(v) {
			ev.Fields = append(ev.Fields, Num(k, v))
		}
	}
	add("limit", en.Limits.Limit)
	add("low", en.Limits.Low)
	add("high", en.Limits.High)
	add("previous_limit", en.Previous.Limit)
	add("previous_low", en.Previous.Low)
	add("previous_high", en.Previous.High)
	add("baseline", en.Baseline)
	add("previous_baseline", en.PrevBaseline)
	ev.Text = fmt.Sprintf("%s: %s", en.Alarm, en.Reason)
	return ev
}

// BookmarkLine returns b as the line a case file holds for it (measurement
// bookmark, tag case), for stores other than the file: InfluxDB, when a
// case is replayed from there.
func BookmarkLine(caseID string, b Bookmark) ([]byte, error) {
	if b.Time < minTime {
		return nil, fmt.Errorf("%w: bookmark time %d", ErrInvalid, b.Time)
	}
	var e lineprotocol.Encoder
	e.SetPrecision(lineprotocol.Nanosecond)
	encodeBookmark(&e, caseID, b.Time, &b)
	if err := e.Err(); err != nil {
		return nil, fmt.Errorf("%w: bookmark: %w", ErrInvalid, err)
	}
	return e.Bytes(), nil
}

func encodeBookmark(e *lineprotocol.Encoder, caseID string, t int64, b *Bookmark) {
	e.StartLine(MeasurementBookmark)
	e.AddTag(TagCase, caseID)
	e.AddField("text", strValue(b.Text))
	if b.Author != "" {
		e.AddField("author", strValue(b.Author))
	}
	e.EndLine(time.Unix(0, t))
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ { // tiny maps: insertion sort
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

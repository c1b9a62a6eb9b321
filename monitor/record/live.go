package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// MeasurementLive is the console's live state (docs/format/case.md, "Live
// state"): what the department view shows besides the samples.
const MeasurementLive = "live"

// TagTheatre names the theatre on live lines: a name from the site's
// configuration, never a patient identifier.
const TagTheatre = "theatre"

// MaxLiveAlarms bounds the alarms listed on one live line (the highest
// first); Live.AlarmCount still counts them all.
const MaxLiveAlarms = 16

// maxTheatre bounds a theatre name, in bytes.
const maxTheatre = 40

// Live is one live-state line: the phase of the case, its timers, and the
// alarms the console shows, highest priority first. Every line carries
// every field, so that the newest line alone is the whole state.
type Live struct {
	// Time is when the console's state was this, Unix ns.
	Time int64
	// Theatre is the tag theatre; "" leaves it out (no name configured).
	Theatre string
	// Phase is the phase's name ("pre_bypass", "bypass", "arrest",
	// "off_bypass", "unknown", or any a later console knows); PhaseText
	// how to show it ("On bypass, clamp on"), so that a reader that does
	// not know a phase still shows it right.
	Phase, PhaseText string
	// Clamp: the aorta is cross-clamped.
	Clamp bool
	// Case is the time since the case started; Bypass, ClampTime and
	// Arrest the total times on bypass, cross-clamped and in circulatory
	// arrest so far.
	Case, Bypass, ClampTime, Arrest time.Duration
	// DO2iThreshold is the DO2i target in force, mL/min/m²; NaN when
	// unknown (then left out).
	DO2iThreshold float64
	// Alarms are the alarms shown on the console (active, audio paused,
	// acknowledged; not pending), highest first, at most MaxLiveAlarms;
	// AlarmCount is how many there are in all.
	Alarms     []LiveAlarm
	AlarmCount int
}

// LiveAlarm is one alarm of a live line, as JSON inside its alarms field.
type LiveAlarm struct {
	// ID is the alarm's id ("map_low", "device_lost/sim.inline").
	ID string `json:"id"`
	// Priority is "high", "medium" or "low".
	Priority string `json:"priority"`
	// State is "active", "audio_paused" or "acknowledged".
	State string `json:"state"`
	// Latched: the condition has ended but the alarm stays until it is
	// acknowledged.
	Latched bool `json:"latched,omitempty"`
	// Technical: a technical alarm (device, data, recording), not the
	// patient's.
	Technical bool `json:"technical,omitempty"`
	// Text is the alarm's message as the console shows it.
	Text string `json:"text"`
	// Since is when it became active, Unix ns.
	Since int64 `json:"since"`
}

// Highest returns the priority of the first alarm, "none" when there is
// none: the field highest.
func (l *Live) Highest() string {
	if len(l.Alarms) == 0 {
		return "none"
	}
	return l.Alarms[0].Priority
}

// theatreDigits is the fewest digits in a theatre name that look like a
// patient's number: a hospital number, an NHS number (10, often spaced
// 3-3-4), a date of birth (8). A theatre is "OR 3" or "Theatre 12".
const theatreDigits = 6

// CheckTheatre reports whether name can be a theatre tag: printable, at
// most 40 bytes, no leading or trailing space, and fewer than 6 digits in
// all, so that a patient's number or date of birth typed in its place is
// refused. (Whether it names a patient, no program can tell: the site's
// configuration must not.)
func CheckTheatre(name string) error {
	digits := 0
	for _, r := range name {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	switch {
	case name == "":
		return nil
	case len(name) > maxTheatre:
		return fmt.Errorf("%w: theatre name %q is over %d bytes", ErrInvalid, name, maxTheatre)
	case !validTagValue(name) || strings.TrimSpace(name) != name || strings.ContainsAny(name, "\"\\"):
		return fmt.Errorf("%w: theatre name %q (want printable text, no quotes, backslashes or outer spaces)", ErrInvalid, name)
	case digits >= theatreDigits:
		return fmt.Errorf("%w: theatre name %q has %d digits, like a hospital or NHS number or a date of birth: name the theatre, never a patient", ErrInvalid, name, digits)
	}
	return nil
}

// PublishLive queues a live-state line. It never blocks; a full queue
// drops it (ErrQueueFull): the next one, seconds later, carries the whole
// state again.
func (w *Writer) PublishLive(l Live) error {
	if l.Time < minTime {
		return fmt.Errorf("%w: live time %d", ErrInvalid, l.Time)
	}
	if err := CheckTheatre(l.Theatre); err != nil {
		return err
	}
	if !validKey(l.Phase) {
		return fmt.Errorf("%w: phase %q", ErrInvalid, l.Phase)
	}
	l.Alarms = append([]LiveAlarm(nil), l.Alarms[:min(len(l.Alarms), MaxLiveAlarms)]...)
	l.AlarmCount = max(l.AlarmCount, len(l.Alarms))
	return w.put(item{kind: itemLive, live: &l})
}

func encodeLive(e *lineprotocol.Encoder, caseID string, l *Live) {
	e.StartLine(MeasurementLive)
	e.AddTag(TagCase, caseID)
	if l.Theatre != "" {
		e.AddTag(TagTheatre, l.Theatre)
	}
	e.AddField("phase", strValue(l.Phase))
	e.AddField("phase_text", strValue(l.PhaseText))
	e.AddField("clamp", lineprotocol.BoolValue(l.Clamp))
	addNum(e, "case_s", l.Case.Seconds())
	addNum(e, "bypass_s", l.Bypass.Seconds())
	addNum(e, "clamp_s", l.ClampTime.Seconds())
	addNum(e, "arrest_s", l.Arrest.Seconds())
	if !math.IsNaN(l.DO2iThreshold) {
		addNum(e, "do2i_threshold", l.DO2iThreshold)
	}
	e.AddField("highest", strValue(l.Highest()))
	e.AddField("alarm_count", lineprotocol.IntValue(int64(l.AlarmCount)))
	e.AddField("alarms", strValue(EncodeLiveAlarms(l.Alarms)))
	e.EndLine(time.Unix(0, l.Time))
}

// EncodeLiveAlarms returns the alarms field: a JSON array ("[]" when
// empty).
func EncodeLiveAlarms(as []LiveAlarm) string {
	if len(as) == 0 {
		return "[]"
	}
	b, err := json.Marshal(as)
	if err != nil { // strings and numbers only: cannot happen
		return "[]"
	}
	return string(b)
}

// maxLiveAlarmsField bounds the alarms field a reader decodes.
const maxLiveAlarmsField = 64 << 10

// ParseLiveAlarms decodes an alarms field. It refuses more than 64 KiB,
// anything but an array of alarm objects, and an alarm without an id or
// with a priority other than high, medium or low; it keeps at most
// MaxLiveAlarms.
func ParseLiveAlarms(s string) ([]LiveAlarm, error) {
	if len(s) > maxLiveAlarmsField {
		return nil, fmt.Errorf("%w: live alarms field of %d bytes", ErrFormat, len(s))
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: live alarms field is not UTF-8", ErrFormat)
	}
	var as []LiveAlarm
	if err := json.Unmarshal([]byte(s), &as); err != nil {
		return nil, fmt.Errorf("%w: live alarms field: %w", ErrFormat, err)
	}
	for i, a := range as {
		switch {
		case a.ID == "":
			return nil, fmt.Errorf("%w: live alarm %d has no id", ErrFormat, i+1)
		case a.Priority != "high" && a.Priority != "medium" && a.Priority != "low":
			return nil, fmt.Errorf("%w: live alarm %s: priority %q", ErrFormat, a.ID, a.Priority)
		}
	}
	return as[:min(len(as), MaxLiveAlarms)], nil
}

var errLivePhase = errors.New("live without a phase string field")

// Live decodes a live line (Kind KindLive).
func (e *Entry) Live() (Live, error) {
	if e.Kind() != KindLive {
		return Live{}, fmt.Errorf("%w: line %d is not a live line", ErrFormat, e.Line)
	}
	l := Live{Time: e.Time, Theatre: e.Tag(TagTheatre), Phase: e.Str("phase"), PhaseText: e.Str("phase_text"),
		DO2iThreshold: e.Num("do2i_threshold")}
	if v, ok := e.Field("clamp"); ok && v.Kind() == lineprotocol.Bool {
		l.Clamp = v.BoolV()
	}
	secs := func(k string) time.Duration {
		if v := e.Num(k); !math.IsNaN(v) {
			return time.Duration(v * float64(time.Second))
		}
		return 0
	}
	l.Case, l.Bypass, l.ClampTime, l.Arrest = secs("case_s"), secs("bypass_s"), secs("clamp_s"), secs("arrest_s")
	as, err := ParseLiveAlarms(e.Str("alarms"))
	if err != nil {
		return l, fmt.Errorf("line %d: %w", e.Line, err)
	}
	l.Alarms = as
	l.AlarmCount = len(as)
	if n := e.Num("alarm_count"); n > float64(len(as)) && n < 1e6 {
		l.AlarmCount = int(n)
	}
	return l, nil
}

// checkLive applies the format's rules to a live line.
func (e *Entry) checkLive() error {
	if v, ok := e.Field("phase"); !ok || v.Kind() != lineprotocol.String {
		return errLivePhase
	}
	if v, ok := e.Field("alarms"); ok {
		if v.Kind() != lineprotocol.String {
			return errors.New("live alarms field is not a string")
		}
		if _, err := ParseLiveAlarms(v.StringV()); err != nil {
			return err
		}
	}
	return nil
}

package entry

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/record"
)

// Entry is one entry of the perfusion record: an event line of the case
// file with its structured fields.
type Entry struct {
	Kind string
	// Time is when it happened, Unix ns on the case clock. As written to
	// the case file it is also the entry's identity (its ID).
	Time int64
	// Text is the human-readable line; Event makes one when empty.
	Text string
	// Who entered it.
	Who string
	// Num and Str are the structured fields by key (KindSpec.Fields).
	Num map[string]float64
	Str map[string]string
}

// SetNum sets a numeric field and returns e, for chaining.
func (e *Entry) SetNum(key string, v float64) *Entry {
	if e.Num == nil {
		e.Num = map[string]float64{}
	}
	e.Num[key] = v
	return e
}

// SetStr sets a string field and returns e, for chaining.
func (e *Entry) SetStr(key, v string) *Entry {
	if e.Str == nil {
		e.Str = map[string]string{}
	}
	e.Str[key] = v
	return e
}

// Clone returns a copy that shares no map with e.
func (e Entry) Clone() Entry {
	c := e
	c.Num, c.Str = nil, nil
	for k, v := range e.Num {
		c.SetNum(k, v)
	}
	for k, v := range e.Str {
		c.SetStr(k, v)
	}
	return c
}

// ErrInvalid is wrapped by every refusal of Validate.
var ErrInvalid = errors.New("entry: invalid")

// FieldError is a refusal: which field of which kind, the value given,
// why, and what is allowed. Its message is one line for the operator.
type FieldError struct {
	Kind, Field string
	// Value is the value as given, with its unit; empty when missing.
	Value string
	// Reason says what is wrong ("is required", "is outside the range").
	Reason string
	// Allowed is the allowed range or values; empty if not one.
	Allowed string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	b.WriteByte(' ')
	b.WriteString(e.Field)
	if e.Value != "" {
		b.WriteByte(' ')
		b.WriteString(e.Value)
	}
	b.WriteByte(' ')
	b.WriteString(e.Reason)
	if e.Allowed != "" {
		b.WriteString("; allowed: ")
		b.WriteString(e.Allowed)
	}
	return b.String()
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

// DefaultSkew is how far in the future an entry's time may be: the clocks
// of the console and whoever types differ a little.
const DefaultSkew = time.Minute

// maxText bounds a text or string field (bytes).
const maxText = 1000

// Model validates entries against a formulary. The zero Model uses the
// default formulary and DefaultSkew. Read-only once built.
type Model struct {
	Formulary *Formulary
	// Skew is how far after now an entry's time may be.
	Skew time.Duration
	// Zone is the theatre's time zone for the times in messages; nil: UTC.
	Zone *time.Location
}

var defaultModel = Model{Formulary: DefaultFormulary()}

// Validate checks e with the default formulary: see Model.Validate.
func Validate(e Entry, caseStart, now int64) error { return defaultModel.Validate(e, caseStart, now) }

func (m *Model) formulary() *Formulary {
	if m.Formulary == nil {
		return defaultModel.Formulary
	}
	return m.Formulary
}

func (m *Model) skew() int64 {
	if m.Skew <= 0 {
		return int64(DefaultSkew)
	}
	return int64(m.Skew)
}

// FormatTime formats a Unix ns time as the messages show it (RFC 3339,
// UTC, to the second unless it has a fraction).
func FormatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// FormatTimeIn formats a Unix ns time in loc as RFC 3339 with the zone's
// offset (to the second unless it has a fraction), the abbreviation after
// it: "2026-03-01T09:10:00+01:00 CET". In UTC (or a nil loc) it is
// FormatTime's: the Z says the zone.
func FormatTimeIn(ns int64, loc *time.Location) string {
	if loc == nil {
		return FormatTime(ns)
	}
	t := time.Unix(0, ns).In(loc)
	abbr := t.Format("MST")
	if abbr == "UTC" {
		return FormatTime(ns)
	}
	return t.Format(time.RFC3339Nano) + " " + abbr
}

// FormatTime formats a time for the model's messages: in its Zone when
// set, else UTC (see FormatTime).
func (m *Model) FormatTime(ns int64) string {
	if m.Zone == nil {
		return FormatTime(ns)
	}
	return FormatTimeIn(ns, m.Zone)
}

func num(v float64, unit string) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if unit != "" && unit != "ns" {
		s += " " + unit
	}
	return s
}

func rangeText(lo, hi float64, unit string) string {
	return num(lo, "") + "–" + num(hi, unit)
}

// Validate returns nil if e can be recorded, else a *FieldError (wrapping
// ErrInvalid) for the first problem: an unknown kind, a time before
// caseStart (Unix ns; 0: unknown, not checked) or more than the skew after
// now, a missing required field, an unknown field, a number that is not
// finite or outside its range (for a drug's dose: the formulary's range
// for that drug and unit), a string not among its choices, text that is
// not printable UTF-8. Run Normalize first to accept the usual spellings
// of units and choices.
func (m *Model) Validate(e Entry, caseStart, now int64) error {
	if _, ok := Spec(e.Kind); !ok {
		return unknownKind(e.Kind)
	}
	if err := m.checkTime(e.Kind, "time", e.Time, caseStart, now); err != nil {
		return err
	}
	if err := m.ValidateFields(e); err != nil {
		return err
	}
	if e.Kind == KindArtifact {
		end := int64(e.Num["end"])
		if end <= e.Time {
			return &FieldError{Kind: e.Kind, Field: "end", Value: m.FormatTime(end), Reason: "is not after the start " + m.FormatTime(e.Time),
				Allowed: "after the start, up to " + m.FormatTime(now+m.skew())}
		}
		return m.checkTime(e.Kind, "end", end, caseStart, now)
	}
	return nil
}

// ValidateFields is Validate without the times: the fields, text and who
// of an entry of a known kind.
func (m *Model) ValidateFields(e Entry) error { return m.validateFields(e, false) }

// ValidatePartial checks the fields an entry has, as ValidateFields does,
// but requires none: a site preset's entries, which the operator completes
// (a lot number, who signs), are checked with it.
func (m *Model) ValidatePartial(e Entry) error { return m.validateFields(e, true) }

func (m *Model) validateFields(e Entry, partial bool) error {
	spec, ok := Spec(e.Kind)
	if !ok {
		return unknownKind(e.Kind)
	}
	if err := checkString(e.Kind, "text", e.Text, 0); err != nil {
		return err
	}
	if err := checkString(e.Kind, "who", e.Who, 0); err != nil {
		return err
	}
	if spec.TextRequired && strings.TrimSpace(e.Text) == "" && !partial {
		return &FieldError{Kind: e.Kind, Field: "text", Reason: "is required"}
	}
	for _, k := range sortedKeys(e.Num) {
		f, ok := spec.Field(k)
		if !ok || f.Str {
			return unknownField(spec, k, "number")
		}
	}
	for _, k := range sortedKeys(e.Str) {
		f, ok := spec.Field(k)
		if !ok || !f.Str {
			return unknownField(spec, k, "string")
		}
	}
	for _, f := range spec.Fields {
		if f.Str {
			v, has := e.Str[f.Key]
			if !has || v == "" {
				if f.Required && !partial {
					return &FieldError{Kind: e.Kind, Field: f.Key, Reason: "is required", Allowed: strings.Join(f.Choices, ", ")}
				}
				continue
			}
			if err := checkString(e.Kind, f.Key, v, f.MaxLen); err != nil {
				return err
			}
			if f.MaxLen > 0 && len(v) > f.MaxLen {
				return &FieldError{Kind: e.Kind, Field: f.Key, Value: strconv.Quote(v), Reason: fmt.Sprintf("is %d bytes long", len(v)),
					Allowed: fmt.Sprintf("printable text up to %d bytes", f.MaxLen)}
			}
			if len(f.Choices) > 0 && !slices.Contains(f.Choices, v) {
				return &FieldError{Kind: e.Kind, Field: f.Key, Value: strconv.Quote(v), Reason: "is not allowed", Allowed: strings.Join(f.Choices, ", ")}
			}
			continue
		}
		v, has := e.Num[f.Key]
		if !has {
			if f.Required && !partial {
				return &FieldError{Kind: e.Kind, Field: f.Key, Reason: "is required", Allowed: allowedNum(f)}
			}
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &FieldError{Kind: e.Kind, Field: f.Key, Value: num(v, ""), Reason: "is not a number", Allowed: allowedNum(f)}
		}
		if (f.Min != 0 || f.Max != 0) && (v < f.Min || v > f.Max) {
			return &FieldError{Kind: e.Kind, Field: f.Key, Value: num(v, f.Unit), Reason: "is outside the range", Allowed: allowedNum(f)}
		}
	}
	if partial {
		if _, dosed := e.Num["dose"]; e.Kind == KindDrug && dosed && e.Str["name"] != "" && e.Str["unit"] != "" {
			return m.checkDrug(e)
		}
		return nil
	}
	switch e.Kind {
	case KindDrug:
		if v, ok := e.Num["suggested_dose"]; ok && v < 0 {
			return &FieldError{Kind: e.Kind, Field: "suggested_dose", Value: num(v, e.Str["unit"]), Reason: "is negative", Allowed: "≥ 0"}
		}
		return m.checkDrug(e)
	case KindCardioplegia:
		if r := e.Str["ratio"]; r != "" {
			if _, _, err := physio.ParsePlegiaRatio(r); err != nil {
				return &FieldError{Kind: e.Kind, Field: "ratio", Value: strconv.Quote(r), Reason: "is not a ratio", Allowed: "blood:crystalloid, e.g. 4:1, 1:4, 0:1"}
			}
		}
		vol, hasVol := e.Num["volume_ml"]
		for _, k := range [...]string{"crystalloid_ml", "discarded_ml"} {
			if v, ok := e.Num[k]; ok && hasVol && v > vol {
				return &FieldError{Kind: e.Kind, Field: k, Value: num(v, "mL"), Reason: "is more than the dose", Allowed: "≤ volume_ml " + num(vol, "mL")}
			}
		}
	case KindBloodGas:
		return checkBloodGas(e)
	case KindTeam:
		if len(e.Str) == 0 {
			return &FieldError{Kind: e.Kind, Field: "surgeon", Reason: "is required (at least one name)", Allowed: "surgeon, anaesthetist, perfusionist, trainee, assistant, supervisor"}
		}
	case KindECMOConfig:
		return checkECMOConfig(e)
	case KindCircuit:
		if len(e.Str) == 0 && len(e.Num) == 0 {
			return &FieldError{Kind: e.Kind, Field: "hlm", Reason: "is required (at least one field)", Allowed: "hlm, heater_cooler, venous_drainage, rap_ml"}
		}
	}
	return nil
}

func unknownKind(kind string) error {
	names := make([]string, len(kindSpecs))
	for i, k := range kindSpecs {
		names[i] = k.Kind
	}
	return &FieldError{Kind: "entry", Field: "kind", Value: strconv.Quote(kind), Reason: "is not an entry kind", Allowed: strings.Join(names, ", ")}
}

func allowedNum(f FieldSpec) string {
	if f.Min == 0 && f.Max == 0 {
		return "a finite number"
	}
	return rangeText(f.Min, f.Max, f.Unit)
}

func unknownField(spec *KindSpec, key, what string) error {
	var keys []string
	for _, f := range spec.Fields {
		t := "number"
		if f.Str {
			t = "string"
		}
		keys = append(keys, f.Key+" ("+t+")")
	}
	allowed := strings.Join(keys, ", ")
	if allowed == "" {
		allowed = "no fields"
	}
	reason := "is not a field of " + spec.Kind
	if _, ok := spec.Field(key); ok {
		reason = "must not be a " + what
	}
	return &FieldError{Kind: spec.Kind, Field: key, Reason: reason, Allowed: allowed}
}

func (m *Model) checkTime(kind, field string, t, caseStart, now int64) error {
	late := now + m.skew()
	allowed := "up to " + m.FormatTime(late)
	if caseStart > 0 {
		allowed = m.FormatTime(caseStart) + " (case start) to " + m.FormatTime(late) + " (now + " + time.Duration(m.skew()).String() + ")"
	}
	switch {
	case t < int64(time.Second):
		return &FieldError{Kind: kind, Field: field, Reason: "is missing", Allowed: allowed}
	case caseStart > 0 && t < caseStart:
		return &FieldError{Kind: kind, Field: field, Value: m.FormatTime(t), Reason: "is before the case start", Allowed: allowed}
	case t > late:
		return &FieldError{Kind: kind, Field: field, Value: m.FormatTime(t), Reason: "is in the future", Allowed: allowed}
	}
	return nil
}

// checkString refuses text that is not printable UTF-8 or longer than the
// general limit. limit is the field's own bound in bytes (0: the general
// one): the refusal names the bound of the field refused, not the general
// one (a lot's 40 bytes).
func checkString(kind, field, s string, limit int) error {
	bad := ""
	switch {
	case len(s) > maxText:
		bad = fmt.Sprintf("is %d bytes long", len(s))
	case !utf8.ValidString(s):
		bad = "is not UTF-8"
	default:
		for _, r := range s {
			if r < 0x20 || r == 0x7f || r == utf8.RuneError {
				bad = "has a control character"
				break
			}
		}
	}
	if bad == "" {
		return nil
	}
	if limit <= 0 {
		limit = maxText
	}
	return &FieldError{Kind: kind, Field: field, Reason: bad, Allowed: fmt.Sprintf("printable text up to %d bytes", limit)}
}

func (m *Model) checkDrug(e Entry) error {
	name, unit, dose := e.Str["name"], e.Str["unit"], e.Num["dose"]
	f := m.formulary()
	d, known := f.Lookup(name)
	if !known {
		if f.Strict {
			return &FieldError{Kind: e.Kind, Field: "name", Value: strconv.Quote(name), Reason: "is not in the formulary"}
		}
		if !(dose > 0) {
			return &FieldError{Kind: e.Kind, Field: "dose", Value: num(dose, unit), Reason: "is not positive", Allowed: "> 0 " + unit}
		}
		return nil
	}
	r, ok := d.Range(unit)
	if !ok {
		return &FieldError{Kind: e.Kind, Field: "unit", Value: strconv.Quote(unit), Reason: "is not a unit of " + d.Name, Allowed: strings.Join(d.Units(), ", ")}
	}
	if dose < r.Min || dose > r.Max {
		return &FieldError{Kind: e.Kind, Field: "dose", Value: num(dose, unit), Reason: "is outside the range for " + d.Name, Allowed: rangeText(r.Min, r.Max, unit)}
	}
	return nil
}

// Normalize rewrites the usual spellings into the case file's: dose units
// (mcg -> µg, units -> IU), lower-case choices, a drug's name as the
// formulary spells it, trimmed strings.
func (m *Model) Normalize(e *Entry) {
	e.Text, e.Who = strings.TrimSpace(e.Text), strings.TrimSpace(e.Who)
	spec, _ := Spec(e.Kind)
	for k, v := range e.Str {
		v = strings.TrimSpace(v)
		if spec != nil {
			if f, ok := spec.Field(k); ok && len(f.Choices) > 0 && k != "unit" {
				v = strings.ToLower(v)
			}
		}
		e.Str[k] = v
	}
	if e.Kind == KindBloodProduct {
		if p, ok := productAliases[e.Str["product"]]; ok {
			e.Str["product"] = p
		}
	}
	if e.Kind == KindCardioplegia {
		// The crystalloid share from the ratio, stored with the entry.
		_, has := e.Num["crystalloid_ml"]
		if b, c, err := physio.ParsePlegiaRatio(e.Str["ratio"]); err == nil && !has {
			if v, ok := e.Num["volume_ml"]; ok {
				e.SetNum("crystalloid_ml", math.Round(physio.CrystalloidShare(v, b, c)))
			}
		}
	}
	if e.Kind != KindDrug {
		return
	}
	if u, ok := NormalizeUnit(e.Str["unit"]); ok {
		e.Str["unit"] = u
	}
	if d, ok := m.formulary().Lookup(e.Str["name"]); ok {
		e.Str["name"] = d.Name
	}
}

var productAliases = map[string]string{
	"rbc": "red_cells", "prbc": "red_cells", "red cells": "red_cells", "packed red cells": "red_cells",
	"plasma": "ffp", "fresh frozen plasma": "ffp", "plt": "platelets", "cryo": "cryoprecipitate",
	"whole blood": "whole_blood",
}

// Normalize normalizes with the default formulary.
func Normalize(e *Entry) { defaultModel.Normalize(e) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Summary is the entry's human-readable line as Event writes it when Text
// is empty: the kind's label and its fields ("Drug heparin 30000 IU iv").
func (e Entry) Summary() string {
	spec, ok := Spec(e.Kind)
	if !ok {
		return e.Kind
	}
	parts := []string{spec.Label}
	for _, f := range spec.Fields {
		if f.Key == "end" || f.Key == "suggested_dose" {
			continue
		}
		if f.Str {
			if v := e.Str[f.Key]; v != "" {
				parts = append(parts, v)
			}
		} else if v, ok := e.Num[f.Key]; ok {
			u := f.Unit
			if f.Key == "dose" {
				u = e.Str["unit"]
			}
			if e.Kind == KindBloodGas {
				// Results side by side need their names: "K+ 4.6 mmol/L".
				parts = append(parts, analyteLabel(f.Key))
			}
			parts = append(parts, num(v, u))
		}
	}
	if e.Kind == KindDrug && len(parts) > 3 { // "Drug heparin 30000 IU IU": unit shown with the dose
		parts = slices.DeleteFunc(parts, func(p string) bool { return p == e.Str["unit"] })
	}
	return strings.Join(parts, " ")
}

// Event returns the case file line of e: its fields in the kind's order
// (then any others by key), who last, the text made by Summary if empty.
func (e Entry) Event() record.Event {
	ev := record.Event{Time: e.Time, Kind: e.Kind, Text: e.Text}
	if ev.Text == "" {
		ev.Text = e.Summary()
	}
	ev.Fields = appendFields(ev.Fields, e)
	if e.Who != "" {
		ev.Fields = append(ev.Fields, record.Str("who", e.Who))
	}
	return ev
}

func appendFields(dst []record.Field, e Entry) []record.Field {
	done := map[string]bool{}
	if spec, ok := Spec(e.Kind); ok {
		for _, f := range spec.Fields {
			if v, ok := e.Str[f.Key]; ok && f.Str {
				dst = append(dst, record.Str(f.Key, v))
				done[f.Key] = true
			} else if v, ok := e.Num[f.Key]; ok && !f.Str {
				dst = append(dst, record.Num(f.Key, v))
				done[f.Key] = true
			}
		}
	}
	for _, k := range sortedKeys(e.Str) {
		if !done[k] {
			dst = append(dst, record.Str(k, e.Str[k]))
		}
	}
	for _, k := range sortedKeys(e.Num) {
		if !done[k] {
			dst = append(dst, record.Num(k, e.Num[k]))
		}
	}
	return dst
}

// FromRecord returns the entry of an event line read from a case file.
func FromRecord(r *record.Entry) Entry {
	e := Entry{Kind: r.Tag(record.TagKind), Time: r.Time, Text: r.Str("text"), Who: r.Str("who")}
	for _, f := range r.Fields {
		k := string(f.Key)
		switch k {
		case "text", "who":
			continue
		}
		if f.Value.Kind() == lineprotocol.String {
			e.SetStr(k, f.Value.StringV())
			continue
		}
		if v := r.Num(k); !math.IsNaN(v) {
			e.SetNum(k, v)
		} else if v, ok := r.Field(k); ok {
			e.SetStr(k, v.String())
		}
	}
	return e
}

// checkECMOConfig refuses a configuration that cannot be: a venous mode
// returning into an artery or an arterial one into a vein, a dual-lumen
// cannula at one end only, a second return outside vav.
func checkECMOConfig(e Entry) error {
	mode, dr, rt, rt2 := e.Str["mode"], e.Str["drainage"], e.Str["return"], e.Str["return2"]
	bad := func(field, reason, allowed string) error {
		return &FieldError{Kind: e.Kind, Field: field, Value: strconv.Quote(e.Str[field]), Reason: reason, Allowed: allowed}
	}
	switch {
	case rt != "" && mode == "vv" && ecmoArterialReturn(rt):
		return bad("return", "is arterial in a veno-venous run", "a vein: femoral_vein, jugular_vein, dual_lumen_jugular")
	case rt != "" && mode != "vv" && !ecmoArterialReturn(rt):
		return bad("return", "is venous in a veno-arterial run", "an artery: femoral_artery, axillary_artery, aorta")
	case (dr == "dual_lumen_jugular") != (rt == "dual_lumen_jugular") && dr != "" && rt != "":
		return bad("return", "does not match the drainage: a dual-lumen cannula drains and returns", "dual_lumen_jugular at both ends")
	case rt2 != "" && mode != "vav":
		return bad("return2", "is only for vav", "no second return in "+mode)
	case rt2 != "" && ecmoArterialReturn(rt2):
		return bad("return2", "is arterial: the second return of vav is venous", "femoral_vein, jugular_vein")
	}
	return nil
}

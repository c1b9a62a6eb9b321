package entry

import (
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/physio"
)

// ParseText reads the structured fields of a kind from a line typed in
// one box, as the console's event entry gives it: numbers with their
// units ("30000 IU", "1000 mL", "4 °C", "480 s"), words that are a
// field's choices ("iv", "antegrade", "crystalloid") and the other words
// as the kind's name field (the drug, the solution, the fluid, the
// channel). "Heparin 30000 IU iv" is drug heparin, dose 30000, unit IU,
// route iv. The entry's Text is the line itself; Time is not set. A bare
// number is the kind's required number (an ACT's seconds), a drug's dose
// or a volume. A kind without fields (a note, on bypass) keeps the line as
// its text only. The error (a *FieldError on field text) is a number with
// no place in the kind; a missing or impossible value is left to
// Validate, which names the field.
func ParseText(kind, text string) (Entry, error) {
	e := Entry{Kind: kind, Text: strings.TrimSpace(text)}
	spec, ok := Spec(kind)
	if !ok || len(spec.Fields) == 0 {
		return e, nil
	}
	var words []string
	toks := strings.Fields(text)
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		n, unit, isNum := splitNumber(tok)
		if !isNum {
			if f, ok := choiceField(spec, tok); ok {
				e.SetStr(f, strings.ToLower(tok))
				continue
			}
			if _, ok := spec.Field("ratio"); ok && strings.Contains(tok, ":") {
				// "blood 4:1": the ratio, and part of the solution's name.
				if _, _, err := physio.ParsePlegiaRatio(tok); err == nil {
					e.SetStr("ratio", tok)
				}
			}
			words = append(words, tok)
			continue
		}
		if unit == "" && i+1 < len(toks) && isUnit(toks[i+1]) {
			unit = toks[i+1]
			i++
		}
		if !placeNumber(&e, spec, n, unit) {
			allowed := []string{}
			for _, f := range spec.Fields {
				if !f.Str {
					allowed = append(allowed, f.Key+" ("+f.Unit+")")
				}
			}
			return e, &FieldError{Kind: kind, Field: "text", Value: strconv.Quote(strings.TrimSpace(tok + " " + unit)),
				Reason: "has a number " + kind + " has no field for", Allowed: strings.Join(allowed, ", ")}
		}
	}
	if len(words) > 0 {
		for _, f := range spec.Fields {
			if f.Str && len(f.Choices) == 0 && f.Key != "unit_number" {
				if _, set := e.Str[f.Key]; !set {
					e.SetStr(f.Key, strings.Join(words, " "))
				}
				break
			}
		}
	}
	return e, nil
}

// splitNumber splits "30000", "30000IU", "4°C" into the number and a
// glued unit.
func splitNumber(tok string) (float64, string, bool) {
	end := 0
	for end < len(tok) && (tok[end] >= '0' && tok[end] <= '9' || tok[end] == '.' || (end == 0 && (tok[end] == '-' || tok[end] == '+'))) {
		end++
	}
	if end == 0 {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(tok[:end], 64)
	if err != nil {
		return 0, "", false
	}
	unit := tok[end:]
	if unit != "" && !isUnit(unit) {
		return 0, "", false
	}
	return v, unit, true
}

func isUnit(s string) bool {
	if _, ok := NormalizeUnit(s); ok {
		return true
	}
	switch strings.ToLower(s) {
	case "°c", "c", "°", "s", "sec", "ml", "g/dl", "mmhg", "mmol/l":
		return true
	}
	return false
}

func placeNumber(e *Entry, spec *KindSpec, n float64, unit string) bool {
	u := strings.ToLower(unit)
	has := func(key string) bool { _, ok := spec.Field(key); return ok }
	switch {
	case (u == "°c" || u == "c" || u == "°") && has("temp_c"):
		e.SetNum("temp_c", n)
	case (u == "s" || u == "sec") && has("seconds"):
		e.SetNum("seconds", n)
	case spec.Kind == KindDrug && (u != "" || e.Num["dose"] == 0):
		e.SetNum("dose", n)
		if u != "" {
			nu, _ := NormalizeUnit(unit)
			e.SetStr("unit", nu)
		}
	case (u == "ml" || u == "") && has("volume_ml"):
		e.SetNum("volume_ml", n)
	case u == "":
		for _, f := range spec.Fields {
			if !f.Str && f.Required {
				e.SetNum(f.Key, n)
				return true
			}
		}
		return false
	default:
		// The one field of that unit not yet set ("24 %" is an
		// in-line recalibration's Hct, "8.1 g/dL" its Hb).
		for _, f := range spec.Fields {
			if _, set := e.Num[f.Key]; !f.Str && !set && strings.EqualFold(f.Unit, unit) {
				e.SetNum(f.Key, n)
				return true
			}
		}
		return false
	}
	return true
}

func choiceField(spec *KindSpec, tok string) (string, bool) {
	t := strings.ToLower(tok)
	if _, ok := productAliases[t]; ok && spec.Kind == KindBloodProduct {
		return "product", true
	}
	for _, f := range spec.Fields {
		if f.Key == "unit" {
			continue
		}
		for _, c := range f.Choices {
			if c == t {
				return f.Key, true
			}
		}
	}
	return "", false
}

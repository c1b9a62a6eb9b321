package analyte

import (
	"bytes"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Conversion turns a value in a device's unit into a channel's unit:
// v*Scale + Offset.
type Conversion struct {
	Scale, Offset float64
}

// Identity is the conversion of a value already in the channel's unit.
var Identity = Conversion{Scale: 1}

// Apply converts v from the device's unit to the channel's.
func (c Conversion) Apply(v float64) float64 { return v*c.Scale + c.Offset }

// Invert converts v from the channel's unit back to the device's, for
// encoders.
func (c Conversion) Invert(v float64) float64 { return (v - c.Offset) / c.Scale }

// Factors of the conversions that are not exact powers of ten. Sources:
// 1 kPa = 7.50062 mmHg (101.325 kPa = 760 mmHg); molar masses of glucose
// 180.16 g/mol, lactate 90.08 g/mol and calcium 40.08 g/mol, so that
// mg/dL ÷ (M/10) = mmol/L; haemoglobin as the iron monomer, 16.114 g/mmol,
// so that 1 mmol/L = 1.6114 g/dL (the convention of Dutch and Scandinavian
// laboratories that report Hb in mmol/L).
const (
	KPaToMmHg        = 7.50062
	GlucoseMgPerMmol = 18.016
	LactateMgPerMmol = 9.008
	CalciumMgPerMmol = 4.008
	HbGPerDLPerMmol  = 1.6114
)

// units lists the spellings of each unit Convert knows, canonical name
// first. Matching ignores ASCII case and surrounding spaces.
var units = [...][]string{
	{"mmHg", "mm Hg", "mm[Hg]", "torr"},
	{"kPa"},
	{"pH", "[pH]"},
	{"%", "percent", "pct"},
	{"fraction", "1", "{fraction}", "L/L", "ratio"},
	{"g/dL", "gm/dL", "g/100mL"},
	{"g/L"},
	{"mmol/L", "mM", "mmol"},
	{"mEq/L", "meq/L"},
	{"mg/dL", "mg/100mL"},
	{"°C", "C", "Cel", "degC", "deg C", "℃"},
	{"°F", "F", "degF", "[degF]", "deg F", "℉"},
	{"L/min", "LPM", "l/min"},
	{"mL/min"},
	{"rpm", "r/min", "{rpm}"},
	{"/min", "1/min", "bpm", "{beats}/min"},
	{"mL"},
	{"L"},
	{"s", "sec", "seconds"},
	{"m²", "m2"},
}

// byLower maps each spelling of units, in ASCII lower case, to its
// canonical one.
var byLower = func() map[string]string {
	m := map[string]string{}
	for _, spellings := range units {
		for _, s := range spellings {
			m[strings.ToLower(s)] = spellings[0]
		}
	}
	return m
}()

// canonical returns the canonical spelling of unit, or "" when it is not
// one Convert knows. It does not allocate.
func canonical(unit []byte) string {
	unit = bytes.TrimSpace(unit)
	var buf [24]byte
	if len(unit) > len(buf) {
		return ""
	}
	for i, c := range unit {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return byLower[string(buf[:len(unit)])]
}

// Convert returns the conversion of a value written in unit into the unit
// of channel id. An empty unit is taken to be the channel's own. The
// conversions are: kPa → mmHg; fraction (also "1", "L/L") → %; g/L → g/dL;
// mEq/L → mmol/L (halved for ionised calcium, a divalent ion); °F → °C;
// mL/min → L/min; L → mL; and for single analytes, named by the channel's
// field: glucose, lactate and ionised calcium mg/dL → mmol/L, haemoglobin
// mmol/L → g/dL. ok is false when there is no conversion: the caller must
// not guess. Convert does not allocate.
func Convert(id channel.ID, unit []byte) (c Conversion, ok bool) {
	if !id.Valid() {
		return Conversion{}, false
	}
	ch := channel.Get(id)
	unit = bytes.TrimSpace(unit)
	if len(unit) == 0 || bytes.EqualFold(unit, []byte(ch.Unit)) {
		return Identity, true
	}
	from, to := canonical(unit), canonical([]byte(ch.Unit))
	if from == "" || to == "" {
		return Conversion{}, false
	}
	if from == to {
		return Identity, true
	}
	_, field, _ := strings.Cut(ch.Name, ".")
	switch {
	case field == "glucose" && from == "mg/dL" && to == "mmol/L":
		return Conversion{Scale: 1 / GlucoseMgPerMmol}, true
	case field == "lactate" && from == "mg/dL" && to == "mmol/L":
		return Conversion{Scale: 1 / LactateMgPerMmol}, true
	case field == "ica" && from == "mg/dL" && to == "mmol/L":
		return Conversion{Scale: 1 / CalciumMgPerMmol}, true
	case field == "ica" && from == "mEq/L" && to == "mmol/L":
		return Conversion{Scale: 0.5}, true
	case field == "hb" && from == "mmol/L" && to == "g/dL":
		return Conversion{Scale: HbGPerDLPerMmol}, true
	case from == "mEq/L" && to == "mmol/L":
		return Identity, true
	case from == "kPa" && to == "mmHg":
		return Conversion{Scale: KPaToMmHg}, true
	case from == "fraction" && to == "%":
		return Conversion{Scale: 100}, true
	case from == "g/L" && to == "g/dL":
		return Conversion{Scale: 0.1}, true
	case from == "°F" && to == "°C":
		return Conversion{Scale: 5.0 / 9, Offset: -32 * 5.0 / 9}, true
	case from == "mL/min" && to == "L/min":
		return Conversion{Scale: 0.001}, true
	case from == "L" && to == "mL":
		return Conversion{Scale: 1000}, true
	}
	return Conversion{}, false
}

// ConvertString is Convert for a unit given as a string, for configs.
func ConvertString(id channel.ID, unit string) (Conversion, bool) {
	return Convert(id, []byte(unit))
}

// KnownUnit reports whether unit is one of the spellings Convert knows
// (empty is not). Drivers of formats without a checksum use it to refuse a
// unit damaged in transit rather than report "cannot be converted" for it.
func KnownUnit(unit []byte) bool { return canonical(unit) != "" }

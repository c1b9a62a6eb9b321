package record

import (
	"fmt"
	"math"
	"strings"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/monitor/physio"
)

// NewMeta returns metadata with nothing known: sizes NaN, the default
// constants, no identifiers.
func NewMeta() Meta {
	return Meta{HeightCm: math.NaN(), WeightKg: math.NaN(), AgeYears: math.NaN(),
		Constants: physio.DefaultConstants(), Identifiers: map[string]string{}}
}

// Apply reads a line of measurement case into m, field by field, so that
// applied in file order the last line wins for each field (docs/format/
// case.md). Fields the line leaves out keep their value. It returns what it
// could not take, without failing: a sex it does not know (taken as
// unknown), a constant out of its range or an unknown BSA formula (the
// earlier value kept). Those are for the reader's report on bad lines.
func (m *Meta) Apply(e *Entry) []error {
	if e.Kind() != KindMeta {
		return nil
	}
	if m.Identifiers == nil {
		m.Identifiers = map[string]string{}
	}
	var problems []error
	m.Time = e.Time
	num := func(key string, dst *float64, lo, hi float64) {
		v := e.Num(key)
		switch {
		case math.IsNaN(v):
			problems = append(problems, fmt.Errorf("%w: case metadata %s is not a number", ErrFormat, key))
		case v < lo || v > hi:
			problems = append(problems, fmt.Errorf("%w: case metadata %s=%g is outside %g–%g: ignored", ErrFormat, key, v, lo, hi))
		default:
			*dst = v
		}
	}
	c := &m.Constants
	for _, f := range e.Fields {
		k := string(f.Key)
		if id, ok := strings.CutPrefix(k, IdentPrefix); ok {
			if f.Value.Kind() == lineprotocol.String {
				m.Identifiers[id] = f.Value.StringV()
			}
			continue
		}
		switch k {
		case "height_cm":
			num(k, &m.HeightCm, 30, 250)
		case "weight_kg":
			num(k, &m.WeightKg, 1, 350)
		case "age_years":
			num(k, &m.AgeYears, 0, 130)
		case "sex":
			s, ok := ParseSex(e.Str(k))
			if !ok {
				problems = append(problems, fmt.Errorf("%w: case metadata sex %q is not a sex code this reader knows (female, male, F, M, U, unknown): taken as unknown", ErrFormat, e.Str(k)))
			}
			m.Sex = s
		case "bsa_formula":
			bf, err := physio.ParseBSAFormula(e.Str(k))
			if err != nil {
				problems = append(problems, fmt.Errorf("%w: case metadata: %w", ErrFormat, err))
				continue
			}
			c.BSAFormula = bf
		case "hufner":
			num(k, &c.Hufner, 1.2, 1.45)
		case "o2_solubility":
			num(k, &c.O2Solubility, 0.002, 0.004)
		case "vco2_factor":
			num(k, &c.VCO2Factor, 1, 2)
		case "svr_factor":
			num(k, &c.SVRFactor, 70, 90)
		case "bv_ml_per_kg":
			num(k, &c.BloodVolumeMLPerKg, 40, 120)
		case "bv_formula":
			f, err := physio.ParseBloodVolumeFormula(e.Str(k))
			if err != nil {
				problems = append(problems, fmt.Errorf("%w: case metadata: %w", ErrFormat, err))
				continue
			}
			c.BloodVolumeFormula = f
		case "protamine_mg_per_100iu":
			num(k, &c.ProtamineMgPer100IU, 0.1, 3)
		case "heparin_iu_per_kg":
			num(k, &c.HeparinIUPerKg, 50, 1000)
		case "do2i_threshold":
			num(k, &c.DO2iThreshold, 50, 1000)
		case "mode":
			switch v := e.Str(k); v {
			case "bypass", ModeECMO:
				m.Mode = v
			default:
				problems = append(problems, fmt.Errorf("%w: case metadata mode %q is not a mode this reader knows (bypass, ecmo): ignored", ErrFormat, v))
			}
		default:
			if v := e.Num(k); !math.IsNaN(v) {
				if m.Extra == nil {
					m.Extra = map[string]float64{}
				}
				m.Extra[k] = v
			}
		}
	}
	return problems
}

// ParseSex reads a sex as other tools write it: "female"/"male" (this
// format), "F"/"M"/"U" (HL7 table 0001, also "O" other and "A" ambiguous,
// read as unknown), "woman"/"man", "unknown", in any case. It returns
// "female", "male" or "" (unknown), and whether s was one of those codes;
// an empty s is unknown and fine.
func ParseSex(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "female", "f", "woman":
		return "female", true
	case "male", "m", "man":
		return "male", true
	case "", "u", "unknown", "o", "other", "a", "ambiguous", "n", "not applicable":
		return "", true
	}
	return "", false
}

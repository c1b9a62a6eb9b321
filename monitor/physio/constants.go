package physio

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// BSAFormula selects the body-surface-area formula. The zero value is
// DuBois, the default.
type BSAFormula uint8

// The BSA formulas of perfusion.md §2.
const (
	// DuBois is DuBois & DuBois 1916, the default.
	DuBois BSAFormula = iota
	// Mosteller is Mosteller 1987.
	Mosteller
)

var bsaFormulaNames = [...]string{DuBois: "dubois", Mosteller: "mosteller"}

// String returns "dubois" or "mosteller", the spelling of settings and flags.
func (f BSAFormula) String() string {
	if int(f) < len(bsaFormulaNames) {
		return bsaFormulaNames[f]
	}
	return "bsaformula(" + strconv.Itoa(int(f)) + ")"
}

// Label returns the name for display: "DuBois" or "Mosteller".
func (f BSAFormula) Label() string {
	switch f {
	case DuBois:
		return "DuBois"
	case Mosteller:
		return "Mosteller"
	}
	return f.String()
}

// Valid reports whether f is a known formula.
func (f BSAFormula) Valid() bool { return int(f) < len(bsaFormulaNames) }

// ParseBSAFormula is the inverse of String; case is ignored.
func ParseBSAFormula(s string) (BSAFormula, error) {
	for f, name := range bsaFormulaNames {
		if strings.EqualFold(s, name) {
			return BSAFormula(f), nil
		}
	}
	return 0, fmt.Errorf("physio: unknown BSA formula %q (want dubois or mosteller)", s)
}

// MarshalText implements encoding.TextMarshaler. An unknown formula is an
// error rather than a string that would not parse back.
func (f BSAFormula) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("physio: cannot marshal %s", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *BSAFormula) UnmarshalText(b []byte) error {
	v, err := ParseBSAFormula(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// BloodVolumeFormula selects how the predicted on-bypass haematocrit
// estimates the patient's blood volume (DilutionBloodVolume). The zero
// value is BVLeanWeight, the default.
type BloodVolumeFormula uint8

// The blood volume formulas.
const (
	// BVLeanWeight: min(actual, ideal) weight × mL/kg (Muraki's 70/60
	// mL/kg by age when the age is known, else BloodVolumeMLPerKg).
	BVLeanWeight BloodVolumeFormula = iota
	// BVNadler: Nadler 1962, from height, weight and sex.
	BVNadler
)

var bvFormulaNames = [...]string{BVLeanWeight: "lean-weight", BVNadler: "nadler"}

// String returns "lean-weight" or "nadler".
func (f BloodVolumeFormula) String() string {
	if int(f) < len(bvFormulaNames) {
		return bvFormulaNames[f]
	}
	return "bvformula(" + strconv.Itoa(int(f)) + ")"
}

// Valid reports whether f is a known formula.
func (f BloodVolumeFormula) Valid() bool { return int(f) < len(bvFormulaNames) }

// ParseBloodVolumeFormula is the inverse of String; case is ignored.
func ParseBloodVolumeFormula(s string) (BloodVolumeFormula, error) {
	for f, name := range bvFormulaNames {
		if strings.EqualFold(s, name) {
			return BloodVolumeFormula(f), nil
		}
	}
	return 0, fmt.Errorf("physio: unknown blood volume formula %q (want lean-weight or nadler)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (f BloodVolumeFormula) MarshalText() ([]byte, error) {
	if !f.Valid() {
		return nil, fmt.Errorf("physio: cannot marshal %s", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *BloodVolumeFormula) UnmarshalText(b []byte) error {
	v, err := ParseBloodVolumeFormula(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// FlowIndexPoint is one row of a target flow-index table.
type FlowIndexPoint struct {
	TempC     float64 `json:"temp_c"`
	FlowIndex float64 `json:"flow_index"` // L/min/m²
}

// FlowIndexTable maps blood temperature to a target flow index. Rows are in
// strictly increasing TempC (Validate checks); TargetFlowIndex interpolates
// linearly between rows and clamps beyond the ends.
type FlowIndexTable []FlowIndexPoint

// DefaultFlowIndexTable returns the two points perfusion.md §2 gives
// (Cavaliere): 2.0 L/min/m² at 32 °C, 2.4 at 37 °C. A fuller table is
// unconfirmed; that is why the table is a setting. A new slice each call, so
// callers may change it freely.
func DefaultFlowIndexTable() FlowIndexTable {
	return FlowIndexTable{{TempC: 32, FlowIndex: 2.0}, {TempC: 37, FlowIndex: 2.4}}
}

// Constants are the settings the formulas depend on where sources disagree.
// They are stored with a case, so that a recorded value can be recomputed the
// way it was shown; the JSON form is the stored form.
//
// A Constants value is plain data; copy it freely. The zero value is not
// valid: start from DefaultConstants.
type Constants struct {
	// Hufner is k_Hb, mL O2 bound per g of haemoglobin (vendors use
	// 1.34–1.39). Default 1.34.
	Hufner float64 `json:"hufner"`
	// O2Solubility is k_d, mL O2/dL of blood per mmHg PO2 (0.003–0.0031).
	// Default 0.003.
	O2Solubility float64 `json:"o2_solubility"`
	// VCO2Factor is k_co2, mL/(L·mmHg): exhaust pCO2 in mmHg times the sweep
	// in L/min times k_co2 gives VCO2 in mL/min. Default 1.316 = 1000/760
	// (dry gas at 760 mmHg); see the function VCO2Factor for other
	// barometric pressures and water-vapour-corrected readings.
	VCO2Factor float64 `json:"vco2_factor"`
	// SVRFactor converts mmHg·min/L to dyn·s·cm⁻⁵. Default 79.9; many use 80.
	SVRFactor float64 `json:"svr_factor"`
	// BSAFormula is the BSA formula. Default DuBois.
	BSAFormula BSAFormula `json:"bsa_formula"`
	// BloodVolumeMLPerKg estimates blood volume from weight for the
	// predicted haematocrit. Default 70 mL/kg.
	BloodVolumeMLPerKg float64 `json:"blood_volume_ml_per_kg"`
	// BloodVolumeFormula is how the predicted haematocrit estimates the
	// blood volume: min(actual, ideal) weight (default) or Nadler.
	BloodVolumeFormula BloodVolumeFormula `json:"blood_volume_formula"`
	// ProtamineMgPer100IU is the protamine dose per 100 IU of heparin.
	// Default 1.0 (no single guideline ratio; 1.3 in one trial arm).
	ProtamineMgPer100IU float64 `json:"protamine_mg_per_100iu"`
	// HeparinIUPerKg is the initial heparin dose. Default 300 IU/kg.
	HeparinIUPerKg float64 `json:"heparin_iu_per_kg"`
	// DO2iThreshold is the low-DO2i limit, mL/min/m², used for time and area
	// below threshold. Default 280 (GIFT 2018).
	DO2iThreshold float64 `json:"do2i_threshold"`
	// FlowIndexTable is the target flow index by temperature.
	FlowIndexTable FlowIndexTable `json:"flow_index_table"`
}

// DefaultConstants returns the defaults of perfusion.md §2 and §3.
func DefaultConstants() Constants {
	return Constants{
		Hufner:              1.34,
		O2Solubility:        0.003,
		VCO2Factor:          1.316,
		SVRFactor:           79.9,
		BSAFormula:          DuBois,
		BloodVolumeMLPerKg:  70,
		ProtamineMgPer100IU: 1.0,
		HeparinIUPerKg:      300,
		DO2iThreshold:       280,
		FlowIndexTable:      DefaultFlowIndexTable(),
	}
}

// RangeError reports a setting or input outside its plausible range.
type RangeError struct {
	// Field is the JSON name of the Constants field, e.g. "hufner"; for a
	// table row it is "flow_index_table[i].temp_c" and the like.
	Field    string
	Value    float64
	Min, Max float64
	Unit     string
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("physio: %s %s is outside %s–%s %s", e.Field,
		strconv.FormatFloat(e.Value, 'g', -1, 64),
		strconv.FormatFloat(e.Min, 'g', -1, 64),
		strconv.FormatFloat(e.Max, 'g', -1, 64), e.Unit)
}

// ConstantRange is the plausible range of one numeric Constants field.
type ConstantRange struct {
	Field    string // JSON name
	Min, Max float64
	Unit     string
}

// constantRanges is the table Validate checks, in field order. A value must
// be finite and within [Min, Max].
var constantRanges = [...]ConstantRange{
	{"hufner", 1.30, 1.40, "mL O2/g"},
	{"o2_solubility", 0.0028, 0.0032, "mL O2/dL/mmHg"},
	{"vco2_factor", 1.0, 1.6, "mL/L/mmHg"},
	{"svr_factor", 79, 81, "dyn·s·cm⁻⁵ per mmHg·min/L"},
	{"blood_volume_ml_per_kg", 40, 100, "mL/kg"},
	{"protamine_mg_per_100iu", 0.5, 2, "mg per 100 IU"},
	{"heparin_iu_per_kg", 100, 600, "IU/kg"},
	{"do2i_threshold", 150, 500, "mL/min/m²"},
}

// ConstantRanges returns the plausible range of every numeric Constants
// field, by JSON name, for front ends that validate as they edit.
func ConstantRanges() []ConstantRange { return append([]ConstantRange(nil), constantRanges[:]...) }

// Plausible bounds of a flow-index table row.
const (
	tableTempMin, tableTempMax = 10.0, 45.0 // °C, the temperature channels' range
	tableFIMin, tableFIMax     = 0.5, 5.0   // L/min/m²
)

func (c *Constants) fields() [len(constantRanges)]float64 {
	return [...]float64{c.Hufner, c.O2Solubility, c.VCO2Factor, c.SVRFactor,
		c.BloodVolumeMLPerKg, c.ProtamineMgPer100IU, c.HeparinIUPerKg, c.DO2iThreshold}
}

func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN

// Validate checks every field against its plausible range. It returns nil or
// the errors of all bad fields joined (errors.Join); each is a *RangeError
// naming its field, except an unknown BSA formula or a malformed table.
// errors.As finds the first.
func (c Constants) Validate() error {
	var errs []error
	for i, v := range c.fields() {
		r := constantRanges[i]
		if !inRange(v, r.Min, r.Max) {
			errs = append(errs, &RangeError{Field: r.Field, Value: v, Min: r.Min, Max: r.Max, Unit: r.Unit})
		}
	}
	if !c.BSAFormula.Valid() {
		errs = append(errs, fmt.Errorf("physio: bsa_formula: unknown %s", c.BSAFormula))
	}
	if !c.BloodVolumeFormula.Valid() {
		errs = append(errs, fmt.Errorf("physio: blood_volume_formula: unknown %s", c.BloodVolumeFormula))
	}
	if len(c.FlowIndexTable) == 0 {
		errs = append(errs, errors.New("physio: flow_index_table is empty"))
	}
	prev := math.Inf(-1)
	for i, p := range c.FlowIndexTable {
		if !inRange(p.TempC, tableTempMin, tableTempMax) {
			errs = append(errs, &RangeError{Field: fmt.Sprintf("flow_index_table[%d].temp_c", i), Value: p.TempC, Min: tableTempMin, Max: tableTempMax, Unit: "°C"})
		} else if p.TempC <= prev {
			errs = append(errs, fmt.Errorf("physio: flow_index_table[%d].temp_c %g is not above the row before (%g): rows must be in increasing temperature", i, p.TempC, prev))
		}
		if inRange(p.TempC, tableTempMin, tableTempMax) {
			prev = p.TempC
		}
		if !inRange(p.FlowIndex, tableFIMin, tableFIMax) {
			errs = append(errs, &RangeError{Field: fmt.Sprintf("flow_index_table[%d].flow_index", i), Value: p.FlowIndex, Min: tableFIMin, Max: tableFIMax, Unit: "L/min/m²"})
		}
	}
	return errors.Join(errs...)
}

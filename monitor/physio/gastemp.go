package physio

import (
	"fmt"
	"math"
	"strings"
)

// PO2Model selects how a blood-gas analyser family corrects PO2 for
// temperature: PO2(T) = PO2,37 × 10^(f × ΔT), ΔT = T − 37, with f one of
// the forms below. f depends on the PO2 (or the saturation) because below
// about 150 mmHg the oxygen bound to haemoglobin buffers the dissolved
// oxygen as the blood cools.
type PO2Model uint8

// The PO2 models.
const (
	// PO2Severinghaus: f = (5.49e-11 × PO2^3.88 + 0.071) /
	// (9.72e-9 × PO2^3.88 + 2.30) (Severinghaus JW, J Appl Physiol 1979;
	// 46:1071-1074; the form CLSI C46 gives and Instrumentation
	// Laboratory's 1301/1303 analysers use).
	PO2Severinghaus PO2Model = iota
	// PO2ABL3: f = 0.0252 / (0.243 × (PO2/100)^3.88 + 1) + 0.00564
	// (Radiometer ABL-3).
	PO2ABL3
	// PO2Corning: f = 0.0052 + 0.027 × (1 − 10^(−0.13 × (100 − SO2 %)))
	// (Corning 158-288): needs the measured saturation.
	PO2Corning
	// PO2Constant: f = GasCorrection.PO2Exp, one coefficient for a site
	// whose analyser documents no more than that.
	PO2Constant
)

// GasCorrection are the coefficients one analyser family uses to report a
// blood gas measured at 37 °C at the patient's temperature:
//
//	pH(T)   = pH37 − [PHSlope + PHBuffer × (pH37 − 7.40)] × ΔT
//	PCO2(T) = PCO2,37 × 10^(PCO2Exp × ΔT)
//	PO2(T)  = PO2,37 × 10^(f(PO2Model) × ΔT)
//
// with ΔT = T − 37 °C. The values the analyser stores and sends are the
// 37 °C ones (Pumpside keeps them so); these coefficients only make the
// pH-stat display.
type GasCorrection struct {
	// Family is the name of the family ("clsi", "radiometer-abl3",
	// "corning", "custom").
	Family   string   `json:"family" toml:"family"`
	PHSlope  float64  `json:"ph_slope" toml:"ph_slope"`
	PHBuffer float64  `json:"ph_buffer" toml:"ph_buffer"`
	PCO2Exp  float64  `json:"pco2_exp" toml:"pco2_exp"`
	PO2Model PO2Model `json:"po2_model" toml:"po2_model"`
	// PO2Exp is f for PO2Constant; unused otherwise.
	PO2Exp float64 `json:"po2_exp" toml:"po2_exp"`
	// Source says where the coefficients come from, and what of them is
	// unconfirmed for today's models of the family.
	Source string `json:"-" toml:"-"`
}

// The analyser families whose temperature correction is documented in the
// public material Pumpside was written from. A site whose analyser is not
// among them, or whose manual gives other coefficients, uses "custom" with
// the manual's numbers (docs/physiology.md lists what is confirmed).
var gasFamilies = []GasCorrection{
	{Family: "clsi", PHSlope: 0.0147, PHBuffer: 0.0065, PCO2Exp: 0.019, PO2Model: PO2Severinghaus,
		Source: "Severinghaus/Ashwood equations as in CLSI C46; documented for Instrumentation Laboratory 1301/1303 " +
			"(pH, PCO2 0.019, PO2 Severinghaus 1979) and in the EDAN i15 user manual (pH, PCO2). " +
			"Werfen GEM Premier, Abbott i-STAT, Siemens RAPIDPoint, Roche cobas b and Nova analysers: unconfirmed"},
	{Family: "radiometer-abl3", PHSlope: 0.0146, PHBuffer: 0.0065, PCO2Exp: 0.021, PO2Model: PO2ABL3,
		Source: "Radiometer ABL-3 as published. ABL700/800/90 FLEX compute PO2(T) numerically from their oxygen " +
			"dissociation curve: not reproduced here; their pH and PCO2 coefficients are unconfirmed"},
	{Family: "corning", PHSlope: 0.015, PHBuffer: 0, PCO2Exp: 0.019, PO2Model: PO2Corning,
		Source: "Corning 158, 168, 170, 178 and 288 as published. Their successors (Siemens RAPIDLab, RAPIDPoint): unconfirmed"},
}

// GasFamilies returns the names of the built-in families, then "custom".
func GasFamilies() []string {
	names := make([]string, 0, len(gasFamilies)+1)
	for _, f := range gasFamilies {
		names = append(names, f.Family)
	}
	return append(names, "custom")
}

// GasFamily returns the coefficients of a built-in family by name (case
// ignored). "custom" is not one: build a GasCorrection from the site's
// manual and Validate it.
func GasFamily(name string) (GasCorrection, error) {
	for _, f := range gasFamilies {
		if strings.EqualFold(name, f.Family) {
			return f, nil
		}
	}
	return GasCorrection{}, fmt.Errorf("physio: unknown blood-gas analyser family %q (want %s, or custom with coefficients)",
		name, strings.Join(GasFamilies(), ", "))
}

// DefaultGasCorrection returns the "clsi" family.
func DefaultGasCorrection() GasCorrection { g, _ := GasFamily("clsi"); return g }

// Validate checks that the coefficients are plausible: within twice the
// spread of the published families, so that a slipped decimal is refused.
func (g GasCorrection) Validate() error {
	switch {
	case !inRange(g.PHSlope, 0.010, 0.020):
		return &RangeError{Field: "ph_slope", Value: g.PHSlope, Min: 0.010, Max: 0.020, Unit: "pH/°C"}
	case !inRange(g.PHBuffer, 0, 0.013):
		return &RangeError{Field: "ph_buffer", Value: g.PHBuffer, Min: 0, Max: 0.013, Unit: "pH/°C per pH"}
	case !inRange(g.PCO2Exp, 0.015, 0.025):
		return &RangeError{Field: "pco2_exp", Value: g.PCO2Exp, Min: 0.015, Max: 0.025, Unit: "log10/°C"}
	case g.PO2Model > PO2Constant:
		return fmt.Errorf("physio: unknown PO2 model %d", g.PO2Model)
	case g.PO2Model == PO2Constant && !inRange(g.PO2Exp, 0.004, 0.040):
		return &RangeError{Field: "po2_exp", Value: g.PO2Exp, Min: 0.004, Max: 0.040, Unit: "log10/°C"}
	}
	return nil
}

// PH returns the pH at tempC from the pH measured at 37 °C. NaN in, NaN out.
func (g GasCorrection) PH(ph37, tempC float64) float64 {
	return ph37 - (g.PHSlope+g.PHBuffer*(ph37-7.40))*(tempC-37)
}

// PCO2 returns the PCO2 (mmHg) at tempC from the PCO2 measured at 37 °C.
func (g GasCorrection) PCO2(pco237, tempC float64) float64 {
	return pco237 * math.Pow(10, g.PCO2Exp*(tempC-37))
}

// PO2 returns the PO2 (mmHg) at tempC from the PO2 measured at 37 °C; so2
// (%) is the measured saturation, needed by PO2Corning only (NaN there
// gives NaN).
func (g GasCorrection) PO2(po237, so2Pct, tempC float64) float64 {
	var f float64
	switch g.PO2Model {
	case PO2Severinghaus:
		p := math.Pow(po237, 3.88)
		f = (5.49e-11*p + 0.071) / (9.72e-9*p + 2.30)
	case PO2ABL3:
		f = 0.0252/(0.243*math.Pow(po237/100, 3.88)+1) + 0.00564
	case PO2Corning:
		f = 0.0052 + 0.027*(1-math.Pow(10, -0.13*(100-so2Pct)))
	case PO2Constant:
		f = g.PO2Exp
	default:
		return math.NaN()
	}
	return po237 * math.Pow(10, f*(tempC-37))
}

// Gas is one blood gas: pH, PCO2 and PO2 (mmHg) and the saturation (%).
// NaN marks a value not measured.
type Gas struct {
	PH, PCO2, PO2, SO2 float64
}

// AtTemp returns gas, measured at 37 °C, as it is at the patient's
// temperature tempC (the pH-stat view); the saturation is measured, not
// temperature-dependent, and is returned as it is. A NaN tempC gives NaN
// gases: never a 37 °C value labelled as the patient's.
func (g GasCorrection) AtTemp(gas Gas, tempC float64) Gas {
	return Gas{PH: g.PH(gas.PH, tempC), PCO2: g.PCO2(gas.PCO2, tempC), PO2: g.PO2(gas.PO2, gas.SO2, tempC), SO2: gas.SO2}
}

// GasStrategy is the acid-base management the display follows when the
// patient is cooled.
type GasStrategy uint8

// The strategies.
const (
	// AlphaStat shows the gases as measured at 37 °C, uncorrected: the
	// target is pH 7.40 and PCO2 40 at 37 °C whatever the patient's
	// temperature (the usual adult practice).
	AlphaStat GasStrategy = iota
	// PHStat shows them at the patient's temperature: the target is
	// pH 7.40 and PCO2 40 at that temperature, reached by adding CO2
	// (common in paediatric cooling and deep hypothermia).
	PHStat
)

// String returns "alpha-stat" or "ph-stat".
func (s GasStrategy) String() string {
	if s == PHStat {
		return "ph-stat"
	}
	return "alpha-stat"
}

// ParseGasStrategy is the inverse of String (case ignored; "alpha" and
// "ph" accepted too).
func ParseGasStrategy(s string) (GasStrategy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "alpha-stat", "alpha", "alphastat", "":
		return AlphaStat, nil
	case "ph-stat", "ph", "phstat":
		return PHStat, nil
	}
	return 0, fmt.Errorf("physio: blood gas strategy %q: want alpha-stat or ph-stat", s)
}

// Display returns the gas to show under strategy s at the patient's
// temperature tempC: gas itself for alpha-stat, gas.AtTemp for pH-stat.
func (g GasCorrection) Display(s GasStrategy, gas Gas, tempC float64) Gas {
	if s == PHStat {
		return g.AtTemp(gas, tempC)
	}
	return gas
}

var po2ModelNames = [...]string{PO2Severinghaus: "severinghaus", PO2ABL3: "abl3", PO2Corning: "corning", PO2Constant: "constant"}

// String returns the model's name in settings: "severinghaus", "abl3",
// "corning" or "constant".
func (m PO2Model) String() string {
	if int(m) < len(po2ModelNames) {
		return po2ModelNames[m]
	}
	return fmt.Sprintf("po2model(%d)", uint8(m))
}

// MarshalText implements encoding.TextMarshaler.
func (m PO2Model) MarshalText() ([]byte, error) {
	if int(m) >= len(po2ModelNames) {
		return nil, fmt.Errorf("physio: cannot marshal %s", m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *PO2Model) UnmarshalText(b []byte) error {
	for i, n := range po2ModelNames {
		if strings.EqualFold(string(b), n) {
			*m = PO2Model(i)
			return nil
		}
	}
	return fmt.Errorf("physio: PO2 model %q: want severinghaus, abl3, corning or constant", b)
}

package physio

import "math"

// Q10Factor is the factor by which a limit on oxygen delivery or demand
// scales with the patient's temperature: q10^((tempC − 37)/10) below 37 °C,
// 1 at 37 °C or above, 1 when q10 ≤ 1 (no scaling: a site keeps the fixed
// threshold) and 1 when tempC is absent (NaN: the unscaled limit, the
// conservative side).
//
// Oxygen demand falls about 7 % per °C of cooling (Gravlee,
// Cardiopulmonary Bypass: Principles and Practice): a Q10 of about 2
// (0.93⁻¹⁰ = 2.07; van 't Hoff). The DO2i thresholds of the literature
// (GIFT 2018: 280; Ranucci 2005: 272; de Somer 2011: 262 mL/min/m²) come
// from normothermic or mildly hypothermic bypass, so a cooled patient's
// threshold is scaled by this factor (docs/physiology.md).
//
// Worked example (TestQ10Factor): Q10 2 at 28 °C gives 2^(−0.9) = 0.5359,
// so a threshold of 280 becomes 150.0 mL/min/m²; at 36 °C 2^(−0.1) =
// 0.9330, 261.2.
//
// It is the one scaling of the DO2i threshold: the alarm engine's do2i_low
// limit, the console's DO2i tile and trend, and the report's time below the
// threshold all use it.
func Q10Factor(q10, tempC float64) float64 {
	if !(q10 > 1) || !(tempC < 37) {
		return 1
	}
	return math.Pow(q10, (tempC-37)/10)
}

// Q10Limit is limit × Q10Factor(q10, tempC).
func Q10Limit(limit, q10, tempC float64) float64 { return limit * Q10Factor(q10, tempC) }

package physio

import "math"

// HCO3 returns plasma bicarbonate in mmol/L from pH and PCO2 (mmHg):
// 0.0307 × PCO2 × 10^(pH − 6.105) (Henderson–Hasselbalch with pK 6.105 and
// CO2 solubility 0.0307 mmol/L/mmHg).
//
// Source: CLSI C46 (as cited in perfusion.md §2).
func HCO3(pH, pco2 float64) float64 {
	return 0.0307 * pco2 * math.Pow(10, pH-6.105)
}

// BaseExcess returns the base excess of blood, BE(B), in mmol/L:
// (1 − 0.014 × Hb) × [HCO3 − 24.8 + (1.43 × Hb + 7.7) × (pH − 7.4)], with
// HCO3 in mmol/L (see HCO3) and Hb in g/dL. Negative values are a base
// deficit.
//
// Source: the Van Slyke equation as given in CLSI C46 (perfusion.md §2).
func BaseExcess(pH, hco3, hb float64) float64 {
	return (1 - 0.014*hb) * (hco3 - 24.8 + (1.43*hb+7.7)*(pH-7.4))
}

// TempCorrectPH returns the pH at patient temperature tempC from the pH
// measured at 37 °C: pH(T) = pH37 − 0.0147 × ΔT, with ΔT = T − 37. pH rises
// as blood cools. Use it for a pH-stat display; α-stat shows the 37 °C
// value.
//
// Source: Severinghaus, coefficient as in perfusion.md §2.
func TempCorrectPH(ph37, tempC float64) float64 {
	return ph37 - 0.0147*(tempC-37)
}

// TempCorrectPCO2 returns the PCO2 (mmHg) at patient temperature tempC from
// PCO2 measured at 37 °C: PCO2(T) = PCO2,37 × 10^(0.0185 × ΔT), with
// ΔT = T − 37. PCO2 falls as blood cools.
//
// Source: Severinghaus, coefficient as in perfusion.md §2.
func TempCorrectPCO2(pco237, tempC float64) float64 {
	return pco237 * math.Pow(10, 0.0185*(tempC-37))
}

// BicarbonateDose returns the sodium bicarbonate to correct a metabolic
// acidosis, in mmol (= mEq; 8.4 % solution holds 1 mmol/mL): full =
// 0.3 × weight (kg) × base deficit (mmol/L), and half of it, the amount to
// give before rechecking the blood gas. baseDeficit is positive for an
// acidosis (BD = −BE); a deficit of zero or less gives zero doses.
//
// Source: the 0.3 × kg × BD rule (extracellular fluid ≈ 0.3 of body
// weight), perfusion.md §2: 70 kg, BD 12 -> 252 / 126 mmol.
func BicarbonateDose(weightKg, baseDeficit float64) (full, half float64) {
	if baseDeficit <= 0 {
		return 0, 0
	}
	full = 0.3 * weightKg * baseDeficit
	return full, full / 2
}

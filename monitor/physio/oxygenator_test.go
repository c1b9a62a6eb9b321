package physio

import "testing"

func TestOxygenator(t *testing.T) {
	checkAll(t, []approx{
		// 260 − 210 = 50 mmHg.
		{"dp", OxyPressureDrop(260, 210), 50, 1e-12},
		{"dp absent post", OxyPressureDrop(260, nan), nan, 0},
		// 50 / 5 = 10 mmHg/(L/min); 75 / 5 = 15.
		{"R healthy", OxyResistance(50, 5), 10, 1e-12},
		{"R clotting", OxyResistance(75, 5), 15, 1e-12},
		// 12 / 1.2 = 10: just above the minimum flow.
		{"R at 1.2 L/min", OxyResistance(12, 1.2), 10, 1e-12},
		{"R below min flow", OxyResistance(5, 0.5), nan, 0},
		{"R zero flow", OxyResistance(5, 0), nan, 0},
		{"R absent flow", OxyResistance(50, nan), nan, 0},
		{"R absent dp", OxyResistance(nan, 5), nan, 0},
		// 227 / 0.60 = 378.33 mmHg.
		{"P/F bypass", PFRatio(227, 60), 378.33, 0.005},
		// 150 / 1.00 = 150: a failing membrane at FiO2 100 %.
		{"P/F failing", PFRatio(150, 100), 150, 1e-12},
		{"P/F zero FiO2", PFRatio(227, 0), nan, 0},
		{"P/F absent PaO2", PFRatio(nan, 60), nan, 0},
	})
}

// The oxygenator's O2 transfer is VO2 and its CO2 removal VCO2, with the
// same inputs: a worked example of each as the oxygenator tiles show them.
func TestOxygenatorTransferIsFick(t *testing.T) {
	k := DefaultConstants()
	// Post-oxygenator (arterial) Hb 9 g/dL, SO2 99.5 %, pO2 227 mmHg:
	// 1.34 × 9 × 0.995 + 0.003 × 227 = 11.9997 + 0.681 = 12.6807 mL/dL.
	post := O2Content(9, 99.5, 227, k.Hufner, k.O2Solubility)
	// Pre-oxygenator (venous) SO2 72 %, pO2 38 mmHg:
	// 1.34 × 9 × 0.72 + 0.003 × 38 = 8.6832 + 0.114 = 8.7972 mL/dL.
	pre := O2Content(9, 72, 38, k.Hufner, k.O2Solubility)
	checkAll(t, []approx{
		{"C post", post, 12.6807, 1e-3},
		{"C pre", pre, 8.7972, 1e-3},
		// 4.8 L/min × (12.6807 − 8.7972) × 10 = 186.41 mL/min.
		{"O2 transfer", VO2(4.8, post, pre), 186.41, 0.01},
		// / BSA 1.956 m² = 95.30 mL/min/m².
		{"O2 transfer index", Index(VO2(4.8, post, pre), 1.956), 95.30, 0.01},
		// Sweep 3 L/min, exhaust 30 mmHg, k_co2 1.2219 (STPD, 21 °C, dry):
		// 3 × 30 × 1.2219 = 109.97 mL/min.
		{"CO2 removal", VCO2(3, 30, VCO2FactorSTPD(760, 21, false)), 109.97, 0.01},
	})
}

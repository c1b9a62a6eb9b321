package physio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Worked examples of each family's published equations, at 28 °C
// (ΔT = −9), computed by hand from the equations in gastemp.go.
func TestGasCorrectionFamilies(t *testing.T) {
	clsi, err := GasFamily("clsi")
	require.NoError(t, err)
	abl, err := GasFamily("Radiometer-ABL3")
	require.NoError(t, err)
	corning, err := GasFamily("corning")
	require.NoError(t, err)
	for _, g := range []GasCorrection{clsi, abl, corning} {
		require.NoError(t, g.Validate(), g.Family)
		assert.NotEmpty(t, g.Source)
	}
	checkAll(t, []approx{
		// pH 7.40: the buffer term is 0: 7.40 + 0.0147 × 9 = 7.5323.
		{"clsi pH 7.40", clsi.PH(7.40, 28), 7.5323, 1e-9},
		// pH 7.20: 7.20 − (0.0147 + 0.0065 × −0.20) × −9 = 7.20 + 0.0134 × 9 = 7.3206.
		{"clsi pH 7.20", clsi.PH(7.20, 28), 7.3206, 1e-9},
		{"abl3 pH 7.20", abl.PH(7.20, 28), 7.3197, 1e-9},
		// Corning: 7.40 + 0.015 × 9 = 7.535, whatever the pH.
		{"corning pH", corning.PH(7.40, 28), 7.535, 1e-9},
		// 40 × 10^(0.019 × −9) = 40 × 10^−0.171 = 40 × 0.67453 = 26.981.
		{"clsi PCO2", clsi.PCO2(40, 28), 26.981, 0.0005},
		// 40 × 10^(0.021 × −9) = 40 × 10^−0.189 = 40 × 0.64714 = 25.886.
		{"abl3 PCO2", abl.PCO2(40, 28), 25.886, 0.0005},
		// Severinghaus at PO2 90: 90^3.88 = 3.82e7; f = (0.00210 + 0.071) /
		// (0.3713 + 2.30) = 0.027361; 90 × 10^(−0.24625) = 51.05.
		{"clsi PO2 90", clsi.PO2(90, nan, 28), 51.05, 0.005},
		// At PO2 300 little is bound: f = 0.007029, 300 × 10^−0.06326 = 259.33.
		{"clsi PO2 300", clsi.PO2(300, nan, 28), 259.33, 0.005},
		// ABL-3 at 90: 0.9^3.88 = 0.6644; f = 0.0252 / 1.16146 + 0.00564 = 0.027337.
		{"abl3 PO2 90", abl.PO2(90, nan, 28), 51.08, 0.005},
		// Corning at SO2 97 %: f = 0.0052 + 0.027 × (1 − 10^−0.39) = 0.021201; 90 × 10^−0.19081 = 58.00.
		{"corning PO2 90 SO2 97", corning.PO2(90, 97, 28), 58.00, 0.005},
		{"corning PO2 without SO2", corning.PO2(90, nan, 28), nan, 0},
		{"at 37 °C nothing changes", clsi.PO2(90, nan, 37), 90, 1e-12},
		{"no temperature", clsi.PH(7.40, nan), nan, 0},
	})
	// Warming raises the partial pressures and lowers the pH.
	assert.Greater(t, clsi.PCO2(40, 39), 40.0)
	assert.Less(t, clsi.PH(7.40, 39), 7.40)
}

func TestGasCorrectionDisplay(t *testing.T) {
	g := DefaultGasCorrection()
	gas := Gas{PH: 7.40, PCO2: 40, PO2: 90, SO2: 97}
	assert.Equal(t, gas, g.Display(AlphaStat, gas, 28), "alpha-stat shows the 37 °C values")
	ph := g.Display(PHStat, gas, 28)
	assert.InDelta(t, 7.5323, ph.PH, 1e-9)
	assert.InDelta(t, 26.981, ph.PCO2, 0.0005)
	assert.Equal(t, 97.0, ph.SO2, "a saturation is not temperature-corrected")
	nanGas := g.Display(PHStat, gas, nan)
	assert.True(t, math.IsNaN(nanGas.PH) && math.IsNaN(nanGas.PCO2) && math.IsNaN(nanGas.PO2),
		"no temperature: no pH-stat value, never the 37 °C one")

	for in, want := range map[string]GasStrategy{"alpha-stat": AlphaStat, "pH-stat": PHStat, "ph": PHStat, "": AlphaStat} {
		got, err := ParseGasStrategy(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		back, err := ParseGasStrategy(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	_, err := ParseGasStrategy("beta-stat")
	assert.Error(t, err)
}

func TestGasCorrectionValidate(t *testing.T) {
	_, err := GasFamily("abl800")
	assert.ErrorContains(t, err, "custom")
	assert.Equal(t, []string{"clsi", "radiometer-abl3", "corning", "custom"}, GasFamilies())
	custom := GasCorrection{Family: "custom", PHSlope: 0.0147, PHBuffer: 0.0065, PCO2Exp: 0.0185, PO2Model: PO2Constant, PO2Exp: 0.031}
	require.NoError(t, custom.Validate())
	// IL 813 below 95 % saturation as published: 90 × 10^(0.031 × −9) = 90 × 0.52604 = 47.34.
	assert.InDelta(t, 47.34, custom.PO2(90, 90, 28), 0.005)
	for name, bad := range map[string]GasCorrection{
		"slipped pH slope": {PHSlope: 0.147, PCO2Exp: 0.019},
		"pco2 exponent":    {PHSlope: 0.0147, PCO2Exp: 0.19},
		"po2 constant":     {PHSlope: 0.0147, PCO2Exp: 0.019, PO2Model: PO2Constant},
		"po2 model":        {PHSlope: 0.0147, PCO2Exp: 0.019, PO2Model: 9},
		"NaN":              {PHSlope: nan, PCO2Exp: 0.019},
	} {
		assert.Error(t, bad.Validate(), name)
	}
}

func TestVCO2FactorSTPD(t *testing.T) {
	checkAll(t, []approx{
		// 1000/760 × 273.15/294.15 = 1.31579 × 0.92861 = 1.22185.
		{"dry 21 °C 760", VCO2FactorSTPD(760, 21, false), 1.22185, 0.00001},
		// A dry reading: the barometric pressure cancels.
		{"dry 21 °C 700", VCO2FactorSTPD(700, 21, false), 1.22185, 0.00001},
		// BTPS reading: 1000 × 760 / (713 × 760) × 0.92861 = 1.30240.
		{"btps 21 °C 760", VCO2FactorSTPD(760, 21, true), 1.30240, 0.00001},
		{"0 °C dry is the plain factor", VCO2FactorSTPD(760, 0, false), VCO2Factor(760, false), 1e-12},
		{"no pressure", VCO2FactorSTPD(0, 21, false), nan, 0},
	})
	// The worked example: sweep 3 L/min, exhaust 30 mmHg, 21 °C: 109.97 mL/min.
	assert.InDelta(t, 109.97, VCO2(3, 30, VCO2FactorSTPD(760, 21, false)), 0.005)
}

func TestBloodVolumeForDilution(t *testing.T) {
	ibw := IdealBodyWeight(175, Male) // 70.465 kg
	checkAll(t, []approx{
		{"Nadler man 175 cm 80 kg", BloodVolumeNadler(175, 80, Male), 5145.65, 0.01},
		{"Nadler woman 165 cm 60 kg", BloodVolumeNadler(165, 60, Female), 3767.75, 0.01},
		{"Nadler no sex", BloodVolumeNadler(175, 80, 0), nan, 0},
		{"Nadler no weight", BloodVolumeNadler(175, 0, Male), nan, 0},
		{"obese: the ideal weight", DilutionWeight(110, ibw), 70.465, 0.001},
		{"thin: the actual weight", DilutionWeight(55, ibw), 55, 0},
		{"no ideal weight: the actual", DilutionWeight(80, nan), 80, 0},
		// The worked example: 40 × 4932.5 / (4932.5 + 1400) = 31.16 %, not 33.85 %.
		{"predicted Hct, obese", PredictedHct(40, BloodVolume(DilutionWeight(110, ibw), 70), 1400, 0, 0, 0), 31.16, 0.005},
		{"predicted Hct, actual weight", PredictedHct(40, BloodVolume(110, 70), 1400, 0, 0, 0), 33.85, 0.005},
	})
}

func TestCrystalloidShare(t *testing.T) {
	parse := func(s string) (float64, float64) {
		b, c, err := ParsePlegiaRatio(s)
		require.NoError(t, err, s)
		return b, c
	}
	b41, c41 := parse("4:1")
	b14, c14 := parse(" 1 : 4 ")
	b01, c01 := parse("0:1")
	b81, c81 := parse("8/1")
	checkAll(t, []approx{
		{"blood 4:1, 1000 mL", CrystalloidShare(1000, b41, c41), 200, 1e-9},
		{"del Nido 1:4, 1000 mL", CrystalloidShare(1000, b14, c14), 800, 1e-9},
		{"crystalloid 0:1", CrystalloidShare(1000, b01, c01), 1000, 1e-9},
		{"8:1, 900 mL", CrystalloidShare(900, b81, c81), 100, 1e-9},
		{"0:0", CrystalloidShare(1000, 0, 0), nan, 0},
		{"negative", CrystalloidShare(1000, -1, 4), nan, 0},
	})
	for _, bad := range []string{"", "4", "4:", ":1", "0:0", "-1:4", "a:b", "Inf:1", "NaN:1", "1e308:1"} {
		_, _, err := ParsePlegiaRatio(bad)
		assert.Error(t, err, bad)
	}
}

func TestDilutionBloodVolume(t *testing.T) {
	c := DefaultConstants()
	// A man of 175 cm (IBW 70.465 kg) weighing 110 kg, age unknown:
	// 70.465 × 70 = 4932.5 mL from the ideal weight.
	v, by := DilutionBloodVolume(&c, 175, 110, nan, Male)
	assert.InDelta(t, 4932.5, v, 0.05)
	assert.Equal(t, "70 mL/kg, ideal weight", by)
	// Aged 70: Muraki's 60 mL/kg: 4227.9 mL.
	v, by = DilutionBloodVolume(&c, 175, 110, 70, Male)
	assert.InDelta(t, 4227.9, v, 0.05)
	assert.Equal(t, "Muraki 2018, ideal weight", by)
	// A thin patient: the actual weight, 55 × 70 = 3850 mL.
	v, by = DilutionBloodVolume(&c, 175, 55, nan, Male)
	assert.InDelta(t, 3850, v, 1e-9)
	assert.Equal(t, "70 mL/kg, actual weight", by)
	// No sex: no ideal weight, the actual one (as before this rule).
	v, _ = DilutionBloodVolume(&c, 175, 80, nan, 0)
	assert.InDelta(t, 5600, v, 1e-9)
	// Nadler, a setting: 5145.65 mL for 175 cm, 80 kg, male; without a sex
	// it falls back to the weight rule.
	c.BloodVolumeFormula = BVNadler
	v, by = DilutionBloodVolume(&c, 175, 80, 50, Male)
	assert.InDelta(t, 5145.65, v, 0.01)
	assert.Equal(t, "Nadler 1962", by)
	v, _ = DilutionBloodVolume(&c, 175, 80, nan, 0)
	assert.InDelta(t, 5600, v, 1e-9)
	v, by = DilutionBloodVolume(&c, 175, 0, 50, Male)
	assert.True(t, math.IsNaN(v))
	assert.Empty(t, by)

	f, err := ParseBloodVolumeFormula("Nadler")
	require.NoError(t, err)
	assert.Equal(t, BVNadler, f)
	_, err = ParseBloodVolumeFormula("gilcher")
	assert.Error(t, err)
	c.BloodVolumeFormula = 7
	assert.Error(t, c.Validate())
}

// Found by FuzzParsePlegiaRatio: parts whose sum overflows gave NaN.
func TestCrystalloidShareHugeParts(t *testing.T) {
	assert.InDelta(t, 500, CrystalloidShare(1000, 1e308, 1e308), 1e-9)
}

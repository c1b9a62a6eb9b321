package physio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// approx is one worked example: got must be within tol of want. want NaN
// means the value must be absent.
type approx struct {
	name      string
	got, want float64
	tol       float64
}

func checkAll(t *testing.T, cases []approx) {
	t.Helper()
	for _, c := range cases {
		if math.IsNaN(c.want) {
			assert.Truef(t, math.IsNaN(c.got), "%s: got %v, want absent (NaN)", c.name, c.got)
			continue
		}
		assert.InDeltaf(t, c.want, c.got, c.tol, "%s", c.name)
	}
}

var nan = math.NaN()

func TestBodySize(t *testing.T) {
	checkAll(t, []approx{
		// perfusion.md §2 worked examples.
		{"DuBois 175 cm 80 kg", BSADuBois(175, 80), 1.956, 0.0005},
		{"Mosteller 175 cm 70 kg", BSAMosteller(175, 70), 1.845, 0.0005},
		{"Mosteller 175 cm 80 kg", BSAMosteller(175, 80), 1.972, 0.0005},
		{"BSA(DuBois)", BSA(DuBois, 175, 80), 1.956, 0.0005},
		{"BSA(Mosteller)", BSA(Mosteller, 175, 80), 1.972, 0.0005},
		{"BSA unknown formula", BSA(BSAFormula(9), 175, 80), nan, 0},
		{"DuBois zero height", BSADuBois(0, 80), nan, 0},
		{"Mosteller negative weight", BSAMosteller(175, -1), nan, 0},
		{"DuBois absent weight", BSADuBois(175, nan), nan, 0},

		// Devine: 175 cm = 68.90 in, 8.90 in over 5 ft; 50 + 2.3 × 8.898 = 70.46 kg.
		{"IBW male 175 cm", IdealBodyWeight(175, Male), 70.465, 0.001},
		// 165 cm = 64.96 in; 45.5 + 2.3 × 4.961 = 56.91 kg.
		{"IBW female 165 cm", IdealBodyWeight(165, Female), 56.909, 0.001},
		{"IBW no sex", IdealBodyWeight(175, 0), nan, 0},
		{"IBW absurd height", IdealBodyWeight(10, Male), nan, 0},

		// 80 kg × 70 mL/kg = 5600 mL.
		{"BV 80 kg", BloodVolume(80, 70), 5600, 1e-9},
		// Muraki: IBW 70.465 kg × 70 below 65 y = 4932.5; × 60 from 65 y = 4227.9.
		{"BV Muraki 50 y", BloodVolumeMuraki(70.465, 50), 4932.55, 0.01},
		{"BV Muraki 65 y", BloodVolumeMuraki(70.465, 65), 4227.9, 0.01},
		{"BV Muraki 80 y", BloodVolumeMuraki(70.465, 80), 4227.9, 0.01},
		{"BV Muraki no age", BloodVolumeMuraki(70.465, nan), nan, 0},
	})
}

func TestHaematocrit(t *testing.T) {
	checkAll(t, []approx{
		// perfusion.md §2: 40 × 5600 / (5600 + 1400) = 224000 / 7000 = 32.0 %.
		{"predicted Hct", PredictedHct(40, 5600, 1400, 0, 0, 0), 32.0, 0.05},
		// + 500 mL cardioplegia: 224000 / 7500 = 29.87 -> 29.9 %.
		{"predicted Hct + cardioplegia", PredictedHct(40, 5600, 1400, 0, 500, 0), 29.9, 0.05},
		// 400 mL RAP: 224000 / 6600 = 33.94 %.
		{"predicted Hct with RAP", PredictedHct(40, 5600, 1400, 0, 0, 400), 33.94, 0.005},
		// 300 mL pre-bypass fluids: 224000 / 7300 = 30.68 %.
		{"predicted Hct with fluids", PredictedHct(40, 5600, 1400, 300, 0, 0), 30.68, 0.005},
		{"predicted Hct no volume", PredictedHct(40, 0, 0, 0, 0, 0), nan, 0},
		{"predicted Hct absent prime", PredictedHct(40, 5600, nan, 0, 0, 0), nan, 0},

		// 5000 × (1 − 24/28) = 5000 × 0.142857 = 714.3 mL.
		{"ultrafiltration 24->28", UltrafiltrationVolume(5000, 24, 28), 714.29, 0.005},
		// Fractions work as well as percent: 5000 × (1 − 0.24/0.28).
		{"ultrafiltration fractions", UltrafiltrationVolume(5000, 0.24, 0.28), 714.29, 0.005},
		{"ultrafiltration target reached", UltrafiltrationVolume(5000, 30, 28), 0, 0},
		{"ultrafiltration zero target", UltrafiltrationVolume(5000, 24, 0), nan, 0},
	})
}

func TestCirculation(t *testing.T) {
	checkAll(t, []approx{
		// 4.4 / 1.956 = 2.2495 L/min/m².
		{"flow index", FlowIndex(4.4, 1.956), 2.2495, 0.0001},
		{"flow index zero flow", FlowIndex(0, 1.956), 0, 0},
		{"flow index zero BSA", FlowIndex(4.4, 0), nan, 0},

		// perfusion.md §2: (65 − 5) × 79.9 / 4.4 = 4794 / 4.4 = 1089.5.
		{"SVR 79.9", SVR(65, 5, 4.4, 79.9), 1089.5, 0.05},
		// 4800 / 4.4 = 1090.9.
		{"SVR 80", SVR(65, 5, 4.4, 80), 1090.9, 0.05},
		{"SVR zero flow", SVR(65, 5, 0, 79.9), nan, 0},
		{"SVR negative flow", SVR(65, 5, -1, 79.9), nan, 0},
		// 4794 / (4.4 / 1.956) = 2131.2.
		{"SVRI", SVRI(65, 5, 4.4/1.956, 79.9), 2131, 0.5},
		{"SVRI zero flow index", SVRI(65, 5, 0, 79.9), nan, 0},

		// 36.5 − 30 = 6.5 °C while rewarming; 25 − 32 = −7 cooling.
		{"A–V gradient rewarming", AVGradient(36.5, 30), 6.5, 1e-12},
		{"A–V gradient cooling", AVGradient(25, 32), -7, 1e-12},
	})
}

func TestTargetFlowIndex(t *testing.T) {
	def := DefaultFlowIndexTable()
	custom := FlowIndexTable{{18, 1.6}, {28, 1.8}, {32, 2.0}, {37, 2.4}}
	checkAll(t, []approx{
		// Cavaliere's two points, exactly.
		{"37 °C", TargetFlowIndex(37, def), 2.4, 1e-12},
		{"32 °C", TargetFlowIndex(32, def), 2.0, 1e-12},
		// Halfway: 2.0 + 0.4 × 2.5/5 = 2.2.
		{"34.5 °C", TargetFlowIndex(34.5, def), 2.2, 1e-12},
		// 2.0 + 0.4 × 3/5 = 2.24.
		{"35 °C", TargetFlowIndex(35, def), 2.24, 1e-12},
		// Clamped at the ends.
		{"28 °C clamped", TargetFlowIndex(28, def), 2.0, 0},
		{"39 °C clamped", TargetFlowIndex(39, def), 2.4, 0},
		// Custom table: 1.6 + 0.2 × 5/10 = 1.7 at 23 °C.
		{"custom 23 °C", TargetFlowIndex(23, custom), 1.7, 1e-12},
		{"custom 30 °C", TargetFlowIndex(30, custom), 1.9, 1e-12},
		{"custom 15 °C", TargetFlowIndex(15, custom), 1.6, 0},
		{"one-row table", TargetFlowIndex(30, FlowIndexTable{{32, 2.2}}), 2.2, 0},
		{"empty table", TargetFlowIndex(35, nil), nan, 0},
		{"absent temperature", TargetFlowIndex(nan, def), nan, 0},
	})
}

func TestOxygen(t *testing.T) {
	// CaO2: 1.34 × 10 × 0.99 + 0.003 × 250 = 13.266 + 0.75 = 14.016 mL/dL.
	cao2 := O2Content(10, 99, 250, 1.34, 0.003)
	// CvO2: 1.34 × 10 × 0.75 + 0.003 × 40 = 10.05 + 0.12 = 10.17 mL/dL.
	cvo2 := O2Content(10, 75, 40, 1.34, 0.003)
	checkAll(t, []approx{
		{"CaO2", cao2, 14.016, 1e-9},
		{"CvO2", cvo2, 10.17, 1e-9},
		// PvO2 not measured, dissolved term taken as 0: 10.05.
		{"CvO2 po2 0", O2Content(10, 75, 0, 1.34, 0.003), 10.05, 1e-9},
		{"CvO2 po2 absent", O2Content(10, 75, nan, 1.34, 0.003), nan, 0},
		// Vendor constants: 1.39 × 10 × 0.99 + 0.0031 × 250 = 13.761 + 0.775 = 14.536.
		{"CaO2 1.39/0.0031", O2Content(10, 99, 250, 1.39, 0.0031), 14.536, 1e-9},

		// DO2: 4.4 × 14.016 × 10 = 616.704 mL/min.
		{"DO2", DO2(4.4, cao2), 616.704, 1e-9},
		{"DO2 arrest", DO2(0, cao2), 0, 0},
		// DO2i: 2.5 × 14.016 × 10 = 350.4 mL/min/m².
		{"DO2i", DO2i(2.5, cao2), 350.4, 1e-9},
		// VO2: 4.4 × (14.016 − 10.17) × 10 = 4.4 × 38.46 = 169.224 mL/min.
		{"VO2", VO2(4.4, cao2, cvo2), 169.224, 1e-9},
		// VO2i: 2.5 × 38.46 = 96.15 mL/min/m².
		{"VO2i", VO2i(2.5, cao2, cvo2), 96.15, 1e-9},
		// O2ER: 3.846 / 14.016 = 27.44 %.
		{"O2ER", O2ER(cao2, cvo2), 27.440, 0.0005},
		{"O2ER zero CaO2", O2ER(0, 0), nan, 0},

		// VCO2: 3.0 × 27 × 1.316 = 106.596 mL/min.
		{"VCO2", VCO2(3, 27, 1.316), 106.596, 1e-9},
		// perfusion.md §2: 1000/760 = 1.316 dry; 1000/713 = 1.403 water-vapour corrected.
		{"k_co2 dry 760", VCO2Factor(760, false), 1.316, 0.0005},
		{"k_co2 wet 760", VCO2Factor(760, true), 1.403, 0.0005},
		// Altitude: 1000/630 = 1.587.
		{"k_co2 dry 630", VCO2Factor(630, false), 1.587, 0.0005},
		{"k_co2 no pressure", VCO2Factor(0, false), nan, 0},
		{"k_co2 47 wet", VCO2Factor(47, true), nan, 0},

		// VCO2i: 106.596 / 1.956 = 54.497.
		{"VCO2i", Index(106.596, 1.956), 54.497, 0.0005},
		{"index zero BSA", Index(100, 0), nan, 0},
		// 300 / 60 = 5.0.
		{"DO2i/VCO2i", DO2iVCO2i(300, 60), 5.0, 1e-12},
		{"DO2i/VCO2i zero VCO2i", DO2iVCO2i(300, 0), nan, 0},
		// 200 / 250 = 0.8.
		{"RQ", RQ(200, 250), 0.8, 1e-12},
		{"RQ zero VO2", RQ(200, 0), nan, 0},
	})
}

func TestAcidBase(t *testing.T) {
	hco3 := HCO3(7.40, 40)
	acid := HCO3(7.20, 50)
	checkAll(t, []approx{
		// 0.0307 × 40 × 10^(7.40 − 6.105) = 1.228 × 10^1.295 = 1.228 × 19.724 = 24.22 mmol/L.
		{"HCO3 normal", hco3, 24.22, 0.005},
		// 0.0307 × 50 × 10^1.095 = 1.535 × 12.445 = 19.10 mmol/L.
		{"HCO3 acidosis", acid, 19.10, 0.005},
		// (1 − 0.014 × 15) × (24.221 − 24.8 + 0) = 0.79 × −0.579 = −0.457.
		{"BE normal", BaseExcess(7.40, hco3, 15), -0.457, 0.0005},
		// (1 − 0.14) × (19.103 − 24.8 + (14.3 + 7.7) × −0.2) = 0.86 × (−5.697 − 4.4) = −8.683.
		{"BE acidosis", BaseExcess(7.20, acid, 10), -8.683, 0.0005},

		// At 28 °C, ΔT = −9: 7.40 − 0.0147 × −9 = 7.40 + 0.1323 = 7.5323.
		{"pH at 28 °C", TempCorrectPH(7.40, 28), 7.5323, 1e-9},
		// 40 × 10^(0.0185 × −9) = 40 × 10^−0.1665 = 40 × 0.68155 = 27.262 mmHg.
		{"PCO2 at 28 °C", TempCorrectPCO2(40, 28), 27.262, 0.0005},
		{"pH at 37 °C unchanged", TempCorrectPH(7.40, 37), 7.40, 1e-12},
		{"PCO2 at 37 °C unchanged", TempCorrectPCO2(40, 37), 40, 1e-12},
		// Hyperthermia, ΔT = +2: 7.40 − 0.0294 = 7.3706.
		{"pH at 39 °C", TempCorrectPH(7.40, 39), 7.3706, 1e-9},
	})

	// perfusion.md §2: 0.3 × 70 × 12 = 252 mmol; give half, 126, and recheck.
	full, half := BicarbonateDose(70, 12)
	assert.InDelta(t, 252, full, 1e-9)
	assert.InDelta(t, 126, half, 1e-9)
	full, half = BicarbonateDose(70, -3) // a base excess: nothing to give
	assert.Zero(t, full)
	assert.Zero(t, half)
}

func TestDosing(t *testing.T) {
	checkAll(t, []approx{
		// 80 kg × 300 IU/kg = 24 000 IU; × 400 = 32 000 IU.
		{"heparin 300", HeparinDose(80, 300), 24000, 1e-9},
		{"heparin 400", HeparinDose(80, 400), 32000, 1e-9},
		// 24 000 IU / 100 × 1.0 mg = 240 mg; × 1.3 = 312 mg.
		{"protamine 1.0", ProtamineDose(24000, 1.0), 240, 1e-9},
		{"protamine 1.3", ProtamineDose(24000, 1.3), 312, 1e-9},
	})
}

func TestRewarmRate(t *testing.T) {
	const s = int64(1e9)
	// 0.25 °C every 30 s is 0.5 °C/min.
	var steady []TempPoint
	for i := range 11 {
		steady = append(steady, TempPoint{Time: 1_700_000_000*s + int64(i)*30*s, TempC: 30 + 0.25*float64(i)})
	}
	r, ok := RewarmRate(steady)
	assert.True(t, ok)
	assert.InDelta(t, 0.5, r, 1e-9)

	// A least-squares fit, not the end points: times 0, 1, 2, 3 min,
	// temperatures 30.1, 30.4, 31.1, 31.4 (means 1.5 min, 30.75 °C).
	// Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5;
	// Sxy = 1.5×0.65 + 0.5×0.35 + 0.5×0.35 + 1.5×0.65 = 2.3;
	// slope = 2.3 / 5 = 0.46 °C/min (the end points alone give 1.3/3 = 0.433).
	noisy := []TempPoint{{0, 30.1}, {60 * s, 30.4}, {120 * s, 31.1}, {180 * s, 31.4}}
	r, ok = RewarmRate(noisy)
	assert.True(t, ok)
	assert.InDelta(t, 0.46, r, 1e-9)

	// Cooling gives a negative rate; order does not matter.
	r, ok = RewarmRate([]TempPoint{{120 * s, 28}, {0, 32}, {60 * s, 30}})
	assert.True(t, ok)
	assert.InDelta(t, -2, r, 1e-9)

	// NaN readings are skipped: two usable points remain.
	r, ok = RewarmRate([]TempPoint{{0, 30}, {30 * s, nan}, {60 * s, 31}})
	assert.True(t, ok)
	assert.InDelta(t, 1, r, 1e-9)

	for name, pts := range map[string][]TempPoint{
		"none":           nil,
		"one point":      {{0, 30}},
		"one usable":     {{0, 30}, {60 * s, math.Inf(1)}},
		"zero time span": {{5 * s, 30}, {5 * s, 31}, {5 * s, 32}},
	} {
		r, ok := RewarmRate(pts)
		assert.False(t, ok, name)
		assert.True(t, math.IsNaN(r), name)
	}
}

func TestRewarmRateAllocs(t *testing.T) {
	pts := make([]TempPoint, 60)
	for i := range pts {
		pts[i] = TempPoint{Time: int64(i) * 1e9, TempC: 30 + float64(i)/120}
	}
	var sink float64
	allocs := testing.AllocsPerRun(100, func() { sink, _ = RewarmRate(pts) })
	assert.Zero(t, allocs)
	assert.InDelta(t, 0.5, sink, 1e-9)
}

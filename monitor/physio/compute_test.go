package physio

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gdpInputs reproduce the DO2i/VCO2i example of perfusion.md §2 (4.92 vs
// 5.24 by the choice of k_co2 alone). Patient 175 cm, 80 kg (DuBois BSA
// 1.9561 m²), flow 4.5 L/min (flow index 2.3005), Hb 9.0 g/dL, SaO2 98 %,
// PaO2 200 mmHg, sweep 3.0 L/min, exhaust pCO2 27 mmHg:
//
//	CaO2      = 1.34 × 9.0 × 0.98 + 0.003 × 200 = 11.8188 + 0.6 = 12.4188 mL/dL
//	DO2       = 4.5 × 12.4188 × 10 = 558.85 mL/min; DO2i = 285.70 mL/min/m²
//	VCO2      = 3.0 × 27 × 1.316 = 106.60 mL/min;   VCO2i = 54.50 mL/min/m²
//	DO2i/VCO2i = 285.70 / 54.50 = 5.24
//	with k_co2 = 1.403 (water-vapour corrected): VCO2 = 113.64, VCO2i = 58.10,
//	DO2i/VCO2i = 4.92
//
// DO2i is above the 280 threshold either way; the ratio is under the 5.3 AKI
// cut-off either way, but crosses the 5.0 hyperlactataemia cut-off with the
// constant alone.
func gdpInputs() Inputs {
	in := AbsentInputs()
	in.HeightCm, in.WeightKg = 175, 80
	in.FlowLpm = 4.5
	in.Hb, in.SaO2, in.PaO2 = 9.0, 98, 200
	in.SweepLpm, in.ExhaustCO2 = 3.0, 27
	return in
}

// fullInputs sets every input.
func fullInputs() Inputs {
	return Inputs{
		HeightCm: 175, WeightKg: 80, FlowLpm: 4.4, MAP: 65, CVP: 5,
		Hb: 10, SaO2: 99, PaO2: 250, SvO2: 75, PvO2: 40,
		SweepLpm: 2.5, ExhaustCO2: 30,
		HctPre: 40, PrimeML: 1400, FluidsML: 0, CardioplegiaML: 500, RapML: 0,
	}
}

func TestComputeDO2iVCO2iExample(t *testing.T) {
	c := DefaultConstants()
	r := Compute(gdpInputs(), c)
	assert.InDelta(t, 1.956, r.BSA, 0.0005)
	assert.InDelta(t, 12.4188, r.CaO2, 1e-9)
	assert.InDelta(t, 285.70, r.DO2i, 0.005)
	assert.InDelta(t, 54.50, r.VCO2i, 0.005)
	assert.InDelta(t, 5.24, r.DO2iVCO2i, 0.005)

	c.VCO2Factor = 1.403
	r = Compute(gdpInputs(), c)
	assert.InDelta(t, 58.10, r.VCO2i, 0.005)
	assert.InDelta(t, 4.92, r.DO2iVCO2i, 0.005)

	// The same with the factor computed from Pb rather than rounded.
	c.VCO2Factor = VCO2Factor(760, true)
	assert.InDelta(t, 4.92, Compute(gdpInputs(), c).DO2iVCO2i, 0.005)
	c.VCO2Factor = VCO2Factor(760, false)
	assert.InDelta(t, 5.24, Compute(gdpInputs(), c).DO2iVCO2i, 0.005)
}

func TestComputeWorkedExamples(t *testing.T) {
	c := DefaultConstants()
	r := Compute(fullInputs(), c)
	checkAll(t, []approx{
		{"BSA", r.BSA, 1.956, 0.0005},
		{"flow index", r.FlowIndex, 2.2495, 0.0001},
		{"SVR", r.SVR, 1089.5, 0.05},
		// SVRI with DuBois 1.95606 rather than 1.956: 4794 × 1.95606 / 4.4 = 2131.2.
		{"SVRI", r.SVRI, 2131, 0.5},
		{"CaO2", r.CaO2, 14.016, 1e-9},
		{"CvO2", r.CvO2, 10.17, 1e-9},
		{"DO2", r.DO2, 616.704, 1e-9},
		// 616.704 / 1.95606 = 315.28.
		{"DO2i", r.DO2i, 315.28, 0.005},
		{"VO2", r.VO2, 169.224, 1e-9},
		// 169.224 / 1.95606 = 86.513.
		{"VO2i", r.VO2i, 86.513, 0.0005},
		{"O2ER", r.O2ERPct, 27.440, 0.0005},
		// 2.5 × 30 × 1.316 = 98.7 mL/min; / 1.95606 = 50.459; 315.28 / 50.459 = 6.248.
		{"VCO2", r.VCO2, 98.7, 1e-9},
		{"VCO2i", r.VCO2i, 50.459, 0.0005},
		{"DO2i/VCO2i", r.DO2iVCO2i, 6.248, 0.0005},
		// 98.7 / 169.224 = 0.5833.
		{"RQ", r.RQ, 0.5833, 0.00005},
		// 80 × 70 = 5600 mL; 40 × 5600 / (5600 + 1400 + 500) = 29.9 %.
		{"predicted Hct", r.PredictedHctPct, 29.9, 0.05},
	})
	assert.False(t, r.CvO2DissolvedAssumedZero)

	// SVR with 80: 1090.9 (perfusion.md §2).
	c.SVRFactor = 80
	assert.InDelta(t, 1090.9, Compute(fullInputs(), c).SVR, 0.05)

	// Predicted Hct without cardioplegia: 32.0 %.
	in := fullInputs()
	in.CardioplegiaML = 0
	assert.InDelta(t, 32.0, Compute(in, DefaultConstants()).PredictedHctPct, 0.05)

	// Mosteller: 175/80 -> 1.972.
	c = DefaultConstants()
	c.BSAFormula = Mosteller
	assert.InDelta(t, 1.972, Compute(fullInputs(), c).BSA, 0.0005)

	// A larger blood volume per kg dilutes less: 40 × 6400 / 8300 = 30.84 %.
	c = DefaultConstants()
	c.BloodVolumeMLPerKg = 80
	assert.InDelta(t, 30.84, Compute(fullInputs(), c).PredictedHctPct, 0.005)
}

func TestComputePvO2Absent(t *testing.T) {
	in := fullInputs()
	in.PvO2 = Absent()
	r := Compute(in, DefaultConstants())
	// 1.34 × 10 × 0.75 + 0 = 10.05.
	assert.InDelta(t, 10.05, r.CvO2, 1e-9)
	assert.True(t, r.CvO2DissolvedAssumedZero)

	// No CvO2 at all: nothing was assumed.
	in.SvO2 = Absent()
	r = Compute(in, DefaultConstants())
	assert.True(t, IsAbsent(r.CvO2))
	assert.False(t, r.CvO2DissolvedAssumedZero)
}

// resultFields lists Result's float fields with the Inputs fields each needs
// (the table in Result's doc comment). PvO2 is optional for CvO2 and so
// appears nowhere; PaO2 is optional for CaO2 and the delivery values.
var resultFields = map[string][]string{
	"BSA":             {"HeightCm", "WeightKg"},
	"FlowIndex":       {"FlowLpm", "HeightCm", "WeightKg"},
	"SVR":             {"MAP", "CVP", "FlowLpm"},
	"SVRI":            {"MAP", "CVP", "FlowLpm", "HeightCm", "WeightKg"},
	"CaO2":            {"Hb", "SaO2"},
	"CvO2":            {"Hb", "SvO2"},
	"DO2":             {"FlowLpm", "Hb", "SaO2"},
	"DO2i":            {"FlowLpm", "HeightCm", "WeightKg", "Hb", "SaO2"},
	"VO2":             {"FlowLpm", "Hb", "SaO2", "PaO2", "SvO2"},
	"VO2i":            {"FlowLpm", "HeightCm", "WeightKg", "Hb", "SaO2", "PaO2", "SvO2"},
	"O2ERPct":         {"Hb", "SaO2", "PaO2", "SvO2"},
	"VCO2":            {"SweepLpm", "ExhaustCO2"},
	"VCO2i":           {"SweepLpm", "ExhaustCO2", "HeightCm", "WeightKg"},
	"DO2iVCO2i":       {"FlowLpm", "HeightCm", "WeightKg", "Hb", "SaO2", "SweepLpm", "ExhaustCO2"},
	"RQ":              {"SweepLpm", "ExhaustCO2", "FlowLpm", "Hb", "SaO2", "PaO2", "SvO2"},
	"PredictedHctPct": {"HctPre", "WeightKg", "PrimeML", "FluidsML", "CardioplegiaML", "RapML"},
}

// TestComputePresence checks that each field is present exactly when all its
// inputs are: with only its inputs it is present, and dropping any one of
// them makes it absent.
func TestComputePresence(t *testing.T) {
	full := reflect.ValueOf(fullInputs())
	rt := reflect.TypeFor[Result]()
	n := 0
	for i := range rt.NumField() {
		if rt.Field(i).Type.Kind() == reflect.Float64 {
			n++
		}
	}
	require.Len(t, resultFields, n, "every Result field needs a row")

	only := func(names []string) Inputs {
		in := AbsentInputs()
		v := reflect.ValueOf(&in).Elem()
		for _, name := range names {
			f := v.FieldByName(name)
			require.True(t, f.IsValid(), name)
			f.SetFloat(full.FieldByName(name).Float())
		}
		return in
	}
	field := func(r Result, name string) float64 { return reflect.ValueOf(r).FieldByName(name).Float() }

	c := DefaultConstants()
	for name, needs := range resultFields {
		r := Compute(only(needs), c)
		assert.Falsef(t, IsAbsent(field(r, name)), "%s absent with all of %v", name, needs)
		for i := range needs {
			fewer := append(append([]string(nil), needs[:i]...), needs[i+1:]...)
			r := Compute(only(fewer), c)
			assert.Truef(t, IsAbsent(field(r, name)), "%s present without %s", name, needs[i])
		}
	}

	// Nothing in, nothing out.
	r := Compute(AbsentInputs(), c)
	for name := range resultFields {
		assert.True(t, IsAbsent(field(r, name)), name)
	}
	assert.False(t, r.CvO2DissolvedAssumedZero)
}

func TestComputeZeroFlow(t *testing.T) {
	in := fullInputs()
	in.FlowLpm = 0 // circulatory arrest
	r := Compute(in, DefaultConstants())
	assert.Zero(t, r.FlowIndex)
	assert.Zero(t, r.DO2)
	assert.Zero(t, r.DO2i)
	assert.Zero(t, r.VO2)
	assert.True(t, IsAbsent(r.SVR), "SVR at zero flow")
	assert.True(t, IsAbsent(r.SVRI), "SVRI at zero flow")
	assert.True(t, IsAbsent(r.RQ), "RQ at zero VO2")
	assert.Zero(t, r.DO2iVCO2i, "DO2i/VCO2i is 0 at zero flow, not absent")

	in = fullInputs()
	in.SweepLpm = 0
	r = Compute(in, DefaultConstants())
	assert.Zero(t, r.VCO2)
	assert.True(t, IsAbsent(r.DO2iVCO2i), "DO2i/VCO2i with no CO2 removal")
}

// TestComputeAgreesWithFunctions: Compute is the composition of the exported
// functions, exactly, for random plausible inputs and constants.
func TestComputeAgreesWithFunctions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	for range 1000 {
		in := Inputs{
			HeightCm: u(50, 210), WeightKg: u(3, 200), FlowLpm: u(0, 7), MAP: u(20, 120), CVP: u(-5, 25),
			Hb: u(4, 18), SaO2: u(80, 100), PaO2: u(60, 600), SvO2: u(30, 95), PvO2: u(20, 80),
			SweepLpm: u(0, 10), ExhaustCO2: u(0, 60),
			HctPre: u(15, 55), PrimeML: u(200, 2000), FluidsML: u(0, 2000), CardioplegiaML: u(0, 2000), RapML: u(0, 800),
		}
		c := DefaultConstants()
		c.Hufner, c.O2Solubility, c.VCO2Factor, c.SVRFactor = u(1.30, 1.40), u(0.0028, 0.0032), u(1.0, 1.6), u(79, 81)
		c.BloodVolumeMLPerKg = u(40, 100)
		if rng.IntN(2) == 1 {
			c.BSAFormula = Mosteller
		}
		r := Compute(in, c)

		bsa := BSA(c.BSAFormula, in.HeightCm, in.WeightKg)
		fi := FlowIndex(in.FlowLpm, bsa)
		cao2 := O2Content(in.Hb, in.SaO2, in.PaO2, c.Hufner, c.O2Solubility)
		cvo2 := O2Content(in.Hb, in.SvO2, in.PvO2, c.Hufner, c.O2Solubility)
		vco2 := VCO2(in.SweepLpm, in.ExhaustCO2, c.VCO2Factor)
		vo2 := VO2(in.FlowLpm, cao2, cvo2)
		want := Result{
			BSA: bsa, FlowIndex: fi,
			SVR:  SVR(in.MAP, in.CVP, in.FlowLpm, c.SVRFactor),
			SVRI: SVRI(in.MAP, in.CVP, fi, c.SVRFactor),
			CaO2: cao2, CvO2: cvo2,
			DO2: DO2(in.FlowLpm, cao2), DO2i: DO2i(fi, cao2),
			VO2: vo2, VO2i: VO2i(fi, cao2, cvo2),
			O2ERPct:   O2ER(cao2, cvo2),
			VCO2:      vco2,
			VCO2i:     Index(vco2, bsa),
			DO2iVCO2i: DO2iVCO2i(DO2i(fi, cao2), Index(vco2, bsa)),
			RQ:        RQ(vco2, vo2),
			PredictedHctPct: PredictedHct(in.HctPre, BloodVolume(in.WeightKg, c.BloodVolumeMLPerKg),
				in.PrimeML, in.FluidsML, in.CardioplegiaML, in.RapML),
		}
		// Bit-for-bit, NaN where both are NaN.
		rv, wv := reflect.ValueOf(r), reflect.ValueOf(want)
		for i := range rv.NumField() {
			if rv.Field(i).Kind() != reflect.Float64 {
				continue
			}
			g, w := rv.Field(i).Float(), wv.Field(i).Float()
			if !(g == w || math.IsNaN(g) && math.IsNaN(w)) {
				t.Fatalf("%s: Compute %v, functions %v (inputs %+v)", rv.Type().Field(i).Name, g, w, in)
			}
		}
	}
}

// TestDO2iMonotonicInFlow: with everything else fixed, more flow never
// delivers less oxygen, and DO2i = DO2 / BSA throughout.
func TestDO2iMonotonicInFlow(t *testing.T) {
	in := fullInputs()
	c := DefaultConstants()
	prev := math.Inf(-1)
	for f := 0; f <= 80; f++ {
		in.FlowLpm = float64(f) / 10
		r := Compute(in, c)
		require.False(t, IsAbsent(r.DO2i))
		assert.Greater(t, r.DO2i, prev, "flow %.1f", in.FlowLpm)
		assert.InDelta(t, r.DO2/r.BSA, r.DO2i, 1e-9)
		prev = r.DO2i
	}
}

func TestComputeAllocs(t *testing.T) {
	in, c := fullInputs(), DefaultConstants()
	var sink Result
	allocs := testing.AllocsPerRun(1000, func() { sink = Compute(in, c) })
	assert.Zero(t, allocs)
	assert.False(t, IsAbsent(sink.DO2i))
}

var benchSink Result

// BenchmarkCompute measures one full derivation, as the pipeline does per
// snapshot. Run with -benchmem: it must report 0 allocs/op. The "absent"
// case (all NaN) is the cheap baseline: the cost of the guards alone.
func BenchmarkCompute(b *testing.B) {
	c := DefaultConstants()
	for _, bc := range []struct {
		name string
		in   Inputs
	}{{"full", fullInputs()}, {"absent", AbsentInputs()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchSink = Compute(bc.in, c)
			}
		})
	}
}

func FuzzCompute(f *testing.F) {
	add := func(in Inputs, formula uint8) {
		f.Add(in.HeightCm, in.WeightKg, in.FlowLpm, in.MAP, in.CVP, in.Hb, in.SaO2, in.PaO2, in.SvO2, in.PvO2,
			in.SweepLpm, in.ExhaustCO2, in.HctPre, in.PrimeML, in.FluidsML, in.CardioplegiaML, in.RapML, formula)
	}
	add(fullInputs(), 0)
	add(gdpInputs(), 1)
	add(AbsentInputs(), 0)
	add(Inputs{}, 0)
	inf := math.Inf(1)
	add(Inputs{inf, inf, inf, -inf, inf, inf, 1e308, 1e308, -1e308, 1e308, 1e308, 1e308, 1e308, -1e308, 1e308, 1e308, -1e308}, 1)
	add(Inputs{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}, 7)
	add(Inputs{5e-324, 5e-324, 1e300, 1, 0, 1e300, 1e300, 0, 0, 0, 1e-300, 1e300, 1e300, 1, 0, 0, 2}, 0)

	c := DefaultConstants()
	f.Fuzz(func(t *testing.T, h, w, flow, mapP, cvp, hb, sao2, pao2, svo2, pvo2, sweep, exhaust, hct, prime, fluids, cp, rap float64, formula uint8) {
		in := Inputs{h, w, flow, mapP, cvp, hb, sao2, pao2, svo2, pvo2, sweep, exhaust, hct, prime, fluids, cp, rap}
		c := c
		c.BSAFormula = BSAFormula(formula % 3) // includes an unknown formula
		r := Compute(in, c)
		rv := reflect.ValueOf(r)
		for i := range rv.NumField() {
			if rv.Field(i).Kind() != reflect.Float64 {
				continue
			}
			if v := rv.Field(i).Float(); math.IsInf(v, 0) {
				t.Fatalf("%s = %v, want finite or NaN (inputs %+v)", rv.Type().Field(i).Name, v, in)
			}
		}
		if r.CvO2DissolvedAssumedZero && (!IsAbsent(in.PvO2) || IsAbsent(r.CvO2)) {
			t.Fatalf("CvO2DissolvedAssumedZero with PvO2 %v, CvO2 %v", in.PvO2, r.CvO2)
		}
	})
}

// Without a PaO2, CaO2 and the delivery values are computed from the bound
// oxygen alone and flagged; the consumption values, which a missing
// arterial dissolved term would bias, stay absent.
func TestComputePaO2Absent(t *testing.T) {
	in := fullInputs()
	in.PaO2 = Absent()
	r := Compute(in, DefaultConstants())
	full := Compute(fullInputs(), DefaultConstants())
	// 1.34 × 10 × 0.99 = 13.266 mL/dL; with PaO2 250 it is 13.266 + 0.75 = 14.016.
	assert.InDelta(t, 13.266, r.CaO2, 1e-9)
	assert.InDelta(t, 14.016, full.CaO2, 1e-9)
	assert.True(t, r.CaO2DissolvedOmitted)
	assert.False(t, full.CaO2DissolvedOmitted)
	// DO2i = 4.4 / 1.956 × 13.266 × 10 = 298.4 mL/min/m²: lower than the full
	// 315.3, on the safe side of a low limit.
	assert.InDelta(t, 4.4/full.BSA*13.266*10, r.DO2i, 1e-9)
	assert.Less(t, r.DO2i, full.DO2i)
	assert.False(t, IsAbsent(r.DO2iVCO2i))
	for name, v := range map[string]float64{"VO2": r.VO2, "VO2i": r.VO2i, "O2ER": r.O2ERPct, "RQ": r.RQ} {
		assert.True(t, IsAbsent(v), name)
	}
	// No SaO2 either: nothing to omit, no flag.
	in.SaO2 = Absent()
	r = Compute(in, DefaultConstants())
	assert.True(t, IsAbsent(r.CaO2))
	assert.False(t, r.CaO2DissolvedOmitted)
}

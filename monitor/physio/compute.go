package physio

import "math"

// Absent returns the value that marks an absent input or result: NaN. It is
// a function, not a variable, so that no package can change it.
func Absent() float64 { return math.NaN() }

// IsAbsent reports whether v marks an absent value (NaN).
func IsAbsent(v float64) bool { return math.IsNaN(v) }

// positive returns v when it is a usable divisor (> 0), else NaN, so that a
// division by it yields NaN instead of ±Inf or a sign-flipped value.
func positive(v float64) float64 {
	if v > 0 {
		return v
	}
	return math.NaN()
}

// finite maps ±Inf to NaN: an overflowed value is as unusable as an absent one.
func finite(v float64) float64 {
	if math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}

// Inputs are the measured and entered values Compute works from, in the
// package's units (saturations in percent). Every field is float64 and NaN
// (Absent) means "absent": not measured, not entered, or not fit to use
// (stale, out of range). Zero is a real value.
//
// The zero Inputs therefore means "everything present and zero"; start from
// AbsentInputs and fill in what is known.
//
// Compute does not judge plausibility: the pipeline passes only readings of
// quality OK (channel ranges, freshness), and "pumpside calc" checks its
// flags.
type Inputs struct {
	HeightCm, WeightKg float64 // patient size
	FlowLpm            float64 // arterial pump flow, L/min
	MAP, CVP           float64 // mmHg
	Hb                 float64 // g/dL
	SaO2, PaO2         float64 // arterial saturation %, PO2 mmHg; PaO2 optional for CaO2 and DO2 (see Result.CaO2DissolvedOmitted)
	SvO2, PvO2         float64 // venous saturation %, PO2 mmHg; PvO2 optional (see Result.CvO2DissolvedAssumedZero)
	SweepLpm           float64 // oxygenator sweep gas, L/min
	ExhaustCO2         float64 // oxygenator exhaust pCO2, mmHg
	HctPre             float64 // pre-bypass haematocrit, %
	PrimeML            float64 // circuit prime, mL
	FluidsML           float64 // pre-bypass fluids, mL
	CardioplegiaML     float64 // crystalloid cardioplegia, mL
	RapML              float64 // retrograde autologous priming (volume removed), mL
}

// AbsentInputs returns Inputs with every field absent (NaN).
func AbsentInputs() Inputs {
	n := math.NaN()
	return Inputs{n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n}
}

// Result holds the derived values. A field is NaN when any of its inputs is
// absent or it cannot be computed (zero flow for SVR, zero VO2 for RQ); it is
// never ±Inf. The inputs of each field:
//
//	BSA             HeightCm, WeightKg (Constants.BSAFormula)
//	FlowIndex       FlowLpm, BSA
//	SVR             MAP, CVP, FlowLpm > 0
//	SVRI            MAP, CVP, FlowIndex > 0
//	CaO2            Hb, SaO2 (PaO2 if present, else dissolved O2 omitted)
//	CvO2            Hb, SvO2 (PvO2 if present, else dissolved O2 taken as 0)
//	DO2             FlowLpm, CaO2
//	DO2i            FlowIndex, CaO2
//	VO2             FlowLpm, CaO2 with PaO2, CvO2
//	VO2i            FlowIndex, CaO2 with PaO2, CvO2
//	O2ERPct         CaO2 with PaO2 > 0, CvO2
//	VCO2            SweepLpm, ExhaustCO2 (Constants.VCO2Factor)
//	VCO2i           VCO2, BSA
//	DO2iVCO2i       DO2i, VCO2i > 0
//	RQ              VCO2, VO2 > 0
//
// The oxygen consumption values (VO2, VO2i, O2ERPct, RQ) need PaO2: they
// are differences of arterial and venous content, and omitting the
// arterial dissolved O2 (0.6-0.9 mL/dL at the PaO2 of bypass) would bias
// them by as much as the difference itself changes.
//
//	PredictedHctPct HctPre, WeightKg, PrimeML, FluidsML, CardioplegiaML, RapML
//	                (blood volume WeightKg × Constants.BloodVolumeMLPerKg)
type Result struct {
	BSA             float64 // m²
	FlowIndex       float64 // L/min/m²
	SVR             float64 // dyn·s·cm⁻⁵
	SVRI            float64 // dyn·s·cm⁻⁵·m²
	CaO2, CvO2      float64 // mL O2/dL
	DO2             float64 // mL/min
	DO2i            float64 // mL/min/m²
	VO2             float64 // mL/min
	VO2i            float64 // mL/min/m²
	O2ERPct         float64 // %
	VCO2            float64 // mL/min
	VCO2i           float64 // mL/min/m²
	DO2iVCO2i       float64 // ratio
	RQ              float64 // ratio
	PredictedHctPct float64 // %

	// CvO2DissolvedAssumedZero is true when CvO2 is present but PvO2 was
	// absent, so its dissolved term was taken as 0 (as HemoSphere does).
	// The display must say so; the error is small (0.003 × PvO2, about
	// 0.1 mL/dL at 40 mmHg) but it is an assumption.
	CvO2DissolvedAssumedZero bool

	// CaO2DissolvedOmitted is true when CaO2 (and so DO2, DO2i and
	// DO2iVCO2i) is present but PaO2 was absent: CaO2 is then the bound
	// oxygen alone, k_Hb × Hb × SaO2, which understates it by 0.003 ×
	// PaO2 (0.6-0.9 mL/dL on bypass at 200-300 mmHg, 5-7 % of a CaO2 of
	// 12). The error is on the safe side for a low-DO2i limit: the value
	// reads low, never high. The display must say so.
	CaO2DissolvedOmitted bool
}

// Compute derives every value of Result that its inputs allow, with the
// constants c (which it does not validate; see Constants.Validate). It is
// the single implementation behind the pipeline's derived channels and
// "pumpside calc". Compute does not allocate and is safe for concurrent use.
func Compute(in Inputs, c Constants) Result {
	var r Result
	r.BSA = finite(BSA(c.BSAFormula, in.HeightCm, in.WeightKg))
	r.FlowIndex = finite(FlowIndex(in.FlowLpm, r.BSA))
	r.SVR = finite(SVR(in.MAP, in.CVP, in.FlowLpm, c.SVRFactor))
	r.SVRI = finite(SVRI(in.MAP, in.CVP, r.FlowIndex, c.SVRFactor))

	// cao2 is the full content, for consumption; r.CaO2, for delivery,
	// omits the dissolved term without a PaO2.
	cao2 := finite(O2Content(in.Hb, in.SaO2, in.PaO2, c.Hufner, c.O2Solubility))
	r.CaO2 = cao2
	if IsAbsent(in.PaO2) {
		r.CaO2 = finite(O2Content(in.Hb, in.SaO2, 0, c.Hufner, c.O2Solubility))
		r.CaO2DissolvedOmitted = !IsAbsent(r.CaO2)
	}
	pvo2 := in.PvO2
	if IsAbsent(pvo2) {
		pvo2 = 0
	}
	r.CvO2 = finite(O2Content(in.Hb, in.SvO2, pvo2, c.Hufner, c.O2Solubility))
	r.CvO2DissolvedAssumedZero = IsAbsent(in.PvO2) && !IsAbsent(r.CvO2)

	r.DO2 = finite(DO2(in.FlowLpm, r.CaO2))
	r.DO2i = finite(DO2i(r.FlowIndex, r.CaO2))
	r.VO2 = finite(VO2(in.FlowLpm, cao2, r.CvO2))
	r.VO2i = finite(VO2i(r.FlowIndex, cao2, r.CvO2))
	r.O2ERPct = finite(O2ER(cao2, r.CvO2))

	r.VCO2 = finite(VCO2(in.SweepLpm, in.ExhaustCO2, c.VCO2Factor))
	r.VCO2i = finite(Index(r.VCO2, r.BSA))
	r.DO2iVCO2i = finite(DO2iVCO2i(r.DO2i, r.VCO2i))
	r.RQ = finite(RQ(r.VCO2, r.VO2))

	bv := finite(BloodVolume(in.WeightKg, c.BloodVolumeMLPerKg))
	r.PredictedHctPct = finite(PredictedHct(in.HctPre, bv, in.PrimeML, in.FluidsML, in.CardioplegiaML, in.RapML))
	return r
}

package physio

import "math"

// FlowIndex returns the pump flow per m² of BSA in L/min/m² (the cardiac
// index on bypass). NaN when bsa is not positive. perfusion.md §2; targets
// in TargetFlowIndex.
func FlowIndex(flowLpm, bsa float64) float64 { return flowLpm / positive(bsa) }

// TargetFlowIndex returns the target flow index (L/min/m²) at blood
// temperature tempC by linear interpolation in table, clamped to the first
// and last rows beyond the ends. The table must be in increasing temperature
// (Constants.Validate checks). NaN for an empty table or a NaN temperature.
//
// Source: Cavaliere, as cited in perfusion.md §2: 2.4 at 37 °C, 2.0 at 32 °C
// (DefaultFlowIndexTable). Values between and beyond those two points are
// unconfirmed; hospitals set their own table.
func TargetFlowIndex(tempC float64, table FlowIndexTable) float64 {
	n := len(table)
	switch {
	case n == 0 || math.IsNaN(tempC):
		return math.NaN()
	case tempC <= table[0].TempC:
		return table[0].FlowIndex
	case tempC >= table[n-1].TempC:
		return table[n-1].FlowIndex
	}
	for i := 1; i < n; i++ {
		hi := table[i]
		if tempC <= hi.TempC {
			lo := table[i-1]
			return lo.FlowIndex + (hi.FlowIndex-lo.FlowIndex)*(tempC-lo.TempC)/(hi.TempC-lo.TempC)
		}
	}
	return math.NaN() // unsorted table
}

// SVR returns systemic vascular resistance in dyn·s·cm⁻⁵:
// (MAP − CVP) (mmHg) × factor / flow (L/min), where factor (normally
// Constants.SVRFactor, 79.9; many use 80) converts mmHg·min/L. NaN when flow
// is not positive (circulatory arrest).
//
// Source: perfusion.md §2: MAP 65, CVP 5, flow 4.4 -> 1089.5 (1090.9 with 80).
func SVR(mapMmHg, cvp, flowLpm, factor float64) float64 {
	return (mapMmHg - cvp) * factor / positive(flowLpm)
}

// SVRI returns the systemic vascular resistance index in dyn·s·cm⁻⁵·m²:
// (MAP − CVP) × factor / flow index. NaN when the flow index is not
// positive.
//
// Source: perfusion.md §2: MAP 65, CVP 5, flow 4.4, BSA 1.956 -> 2131.
func SVRI(mapMmHg, cvp, flowIndex, factor float64) float64 {
	return (mapMmHg - cvp) * factor / positive(flowIndex)
}

// AVGradient returns the arterial–venous blood temperature gradient in °C:
// arterial outlet minus venous inlet. Positive while rewarming, negative
// while cooling. perfusion.md §2; limits in §3 (STS/SCA/AmSECT 2015).
func AVGradient(arterialOutletC, venousInletC float64) float64 {
	return arterialOutletC - venousInletC
}

// AVGradientBand is the guideline's signed band of the arterial outlet −
// venous inflow gradient (AVGradient), in °C: the outlet may be Cooling
// below the venous blood and Rewarming above it; once the outlet is at or
// above WarmFrom, rewarming may lead by Warm at most.
//
// Source: Engelman R et al., "The Society of Thoracic Surgeons, The Society
// of Cardiovascular Anesthesiologists, and The American Society of
// ExtraCorporeal Technology: Clinical Practice Guidelines for Cardiopulmonary
// Bypass—Temperature Management during Cardiopulmonary Bypass", Ann Thorac
// Surg 2015;100:748-57, class I: the gradient should not exceed 10 °C during
// cooling or rewarming, and 4 °C once the outlet is at or above 30 °C while
// rewarming.
type AVGradientBand struct {
	Cooling, Rewarming, Warm, WarmFrom float64
}

// GuidelineAVGradientBand is the 2015 guideline's band: −10 to +10 °C, +4 °C
// once the outlet is ≥ 30 °C.
var GuidelineAVGradientBand = AVGradientBand{Cooling: 10, Rewarming: 10, Warm: 4, WarmFrom: 30}

// AVGradientOutside reports whether gradient (AVGradient, °C) at the outlet
// temperature outletC is outside band: below −Cooling, above Rewarming, or
// above Warm with the outlet at or above WarmFrom. A NaN gradient is not
// outside (no value judges nothing); a NaN outlet applies the wide band.
func AVGradientOutside(gradient, outletC float64, band AVGradientBand) bool {
	switch {
	case math.IsNaN(gradient):
		return false
	case gradient < -band.Cooling || gradient > band.Rewarming:
		return true
	}
	return outletC >= band.WarmFrom && gradient > band.Warm
}

// TempPoint is one temperature reading for RewarmRate.
type TempPoint struct {
	// Time in nanoseconds on any one clock (monitor.Sample.Time is Unix ns);
	// only differences matter.
	Time  int64
	TempC float64
}

const nsPerMin = 60e9

// RewarmRate returns the rate of change of temperature in °C/min: the
// least-squares slope over the window of points (perfusion.md §2: d(T
// arterial outlet)/dt over a window; limit 0.5 °C/min once the outlet is
// ≥ 30 °C, STS/SCA/AmSECT 2015). Points need not be sorted; points with a
// non-finite temperature are skipped. ok is false when fewer than 2 usable
// points remain or they all share one time. It does not allocate.
//
// A fit rather than end-point difference keeps one noisy reading from
// swinging the rate.
func RewarmRate(points []TempPoint) (cPerMin float64, ok bool) {
	var n int
	var t0 int64
	var sumT, sumY float64
	for _, p := range points {
		if math.IsNaN(p.TempC) || math.IsInf(p.TempC, 0) {
			continue
		}
		if n == 0 {
			t0 = p.Time // times relative to one point keep float64 precision
		}
		n++
		sumT += float64(p.Time-t0) / nsPerMin
		sumY += p.TempC
	}
	if n < 2 {
		return math.NaN(), false
	}
	meanT, meanY := sumT/float64(n), sumY/float64(n)
	var sxx, sxy float64
	for _, p := range points {
		if math.IsNaN(p.TempC) || math.IsInf(p.TempC, 0) {
			continue
		}
		dt := float64(p.Time-t0)/nsPerMin - meanT
		sxx += dt * dt
		sxy += dt * (p.TempC - meanY)
	}
	if !(sxx > 0) {
		return math.NaN(), false
	}
	slope := sxy / sxx
	if math.IsInf(slope, 0) || math.IsNaN(slope) {
		return math.NaN(), false
	}
	return slope, true
}

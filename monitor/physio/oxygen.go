package physio

// O2Content returns the oxygen content of blood in mL O2/dL:
// k_Hb × Hb × sat + k_d × PO2, with Hb in g/dL, sat in PERCENT (divided by
// 100 here), PO2 in mmHg, hufner = k_Hb (mL O2/g) and solubility = k_d
// (mL O2/dL/mmHg), normally Constants.Hufner and Constants.O2Solubility.
//
// Use it for CaO2 (SaO2, PaO2) and CvO2 (SvO2, PvO2). When PvO2 is not
// measured, HemoSphere and others take the dissolved term as 0 for CvO2:
// to do the same, pass po2 = 0 and tell the user, as Compute does
// (Result.CvO2DissolvedAssumedZero). An absent (NaN) po2 gives NaN, never a
// silent zero.
//
// Source: the oxygen content equation (Hüfner's bound O2 plus Henry's-law
// dissolved O2) with the constants of perfusion.md §2: k_Hb 1.34 (vendors
// 1.34–1.39), k_d 0.003 (0.003–0.0031).
func O2Content(hb, satPct, po2, hufner, solubility float64) float64 {
	return hufner*hb*satPct/100 + solubility*po2
}

// DO2 returns oxygen delivery in mL/min: flow (L/min) × CaO2 (mL/dL) × 10
// (dL per L). perfusion.md §2.
func DO2(flowLpm, cao2 float64) float64 { return flowLpm * cao2 * 10 }

// DO2i returns indexed oxygen delivery in mL/min/m²: flow index (L/min/m²)
// × CaO2 (mL/dL) × 10. perfusion.md §2; the low limit is 280 mL/min/m²
// (GIFT 2018, Constants.DO2iThreshold).
func DO2i(flowIndex, cao2 float64) float64 { return flowIndex * cao2 * 10 }

// VO2 returns oxygen consumption in mL/min: flow (L/min) × (CaO2 − CvO2)
// (mL/dL) × 10 (the Fick principle applied to pump flow). perfusion.md §2.
func VO2(flowLpm, cao2, cvo2 float64) float64 { return flowLpm * (cao2 - cvo2) * 10 }

// VO2i returns indexed oxygen consumption in mL/min/m²: flow index ×
// (CaO2 − CvO2) × 10. Typical on bypass: 56 ± 8 mL/min/m² (Hendrix 2019).
func VO2i(flowIndex, cao2, cvo2 float64) float64 { return flowIndex * (cao2 - cvo2) * 10 }

// O2ER returns the oxygen extraction ratio in PERCENT:
// (CaO2 − CvO2) / CaO2 × 100. Typical 21 ± 3 % (perfusion.md §2). NaN when
// CaO2 is not positive.
func O2ER(cao2, cvo2 float64) float64 { return (cao2 - cvo2) / positive(cao2) * 100 }

// VCO2 returns CO2 production in mL/min measured at the oxygenator exhaust:
// sweep (L/min) × exhaust pCO2 (mmHg) × k_co2 (mL/(L·mmHg), see VCO2Factor
// and Constants.VCO2Factor).
//
// Source: perfusion.md §2, the method of the GDP monitors (Ranucci 2006).
// The choice of k_co2 alone can move DO2i/VCO2i across the 5.0 and 5.3
// cut-offs, which is why it is a setting shown with the value.
func VCO2(sweepLpm, exhaustCO2, factor float64) float64 { return sweepLpm * exhaustCO2 * factor }

// VCO2Factor returns k_co2 for barometric pressure pb (mmHg): 1000 / Pb for
// a dry-gas reading (1000/760 = 1.316), or 1000 / (Pb − 47) when the
// analyser corrects for water vapour at 37 °C (1000/713 = 1.403). It turns a
// partial pressure into a fraction and litres into mL. NaN when the divisor
// is not positive.
//
// Source: perfusion.md §2. The constant GDP vendors use is unconfirmed (often
// quoted 1.34), hence Constants.VCO2Factor.
func VCO2Factor(pb float64, waterVapourCorrected bool) float64 {
	if waterVapourCorrected {
		pb -= 47 // saturated water vapour pressure at 37 °C, mmHg
	}
	return 1000 / positive(pb)
}

// VCO2FactorSTPD returns k_co2 (mL/(L·mmHg)) that gives VCO2 at STPD (0 °C,
// 760 mmHg, dry) from the sweep gas flow as the blender's flowmeter reads it
// (dry gas at room temperature roomTempC and barometric pressure pb, mmHg)
// and the exhaust PCO2 as the capnometer reports it:
//
//	F_CO2   = PeCO2 / (Pb − PH2O)          the CO2 fraction of the exhaust
//	VCO2    = sweep × 1000 × F_CO2         mL/min at room conditions (ATPD)
//	VCO2stp = VCO2 × Pb/760 × 273.15/(273.15 + T_room)
//	k_co2   = 1000 × Pb / ((Pb − PH2O) × 760) × 273.15 / (273.15 + T_room)
//
// PH2O is 0 for a capnometer that reports the partial pressure of the dried
// sample (the usual sidestream analyser with a water trap): Pb then cancels
// and k_co2 = 1000/760 × 273.15/(273.15 + T_room), 1.222 at 21 °C. It is 47
// mmHg for one that reports a water-vapour-corrected (BTPS) reading, as
// VCO2Factor's waterVapourCorrected. NaN when a divisor is not positive.
//
// Source: the ideal-gas conversion of a gas volume to standard temperature
// and pressure, dry (STPD), as used for every gas-exchange measurement
// (ATS/ERS statement on standardisation of lung function testing; West JB,
// Respiratory Physiology: The Essentials, appendix). Worked example:
// sweep 3 L/min, exhaust 30 mmHg, room 21 °C, Pb 760, dry: F = 30/760 =
// 0.03947; 3000 × 0.03947 = 118.42 mL/min at 21 °C; × 273.15/294.15 =
// 109.97 mL/min at STPD (k = 1.2219). The uncorrected k = 1.316 gives
// 118.4: 7.7 % more CO2 than was produced.
func VCO2FactorSTPD(pb, roomTempC float64, waterVapourCorrected bool) float64 {
	dry := pb
	if waterVapourCorrected {
		dry -= 47
	}
	return 1000 * pb / (positive(dry) * 760) * 273.15 / positive(273.15+roomTempC)
}

// Index returns a value per m² of body surface area (VCO2i = VCO2 / BSA and
// the like). NaN when bsa is not positive.
func Index(value, bsa float64) float64 { return value / positive(bsa) }

// DO2iVCO2i returns the ratio DO2i / VCO2i (the same as DO2 / VCO2). Below
// 5.0 predicts hyperlactataemia, below 5.3 acute kidney injury (Ranucci
// 2006; de Somer 2011). NaN when VCO2i is not positive.
func DO2iVCO2i(do2i, vco2i float64) float64 { return do2i / positive(vco2i) }

// RQ returns the respiratory quotient VCO2 / VO2 (both mL/min). Above 0.9
// suggests anaerobic metabolism (Ranucci 2006). NaN when VO2 is not
// positive.
func RQ(vco2, vo2 float64) float64 { return vco2 / positive(vo2) }

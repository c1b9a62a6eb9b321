package physio

import "math"

// The oxygenator's own performance figures. Its O2 transfer and CO2
// removal need no functions of their own: on bypass the blood leaving the
// oxygenator is the arterial blood and the blood entering it the venous
// blood, so the O2 it transfers, flow × (C_post − C_pre) × 10, is VO2
// with the same inputs, and the CO2 it removes, sweep × the exhaust CO2
// fraction, is VCO2 (docs/physiology.md, "Oxygenator performance").

// OxyPressureDrop returns the pressure drop across the oxygenator in mmHg:
// pre-oxygenator minus post-oxygenator blood pressure. A rise at the same
// blood flow is the sign of clot in the fibre bundle.
//
// Source: ELSO General Guidelines for all ECLS Cases (v1.4, 2017), circuit
// monitoring: pre- and post-membrane pressures, the pressure drop trended
// for thrombosis; Lubnow M et al., Technical complications during
// veno-venous ECMO and their relevance predicting a system exchange, PLoS
// One 2014;9:e112316 (pressure drop and post-oxygenator pO2 as the exchange
// criteria). Worked example: pre 260, post 210 -> 50 mmHg.
func OxyPressureDrop(preMmHg, postMmHg float64) float64 { return preMmHg - postMmHg }

// OxyResistanceMinFlow is the blood flow (L/min) below which
// OxyResistance is not computed: below 1 L/min a healthy oxygenator's
// pressure drop (under 15 mmHg) is of the order of the two transducers'
// noise and offsets (a few mmHg each), and the quotient means nothing.
const OxyResistanceMinFlow = 1.0

// OxyResistance returns the oxygenator's blood-path resistance in
// mmHg/(L/min): the pressure drop divided by the blood flow. The pressure
// drop of a hollow-fibre oxygenator rises about in proportion to flow over
// its working range (the manufacturers' pressure-drop curves, e.g. the
// instructions for use of adult hollow-fibre oxygenators), so the quotient
// is the pressure drop with the flow taken out: a flow change moves the
// pressure drop, not the resistance; a clot moves both. NaN below
// OxyResistanceMinFlow.
//
// Worked example: pressure drop 50 mmHg at 5 L/min -> 10 mmHg/(L/min); 75
// mmHg at the same flow -> 15 (a 50 % rise).
func OxyResistance(dropMmHg, flowLpm float64) float64 {
	if !(flowLpm >= OxyResistanceMinFlow) {
		return math.NaN()
	}
	return dropMmHg / flowLpm
}

// PFRatio returns the post-oxygenator PaO2/FiO2 ratio in mmHg: the PaO2 of
// the blood leaving the oxygenator (on bypass the arterial line's) over the
// sweep gas oxygen fraction, given in PERCENT and divided by 100 here. NaN
// when FiO2 is not positive.
//
// Source: the ratio is the Horowitz index of lung function (ARDS
// Definition Task Force, JAMA 2012;307:2526) applied to the membrane lung;
// a post-oxygenator PO2 below about 200 mmHg at FiO2 1.0 (a ratio of 200)
// is the commonly quoted sign of a failing membrane lung (ELSO General
// Guidelines; Lubnow 2014). Worked example: PaO2 227 mmHg at FiO2 60 % ->
// 227 / 0.60 = 378 mmHg.
func PFRatio(pao2, fio2Pct float64) float64 { return pao2 / positive(fio2Pct/100) }

// Package physio holds the derived values of cardiopulmonary bypass as pure
// functions: body surface area, flow index, oxygen content, delivery and
// consumption, CO2 production, vascular resistance, haematocrit prediction,
// acid–base values, temperature correction and drug doses. Each function
// cites its source and has a worked example in its tests; the formulas are
// those of the project's domain notes (perfusion.md, section 2).
//
// Everything here is a pure function of its arguments: no state, no I/O, no
// clock, no allocation on the hot path (Compute). All of it is safe for
// concurrent use. Compute is the one implementation behind both the pipeline's
// derived channels and "pumpside calc", so the console and the calculator
// cannot disagree.
//
// # Units
//
// Flows L/min; BSA m²; Hb g/dL; saturations in PERCENT, as shown on screen
// (0–100; converted to fractions inside the formulas); partial pressures
// mmHg; O2 content mL O2/dL; DO2, VO2 and VCO2 mL/min; an "i" suffix means
// per m² of BSA; temperatures °C; volumes mL; haematocrit in percent.
//
// # Absent values
//
// An absent input is NaN (see Absent and IsAbsent), never zero: zero is a
// real reading (flow during circulatory arrest). NaN propagates through the
// arithmetic, so a value computed from an absent input is itself absent. A
// value that cannot be computed (a zero or negative divisor such as zero flow
// for SVR) is NaN too; no function here returns ±Inf for finite inputs that
// pass the documented guards, and Compute never returns ±Inf at all.
//
// # Constants
//
// The constants the sources disagree on (Hüfner's number, O2 solubility, the
// CO2 factor, the SVR conversion, blood volume per kg, dosing ratios, the
// flow-index table) are settings, not hidden literals: they live in
// Constants, are validated by Constants.Validate, and are stored with the case
// (Constants round-trips through encoding/json).
//
// Pumpside is a secondary display: these values inform the perfusionist; they
// do not drive the heart-lung machine.
package physio

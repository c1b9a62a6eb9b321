package hl7out

import (
	"math"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/report"
)

// Coding systems of OBX-3 (HL7 table 0396).
const (
	// LOINC is "LN".
	LOINC = "LN"
	// Local is the default coding system of Pumpside's own codes, a
	// "99zzz" local system of table 0396; a site may rename it
	// (Config.LocalSystem). The codes are listed in docs/integration.md.
	Local = "99PSD"
)

// Code is a coded element (CWE): identifier, text and coding system, and
// an alternate code (a LOINC term for the general concept of a local
// code).
type Code struct {
	ID, Text, System          string
	AltID, AltText, AltSystem string
}

func (c Code) cwe(local string) string {
	sys := c.System
	if sys == Local {
		sys = local
	}
	return comps(escape(c.ID), escape(c.Text), escape(sys), escape(c.AltID), escape(c.AltText), escape(c.AltSystem))
}

func loinc(id, text string) Code { return Code{ID: id, Text: text, System: LOINC} }
func local(id, text string) Code { return Code{ID: id, Text: text, System: Local} }

// SummaryRow maps one summary figure to its OBX. Value returns the figure,
// the time it refers to (zero: the end of bypass, else of the case) and
// whether there is one; a row without a value is left out of the message,
// never sent as 0. For a TS row the time is the value.
type SummaryRow struct {
	// Key names the figure; the FHIR table uses the same keys
	// (monitor/fhirout), and docs/integration.md lists both.
	Key   string
	Code  Code
	Type  string // NM or TS
	Unit  string // UCUM
	Prec  int
	Value func(r *exchange.Record) (v float64, at time.Time, ok bool)
}

func sum(r *exchange.Record) *report.CaseSummary { return r.Summary }

func num(f func(s *report.CaseSummary) float64) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		v := f(sum(r))
		return v, time.Time{}, !math.IsNaN(v) && !math.IsInf(v, 0)
	}
}

func mins(f func(s *report.CaseSummary) time.Duration) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		return f(sum(r)).Minutes(), time.Time{}, true
	}
}

// onBypass is a duration that exists only when the case has bypass.
func onBypass(f func(s *report.CaseSummary) time.Duration) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		return f(sum(r)).Minutes(), time.Time{}, !sum(r).BypassStart.IsZero()
	}
}

func nadirOf(f func(s *report.CaseSummary) report.Nadir) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		n := f(sum(r))
		return n.Value, n.Time, n.Valid()
	}
}

func volume(f func(s *report.CaseSummary) report.Volume) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		v := f(sum(r))
		return v.ML, time.Time{}, v.Count > 0
	}
}

func when(f func(s *report.CaseSummary) time.Time) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		t := f(sum(r))
		return 0, t, !t.IsZero()
	}
}

func alarms(priority string) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		s := sum(r)
		return float64(s.AlarmsByPriority[priority]), time.Time{}, s.AlarmLog != report.AlarmLogNone
	}
}

// SummaryTable is the OBX of each summary figure, in message order. A
// figure the summary gains is one row here and one in the FHIR table.
var SummaryTable = []SummaryRow{
	{"height_cm", loinc("8302-2", "Body height"), "NM", "cm", 0, num(func(s *report.CaseSummary) float64 { return s.HeightCm })},
	{"weight_kg", loinc("29463-7", "Body weight"), "NM", "kg", 1, num(func(s *report.CaseSummary) float64 { return s.WeightKg })},
	{"bsa_m2", loinc("8277-6", "Body surface area"), "NM", "m2", 2, num(func(s *report.CaseSummary) float64 { return s.BSA })},
	{"bypass_start", local("PSD-CPB-START", "Cardiopulmonary bypass start"), "TS", "", 0, when(func(s *report.CaseSummary) time.Time { return s.BypassStart })},
	{"bypass_end", local("PSD-CPB-END", "Cardiopulmonary bypass end"), "TS", "", 0, when(func(s *report.CaseSummary) time.Time { return s.BypassEnd })},
	{"bypass_min", local("PSD-CPB-TIME", "Cardiopulmonary bypass time"), "NM", "min", 1, mins(func(s *report.CaseSummary) time.Duration { return s.Bypass })},
	{"cross_clamp_min", local("PSD-XCLAMP-TIME", "Aortic cross-clamp time"), "NM", "min", 1, mins(func(s *report.CaseSummary) time.Duration { return s.CrossClamp })},
	{"arrest_min", local("PSD-CIRC-ARREST-TIME", "Circulatory arrest time"), "NM", "min", 1, mins(func(s *report.CaseSummary) time.Duration { return s.Arrest })},
	{"lowest_temp_c", Code{"PSD-TEMP-LOWEST", "Lowest core temperature on bypass", Local, "8310-5", "Body temperature", LOINC}, "NM", "Cel", 1, nadirOf(func(s *report.CaseSummary) report.Nadir { return s.LowestTemp })},
	{"max_outlet_c", local("PSD-ART-OUTLET-MAX", "Highest arterial outlet temperature on bypass"), "NM", "Cel", 1, nadirOf(func(s *report.CaseSummary) report.Nadir { return s.MaxOutlet })},
	{"nadir_hct_pct", Code{"PSD-HCT-NADIR", "Nadir haematocrit on bypass", Local, "20570-8", "Hematocrit [Volume Fraction] of Blood", LOINC}, "NM", "%", 1, nadirOf(func(s *report.CaseSummary) report.Nadir { return s.NadirHct })},
	{"nadir_do2i", local("PSD-DO2I-NADIR", "Nadir indexed oxygen delivery on bypass"), "NM", "mL/min/m2", 0, nadirOf(func(s *report.CaseSummary) report.Nadir { return s.NadirDO2i })},
	{"do2i_threshold", local("PSD-DO2I-THRESHOLD", "DO2i threshold"), "NM", "mL/min/m2", 0, num(func(s *report.CaseSummary) float64 { return s.DO2iThreshold })},
	{"do2i_below_min", local("PSD-DO2I-LOW-TIME", "Time on bypass with DO2i below threshold"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.DO2iBelow })},
	{"do2i_area_below", local("PSD-DO2I-LOW-AREA", "Area of DO2i below threshold"), "NM", "mL/m2", 1, func(r *exchange.Record) (float64, time.Time, bool) {
		return sum(r).DO2iAreaBelow, time.Time{}, !sum(r).BypassStart.IsZero()
	}},
	{"map_low_limit", local("PSD-MAP-LOW-LIMIT", "MAP limit for time below"), "NM", "mm[Hg]", 0, num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.MAPLow })},
	{"map_below_min", local("PSD-MAP-LOW-TIME", "Time on bypass with MAP below limit"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.MAPBelow })},
	{"svo2_low_limit", local("PSD-SVO2-LOW-LIMIT", "SvO2 limit for time below"), "NM", "%", 0, num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.SvO2Low })},
	{"svo2_below_min", local("PSD-SVO2-LOW-TIME", "Time on bypass with SvO2 below limit"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.SvO2Below })},
	{"outlet_high_limit", local("PSD-OUTLET-HIGH-LIMIT", "Arterial outlet temperature limit"), "NM", "Cel", 1, num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.OutletHigh })},
	{"outlet_high_min", local("PSD-OUTLET-HIGH-TIME", "Time on bypass with arterial outlet at or above limit"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.OutletHigh })},
	{"av_gradient_high_min", local("PSD-AV-GRADIENT-HIGH-TIME", "Time on bypass with arterial-venous temperature gradient over limit"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.AVGradientHigh })},
	{"av_gradient_warm_high_min", local("PSD-AV-GRADIENT-WARM-TIME", "Time with gradient over the warm limit, outlet at or above 30 Cel"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.AVGradientWarmHigh })},
	{"rewarm_rate_high_min", local("PSD-REWARM-RATE-HIGH-TIME", "Time rewarming faster than limit, outlet at or above 30 Cel"), "NM", "min", 1, onBypass(func(s *report.CaseSummary) time.Duration { return s.RewarmRateHigh })},
	{"cardioplegia_ml", local("PSD-CARDIOPLEGIA-VOL", "Cardioplegia volume"), "NM", "mL", 0, volume(func(s *report.CaseSummary) report.Volume { return s.Cardioplegia })},
	{"cell_salvage_ml", local("PSD-CELL-SALVAGE-VOL", "Cell salvage volume returned"), "NM", "mL", 0, volume(func(s *report.CaseSummary) report.Volume { return s.CellSalvage })},
	{"urine_ml", local("PSD-URINE-VOL", "Urine volume"), "NM", "mL", 0, volume(func(s *report.CaseSummary) report.Volume { return s.Urine })},
	{"haemofiltration_ml", local("PSD-HAEMOFILTRATION-VOL", "Haemofiltration volume removed"), "NM", "mL", 0, volume(func(s *report.CaseSummary) report.Volume { return s.Haemofiltration })},
	{"balance_ml", local("PSD-FLUID-BALANCE", "Fluid balance (in minus out)"), "NM", "mL", 0, num(func(s *report.CaseSummary) float64 { return s.Balance })},
	{"blood_units", local("PSD-BLOOD-UNITS", "Blood product entries"), "NM", "{#}", 0, func(r *exchange.Record) (float64, time.Time, bool) {
		return float64(sum(r).BloodUnits()), time.Time{}, true
	}},
	{"alarms_high", local("PSD-ALARMS-HIGH", "High-priority alarm activations"), "NM", "{#}", 0, alarms("high")},
	{"alarms_medium", local("PSD-ALARMS-MEDIUM", "Medium-priority alarm activations"), "NM", "{#}", 0, alarms("medium")},
	{"alarms_low", local("PSD-ALARMS-LOW", "Low-priority alarm activations"), "NM", "{#}", 0, alarms("low")},
	{"completeness_min_pct", local("PSD-DATA-COMPLETENESS", "Fresh data on bypass, worst key channel"), "NM", "%", 1, num(func(s *report.CaseSummary) float64 { return 100 * s.MinCompleteness() })},
	{"missing_items", local("PSD-MISSING-ITEMS", "Missing record items"), "NM", "{#}", 0, func(r *exchange.Record) (float64, time.Time, bool) {
		return float64(len(sum(r).Missing)), time.Time{}, true
	}},
}

// Groups of repeated figures: one OBX per field, the fields of one entry
// sharing OBX-4 (sub-ID) D1, D2, ... for drugs, F1, ... for fluids by
// kind, B1, ... for blood products.
var (
	codeDrugName     = local("PSD-DRUG-NAME", "Drug given")
	codeDrugTotal    = local("PSD-DRUG-TOTAL", "Drug total dose")
	codeDrugDoses    = local("PSD-DRUG-DOSES", "Drug doses recorded")
	codeDrugUndosed  = local("PSD-DRUG-UNDOSED", "Drug entries without a dose")
	codeFluidKind    = local("PSD-FLUID-KIND", "Fluid given, by kind")
	codeFluidVol     = local("PSD-FLUID-VOL", "Fluid volume")
	codeFluidEntries = local("PSD-FLUID-ENTRIES", "Fluid entries")
	codeProduct      = local("PSD-BLOOD-PRODUCT", "Blood product")
	codeProductVol   = local("PSD-BLOOD-PRODUCT-VOL", "Blood product volume")
	codeProductUnits = local("PSD-BLOOD-PRODUCT-UNITS", "Blood product units")
	codePDF          = local("PSD-REPORT-PDF", "Perfusion record (PDF)")
	codeRecord       = local("PSD-PERFUSION-RECORD", "Perfusion record")
	codeSignedBy     = local("PSD-SIGNED-OFF-BY", "Perfusion record signed off by")
)

// qualityCode is the OBX-3 of a quality indicator: PSD-QI- and its ID in
// capitals.
func qualityCode(ind report.Indicator) Code {
	id := []byte(ind.ID)
	for i, c := range id {
		if c >= 'a' && c <= 'z' {
			id[i] = c - 'a' + 'A'
		} else if c == '_' {
			id[i] = '-'
		}
	}
	return local("PSD-QI-"+string(id), "Quality indicator: "+ind.Name)
}

// GridCode is the OBX of one observation grid channel.
type GridCode struct {
	Code Code
	Unit string // UCUM
	Prec int
}

// GridTable maps each channel of the report's observation grid
// (report.GridChannels) to its OBX: LOINC where a term for the measurement
// exists, else a local code (with the LOINC term of the general concept as
// alternate, for temperatures and the in-line gases and potassium, which
// are measured continuously in the circuit rather than on a sample). Units
// are the channels' (docs/channels.md), in UCUM.
var GridTable = map[string]GridCode{
	"pump.flow":            {local("PSD-PUMP-FLOW", "Arterial pump flow"), "L/min", 2},
	"derived.flow_index":   {local("PSD-FLOW-INDEX", "Pump flow index"), "L/min/m2", 2},
	"patient.map":          {loinc("8478-0", "Mean blood pressure"), "mm[Hg]", 0},
	"patient.hr":           {loinc("8867-4", "Heart rate"), "/min", 0},
	"patient.cvp":          {local("PSD-CVP", "Central venous pressure"), "mm[Hg]", 0},
	"pump.line_pressure":   {local("PSD-LINE-PRESSURE", "Arterial line pressure"), "mm[Hg]", 0},
	"temp.arterial_outlet": {local("PSD-TEMP-ART-OUTLET", "Arterial outlet blood temperature"), "Cel", 1},
	"temp.venous_inlet":    {local("PSD-TEMP-VEN-INLET", "Venous inlet blood temperature"), "Cel", 1},
	"temp.nasopharyngeal":  {Code{"PSD-TEMP-NASOPHARYNGEAL", "Nasopharyngeal temperature", Local, "8310-5", "Body temperature", LOINC}, "Cel", 1},
	"temp.bladder":         {Code{"PSD-TEMP-BLADDER", "Bladder temperature", Local, "8310-5", "Body temperature", LOINC}, "Cel", 1},
	"gas.sweep":            {local("PSD-SWEEP-FLOW", "Oxygenator sweep gas flow"), "L/min", 2},
	"gas.fio2":             {local("PSD-SWEEP-FIO2", "Oxygenator sweep gas oxygen fraction"), "%", 0},
	"gas.exhaust_co2":      {local("PSD-EXHAUST-CO2", "Oxygenator exhaust CO2"), "mm[Hg]", 0},
	"inline.art_po2":       {Code{"PSD-INLINE-ART-PO2", "In-line arterial pO2", Local, "2703-7", "Oxygen [Partial pressure] in Arterial blood", LOINC}, "mm[Hg]", 0},
	"inline.art_pco2":      {Code{"PSD-INLINE-ART-PCO2", "In-line arterial pCO2", Local, "2019-8", "Carbon dioxide [Partial pressure] in Arterial blood", LOINC}, "mm[Hg]", 0},
	"inline.art_so2":       {loinc("2708-6", "Oxygen saturation in Arterial blood"), "%", 1},
	"inline.ven_so2":       {loinc("19224-5", "Oxygen saturation in Mixed venous blood"), "%", 1},
	"inline.hct":           {loinc("20570-8", "Hematocrit [Volume Fraction] of Blood"), "%", 1},
	"inline.hb":            {loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), "g/dL", 1},
	"inline.k":             {Code{"PSD-INLINE-K", "In-line potassium", Local, "6298-4", "Potassium [Moles/volume] in Blood", LOINC}, "mmol/L", 1},
	"derived.do2i":         {local("PSD-DO2I", "Indexed oxygen delivery"), "mL/min/m2", 0},
	"nirs.left":            {local("PSD-RSO2-LEFT", "Cerebral regional oxygen saturation, left"), "%", 0},
	"nirs.right":           {local("PSD-RSO2-RIGHT", "Cerebral regional oxygen saturation, right"), "%", 0},
	"reservoir.level":      {local("PSD-RESERVOIR-LEVEL", "Venous reservoir level"), "mL", 0},
	"urine.volume":         {local("PSD-URINE-CUMULATIVE", "Urine volume since the start (cumulative)"), "mL", 0},
}

// doseUCUM is the UCUM spelling of a dose unit as the case file stores it
// (monitor/entry.DoseUnits); an unknown unit is sent as written.
func doseUCUM(u string) string {
	switch u {
	case "IU":
		return "[iU]"
	case "µg", "μg", "mcg":
		return "ug"
	}
	return u
}

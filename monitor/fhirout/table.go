package fhirout

import (
	"math"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/report"
)

// Code systems.
const (
	LOINC  = "http://loinc.org"
	SNOMED = "http://snomed.info/sct"
	UCUM   = "http://unitsofmeasure.org"
	// obsCategory is the R4 observation category code system.
	obsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	// DefaultCodeSystem is the system URI of Pumpside's local codes (the
	// same codes as the HL7 message's 99PSD); a site may set its own.
	DefaultCodeSystem = "urn:pumpside:perfusion"
	// local stands for the configured local system in the tables.
	local = "local"
)

// The R4 core vital-signs profiles.
const (
	profileVitalSigns = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
	profileHeartRate  = "http://hl7.org/fhir/StructureDefinition/heartrate"
	profileBodyTemp   = "http://hl7.org/fhir/StructureDefinition/bodytemp"
	profileOxygenSat  = "http://hl7.org/fhir/StructureDefinition/oxygensat"
	profileHeight     = "http://hl7.org/fhir/StructureDefinition/bodyheight"
	profileWeight     = "http://hl7.org/fhir/StructureDefinition/bodyweight"
)

// Categories of Observation (the R4 observation-category codes).
const (
	catVital     = "vital-signs"
	catProcedure = "procedure"
)

// ObservationRow maps one summary figure to its Observation. Keys and
// codes are those of monitor/hl7out's SummaryTable (a test keeps the two
// tables in step); Value is the same figure.
type ObservationRow struct {
	Key string
	// Codes are the Observation's codings, the first the primary one;
	// system "local" is the configured local code system.
	Codes []coding
	// Unit is the display unit, UCUM its UCUM code ("" for a dateTime).
	Unit, UCUM string
	Category   string
	// Profile is the vital-signs profile the Observation claims, if any.
	Profile string
	// DateTime: the figure is a time (valueDateTime).
	DateTime bool
	// OverBypass: the figure covers the time on bypass (effectivePeriod);
	// otherwise it is at the time Value returns, or the end of bypass.
	OverBypass bool
	Value      func(r *exchange.Record) (v float64, at time.Time, ok bool)
}

func ln(code, display string) coding  { return coding{System: LOINC, Code: code, Display: display} }
func loc(code, display string) coding { return coding{System: local, Code: code, Display: display} }

func num(f func(s *report.CaseSummary) float64) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		v := f(r.Summary)
		return v, time.Time{}, !math.IsNaN(v) && !math.IsInf(v, 0)
	}
}

func mins(f func(s *report.CaseSummary) time.Duration) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) { return f(r.Summary).Minutes(), time.Time{}, true }
}

func onBypass(f func(s *report.CaseSummary) time.Duration) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		return f(r.Summary).Minutes(), time.Time{}, !r.Summary.BypassStart.IsZero()
	}
}

func nadirOf(f func(s *report.CaseSummary) report.Nadir) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		n := f(r.Summary)
		return n.Value, n.Time, n.Valid()
	}
}

func volume(f func(s *report.CaseSummary) report.Volume) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		v := f(r.Summary)
		return v.ML, time.Time{}, v.Count > 0
	}
}

func when(f func(s *report.CaseSummary) time.Time) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		t := f(r.Summary)
		return 0, t, !t.IsZero()
	}
}

func alarms(priority string) func(*exchange.Record) (float64, time.Time, bool) {
	return func(r *exchange.Record) (float64, time.Time, bool) {
		s := r.Summary
		return float64(s.AlarmsByPriority[priority]), time.Time{}, s.AlarmLog != report.AlarmLogNone
	}
}

// SummaryTable is the Observation of each summary figure.
var SummaryTable = []ObservationRow{
	{Key: "height_cm", Codes: []coding{ln("8302-2", "Body height")}, Unit: "cm", UCUM: "cm", Category: catVital, Profile: profileHeight, Value: num(func(s *report.CaseSummary) float64 { return s.HeightCm })},
	{Key: "weight_kg", Codes: []coding{ln("29463-7", "Body weight")}, Unit: "kg", UCUM: "kg", Category: catVital, Profile: profileWeight, Value: num(func(s *report.CaseSummary) float64 { return s.WeightKg })},
	{Key: "bsa_m2", Codes: []coding{ln("8277-6", "Body surface area")}, Unit: "m²", UCUM: "m2", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.BSA })},
	{Key: "bypass_start", Codes: []coding{loc("PSD-CPB-START", "Cardiopulmonary bypass start")}, Category: catProcedure, DateTime: true, Value: when(func(s *report.CaseSummary) time.Time { return s.BypassStart })},
	{Key: "bypass_end", Codes: []coding{loc("PSD-CPB-END", "Cardiopulmonary bypass end")}, Category: catProcedure, DateTime: true, Value: when(func(s *report.CaseSummary) time.Time { return s.BypassEnd })},
	{Key: "bypass_min", Codes: []coding{loc("PSD-CPB-TIME", "Cardiopulmonary bypass time")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: mins(func(s *report.CaseSummary) time.Duration { return s.Bypass })},
	{Key: "cross_clamp_min", Codes: []coding{loc("PSD-XCLAMP-TIME", "Aortic cross-clamp time")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: mins(func(s *report.CaseSummary) time.Duration { return s.CrossClamp })},
	{Key: "arrest_min", Codes: []coding{loc("PSD-CIRC-ARREST-TIME", "Circulatory arrest time")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: mins(func(s *report.CaseSummary) time.Duration { return s.Arrest })},
	{Key: "lowest_temp_c", Codes: []coding{loc("PSD-TEMP-LOWEST", "Lowest core temperature on bypass"), ln("8310-5", "Body temperature")}, Unit: "°C", UCUM: "Cel", Category: catProcedure, Value: nadirOf(func(s *report.CaseSummary) report.Nadir { return s.LowestTemp })},
	{Key: "max_outlet_c", Codes: []coding{loc("PSD-ART-OUTLET-MAX", "Highest arterial outlet temperature on bypass")}, Unit: "°C", UCUM: "Cel", Category: catProcedure, Value: nadirOf(func(s *report.CaseSummary) report.Nadir { return s.MaxOutlet })},
	{Key: "nadir_hct_pct", Codes: []coding{loc("PSD-HCT-NADIR", "Nadir haematocrit on bypass"), ln("20570-8", "Hematocrit [Volume Fraction] of Blood")}, Unit: "%", UCUM: "%", Category: catProcedure, Value: nadirOf(func(s *report.CaseSummary) report.Nadir { return s.NadirHct })},
	{Key: "nadir_do2i", Codes: []coding{loc("PSD-DO2I-NADIR", "Nadir indexed oxygen delivery on bypass")}, Unit: "mL/min/m²", UCUM: "mL/min/m2", Category: catProcedure, Value: nadirOf(func(s *report.CaseSummary) report.Nadir { return s.NadirDO2i })},
	{Key: "do2i_threshold", Codes: []coding{loc("PSD-DO2I-THRESHOLD", "DO2i threshold")}, Unit: "mL/min/m²", UCUM: "mL/min/m2", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.DO2iThreshold })},
	{Key: "do2i_below_min", Codes: []coding{loc("PSD-DO2I-LOW-TIME", "Time on bypass with DO2i below threshold")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.DO2iBelow })},
	{Key: "do2i_area_below", Codes: []coding{loc("PSD-DO2I-LOW-AREA", "Area of DO2i below threshold")}, Unit: "mL/m²", UCUM: "mL/m2", Category: catProcedure, OverBypass: true, Value: func(r *exchange.Record) (float64, time.Time, bool) {
		return r.Summary.DO2iAreaBelow, time.Time{}, !r.Summary.BypassStart.IsZero()
	}},
	{Key: "map_low_limit", Codes: []coding{loc("PSD-MAP-LOW-LIMIT", "MAP limit for time below")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.MAPLow })},
	{Key: "map_below_min", Codes: []coding{loc("PSD-MAP-LOW-TIME", "Time on bypass with MAP below limit")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.MAPBelow })},
	{Key: "svo2_low_limit", Codes: []coding{loc("PSD-SVO2-LOW-LIMIT", "SvO2 limit for time below")}, Unit: "%", UCUM: "%", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.SvO2Low })},
	{Key: "svo2_below_min", Codes: []coding{loc("PSD-SVO2-LOW-TIME", "Time on bypass with SvO2 below limit")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.SvO2Below })},
	{Key: "outlet_high_limit", Codes: []coding{loc("PSD-OUTLET-HIGH-LIMIT", "Arterial outlet temperature limit")}, Unit: "°C", UCUM: "Cel", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.Settings.Limits.OutletHigh })},
	{Key: "outlet_high_min", Codes: []coding{loc("PSD-OUTLET-HIGH-TIME", "Time on bypass with arterial outlet at or above limit")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.OutletHigh })},
	{Key: "av_gradient_high_min", Codes: []coding{loc("PSD-AV-GRADIENT-HIGH-TIME", "Time on bypass with arterial-venous temperature gradient over limit")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.AVGradientHigh })},
	{Key: "av_gradient_warm_high_min", Codes: []coding{loc("PSD-AV-GRADIENT-WARM-TIME", "Time with gradient over the warm limit, outlet at or above 30 Cel")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.AVGradientWarmHigh })},
	{Key: "rewarm_rate_high_min", Codes: []coding{loc("PSD-REWARM-RATE-HIGH-TIME", "Time rewarming faster than limit, outlet at or above 30 Cel")}, Unit: "min", UCUM: "min", Category: catProcedure, OverBypass: true, Value: onBypass(func(s *report.CaseSummary) time.Duration { return s.RewarmRateHigh })},
	{Key: "cardioplegia_ml", Codes: []coding{loc("PSD-CARDIOPLEGIA-VOL", "Cardioplegia volume")}, Unit: "mL", UCUM: "mL", Category: catProcedure, Value: volume(func(s *report.CaseSummary) report.Volume { return s.Cardioplegia })},
	{Key: "cell_salvage_ml", Codes: []coding{loc("PSD-CELL-SALVAGE-VOL", "Cell salvage volume returned")}, Unit: "mL", UCUM: "mL", Category: catProcedure, Value: volume(func(s *report.CaseSummary) report.Volume { return s.CellSalvage })},
	{Key: "urine_ml", Codes: []coding{loc("PSD-URINE-VOL", "Urine volume")}, Unit: "mL", UCUM: "mL", Category: catProcedure, Value: volume(func(s *report.CaseSummary) report.Volume { return s.Urine })},
	{Key: "haemofiltration_ml", Codes: []coding{loc("PSD-HAEMOFILTRATION-VOL", "Haemofiltration volume removed")}, Unit: "mL", UCUM: "mL", Category: catProcedure, Value: volume(func(s *report.CaseSummary) report.Volume { return s.Haemofiltration })},
	{Key: "balance_ml", Codes: []coding{loc("PSD-FLUID-BALANCE", "Fluid balance (in minus out)")}, Unit: "mL", UCUM: "mL", Category: catProcedure, Value: num(func(s *report.CaseSummary) float64 { return s.Balance })},
	{Key: "blood_units", Codes: []coding{loc("PSD-BLOOD-UNITS", "Blood product entries")}, Unit: "entries", UCUM: "{#}", Category: catProcedure, Value: func(r *exchange.Record) (float64, time.Time, bool) {
		return float64(r.Summary.BloodUnits()), time.Time{}, true
	}},
	{Key: "alarms_high", Codes: []coding{loc("PSD-ALARMS-HIGH", "High-priority alarm activations")}, Unit: "activations", UCUM: "{#}", Category: catProcedure, Value: alarms("high")},
	{Key: "alarms_medium", Codes: []coding{loc("PSD-ALARMS-MEDIUM", "Medium-priority alarm activations")}, Unit: "activations", UCUM: "{#}", Category: catProcedure, Value: alarms("medium")},
	{Key: "alarms_low", Codes: []coding{loc("PSD-ALARMS-LOW", "Low-priority alarm activations")}, Unit: "activations", UCUM: "{#}", Category: catProcedure, Value: alarms("low")},
	{Key: "completeness_min_pct", Codes: []coding{loc("PSD-DATA-COMPLETENESS", "Fresh data on bypass, worst key channel")}, Unit: "%", UCUM: "%", Category: catProcedure, OverBypass: true, Value: num(func(s *report.CaseSummary) float64 { return 100 * s.MinCompleteness() })},
	{Key: "missing_items", Codes: []coding{loc("PSD-MISSING-ITEMS", "Missing record items")}, Unit: "items", UCUM: "{#}", Category: catProcedure, Value: func(r *exchange.Record) (float64, time.Time, bool) {
		return float64(len(r.Summary.Missing)), time.Time{}, true
	}},
}

// GridRow is the Observation of one observation-grid channel.
type GridRow struct {
	Codes      []coding
	Unit, UCUM string
	Category   string
	Profile    string
	// BodySite is where a temperature is measured (text).
	BodySite string
}

// GridTable maps each channel of the report's observation grid
// (report.GridChannels) to its Observation: the vital-signs profiles for
// MAP, heart rate, the patient's temperatures and arterial saturation; the
// grid's codes are monitor/hl7out's.
var GridTable = map[string]GridRow{
	"pump.flow":            {Codes: []coding{loc("PSD-PUMP-FLOW", "Arterial pump flow")}, Unit: "L/min", UCUM: "L/min", Category: catProcedure},
	"derived.flow_index":   {Codes: []coding{loc("PSD-FLOW-INDEX", "Pump flow index")}, Unit: "L/min/m²", UCUM: "L/min/m2", Category: catProcedure},
	"patient.map":          {Codes: []coding{ln("8478-0", "Mean blood pressure")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catVital, Profile: profileVitalSigns},
	"patient.hr":           {Codes: []coding{ln("8867-4", "Heart rate")}, Unit: "beats/minute", UCUM: "/min", Category: catVital, Profile: profileHeartRate},
	"patient.cvp":          {Codes: []coding{loc("PSD-CVP", "Central venous pressure")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure},
	"pump.line_pressure":   {Codes: []coding{loc("PSD-LINE-PRESSURE", "Arterial line pressure")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure},
	"temp.arterial_outlet": {Codes: []coding{loc("PSD-TEMP-ART-OUTLET", "Arterial outlet blood temperature")}, Unit: "°C", UCUM: "Cel", Category: catProcedure},
	"temp.venous_inlet":    {Codes: []coding{loc("PSD-TEMP-VEN-INLET", "Venous inlet blood temperature")}, Unit: "°C", UCUM: "Cel", Category: catProcedure},
	"temp.nasopharyngeal":  {Codes: []coding{ln("8310-5", "Body temperature"), loc("PSD-TEMP-NASOPHARYNGEAL", "Nasopharyngeal temperature")}, Unit: "°C", UCUM: "Cel", Category: catVital, Profile: profileBodyTemp, BodySite: "nasopharynx"},
	"temp.bladder":         {Codes: []coding{ln("8310-5", "Body temperature"), loc("PSD-TEMP-BLADDER", "Bladder temperature")}, Unit: "°C", UCUM: "Cel", Category: catVital, Profile: profileBodyTemp, BodySite: "urinary bladder"},
	"gas.sweep":            {Codes: []coding{loc("PSD-SWEEP-FLOW", "Oxygenator sweep gas flow")}, Unit: "L/min", UCUM: "L/min", Category: catProcedure},
	"gas.fio2":             {Codes: []coding{loc("PSD-SWEEP-FIO2", "Oxygenator sweep gas oxygen fraction")}, Unit: "%", UCUM: "%", Category: catProcedure},
	"gas.exhaust_co2":      {Codes: []coding{loc("PSD-EXHAUST-CO2", "Oxygenator exhaust CO2")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure},
	"inline.art_po2":       {Codes: []coding{loc("PSD-INLINE-ART-PO2", "In-line arterial pO2"), ln("2703-7", "Oxygen [Partial pressure] in Arterial blood")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure},
	"inline.art_pco2":      {Codes: []coding{loc("PSD-INLINE-ART-PCO2", "In-line arterial pCO2"), ln("2019-8", "Carbon dioxide [Partial pressure] in Arterial blood")}, Unit: "mmHg", UCUM: "mm[Hg]", Category: catProcedure},
	"inline.art_so2":       {Codes: []coding{ln("2708-6", "Oxygen saturation in Arterial blood")}, Unit: "%", UCUM: "%", Category: catVital, Profile: profileOxygenSat},
	"inline.ven_so2":       {Codes: []coding{ln("19224-5", "Oxygen saturation in Mixed venous blood")}, Unit: "%", UCUM: "%", Category: catProcedure},
	"inline.hct":           {Codes: []coding{ln("20570-8", "Hematocrit [Volume Fraction] of Blood")}, Unit: "%", UCUM: "%", Category: catProcedure},
	"inline.hb":            {Codes: []coding{ln("718-7", "Hemoglobin [Mass/volume] in Blood")}, Unit: "g/dL", UCUM: "g/dL", Category: catProcedure},
	"inline.k":             {Codes: []coding{loc("PSD-INLINE-K", "In-line potassium"), ln("6298-4", "Potassium [Moles/volume] in Blood")}, Unit: "mmol/L", UCUM: "mmol/L", Category: catProcedure},
	"derived.do2i":         {Codes: []coding{loc("PSD-DO2I", "Indexed oxygen delivery")}, Unit: "mL/min/m²", UCUM: "mL/min/m2", Category: catProcedure},
	"nirs.left":            {Codes: []coding{loc("PSD-RSO2-LEFT", "Cerebral regional oxygen saturation, left")}, Unit: "%", UCUM: "%", Category: catProcedure},
	"nirs.right":           {Codes: []coding{loc("PSD-RSO2-RIGHT", "Cerebral regional oxygen saturation, right")}, Unit: "%", UCUM: "%", Category: catProcedure},
	"reservoir.level":      {Codes: []coding{loc("PSD-RESERVOIR-LEVEL", "Venous reservoir level")}, Unit: "mL", UCUM: "mL", Category: catProcedure},
	"urine.volume":         {Codes: []coding{loc("PSD-URINE-CUMULATIVE", "Urine volume since the start (cumulative)")}, Unit: "mL", UCUM: "mL", Category: catProcedure},
}

// doseUCUM is the UCUM code of a dose unit as the case file stores it.
func doseUCUM(u string) string {
	switch u {
	case "IU":
		return "[iU]"
	case "µg", "μg", "mcg":
		return "ug"
	}
	return u
}

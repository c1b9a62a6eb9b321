package entry

import (
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// The entry kinds (the event kinds of docs/format/case.md plus the fluid
// balance kinds monitor/report reads).
const (
	KindOnBypass        = record.KindOnBypass
	KindOffBypass       = record.KindOffBypass
	KindClampOn         = record.KindClampOn
	KindClampOff        = record.KindClampOff
	KindArrestStart     = record.KindArrestStart
	KindArrestEnd       = record.KindArrestEnd
	KindCardioplegia    = record.KindCardioplegia
	KindDrug            = record.KindDrug
	KindFluid           = record.KindFluid
	KindBloodProduct    = record.KindBloodProduct
	KindCellSalvage     = "cell_salvage"
	KindHaemofiltration = "haemofiltration"
	KindUrine           = "urine"
	KindACT             = record.KindACT
	KindBloodGas        = record.KindBloodGas
	KindNote            = record.KindNote
	KindArtifact        = record.KindArtifact
	// KindEdit is the event that corrects or voids another: see Edit.
	KindEdit = "edit"
	// KindSpecimen states the specimen of an analyser result recorded
	// without one (bg.*): the perfusionist's assignment, audited.
	KindSpecimen = "specimen"
	// KindNIRSBaseline records the pre-induction cerebral oximetry
	// baseline the NIRS fall alarms are judged against.
	KindNIRSBaseline = "nirs_baseline"
	// The phases of issue 16 (monitor/timeline).
	KindWeaning  = "weaning"
	KindFullFlow = "full_flow"
	KindACPStart = "acp_start"
	KindACPEnd   = "acp_end"
	KindRCPStart = "rcp_start"
	KindRCPEnd   = "rcp_end"
	// KindInlineRecalibration says the in-line blood monitor (CDI 550 and
	// the like) was recalibrated to an analyser result at the entry's
	// time: from then on its Hb and Hct are trusted again over the
	// analyser's (docs/pipeline.md, monitor.Pipeline.Recalibrated).
	KindInlineRecalibration = "inline_recalibration"
	// The long run's timers (monitor/timeline, docs/ecmo.md): the ECMO
	// run's start, an oxygenator changed, a circuit changed (its
	// oxygenator with it).
	KindECMOStart        = timeline.KindECMOStart
	KindOxygenatorChange = timeline.KindOxygenatorChange
	KindCircuitChange    = timeline.KindCircuitChange

	// The perfusion record's set-up and close (docs/format/case.md,
	// "The perfusion record"): the case metadata as audited entries.
	KindProcedure      = "procedure"
	KindTeam           = "team"
	KindCircuit        = "circuit"
	KindDisposable     = "disposable"
	KindChecklist      = "checklist"
	KindResidualVolume = "residual_volume"
	KindIncident       = "incident"
	KindSignOff        = "signoff"
	// KindECMOConfig is an ECMO run's configuration (docs/ecmo.md,
	// "Configurations: VV and VA"): the mode and the cannulation sites.
	// A set-up entry like the circuit's: audited, the last one wins
	// field by field (a reconfiguration, VV to VA, is a new entry).
	KindECMOConfig = "ecmo_config"
)

// The ECMO modes and cannulation sites an ecmo_config entry takes.
var (
	// ECMOModes: veno-venous (gas exchange only), veno-arterial
	// (circulation and gas exchange), veno-arterio-venous (a VA run
	// with a second, venous, return for upper-body oxygenation).
	ECMOModes = []string{"vv", "va", "vav"}
	// ECMODrainageSites are where the drainage (inflow) cannula sits.
	ECMODrainageSites = []string{"femoral_vein", "jugular_vein", "right_atrium", "dual_lumen_jugular"}
	// ECMOReturnSites are where the return (outflow) cannula sits: a
	// vein for VV, an artery (or the aorta) for VA.
	ECMOReturnSites = []string{"femoral_vein", "jugular_vein", "dual_lumen_jugular", "femoral_artery", "axillary_artery", "aorta"}
)

// ecmoArterialReturn reports whether a return site is arterial.
func ecmoArterialReturn(site string) bool {
	return site == "femoral_artery" || site == "axillary_artery" || site == "aorta"
}

// FieldSpec describes one structured field of a kind.
type FieldSpec struct {
	Key string
	// Unit is the field's unit as the case file stores it ("mL", "°C",
	// "s"); empty for strings and for dimensionless numbers.
	Unit string
	// Str: a string field; otherwise a number.
	Str      bool
	Required bool
	// Min and Max bound a number (inclusive); both zero: any finite
	// number. For a drug's dose the formulary's range applies instead.
	Min, Max float64
	// Choices, if any, are a string field's only allowed values.
	Choices []string
	// MaxLen bounds a string field in bytes (a lot number, a name);
	// zero: the general limit of 1000 bytes.
	MaxLen int
	// Help is a short description for usage texts.
	Help string
}

// KindSpec describes one entry kind.
type KindSpec struct {
	Kind string
	// Label is how the console and the report name the kind.
	Label  string
	Fields []FieldSpec
	// TextRequired: the entry is its text (a note).
	TextRequired bool
}

// Field returns the spec of key, if the kind has that field.
func (k *KindSpec) Field(key string) (FieldSpec, bool) {
	for _, f := range k.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FieldSpec{}, false
}

// The refusal bounds below catch what cannot be true (a slipped decimal, a
// volume typed in the wrong unit); they are far wider than usual practice
// and are not clinical targets. Volumes are per entry in an adult or child.
var (
	volume5L   = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 1, Max: 5000, Help: "volume in mL"}
	cpVolume   = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 1, Max: 5000, Help: "dose volume in mL"}
	bpVolume   = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 1, Max: 1000, Help: "volume of the unit in mL"}
	salvage    = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 1, Max: 10000, Help: "processed cells returned, mL"}
	filtration = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 1, Max: 20000, Help: "ultrafiltrate removed, mL"}
	urine      = FieldSpec{Key: "volume_ml", Unit: "mL", Min: 0, Max: 5000, Help: "urine since the last entry, mL"}
)

var kindSpecs = []KindSpec{
	{Kind: KindOnBypass, Label: "On bypass"},
	{Kind: KindOffBypass, Label: "Off bypass"},
	{Kind: KindClampOn, Label: "Cross-clamp on"},
	{Kind: KindClampOff, Label: "Cross-clamp off"},
	{Kind: KindArrestStart, Label: "Circulatory arrest", Fields: []FieldSpec{
		{Key: "cerebral_perfusion", Str: true, Choices: []string{"none", "antegrade", "retrograde"}, Help: "cerebral perfusion during the arrest"},
		{Key: "temp_c", Unit: "°C", Min: 10, Max: 37, Help: "patient temperature at the start, °C"},
	}},
	{Kind: KindArrestEnd, Label: "Arrest end"},
	{Kind: KindWeaning, Label: "Weaning (partial bypass)"},
	{Kind: KindFullFlow, Label: "Back to full flow"},
	{Kind: KindACPStart, Label: "Antegrade cerebral perfusion start"},
	{Kind: KindACPEnd, Label: "Antegrade cerebral perfusion end"},
	{Kind: KindRCPStart, Label: "Retrograde cerebral perfusion start"},
	{Kind: KindRCPEnd, Label: "Retrograde cerebral perfusion end"},
	{Kind: KindECMOStart, Label: "ECMO run start"},
	{Kind: KindOxygenatorChange, Label: "Oxygenator changed", Fields: []FieldSpec{
		{Key: "lot", Str: true, MaxLen: 64, Help: "the new oxygenator's lot number (traceability)"},
	}},
	{Kind: KindCircuitChange, Label: "Circuit changed", Fields: []FieldSpec{
		{Key: "lot", Str: true, MaxLen: 64, Help: "the new circuit's lot number (traceability)"},
	}},
	{Kind: KindNIRSBaseline, Label: "NIRS baseline", Fields: []FieldSpec{
		{Key: "left", Unit: "%", Min: 15, Max: 95, Help: "left cerebral rSO2 baseline, %"},
		{Key: "right", Unit: "%", Min: 15, Max: 95, Help: "right cerebral rSO2 baseline, %"},
	}},
	{Kind: KindCardioplegia, Label: "Cardioplegia", Fields: []FieldSpec{
		{Key: "solution", Str: true, Required: true, Help: "solution (del Nido, blood 4:1, HTK, ...)"},
		cpVolume,
		{Key: "route", Str: true, Choices: []string{"antegrade", "retrograde", "ostial"}, Help: "route"},
		// Delivery temperature: ice-cold crystalloid at 4 °C to warm
		// blood at 37 °C.
		{Key: "temp_c", Unit: "°C", Min: 0, Max: 40, Help: "delivery temperature, °C"},
		// The fluid balance counts the crystalloid share only (the blood
		// of a blood cardioplegia is the circuit's): crystalloid_ml, or
		// from the ratio blood:crystalloid (4:1 -> 1/5, del Nido 1:4 ->
		// 4/5, 0:1 all of it; physio.CrystalloidShare). Normalize fills
		// crystalloid_ml from the ratio; CompleteCardioplegia, without a
		// ratio, from the site's solution table.
		{Key: "ratio", Str: true, Help: "blood:crystalloid ratio (4:1, 1:4 del Nido, 0:1 crystalloid)"},
		{Key: "crystalloid_ml", Unit: "mL", Min: 0, Max: 5000, Help: "crystalloid share of the dose, mL"},
		{Key: "discarded_ml", Unit: "mL", Min: 0, Max: 5000, Help: "solution suctioned to waste, not returned to the circuit, mL"},
	}},
	{Kind: KindDrug, Label: "Drug", Fields: []FieldSpec{
		{Key: "name", Str: true, Required: true, Help: "drug name (formulary)"},
		{Key: "dose", Required: true, Help: "dose in unit"},
		{Key: "unit", Str: true, Required: true, Choices: DoseUnits, Help: "dose unit"},
		{Key: "route", Str: true, Choices: []string{"iv", "pump", "prime", "cardioplegia", "im", "sc", "inhaled", "topical"}, Help: "route (pump: into the circuit)"},
		{Key: "suggested_dose", Help: "the calculator's suggestion, in unit"},
	}},
	{Kind: KindFluid, Label: "Fluid", Fields: []FieldSpec{
		{Key: "name", Str: true, Required: true, Help: "fluid (Plasma-Lyte 148, albumin 4.5 %, ...)"},
		volume5L,
		// Not "kind": that key is the event's tag.
		{Key: "fluid_kind", Str: true, Choices: []string{"prime", "crystalloid", "colloid"}, Help: "prime, crystalloid or colloid"},
	}},
	{Kind: KindBloodProduct, Label: "Blood product", Fields: []FieldSpec{
		{Key: "product", Str: true, Required: true, Choices: []string{"red_cells", "ffp", "platelets", "cryoprecipitate", "whole_blood", "other"}, Help: "product"},
		bpVolume,
		{Key: "unit_number", Str: true, Help: "the unit's donation number (traceability)"},
	}},
	{Kind: KindCellSalvage, Label: "Cell salvage", Fields: []FieldSpec{salvage}},
	{Kind: KindHaemofiltration, Label: "Haemofiltration", Fields: []FieldSpec{filtration}},
	{Kind: KindUrine, Label: "Urine", Fields: []FieldSpec{urine}},
	// ACT analysers report up to about 1000 s (Hemochron, i-STAT); below
	// 50 s is not a clotting time.
	{Kind: KindACT, Label: "ACT", Fields: []FieldSpec{
		{Key: "seconds", Unit: "s", Required: true, Min: 50, Max: 1500, Help: "activated clotting time, s"},
	}},
	// A manual blood gas carries its results in the channels' units; they
	// also go on the abg.* or vbg.* channels (BloodGasResults). An entry
	// without results says a gas was drawn or resulted.
	{Kind: KindBloodGas, Label: "Blood gas", Fields: append([]FieldSpec{
		{Key: "sample", Str: true, Choices: []string{"arterial", "venous", "mixed_venous"}, Help: "sample site (venous and mixed_venous go on vbg.*)"},
	}, bloodGasFields()...)},
	{Kind: KindSpecimen, Label: "Specimen assigned", Fields: []FieldSpec{
		{Key: "specimen", Str: true, Required: true, Choices: []string{"arterial", "venous", "central_venous"}, Help: "the sample's specimen"},
		{Key: "sample_time", Str: true, Required: true, Help: "the analyser result's sample time, decimal Unix ns (or RFC 3339 on the command line)"},
		{Key: "source", Str: true, Help: "the analyser (source name)"},
	}},
	{Kind: KindNote, Label: "Note", TextRequired: true},
	{Kind: KindProcedure, Label: "Procedure", Fields: []FieldSpec{
		{Key: "procedure", Str: true, Required: true, MaxLen: 200, Help: "the operation (CABG x3, AVR, ...)"},
		// The STS urgency categories.
		{Key: "urgency", Str: true, Choices: []string{"elective", "urgent", "emergency", "salvage"}, Help: "urgency"},
	}},
	{Kind: KindTeam, Label: "Team", Fields: []FieldSpec{
		{Key: "surgeon", Str: true, MaxLen: maxName, Help: "surgeon's name"},
		{Key: "anaesthetist", Str: true, MaxLen: maxName, Help: "anaesthetist's name"},
		{Key: "perfusionist", Str: true, MaxLen: maxName, Help: "perfusionist's name"},
		{Key: "trainee", Str: true, MaxLen: maxName, Help: "perfusion trainee's name"},
		{Key: "assistant", Str: true, MaxLen: maxName, Help: "assisting perfusionist's name"},
		{Key: "supervisor", Str: true, MaxLen: maxName, Help: "supervising perfusionist's name"},
	}},
	{Kind: KindCircuit, Label: "Circuit", Fields: []FieldSpec{
		{Key: "hlm", Str: true, MaxLen: maxID, Help: "heart-lung machine identifier"},
		{Key: "heater_cooler", Str: true, MaxLen: maxID, Help: "heater-cooler identifier"},
		{Key: "venous_drainage", Str: true, Choices: []string{"gravity", "vacuum"}, Help: "venous drainage (vacuum: vacuum-assisted)"},
		{Key: "rap_ml", Unit: "mL", Min: 0, Max: 3000, Help: "retrograde autologous priming: prime removed, mL"},
	}},
	{Kind: KindECMOConfig, Label: "ECMO configuration", Fields: []FieldSpec{
		{Key: "mode", Str: true, Required: true, Choices: ECMOModes, Help: "vv (veno-venous), va (veno-arterial), vav (veno-arterio-venous)"},
		{Key: "drainage", Str: true, Choices: ECMODrainageSites, Help: "drainage cannula site"},
		{Key: "return", Str: true, Choices: ECMOReturnSites, Help: "return cannula site (arterial for va and vav)"},
		{Key: "return2", Str: true, Choices: ECMOReturnSites, Help: "vav: the second, venous, return site"},
	}},
	{Kind: KindDisposable, Label: "Disposable", Fields: []FieldSpec{
		{Key: "item", Str: true, Required: true, Choices: DisposableItems, Help: "which part of the circuit"},
		{Key: "product", Str: true, MaxLen: 120, Help: "maker and model"},
		{Key: "lot", Str: true, MaxLen: maxID, Help: "lot (batch) number"},
		{Key: "size", Str: true, MaxLen: maxID, Help: "size (24 Fr, 36/46 Fr, 3/8 in)"},
		{Key: "site", Str: true, MaxLen: 120, Help: "cannulation site (ascending aorta, right atrium, femoral vein)"},
	}},
	{Kind: KindChecklist, Label: "Checklist", Fields: []FieldSpec{
		{Key: "checklist", Str: true, MaxLen: 120, Help: "which checklist (default pre-bypass)"},
		{Key: "signed_by", Str: true, Required: true, MaxLen: maxName, Help: "name of who checked it and signs"},
	}},
	{Kind: KindResidualVolume, Label: "Residual pump volume", Fields: []FieldSpec{
		{Key: "volume_ml", Unit: "mL", Min: 0, Max: 5000, Required: true, Help: "volume left in the circuit at the end, mL"},
		{Key: "disposition", Str: true, Required: true, Choices: ResidualDispositions, Help: "what happened to it"},
	}},
	{Kind: KindIncident, Label: "Incident", TextRequired: true, Fields: []FieldSpec{
		{Key: "category", Str: true, Choices: IncidentCategories, Help: "category"},
	}},
	{Kind: KindSignOff, Label: "Record signed off", Fields: []FieldSpec{
		{Key: "name", Str: true, Required: true, MaxLen: maxName, Help: "the perfusionist's name: signs the record as complete"},
	}},
	{Kind: KindArtifact, Label: "Artifact", Fields: []FieldSpec{
		{Key: "channel", Str: true, Required: true, Help: "channel the mark covers (pump.flow, ...)"},
		{Key: "end", Unit: "ns", Required: true, Help: "end of the marked range, Unix ns"},
	}},
	// The values the monitor was set to are optional: the audit trail of
	// what the perfusionist matched it to. The console fills them from the
	// analyser result of the last failed in-line check (docs/qc.md). In
	// typed text the first mmHg value is pO2, the second pCO2; SO2 has no
	// field (its % would be taken for Hct's).
	{Kind: KindInlineRecalibration, Label: "In-line recalibrated", Fields: []FieldSpec{
		{Key: "hct", Unit: "%", Min: 5, Max: 70, Help: "Hct the monitor was set to, %"},
		{Key: "hb", Unit: "g/dL", Min: 1.5, Max: 25, Help: "Hb the monitor was set to, g/dL"},
		{Key: "po2", Unit: "mmHg", Min: 10, Max: 800, Help: "pO2 the monitor was set to, mmHg"},
		{Key: "pco2", Unit: "mmHg", Min: 5, Max: 150, Help: "pCO2 the monitor was set to, mmHg"},
		{Key: "k", Unit: "mmol/L", Min: 1, Max: 12, Help: "K+ the monitor was set to, mmol/L"},
		{Key: "side", Str: true, MaxLen: 20, Help: "the sample the values are from: arterial or venous"},
		{Key: "device", Str: true, Help: "the monitor (device name)"},
	}},
}

// Kinds returns the specs of every entry kind, in a stable order. The
// slice is shared: do not modify it.
func Kinds() []KindSpec { return kindSpecs }

// Spec returns the spec of kind.
func Spec(kind string) (*KindSpec, bool) {
	for i := range kindSpecs {
		if kindSpecs[i].Kind == kind {
			return &kindSpecs[i], true
		}
	}
	return nil, false
}

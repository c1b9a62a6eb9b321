package channel

import (
	"strconv"
	"time"
)

// ID identifies a channel. It indexes the vocabulary table; the zero value is
// Invalid.
type ID uint16

// Units, spelled as in the channel contract.
const (
	LitrePerMin        = "L/min"
	RPM                = "rpm"
	MMHg               = "mmHg"
	PerMin             = "/min"
	Percent            = "%"
	Celsius            = "°C"
	PH                 = "pH"
	MmolPerL           = "mmol/L"
	GPerDL             = "g/dL"
	Second             = "s"
	MilliLitre         = "mL"
	SquareMetre        = "m²"
	Centimetre         = "cm"
	Kilogram           = "kg"
	LitrePerMinPerM2   = "L/min/m²"
	DynSCm5            = "dyn·s·cm⁻⁵"
	DynSCm5M2          = "dyn·s·cm⁻⁵·m²"
	MLPerDL            = "mL/dL"
	MLPerMin           = "mL/min"
	MLPerMinPerM2      = "mL/min/m²"
	Ratio              = "ratio"
	CelsiusPerMin      = "°C/min"
	MMHgPerLPM         = "mmHg/(L/min)"
	Index              = "index"
	noFreshness        = 0
	pumpFreshness      = 5 * time.Second
	monitorFreshness   = 5 * time.Second
	inlineFreshness    = 20 * time.Second // CDI 550 reports every 6 s at its fastest: 3 intervals
	nirsFreshness      = 15 * time.Second // INVOS reports about every 5 s: 3 intervals
	slowFreshness      = 30 * time.Second
	bloodGasFreshness  = 30 * time.Minute
	actFreshness       = 30 * time.Minute
	urineFreshness     = 60 * time.Minute
	derivedFreshness   = 0 // a derived value is as fresh as its inputs; the pipeline decides
	temperatureRangeLo = 10
	temperatureRangeHi = 45
)

// The built-in channels. Their order is not part of the contract (names are);
// IDs may change between versions, so persist names, never IDs.
const (
	Invalid ID = iota

	PumpFlow
	PumpSpeed
	PumpLinePressure
	PumpCardioplegiaPressure
	PumpPreOxyPressure
	PumpPostOxyPressure
	PumpInletPressure

	PatientMAP
	PatientSys
	PatientDia
	PatientCVP
	PatientHR
	PatientSpO2
	PatientPI
	PatientPVI
	PatientHeight
	PatientWeight
	PatientPAPSys
	PatientPAPDia
	PatientPAPMean
	PatientPulse
	PatientEtCO2
	PatientRR
	PatientBIS

	TempArterialOutlet
	TempVenousInlet
	TempNasopharyngeal
	TempBladder
	TempRectal
	TempOesophageal
	TempBlood
	TempTympanic

	GasSweep
	GasFiO2
	GasExhaustCO2

	InlineArtPH
	InlineArtPCO2
	InlineArtPO2
	InlineArtSO2
	InlineArtHCO3
	InlineArtBE
	InlineK
	InlineVenPH
	InlineVenPCO2
	InlineVenPO2
	InlineVenSO2
	InlineHct
	InlineHb
	InlineArtTemp
	InlineVenTemp

	ABGPH
	ABGPCO2
	ABGPO2
	ABGSO2
	ABGHb
	ABGHct
	ABGK
	ABGNa
	ABGICa
	ABGGlucose
	ABGLactate
	ABGBE
	ABGHCO3

	VBGPH
	VBGPCO2
	VBGPO2
	VBGSO2
	VBGHb
	VBGHct
	VBGK
	VBGNa
	VBGICa
	VBGGlucose
	VBGLactate
	VBGBE
	VBGHCO3

	BGPH
	BGPCO2
	BGPO2
	BGSO2
	BGHb
	BGHct
	BGK
	BGNa
	BGICa
	BGGlucose
	BGLactate
	BGBE
	BGHCO3

	CVBGPH
	CVBGPCO2
	CVBGPO2
	CVBGSO2
	CVBGHb
	CVBGHct
	CVBGK
	CVBGNa
	CVBGICa
	CVBGGlucose
	CVBGLactate
	CVBGBE
	CVBGHCO3

	ACTSeconds
	NIRSLeft
	NIRSRight
	NIRSRenal
	NIRSSomatic
	NIRSLeftBaseline
	NIRSRightBaseline
	NIRSRenalBaseline
	NIRSSomaticBaseline
	ReservoirLevel
	UrineVolume

	DerivedBSA
	DerivedFlowIndex
	DerivedSVR
	DerivedSVRI
	DerivedCaO2
	DerivedCvO2
	DerivedDO2
	DerivedDO2i
	DerivedVO2
	DerivedVO2i
	DerivedO2ER
	DerivedVCO2
	DerivedVCO2i
	DerivedDO2iVCO2i
	DerivedRQ
	DerivedAVGradient
	DerivedOxyDP
	DerivedOxyResistance
	DerivedOxyPF
	DerivedRewarmRate

	numBuiltin
)

// builtin is indexed by ID; the indexed literal keeps IDs and entries aligned.
var builtin = [numBuiltin]Channel{
	PumpFlow:                 {Name: "pump.flow", Unit: LitrePerMin, Label: "Pump flow", Precision: 2, Min: 0, Max: 8, Freshness: pumpFreshness, Description: "arterial pump flow"},
	PumpSpeed:                {Name: "pump.speed", Unit: RPM, Label: "Pump speed", Precision: 0, Min: 0, Max: 5000, Freshness: pumpFreshness, Description: "arterial pump head speed"},
	PumpLinePressure:         {Name: "pump.line_pressure", Unit: MMHg, Label: "Line pressure", Precision: 0, Min: -100, Max: 700, Freshness: pumpFreshness, Description: "arterial line pressure (post-oxygenator)"},
	PumpCardioplegiaPressure: {Name: "pump.cardioplegia_pressure", Unit: MMHg, Label: "Cardioplegia pressure", Precision: 0, Min: -100, Max: 600, Freshness: pumpFreshness, Description: "cardioplegia delivery line pressure"},
	PumpPreOxyPressure:       {Name: "pump.pre_oxy_pressure", Unit: MMHg, Label: "Pre-oxy pressure", Precision: 0, Min: -100, Max: 800, Freshness: pumpFreshness, Description: "blood pressure at the oxygenator inlet (pre-oxygenator)"},
	PumpPostOxyPressure:      {Name: "pump.post_oxy_pressure", Unit: MMHg, Label: "Post-oxy pressure", Precision: 0, Min: -100, Max: 700, Freshness: pumpFreshness, Description: "blood pressure at the oxygenator outlet (post-oxygenator)"},
	// A centrifugal pump's inlet (the drainage line of an ECMO circuit):
	// negative, its suction; more negative when drainage is short.
	PumpInletPressure: {Name: "pump.inlet_pressure", Unit: MMHg, Label: "Inlet pressure", Precision: 0, Min: -300, Max: 100, Freshness: pumpFreshness, Description: "blood pressure at the pump inlet (the venous drainage line; negative: suction)"},

	PatientMAP:     {Name: "patient.map", Unit: MMHg, Label: "MAP", Precision: 0, Min: 0, Max: 250, Freshness: monitorFreshness, Description: "mean arterial pressure"},
	PatientSys:     {Name: "patient.sys", Unit: MMHg, Label: "Systolic", Precision: 0, Min: 0, Max: 300, Freshness: monitorFreshness, Description: "systolic arterial pressure"},
	PatientDia:     {Name: "patient.dia", Unit: MMHg, Label: "Diastolic", Precision: 0, Min: 0, Max: 250, Freshness: monitorFreshness, Description: "diastolic arterial pressure"},
	PatientCVP:     {Name: "patient.cvp", Unit: MMHg, Label: "CVP", Precision: 0, Min: -20, Max: 60, Freshness: monitorFreshness, Description: "central venous pressure"},
	PatientHR:      {Name: "patient.hr", Unit: PerMin, Label: "HR", Precision: 0, Min: 0, Max: 300, Freshness: monitorFreshness, Description: "heart rate (pulse rate from oximeters too)"},
	PatientSpO2:    {Name: "patient.spo2", Unit: Percent, Label: "SpO2", Precision: 0, Min: 0, Max: 100, Freshness: monitorFreshness, Description: "peripheral oxygen saturation"},
	PatientPI:      {Name: "patient.pi", Unit: Percent, Label: "PI", Precision: 2, Min: 0, Max: 20, Freshness: monitorFreshness, Description: "perfusion index (pulse oximeter)"},
	PatientPVI:     {Name: "patient.pvi", Unit: Percent, Label: "PVI", Precision: 0, Min: 0, Max: 100, Freshness: monitorFreshness, Description: "pleth variability index (pulse oximeter)"},
	PatientHeight:  {Name: "patient.height", Unit: Centimetre, Label: "Height", Precision: 0, Min: 30, Max: 250, Freshness: noFreshness, Description: "patient height (case set-up)"},
	PatientWeight:  {Name: "patient.weight", Unit: Kilogram, Label: "Weight", Precision: 1, Min: 1, Max: 350, Freshness: noFreshness, Description: "patient weight (case set-up)"},
	PatientPAPSys:  {Name: "patient.pap_sys", Unit: MMHg, Label: "PAP sys", Precision: 0, Min: -10, Max: 150, Freshness: monitorFreshness, Description: "pulmonary artery systolic pressure (patient monitor)"},
	PatientPAPDia:  {Name: "patient.pap_dia", Unit: MMHg, Label: "PAP dia", Precision: 0, Min: -10, Max: 120, Freshness: monitorFreshness, Description: "pulmonary artery diastolic pressure (patient monitor)"},
	PatientPAPMean: {Name: "patient.pap_mean", Unit: MMHg, Label: "PAP mean", Precision: 0, Min: -10, Max: 130, Freshness: monitorFreshness, Description: "pulmonary artery mean pressure (patient monitor)"},
	PatientPulse:   {Name: "patient.pulse", Unit: PerMin, Label: "Pulse", Precision: 0, Min: 0, Max: 300, Freshness: monitorFreshness, Description: "pulse rate from the patient monitor's pulse oximetry or pressure (patient.hr is the ECG heart rate where the monitor gives both)"},
	PatientEtCO2:   {Name: "patient.etco2", Unit: MMHg, Label: "EtCO2", Precision: 0, Min: 0, Max: 150, Freshness: monitorFreshness, Description: "end-tidal CO2 of the ventilated patient (patient monitor)"},
	PatientRR:      {Name: "patient.rr", Unit: PerMin, Label: "RR", Precision: 0, Min: 0, Max: 150, Freshness: monitorFreshness, Description: "respiration rate (patient monitor)"},
	PatientBIS:     {Name: "patient.bis", Unit: Index, Label: "BIS", Precision: 0, Min: 0, Max: 100, Freshness: monitorFreshness, Description: "bispectral index of the EEG, 0-100 (patient monitor with a BIS module)"},

	TempArterialOutlet: {Name: "temp.arterial_outlet", Unit: Celsius, Label: "Art outlet", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "oxygenator arterial outlet blood temperature"},
	TempVenousInlet:    {Name: "temp.venous_inlet", Unit: Celsius, Label: "Venous inlet", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "venous inflow blood temperature"},
	TempNasopharyngeal: {Name: "temp.nasopharyngeal", Unit: Celsius, Label: "Naso temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "nasopharyngeal temperature"},
	TempBladder:        {Name: "temp.bladder", Unit: Celsius, Label: "Bladder temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "bladder temperature"},
	TempRectal:         {Name: "temp.rectal", Unit: Celsius, Label: "Rectal temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "rectal temperature"},
	TempOesophageal:    {Name: "temp.oesophageal", Unit: Celsius, Label: "Oesoph temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "oesophageal temperature"},
	TempBlood:          {Name: "temp.blood", Unit: Celsius, Label: "Blood temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "patient blood temperature (pulmonary artery catheter)"},
	TempTympanic:       {Name: "temp.tympanic", Unit: Celsius, Label: "Tympanic temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: slowFreshness, Description: "tympanic temperature"},

	GasSweep:      {Name: "gas.sweep", Unit: LitrePerMin, Label: "Sweep", Precision: 1, Min: 0, Max: 15, Freshness: slowFreshness, Description: "oxygenator sweep gas flow"},
	GasFiO2:       {Name: "gas.fio2", Unit: Percent, Label: "FiO2", Precision: 0, Min: 0, Max: 100, Freshness: slowFreshness, Description: "oxygen fraction of the sweep gas"},
	GasExhaustCO2: {Name: "gas.exhaust_co2", Unit: MMHg, Label: "Exhaust CO2", Precision: 0, Min: 0, Max: 100, Freshness: slowFreshness, Description: "CO2 at the oxygenator exhaust"},

	InlineArtPH:   {Name: "inline.art_ph", Unit: PH, Label: "Art pH", Precision: 2, Min: 6.5, Max: 8.0, Freshness: inlineFreshness, Description: "in-line arterial pH"},
	InlineArtPCO2: {Name: "inline.art_pco2", Unit: MMHg, Label: "Art pCO2", Precision: 0, Min: 5, Max: 150, Freshness: inlineFreshness, Description: "in-line arterial pCO2"},
	InlineArtPO2:  {Name: "inline.art_po2", Unit: MMHg, Label: "Art pO2", Precision: 0, Min: 10, Max: 800, Freshness: inlineFreshness, Description: "in-line arterial pO2"},
	InlineArtSO2:  {Name: "inline.art_so2", Unit: Percent, Label: "SaO2", Precision: 0, Min: 0, Max: 100, Freshness: inlineFreshness, Description: "in-line arterial saturation"},
	InlineArtHCO3: {Name: "inline.art_hco3", Unit: MmolPerL, Label: "Art HCO3", Precision: 1, Min: 0, Max: 60, Freshness: inlineFreshness, Description: "in-line arterial bicarbonate"},
	InlineArtBE:   {Name: "inline.art_be", Unit: MmolPerL, Label: "Art BE", Precision: 1, Min: -30, Max: 30, Freshness: inlineFreshness, Description: "in-line arterial base excess"},
	InlineK:       {Name: "inline.k", Unit: MmolPerL, Label: "K+", Precision: 1, Min: 1, Max: 10, Freshness: inlineFreshness, Description: "in-line potassium"},
	InlineVenPH:   {Name: "inline.ven_ph", Unit: PH, Label: "Ven pH", Precision: 2, Min: 6.5, Max: 8.0, Freshness: inlineFreshness, Description: "in-line venous pH"},
	InlineVenPCO2: {Name: "inline.ven_pco2", Unit: MMHg, Label: "Ven pCO2", Precision: 0, Min: 5, Max: 150, Freshness: inlineFreshness, Description: "in-line venous pCO2"},
	InlineVenPO2:  {Name: "inline.ven_po2", Unit: MMHg, Label: "Ven pO2", Precision: 0, Min: 5, Max: 800, Freshness: inlineFreshness, Description: "in-line venous pO2"},
	InlineVenSO2:  {Name: "inline.ven_so2", Unit: Percent, Label: "SvO2", Precision: 0, Min: 0, Max: 100, Freshness: inlineFreshness, Description: "venous saturation (SvO2)"},
	InlineHct:     {Name: "inline.hct", Unit: Percent, Label: "Hct", Precision: 0, Min: 5, Max: 70, Freshness: inlineFreshness, Description: "haematocrit"},
	InlineHb:      {Name: "inline.hb", Unit: GPerDL, Label: "Hb", Precision: 1, Min: 1.5, Max: 25, Freshness: inlineFreshness, Description: "haemoglobin"},
	InlineArtTemp: {Name: "inline.art_temp", Unit: Celsius, Label: "Art sensor temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: inlineFreshness, Description: "arterial sensor temperature"},
	InlineVenTemp: {Name: "inline.ven_temp", Unit: Celsius, Label: "Ven sensor temp", Precision: 1, Min: temperatureRangeLo, Max: temperatureRangeHi, Freshness: inlineFreshness, Description: "venous sensor temperature"},

	ACTSeconds:          {Name: "act.seconds", Unit: Second, Label: "ACT", Precision: 0, Min: 0, Max: 1500, Freshness: actFreshness, Description: "activated clotting time"},
	NIRSLeft:            {Name: "nirs.left", Unit: Percent, Label: "NIRS L", Precision: 0, Min: 0, Max: 100, Freshness: nirsFreshness, Description: "cerebral regional saturation rSO2, left"},
	NIRSRight:           {Name: "nirs.right", Unit: Percent, Label: "NIRS R", Precision: 0, Min: 0, Max: 100, Freshness: nirsFreshness, Description: "cerebral regional saturation rSO2, right"},
	NIRSRenal:           {Name: "nirs.renal", Unit: Percent, Label: "NIRS renal", Precision: 0, Min: 0, Max: 100, Freshness: nirsFreshness, Description: "renal (flank) regional saturation rSO2"},
	NIRSSomatic:         {Name: "nirs.somatic", Unit: Percent, Label: "NIRS somatic", Precision: 0, Min: 0, Max: 100, Freshness: nirsFreshness, Description: "somatic regional saturation rSO2 at another site (leg, abdomen)"},
	NIRSLeftBaseline:    {Name: "nirs.left_baseline", Unit: Percent, Label: "NIRS L baseline", Precision: 0, Min: 0, Max: 100, Freshness: noFreshness, Description: "baseline of nirs.left, as set on the oximeter"},
	NIRSRightBaseline:   {Name: "nirs.right_baseline", Unit: Percent, Label: "NIRS R baseline", Precision: 0, Min: 0, Max: 100, Freshness: noFreshness, Description: "baseline of nirs.right, as set on the oximeter"},
	NIRSRenalBaseline:   {Name: "nirs.renal_baseline", Unit: Percent, Label: "NIRS renal baseline", Precision: 0, Min: 0, Max: 100, Freshness: noFreshness, Description: "baseline of nirs.renal, as set on the oximeter"},
	NIRSSomaticBaseline: {Name: "nirs.somatic_baseline", Unit: Percent, Label: "NIRS somatic baseline", Precision: 0, Min: 0, Max: 100, Freshness: noFreshness, Description: "baseline of nirs.somatic, as set on the oximeter"},
	ReservoirLevel:      {Name: "reservoir.level", Unit: MilliLitre, Label: "Reservoir", Precision: 0, Min: 0, Max: 6000, Freshness: slowFreshness, Description: "venous reservoir level"},
	UrineVolume:         {Name: "urine.volume", Unit: MilliLitre, Label: "Urine", Precision: 0, Min: 0, Max: 20000, Freshness: urineFreshness, Description: "cumulative urine"},

	DerivedBSA:           {Name: "derived.bsa", Unit: SquareMetre, Label: "BSA", Precision: 2, Min: 0.1, Max: 4, Freshness: derivedFreshness, Description: "body surface area"},
	DerivedFlowIndex:     {Name: "derived.flow_index", Unit: LitrePerMinPerM2, Label: "Flow index", Precision: 2, Min: 0, Max: 8, Freshness: derivedFreshness, Description: "pump flow per m² BSA"},
	DerivedSVR:           {Name: "derived.svr", Unit: DynSCm5, Label: "SVR", Precision: 0, Min: 0, Max: 10000, Freshness: derivedFreshness, Description: "systemic vascular resistance"},
	DerivedSVRI:          {Name: "derived.svri", Unit: DynSCm5M2, Label: "SVRI", Precision: 0, Min: 0, Max: 20000, Freshness: derivedFreshness, Description: "systemic vascular resistance index"},
	DerivedCaO2:          {Name: "derived.cao2", Unit: MLPerDL, Label: "CaO2", Precision: 1, Min: 0, Max: 40, Freshness: derivedFreshness, Description: "arterial oxygen content"},
	DerivedCvO2:          {Name: "derived.cvo2", Unit: MLPerDL, Label: "CvO2", Precision: 1, Min: 0, Max: 40, Freshness: derivedFreshness, Description: "venous oxygen content"},
	DerivedDO2:           {Name: "derived.do2", Unit: MLPerMin, Label: "DO2", Precision: 0, Min: 0, Max: 5000, Freshness: derivedFreshness, Description: "oxygen delivery"},
	DerivedDO2i:          {Name: "derived.do2i", Unit: MLPerMinPerM2, Label: "DO2i", Precision: 0, Min: 0, Max: 2500, Freshness: derivedFreshness, Description: "indexed oxygen delivery"},
	DerivedVO2:           {Name: "derived.vo2", Unit: MLPerMin, Label: "VO2", Precision: 0, Min: 0, Max: 2000, Freshness: derivedFreshness, Description: "oxygen consumption"},
	DerivedVO2i:          {Name: "derived.vo2i", Unit: MLPerMinPerM2, Label: "VO2i", Precision: 0, Min: 0, Max: 1000, Freshness: derivedFreshness, Description: "indexed oxygen consumption"},
	DerivedO2ER:          {Name: "derived.o2er", Unit: Percent, Label: "O2ER", Precision: 0, Min: 0, Max: 100, Freshness: derivedFreshness, Description: "oxygen extraction ratio"},
	DerivedVCO2:          {Name: "derived.vco2", Unit: MLPerMin, Label: "VCO2", Precision: 0, Min: 0, Max: 2000, Freshness: derivedFreshness, Description: "carbon dioxide production"},
	DerivedVCO2i:         {Name: "derived.vco2i", Unit: MLPerMinPerM2, Label: "VCO2i", Precision: 0, Min: 0, Max: 1000, Freshness: derivedFreshness, Description: "indexed carbon dioxide production"},
	DerivedDO2iVCO2i:     {Name: "derived.do2i_vco2i", Unit: Ratio, Label: "DO2i/VCO2i", Precision: 2, Min: 0, Max: 100, Freshness: derivedFreshness, Description: "oxygen delivery to CO2 production ratio"},
	DerivedRQ:            {Name: "derived.rq", Unit: Ratio, Label: "RQ", Precision: 2, Min: 0, Max: 5, Freshness: derivedFreshness, Description: "respiratory quotient VCO2/VO2"},
	DerivedAVGradient:    {Name: "derived.av_gradient", Unit: Celsius, Label: "A–V gradient", Precision: 1, Min: -35, Max: 35, Freshness: derivedFreshness, Description: "arterial outlet minus venous inlet temperature"},
	DerivedOxyDP:         {Name: "derived.oxy_dp", Unit: MMHg, Label: "Oxy ΔP", Precision: 0, Min: -50, Max: 500, Freshness: derivedFreshness, Description: "pressure drop across the oxygenator: pre- minus post-oxygenator pressure"},
	DerivedOxyResistance: {Name: "derived.oxy_resistance", Unit: MMHgPerLPM, Label: "Oxy ΔP/flow", Precision: 1, Min: -20, Max: 200, Freshness: derivedFreshness, Description: "oxygenator pressure drop per L/min of blood flow (not below 1 L/min): its rise at any flow is clot"},
	DerivedOxyPF:         {Name: "derived.oxy_pf_ratio", Unit: MMHg, Label: "Oxy P/F", Precision: 0, Min: 0, Max: 1000, Freshness: derivedFreshness, Description: "post-oxygenator (arterial) PaO2 over the sweep gas FiO2 as a fraction"},
	DerivedRewarmRate:    {Name: "derived.rewarm_rate", Unit: CelsiusPerMin, Label: "Rewarm rate", Precision: 2, Min: -10, Max: 10, Freshness: derivedFreshness, Description: "rate of change of the patient's core temperature (nasopharyngeal, else bladder), fitted over 5 min"},
}

// bloodGasAnalytes is the analyser panel shared by abg.* and vbg.*.
var bloodGasAnalytes = [...]struct {
	field, unit, label string
	precision          int
	min, max           float64
}{
	{"ph", PH, "pH", 2, 6.5, 8.0},
	{"pco2", MMHg, "pCO2", 0, 5, 150},
	{"po2", MMHg, "pO2", 0, 5, 800},
	{"so2", Percent, "sO2", 0, 0, 100},
	{"hb", GPerDL, "Hb", 1, 1.5, 25},
	{"hct", Percent, "Hct", 0, 5, 70},
	{"k", MmolPerL, "K+", 1, 1, 10},
	{"na", MmolPerL, "Na+", 0, 100, 180},
	{"ica", MmolPerL, "iCa", 2, 0.2, 3},
	{"glucose", MmolPerL, "Glucose", 1, 0.5, 50},
	{"lactate", MmolPerL, "Lactate", 1, 0, 30},
	{"be", MmolPerL, "BE", 1, -30, 30},
	{"hco3", MmolPerL, "HCO3", 1, 0, 60},
}

func init() {
	for i, a := range bloodGasAnalytes {
		builtin[ABGPH+ID(i)] = Channel{Name: "abg." + a.field, Unit: a.unit, Label: "ABG " + a.label, Precision: a.precision, Min: a.min, Max: a.max, Freshness: bloodGasFreshness, Description: "analyser result, arterial sample: " + a.label}
		builtin[VBGPH+ID(i)] = Channel{Name: "vbg." + a.field, Unit: a.unit, Label: "VBG " + a.label, Precision: a.precision, Min: a.min, Max: a.max, Freshness: bloodGasFreshness, Description: "analyser result, venous sample (mixed venous, from the circuit): " + a.label}
		builtin[BGPH+ID(i)] = Channel{Name: "bg." + a.field, Unit: a.unit, Label: "BG? " + a.label, Precision: a.precision, Min: a.min, Max: a.max, Freshness: bloodGasFreshness, Description: "analyser result, specimen not stated (to be assigned arterial or venous): " + a.label}
		builtin[CVBGPH+ID(i)] = Channel{Name: "cvbg." + a.field, Unit: a.unit, Label: "CVBG " + a.label, Precision: a.precision, Min: a.min, Max: a.max, Freshness: bloodGasFreshness, Description: "analyser result, central venous sample: " + a.label}
	}
	byName = make(map[string]ID, len(builtin))
	for id := ID(1); id < numBuiltin; id++ {
		c := &builtin[id]
		if c.Name == "" {
			panic("channel: no table entry for ID " + strconv.Itoa(int(id)))
		}
		if _, dup := byName[c.Name]; dup {
			panic("channel: duplicate name " + c.Name)
		}
		c.ID = id
		byName[c.Name] = id
	}
}

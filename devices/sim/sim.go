package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Source is one simulated device. Its index in Sources is what AdvanceTo
// reports.
type Source int

// The simulated devices, each reporting at its own interval.
const (
	Pump     Source = iota // heart-lung machine: flow, speed, pressures, circuit temperatures, gas, reservoir; 1 Hz
	Monitor                // patient monitor: arterial pressure, CVP, HR, patient temperatures; 1 Hz
	Inline                 // in-line blood parameter monitor (CDI 550 style) on bypass, every 6 s
	NIRS                   // cerebral oximeter, every 5 s
	Manual                 // case set-up, ACT results and urine typed in by the perfusionist
	Oximeter               // pulse oximeter (Masimo style): SpO2, PI; 1 Hz
	Analyser               // blood-gas analyser: one result per sample sent
	numSources
)

var sourceInfo = [numSources]struct {
	name     string
	interval time.Duration
}{
	Pump:     {"sim.pump", time.Second},
	Monitor:  {"sim.monitor", time.Second},
	Inline:   {"sim.inline", 6 * time.Second},
	NIRS:     {"sim.nirs", 5 * time.Second},
	Manual:   {"manual", 0},
	Oximeter: {"sim.oximeter", time.Second},
	Analyser: {"sim.analyser", 0},
}

// Sources returns the names of the simulated sources, indexed by Source.
func Sources() []string {
	names := make([]string, numSources)
	for i, s := range sourceInfo {
		names[i] = s.name
	}
	return names
}

// sourceChannels are the channels each source sends (TestSourceChannels
// checks them against whole cases).
var sourceChannels = [numSources][]channel.ID{
	Pump: {channel.PumpFlow, channel.PumpSpeed, channel.PumpLinePressure, channel.PumpPreOxyPressure, channel.PumpPostOxyPressure, channel.PumpInletPressure, channel.PumpCardioplegiaPressure,
		channel.TempArterialOutlet, channel.TempVenousInlet, channel.GasSweep, channel.GasFiO2, channel.GasExhaustCO2,
		channel.ReservoirLevel},
	Monitor: {channel.PatientMAP, channel.PatientSys, channel.PatientDia, channel.PatientCVP, channel.PatientHR,
		channel.TempNasopharyngeal, channel.TempBladder},
	Inline: {channel.InlineArtPH, channel.InlineArtPCO2, channel.InlineArtPO2, channel.InlineArtSO2, channel.InlineArtHCO3,
		channel.InlineArtBE, channel.InlineK, channel.InlineVenPH, channel.InlineVenPCO2, channel.InlineVenPO2,
		channel.InlineVenSO2, channel.InlineHct, channel.InlineHb, channel.InlineArtTemp, channel.InlineVenTemp},
	NIRS:     {channel.NIRSLeft, channel.NIRSRight},
	Manual:   {channel.PatientHeight, channel.PatientWeight, channel.ACTSeconds, channel.UrineVolume},
	Oximeter: {channel.PatientSpO2, channel.PatientPI},
	Analyser: {channel.ABGPH, channel.ABGPCO2, channel.ABGPO2, channel.ABGSO2, channel.ABGHb, channel.ABGHct, channel.ABGK,
		channel.ABGNa, channel.ABGICa, channel.ABGGlucose, channel.ABGLactate, channel.ABGBE, channel.ABGHCO3,
		channel.VBGPH, channel.VBGPCO2, channel.VBGPO2, channel.VBGSO2, channel.VBGHb, channel.VBGHct, channel.VBGLactate},
}

// Channels returns the channels the source sends. Shared: do not modify.
func (s Source) Channels() []channel.ID {
	if s >= 0 && s < numSources {
		return sourceChannels[s]
	}
	return nil
}

// Interval returns how often a source reports; 0 for sources that report on
// events (manual entry, the analyser).
func (s Source) Interval() time.Duration { return sourceInfo[s].interval }

// String returns the source's name.
func (s Source) String() string {
	if s >= 0 && s < numSources {
		return sourceInfo[s].name
	}
	return "sim.?"
}

// Event is something that happened in the case: a phase, an action of the
// team, a fault. Time is Unix nanoseconds on the case clock. Kind and
// Fields follow the event kinds of the case file (docs/format/case.md:
// on_bypass, off_bypass, clamp_on, clamp_off, cardioplegia, arrest_start,
// arrest_end, acp_start, weaning, drug, fluid, blood_product, act, note,
// inline_recalibration) plus the simulator's own: cool, rewarm,
// ultrafiltration, flow_index, fio2, fault, fault_clear. Fields has "who" (scenario, instructor or autopilot) and the
// kind's structured values.
type Event struct {
	Time   int64
	Kind   string
	Text   string
	Fields []EventField
}

// EventField is one structured field of an event: a number or a string.
type EventField struct {
	Key   string
	Num   float64
	Str   string
	IsStr bool
}

// Case is one simulated case: the model, its timeline and its devices.
//
// Concurrency: AdvanceTo, OnEvent and State belong to one goroutine (the
// feeder). Trigger and Clear may be called from any goroutine at any time,
// also while AdvanceTo runs: they only queue the command, which takes effect
// at the next simulated second AdvanceTo processes.
type Case struct {
	sc    *Scenario
	start time.Time
	rng   *rand.Rand
	orng  *rand.Rand // the oxygenator pressures' noise
	m     *model

	sec     int64 // next second of case time to process
	next    int   // next scheduled action
	onEvent func(Event)

	pending []Action // auto-clears and the like, in no order
	results []result // analyser and ACT results waiting for their time
	lastACT float64  // s of case time of the last ACT draw; -1 none
	lastGas float64
	lastHep float64
	lastFl  float64
	// heparinIU is the heparin given so far (its protamine dose).
	heparinIU float64
	flushEnd  float64 // s; arterial-line flush artefact until then
	drawEnd   float64 // s; blood drawn from the arterial line until then
	diaEnd    float64 // s; diathermy on the NIRS until then
	// The team's pressure management (autopilot): since when the MAP has
	// been below or above its target band (s; 0 not), the last bolus.
	mapLowSince, mapHighSince, lastBolus float64
	gdpLowSince                          float64 // s; the DO2i/VCO2i ratio low since (goal-directed perfusion)
	recalDue                             int64   // s; the in-line monitor is recalibrated to the last gas then; 0 none
	recalHct                             float64 // the Hct it is set to
	saved                                [2]float64
	lastAPTT, lastSweep                  float64 // s; ECMO: the last aPTT sent, the last sweep review

	mu   sync.Mutex
	live []Action // queued by Trigger and Clear
}

type result struct {
	due     int64 // s
	src     Source
	samples []monitor.Sample
	text    string
}

// New returns the default case (the routine CABG scenario) starting at
// start. The same start and seed give the same samples.
func New(start time.Time, seed uint64) *Case {
	sc, err := Builtin(DefaultScenario)
	if err != nil {
		panic("sim: built-in scenario does not load: " + err.Error()) // a build defect, caught by the tests
	}
	return NewScenario(sc, start, seed)
}

// NewScenario returns a case of sc starting at start. The same scenario,
// start and seed give the same samples and events (until Trigger or Clear
// is used).
func NewScenario(sc *Scenario, start time.Time, seed uint64) *Case {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &Case{sc: sc, start: start, rng: rng, orng: rand.New(rand.NewPCG(seed^0x6f7879, seed)), m: newModel(sc, rng),
		lastACT: -1, lastGas: -1, lastHep: -1, lastFl: -1e9, lastBolus: -1e9, lastAPTT: -1e9}
	if sc.ECMO != nil {
		// An ECMO run's own randomness comes from a stream of its own.
		c.m.e = newECMOState(*sc.ECMO, seed)
		c.m.initECMO()
	}
	return c
}

// Start returns the case start time.
func (c *Case) Start() time.Time { return c.start }

// Scenario returns the case's scenario (read-only).
func (c *Case) Scenario() *Scenario { return c.sc }

// OnEvent sets the function that receives the case's events, in time order
// and interleaved with the samples (an event comes before the samples of
// its second). Call it before the first AdvanceTo.
func (c *Case) OnEvent(fn func(Event)) { c.onEvent = fn }

// State returns the model's state after the last second processed.
func (c *Case) State() State { return c.m.s }

// Now returns the case time of the last second processed (the start before
// the first AdvanceTo).
func (c *Case) Now() time.Time {
	if c.sec == 0 {
		return c.start
	}
	return c.start.Add(time.Duration(c.sec-1) * time.Second)
}

// Trigger queues a fault (see FaultNames) or an instructor action (see
// LiveActions) to happen at the case's next second. It fails only for an
// unknown name. Safe from any goroutine.
func (c *Case) Trigger(name string) error {
	name = strings.TrimSpace(name)
	var a Action
	switch {
	case knownFault(name):
		f, _ := ParseFault(name)
		a = Action{Kind: "fault", Fault: f.String()}
	case drugs[name] != "":
		a = Action{Kind: "drug", Drug: name}
	case name == "bloodgas":
		a = Action{Kind: "bloodgas", Venous: true}
	case name == "act", name == "protamine":
		a = Action{Kind: name}
	case name == "heparin":
		a = Action{Kind: "heparin", DoseIU: c.sc.Circuit.HeparinTopUpIU}
	case name == "fluid":
		a = Action{Kind: "fluid", VolumeML: 250}
	default:
		return fmt.Errorf("sim: unknown fault or action %q (faults: %s; actions: %s): %w",
			name, strings.Join(FaultNames(), ", "), strings.Join(LiveActions(), ", "), ErrUnknown)
	}
	c.queue(a)
	return nil
}

// Clear queues the end of a fault. It fails only for an unknown fault name.
// Safe from any goroutine.
func (c *Case) Clear(fault string) error {
	fault = strings.TrimSpace(fault)
	if fault == "all" {
		for _, f := range faultInfo {
			c.queue(Action{Kind: "clear", Fault: f.name})
		}
		return nil
	}
	f, ok := ParseFault(fault)
	if !ok {
		return fmt.Errorf("sim: unknown fault %q (want all or one of %s): %w", fault, strings.Join(FaultNames(), ", "), ErrUnknown)
	}
	c.queue(Action{Kind: "clear", Fault: f.String()})
	return nil
}

// ErrUnknown is wrapped by Trigger and Clear for an unknown name.
var ErrUnknown = errors.New("sim: unknown name")

// LiveActions returns the instructor actions Trigger accepts besides the
// faults, sorted.
func LiveActions() []string {
	out := append(Drugs(), "bloodgas", "act", "heparin", "protamine", "fluid")
	sort.Strings(out)
	return out
}

func (c *Case) queue(a Action) {
	c.mu.Lock()
	c.live = append(c.live, a)
	c.mu.Unlock()
}

// AdvanceTo processes every second of case time up to and including t,
// emitting each device's samples when due, in time order (events through
// OnEvent). emit must not retain the Sample's address. Calling it with a
// time already passed does nothing.
func (c *Case) AdvanceTo(t time.Time, emit func(Source, monitor.Sample)) {
	if t.Before(c.start) {
		return
	}
	last := int64(t.Sub(c.start) / time.Second)
	for ; c.sec <= last; c.sec++ {
		c.tick(c.sec, emit)
	}
}

func (c *Case) event(sec int64, kind string, fields []EventField, format string, a ...any) {
	if c.onEvent != nil {
		c.onEvent(Event{Time: c.at(sec), Kind: kind, Text: fmt.Sprintf(format, a...), Fields: fields})
	}
}

// by returns fields with "who" first: the instructor, the autopilot (the
// team's routine) or the scenario.
func (c *Case) by(who string, fields ...EventField) []EventField {
	w := "scenario"
	switch {
	case strings.HasPrefix(who, "instructor"):
		w = "instructor"
	case strings.HasPrefix(who, "autopilot"):
		w = "autopilot"
	}
	return append([]EventField{str("who", w)}, fields...)
}

func num(k string, v float64) EventField { return EventField{Key: k, Num: v} }
func str(k, v string) EventField         { return EventField{Key: k, Str: v, IsStr: true} }

func boolStr(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (c *Case) at(sec int64) int64 { return c.start.UnixNano() + sec*int64(time.Second) }

func (c *Case) tick(sec int64, emit func(Source, monitor.Sample)) {
	now := float64(sec)
	if sec == 0 {
		c.event(0, "note", nil, "%s: %s", c.sc.Name, c.sc.Title)
		ts := c.at(0)
		emit(Manual, monitor.Sample{Time: ts, Channel: channel.PatientHeight, Value: c.sc.Patient.HeightCm})
		emit(Manual, monitor.Sample{Time: ts, Channel: channel.PatientWeight, Value: c.sc.Patient.WeightKg})
		if e := c.sc.ECMO; e != nil {
			// The case set-up's ECMO configuration (an ecmo_config entry).
			c.event(0, "ecmo_config", c.by("", str("mode", e.Mode), str("drainage", e.Drainage), str("return", e.Return)),
				"ECMO configuration: %s, %s → %s", upper(e.Mode), site(e.Drainage), site(e.Return))
		}
	}
	c.mu.Lock()
	live := c.live
	c.live = nil
	c.mu.Unlock()
	for _, a := range live {
		c.apply(sec, a, "instructor: ")
	}
	for c.next < len(c.sc.Actions) && int64(c.sc.Actions[c.next].At/time.Second) <= sec {
		c.apply(sec, c.sc.Actions[c.next], "")
		c.next++
	}
	if len(c.pending) > 0 {
		keep := c.pending[:0]
		for _, a := range c.pending {
			if int64(a.At/time.Second) <= sec {
				c.apply(sec, a, "")
			} else {
				keep = append(keep, a)
			}
		}
		c.pending = keep
	}
	if c.m.e != nil {
		c.ecmoAutopilot(sec)
	} else {
		c.autopilot(sec)
	}
	c.m.step(now)
	c.artefacts(now)
	c.report(sec, emit)
}

// apply performs one timeline action at second sec.
func (c *Case) apply(sec int64, a Action, who string) {
	m, s := c.m, &c.m.s
	now := float64(sec)
	switch a.Kind {
	case "phase", "note":
		c.event(sec, "note", c.by(who, str("phase", boolStr(a.Kind == "phase"))), "%s%s", who, a.Text)
	case "heparin":
		s.HeparinIUPerKg += a.DoseIU / m.p.WeightKg
		m.protamineAt = 0
		c.lastHep = now
		c.heparinIU += a.DoseIU
		c.event(sec, "drug", c.by(who, str("name", "heparin"), num("dose", a.DoseIU), str("unit", "IU"), str("route", "iv")), "%sheparin %.0f IU", who, a.DoseIU)
	case "nirs_baseline":
		// The pre-induction baseline, as the oximeter shows it now.
		l, r := math.Round(s.NIRSLeft), math.Round(s.NIRSRight)
		c.event(sec, "nirs_baseline", c.by(who, num("left", l), num("right", r)), "%sNIRS baseline L %.0f %% R %.0f %%", who, l, r)
	case "act":
		c.drawACT(sec)
	case "bloodgas":
		c.drawGas(sec, a.Venous)
	case "bypass_on":
		s.OnBypass = true
		m.bypassSince = now
		m.ventilated = false
		s.VolumeML += m.c.PrimeML
		s.Reservoir += 400 // venous drainage empties the heart and great veins into the reservoir
		s.FiO2 = m.c.FiO2Pct
		s.Sweep = 2.0
		m.nextSweep = now + 120
		m.tSet, m.tRate = s.TOutlet, 0.5
		c.event(sec, "on_bypass", c.by(who, num("prime_ml", m.c.PrimeML)), "%son bypass: prime %.0f mL", who, m.c.PrimeML)
	case "ecmo_start":
		c.startECMO(sec, who)
	case "cool", "rewarm":
		m.tSet, m.tRate = a.TargetC, a.RateCPerMin
		c.saved = [2]float64{a.TargetC, a.RateCPerMin}
		if m.faults[RewarmTooFast] {
			m.tSet, m.tRate = 39, 1
		}
		c.event(sec, a.Kind, c.by(who, num("target_c", a.TargetC), num("rate_c_per_min", a.RateCPerMin)), "%s%s to %.1f °C at %.2f °C/min", who, a.Kind, a.TargetC, a.RateCPerMin)
	case "clamp_on":
		s.Clamp = true
		c.event(sec, "clamp_on", c.by(who), "%saortic cross-clamp on", who)
	case "clamp_off":
		s.Clamp = false
		c.event(sec, "clamp_off", c.by(who), "%saortic cross-clamp off", who)
	case "cardioplegia":
		dur := a.VolumeML / 300 * 60 // delivered at about 300 mL/min
		m.cpLeft = dur
		m.cpCrystRate = a.CrystalloidML / dur
		// High-potassium crystalloid: about a third of its excess reaches the
		// circulation (the rest is vented or suctioned).
		m.kExtra += 0.35 * a.CrystalloidML * (20 - s.K) / s.VolumeML
		sol := or(a.Solution, DefaultCardioplegia)
		c.event(sec, "cardioplegia", c.by(who, str("solution", sol), num("volume_ml", a.VolumeML), num("crystalloid_ml", a.CrystalloidML), str("route", "antegrade")),
			"%scardioplegia %s %.0f mL (%.0f mL crystalloid)", who, sol, a.VolumeML, a.CrystalloidML)
	case "circ_arrest":
		s.Arrest, s.ACP = true, false
		c.event(sec, "arrest_start", c.by(who), "%scirculatory arrest", who)
	case "acp":
		s.ACP = true
		m.acpFlow = a.FlowMLKgMin
		c.event(sec, "acp_start", c.by(who, num("flow_ml_per_kg_min", a.FlowMLKgMin)), "%santegrade cerebral perfusion %.0f mL/kg/min", who, a.FlowMLKgMin)
	case "reperfuse":
		s.Arrest, s.ACP = false, false
		c.event(sec, "arrest_end", c.by(who), "%sreperfusion: full flow", who)
	case "flow_index":
		m.fiOverride = a.FlowIndex
		c.event(sec, "flow_index", c.by(who, num("flow_index", a.FlowIndex)), "%sflow index set to %.1f L/min/m²", who, a.FlowIndex)
	case "fio2":
		s.FiO2 = a.FiO2Pct
		c.event(sec, "fio2", c.by(who, num("fio2_pct", a.FiO2Pct)), "%ssweep FiO2 %.0f %%", who, a.FiO2Pct)
	case "wean":
		m.weanFrom, m.weanOver = math.Max(now, 1), a.Over.Seconds()
		c.event(sec, "weaning", c.by(who, num("over_s", a.Over.Seconds())), "%sweaning over %v", who, a.Over)
	case "bypass_off":
		s.OnBypass = false
		m.weanFrom = 0
		m.ventilated = true
		s.Sweep = 0
		c.event(sec, "off_bypass", c.by(who), "%soff bypass", who)
	case "protamine":
		m.protamineAt = now
		s.HeparinIUPerKg = 0
		// The usual ratio, 1 mg per 100 IU of the heparin given (the
		// console's default constant; physio.ProtamineDose).
		mg := math.Round(physio.ProtamineDose(c.heparinIU, physio.DefaultConstants().ProtamineMgPer100IU))
		c.event(sec, "drug", c.by(who, str("name", "protamine"), num("dose", mg), str("unit", "mg"), str("route", "iv")), "%sprotamine %.0f mg", who, mg)
	case "drug":
		switch a.Drug {
		case "phenylephrine", "metaraminol":
			m.bolus += 0.35
		case "gtn":
			m.dilator -= 0.25
		case "noradrenaline":
			m.infusion += 0.4
		case "vasopressin":
			m.infusion += 0.6
		case "stop_infusions":
			m.infusion = 0
		}
		fields := []EventField{str("name", a.Drug)}
		if d, ok := bolusDoses[a.Drug]; ok {
			fields = append(fields, num("dose", d.dose), str("unit", d.unit), str("route", "pump"))
		}
		c.event(sec, "drug", c.by(who, fields...), "%s%s", who, a.Drug)
	case "fluid":
		s.VolumeML += a.VolumeML
		s.Reservoir += a.VolumeML
		c.lastFl = now
		c.event(sec, "fluid", c.by(who, str("name", "crystalloid"), num("volume_ml", a.VolumeML), str("kind", "crystalloid")), "%scrystalloid %.0f mL to the reservoir", who, a.VolumeML)
	case "transfuse":
		s.VolumeML += a.VolumeML
		m.rcv += a.VolumeML * a.HctPct / 100
		s.Reservoir += a.VolumeML
		c.event(sec, "blood_product", c.by(who, str("product", "red cells"), num("volume_ml", a.VolumeML), num("hct_pct", a.HctPct)), "%sred cells %.0f mL (Hct %.0f %%)", who, a.VolumeML, a.HctPct)
	case "ultrafiltrate":
		m.ufLeft += a.VolumeML
		m.ufRate = a.VolumeML / a.Over.Seconds()
		c.event(sec, "ultrafiltration", c.by(who, num("volume_ml", a.VolumeML), num("over_s", a.Over.Seconds())), "%shaemofiltration %.0f mL over %v", who, a.VolumeML, a.Over)
	case "fault":
		f, _ := ParseFault(a.Fault)
		if m.faults[f] {
			return
		}
		m.faults[f] = true
		if f == RewarmTooFast {
			c.saved = [2]float64{m.tSet, m.tRate}
			m.tSet, m.tRate = 39, 1
		}
		if a.Over > 0 {
			c.pending = append(c.pending, Action{At: time.Duration(sec)*time.Second + a.Over, Kind: "clear", Fault: a.Fault})
		}
		c.event(sec, "fault", c.by(who, str("fault", f.String())), "%sfault %s: %s", who, f, f.About())
	case "clear":
		f, _ := ParseFault(a.Fault)
		if !m.faults[f] {
			return
		}
		m.faults[f] = false
		if f == RewarmTooFast {
			m.tSet, m.tRate = c.saved[0], c.saved[1]
		}
		c.event(sec, "fault_clear", c.by(who, str("fault", f.String())), "%sfault %s cleared", who, f)
	}
}

// autopilot is the team's routine: ACT checks and heparin top-ups, blood
// gases, volume when the reservoir runs low.
func (c *Case) autopilot(sec int64) {
	m, s := c.m, &c.m.s
	now := float64(sec)
	cc := m.c
	if c.lastHep >= 0 && c.lastACT < c.lastHep && now-c.lastHep >= 180 {
		c.drawACT(sec) // the check after a heparin dose
	}
	if c.recalDue > 0 && sec >= c.recalDue {
		c.recalDue = 0
		c.event(sec, "inline_recalibration", []EventField{str("who", "autopilot"), num("hct", math.Round(c.recalHct*10)/10)},
			"in-line monitor recalibrated to the blood gas: Hct %.1f %%", c.recalHct)
	}
	if !s.OnBypass {
		return
	}
	if iv := cc.ACTInterval.Seconds(); iv > 0 && now-c.lastACT >= iv && c.lastACT >= 0 {
		c.drawACT(sec)
	}
	if iv := cc.BloodGasInterval.Seconds(); iv > 0 && now-m.bypassSince >= 600 && (c.lastGas < m.bypassSince || now-c.lastGas >= iv) {
		c.drawGas(sec, true)
	}
	c.pressure(sec)
	c.goalDirected(sec)
	if cc.ReservoirLowML > 0 && s.Reservoir < cc.ReservoirLowML && now-c.lastFl >= 300 {
		s.VolumeML += 250
		s.Reservoir += 250
		c.lastFl = now
		c.event(sec, "fluid", []EventField{str("who", "autopilot"), str("name", "crystalloid"), num("volume_ml", 250), str("kind", "crystalloid")}, "reservoir %.0f mL: crystalloid 250 mL added", s.Reservoir-250)
	}
}

// bolusDoses are the simulated team's bolus doses into the circuit, as a
// case file records them: a vasoconstrictor for a low MAP, a vasodilator
// for a high one. The infusions are started without a dose.
var bolusDoses = map[string]struct {
	dose float64
	unit string
}{"phenylephrine": {100, "µg"}, "metaraminol": {0.5, "mg"}, "gtn": {50, "µg"}}

// pressure is the team's management of the MAP on full bypass (target
// 50-80 mmHg, 2019 EACTS/EACTA/EBCP guideline): a phenylephrine bolus when
// the MAP has been below 55 for a minute, glyceryl trinitrate when above 75
// for one (nearing either end of the band), no bolus sooner than 5 min
// after the last. Not while an instructor's fault runs. The alarm goes
// first, as in theatre: a MAP low for a minute has raised map_low.
func (c *Case) pressure(sec int64) {
	m, s := c.m, &c.m.s
	now := float64(sec)
	if !s.OnBypass || s.Arrest || s.ACP || m.weanFrom > 0 || m.anyFault() {
		c.mapLowSince, c.mapHighSince = 0, 0 // not while a fault runs: the trainee is to treat it
		return
	}
	since := func(p *float64, cond bool) float64 {
		switch {
		case !cond:
			*p = 0
		case *p == 0:
			*p = now
		}
		if *p == 0 {
			return 0
		}
		return now - *p
	}
	low, high := since(&c.mapLowSince, s.MAP < 55), since(&c.mapHighSince, s.MAP > 75)
	if now-c.lastBolus < 300 {
		return
	}
	switch {
	case low >= 60:
		c.lastBolus = now
		c.apply(sec, Action{Kind: "drug", Drug: "phenylephrine"}, "autopilot: MAP low, ")
	case high >= 60:
		c.lastBolus = now
		c.apply(sec, Action{Kind: "drug", Drug: "gtn"}, "autopilot: MAP high, ")
	}
}

// goalDirected is the team's goal-directed perfusion on full bypass
// (Ranucci 2006; de Somer 2011): when the DO2i/VCO2i ratio has been below
// 5.2 for two minutes, the flow index is raised by 0.1 L/min/m² (0.5 at
// most over the table's), then judged again after two more. Not while an
// instructor's fault runs: the trainee is to find it.
func (c *Case) goalDirected(sec int64) {
	m, s := c.m, &c.m.s
	now := float64(sec)
	if !s.OnBypass {
		m.fiBoost, c.gdpLowSince = 0, 0
		return
	}
	if s.Arrest || s.ACP || m.weanFrom > 0 || m.anyFault() || !(s.VCO2 > 0) {
		c.gdpLowSince = 0
		return
	}
	ratio := s.DO2i / (s.VCO2 / m.bsa)
	switch {
	case ratio >= 5.2:
		c.gdpLowSince = 0
	case c.gdpLowSince == 0:
		c.gdpLowSince = now
	case now-c.gdpLowSince >= 120 && m.fiBoost < 0.5:
		m.fiBoost = math.Min(0.5, m.fiBoost+0.1)
		c.gdpLowSince = now
		c.event(sec, "note", c.by("autopilot: ", str("phase", "false")), "autopilot: DO2i/VCO2i %.1f, flow index raised to %.1f L/min/m²", ratio, s.TargetFI+m.fiBoost)
	}
}

// drawACT samples the ACT now; the result is typed in 150 s later, and a
// top-up given then if it is below target.
func (c *Case) drawACT(sec int64) {
	c.lastACT = float64(sec)
	v := c.m.s.ACT * (1 + 0.04*c.rng.NormFloat64())
	due := sec + 150
	c.results = append(c.results, result{due: due, src: Manual, text: fmt.Sprintf("ACT %.0f s", v),
		samples: []monitor.Sample{{Time: c.at(due), Channel: channel.ACTSeconds, Value: math.Round(v), Quality: channel.OK}}})
}

// drawGas sends an arterial (and venous) sample to the analyser now; the
// result comes 90 s later, measured at 37 °C.
func (c *Case) drawGas(sec int64, venous bool) {
	s := c.m.s
	c.lastGas = float64(sec)
	c.drawEnd = float64(sec) + 20
	due := sec + 90
	t := c.at(due)
	n := func(v, sd float64) float64 { return v + sd*c.rng.NormFloat64() }
	hct := n(s.Hct, 0.5)
	art := []monitor.Sample{
		{Channel: channel.ABGPH, Value: n(s.PH, 0.005)},
		{Channel: channel.ABGPCO2, Value: n(s.PaCO2, 0.8)},
		{Channel: channel.ABGPO2, Value: n(s.PaO2, 3)},
		{Channel: channel.ABGSO2, Value: math.Min(100, n(s.SaO2, 0.2))},
		{Channel: channel.ABGHb, Value: hct * hbPerHct},
		{Channel: channel.ABGHct, Value: hct},
		{Channel: channel.ABGK, Value: n(s.K, 0.05)},
		{Channel: channel.ABGNa, Value: n(s.Na, 0.5)},
		{Channel: channel.ABGICa, Value: n(s.ICa, 0.02)},
		{Channel: channel.ABGGlucose, Value: n(s.Gluc, 0.1)},
		{Channel: channel.ABGLactate, Value: math.Max(0.3, n(s.Lactate, 0.1))},
		{Channel: channel.ABGBE, Value: n(s.BE, 0.3)},
		{Channel: channel.ABGHCO3, Value: n(s.HCO3, 0.3)},
	}
	if venous {
		// On ECMO the venous sample is the circuit's, from the
		// pre-oxygenator port: the drainage blood.
		vph, vpco2, vpo2, vso2 := s.VenPH, s.PvCO2, s.PvO2, s.SvO2
		if c.m.e != nil {
			vph, vpco2, vpo2, vso2 = s.PrePH, s.PrePCO2, s.PrePO2, s.PreSO2
		}
		art = append(art,
			monitor.Sample{Channel: channel.VBGPH, Value: n(vph, 0.005)},
			monitor.Sample{Channel: channel.VBGPCO2, Value: n(vpco2, 0.8)},
			monitor.Sample{Channel: channel.VBGPO2, Value: n(vpo2, 1)},
			monitor.Sample{Channel: channel.VBGSO2, Value: n(vso2, 0.5)},
			monitor.Sample{Channel: channel.VBGHb, Value: hct * hbPerHct},
			monitor.Sample{Channel: channel.VBGHct, Value: hct},
			monitor.Sample{Channel: channel.VBGLactate, Value: math.Max(0.3, n(s.Lactate, 0.1))},
		)
	}
	for i := range art {
		art[i].Time, art[i].Quality = t, channel.OK
	}
	c.results = append(c.results, result{due: due, src: Analyser, samples: art, text: gasText(venous)})
}

// artefacts starts the occasional sensor artefact: an arterial-line flush
// (about every 90 min, 8 s reading 300 mmHg) and diathermy on the NIRS
// (about every 20 min on bypass, 20 s of questionable values).
func (c *Case) artefacts(now float64) {
	if c.rng.Float64() < 1.0/5400 {
		c.flushEnd = now + 8
	}
	if c.m.s.OnBypass && c.rng.Float64() < 1.0/1200 {
		c.diaEnd = now + 20
	}
}

// report emits the samples due at second sec.
func (c *Case) report(sec int64, emit func(Source, monitor.Sample)) {
	s := &c.m.s
	now := float64(sec)
	ts := c.at(sec)
	n := func(sd float64) float64 { return sd * c.rng.NormFloat64() }
	put := func(src Source, ch channel.ID, v float64) {
		q := channel.OK
		if math.IsNaN(v) {
			q = channel.Unavailable
		}
		emit(src, monitor.Sample{Time: ts, Channel: ch, Value: v, Quality: q})
	}
	if len(c.results) > 0 {
		keep := c.results[:0]
		for _, r := range c.results {
			if r.due > sec {
				keep = append(keep, r)
				continue
			}
			if r.src == Analyser {
				c.event(sec, "blood_gas", nil, "%s", r.text)
				// The team recalibrates the in-line monitor to the
				// laboratory's Hct two minutes after each result.
				for _, smp := range r.samples {
					if smp.Channel == channel.ABGHct {
						c.recalDue, c.recalHct = sec+120, smp.Value
					}
				}
			}
			if r.src == Manual {
				c.event(sec, "act", []EventField{num("seconds", r.samples[0].Value)}, "%s", r.text)
			}
			for _, smp := range r.samples {
				emit(r.src, smp)
			}
			if r.src == Manual && c.m.e != nil && s.OnECMO {
				c.titrateHeparin(sec, r.samples[0].Value)
			}
			if r.src == Manual && r.samples[0].Value < c.m.c.ACTTarget && s.OnBypass && c.m.c.HeparinTopUpIU > 0 {
				c.apply(sec, Action{Kind: "heparin", DoseIU: c.m.c.HeparinTopUpIU}, "autopilot: ACT below target, ")
			}
		}
		c.results = keep
	}
	// Pump, 1 Hz.
	flow := math.Max(0, s.FlowLpm+n(0.01)*boolf(s.FlowLpm > 0))
	put(Pump, channel.PumpFlow, flow)
	put(Pump, channel.PumpSpeed, math.Max(0, s.PumpSpeed+n(4)*boolf(s.PumpSpeed > 0)))
	put(Pump, channel.PumpLinePressure, s.LinePressure+n(2)*boolf(s.FlowLpm > 0))
	// The oxygenator's transducers: their noise comes from a stream of
	// their own, so that adding them left every other value of a seed as
	// it was.
	on := boolf(s.FlowLpm > 0)
	put(Pump, channel.PumpPreOxyPressure, s.PreOxy+2*c.orng.NormFloat64()*on)
	put(Pump, channel.PumpPostOxyPressure, s.LinePressure+2*c.orng.NormFloat64()*on)
	ecmo := c.m.e != nil
	if ecmo {
		// An ECMO circuit's drainage line has a transducer; it has no
		// cardioplegia line and no reservoir.
		put(Pump, channel.PumpInletPressure, s.InletPressure+2*c.m.e.rng.NormFloat64()*on)
	} else {
		put(Pump, channel.PumpCardioplegiaPressure, math.Max(0, s.CPPressure+n(4)*boolf(s.CPPressure > 0)))
	}
	put(Pump, channel.TempArterialOutlet, s.TOutlet+n(0.03))
	put(Pump, channel.TempVenousInlet, s.TVenous+n(0.03))
	put(Pump, channel.GasSweep, s.Sweep)
	put(Pump, channel.GasFiO2, s.FiO2)
	put(Pump, channel.GasExhaustCO2, math.Max(0, s.ExhaustCO2+n(0.3)))
	if !ecmo {
		put(Pump, channel.ReservoirLevel, math.Max(0, s.Reservoir+n(8)))
	}
	// Patient monitor, 1 Hz; the arterial line shows the flush and blood
	// sampling artefacts.
	mp, sys, dia := s.MAP+n(1), s.Sys+n(1), s.Dia+n(1)
	switch {
	case now < c.flushEnd:
		mp, sys, dia = 300, 302, 298
	case now < c.drawEnd:
		mp, sys, dia = mp*0.3, mp*0.3+1, mp*0.3-1
	}
	put(Monitor, channel.PatientMAP, mp)
	put(Monitor, channel.PatientSys, sys)
	put(Monitor, channel.PatientDia, dia)
	put(Monitor, channel.PatientCVP, s.CVP+n(0.4))
	put(Monitor, channel.PatientHR, math.Max(0, math.Round(s.HR+n(1.5)*boolf(s.HR > 0))))
	put(Monitor, channel.TempNasopharyngeal, s.TNaso+n(0.03))
	put(Monitor, channel.TempBladder, s.TBladder+n(0.03))
	// Pulse oximeter, 1 Hz.
	put(Oximeter, channel.PatientSpO2, math.Min(100, math.Round(s.SpO2+n(0.5))))
	put(Oximeter, channel.PatientPI, math.Max(0.02, s.PI+n(0.05)))
	// In-line monitor, every 6 s while the circuit runs, unless its cable is out.
	if sec%6 == 0 && (s.OnBypass || s.OnECMO) && !c.m.faults[CableUnplugged] {
		// Its arterial cell sits on the return line after the oxygenator,
		// its venous cell on the drainage line: on bypass the patient's
		// arterial and mixed venous blood, on ECMO the circuit's
		// post- and pre-oxygenator blood.
		aph, apco2, apo2, aso2 := s.PH, s.PaCO2, s.PaO2, s.SaO2
		vph, vpco2, vpo2, vso2 := s.VenPH, s.PvCO2, s.PvO2, s.SvO2
		if ecmo {
			aph, apco2, apo2, aso2 = s.PostPH, s.PostPCO2, s.PostPO2, s.PostSO2
			vph, vpco2, vpo2, vso2 = s.PrePH, s.PrePCO2, s.PrePO2, s.PreSO2
		}
		hct := s.Hct + n(0.15)
		put(Inline, channel.InlineArtPH, aph+n(0.005))
		put(Inline, channel.InlineArtPCO2, apco2+n(0.7))
		put(Inline, channel.InlineArtPO2, apo2+n(3))
		put(Inline, channel.InlineArtSO2, math.Min(100, aso2+n(0.2)))
		put(Inline, channel.InlineArtHCO3, s.HCO3+n(0.2))
		put(Inline, channel.InlineArtBE, s.BE+n(0.2))
		put(Inline, channel.InlineK, s.K+n(0.04))
		put(Inline, channel.InlineVenPH, vph+n(0.005))
		put(Inline, channel.InlineVenPCO2, vpco2+n(0.7))
		put(Inline, channel.InlineVenPO2, vpo2+n(0.7))
		put(Inline, channel.InlineVenSO2, math.Min(100, vso2+n(0.4)))
		put(Inline, channel.InlineHct, hct)
		put(Inline, channel.InlineHb, hct*hbPerHct)
		put(Inline, channel.InlineArtTemp, s.TOutlet+n(0.05))
		put(Inline, channel.InlineVenTemp, s.TVenous+n(0.05))
	}
	// Cerebral oximeter, every 5 s.
	if sec%5 == 0 {
		q := channel.OK
		l, r := s.NIRSLeft+n(0.8), s.NIRSRight+n(0.8)
		if now < c.diaEnd {
			q = channel.Questionable
			l, r = l+n(8), r+n(8)
		}
		l, r = clamp(math.Round(l), 15, 95), clamp(math.Round(r), 15, 95)
		if c.m.faults[SensorDisconnect] {
			emit(NIRS, monitor.Sample{Time: ts, Channel: channel.NIRSLeft, Value: math.NaN(), Quality: channel.Unavailable})
		} else {
			emit(NIRS, monitor.Sample{Time: ts, Channel: channel.NIRSLeft, Value: l, Quality: q})
		}
		emit(NIRS, monitor.Sample{Time: ts, Channel: channel.NIRSRight, Value: r, Quality: q})
	}
	// Urine, charted every 15 min.
	if sec%900 == 0 {
		put(Manual, channel.UrineVolume, math.Round(s.Urine))
	}
}

func gasText(venous bool) string {
	if venous {
		return "blood gas result: arterial and venous samples"
	}
	return "blood gas result: arterial sample"
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

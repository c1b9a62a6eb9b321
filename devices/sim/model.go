package sim

import (
	"math"
	"math/rand/v2"

	"github.com/pumpside/pumpside/monitor/physio"
)

// State is the simulated patient and circuit at one instant, before any
// device noise: the model's own truth, in the units of the channel
// vocabulary. Tests compare what the devices report, and what the pipeline
// derives from it, with these values.
type State struct {
	Elapsed float64 // s since the case start

	OnBypass, Clamp, Arrest, ACP bool

	BSA           float64 // m² (DuBois)
	FlowLpm       float64 // arterial pump flow
	FlowIndex     float64 // L/min/m²
	TargetFI      float64 // L/min/m², by the flow-index table at the blood temperature
	MAP, Sys, Dia float64 // mmHg
	CVP, HR       float64
	SVR           float64 // dyn·s·cm⁻⁵, the model's vascular resistance
	LinePressure  float64 // mmHg, post-oxygenator
	PreOxy        float64 // mmHg, pre-oxygenator blood pressure
	OxyDP         float64 // mmHg, pressure drop across the oxygenator (PreOxy − LinePressure)
	CPPressure    float64 // cardioplegia line, mmHg
	PumpSpeed     float64 // rpm

	TOutlet, TVenous, TNaso, TBladder float64 // °C
	TCore, TPeriph                    float64 // °C, model compartments

	Sweep, FiO2, ExhaustCO2 float64 // L/min, %, mmHg

	Hct, Hb             float64 // %, g/dL
	VolumeML            float64 // circulating volume, patient + circuit
	PaO2, SaO2, PaCO2   float64
	PvO2, SvO2, PvCO2   float64
	PH, HCO3, BE        float64
	VenPH, VenHCO3      float64
	K, Na, ICa, Gluc    float64 // mmol/L
	Lactate             float64 // mmol/L
	CaO2, CvO2          float64 // mL/dL
	DO2, DO2i           float64 // mL/min, mL/min/m²
	VO2, VO2i, VO2Need  float64 // consumed, indexed, demand (mL/min)
	VCO2, RQ            float64
	ACT                 float64 // s, what a check now would read
	HeparinIUPerKg      float64
	NIRSLeft, NIRSRight float64 // %
	SpO2, PI            float64 // %; SpO2 NaN when the oximeter finds no pulse
	Reservoir           float64 // mL
	Urine               float64 // mL, cumulative

	// ECMO scenarios only (zero in a bypass case): the circuit runs, the
	// drainage line's suction, the fraction of the return recirculated,
	// the return (post-oxygenator) and drainage (pre-oxygenator) blood —
	// in ECMO not the patient's arterial and mixed venous blood — and the
	// heparin infusion.
	OnECMO                             bool
	InletPressure                      float64 // mmHg, negative
	Recirculation                      float64 // 0–1
	PostPO2, PostSO2, PostPCO2, PostPH float64
	PrePO2, PreSO2, PrePCO2, PrePH     float64
	HeparinRate                        float64 // IU/kg/h
}

// model is the physiology. It steps in 1-s increments of simulated time and
// owns no goroutines; Case drives it.
type model struct {
	sc   *Scenario
	p    Patient
	c    Circuit
	k    physio.Constants
	rng  *rand.Rand
	bsa  float64
	bv   float64 // patient blood volume, mL
	full float64 // full flow at 37 °C, L/min (for scaling)

	s State

	rcv         float64 // red-cell volume, mL
	ventilated  bool    // lungs ventilated (off bypass)
	bypassSince float64 // s; when bypass started
	flowCmd     float64 // what the perfusionist sets, L/min
	fiOverride  float64 // flow-index override, 0 = table
	fiBoost     float64 // L/min/m² the team adds to the table's flow index (goal-directed perfusion)
	weanFrom    float64 // s; 0 = not weaning
	weanOver    float64 // s
	eject       float64 // heart's share of the circulation, 0–1
	acpFlow     float64 // mL/kg/min while ACP
	tSet, tRate float64 // heater-cooler target outlet temperature, °C/min
	oxyEff      float64 // oxygenator efficiency, 0–1
	clot        float64 // oxygenator thrombosis, 0–1 (the oxygenator-failure fault)
	co2Oxy      float64 // mmHg PaCO2 has risen with a failing oxygenator
	nextSweep   float64 // s; next sweep adjustment
	svrWalk     float64 // log-SVR random walk (OU)
	bolus       float64 // vasoconstrictor bolus effect, fraction
	dilator     float64 // vasodilator effect, fraction (negative)
	infusion    float64 // target effect of running infusions
	infusionNow float64
	vasoNow     float64 // vasoplegia multiplier in effect (1 = none)
	hepSens     float64 // ACT s per IU/kg
	protamineAt float64 // s; 0 = none
	cpLeft      float64 // s of cardioplegia delivery left
	cpCrystRate float64 // crystalloid mL/s while delivering
	ufLeft      float64 // mL still to remove
	ufRate      float64 // mL/s
	faults      [numFaults]bool
	nirsL       float64    // cerebral rSO2 state, left hemisphere
	nirsR       float64    // and right: each side has its own perfusion
	pooled      float64    // mL of blood held back in the patient by impaired venous drainage (raises CVP)
	co2Acc      float64    // mmHg PaCO2 has risen with no sweep gas
	protamine   float64    // severity of a protamine reaction, 0–1
	dissect     float64    // severity of an aortic dissection, 0–1
	kExtra      float64    // K+ above baseline, mmol/L
	do2iTotal   float64    // pump + heart, mL/min/m²
	e           *ecmoState // an ECMO scenario's circuit; nil in a bypass case
}

const (
	dt           = 1.0   // s, the model step
	roomPaO2     = 190.0 // mmHg, ventilated lungs before and after bypass (FiO2 about 0.5)
	normalOxyEff = 0.6   // fraction of the ideal alveolar PO2 an intact oxygenator delivers
	rqNormal     = 0.8
	hbPerHct     = 1 / 3.0 // g/dL per % (MCHC about 33 g/dL)
	// oxyR is a healthy adult oxygenator's pressure drop per L/min of
	// blood flow, mmHg/(L/min): 50 mmHg at 5 L/min, the order of the
	// adult hollow-fibre oxygenators' pressure-drop curves in their
	// instructions for use (a few tens of mmHg at 4-6 L/min; about
	// linear in flow). docs/simulator.md.
	oxyR = 10.0
	// clotGain is how many times the healthy pressure drop a fully
	// clotted oxygenator adds (the oxygenator-failure fault triples it).
	clotGain = 2.0
	// clotTau is the time constant of the clot's growth, s.
	clotTau = 240.0
	// co2Loss is the fraction of CO2 removal a fully failed oxygenator
	// loses (fibres clotted or wetted: gas without blood, dead space).
	co2Loss = 0.6
	actBase = 125.0 // s, ACT without heparin
)

func newModel(sc *Scenario, rng *rand.Rand) *model {
	m := &model{sc: sc, p: sc.Patient, c: sc.Circuit, k: physio.DefaultConstants(), rng: rng}
	// The exhaust carries the model's VCO2 at STPD as the console reads it
	// by default (a 21 °C theatre at 760 mmHg, a dry capnometer reading):
	// the console's VCO2 is then the model's.
	m.k.VCO2Factor = physio.VCO2FactorSTPD(760, 21, false)
	m.bsa = physio.BSADuBois(m.p.HeightCm, m.p.WeightKg)
	m.bv = physio.BloodVolume(m.p.WeightKg, m.k.BloodVolumeMLPerKg)
	m.full = physio.TargetFlowIndex(37, m.k.FlowIndexTable) * m.bsa
	m.rcv = m.bv * m.p.HctPrePct / 100
	m.s.VolumeML = m.bv + m.c.PrebypassFluidsML // the anaesthetist's fluids are in before we start
	m.ventilated = true
	m.eject = 1
	m.s.TCore, m.s.TPeriph, m.s.TOutlet = 36.4, 35.6, 35.0 // anaesthetised patient; prime warmed a little
	m.tSet, m.tRate = 35.5, 0.5
	m.oxyEff = normalOxyEff
	m.s.FiO2 = 21
	m.hepSens = 1.3
	m.vasoNow = 1
	m.s.Lactate, m.s.Gluc, m.s.Na, m.s.ICa = 0.9, 6.0, 139, 1.18
	m.s.SvO2, m.s.PvO2 = 72, 38
	m.nirsL, m.nirsR = 66, 66
	m.s.Reservoir = math.Max(0, m.c.PrimeML-500) // the rest of the prime fills the oxygenator and lines
	m.s.BSA = m.bsa
	m.derive()
	return m
}

// tempFactor is the Q10 factor of metabolism at body temperature t.
// VO2(T) = VO2(37) × Q10^((T − 37)/10) (van 't Hoff; Q10 2–3 on bypass).
func (m *model) tempFactor(t float64) float64 { return math.Pow(m.p.Q10, (t-37)/10) }

// step advances the physiology by dt seconds to time now (s since start).
func (m *model) step(now float64) {
	if m.e != nil {
		m.stepECMO(now)
		return
	}
	s := &m.s
	s.Elapsed = now
	m.stepFlow(now)
	m.stepVolume()
	m.stepTemperature()
	m.stepGas(now)
	m.stepPressure(now)
	m.stepChemistry()
	m.derive()
}

func (m *model) stepFlow(now float64) {
	s := &m.s
	s.TargetFI = physio.TargetFlowIndex(s.TVenous, m.k.FlowIndexTable)
	cmd := 0.0
	switch {
	case !s.OnBypass:
	case s.Arrest && s.ACP:
		cmd = m.acpFlow * m.p.WeightKg / 1000
	case s.Arrest:
	default:
		fi := s.TargetFI + m.fiBoost
		if m.fiOverride > 0 {
			fi = m.fiOverride
		}
		cmd = fi * m.bsa
		if m.weanFrom > 0 {
			x := math.Min(1, (now-m.weanFrom)/m.weanOver)
			cmd *= 1 - 0.8*x
		}
		if m.faults[Hypoperfusion] {
			cmd *= 0.55
		}
		// A falling reservoir forces the perfusionist to turn the flow down;
		// with no drainage at all (an air lock) to what the reservoir holds.
		if s.Reservoir < 300 {
			floor := 0.3
			if m.faults[VenousAirLock] {
				floor = 0.1
			}
			cmd *= math.Max(floor, s.Reservoir/300)
		}
	}
	m.flowCmd = cmd
	s.FlowLpm += (cmd - s.FlowLpm) * (1 - math.Exp(-dt/8)) // the pump follows its knob in ~8 s
	if s.FlowLpm < 0.01 && cmd == 0 {
		s.FlowLpm = 0
	}
	// The heart's share: all of it off bypass, none on full bypass, the
	// difference while weaning; none with the heart arrested.
	switch {
	case !s.OnBypass:
		m.eject += (1 - m.eject) * dt / 60
	case s.Clamp || s.Arrest:
		m.eject = 0
	case m.weanFrom > 0:
		m.eject = math.Max(0, 1-s.FlowLpm/m.full)
	default:
		m.eject += (0 - m.eject) * dt / 60
	}
}

func (m *model) stepVolume() {
	s := &m.s
	// Urine: about 1.5 mL/kg/h at MAP ≥ 70, none below MAP 40; less when cold.
	rate := 1.5 * m.p.WeightKg / 3600 * clamp((s.MAP-40)/30, 0, 1.2) * clamp(m.tempFactor(s.TCore), 0.4, 1) * (1 - m.dissect)
	s.Urine += rate * dt
	s.VolumeML -= rate * dt
	if !s.OnBypass {
		return
	}
	res := -rate * dt
	res -= 1.5 / 60 * dt // capillary leak to the tissues, mL/s
	s.VolumeML -= 1.5 / 60 * dt
	if m.cpLeft > 0 {
		m.cpLeft -= dt
		res += m.cpCrystRate * dt // returns through the coronary sinus
		s.VolumeML += m.cpCrystRate * dt
	}
	if m.ufLeft > 0 {
		v := math.Min(m.ufLeft, m.ufRate*dt)
		m.ufLeft -= v
		res -= v
		s.VolumeML -= v
	}
	// Impaired drainage holds blood back in the patient's veins: the
	// reservoir loses it and the CVP rises (stepPressure); when drainage
	// returns, the pooled blood comes back over a few minutes.
	pool := 0.0
	switch {
	case m.faults[VenousAirLock]:
		pool = s.FlowLpm * 1000 / 60 * dt // nothing drains: all the arterial flow stays in the patient
	case m.faults[LowReservoir]:
		pool = 80.0 / 60 * dt
	default:
		pool = -math.Min(m.pooled, 300.0/60*dt)
	}
	if res+s.Reservoir-pool < 30 && pool > 0 {
		pool = math.Max(0, res+s.Reservoir-30)
	}
	m.pooled += pool
	res -= pool
	s.Reservoir = math.Max(30, s.Reservoir+res)
}

func (m *model) stepTemperature() {
	s := &m.s
	if s.OnBypass && !s.Arrest || s.ACP {
		// Heater-cooler: the outlet moves toward its target, no faster than
		// the set rate (the perfusionist's ramp).
		// The perfusionist keeps the outlet-venous gradient within the
		// 2015 STS/SCA/AmSECT guideline: no more than 10 °C colder on
		// cooling or rewarming, no more than 4 °C warmer once the outlet
		// is 30 °C (here with half a degree to spare). The too-fast
		// rewarming fault is the heater-cooler set wrong: no such care.
		tgt := m.tSet
		if !m.faults[RewarmTooFast] {
			switch {
			case tgt > s.TVenous:
				// The outlet waits just below 30 °C until the venous blood
				// is within 4 °C of it.
				tgt = math.Min(tgt, math.Min(s.TVenous+9.5, math.Max(s.TVenous+3.5, 29.9)))
			case tgt < s.TVenous:
				tgt = math.Max(tgt, s.TVenous-9.5)
			}
		}
		s.TOutlet += clamp((tgt-s.TOutlet)/60*dt, -m.tRate/60*dt, m.tRate/60*dt)
	} else if !s.OnBypass {
		s.TOutlet += (s.TCore - 1 - s.TOutlet) * dt / 900 // stagnant circuit drifts
	}
	// Core exchanges heat with the arterial blood at a rate set by the flow
	// (time constant ~10 min at full flow), periphery with the core (~40 min).
	f := s.FlowLpm / m.full
	if s.Arrest && !s.ACP {
		f = 0
	}
	s.TCore += (s.TOutlet - s.TCore) * f * dt / 600
	s.TPeriph += (s.TCore - s.TPeriph) * math.Max(0.15, f) * dt / 2400
	if !s.OnBypass {
		s.TCore += (s.TPeriph - s.TCore) * dt / 3600 // after-drop
	}
	s.TVenous = 0.75*s.TCore + 0.25*s.TPeriph
	s.TNaso = s.TCore + 0.3*(s.TOutlet-s.TCore)*math.Min(1, f)
	s.TBladder = 0.4*s.TCore + 0.6*s.TPeriph
}

func (m *model) stepGas(now float64) {
	s := &m.s
	switch {
	case m.faults[GasSupplyFailure] && s.OnBypass:
		// No fresh gas: the gas phase equilibrates with the blood in a
		// minute or so; CO2 is no longer removed and accumulates (about
		// 4 mmHg/min at 37 °C, less when cold).
		s.Sweep = 0
		m.oxyEff += (0.02 - m.oxyEff) * dt / 45
		m.co2Acc = math.Min(80, m.co2Acc+4*m.tempFactor(s.TCore)*dt/60)
		return
	case m.faults[OxygenatorFailure]:
		m.oxyEff += (0.09 - m.oxyEff) * dt / 180
	default:
		m.oxyEff += (normalOxyEff - m.oxyEff) * dt / 60
	}
	// The clot grows while the oxygenator fails (and dissolves from the
	// model when it is changed: the fault cleared). The CO2 it no longer
	// removes accumulates as with no sweep, in proportion.
	m.clot = ramp(m.clot, m.faults[OxygenatorFailure], clotTau)
	if m.clot > 0.01 && s.OnBypass {
		m.co2Oxy = math.Min(40, m.co2Oxy+4*co2Loss*m.clot*m.tempFactor(s.TCore)*dt/60)
	} else {
		m.co2Oxy = math.Max(0, m.co2Oxy-10*dt/60)
	}
	m.co2Acc = math.Max(0, m.co2Acc-10*dt/60) // washed out once the gas is back
	// Sweep: the perfusionist titrates it every 5 min for a PaCO2 of 40
	// mmHg (exhaust pCO2 about 0.85 × PaCO2), in 0.1 L/min steps.
	if s.OnBypass && s.FlowLpm > 0.3 && (now >= m.nextSweep || s.Sweep == 0) {
		want := s.VCO2 / (m.k.VCO2Factor * 0.85 * 40)
		s.Sweep = clamp(math.Round(want*10)/10, 0.5, 10)
		m.nextSweep = now + 300
	}
}

func (m *model) stepPressure(now float64) {
	s := &m.s
	// Vasomotor tone: an Ornstein–Uhlenbeck walk of log SVR (SD about 8 %,
	// correlation time 15 min), plus drugs and vasoplegia.
	const tau = 900.0
	m.svrWalk += -m.svrWalk*dt/tau + 0.08*math.Sqrt(2*dt/tau)*m.rng.NormFloat64()
	m.bolus *= math.Exp(-dt * math.Ln2 / 300)
	m.dilator *= math.Exp(-dt * math.Ln2 / 480)
	m.infusionNow += (m.infusion - m.infusionNow) * dt / 180
	vaso := 1.0
	if m.faults[Vasoplegia] {
		vaso = 0.5
	}
	m.vasoNow += (vaso - m.vasoNow) * dt / 300
	// A protamine reaction and a dissection set in over a minute or two.
	m.protamine = ramp(m.protamine, m.faults[ProtamineReaction], 90)
	m.dissect = ramp(m.dissect, m.faults[AorticDissection] && s.OnBypass, 60)
	onset := 1.0
	if s.OnBypass {
		// The fall of MAP when bypass starts: haemodilution lowers viscosity
		// and the prime dilutes catecholamines; it recovers over ~8 min.
		onset = 1 - 0.35*math.Exp(-(now-m.bypassSince)/480)
	}
	cold := 1 + 0.03*math.Max(0, 37-s.TCore) // hypothermic vasoconstriction and viscosity
	s.SVR = m.p.SVR * onset * cold * math.Exp(m.svrWalk) * (1 + m.bolus + m.dilator + m.infusionNow) * m.vasoNow
	// Protamine: the anaphylactoid fall of SVR (to 40 %) and the pulmonary
	// vasoconstriction that fails the right ventricle (its output halves,
	// the CVP rises ~10 mmHg).
	s.SVR *= 1 - 0.6*m.protamine
	// Blood held back by impaired drainage raises the CVP: about 1 mmHg per
	// 60 mL in the great veins, up to +20.
	s.CVP = 2 + 6*m.eject + math.Min(20, m.pooled/60) + 10*m.protamine
	native := 2.6 * m.bsa * m.eject * (1 - 0.5*m.protamine) // the heart's own output, L/min
	total := s.FlowLpm + native
	switch {
	case s.Arrest && s.ACP:
		s.MAP = 45 + 10*(m.acpFlow-10)/10 // right radial during selective ACP
	case s.Arrest:
		s.MAP = 4
	default:
		// MAP = flow × SVR + CVP (the definition of SVR, perfusion.md §2).
		s.MAP = total*s.SVR/m.k.SVRFactor + s.CVP
		// A dissection at the cannula sends the pump flow into the false
		// lumen: the radial artery (true lumen) loses half its pressure.
		s.MAP -= 0.5 * m.dissect * (s.MAP - s.CVP)
	}
	pp := 6 + 40*m.eject // pulse pressure: non-pulsatile pump flow, pulsatile heart
	s.Sys, s.Dia = s.MAP+pp*2/3, s.MAP-pp/3
	switch {
	case s.Clamp || s.Arrest:
		s.HR = 0
	case s.OnBypass:
		s.HR = 78
	default:
		s.HR = 72 + 12*math.Min(1, now/3600)*boolf(m.bypassSince > 0)
	}
	s.LinePressure, s.PreOxy, s.OxyDP = 0, 0, 0
	s.PumpSpeed = 0
	if s.FlowLpm > 0 {
		// The line pressure is measured after the oxygenator: arterial
		// filter, line and cannula, about 8 mmHg per (L/min)²; a
		// dissection at the cannula adds the false lumen's resistance.
		s.LinePressure = s.MAP + 8*s.FlowLpm*s.FlowLpm + 180*m.dissect
		// The oxygenator before it: oxyR per L/min, more as clot grows.
		s.OxyDP = oxyR * s.FlowLpm * (1 + clotGain*m.clot)
		s.PreOxy = s.LinePressure + s.OxyDP
		s.PumpSpeed = 1100 + 380*s.FlowLpm // a centrifugal head
	}
	s.CPPressure = 0
	if m.cpLeft > 0 {
		s.CPPressure = 170
	}
}

func (m *model) stepChemistry() {
	s := &m.s
	tf := m.tempFactor(s.TCore)
	// Lactate rises while DO2i stays below the critical level (272 at
	// 37 °C, Ranucci 2005; scaled with demand by the Q10 factor), and is
	// cleared with a time constant of about 90 min.
	crit := 272 * tf
	def := 0.0
	if crit > 0 {
		def = math.Max(0, crit-m.do2iTotal) / crit
	}
	s.Lactate += (0.25*def*math.Max(tf, 0.3) - (s.Lactate-0.9)/5400*60) * dt / 60
	s.Lactate = math.Max(0.5, s.Lactate)
	// Heparin: elimination half-life ~90 min at 37 °C, slower when cold.
	half := 5400 * math.Pow(2, (37-s.TCore)/10)
	s.HeparinIUPerKg *= math.Exp(-dt * math.Ln2 / half)
	sens := m.hepSens
	if m.faults[InadequateHeparin] {
		sens *= 0.5
	}
	s.ACT = actBase + sens*s.HeparinIUPerKg*(1+0.02*math.Max(0, 37-s.TCore))
	if m.protamineAt > 0 {
		s.ACT = actBase + 10
	}
	m.kExtra *= math.Exp(-dt / 2400)
	s.K = 4.2 + m.kExtra
	if s.OnBypass {
		s.Gluc += (9 - s.Gluc) * dt / 3600 // stress and hypothermia raise glucose
	}
	// NIRS: cerebral venous saturation from the cerebral O2 extraction
	// (35 % at normal CaO2 and 37 °C), scaled by demand and perfusion;
	// rSO2 = 25 % arterial + 75 % venous (the usual weighting).
	perf := 1.0
	switch {
	case s.Arrest && s.ACP:
		perf = m.acpFlow / 10
	case s.Arrest:
		perf = 0
	case s.MAP < 50:
		perf = math.Max(0.05, s.MAP/50)
	}
	// Each hemisphere has its own perfusion: an obstructed innominate
	// artery (or a dissection running into it, or an incomplete circle of
	// Willis under unilateral ACP) starves the right.
	right := perf
	if m.faults[UnilateralDesaturation] {
		right *= 0.4
	}
	right *= 1 - 0.6*m.dissect
	m.nirsL = m.stepNIRS(m.nirsL, perf, tf)
	m.nirsR = m.stepNIRS(m.nirsR, right, tf)
	s.NIRSLeft, s.NIRSRight = m.nirsL+1, m.nirsR-1.5
}

// stepNIRS moves one hemisphere's rSO2 toward the value its perfusion perf
// (1 = normal) gives at temperature factor tf.
func (m *model) stepNIRS(nirs, perf, tf float64) float64 {
	s := &m.s
	target := 20.0
	tau := 300 / math.Max(tf, 0.05)
	if perf > 0 && s.CaO2 > 0 {
		// Cerebral blood flow falls with temperature too (alpha-stat), so
		// extraction falls with about the square root of the Q10 factor.
		ext := 35 * math.Sqrt(tf) * (17.4 / s.CaO2) / perf
		target = 0.25*s.SaO2 + 0.75*math.Max(15, s.SaO2-ext)
		tau = 20
	}
	return nirs + (target-nirs)*(1-math.Exp(-dt/tau))
}

// ramp moves a fault's severity toward 1 while it is on (over about tau
// seconds) and back to 0 when it is cleared.
func ramp(sev float64, on bool, tau float64) float64 {
	if on {
		return sev + (1-sev)*(1-math.Exp(-dt/tau))
	}
	return sev * math.Exp(-dt/tau)
}

// derive computes the dependent values from the state variables.
func (m *model) derive() {
	s := &m.s
	k := m.k
	s.BSA = m.bsa
	s.Hct = 100 * m.rcv / s.VolumeML
	s.Hb = s.Hct * hbPerHct
	s.FlowIndex = physio.FlowIndex(s.FlowLpm, m.bsa)
	// Arterial oxygen: ventilated lungs off bypass; the oxygenator on
	// bypass: PaO2 = efficiency × alveolar-gas PO2 (FiO2 × (760 − 47) −
	// PaCO2 / 0.8).
	if s.OnBypass {
		pa := s.FiO2/100*(760-47) - s.PaCO2/0.8
		s.PaO2 = math.Max(25, m.oxyEff*pa)
	} else {
		// Protamine's pulmonary vasoconstriction shunts: PaO2 falls.
		s.PaO2 = roomPaO2 * (1 - 0.7*m.protamine)
	}
	s.SaO2 = severinghaus(s.PaO2)
	s.CaO2 = physio.O2Content(s.Hb, s.SaO2, s.PaO2, k.Hufner, k.O2Solubility)
	// Oxygen consumption: demand by temperature (Q10), limited by supply
	// (extraction cannot exceed ~60 %).
	s.VO2Need = m.p.VO2i37 * m.bsa * m.tempFactor(s.TCore)
	// DO2 and DO2i are the pump's delivery, as a GDP monitor computes them;
	// the body also gets what the heart ejects (off bypass, weaning).
	total := s.FlowLpm + 2.6*m.bsa*m.eject
	s.DO2 = physio.DO2(s.FlowLpm, s.CaO2)
	s.DO2i = physio.DO2i(s.FlowIndex, s.CaO2)
	// A dissection's false lumen takes the flow the organs should get.
	m.do2iTotal = physio.Index(physio.DO2(total, s.CaO2), m.bsa) * (1 - 0.6*m.dissect)
	s.VO2 = math.Min(s.VO2Need, 0.6*physio.DO2(total, s.CaO2)*(1-0.6*m.dissect))
	if s.Arrest {
		// Circulatory arrest: selective cerebral perfusion (if any) reaches
		// only the brain, about a fifth of the demand; the body is ischaemic.
		m.do2iTotal = 0
		s.VO2 = math.Min(0.2*s.VO2Need, 0.6*physio.DO2(total, s.CaO2))
	}
	s.VO2i = physio.Index(s.VO2, m.bsa)
	// Fick: CvO2 = CaO2 − VO2 / (Q × 10); SvO2 from CvO2 with PvO2 from the
	// dissociation curve, iterated (the dissolved term is small).
	if total > 0.05 {
		s.CvO2 = s.CaO2 - s.VO2/(total*10)
		sat := s.SvO2
		for range 4 {
			pv := invSeveringhaus(sat)
			sat = clamp((s.CvO2-k.O2Solubility*pv)/(k.Hufner*s.Hb)*100, 1, 100)
			s.PvO2 = pv
		}
		s.SvO2 = sat
		s.PvO2 = invSeveringhaus(sat)
	} // with no flow the venous line holds its stagnant blood
	// CO2: VCO2 = RQ × VO2, RQ rising above 0.8 under anaerobic metabolism
	// (Ranucci 2006). The exhaust pCO2 is what carries it out of the
	// oxygenator: VCO2 = sweep × pCO2 × k_co2.
	crit := 272 * m.tempFactor(s.TCore)
	s.RQ = rqNormal + 0.25*clamp((crit-m.do2iTotal)/crit, 0, 1)
	s.VCO2 = s.RQ * s.VO2
	if s.OnBypass && s.Sweep > 0 {
		// A clotting oxygenator removes less CO2 (co2Loss at most): the
		// exhaust carries less, the rest accumulates in the blood.
		ideal := s.VCO2 / (s.Sweep * k.VCO2Factor)
		s.ExhaustCO2 = ideal * (1 - co2Loss*m.clot)
		s.PaCO2 = clamp(ideal/0.85+m.co2Oxy, 15, 120)
		if s.Arrest {
			s.PaCO2 = 38 // little blood meets the gas: the exhaust no longer reflects the blood
		}
	} else if m.faults[GasSupplyFailure] && s.OnBypass {
		// No sweep: CO2 accumulates; the stagnant exhaust gas holds about
		// what the blood does.
		s.PaCO2 = clamp(40+m.co2Acc, 15, 120)
		s.ExhaustCO2 = 0.85 * s.PaCO2
	} else {
		s.ExhaustCO2 = math.NaN()
		s.PaCO2 = 40
	}
	if total > 0.05 {
		s.PvCO2 = s.PaCO2 + math.Min(30, s.VCO2/(total*10)/0.5)
	}
	// Acid–base: bicarbonate falls one for one with lactate; pH from
	// Henderson–Hasselbalch as in physio.HCO3 (CLSI C46).
	s.HCO3 = 24.5 - (s.Lactate - 0.9)
	s.PH = 6.105 + math.Log10(s.HCO3/(0.0307*s.PaCO2))
	s.BE = physio.BaseExcess(s.PH, s.HCO3, s.Hb)
	s.VenHCO3 = s.HCO3 + 1
	s.VenPH = 6.105 + math.Log10(s.VenHCO3/(0.0307*s.PvCO2))
	// Dilution lowers Na and ionised calcium a little.
	dil := m.bv / s.VolumeML
	s.Na = 132 + 7*dil
	s.ICa = 0.9 + 0.28*dil
	// The pulse oximeter needs a pulse.
	if m.eject > 0.2 && s.HR > 0 {
		s.SpO2 = math.Min(100, s.SaO2-0.5)
		s.PI = 0.3 + 3*m.eject
	} else {
		s.SpO2, s.PI = math.NaN(), math.NaN()
	}
}

// severinghaus returns haemoglobin O2 saturation (%) at PO2 (mmHg):
// S = 100 / (23400 / (P³ + 150 P) + 1). Severinghaus JW. Simple, accurate
// equations for human blood O2 dissociation computations. J Appl Physiol
// 1979;46:599–602. Standard conditions (37 °C, pH 7.4): the model ignores
// the shifts of temperature and pH (docs/simulator.md, limits).
func severinghaus(p float64) float64 {
	if p <= 0 {
		return 0
	}
	return 100 / (23400/(p*p*p+150*p) + 1)
}

// invSeveringhaus returns the PO2 (mmHg) at saturation sat (%), by
// bisection of severinghaus (monotonic).
func invSeveringhaus(sat float64) float64 {
	lo, hi := 1.0, 700.0
	if sat >= severinghaus(hi) {
		return hi
	}
	for range 40 {
		mid := (lo + hi) / 2
		if severinghaus(mid) < sat {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// anyFault reports whether a fault is in force.
func (m *model) anyFault() bool {
	for _, on := range m.faults {
		if on {
			return true
		}
	}
	return false
}

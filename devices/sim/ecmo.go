package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pumpside/pumpside/monitor/physio"
)

// ECMO is an ECMO scenario's run: the configuration, the circuit's
// settings, the patient's failing organ and the team's routine over days
// (docs/simulator.md, "ECMO scenarios").
type ECMO struct {
	// Mode is "vv" (veno-venous: gas exchange only) or "va"
	// (veno-arterial: circulation and gas exchange).
	Mode string
	// Drainage and Return are the cannulation sites, as the case set-up's
	// ecmo_config entry names them (monitor/entry.ECMODrainageSites,
	// ECMOReturnSites).
	Drainage, Return string
	FlowLpm          float64 // the blood flow the team sets, L/min
	SweepLpm         float64 // the sweep gas flow at the start, L/min
	// NativeCI is the heart's own output before ECMO, L/min/m².
	NativeCI float64
	// LungShunt is the fraction of the pulmonary blood flow the native
	// lungs do not oxygenate, 0–0.8.
	LungShunt float64
	// Recirculation is the fraction of the return flow drawn straight
	// back into the drainage cannula (VV), 0–0.5.
	Recirculation float64
	// PaCO2Pre is the PaCO2 at which the lungs, ventilated as before ECMO,
	// clear the patient's CO2 production, mmHg.
	PaCO2Pre float64
	// PressorPre is the vasopressor support before ECMO as a fraction of
	// SVR added (weaned over about 20 min once the flow is up).
	PressorPre float64
	// HeparinIUPerKgH is the heparin infusion at the start, IU/kg/h; the
	// team titrates it to an ACT between ACTLow and ACTHigh.
	HeparinIUPerKgH float64
	ACTLow, ACTHigh float64 // s
	// APTTInterval is how often an aPTT goes to the laboratory (its
	// result comes back 45 min later).
	APTTInterval time.Duration
}

type fileECMO struct {
	Mode            string   `toml:"mode"`
	Drainage        string   `toml:"drainage"`
	Return          string   `toml:"return"`
	FlowLpm         *float64 `toml:"flow_lpm"`
	SweepLpm        *float64 `toml:"sweep_lpm"`
	NativeCI        *float64 `toml:"native_ci"`
	LungShuntPct    *float64 `toml:"lung_shunt_pct"`
	RecirculPct     *float64 `toml:"recirculation_pct"`
	PaCO2Pre        *float64 `toml:"paco2_pre"`
	PressorPrePct   *float64 `toml:"pressor_pre_pct"`
	HeparinIUPerKgH *float64 `toml:"heparin_iu_per_kg_h"`
	ACTLow          *float64 `toml:"act_low_s"`
	ACTHigh         *float64 `toml:"act_high_s"`
	APTTInterval    *string  `toml:"aptt_interval"`
}

// The cannulation sites an ECMO scenario may name: those of the case
// set-up's ecmo_config entry (monitor/entry), which the sites' check there
// also applies to a recorded run.
var (
	ecmoDrainage = []string{"femoral_vein", "jugular_vein", "right_atrium", "dual_lumen_jugular"}
	ecmoVenous   = []string{"femoral_vein", "jugular_vein", "dual_lumen_jugular"}
	ecmoArterial = []string{"femoral_artery", "axillary_artery", "aorta"}
)

func parseECMO(fe *fileECMO,
	fail func(field, format string, a ...any),
	dur func(field, s string, lo, hi time.Duration) time.Duration,
	num func(field string, v *float64, def, lo, hi float64, unit string) float64) *ECMO {
	e := &ECMO{Mode: fe.Mode, Drainage: fe.Drainage, Return: fe.Return}
	returns := ecmoVenous
	switch fe.Mode {
	case "vv":
	case "va":
		returns = ecmoArterial
	case "":
		fail("ecmo.mode", "missing (vv or va)")
	default:
		fail("ecmo.mode", "%q: want vv or va", fe.Mode)
	}
	if !slices.Contains(ecmoDrainage, fe.Drainage) {
		fail("ecmo.drainage", "%q: want one of %v", fe.Drainage, ecmoDrainage)
	}
	if !slices.Contains(returns, fe.Return) {
		fail("ecmo.return", "%q: a %s run returns to one of %v", fe.Return, fe.Mode, returns)
	}
	if (fe.Drainage == "dual_lumen_jugular") != (fe.Return == "dual_lumen_jugular") {
		fail("ecmo.return", "a dual-lumen cannula drains and returns: both ends dual_lumen_jugular")
	}
	nan := math.NaN()
	e.FlowLpm = num("ecmo.flow_lpm", fe.FlowLpm, nan, 1, 7, "L/min")
	e.SweepLpm = num("ecmo.sweep_lpm", fe.SweepLpm, nan, 0.5, 10, "L/min")
	e.NativeCI = num("ecmo.native_ci", fe.NativeCI, nan, 0.5, 5, "L/min/m²")
	e.LungShunt = num("ecmo.lung_shunt_pct", fe.LungShuntPct, 20, 0, 80, "%") / 100
	e.Recirculation = num("ecmo.recirculation_pct", fe.RecirculPct, 0, 0, 50, "%") / 100
	e.PaCO2Pre = num("ecmo.paco2_pre", fe.PaCO2Pre, 45, 30, 100, "mmHg")
	e.PressorPre = num("ecmo.pressor_pre_pct", fe.PressorPrePct, 0, 0, 200, "%") / 100
	e.HeparinIUPerKgH = num("ecmo.heparin_iu_per_kg_h", fe.HeparinIUPerKgH, 18, 0, 60, "IU/kg/h")
	e.ACTLow = num("ecmo.act_low_s", fe.ACTLow, 180, 120, 400, "s")
	e.ACTHigh = num("ecmo.act_high_s", fe.ACTHigh, 220, 120, 400, "s")
	if e.ACTHigh <= e.ACTLow {
		fail("ecmo.act_high_s", "%g s is not above act_low_s %g s", e.ACTHigh, e.ACTLow)
	}
	if e.Mode == "va" && e.Recirculation > 0 {
		fail("ecmo.recirculation_pct", "recirculation is a veno-venous run's: a va run drains venous blood only")
	}
	e.APTTInterval = 6 * time.Hour
	if fe.APTTInterval != nil {
		e.APTTInterval = dur("ecmo.aptt_interval", *fe.APTTInterval, 0, 24*time.Hour)
	}
	return e
}

// ecmoState is the model's ECMO circuit and the lungs it supports.
type ecmoState struct {
	cfg       ECMO
	rng       *rand.Rand // the ECMO-only randomness (flow chatter), a stream of its own
	since     float64    // s; when the circuit started
	flowSet   float64    // L/min, what the team sets
	sweepSet  float64    // L/min, the team's sweep (0 while the gas supply is lost)
	heparin   float64    // IU/kg/h, the infusion
	pressor   float64    // fraction of SVR the vasopressors add
	recircSev float64    // 0–1, the recirculation fault's severity
	drain     float64    // 0–1, the drainage insufficiency's severity
	dipLeft   float64    // s left of a chatter dip
	dip       float64    // L/min the dip takes
	paco2     float64    // mmHg, the patient's arterial CO2 (a state: the body's CO2 stores)
	membCO2   float64    // mL/min the membrane removes
	lungCO2   float64    // mL/min the lungs remove
}

// The ECMO physiology's constants (docs/simulator.md, "ECMO scenarios").
const (
	// drainK is the drainage line's suction per (L/min)² of flow, mmHg: a
	// 23–25 Fr femoral cannula draws about −50 to −60 mmHg at 4.5 L/min
	// from a CVP of 8 (the manufacturers' pressure–flow charts).
	drainK = 3.0
	// returnK is the return cannula's pressure per (L/min)², mmHg (as
	// the bypass arterial line: about 8 mmHg/(L/min)²).
	returnK = 8.0
	// nativeAfterload is the fraction of the heart's own output a VA run
	// takes per L/min of ECMO flow (retrograde flow raises the left
	// ventricle's afterload, the drained right heart fills less).
	nativeAfterload = 0.06
	// restPcap is the pulmonary capillary PO2 of lungs on rest settings
	// (FiO2 about 0.3, low pressures) once a VV run supports them, mmHg;
	// ventPcap before, and in a VA run.
	restPcap, ventPcap = 65.0, 100.0
	// lungRest is the share of the lungs' CO2 clearance left on rest
	// ventilation (VV); a VA run's lungs keep lungRestVA (less pulmonary
	// blood flow).
	lungRest, lungRestVA = 0.5, 0.6
	// recircFault is the recirculation the recirculation fault adds: the
	// cannulae migrate close (or the return jet points at the drainage
	// port).
	recircFault = 0.3
	// co2Slope is the blood CO2 content per mmHg PCO2 used for the
	// veno-arterial CO2 differences, mL/dL per mmHg (as the bypass model).
	co2Slope = 0.5
	// ecmoOutletC is the heater-cooler's setting on ECMO, °C: normothermia
	// (the patient settles at about 36.7 °C).
	ecmoOutletC = 36.8
)

func newECMOState(cfg ECMO, seed uint64) *ecmoState {
	return &ecmoState{cfg: cfg, rng: rand.New(rand.NewPCG(seed^0x65636d6f, seed+1)), heparin: 0,
		pressor: cfg.PressorPre, paco2: cfg.PaCO2Pre}
}

// initECMO sets the patient before the run: the native heart and lungs
// alone.
func (m *model) initECMO() {
	s := &m.s
	s.TCore, s.TPeriph, s.TOutlet = 36.6, 36.0, 36.5
	m.ventilated = true
	s.FiO2 = m.c.FiO2Pct
	s.Lactate = 2.5 // a patient failing enough to need ECMO
	m.deriveECMO()
}

// nativeFlow is the heart's own output now, L/min.
func (m *model) nativeFlow() float64 {
	e := m.e
	q := e.cfg.NativeCI * m.bsa
	if e.cfg.Mode == "va" {
		q *= math.Max(0.2, 1-nativeAfterload*m.s.FlowLpm)
	}
	return q
}

// recirculation is the fraction of the return flow drawn back now.
func (m *model) recirculation() float64 {
	return m.e.cfg.Recirculation + recircFault*m.e.recircSev
}

// stepECMO advances an ECMO scenario by dt to now: the same physiology
// as a bypass case (metabolism, lactate, heparin, NIRS) with the circuit
// in parallel to the heart (VA) or in series with it (VV).
func (m *model) stepECMO(now float64) {
	s, e := &m.s, m.e
	s.Elapsed = now
	// Flow: the team brings it up over 2 min from the start; a drainage
	// short of the pump's demand (hypovolaemia, a cannula against the
	// vessel wall, a kinked line) takes up to 35 % of it at the same
	// pump speed and makes it chatter: dips of 2–4 s about every 10 s.
	cmd := 0.0
	if s.OnECMO {
		cmd = e.flowSet * math.Min(1, (now-e.since)/120)
	}
	s.PumpSpeed = 0
	if s.OnECMO {
		s.PumpSpeed = 1500 + 400*cmd // the team's setting for that flow (a centrifugal head)
	}
	e.drain = ramp(e.drain, m.faults[DrainageInsufficiency] && s.OnECMO, 90)
	cmd *= 1 - 0.35*e.drain
	if e.dipLeft > 0 {
		e.dipLeft -= dt
	} else if e.drain > 0.3 && e.rng.Float64() < dt/10 {
		e.dipLeft = float64(2 + e.rng.IntN(3))
		e.dip = cmd * (0.15 + 0.25*e.rng.Float64()) * e.drain
	}
	if e.dipLeft > 0 {
		cmd -= e.dip
	}
	s.FlowLpm += (cmd - s.FlowLpm) * (1 - math.Exp(-dt/2)) // a centrifugal pump follows in seconds
	if s.FlowLpm < 0.01 && cmd == 0 {
		s.FlowLpm = 0
	}
	e.recircSev = ramp(e.recircSev, m.faults[Recirculation] && e.cfg.Mode == "vv" && s.OnECMO, 60)

	// Temperature: the heater-cooler holds the return at ecmoOutletC;
	// the body loses heat to the room (time constant 2 h toward 36.2 °C).
	if s.OnECMO {
		s.TOutlet += (ecmoOutletC - s.TOutlet) * dt / 300
	} else {
		s.TOutlet += (36.5 - s.TOutlet) * dt / 900 // the primed circuit, warmed while it waits
	}
	f := s.FlowLpm / m.full
	s.TCore += ((s.TOutlet-s.TCore)*f/600 - (s.TCore-36.2)/7200) * dt
	s.TPeriph += (s.TCore - 0.5 - s.TPeriph) * dt / 2400
	s.TVenous = 0.75*s.TCore + 0.25*s.TPeriph
	s.TNaso, s.TBladder = s.TCore, s.TCore-0.1

	// Gas: the oxygenator as in bypass (oxygenator-failure clots and
	// wets it; gas-supply-failure takes its sweep).
	gasLost := m.faults[GasSupplyFailure] && s.OnECMO
	switch {
	case gasLost:
		m.oxyEff += (0.02 - m.oxyEff) * dt / 45
	case m.faults[OxygenatorFailure]:
		m.oxyEff += (0.09 - m.oxyEff) * dt / 180
	default:
		m.oxyEff += (normalOxyEff - m.oxyEff) * dt / 60
	}
	m.clot = ramp(m.clot, m.faults[OxygenatorFailure], clotTau)
	s.Sweep = 0
	if s.OnECMO && !gasLost {
		s.Sweep = e.sweepSet
	}
	// CO2: production VCO2 leaves by the lungs (clearance lc, mL/min per
	// mmHg) and the membrane (sweep × k × 0.85 × efficiency per mmHg, the
	// bypass model's exhaust relation); PaCO2 moves toward the level where
	// they balance, with the body's CO2 stores' time constant (~8 min).
	vco2 := s.VCO2
	lc := rqNormal * s.VO2Need / e.cfg.PaCO2Pre
	if s.OnECMO {
		lc *= m.lungShare()
	}
	memb := s.Sweep * m.k.VCO2Factor * 0.85 * m.co2Efficiency()
	target := clamp(vco2/math.Max(lc+memb, 0.1), 15, 120)
	e.paco2 += (target - e.paco2) * dt / 480
	e.membCO2, e.lungCO2 = memb*e.paco2, lc*e.paco2

	// Pressure: SVR as in bypass (its slow random walk, drugs, vasoplegia),
	// the pressors weaned once the flow is up; MAP = total systemic flow ×
	// SVR + CVP (perfusion.md §2): the heart's own output in VV, the pump's
	// and the heart's in VA.
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
	if s.OnECMO && s.FlowLpm > 0.8*e.flowSet {
		e.pressor *= math.Exp(-dt / 1200)
	}
	s.SVR = m.p.SVR * math.Exp(m.svrWalk) * (1 + e.pressor + m.bolus + m.dilator + m.infusionNow) * m.vasoNow
	native := m.nativeFlow()
	systemic := native
	s.CVP = 10
	if e.cfg.Mode == "va" {
		systemic += s.FlowLpm
		s.CVP = 14 - 7*math.Min(1, s.FlowLpm/3) // the drained right heart
	}
	s.MAP = systemic*s.SVR/m.k.SVRFactor + s.CVP
	// Pulse pressure: the heart ejects it; the pump's flow is continuous.
	// A VA run at high flow narrows it to a few mmHg.
	pp := 4 + 36*native/systemic
	if e.cfg.Mode == "va" && native < 1.2 {
		pp = 4 + 30*native/systemic
	}
	s.Sys, s.Dia = s.MAP+pp*2/3, s.MAP-pp/3
	s.HR = 105
	if s.OnECMO {
		s.HR = 105 - 15*math.Min(1, (now-e.since)/1800)
	}
	// The circuit's pressures: suction at the inlet, the oxygenator's drop,
	// the return cannula into a vein (VV) or an artery (VA).
	s.InletPressure, s.LinePressure, s.PreOxy, s.OxyDP = 0, 0, 0, 0
	if s.FlowLpm > 0 {
		// At its speed the pump draws the suction of the flow set; as the
		// vein collapses round the cannula its resistance rises and the
		// inlet falls toward the pump's shut-off suction.
		set := e.flowSet * math.Min(1, (now-e.since)/120)
		s.InletPressure = s.CVP - drainK*set*set*(1+e.drain)
		if e.dipLeft > 0 {
			s.InletPressure -= 40 * e.drain // the cannula sucks the wall: the line chatters
		}
		back := s.CVP
		if e.cfg.Mode == "va" {
			back = s.MAP
		}
		s.LinePressure = back + returnK*s.FlowLpm*s.FlowLpm
		s.OxyDP = oxyR * s.FlowLpm * (1 + clotGain*m.clot)
		s.PreOxy = s.LinePressure + s.OxyDP
	}
	s.CPPressure = 0

	// Heparin infusion (the bolus at cannulation is a scenario event).
	if s.OnECMO {
		s.HeparinRate = e.heparin
		s.HeparinIUPerKg += e.heparin / 3600 * dt
	}
	// Urine: about 1 mL/kg/h at MAP ≥ 70 (an ICU's target; the fluid
	// given matches it: the volume holds over days).
	s.Urine += 1.0 * m.p.WeightKg / 3600 * clamp((s.MAP-40)/30, 0, 1.2) * dt
	m.stepChemistry()
	m.deriveECMO()
}

// lungShare is the share of the lungs' pre-ECMO CO2 clearance left on
// the run's ventilation.
func (m *model) lungShare() float64 {
	if m.e.cfg.Mode == "va" {
		return lungRestVA
	}
	return lungRest
}

// co2Efficiency is the membrane's CO2 removal relative to a clean one
// with the scenario's own recirculation: a clotted membrane loses up to
// co2Loss of it; recirculated blood, already cleared, brings it none.
func (m *model) co2Efficiency() float64 {
	e := m.e
	r0, r := e.cfg.Recirculation, m.recirculation()
	eff := (1 - co2Loss*m.clot) * (1 - r) / (1 - r0)
	return eff * math.Min(1, m.s.FlowLpm/1.5) // little blood, little CO2 to remove
}

// deriveECMO computes the gases of an ECMO run. O2 contents in mL/dL,
// flows in L/min (×10 to dL/min), VO2 in mL/min.
//
// VV (circuit in series with the heart): the effective ECMO flow Qe(1−R)
// of post-oxygenator blood mixes with the venous blood the cannula
// did not take in the right heart, so the pulmonary artery carries
// Cpa = a·Cpost + (1−a)·Cv with a = Qe(1−R)/Qn; the lungs, shunt
// fraction Sh, give Ca = Sh·Cpa + (1−Sh)·Ccap; Fick: Cv = Ca − VO2/(10·Qn).
// Solved for Ca:
//
//	Ca = (Sh·a·Cpost − Sh·(1−a)·d + (1−Sh)·Ccap) / (1 − Sh·(1−a)),  d = VO2/(10·Qn)
//
// The drainage (pre-oxygenator) blood is Cpre = R·Cpost + (1−R)·Cv:
// recirculation makes it look well oxygenated while the patient is not
// (Abrams D, Bacchetta M, Brodie D, Recirculation in venovenous ECMO, ASAIO
// J 2015;61:115-121; Schmidt M et al., Blood oxygenation and
// decarboxylation determinants during venovenous ECMO, Intensive Care Med
// 2013;39:838-846: SaO2 follows the ECMO flow / cardiac output ratio;
// the ELSO Red Book, 5th ed., 2017).
//
// VA (in parallel): the pump's Qe of post-oxygenator blood and the
// heart's Qn of lung blood (Sh·Cv + (1−Sh)·Ccap) mix in the aorta
// (complete mixing, w = Qe/(Qe+Qn)); Fick over the whole systemic flow:
//
//	Ca = (w·Cpost − (1−w)·Sh·d + (1−w)·(1−Sh)·Ccap) / (1 − (1−w)·Sh),  d = VO2/(10·(Qe+Qn))
//
// and the drainage blood is the mixed venous blood.
func (m *model) deriveECMO() {
	s, e := &m.s, m.e
	k := m.k
	s.BSA = m.bsa
	s.Hct = 100 * m.rcv / s.VolumeML
	s.Hb = s.Hct * hbPerHct
	s.FlowIndex = physio.FlowIndex(s.FlowLpm, m.bsa)
	s.PaCO2 = e.paco2
	va := e.cfg.Mode == "va"
	qn := m.nativeFlow()
	systemic := qn
	if va {
		systemic += s.FlowLpm
	}
	r := 0.0
	if !va {
		r = m.recirculation()
	}
	s.Recirculation = r * boolf(s.FlowLpm > 0)
	// The oxygenator's outlet: as in bypass, efficiency × alveolar PO2.
	s.PostPO2 = math.Max(25, m.oxyEff*(s.FiO2/100*(760-47)-s.PaCO2/0.8))
	s.PostSO2 = severinghaus(s.PostPO2)
	cpost := physio.O2Content(s.Hb, s.PostSO2, s.PostPO2, k.Hufner, k.O2Solubility)
	pcap := ventPcap
	if s.OnECMO && !va {
		pcap = restPcap
	}
	ccap := physio.O2Content(s.Hb, severinghaus(pcap), pcap, k.Hufner, k.O2Solubility)
	sh := e.cfg.LungShunt
	s.VO2Need = m.p.VO2i37 * m.bsa * m.tempFactor(s.TCore)
	// Supply limits consumption (extraction at most 60 %), from the last
	// step's content: the loop closes over a second.
	ca0 := s.CaO2
	if !(ca0 > 0) {
		ca0 = ccap
	}
	s.VO2 = math.Min(s.VO2Need, 0.6*physio.DO2(systemic, ca0))
	d := s.VO2 / (10 * systemic)
	var ca float64
	if va {
		ca = vaArterialContent(cpost, ccap, sh, s.FlowLpm/systemic, d)
	} else {
		ca = vvArterialContent(cpost, ccap, sh, math.Min(1, s.FlowLpm*(1-r)/qn), d)
	}
	ca = math.Max(ca, d+1) // the venous blood keeps some oxygen: the supply limit above holds it
	cv := ca - d
	cpre := cv
	if !va {
		cpre = preOxyContent(cpost, cv, r)
	}
	s.CaO2, s.CvO2 = ca, cv
	s.SaO2, s.PaO2 = m.satOf(ca)
	s.SvO2, s.PvO2 = m.satOf(cv)
	s.PreSO2, s.PrePO2 = m.satOf(cpre)
	if s.FlowLpm == 0 {
		s.PreSO2, s.PrePO2 = s.SvO2, s.PvO2 // the drainage line holds venous blood
	}
	// The circuit's delivery, as a console computes it from the pump flow
	// and the return line's content; the body's is the systemic flow's.
	s.DO2 = physio.DO2(s.FlowLpm, cpost)
	s.DO2i = physio.DO2i(s.FlowIndex, cpost)
	m.do2iTotal = physio.Index(physio.DO2(systemic, ca), m.bsa)
	s.VO2i = physio.Index(s.VO2, m.bsa)
	crit := 272 * m.tempFactor(s.TCore)
	s.RQ = rqNormal + 0.25*clamp((crit-m.do2iTotal)/crit, 0, 1)
	s.VCO2 = s.RQ * s.VO2
	// CO2 across the circuit: venous above arterial by the body's
	// production over the systemic flow; the drainage mixes in the
	// recirculated blood; the membrane takes what it removes.
	s.PvCO2 = s.PaCO2 + math.Min(30, s.VCO2/(systemic*10)/co2Slope)
	s.PrePCO2, s.PostPCO2 = s.PvCO2, s.PvCO2
	if s.FlowLpm > 0.05 {
		x := math.Min(40, e.membCO2/(s.FlowLpm*10)/co2Slope)
		s.PrePCO2 = s.PvCO2 - r*x/(1-r)
		s.PostPCO2 = math.Max(5, s.PrePCO2-x)
	}
	s.ExhaustCO2 = math.NaN()
	switch {
	case s.Sweep > 0:
		s.ExhaustCO2 = 0.85 * m.co2Efficiency() * s.PaCO2
	case s.OnECMO && m.faults[GasSupplyFailure]:
		s.ExhaustCO2 = 0.85 * s.PaCO2 // the stagnant gas holds what the blood does
	}
	s.HCO3 = 24.5 - (s.Lactate - 0.9)
	s.PH = 6.105 + math.Log10(s.HCO3/(0.0307*s.PaCO2))
	s.BE = physio.BaseExcess(s.PH, s.HCO3, s.Hb)
	s.VenHCO3 = s.HCO3 + 1
	s.VenPH = 6.105 + math.Log10(s.VenHCO3/(0.0307*s.PvCO2))
	s.PrePH = 6.105 + math.Log10(s.VenHCO3/(0.0307*s.PrePCO2))
	s.PostPH = 6.105 + math.Log10(s.HCO3/(0.0307*s.PostPCO2))
	dil := m.bv / s.VolumeML
	s.Na = 132 + 7*dil
	s.ICa = 0.9 + 0.28*dil
	// The pulse oximeter needs a pulse: a VA run at full flow may leave
	// too little (pulse pressure under 10 mmHg).
	if s.Sys-s.Dia >= 10 {
		s.SpO2 = math.Min(100, s.SaO2-0.5)
		s.PI = 0.3 + 0.08*(s.Sys-s.Dia)
	} else {
		s.SpO2, s.PI = math.NaN(), math.NaN()
	}
}

// vvArterialContent is the patient's arterial O2 content on VV ECMO
// (deriveECMO): cpost the return blood's, ccap the lungs' end-capillary
// blood's (mL/dL), sh the lungs' shunt fraction, a the effective ECMO
// flow's share of the cardiac output, Qe(1−R)/Qn (0–1), d = VO2/(10·Qn)
// the arterio-venous difference (mL/dL).
func vvArterialContent(cpost, ccap, sh, a, d float64) float64 {
	return (sh*a*cpost - sh*(1-a)*d + (1-sh)*ccap) / (1 - sh*(1-a))
}

// vaArterialContent is the patient's arterial O2 content on VA ECMO,
// complete mixing in the aorta: w = Qe/(Qe+Qn) the pump's share of the
// systemic flow, d = VO2/(10·(Qe+Qn)); the rest as vvArterialContent.
func vaArterialContent(cpost, ccap, sh, w, d float64) float64 {
	return (w*cpost - (1-w)*sh*d + (1-w)*(1-sh)*ccap) / (1 - (1-w)*sh)
}

// preOxyContent is the drainage (pre-oxygenator) blood's O2 content on
// VV ECMO: the fraction r of the return flow recirculated mixes with the
// venous blood cv.
func preOxyContent(cpost, cv, r float64) float64 { return r*cpost + (1-r)*cv }

// satOf returns the saturation (%) and PO2 (mmHg) of blood of O2 content
// c (mL/dL) at the model's Hb: the PO2 at which the bound (Severinghaus)
// and dissolved parts add up to c, by bisection (the content is monotonic
// in PO2). Mixed with hyperoxic post-oxygenator blood the content may
// exceed the haemoglobin's capacity: the rest is dissolved, the PO2 high.
func (m *model) satOf(c float64) (sat, po2 float64) {
	k, hb := m.k, m.s.Hb
	content := func(p float64) float64 { return k.Hufner*hb*severinghaus(p)/100 + k.O2Solubility*p }
	lo, hi := 1.0, 700.0
	for range 50 {
		mid := (lo + hi) / 2
		if content(mid) < c {
			lo = mid
		} else {
			hi = mid
		}
	}
	po2 = (lo + hi) / 2
	return severinghaus(po2), po2
}

// startECMO starts the circuit: the prime joins the circulation, the
// sweep and FiO2 are set, the heparin infusion begins.
func (c *Case) startECMO(sec int64, who string) {
	m, s, e := c.m, &c.m.s, c.m.e
	s.OnECMO = true
	e.since = float64(sec)
	e.flowSet = e.cfg.FlowLpm
	e.sweepSet = e.cfg.SweepLpm
	e.heparin = e.cfg.HeparinIUPerKgH
	m.ventilated = e.cfg.Mode == "va"
	s.VolumeML += m.c.PrimeML
	s.FiO2 = m.c.FiO2Pct
	c.event(sec, "ecmo_start", c.by(who, str("mode", e.cfg.Mode), str("drainage", e.cfg.Drainage), str("return", e.cfg.Return),
		num("flow_lpm", e.cfg.FlowLpm), num("sweep_lpm", e.cfg.SweepLpm), num("fio2_pct", s.FiO2), num("prime_ml", m.c.PrimeML)),
		"%s%s ECMO started: %s → %s, flow %.1f L/min, sweep %.1f L/min, FiO2 %.0f %%", who, upper(e.cfg.Mode),
		site(e.cfg.Drainage), site(e.cfg.Return), e.cfg.FlowLpm, e.cfg.SweepLpm, s.FiO2)
	c.event(sec, "note", c.by(who, str("phase", "no")), "%sheparin infusion %.0f IU/kg/h", who, e.heparin)
}

func upper(mode string) string {
	if mode == "va" {
		return "VA"
	}
	return "VV"
}

func site(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '_' {
			b[i] = ' '
		}
	}
	return string(b)
}

// ecmoAutopilot is the ICU team's routine on ECMO: an ACT every
// ACTInterval (the heparin infusion titrated on it), an aPTT to the
// laboratory every APTTInterval, a blood gas (patient arterial and the
// circuit's pre-oxygenator sample) every BloodGasInterval, the sweep
// titrated every 30 min to a PaCO2 of 40 ± 4 mmHg. Not the sweep while a
// fault runs: the trainee is to find it.
func (c *Case) ecmoAutopilot(sec int64) {
	m, s, e := c.m, &c.m.s, c.m.e
	now := float64(sec)
	if c.lastHep >= 0 && c.lastACT < c.lastHep && now-c.lastHep >= 180 {
		c.drawACT(sec)
	}
	if c.recalDue > 0 && sec >= c.recalDue {
		c.recalDue = 0
		c.event(sec, "inline_recalibration", []EventField{str("who", "autopilot"), num("hct", math.Round(c.recalHct*10)/10)},
			"in-line monitor recalibrated to the blood gas: Hct %.1f %%", c.recalHct)
	}
	if !s.OnECMO {
		return
	}
	on := now - e.since
	if iv := m.c.ACTInterval.Seconds(); iv > 0 && now-c.lastACT >= iv && c.lastACT >= 0 {
		c.drawACT(sec)
	}
	if iv := e.cfg.APTTInterval.Seconds(); iv > 0 && on >= 1800 && now-c.lastAPTT >= iv {
		c.lastAPTT = now
		// aPTT: about 30 s without heparin, +0.8 s per IU/kg in the blood
		// (a target of 60–80 s at the usual infusion: 1.5–2.5 × normal).
		v := (30 + 0.8*s.HeparinIUPerKg) * (1 + 0.05*c.rng.NormFloat64())
		c.pending = append(c.pending, Action{At: time.Duration(sec+45*60) * time.Second, Kind: "note",
			Text: fmt.Sprintf("laboratory: aPTT %.0f s (drawn %s earlier)", v, 45*time.Minute)})
	}
	if iv := m.c.BloodGasInterval.Seconds(); iv > 0 && on >= 600 && (c.lastGas < e.since || now-c.lastGas >= iv) {
		c.drawGas(sec, true)
	}
	if on >= 600 && now-c.lastSweep >= 1800 && !m.anyFault() {
		c.lastSweep = now
		if math.Abs(s.PaCO2-40) > 4 {
			next := clamp(math.Round(e.sweepSet*s.PaCO2/40*10)/10, 0.5, 10)
			if next != e.sweepSet {
				e.sweepSet = next
				c.event(sec, "note", c.by("autopilot: ", str("phase", "no")), "autopilot: PaCO2 %.0f mmHg, sweep set to %.1f L/min", s.PaCO2, next)
			}
		}
	}
}

// titrateHeparin adjusts the infusion on an ACT result (s): 2 IU/kg/h
// up below the range, down above it.
func (c *Case) titrateHeparin(sec int64, act float64) {
	e := c.m.e
	step := 0.0
	switch {
	case act < e.cfg.ACTLow:
		step = 2
	case act > e.cfg.ACTHigh:
		step = -2
	default:
		return
	}
	e.heparin = clamp(e.heparin+step, 0, 60)
	c.event(sec, "note", c.by("autopilot: ", str("phase", "no")), "autopilot: ACT %.0f s, heparin infusion %.0f IU/kg/h", act, e.heparin)
}

package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Source is one simulated device. Its index in Sources is what Emit reports.
type Source int

// The simulated devices, each reporting at its own interval.
const (
	Pump    Source = iota // heart-lung machine: flow, speed, pressures, temperatures, gas
	Monitor               // patient monitor: arterial and venous pressures, HR, SpO2
	Inline                // in-line blood parameter monitor, every 6 s
	NIRS                  // cerebral oximeter, every 5 s
	Manual                // case set-up typed in by the perfusionist
	numSources
)

var sourceInfo = [numSources]struct {
	name     string
	interval time.Duration
}{
	Pump:    {"sim.pump", time.Second},
	Monitor: {"sim.monitor", time.Second},
	Inline:  {"sim.inline", 6 * time.Second},
	NIRS:    {"sim.nirs", 5 * time.Second},
	Manual:  {"manual", 0},
}

// actChecks are the times of the ACT measurements typed in by the
// perfusionist, with their results: a baseline, after the heparin bolus, then
// every 20 minutes on bypass.
var actChecks = []struct {
	at  time.Duration
	sec float64
}{
	{5 * time.Minute, 128}, {12 * time.Minute, 540}, {35 * time.Minute, 512},
	{55 * time.Minute, 498}, {75 * time.Minute, 486}, {95 * time.Minute, 472},
	{110 * time.Minute, 138}, // after protamine
}

// Sources returns the names of the simulated sources, indexed by Source.
func Sources() []string {
	names := make([]string, numSources)
	for i, s := range sourceInfo {
		names[i] = s.name
	}
	return names
}

// Interval returns how often a source reports; 0 for one-off sources.
func (s Source) Interval() time.Duration { return sourceInfo[s].interval }

// The phases of the built-in case, as offsets from its start.
const (
	OnBypass      = 15 * time.Minute
	CoolingEnd    = 35 * time.Minute
	ClampOn       = 25 * time.Minute
	RewarmStart   = 60 * time.Minute
	ClampOff      = 85 * time.Minute
	OffBypass     = 100 * time.Minute
	CaseLength    = 120 * time.Minute
	coolTarget    = 32.0
	normoTemp     = 36.8
	heightCm      = 175.0
	weightKg      = 80.0
	fullFlowIndex = 2.4
)

// Case is the built-in simulated case.
type Case struct {
	start time.Time
	rng   *rand.Rand
	next  [numSources]time.Time // next report time per source
	done  bool                  // case set-up entered
	acts  int                   // ACT results entered
}

// New returns the case starting at start. The same start and seed give the
// same samples.
func New(start time.Time, seed uint64) *Case {
	c := &Case{start: start, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for s := range c.next {
		c.next[s] = start
	}
	return c
}

// Start returns the case start time.
func (c *Case) Start() time.Time { return c.start }

// AdvanceTo emits, in time order, every sample due up to and including t.
// emit must not retain the Sample's address.
func (c *Case) AdvanceTo(t time.Time, emit func(Source, monitor.Sample)) {
	if !c.done && !t.Before(c.start) {
		c.done = true
		at := c.start.UnixNano()
		emit(Manual, monitor.Sample{Time: at, Channel: channel.PatientHeight, Value: heightCm})
		emit(Manual, monitor.Sample{Time: at, Channel: channel.PatientWeight, Value: weightKg})
	}
	for {
		// The earliest due periodic source goes first so samples stay in
		// time order across sources.
		src, due := Source(-1), t
		for s := Pump; s < Manual; s++ {
			if !c.next[s].After(due) {
				src, due = s, c.next[s]
			}
		}
		if c.acts < len(actChecks) {
			if at := c.start.Add(actChecks[c.acts].at); !at.After(due) {
				emit(Manual, monitor.Sample{Time: at.UnixNano(), Channel: channel.ACTSeconds, Value: actChecks[c.acts].sec})
				c.acts++
				continue
			}
		}
		if src < 0 {
			return
		}
		c.report(src, due, emit)
		c.next[src] = due.Add(src.Interval())
	}
}

// state is the patient and circuit at one instant, before noise.
type state struct {
	flow, map_, cvp, hr, spo2     float64
	artOut, venIn, naso, bladder  float64
	sweep, fio2, exhaustCO2       float64
	hct, sao2, pao2, svo2, pvo2   float64
	ph, pco2, k                   float64
	nirsL, nirsR, reservoir, line float64
	onBypass                      bool
}

func ramp(x, x0, x1, y0, y1 float64) float64 {
	switch {
	case x <= x0:
		return y0
	case x >= x1:
		return y1
	}
	return y0 + (y1-y0)*(x-x0)/(x1-x0)
}

func (c *Case) at(el time.Duration) state {
	m := el.Minutes()
	on, cool, rewarm, off := OnBypass.Minutes(), CoolingEnd.Minutes(), RewarmStart.Minutes(), OffBypass.Minutes()
	var s state
	s.onBypass = el >= OnBypass && el < OffBypass
	bsa := 0.007184 * math.Pow(heightCm, 0.725) * math.Pow(weightKg, 0.425)

	// Arterial outlet: cool to 32 °C, hold, rewarm at 0.2 °C/min.
	s.artOut = ramp(m, on, cool, normoTemp-0.3, coolTarget)
	if m >= rewarm {
		s.artOut = ramp(m, rewarm, rewarm+(normoTemp-coolTarget)/0.2, coolTarget, normoTemp)
	}
	// The patient lags the circuit: venous inlet follows with a gradient.
	s.venIn = s.artOut + ramp(m, on, cool, 0, 2.5)
	if m >= cool {
		s.venIn = s.artOut + ramp(m, cool, cool+10, 2.5, 0.4)
	}
	if m >= rewarm {
		s.venIn = s.artOut - ramp(m, rewarm, rewarm+5, 0.4, 3.0)
		if s.artOut >= normoTemp-0.05 {
			s.venIn = s.artOut - ramp(m, rewarm+(normoTemp-coolTarget)/0.2, off, 3.0, 0.5)
		}
	}
	if !s.onBypass {
		s.artOut, s.venIn = normoTemp-0.3, normoTemp-0.4
		if m >= off {
			s.artOut, s.venIn = 36.6, 36.5
		}
	}
	s.naso = s.venIn - 0.2
	s.bladder = s.venIn + 0.3

	// Flow: full flow index at 37 °C, 2.0 at 32 °C; weaning over the last 10 min.
	fi := ramp(s.artOut, coolTarget, 37, 2.0, fullFlowIndex)
	switch {
	case m < on:
		s.flow = 0
	case m < on+3:
		s.flow = ramp(m, on, on+3, 0.5, fi*bsa)
	case m >= off-10 && m < off:
		s.flow = ramp(m, off-10, off, fi*bsa, 0.8)
	case m >= off:
		s.flow = 0
	default:
		s.flow = fi * bsa
	}

	// Haemodilution by the prime on going on bypass, a little recovery later.
	s.hct = 40
	if m >= on {
		s.hct = ramp(m, on, on+2, 40, 28) + ramp(m, rewarm, off, 0, 2)
	}
	s.map_ = 75
	if s.onBypass {
		s.map_ = ramp(m, on, on+5, 45, 62) - ramp(m, rewarm, rewarm+20, 0, 4)
	}
	s.cvp = 6
	if s.onBypass {
		s.cvp = 3
	}
	s.hr = 72
	if m >= ClampOn.Minutes() && m < ClampOff.Minutes() {
		s.hr = 0
	}
	s.spo2 = 98
	s.sao2, s.pao2 = 99.5, ramp(m, on, on+2, 95, 240)
	s.svo2 = 74 + ramp(m, on, cool, 0, 8) - ramp(m, rewarm, rewarm+20, 0, 10)
	s.pvo2 = 38 + (s.svo2-74)*0.8
	s.ph, s.pco2, s.k = 7.40, 40, 4.2
	if m >= ClampOn.Minutes() {
		s.k = 4.2 + ramp(m, ClampOn.Minutes(), ClampOn.Minutes()+10, 0, 1.1) - ramp(m, ClampOn.Minutes()+10, ClampOff.Minutes(), 0, 0.8)
	}
	s.sweep, s.fio2 = 0, 21
	if s.onBypass {
		s.sweep, s.fio2 = ramp(s.artOut, coolTarget, 37, 1.8, 2.6), 60
	}
	// VO2 falls with temperature (Q10 about 2.5); exhaust CO2 from VCO2 and sweep.
	vo2i := 80 * math.Pow(2.5, (s.artOut-37)/10)
	vco2 := 0.8 * vo2i * bsa
	if s.sweep > 0 {
		s.exhaustCO2 = vco2 / (s.sweep * 1.316)
	}
	s.nirsL, s.nirsR = 66, 64
	if s.onBypass {
		s.nirsL, s.nirsR = 62+ramp(m, on, cool, 0, 6), 60+ramp(m, on, cool, 0, 6)
	}
	s.reservoir = 1400 // the primed circuit
	if m >= on {
		s.reservoir = 1200 - ramp(m, off-10, off, 0, 700)
	}
	s.line = s.flow * 50
	return s
}

func (c *Case) noise(sd float64) float64 { return c.rng.NormFloat64() * sd }

func (c *Case) report(src Source, t time.Time, emit func(Source, monitor.Sample)) {
	s := c.at(t.Sub(c.start))
	ts := t.UnixNano()
	put := func(ch channel.ID, v float64) {
		emit(src, monitor.Sample{Time: ts, Channel: ch, Value: v, Quality: channel.OK})
	}
	switch src {
	case Pump:
		put(channel.PumpFlow, math.Max(0, s.flow+c.noise(0.02)))
		put(channel.PumpSpeed, math.Max(0, s.flow*500+c.noise(5)))
		put(channel.PumpLinePressure, s.line+c.noise(2))
		put(channel.TempArterialOutlet, s.artOut+c.noise(0.03))
		put(channel.TempVenousInlet, s.venIn+c.noise(0.03))
		put(channel.TempNasopharyngeal, s.naso+c.noise(0.03))
		put(channel.TempBladder, s.bladder+c.noise(0.03))
		put(channel.GasSweep, s.sweep)
		put(channel.GasFiO2, s.fio2)
		put(channel.GasExhaustCO2, math.Max(0, s.exhaustCO2+c.noise(0.5)))
		put(channel.ReservoirLevel, math.Max(0, s.reservoir+c.noise(10)))
	case Monitor:
		put(channel.PatientMAP, s.map_+c.noise(1.5))
		put(channel.PatientCVP, s.cvp+c.noise(0.5))
		put(channel.PatientHR, s.hr)
		put(channel.PatientSpO2, s.spo2)
	case Inline:
		if t.Sub(c.start) < OnBypass {
			return // the in-line sensors are in the circuit, which is not running yet
		}
		put(channel.InlineHct, s.hct+c.noise(0.3))
		put(channel.InlineHb, (s.hct+c.noise(0.3))/3)
		put(channel.InlineArtSO2, math.Min(100, s.sao2+c.noise(0.2)))
		put(channel.InlineArtPO2, s.pao2+c.noise(4))
		put(channel.InlineArtPCO2, s.pco2+c.noise(1))
		put(channel.InlineArtPH, s.ph+c.noise(0.01))
		put(channel.InlineK, s.k+c.noise(0.05))
		put(channel.InlineVenSO2, s.svo2+c.noise(0.5))
		put(channel.InlineVenPO2, s.pvo2+c.noise(1))
		put(channel.InlineArtTemp, s.artOut)
		put(channel.InlineVenTemp, s.venIn)
	case NIRS:
		put(channel.NIRSLeft, s.nirsL+c.noise(1))
		put(channel.NIRSRight, s.nirsR+c.noise(1))
	}
}

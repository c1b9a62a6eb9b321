package monitor

import (
	"math"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// Extremum is the lowest (or highest) value a statistic has seen, and where
// it came from.
type Extremum struct {
	Value float64
	// Time is when the value was measured (for a derived value, the time of
	// its reading), Unix ns; 0 means none yet.
	Time    int64
	Channel channel.ID
	Source  SourceID
}

// Valid reports whether the extremum has a value.
func (e Extremum) Valid() bool { return e.Time != 0 }

// lower records v if it is below the current value.
func (e *Extremum) lower(v float64, t int64, ch channel.ID, src SourceID) {
	if e.Time == 0 || v < e.Value {
		*e = Extremum{Value: v, Time: t, Channel: ch, Source: src}
	}
}

// CaseStats are the cumulative values of a case (perfusion.md §2), updated at
// every publish. The figures of perfusion count only on full bypass (the
// case timeline's Bypass phase, Config.Phase: not weaning, circulatory
// arrest or cerebral perfusion, as the report counts them); the temperature
// and Hct nadirs count on the pump. Without a timeline, a fresh pump flow of
// at least Limits.OnBypassFlow is both. Only readings that are OK and fresh
// count: an interval in which a value was missing or stale counts as
// neither above nor below a limit.
//
// Durations are integrated over the time between publishes, each interval
// judged by the values published at its start (what the screen showed during
// it), and no interval counts for more than Settings.StatsMaxStep.
type CaseStats struct {
	// Limits and DO2iThreshold are the thresholds the durations below were
	// counted against.
	Limits        Limits
	DO2iThreshold float64

	// OnBypass is the time counted: full bypass (Config.Phase), or pump
	// flow ≥ Limits.OnBypassFlow without a timeline.
	OnBypass time.Duration

	// NadirDO2i is the lowest derived DO2i on bypass.
	NadirDO2i Extremum
	// DO2iBelow is the time with DO2i < DO2iThreshold, and DO2iAreaBelow
	// the area between the threshold and DO2i over that time, in
	// mL/min/m² × min (AKI patients: 34.7 vs 15.3 min below 300).
	DO2iBelow     time.Duration
	DO2iAreaBelow float64

	// MAPBelow is the time with MAP < Limits.MAPLow.
	MAPBelow time.Duration
	// SvO2Below is the time with SvO2 < Limits.SvO2Low.
	SvO2Below time.Duration
	// OutletHigh is the time with the arterial outlet temperature ≥
	// Limits.OutletHigh.
	OutletHigh time.Duration
	// AVGradientHigh is the time with the A–V gradient outside the
	// guideline's signed band (physio.AVGradientOutside with
	// Limits.AVGradientHigh as its cooling and rewarming limits, the
	// guideline's +4 °C from an outlet of 30 °C), as the report and the
	// av_gradient_high alarm.
	AVGradientHigh time.Duration

	// NadirHct is the lowest haematocrit on bypass (RoleHct priority).
	NadirHct Extremum
	// LowestTemp is the lowest patient core temperature on bypass
	// (temp.nasopharyngeal or temp.bladder, whichever is lower).
	LowestTemp Extremum
}

// statConditions is what one publish saw, judged against the limits; it
// decides how the interval up to the next publish is counted.
type statConditions struct {
	time       int64
	onBypass   bool
	do2iBelow  float64 // threshold − DO2i when DO2i is below, else 0; NaN when DO2i was not OK
	mapLow     bool
	svo2Low    bool
	outletHigh bool
	gradHigh   bool
}

// coreTemps are the candidates of CaseStats.LowestTemp.
var coreTemps = [...]channel.ID{channel.TempNasopharyngeal, channel.TempBladder}

// updateStats integrates the interval since the last publish with what that
// publish saw, then judges the values of this one. readings holds this
// publish's derived values; the role inputs are resolved.
func (p *Pipeline) updateStats(now int64, readings []Reading) {
	st := &p.stats
	prev := &p.prevCond
	if prev.time != 0 && prev.onBypass && now > prev.time {
		dt := time.Duration(min(now-prev.time, int64(p.set.StatsMaxStep)))
		st.OnBypass += dt
		if !math.IsNaN(prev.do2iBelow) && prev.do2iBelow > 0 {
			st.DO2iBelow += dt
			st.DO2iAreaBelow += prev.do2iBelow * dt.Minutes()
		}
		if prev.mapLow {
			st.MAPBelow += dt
		}
		if prev.svo2Low {
			st.SvO2Below += dt
		}
		if prev.outletHigh {
			st.OutletHigh += dt
		}
		if prev.gradHigh {
			st.AVGradientHigh += dt
		}
	}

	roles := &p.der.roles
	lim := &p.set.Limits
	used := func(r Role) bool { return roles[r].Used() }
	c := statConditions{time: now, do2iBelow: math.NaN()}
	onPump := used(RoleFlow) && roles[RoleFlow].Value >= lim.OnBypassFlow
	c.onBypass = onPump
	if p.phase != nil {
		ph := p.phase(now)
		c.onBypass = ph == timeline.Bypass
		onPump = ph == timeline.Bypass || ph == timeline.Weaning || ph == timeline.Arrest || ph == timeline.ACP || ph == timeline.RCP
	}
	if c.onBypass {
		if r := readings[channel.DerivedDO2i]; r.OK() {
			c.do2iBelow = max(st.DO2iThreshold-r.Value, 0)
			st.NadirDO2i.lower(r.Value, r.Time, channel.DerivedDO2i, 0)
		}
		c.mapLow = used(RoleMAP) && roles[RoleMAP].Value < lim.MAPLow
		c.svo2Low = used(RoleSvO2) && roles[RoleSvO2].Value < lim.SvO2Low
		c.outletHigh = used(RoleArterialOutlet) && roles[RoleArterialOutlet].Value >= lim.OutletHigh
		if r := readings[channel.DerivedAVGradient]; r.OK() {
			outlet := math.NaN()
			if used(RoleArterialOutlet) {
				outlet = roles[RoleArterialOutlet].Value
			}
			band := physio.GuidelineAVGradientBand
			band.Cooling, band.Rewarming = lim.AVGradientHigh, lim.AVGradientHigh
			c.gradHigh = physio.AVGradientOutside(r.Value, outlet, band)
		}
	}
	if onPump {
		if h := &roles[RoleHct]; h.Used() {
			st.NadirHct.lower(h.Value, h.Time, h.Channel, h.Source)
		}
		for _, id := range coreTemps {
			if r := &p.ch[id].latest; r.Quality == channel.OK && r.Time != 0 && !p.stale(id, r.Time, now) {
				st.LowestTemp.lower(r.Value, r.Time, id, r.Source)
			}
		}
	}
	*prev = c
}

// StatsCheckpoint is the case statistics' whole state after a publish:
// what they counted so far and what that publish saw. A replay that
// rebuilds a case quickly (stepping coarsely up to a point) restores the
// checkpoint a second-by-second pass took at that point, so the statistics
// it goes on with are exact.
type StatsCheckpoint struct {
	stats CaseStats
	prev  statConditions
}

// Stats returns the statistics the checkpoint holds.
func (c StatsCheckpoint) Stats() CaseStats { return c.stats }

// Time is the time of the publish the checkpoint was taken after, Unix ns.
func (c StatsCheckpoint) Time() int64 { return c.prev.time }

// StatsCheckpoint returns the statistics' state after the last publish.
// Call it on the consumer's goroutine (after Step), never while Run is
// active.
func (p *Pipeline) StatsCheckpoint() StatsCheckpoint {
	return StatsCheckpoint{stats: p.stats, prev: p.prevCond}
}

// RestoreStats replaces the statistics' state with c, as if the publishes
// up to c.Time() had been those of the pass that took it. Call it on the
// consumer's goroutine right after the Step at c.Time(), never while Run
// is active; the next publish counts on from c, against the limits c was
// counted with (take it from a pipeline with the same settings).
func (p *Pipeline) RestoreStats(c StatsCheckpoint) {
	p.stats, p.prevCond = c.stats, c.prev
}

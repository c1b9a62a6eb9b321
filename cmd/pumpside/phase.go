package main

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

var phases = [timeline.NumPhases]alarms.Phase{
	timeline.Unknown: alarms.PhaseUnknown, timeline.PreBypass: alarms.PreBypass, timeline.Bypass: alarms.Bypass,
	timeline.Arrest: alarms.Arrest, timeline.OffBypass: alarms.OffBypass, timeline.Weaning: alarms.Weaning,
	timeline.ACP: alarms.ACP, timeline.RCP: alarms.RCP,
}

// phaseContext puts what the case's events and newest values imply into
// the alarm context: the timeline's phase, weaning inferred from the flow
// once rewarmed (for the perfusionist to confirm), the re-dose interval of
// the last cardioplegia solution, the flow index target at the patient's
// temperature, the NIRS baseline prompt. A live session, a replay session
// and a headless replay each have one, so that they raise the same alarms.
// apply runs on the alarm goroutine; Inferred may be read from any.
type phaseContext struct {
	profile  *alarms.Profile
	consts   physio.Constants
	wean     timeline.WeaningDetector
	inferred atomic.Bool
}

func newPhaseContext(profile *alarms.Profile, consts physio.Constants) *phaseContext {
	return &phaseContext{profile: profile, consts: consts}
}

// coreTemp is the patient's core temperature: nasopharyngeal, else bladder.
func coreTemp(snap *monitor.Snapshot) (float64, bool) {
	for _, id := range [...]channel.ID{channel.TempNasopharyngeal, channel.TempBladder} {
		if r := snap.Reading(id); r.OK() {
			return r.Value, true
		}
	}
	return 0, false
}

// apply fills c from st, the timeline's state at now, and snap. An ACT
// result seen on the act.seconds channel may be later than the last act
// event: the later one counts.
func (pc *phaseContext) apply(st timeline.State, now int64, snap *monitor.Snapshot, c *alarms.Context) {
	c.Phase, c.PhaseSince = phases[st.Phase], st.PhaseSince
	if st.ECMOStart != 0 && st.ECMOStart <= now && (st.Phase == timeline.Unknown || st.Phase == timeline.PreBypass) {
		c.Phase, c.PhaseSince = alarms.ECMO, st.ECMOStart // the circuit runs (docs/ecmo.md)
	}
	c.CrossClamp = st.CrossClamp
	c.LastCardioplegia = st.LastCardioplegia
	c.LastACT = max(c.LastACT, st.LastACT)
	if r := snap.Reading(channel.ACTSeconds); r.Time > c.LastACT {
		c.LastACT = r.Time
	}
	c.Heparin = st.Heparin
	c.CardioplegiaInterval = pc.profile.RedoseInterval(st.CardioplegiaSolution)
	core, coreOK := coreTemp(snap)
	c.FlowIndexTarget = 0
	if coreOK {
		c.FlowIndexTarget = physio.TargetFlowIndex(core, pc.consts.FlowIndexTable)
	}
	fi := snap.Reading(channel.DerivedFlowIndex)
	weaning := pc.wean.Observe(now, st.Phase, fi.Value, c.FlowIndexTarget, core, fi.OK() && coreOK)
	if weaning {
		c.Phase, c.PhaseSince = alarms.Weaning, pc.wean.Since()
	}
	pc.inferred.Store(weaning)
	nirs := snap.Reading(channel.NIRSLeft).OK() || snap.Reading(channel.NIRSRight).OK()
	c.NIRSBaselineMissing = nirs && st.NIRSBaseline == 0 && (st.Phase == timeline.Unknown || st.Phase == timeline.PreBypass)
}

// do2iScaling is the alarm profile's scaling of the DO2i threshold with the
// patient's temperature (do2i_low's q10 and q10_inputs), for the console's
// DO2i tile and trend: they then show the limit the alarm judges by.
func do2iScaling(p *alarms.Profile) (q10 float64, temps []channel.ID) {
	q10, names := p.Q10Of(channel.Get(channel.DerivedDO2i).Name)
	for _, n := range names {
		if id, ok := channel.Lookup(n); ok { // the profile's loading checked them
			temps = append(temps, id)
		}
	}
	return q10, temps
}

// phaseAt is the case's phase at t: the case statistics count by it
// (monitor.Config.Phase), as the report does.
func (s *session) phaseAt(t int64) (timeline.Phase, int64) {
	st := s.tl.At(t)
	return st.Phase, st.PhaseSince
}

// Inferred reports whether the last apply inferred weaning. Any goroutine.
func (pc *phaseContext) Inferred() bool { return pc.inferred.Load() }

// nirsBaselineDefaults fills a NIRS baseline entry's missing sides with the
// oximeter's current values: pressing NIRS BASELINE before induction takes
// what the awake patient shows, as the oximeter's own baseline key does.
func nirsBaselineDefaults(e *entry.Entry, snap *monitor.Snapshot) {
	for key, id := range map[string]channel.ID{"left": channel.NIRSLeft, "right": channel.NIRSRight} {
		if _, given := e.Num[key]; given {
			continue
		}
		if r := snap.Reading(id); r.OK() {
			e.SetNum(key, math.Round(r.Value))
		}
	}
	if e.Text == "" {
		e.Text = fmt.Sprintf("NIRS baseline L %s R %s", fmtSide(e.Num, "left"), fmtSide(e.Num, "right"))
	}
}

func fmtSide(m map[string]float64, key string) string {
	if v, ok := m[key]; ok {
		return strconv.FormatFloat(v, 'f', 0, 64) + " %"
	}
	return "---"
}

// setNIRSBaselines makes a recorded NIRS baseline the baseline of the NIRS
// fall alarms.
func (s *session) setNIRSBaselines(e entry.Entry) {
	if s.runner == nil {
		return
	}
	num := func(k string) (float64, bool) { v, ok := e.Num[k]; return v, ok }
	for _, err := range applyRecorded(entry.KindNIRSBaseline, num, nil, runnerSetter{s.runner}) {
		fmt.Fprintf(s.stderr, "pumpside: NIRS baseline: %v\n", err)
	}
}

// limitSetter is the alarm engine's operator interface for limits:
// engineAt applies to an engine directly, runnerSetter queues on a runner.
type limitSetter interface {
	SetLimit(id string, limit float64) error
	SetBand(id string, low, high float64) error
	SetBaseline(id string, baseline float64) error
}

type engineAt struct {
	e   *alarms.Engine
	now time.Time
}

func (a engineAt) SetLimit(id string, v float64) error     { return a.e.SetLimit(a.now, id, v) }
func (a engineAt) SetBand(id string, lo, hi float64) error { return a.e.SetBand(a.now, id, lo, hi) }
func (a engineAt) SetBaseline(id string, v float64) error  { return a.e.SetBaseline(a.now, id, v) }

type runnerSetter struct{ r *live.Runner }

func (a runnerSetter) SetLimit(id string, v float64) error {
	_, err := a.r.SetLimit(id, v)
	return err
}
func (a runnerSetter) SetBand(id string, lo, hi float64) error {
	_, err := a.r.SetBand(id, lo, hi)
	return err
}
func (a runnerSetter) SetBaseline(id string, v float64) error {
	_, err := a.r.SetBaseline(id, v)
	return err
}

// nirsBaselineRules are the alarms a NIRS baseline entry sets the baseline
// of, by the entry's field.
var nirsBaselineRules = [...]struct{ field, rule string }{{"left", "nirs_drop_left"}, {"right", "nirs_drop_right"}}

// applyRecorded applies what an event of the case sets in the alarm engine
// beyond the phase (the timeline has that): a NIRS baseline entry the
// baselines of the NIRS fall alarms; an operator's limit change
// (limit_change, reason limit_changed) the limit or band. A replay applies
// them at their time, so that it raises the alarms the console raised. A
// baseline_set line is the engine's own note of a NIRS baseline entry and
// is not applied twice. num and str return the event's fields.
func applyRecorded(kind string, num func(string) (float64, bool), str func(string) string, set limitSetter) []error {
	var errs []error
	switch kind {
	case entry.KindNIRSBaseline:
		for _, b := range nirsBaselineRules {
			if v, ok := num(b.field); ok {
				if err := set.SetBaseline(b.rule, v); err != nil {
					errs = append(errs, err)
				}
			}
		}
	case record.KindLimitChange:
		if str == nil || str("reason") != alarms.ReasonLimitChanged.String() {
			return nil
		}
		id := str("alarm")
		lo, okLo := num("low")
		hi, okHi := num("high")
		limit, okLimit := num("limit")
		var err error
		switch {
		case okLo && okHi:
			err = set.SetBand(id, lo, hi)
		case okLimit:
			err = set.SetLimit(id, limit)
		default:
			err = fmt.Errorf("limit_change of %s: no limit", id)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

package main

import (
	"math"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// The in-line monitor check (monitor/qc, docs/qc.md) in a console: the live
// session checks every analyser result on the alarm goroutine, records the
// check as an inline_check event (at the time the result reached it) and
// sets the inline_drift condition, which the recalibration entry clears. A
// replay reads the recorded checks and recalibrations back as it reaches
// them, so it raises and clears the condition at the case times the live
// console did: it cannot recompute them, since a case file keeps a result
// at its draw time, not at the minute it arrived. A file with no recorded
// check (written without a console: pumpside sim --out) has its checks
// recomputed from the replayed pipeline.

// siteTolerances returns the check's tolerances of a site file (nil:
// the defaults).
func siteTolerances(c *site.Config) qc.Tolerances {
	if c == nil || len(c.InlineQC) == 0 {
		return qc.DefaultTolerances()
	}
	set := make(map[string][2]float64, len(c.InlineQC))
	for k, t := range c.InlineQC {
		set[k] = [2]float64{t.Abs, t.Rel}
	}
	tol, err := qc.SiteTolerances(set)
	if err != nil { // the site file refuses unknown analytes: a programmer error
		panic(err)
	}
	return tol
}

// checkInline runs the checker on snap (alarm goroutine): each new check is
// recorded and told to the condition.
func (s *session) checkInline(snap *monitor.Snapshot) {
	if s.qcCheck == nil {
		return
	}
	s.qcCheck.SetECMO(onECMO(s.ecmo, s.tl.At(snap.Time)))
	s.qcBuf = s.qcCheck.Check(s.qcBuf[:0], snap)
	for i := range s.qcBuf {
		ck := &s.qcBuf[i]
		if s.qcRecord {
			s.addEvent(ck.Time, qc.Kind, ck.Text(), qcRecordFields(ck)...)
		}
		s.drift.Checked(ck)
	}
}

// onECMO tells the check whether the run is on ECMO at the timeline state
// st: a long run (--mode ecmo, or its recorded mode) or a case whose
// timeline has an ecmo_start by then (a simulated ECMO scenario). Then
// the in-line arterial cell reads post-oxygenator blood, which no patient
// arterial sample matches (qc.ReasonECMOArterial).
func onECMO(mode bool, st timeline.State) bool { return mode || st.ECMOStart != 0 }

func qcRecordFields(ck *qc.Check) []record.Field {
	fs := ck.Fields()
	out := make([]record.Field, len(fs))
	for i, f := range fs {
		out[i] = record.Field{Key: f.Key, Num: f.Num, Str: f.Str, IsStr: f.IsStr}
	}
	return out
}

// recordedChecks reports whether the case file holds checks of its own.
func recordedChecks(c *replay.Case) bool {
	for i := range c.Events {
		if c.Events[i].Kind == qc.Kind {
			return true
		}
	}
	return false
}

// feedDrift tells d about a recorded event as a replay reaches it: a
// recalibration, and with checks a recorded check.
func feedDrift(d *qc.Drift, e *replay.Event, checks bool) {
	switch {
	case e.Kind == entry.KindInlineRecalibration:
		d.Recalibrated(e.Time)
	case e.Kind == qc.Kind && checks:
		if ck, ok := qc.FromFields(e.Time, e.Num, e.Str); ok {
			d.Checked(&ck)
		}
	}
}

// inlineRecalDefaults fills a recalibration entry's values the operator
// did not type from the analyser result of the last failed check: the
// values the in-line monitor is to be set to.
func inlineRecalDefaults(e *entry.Entry, d *qc.Drift) {
	ck, ok := d.LastFailed()
	if !ok {
		return
	}
	set := false
	for _, it := range ck.Items {
		if math.IsNaN(it.LabValue) {
			continue
		}
		key := it.Analyte.Key()
		if it.Analyte == qc.SO2 {
			continue // no field: see entry.KindInlineRecalibration
		}
		if _, typed := e.Num[key]; !typed {
			e.SetNum(key, it.LabValue)
			set = true
		}
	}
	if _, typed := e.Str["side"]; !typed && set {
		e.SetStr("side", ck.Side.String())
	}
}

package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
)

// specimenPanels maps a specimen to the channel group of its results.
var specimenPanels = map[string]string{
	"arterial": channel.PanelArterial, "venous": channel.PanelVenous, "central_venous": channel.PanelCentralVenous,
}

// specimenPrompt returns the prompt for the newest analyser result whose
// specimen was not stated (bg.*) and has not been assigned, nil if none.
func (s *session) specimenPrompt(snap *monitor.Snapshot) *ui.SpecimenPrompt {
	sample, src, ok := monitor.UnstatedResult(snap)
	if !ok || s.specimenAssigned(sample) {
		return nil
	}
	return &ui.SpecimenPrompt{Sample: sample, Source: snap.SourceName(src),
		Summary: string(monitor.AppendResultSummary(nil, snap, sample, src))}
}

// specimenAssigned reports whether the result sampled at sample has had
// its specimen stated. Any goroutine.
func (s *session) specimenAssigned(sample int64) bool {
	s.specimenMu.Lock()
	defer s.specimenMu.Unlock()
	return s.specimens[sample]
}

// markSpecimen notes that the result sampled at sample has been assigned.
// Any goroutine.
func (s *session) markSpecimen(sample int64) {
	s.specimenMu.Lock()
	defer s.specimenMu.Unlock()
	if s.specimens == nil {
		s.specimens = map[int64]bool{}
	}
	s.specimens[sample] = true
}

// assignSpecimen applies the perfusionist's statement of a result's
// specimen: an audited entry (kind specimen: which result, which specimen,
// by whom, when) and the result put on that panel's channels at its sample
// time, so that derived values and alarms use it as they would an
// analyser's. The bg.* lines stay in the record as received. GUI goroutine.
func (s *session) assignSpecimen(a ui.AssignSpecimen) {
	panel, ok := specimenPanels[a.Specimen]
	if !ok {
		s.refuse(fmt.Errorf("specimen %q: want arterial, venous or central_venous", a.Specimen))
		return
	}
	if s.specimenAssigned(a.Sample) {
		return // a second key press for the same result
	}
	snap := s.p.Latest()
	var src monitor.SourceID
	for i := range snap.Sources {
		if snap.Sources[i].Name == a.Source {
			src = monitor.SourceID(i)
		}
	}
	results := monitor.AppendAssigned(nil, snap, a.Sample, src, panel)
	if len(results) == 0 {
		s.refuse(fmt.Errorf("blood gas %s from %s: no longer the newest result, assign it on the events screen", s.clockText(a.Sample), a.Source))
		return
	}
	e := entry.Entry{Kind: entry.KindSpecimen, Time: a.Time, Who: "operator",
		Text: fmt.Sprintf("Blood gas %s from %s: specimen %s", s.clockText(a.Sample), a.Source, a.Specimen)}
	e.SetStr("specimen", a.Specimen)
	e.SetStr("target", strconv.FormatInt(a.Sample, 10))
	e.SetStr("source", a.Source)
	if err := entry.Validate(e, s.caseStart, s.clk.Now().UnixNano()); err != nil {
		s.refuse(err)
		return
	}
	ev, err := s.tl.AddUnique(timeline.Event{Time: e.Time, Kind: e.Kind, Text: e.Text})
	if err != nil {
		s.refuse(err)
		return
	}
	e.Time = ev.Time
	s.entries[e.Time] = e
	s.markSpecimen(a.Sample)
	if s.rec != nil {
		if err := s.rec.AddEvent(e.Event()); err != nil {
			fmt.Fprintf(s.stderr, "pumpside: specimen: %v\n", err)
		}
	}
	for _, r := range results {
		s.operator.Put(r)
	}
	s.lastError.Store(nil)
	s.poke()
}

// clockText is a time of day for messages and entry texts, hh:mm:ss in
// the theatre's zone with its abbreviation.
func (s *session) clockText(t int64) string {
	return time.Unix(0, t).In(s.zone()).Format("15:04:05 MST")
}

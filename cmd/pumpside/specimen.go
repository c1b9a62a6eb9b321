package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
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
		s.refuse(fmt.Errorf("blood gas %s from %s: no longer the newest result: assign it with pumpside event add CASEFILE --kind specimen --sample-time TIME --specimen %s", s.clockText(a.Sample), a.Source, a.Specimen))
		return
	}
	e := entry.Entry{Kind: entry.KindSpecimen, Time: a.Time, Who: "operator",
		Text: fmt.Sprintf("Blood gas %s from %s: specimen %s", s.clockText(a.Sample), a.Source, a.Specimen)}
	e.SetStr("specimen", a.Specimen)
	e.SetStr("sample_time", strconv.FormatInt(a.Sample, 10))
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

// specimenResult completes a specimen entry made on the command line: its
// sample_time may be RFC 3339 (it is stored in ns), and the analyser result
// it names must be on the bg.* channels of the case file at that time. It
// returns that result on the entry's panel, to append with the entry, as
// the console does (assignSpecimen).
func specimenResult(path string, e *entry.Entry) ([]monitor.Sample, error) {
	raw := e.Str["sample_time"]
	sample, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		t, perr := time.Parse(time.RFC3339Nano, raw)
		if perr != nil {
			return nil, fmt.Errorf("sample_time %q: want RFC 3339 or Unix ns", raw)
		}
		sample = t.UnixNano()
	}
	e.SetStr("sample_time", strconv.FormatInt(sample, 10))
	panel := specimenPanels[e.Str["specimen"]]
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []monitor.Sample
	rd := record.NewReader(bufio.NewReaderSize(f, 1<<20))
	var buf []record.ChannelSample
	for rd.Next() {
		en := rd.Entry()
		if en.Kind() != record.KindSamples || en.Time != sample || string(en.Measurement) != channel.PanelUnstated {
			continue
		}
		if src := en.Tag(record.TagSource); e.Str["source"] != "" && src != e.Str["source"] {
			continue
		}
		buf = en.Samples(buf[:0])
		for _, s := range buf {
			id, ok := channel.Lookup(s.Channel)
			if !ok {
				continue
			}
			if to, ok := channel.InPanel(id, panel); ok {
				out = append(out, monitor.Sample{Time: s.Time, Channel: to, Value: s.Value, Quality: s.Quality})
			}
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no analyser result without its specimen (bg.*) at %s in %s", time.Unix(0, sample).UTC().Format(time.RFC3339), path)
	}
	if e.Text == "" {
		e.Text = fmt.Sprintf("Blood gas %s: specimen %s", time.Unix(0, sample).UTC().Format("15:04:05 UTC"), e.Str["specimen"])
	}
	return out, nil
}

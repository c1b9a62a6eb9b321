package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
)

// siteConfig is the session's site configuration (Default when none was
// given).
func (s *session) siteConfig() *site.Config {
	if s.site == nil {
		return site.Default()
	}
	return s.site
}

// recordEntries applies the set-up screen's entries (case record, blood
// gas): each is checked as pumpside event add checks it, and only when all
// pass are they recorded, each as an audited entry of the operator; a
// blood gas's results go on its abg.* or vbg.* channels from the
// operator's source at its time, as an analyser's do. GUI goroutine.
func (s *session) recordEntries(a ui.RecordEntries) {
	cfg := s.siteConfig()
	model := entry.Model{Zone: cfg.Location()}
	now := s.clk.Now().UnixNano()
	es := make([]entry.Entry, 0, len(a.Entries))
	for _, e := range a.Entries {
		e = e.Clone()
		e.Who = "operator"
		entry.Normalize(&e)
		entry.CompleteCardioplegia(&e, cfg.Solutions)
		if err := model.Validate(e, s.caseStart, now); err != nil {
			s.refuse(err)
			return
		}
		es = append(es, e)
	}
	for _, e := range es {
		line := e.Event()
		ev, err := s.tl.AddUnique(timeline.Event{Time: e.Time, Kind: e.Kind, Text: line.Text})
		if err != nil {
			s.refuse(err)
			return
		}
		e.Time = ev.Time // the entry's identity, unique in the case
		s.entries[e.Time] = e
		if s.rec != nil {
			line.Time = e.Time
			if err := s.rec.AddEvent(line); err != nil {
				fmt.Fprintf(s.stderr, "pumpside: %s: %v\n", e.Kind, err)
			}
		}
		for _, r := range entry.BloodGasResults(e) {
			s.operator.Put(monitor.Sample{Time: e.Time, Channel: r.Channel, Value: r.Value, Quality: channel.OK})
		}
		s.noteRecord(e)
		if e.Kind == entry.KindSignOff {
			s.signedOff()
		}
	}
	s.lastError.Store(nil)
	s.poke()
}

// signedOff hands the case file to the site's sign-off sender once the
// writer has put the signoff line on disk (the sender builds the record
// from the file). Flush blocks, so both run on a goroutine of their own:
// the GUI goroutine never waits for the disk or the network, and
// Service.SignedOff never blocks. A case file that failed to flush is not
// sent: pumpside send sends it once the file is whole.
func (s *session) signedOff() {
	if s.sender == nil || s.rec == nil {
		return
	}
	w, svc, stderr := s.rec, s.sender, s.stderr
	go func() {
		if err := w.Flush(); err != nil && !errors.Is(err, record.ErrClosed) {
			fmt.Fprintf(stderr, "pumpside: sign-off: the case file is failing (%v): not sent; pumpside send %s sends it\n", err, w.Path())
			return
		}
		if !svc.SignedOff(w.Path()) {
			fmt.Fprintf(stderr, "pumpside: sign-off: the sender's queue is full: %s not queued now; pumpside send sends it\n", w.Path())
		}
	}()
}

// noteRecord keeps the entries the set-up screen shows (State.Record): a
// new slice each time, so a State holding the old one never sees it
// change.
func (s *session) noteRecord(e entry.Entry) {
	var cur []entry.Entry
	if p := s.record.Load(); p != nil {
		cur = *p
	}
	next := append(slices.Clip(cur), e)
	s.record.Store(&next)
}

// recordView returns the entries for State.Record.
func (s *session) recordView() []entry.Entry {
	if p := s.record.Load(); p != nil {
		return *p
	}
	return nil
}

// zone is the theatre's zone for the console.
func (s *session) zone() *time.Location { return s.siteConfig().Location() }

package main

import (
	"fmt"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// A cerebral oximeter that sends its baselines (the INVOS's PC LINK 1
// stream: nirs.left_baseline, nirs.right_baseline) has them set on the
// device, with its own key, before induction. Such a baseline is a case
// event as much as one typed on the console: the live session records a
// nirs_baseline entry (who "device") each time a device's baseline appears
// or changes, and the NIRS fall alarms take it as their baseline. A replay
// reads the entry back like any other, so it raises what the console
// raised. Only real devices are watched: the built-in case's simulated team
// enters its baseline itself.

// deviceBaselineSides are the baseline channels and the entry's fields.
var deviceBaselineSides = [2]struct {
	id    channel.ID
	field string
}{{channel.NIRSLeftBaseline, "left"}, {channel.NIRSRightBaseline, "right"}}

// deviceBaselines records a device's new NIRS baselines (alarm goroutine).
func (s *session) deviceBaselines(snap *monitor.Snapshot) {
	if s.running == nil {
		return
	}
	e := entry.Entry{Kind: entry.KindNIRSBaseline, Who: "device"}
	changed := false
	for i, side := range deviceBaselineSides {
		r := snap.Reading(side.id)
		if !r.OK() {
			continue
		}
		e.SetNum(side.field, r.Value)
		if r.Value != s.devBaseline[i] {
			changed = true
			s.devBaseline[i] = r.Value
			if r.Time > e.Time {
				e.Time = r.Time
			}
		}
	}
	if !changed {
		return
	}
	e.Text = fmt.Sprintf("NIRS baseline L %s R %s (set on the oximeter)", fmtSide(e.Num, "left"), fmtSide(e.Num, "right"))
	ev, err := s.tl.AddUnique(timeline.Event{Time: e.Time, Kind: e.Kind, Text: e.Text})
	if err != nil {
		fmt.Fprintf(s.stderr, "pumpside: the oximeter's NIRS baseline not kept: %v\n", err)
		return
	}
	e.Time = ev.Time
	if s.rec != nil {
		if err := s.rec.AddEvent(e.Event()); err != nil {
			fmt.Fprintf(s.stderr, "pumpside: the oximeter's NIRS baseline not recorded: %v\n", err)
		}
	}
	s.setNIRSBaselines(e)
	s.poke()
}

package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/report"
)

// completeFromReplay gives c what a case file another tool wrote (or
// pumpside sim --out) may lack and a replay computes: derived.* series when
// the file has none, the alarm transitions when it has no alarm line, and,
// with either, the in-line monitor checks (monitor/qc, default tolerances)
// when it has no inline_check event. A console's recording has derived
// values and an alarm log: it is not replayed for its checks alone (one
// made before the console checked has none, and the report says so).
// It replays the file's samples once, second by second, through the
// pipeline and the default alarm profile exactly as pumpside replay does,
// so that report, export and audit state the figures a replay shows
// instead of none or zeros. What the file holds is left as it is (a
// Pumpside recording keeps its own derived values and alarm log). It
// reports what it computed.
func completeFromReplay(c *report.Case, path string) (derived, alarmsDone bool, err error) {
	needDerived := true
	for name := range c.Series {
		if strings.HasPrefix(name, "derived.") {
			needDerived = false
			break
		}
	}
	needAlarms := c.AlarmLog == report.AlarmLogNone
	if !needDerived && !needAlarms {
		return false, false, nil
	}
	needChecks := !c.HasRecordedInlineChecks()
	rc, err := replay.Open(path, nil) // bad lines: reported by the first read
	if err != nil {
		return false, false, fmt.Errorf("replaying the case: %w", err)
	}
	defer rc.Close()
	n := int(floorSecond(rc.End) - floorSecond(rc.Start) + 1)
	var series [monitor.NumDerived][]report.Point
	if needDerived {
		for i := range series {
			series[i] = make([]report.Point, 0, n)
		}
	}
	var log alarmCollector
	st, err := replayWithAlarms(context.Background(), rc, &log, qc.DefaultTolerances(), func(now time.Time, snap *monitor.Snapshot) error {
		if !needDerived {
			return nil
		}
		for i := range series {
			v := math.NaN()
			if r := snap.Reading(channel.DerivedBSA + channel.ID(i)); r.OK() {
				v = r.Value
			}
			series[i] = append(series[i], report.Point{T: now.UnixNano(), V: v})
		}
		return nil
	})
	if err != nil {
		return false, false, err
	}
	if needDerived {
		for i, pts := range series {
			c.Series[channel.Get(channel.DerivedBSA+channel.ID(i)).Name] = pts
		}
	}
	if needAlarms {
		c.SetComputedAlarms(log.got)
	}
	if needChecks {
		c.SetComputedInlineChecks(st.checks)
	}
	return needDerived, needAlarms, nil
}

// alarmCollector keeps the transitions of an alarm log as the case file's
// alarm lines would hold them.
type alarmCollector struct{ got []report.Alarm }

func (a *alarmCollector) LogAlarm(e alarms.Entry) {
	if !e.IsTransition() {
		return
	}
	a.got = append(a.got, report.Alarm{T: e.Time, Alarm: e.Alarm, Priority: e.Priority.String(),
		State: e.State.TransitionName(), Reason: e.Reason.String(), Value: e.Value, Limit: e.Limit})
}

package ui

import (
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// caseStart is the synthetic case's start; the snapshot is 45 min 12 s in.
var caseStart = time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC)

// Sources of the synthetic snapshot.
const (
	srcPump monitor.SourceID = iota + 1
	srcPatient
	srcInline
	srcNIRS
	srcACT
)

// syntheticSnapshot returns a hand-built snapshot with a value on every tile
// of the monitor screen: most OK, some deliberately not (stale by age, stale
// by quality, out of range, questionable, unavailable, never sampled), and
// the "now" to show it at.
func syntheticSnapshot() (*monitor.Snapshot, time.Time) {
	t := caseStart.Add(45*time.Minute + 12*time.Second)
	now := t.UnixNano()
	ago := func(d time.Duration) int64 { return now - int64(d) }
	s := &monitor.Snapshot{
		Seq:      27120,
		Time:     now,
		Readings: make([]monitor.Reading, channel.Count),
		Sources: []monitor.SourceStatus{
			srcPump:    {Name: "S5 heart-lung machine"},
			srcPatient: {Name: "IntelliVue MX800"},
			srcInline:  {Name: "CDI 550"},
			srcNIRS:    {Name: "INVOS 5100C"},
			srcACT:     {Name: "Hemochron"},
		},
	}
	set := func(id channel.ID, v float64, age time.Duration, src monitor.SourceID, q channel.Quality) {
		s.Readings[id] = monitor.Reading{Value: v, Time: ago(age), Source: src, Quality: q}
	}
	ok := channel.OK
	// Primary tiles.
	set(channel.PumpFlow, 4.4, 300*time.Millisecond, srcPump, ok)
	set(channel.DerivedFlowIndex, 2.41, 300*time.Millisecond, 0, ok)
	set(channel.PatientMAP, 64, 800*time.Millisecond, srcPatient, ok)
	set(channel.DerivedSVR, 1055, 300*time.Millisecond, 0, channel.Stale) // an input is stale
	set(channel.DerivedDO2i, 312, 300*time.Millisecond, 0, ok)
	set(channel.InlineVenSO2, 78, 14*time.Second, srcInline, ok) // old enough to show its age
	set(channel.InlineHct, 27, 4*time.Second, srcInline, ok)
	set(channel.TempArterialOutlet, 36.5, 2*time.Second, srcPump, ok)
	// Secondary tiles.
	set(channel.PatientCVP, 6, 12*time.Second, srcPatient, ok) // past 5 s freshness: stale by age
	set(channel.PumpLinePressure, 212, time.Second, srcPump, channel.Questionable)
	// channel.ReservoirLevel: never sampled.
	set(channel.GasSweep, 2.5, 3*time.Second, srcPump, ok)
	set(channel.DerivedVCO2i, 58, 300*time.Millisecond, 0, ok)
	set(channel.DerivedDO2iVCO2i, 5.4, 300*time.Millisecond, 0, ok)
	set(channel.DerivedVO2i, 81, 300*time.Millisecond, 0, ok)
	set(channel.DerivedO2ER, 26, 300*time.Millisecond, 0, ok)
	set(channel.NIRSLeft, 62, 2*time.Second, srcNIRS, ok)
	set(channel.NIRSRight, 104, 2*time.Second, srcNIRS, ok) // above 100 %: out of range, though the device said OK
	set(channel.InlineHb, 9.1, 4*time.Second, srcInline, channel.Unavailable)
	set(channel.ACTSeconds, 486, 12*time.Minute, srcACT, ok)
	set(channel.TempVenousInlet, 35.1, 2*time.Second, srcPump, ok)
	set(channel.DerivedAVGradient, 1.4, 300*time.Millisecond, 0, ok)
	return s, t
}

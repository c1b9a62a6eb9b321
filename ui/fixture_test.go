package ui

import (
	"math"
	"sync"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui/view"
)

// caseStart is the synthetic case's start; the snapshot is 45 min 12 s in.
var caseStart = time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC)

var (
	fixtureOnce sync.Once
	fixtureSnap *monitor.Snapshot
	fixtureNow  time.Time
)

// syntheticSnapshot returns a snapshot of a synthetic case, built by the
// real pipeline from 45 min of samples (so it has a history for the
// trends), with a value on every tile: most OK, some deliberately not (stale
// by age, stale through an input, out of range, questionable, unavailable,
// never sampled), and the "now" to show it at. The snapshot is shared:
// do not modify it.
func syntheticSnapshot() (*monitor.Snapshot, time.Time) {
	fixtureOnce.Do(func() { fixtureSnap, fixtureNow = buildFixture() })
	return fixtureSnap, fixtureNow
}

func buildFixture() (*monitor.Snapshot, time.Time) {
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(caseStart), Settings: monitor.DefaultSettings()})
	if err != nil {
		panic(err)
	}
	add := func(name string) *monitor.Producer {
		pr, err := p.AddSource(name, 1<<16)
		if err != nil {
			panic(err)
		}
		return pr
	}
	pump, patient, inline := add("S5 heart-lung machine"), add("IntelliVue MX800"), add("CDI 550")
	nirs, manual := add("INVOS 5100C"), add("Hemochron")
	at := caseStart.Add(45*time.Minute + 12*time.Second)
	put := func(pr *monitor.Producer, t time.Time, id channel.ID, v float64, q channel.Quality) {
		pr.Put(monitor.Sample{Time: t.UnixNano(), Channel: id, Value: v, Quality: q})
	}
	ok := channel.OK
	put(manual, caseStart, channel.PatientHeight, 175, ok)
	put(manual, caseStart, channel.PatientWeight, 80, ok)
	onBypass := caseStart.Add(4 * time.Minute)
	for t := caseStart; !t.After(at); t = t.Add(time.Second) {
		m := t.Sub(caseStart).Minutes()
		w := math.Sin(m / 3)
		flow := 0.0
		if t.After(onBypass) {
			flow = min(4.4, (m-4)*2) + 0.05*w
		}
		cool := 36.6 - min(4.5, max(0, m-6)*0.25) + min(3, max(0, m-30)*0.3)
		put(pump, t, channel.PumpFlow, flow, ok)
		put(pump, t, channel.TempArterialOutlet, cool-0.2, ok)
		put(pump, t, channel.TempVenousInlet, cool-1.6, ok)
		put(pump, t, channel.GasSweep, 2.5, ok)
		put(pump, t, channel.GasFiO2, 60, ok)
		put(patient, t, channel.TempNasopharyngeal, cool-0.9, ok)
		mapv := 68 + 6*w
		if m > 38 && m < 41 { // a dip below the low limit
			mapv = 44
		}
		put(patient, t, channel.PatientMAP, mapv, ok)
		if t.Before(at.Add(-12 * time.Second)) { // CVP stops: stale by age
			put(patient, t, channel.PatientCVP, 6+w, ok)
		}
		if t.Before(at.Add(-14 * time.Second)) { // old enough to show its age
			put(inline, t, channel.InlineVenSO2, 76+3*w, ok)
		}
		put(inline, t, channel.InlineHct, 27-2*math.Min(1, m/10), ok)
		put(inline, t, channel.InlineArtSO2, 99, ok)
		put(inline, t, channel.InlineArtPO2, 220, ok)
		put(pump, t, channel.GasExhaustCO2, 30+2*w, ok)
		if flow > 0 { // the oxygenator: 10 mmHg per L/min
			put(pump, t, channel.PumpPostOxyPressure, 180+10*w, ok)
			put(pump, t, channel.PumpPreOxyPressure, 180+10*w+10*flow, ok)
		}
		put(nirs, t, channel.NIRSLeft, 62+4*w, ok)
		put(nirs, t, channel.NIRSRight, 64+3*w, ok)
		if t.Equal(at) {
			put(pump, t, channel.PumpLinePressure, 212, channel.Questionable)
			put(nirs, t, channel.NIRSRight, 104, ok) // above 100 %: out of range, though the device said OK
			put(inline, t, channel.InlineHb, 9.1, channel.Unavailable)
		} else {
			put(pump, t, channel.PumpLinePressure, 180+10*w, ok)
			put(inline, t, channel.InlineHb, 9.0-0.5*math.Min(1, m/10), ok)
		}
		if t.Equal(at.Add(-12 * time.Minute)) {
			put(manual, t, channel.ACTSeconds, 486, ok)
		}
		// channel.ReservoirLevel: never sampled.
		if t.Sub(caseStart)%(5*time.Second) == 0 || t.Equal(at) {
			p.Step(t)
		}
	}
	return p.Step(at), at
}

// goldenState returns the console state shown with the synthetic snapshot:
// alarms of every priority (one paused), limits, devices (one lost), the
// events of the case so far and the set-up.
func goldenState(now time.Time) *State {
	ns := now.UnixNano()
	ago := func(d time.Duration) int64 { return ns - int64(d) }
	at := func(d time.Duration) int64 { return caseStart.Add(d).UnixNano() }
	nan := math.NaN()
	return &State{
		Alarms: []AlarmView{
			{ID: "device_lost/CDI 550", Message: "CDI 550 lost", Priority: view.High, State: view.AlarmActive, Technical: true, Sounding: true, Present: true, Latching: true, Since: ago(14 * time.Second), Value: nan, Limit: nan},
			{ID: "nirs_drop_right", Message: "NIRS right out of range", Priority: view.Medium, State: view.AlarmActive, Sounding: true, Present: true, Since: ago(5 * time.Second), Value: nan, Limit: nan},
			{ID: "map_low", Message: "MAP low", Priority: view.Medium, State: view.AlarmAudioPaused, Present: false, Since: at(38 * time.Minute), PausedUntil: ns + int64(83*time.Second), Value: 44, Limit: 50, Unit: "mmHg"},
			{ID: "act_due", Message: "ACT check due", Priority: view.Low, State: view.AlarmActive, Sounding: true, Present: true, Since: ago(time.Minute), Value: nan, Limit: nan},
		},
		AlarmLog: []AlarmLogView{
			{Time: at(38*time.Minute + 10*time.Second), Alarm: "map_low", Priority: view.Medium, Transition: "active", Value: 44, Limit: 50},
			{Time: at(38*time.Minute + 40*time.Second), Alarm: "map_low", Priority: view.Medium, Transition: "audio_paused", Value: 44, Limit: 50},
			{Time: ago(14 * time.Second), Alarm: "device_lost/CDI 550", Priority: view.High, Transition: "active", Value: nan, Limit: nan},
			{Time: ago(5 * time.Second), Alarm: "nirs_drop_right", Priority: view.Medium, Transition: "active", Value: nan, Limit: nan},
			{Time: ago(time.Minute), Alarm: "act_due", Priority: view.Low, Transition: "active", Value: nan, Limit: nan},
		},
		Limits: []LimitView{
			{Channel: channel.PatientMAP, Low: 50, High: 80},
			{Channel: channel.InlineVenSO2, Low: 60, High: nan},
			{Channel: channel.TempArterialOutlet, Low: nan, High: 37},
			{Channel: channel.InlineHct, Low: 21, High: nan},
			{Channel: channel.ACTSeconds, Low: 480, High: nan},
			{Channel: channel.DerivedAVGradient, Low: nan, High: 10},
		},
		Settings: []LimitSetting{
			{Alarm: "map_low", Message: "MAP low", Unit: "mmHg", Limit: 50, Low: nan, High: nan, Min: 40, Max: 70, Step: 1},
			{Alarm: "map_high", Message: "MAP high", Unit: "mmHg", Limit: 80, Low: nan, High: nan, Min: 60, Max: 110, Step: 1},
			{Alarm: "svo2_low", Message: "SvO2 low", Unit: "%", Limit: 60, Low: nan, High: nan, Min: 50, Max: 75, Step: 1},
			{Alarm: "art_outlet_temp_high", Message: "Arterial outlet temperature high", Unit: "°C", Limit: 37, Low: nan, High: nan, Min: 35, Max: 37.5, Step: 0.1},
		},
		Devices: []DeviceView{
			{Name: "S5 heart-lung machine", Transport: "serial", State: view.DeviceRunning, Essential: true, LastData: ago(300 * time.Millisecond), FramesOK: 27012, FramesBad: 3},
			{Name: "CDI 550", Transport: "serial", State: view.DeviceDisconnected, Essential: true, LastData: ago(14 * time.Second), FramesOK: 2101, FramesBad: 12, Drops: 4, LastError: "read: port closed"},
			{Name: "IntelliVue MX800", Transport: "udp", State: view.DeviceRunning, LastData: ago(800 * time.Millisecond), FramesOK: 2712},
			{Name: "INVOS 5100C", Transport: "serial", State: view.DeviceRunning, LastData: ago(2 * time.Second), FramesOK: 2700},
		},
		Events: []EventView{ // oldest first
			{ID: "1", Kind: view.EventBypassOn, Time: at(4 * time.Minute)},
			{ID: "2", Kind: view.EventClampOn, Time: at(9 * time.Minute)},
			{ID: "3", Kind: view.EventCardioplegia, Time: at(10 * time.Minute), Text: "1000 mL 4:1"},
			{ID: "4", Kind: view.EventCardioplegia, Time: at(31 * time.Minute), Text: "300 mL"},
			{ID: "5", Kind: view.EventACT, Time: at(33*time.Minute + 12*time.Second), Text: "486 s", Value: 486},
			{ID: "6", Kind: view.EventDrug, Time: at(39 * time.Minute), Text: "phenylephrine 100 µg"},
			{ID: "7", Kind: view.EventNote, Time: at(42 * time.Minute), Text: "wrong patient entry", Void: true},
		},
		Setup: &SetupView{HeightCm: 175, WeightKg: 80, AgeYears: 67, Sex: 2, HctPre: 40, PrimeML: 1400, CardioplegiaML: 500},
	}
}

package view

import (
	"image"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui/theme"
)

// TestRewarmRateTileIsTheAlarms: the rewarming rate on the arterial
// outlet's tile is the value rewarm_rate_high evaluates on the same
// snapshot (derived.rewarm_rate, one computation), and "no value" when
// there is none, as the alarm has none.
func TestRewarmRateTileIsTheAlarms(t *testing.T) {
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	src, err := p.AddSource("sim", 1<<12)
	require.NoError(t, err)
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
	require.NoError(t, err)
	ctx := alarms.Context{Phase: alarms.Bypass, PhaseSince: start.UnixNano()}
	th := theme.NewDark()
	s := NewScreens(Options{CaseStart: start, Zone: time.UTC})

	// alarmValue is what rewarm_rate_high evaluated last.
	alarmValue := func() float64 {
		for _, a := range eng.AppendStatus(nil, true) {
			if a.Alarm == "rewarm_rate_high" {
				return a.Value
			}
		}
		t.Fatal("no rewarm_rate_high in the default profile")
		return 0
	}
	step := func(at time.Time) *monitor.Snapshot {
		snap := p.Step(at)
		eng.Eval(at, snap, &ctx)
		layoutScreens(s, th, snap, nil, at, image.Pt(1920, 1080))
		return snap
	}

	// Rewarming: the nasopharynx from 33 °C at 0.6 °C/min with a little
	// noise, the outlet at 34 °C (above the limit's 30 °C gate).
	var at time.Time
	valid := 0
	for i := range 6 * 60 {
		at = start.Add(time.Duration(i) * time.Second)
		naso := 33 + 0.6*float64(i)/60 + 0.05*math.Sin(float64(i)/7)
		src.Put(monitor.Sample{Time: at.UnixNano(), Channel: channel.TempNasopharyngeal, Value: naso, Quality: channel.OK})
		src.Put(monitor.Sample{Time: at.UnixNano(), Channel: channel.TempArterialOutlet, Value: 34, Quality: channel.OK})
		snap := step(at)
		note := s.Monitor.Note(channel.TempArterialOutlet)
		v := alarmValue()
		if math.IsNaN(v) {
			// Under half the 5 min window of history: no rate, for either.
			require.Equal(t, "rewarm no value", note, "second %d", i)
			require.Less(t, i, 200, "a rate once 2.5 min of history are in")
			continue
		}
		valid++
		require.Equal(t, snap.Reading(channel.DerivedRewarmRate).Value, v, "second %d", i)
		want := "rewarm +" + strconv.FormatFloat(v, 'f', 2, 64) + " °C/min"
		require.Equal(t, want, note, "second %d", i)
	}
	require.Greater(t, valid, 150)
	v := alarmValue()
	assert.InDelta(t, 0.6, v, 0.05)
	assert.Equal(t, "rewarm +"+strconv.FormatFloat(v, 'f', 2, 64)+" °C/min", s.Monitor.Note(channel.TempArterialOutlet))

	// The alarm limit in force shows first, as on every tile.
	st := &State{Limits: []LimitView{{Channel: channel.TempArterialOutlet, Low: math.NaN(), High: 37}}}
	layoutScreens(s, th, p.Latest(), st, at, image.Pt(1920, 1080))
	assert.Equal(t, "high 37.0  rewarm +"+strconv.FormatFloat(v, 'f', 2, 64)+" °C/min", s.Monitor.Note(channel.TempArterialOutlet))

	// The core temperature stops: the rate goes stale with it (past the
	// temperature's 30 s freshness), on the tile and for the alarm.
	for range 35 {
		at = at.Add(time.Second)
		src.Put(monitor.Sample{Time: at.UnixNano(), Channel: channel.TempArterialOutlet, Value: 34, Quality: channel.OK})
		step(at)
	}
	assert.True(t, math.IsNaN(alarmValue()))
	assert.Equal(t, "rewarm no value", s.Monitor.Note(channel.TempArterialOutlet))
}

// TestRewarmRateTrend: the rate is one of the channels a trend cycles
// through, on the temperatures' scale group, its 0.5 °C/min limit inside
// the scale.
func TestRewarmRateTrend(t *testing.T) {
	i := slices.IndexFunc(TrendChannels, func(s TrendSpec) bool { return s.Channel == channel.DerivedRewarmRate })
	require.GreaterOrEqual(t, i, 0)
	spec := TrendChannels[i]
	assert.Equal(t, theme.Temperature, spec.Group)
	assert.True(t, spec.Lo < 0 && spec.Hi > 0.5, "cooling below 0, the limit inside: %v", spec)
}

package view

import (
	"image"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
)

// TestDO2iThresholdIsTheAlarms: with the default profile's scaling
// (do2i_low: q10 = 2 from the nasopharyngeal, else bladder, temperature)
// the DO2i tile's threshold is the limit do2i_low judges the same snapshot
// by. Worked example: 280 × 2^((28 − 37)/10) = 150.0 at 28 °C, where a
// DO2i of 200 is no alert; 280 × 2^((36 − 37)/10) = 261.2 at 36 °C, where
// it is; 280 at 37 °C and above.
func TestDO2iThresholdIsTheAlarms(t *testing.T) {
	prof := alarms.DefaultProfile()
	q10, names := prof.Q10Of("derived.do2i")
	require.Equal(t, 2.0, q10)
	var temps []channel.ID
	for _, n := range names {
		id, ok := channel.Lookup(n)
		require.True(t, ok, n)
		temps = append(temps, id)
	}
	eng, err := alarms.New(prof, alarms.Options{})
	require.NoError(t, err)
	ctx := alarms.Context{Phase: alarms.Bypass, PhaseSince: start.UnixNano()}
	alarmLimit := func() float64 {
		for _, a := range eng.AppendStatus(nil, true) {
			if a.Alarm == "do2i_low" {
				return a.Limits.Limit
			}
		}
		t.Fatal("no do2i_low")
		return 0
	}
	th := theme.NewDark()
	s := NewScreens(Options{CaseStart: start, DO2iQ10: q10, DO2iQ10Inputs: temps})
	fixed := NewScreens(Options{CaseStart: start})
	at := start
	for _, tc := range []struct {
		temp  float64
		limit float64
		note  string
		alert bool
	}{
		{28, 150.048, "threshold 150 at 28.0 °C", false},
		{36, 261.249, "threshold 261 at 36.0 °C", true},
		{37.2, 280, "threshold 280", true},
	} {
		at = at.Add(2 * 60e9)
		snap := snapshot(at)
		snap.Readings[channel.DerivedDO2i].Value = 200
		snap.Readings[channel.TempNasopharyngeal].Value = tc.temp
		eng.Eval(at, snap, &ctx)
		limit := alarmLimit()
		assert.InDelta(t, tc.limit, limit, 0.001, "%v °C", tc.temp)
		layoutScreens(s, th, snap, nil, at, image.Pt(1920, 1080))
		assert.Equal(t, tc.note, s.Monitor.Note(channel.DerivedDO2i), "%v °C", tc.temp)
		shown, err := strconv.ParseFloat(tc.note[len("threshold "):len("threshold ")+3], 64)
		require.NoError(t, err)
		assert.Equal(t, math.Round(limit), shown, "the tile's threshold is the alarm's limit")
		thr, _, _ := do2iThreshold(&s.Monitor.opts, snap)
		assert.Equal(t, limit, thr, "%v °C: the same number, not only when rounded", tc.temp)
		_, alert := s.Monitor.appendNote(nil, channel.DerivedDO2i, snap, &State{}, at.UnixNano(), false)
		assert.Equal(t, tc.alert, alert, "%v °C: DO2i 200 against the threshold", tc.temp)

		// Without the profile's scaling the tile keeps the fixed threshold.
		layoutScreens(fixed, th, snap, nil, at, image.Pt(1920, 1080))
		assert.Equal(t, "threshold 280", fixed.Monitor.Note(channel.DerivedDO2i))
	}
}

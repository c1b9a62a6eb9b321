package main

import (
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui"
)

// TestAlarmsInSiteUnits: on a kPa and mg/dL site the gas and glucose
// alarms' values and limits are shown in the site's units, in the banner,
// the alarm list, the log and the limits screen (a PaO2 of 75 mmHg is
// 10.0 kPa against 13.3); a limit set there in kPa reaches the engine in
// mmHg, a bound shown rounded as the bound itself.
func TestAlarmsInSiteUnits(t *testing.T) {
	cfg := site.Default()
	cfg.Units = site.Units{Gas: site.KPa, Hb: site.GPerL, Glucose: site.MgPerDL}
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-units", profile: alarms.DefaultProfile(), stderr: io.Discard, site: cfg})
	require.NoError(t, err)
	require.NoError(t, s.sealSources(nil))
	now := builtinCaseStart.Add(20 * time.Minute)
	clk.Set(now)
	at := now.UnixNano()
	s.onAction(ui.EnterEvent{Kind: viewKinds["on_bypass"], Time: at})
	// A manual arterial gas, as the form stores it (channels' units):
	// pO2 75 mmHg, pCO2 50 mmHg, glucose 11.2 mmol/L.
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{{Kind: entry.KindBloodGas, Time: at + int64(time.Second),
		Num: map[string]float64{"po2": 75, "pco2": 50, "glucose": 11.2}, Str: map[string]string{"sample": "arterial"}}}})
	require.Empty(t, s.LastError())
	for i := range 3 {
		clk.Set(now.Add(time.Duration(2+i*10) * time.Second))
		s.p.Step(clk.Now())
		s.runner.Step()
	}
	st := s.viewState(s.runner.Status(), s.p.Latest())
	shown := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

	for _, w := range []struct{ alarm, unit, value, limit string }{
		{"abg_po2_low", "kPa", "10.0", "13.3"},   // 75 and 100 mmHg
		{"abg_pco2_band", "kPa", "6.67", "6.00"}, // 50 and 45 mmHg
		{"glucose_high", "mg/dL", "202", "180"},  // 11.2 and 10 mmol/L
	} {
		var a *ui.AlarmView
		for i := range st.Alarms {
			if st.Alarms[i].ID == w.alarm {
				a = &st.Alarms[i]
			}
		}
		require.NotNil(t, a, "%s not raised: %+v", w.alarm, st.Alarms)
		assert.Equal(t, w.unit, a.Unit, w.alarm)
		assert.Equal(t, w.value, shown(a.Value, a.Precision), w.alarm)
		assert.Equal(t, w.value, shown(a.Raised, a.Precision), w.alarm)
		assert.Equal(t, w.limit, shown(a.Limit, a.Precision), w.alarm)
		var logged bool
		for _, e := range st.AlarmLog {
			if e.Alarm == w.alarm && e.Transition == "active" {
				logged = true
				assert.Equal(t, w.value, shown(e.Value, e.Precision), "log of %s", w.alarm)
				assert.Equal(t, w.limit, shown(e.Limit, e.Precision), "log of %s", w.alarm)
			}
		}
		assert.True(t, logged, "%s in the alarm log", w.alarm)
	}

	setting := func(id string) ui.LimitSetting {
		st := s.viewState(s.runner.Status(), s.p.Latest())
		for _, l := range st.Settings {
			if l.Alarm == id {
				return l
			}
		}
		t.Fatalf("no limit setting %s", id)
		return ui.LimitSetting{}
	}
	po2 := setting("abg_po2_low")
	assert.Equal(t, "kPa", po2.Unit)
	assert.Equal(t, [4]float64{13.3, 8.0, 20.0, 0.1}, [4]float64{po2.Limit, po2.Min, po2.Max, po2.Step}, "100 mmHg within 60–150")
	assert.True(t, math.IsNaN(po2.Low) && math.IsNaN(po2.High))
	pco2 := setting("abg_pco2_band")
	assert.Equal(t, "kPa", pco2.Unit)
	assert.Equal(t, [2]float64{4.67, 6.0}, [2]float64{pco2.Low, pco2.High}, "35–45 mmHg")
	assert.Equal(t, [2]float64{3.33, 8.0}, [2]float64{pco2.Min, pco2.Max}, "25–60 mmHg")
	gl := setting("glucose_high")
	assert.Equal(t, "mg/dL", gl.Unit)
	assert.Equal(t, [4]float64{180, 144, 270, 1}, [4]float64{gl.Limit, gl.Min, gl.Max, gl.Step})

	// Limits set on the screen, in the site's units, reach the engine in
	// the channel's.
	engine := func(id string) alarms.Limits {
		for _, a := range s.runner.Status().All {
			if a.Alarm == id {
				return a.Limits
			}
		}
		t.Fatalf("no alarm %s", id)
		return alarms.Limits{}
	}
	step := func() {
		clk.Set(clk.Now().Add(time.Second))
		s.runner.Step()
	}
	s.onAction(ui.ChangeLimit{Alarm: "abg_po2_low", Limit: 20.0, Low: math.NaN(), High: math.NaN(), Time: clk.Now().UnixNano()})
	step()
	assert.Equal(t, 150.0, engine("abg_po2_low").Limit, "the top of the range, shown as 20.0 kPa")
	assert.Equal(t, 20.0, setting("abg_po2_low").Limit)
	s.onAction(ui.ChangeLimit{Alarm: "abg_po2_low", Limit: 13.4, Low: math.NaN(), High: math.NaN(), Time: clk.Now().UnixNano()})
	step()
	assert.InDelta(t, 13.4/site.KPaPerMMHg, engine("abg_po2_low").Limit, 1e-9)
	assert.Equal(t, 13.4, setting("abg_po2_low").Limit)
	s.onAction(ui.ChangeLimit{Alarm: "abg_pco2_band", Limit: math.NaN(), Low: 4.5, High: 6.5, Time: clk.Now().UnixNano()})
	step()
	l := engine("abg_pco2_band")
	assert.InDelta(t, 4.5/site.KPaPerMMHg, l.Low, 1e-9)
	assert.InDelta(t, 6.5/site.KPaPerMMHg, l.High, 1e-9)
	s.onAction(ui.ChangeLimit{Alarm: "glucose_high", Limit: 198, Low: math.NaN(), High: math.NaN(), Time: clk.Now().UnixNano()})
	step()
	assert.InDelta(t, 198/site.MgPerDLPerMmolPerL, engine("glucose_high").Limit, 1e-9)
	assert.Equal(t, 198.0, setting("glucose_high").Limit)
}

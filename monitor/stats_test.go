package monitor

import (
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// TestCaseStats runs an 11-minute case second by second: a minute before
// bypass (pump stopped, MAP low: nothing may count), ten minutes on bypass
// with scripted excursions, then off bypass.
func TestCaseStats(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	between := func(sec, from, to int) bool { return sec >= from && sec < to }
	pick := func(cond bool, a, b float64) float64 {
		if cond {
			return a
		}
		return b
	}
	var s *Snapshot
	for sec := 0; sec <= 700; sec++ {
		at := time.Duration(sec) * time.Second
		tp.putCase(at, channel.PumpFlow, channel.InlineHb, channel.PatientMAP, channel.InlineVenSO2, channel.TempArterialOutlet, channel.TempVenousInlet)
		onBypass := between(sec, 60, 660)
		tp.put("pump", channel.PumpFlow, at, pick(onBypass, 4.4, 0))
		tp.put("cdi", channel.InlineHb, at, pick(sec < 360, 8, 9.5))
		tp.put("monitor", channel.PatientMAP, at, pick(sec < 240, 45, 65))
		tp.put("cdi", channel.InlineVenSO2, at, pick(between(sec, 100, 220), 55, 72))
		outlet, venous := 36.0, 33.0
		switch {
		case between(sec, 300, 360):
			outlet = 37.5
		case between(sec, 400, 460):
			venous = 25 // gradient 11 °C
		}
		tp.put("heater", channel.TempArterialOutlet, at, outlet)
		tp.put("heater", channel.TempVenousInlet, at, venous)
		tp.put("cdi", channel.InlineHct, at, pick(between(sec, 500, 510), 22, pick(sec < 30, 20, 27)))
		tp.put("monitor", channel.TempNasopharyngeal, at, pick(between(sec, 200, 260), 28, pick(sec < 30, 25, 34)))
		s = tp.step(at)
	}
	st := s.Stats
	in := casePhysioInputs()
	in.Hb = 8
	low := physio.Compute(in, tp.Settings().Constants).DO2i
	if low >= 280 {
		t.Fatalf("test set-up: DO2i %v should be below 280", low)
	}
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"OnBypass", st.OnBypass, 600 * time.Second},
		{"DO2iBelow", st.DO2iBelow, 300 * time.Second},
		{"MAPBelow", st.MAPBelow, 180 * time.Second},
		{"SvO2Below", st.SvO2Below, 120 * time.Second},
		{"OutletHigh", st.OutletHigh, 60 * time.Second},
		// +4.5 °C at 300–360 (outlet ≥ 30 °C: beyond +4) and +11 °C at 400–460
		{"AVGradientHigh", st.AVGradientHigh, 120 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if want := (280 - low) * 5; !near(st.DO2iAreaBelow, want, 1e-6) {
		t.Errorf("DO2iAreaBelow = %v, want %v mL/min/m² × min", st.DO2iAreaBelow, want)
	}
	if !near(st.NadirDO2i.Value, low, 1e-9) || st.NadirDO2i.Time != t0.Add(60*time.Second).UnixNano() || st.NadirDO2i.Channel != channel.DerivedDO2i {
		t.Errorf("NadirDO2i %+v, want %v at 60 s (not the 0 of the stopped pump)", st.NadirDO2i, low)
	}
	if st.NadirHct.Value != 22 || st.NadirHct.Channel != channel.InlineHct || s.SourceName(st.NadirHct.Source) != "cdi" ||
		st.NadirHct.Time != t0.Add(500*time.Second).UnixNano() {
		t.Errorf("NadirHct %+v", st.NadirHct)
	}
	if st.LowestTemp.Value != 28 || st.LowestTemp.Channel != channel.TempNasopharyngeal || st.LowestTemp.Time != t0.Add(200*time.Second).UnixNano() {
		t.Errorf("LowestTemp %+v", st.LowestTemp)
	}
	if st.DO2iThreshold != 280 || st.Limits != DefaultSettings().Limits {
		t.Errorf("limits %+v %v", st.Limits, st.DO2iThreshold)
	}
}

// TestStatsGaps: intervals without a usable value count for nothing, and a
// long silence between publishes counts for at most StatsMaxStep.
func TestStatsGaps(t *testing.T) {
	tp := newTest(t, nil, allSources...)
	tp.putCase(0)
	tp.put("monitor", channel.PatientMAP, 0, 40)
	tp.step(0)
	s := tp.step(time.Hour) // everything stale by now
	if s.Stats.MAPBelow != 2*time.Second || s.Stats.OnBypass != 2*time.Second {
		t.Fatalf("one hour between publishes counted %v / %v, want StatsMaxStep", s.Stats.MAPBelow, s.Stats.OnBypass)
	}
	s = tp.step(time.Hour + time.Second)
	if s.Stats.OnBypass != 2*time.Second {
		t.Fatalf("stale flow counted as bypass: %v", s.Stats.OnBypass)
	}
	// Time running backwards (a replay seek) counts nothing.
	tp.putCase(time.Hour + 2*time.Second)
	tp.step(time.Hour + 2*time.Second)
	s = tp.step(time.Hour)
	if s.Stats.OnBypass != 2*time.Second {
		t.Fatalf("backwards step counted: %v", s.Stats.OnBypass)
	}
}

func TestExtremum(t *testing.T) {
	var e Extremum
	if e.Valid() {
		t.Fatal("zero Extremum valid")
	}
	e.lower(5, 10, channel.InlineHct, 1)
	e.lower(6, 20, channel.InlineHct, 1)
	e.lower(4, 30, channel.ABGHct, 2)
	if !e.Valid() || e.Value != 4 || e.Time != 30 || e.Channel != channel.ABGHct || e.Source != 2 {
		t.Fatalf("%+v", e)
	}
}

// TestRestoreStats: a pipeline stepped coarsely (every 30 s) up to a point,
// which then restores the checkpoint a second-by-second pass took there and
// goes on a second at a time, ends with exactly the statistics of the
// second-by-second pass.
func TestRestoreStats(t *testing.T) {
	feed := func(tp *testPipeline, sec int) {
		at := time.Duration(sec) * time.Second
		tp.putCase(at, channel.PumpFlow, channel.PatientMAP, channel.TempArterialOutlet)
		flow := 0.0
		if sec >= 60 && sec < 660 {
			flow = 4.4
		}
		tp.put("pump", channel.PumpFlow, at, flow)
		tp.put("monitor", channel.PatientMAP, at, 40+float64(sec%47))
		tp.put("heater", channel.TempArterialOutlet, at, 36.5+float64(sec%7)/7)
	}
	fine := newTest(t, func(s *Settings) { s.StatsMaxStep = time.Minute }, allSources...)
	var cp StatsCheckpoint
	var want CaseStats
	for sec := 0; sec <= 700; sec++ {
		feed(fine, sec)
		want = fine.step(time.Duration(sec) * time.Second).Stats
		if sec == 300 {
			cp = fine.StatsCheckpoint()
		}
	}
	if cp.Time() != t0.Add(300*time.Second).UnixNano() {
		t.Fatalf("checkpoint at %v", cp.Time())
	}

	coarse := newTest(t, func(s *Settings) { s.StatsMaxStep = time.Minute }, allSources...)
	var got CaseStats
	for sec := 0; sec <= 700; sec++ {
		feed(coarse, sec)
		if sec < 300 && sec%30 != 0 {
			continue // samples go in, no publish: the coarse part of a seek
		}
		got = coarse.step(time.Duration(sec) * time.Second).Stats
		if sec == 300 {
			if coarse.StatsCheckpoint() == cp {
				t.Fatal("test set-up: the coarse pass must differ before the restore")
			}
			coarse.RestoreStats(cp)
		}
	}
	if got != want {
		t.Errorf("after the restore:\n got %+v\nwant %+v", got, want)
	}
}

// With the case timeline (Config.Phase), the figures of perfusion count on
// full bypass only: a deep hypothermic circulatory arrest (flow 0 on
// purpose) adds no DO2i nadir of 0 and no minutes of low MAP, while the
// arrest's temperature is the case's lowest (issue 16, one definition of
// "on bypass" with the report).
func TestCaseStatsFollowThePhase(t *testing.T) {
	set := DefaultSettings()
	set.HistoryDuration = time.Hour
	clk := clock.NewManual(t0)
	phase := func(ts int64) timeline.Phase {
		switch sec := (ts - t0.UnixNano()) / 1e9; {
		case sec < 60:
			return timeline.PreBypass
		case sec < 300, sec >= 400 && sec < 600:
			return timeline.Bypass
		case sec < 400:
			return timeline.Arrest
		}
		return timeline.OffBypass
	}
	p, err := New(Config{Clock: clk, Settings: set, Phase: phase})
	if err != nil {
		t.Fatal(err)
	}
	tp := &testPipeline{Pipeline: p, t: t, clk: clk, src: map[string]*Producer{}}
	for _, name := range allSources {
		pr, err := p.AddSource(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		tp.src[name] = pr
	}
	var s *Snapshot
	for sec := 0; sec <= 660; sec++ {
		at := time.Duration(sec) * time.Second
		arrest := sec >= 300 && sec < 400
		tp.putCase(at, channel.PumpFlow, channel.PatientMAP, channel.TempNasopharyngeal)
		flow, mapv, naso := 4.4, 65.0, 32.0
		if arrest {
			flow, mapv, naso = 0, 12, 18
		}
		tp.put("pump", channel.PumpFlow, at, flow)
		tp.put("monitor", channel.PatientMAP, at, mapv)
		tp.put("monitor", channel.TempNasopharyngeal, at, naso)
		s = tp.step(at)
	}
	st := s.Stats
	if st.OnBypass != 440*time.Second {
		t.Errorf("OnBypass = %v, want 440 s of full flow", st.OnBypass)
	}
	if st.MAPBelow != 0 {
		t.Errorf("MAPBelow = %v: the arrest's MAP counted", st.MAPBelow)
	}
	if !st.NadirDO2i.Valid() || st.NadirDO2i.Value < 100 {
		t.Errorf("NadirDO2i = %+v: the arrest's zero flow counted", st.NadirDO2i)
	}
	if st.LowestTemp.Value != 18 {
		t.Errorf("LowestTemp = %+v, want the arrest's 18 °C", st.LowestTemp)
	}
}

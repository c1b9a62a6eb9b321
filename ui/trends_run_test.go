package ui

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui/view"
)

// runStart is the start of the synthetic 3-day run (an ECMO run).
var runStart = time.Date(2026, 11, 3, 6, 0, 0, 0, time.UTC)

// The excursions of the synthetic run: a 30-s MAP dip that raised map_low,
// a 1-min arterial outlet temperature rise, and 2 hours without the patient
// monitor.
var (
	runDip     = runStart.Add(55*time.Hour + 17*time.Minute)
	runHot     = runStart.Add(62*time.Hour + 40*time.Minute)
	runGapFrom = runStart.Add(40 * time.Hour)
	runGapTo   = runStart.Add(42 * time.Hour)
)

// longRunSnapshot is a 3-day run through the real pipeline, a value every
// 10 s of each channel: far beyond the 1 Hz history (12 h), so the trends
// over 24 h and the whole run come from the trend levels.
func longRunSnapshot() (*monitor.Snapshot, time.Time) {
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(runStart), Settings: monitor.DefaultSettings()})
	if err != nil {
		panic(err)
	}
	pump, _ := p.AddSource("pump", 1024)
	mon, _ := p.AddSource("monitor", 1024)
	inline, _ := p.AddSource("inline", 1024)
	manual, _ := p.AddSource("manual", 1024)
	put := func(pr *monitor.Producer, t time.Time, id channel.ID, v float64) {
		pr.Put(monitor.Sample{Time: t.UnixNano(), Channel: id, Value: v, Quality: channel.OK})
	}
	put(manual, runStart, channel.PatientHeight, 175)
	put(manual, runStart, channel.PatientWeight, 80)
	end := runStart.Add(72 * time.Hour)
	var snap *monitor.Snapshot
	for t := runStart; !t.After(end); t = t.Add(10 * time.Second) {
		h := t.Sub(runStart).Hours()
		day := math.Sin(2 * math.Pi * h / 24)
		put(pump, t, channel.PumpFlow, 4.2+0.2*day)
		temp := 36.8 + 0.2*day
		if !t.Before(runHot) && t.Before(runHot.Add(time.Minute)) {
			temp = 38.6 // a heater fault, one minute
		}
		put(pump, t, channel.TempArterialOutlet, temp)
		if t.Before(runGapFrom) || !t.Before(runGapTo) {
			mapv := 68 + 6*day + 2*math.Sin(h*7)
			if !t.Before(runDip) && t.Before(runDip.Add(30*time.Second)) {
				mapv = 38
			}
			put(mon, t, channel.PatientMAP, mapv)
			put(mon, t, channel.TempNasopharyngeal, temp-0.4)
		}
		put(inline, t, channel.InlineVenSO2, 72+4*math.Sin(h/5))
		put(inline, t, channel.InlineHct, 29-2*math.Min(1, h/30)+1.5*math.Max(0, math.Min(1, (h-50)/0.5)))
		put(inline, t, channel.InlineHb, 9.5)
		put(inline, t, channel.InlineArtSO2, 99)
		put(inline, t, channel.InlineArtPO2, 220)
		snap = p.Step(t)
	}
	return snap, end
}

// TestGoldenLongRun: the trends screen over the whole of a 3-day run. The
// 30-s MAP dip, a second's worth of a 2-pixel column, is drawn to its
// depth, the one-minute temperature rise to its height, and the 2 hours
// without the monitor are a gap.
func TestGoldenLongRun(t *testing.T) {
	snap, now := longRunSnapshot()
	// What the panels draw (checked without a renderer too): the whole
	// run's MAP in 2-pixel columns of a 900-pixel plot keeps the dip to 38
	// and the 2 hours without the monitor empty.
	var d monitor.Decimated
	snap.Decimate(channel.PatientMAP, runStart.UnixNano(), now.UnixNano(), 450, &d)
	col := func(t time.Time) monitor.Column { return d.Cols[(t.UnixNano()-d.Start)/d.Step] }
	if c := col(runDip); c.N == 0 || c.Min != 38 {
		t.Fatalf("the dip's column (res %v, step %v) is %+v, want min 38", d.Res, time.Duration(d.Step), c)
	}
	for t0 := runGapFrom.Add(time.Duration(d.Step)); t0.Before(runGapTo.Add(-time.Duration(d.Step))); t0 = t0.Add(time.Duration(d.Step)) {
		if c := col(t0); c.N != 0 {
			t.Fatalf("the gap's column at %v is %+v", t0.Sub(runStart), c)
		}
	}
	at := func(x time.Time) int64 { return x.UnixNano() }
	nan := math.NaN()
	st := &State{
		Limits: []LimitView{
			{Channel: channel.PatientMAP, Low: 50, High: 90},
			{Channel: channel.TempArterialOutlet, Low: nan, High: 38},
		},
		AlarmLog: []AlarmLogView{
			{Time: at(runDip.Add(10 * time.Second)), Alarm: "map_low", Priority: view.Medium, Transition: "active", Value: 38, Limit: 50},
			{Time: at(runHot.Add(10 * time.Second)), Alarm: "temp_art_high", Priority: view.Medium, Transition: "active", Value: 38.6, Limit: 38},
		},
	}
	for _, w := range []struct {
		name   string
		window time.Duration
	}{
		{"trends-run-1920x1080", 0},
		{"trends-24h-1920x1080", 24 * time.Hour},
	} {
		t.Run(w.name, func(t *testing.T) {
			c := NewConsole(Options{CaseStart: runStart, Zone: time.UTC})
			c.SetState(func() *State { return st })
			c.SetScreen(view.ScreenTrends)
			if !c.Screens().Trends.SetWindow(w.window) {
				t.Fatalf("no window %v", w.window)
			}
			img := renderOrSkip(t, c, snap, now, image.Pt(1920, 1080))
			path := filepath.Join("testdata", w.name+".png")
			bad := filepath.Join("testdata", w.name+"-bad.png")
			if *update {
				if err := WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
				_ = os.Remove(bad)
				return
			}
			want, err := readPNG(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if err := compare(img, want); err != nil {
				if werr := WritePNG(bad, img); werr != nil {
					t.Errorf("writing %s: %v", bad, werr)
				}
				t.Fatalf("%s: %v; got %s", path, err, bad)
			}
			_ = os.Remove(bad)
		})
	}
}

package view

import (
	"image"
	"testing"
	"time"

	"gioui.org/layout"
	"gioui.org/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/ui/theme"
)

var start = time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC)

func layoutScreens(s *Screens, th *theme.Theme, snap *monitor.Snapshot, st *State, now time.Time, sz image.Point) {
	var ops op.Ops
	gtx := layout.Context{Ops: &ops, Now: now, Constraints: layout.Exact(sz)}
	s.Layout(gtx, th, snap, st, now)
}

// snapshot returns a snapshot at t with every tile's channel fresh and OK.
func snapshot(t time.Time) *monitor.Snapshot {
	s := &monitor.Snapshot{
		Seq:      1,
		Time:     t.UnixNano(),
		Readings: make([]monitor.Reading, channel.Count),
		Sources:  []monitor.SourceStatus{1: {Name: "sim"}},
	}
	for _, spec := range append(append([]TileSpec{}, Primary...), Secondary...) {
		c := channel.Get(spec.Channel)
		s.Readings[spec.Channel] = monitor.Reading{Value: (c.Min + c.Max) / 2, Time: t.UnixNano(), Source: 1}
	}
	return s
}

func TestRequiredTiles(t *testing.T) {
	m := NewMonitor(Options{})
	for _, id := range []channel.ID{
		channel.PumpFlow, channel.DerivedFlowIndex, channel.PatientMAP, channel.DerivedSVR,
		channel.DerivedDO2i, channel.InlineVenSO2, channel.InlineHct, channel.TempArterialOutlet,
	} {
		assert.NotNil(t, m.Tile(id), id.String())
	}
}

func TestNilSnapshot(t *testing.T) {
	th := theme.NewDark()
	s := NewScreens(Options{CaseStart: start})
	m := s.Monitor
	layoutScreens(s, th, nil, nil, start, image.Pt(1280, 800))
	for _, ts := range append(append([]TileSpec{}, Primary...), Secondary...) {
		value, badge, _ := m.Tile(ts.Channel).Shown()
		assert.Equal(t, channel.NoValue, value, ts.Channel.String())
		assert.Equal(t, "NO DATA", badge, ts.Channel.String())
	}
	clock, badge, _ := s.Header()
	assert.Equal(t, "--:--:--", clock)
	assert.Equal(t, "WAITING FOR DATA", badge)

	// The pipeline's first snapshot, published before any data.
	empty := &monitor.Snapshot{Time: start.UnixNano(), Readings: make([]monitor.Reading, channel.Count)}
	layoutScreens(s, th, empty, nil, start, image.Pt(1280, 800))
	value, tbadge, _ := m.Tile(channel.PumpFlow).Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "NO DATA", tbadge)
	clock, badge, _ = s.Header()
	assert.Equal(t, "00:00:00", clock)
	assert.Equal(t, "WAITING FOR DATA", badge)
}

func TestLiveAndStoppedFeed(t *testing.T) {
	th := theme.NewDark()
	s := NewScreens(Options{CaseStart: start})
	m := s.Monitor
	at := start.Add(time.Hour + 23*time.Minute + 45*time.Second)
	snap := snapshot(at)

	layoutScreens(s, th, snap, nil, at.Add(time.Second), image.Pt(1920, 1080))
	value, badge, _ := m.Tile(channel.DerivedSVR).Shown()
	assert.Equal(t, "5000", value)
	assert.Equal(t, "", badge)
	clock, hbadge, _ := s.Header()
	assert.Equal(t, "01:23:45", clock)
	assert.Equal(t, "", hbadge)

	// The pipeline stopped publishing: 6 s later the same snapshot is no
	// longer trusted, even for derived values that have no freshness limit.
	layoutScreens(s, th, snap, nil, at.Add(6*time.Second), image.Pt(1920, 1080))
	value, badge, _ = m.Tile(channel.DerivedSVR).Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "STALE", badge)
	_, hbadge, _ = s.Header()
	assert.Equal(t, "NO DATA UPDATE FOR 6 s", hbadge)

	// Disabled check: only the channels' own freshness applies.
	s = NewScreens(Options{CaseStart: start, StaleAfter: -1})
	m = s.Monitor
	layoutScreens(s, th, snap, nil, at.Add(6*time.Second), image.Pt(1920, 1080))
	value, _, _ = m.Tile(channel.DerivedSVR).Shown()
	assert.Equal(t, "5000", value)
	value, _, _ = m.Tile(channel.PumpFlow).Shown() // 5 s freshness
	assert.Equal(t, channel.NoValue, value)
}

// TestGeometry checks, from the smallest to the largest screen and on odd
// shapes, that tiles stay inside the window, below the header, do not
// overlap, and that numerals grow with the screen and stay large.
func TestGeometry(t *testing.T) {
	th := theme.NewDark()
	for _, series := range [][]image.Point{
		{{1280, 800}, {1680, 1050}, {1920, 1200}, {2560, 1600}}, // 16:10
		{{1366, 768}, {1920, 1080}, {2560, 1440}, {3840, 2160}}, // 16:9
	} {
		prev := 0
		for _, sz := range series {
			g, body := bodyGeometry(th, sz)
			checkGeometry(t, g, body)
			assert.Greater(t, g.PrimaryText.Value, prev, "%v: numerals must grow with the screen", sz)
			prev = g.PrimaryText.Value
			// A large value's digits are at least 7 % of the screen's
			// height: 56 px at 800, over 1.4 cm on a 15" 1280×800 panel,
			// read at 2 m (the tiles share the screen with the banner,
			// timers and six trends).
			assert.GreaterOrEqual(t, float32(g.PrimaryText.Value)*th.NumeralHeight, 0.07*float32(sz.Y), sz)
			assert.Greater(t, g.PrimaryText.Value, 4*g.PrimaryText.Label, sz)
			assert.Greater(t, g.SecondaryText.Value, 2*g.SecondaryText.Label, sz)
		}
	}
	for _, sz := range []image.Point{{1024, 768}, {800, 1280}, {4000, 600}} {
		g, body := bodyGeometry(th, sz)
		checkGeometry(t, g, body)
	}
}

// bodyGeometry lays the monitor out in the body a window of size sz gives
// it, as Screens does.
func bodyGeometry(th *theme.Theme, sz image.Point) (Geometry, image.Rectangle) {
	s := NewScreens(Options{})
	layoutScreens(s, th, nil, nil, start, sz)
	return *s.Monitor.Geometry(), s.Rects().Body
}

func checkGeometry(t *testing.T, g Geometry, body image.Rectangle) {
	t.Helper()
	sz := body.Size()
	all := append(append([]image.Rectangle{}, g.Primary...), g.Secondary...)
	require.Len(t, all, len(Primary)+len(Secondary))
	for i, r := range all {
		assert.True(t, r.In(body), "%v: tile %d %v outside the body", sz, i, r)
		assert.False(t, r.Overlaps(g.Timers), "%v: tile %d %v under the timers", sz, i, r)
		assert.False(t, r.Overlaps(g.Trends), "%v: tile %d %v over the trends", sz, i, r)
		assert.False(t, r.Empty(), "%v: tile %d empty", sz, i)
		for j := range i {
			assert.False(t, r.Overlaps(all[j]), "%v: tiles %d and %d overlap", sz, i, j)
		}
	}
}

// TestLayoutAllocs: once warm, a whole frame allocates nothing, as values,
// ages and the case time change.
func TestLayoutAllocs(t *testing.T) {
	th := theme.NewDark()
	s := NewScreens(Options{CaseStart: start})
	st := richState(start.Add(time.Hour))
	st.Alarms = nil // flashing is tested elsewhere; here the tiles
	var ops op.Ops
	gtx := layout.Context{Ops: &ops, Constraints: layout.Exact(image.Pt(1920, 1080))}
	at := start.Add(time.Hour)
	snaps := make([]*monitor.Snapshot, 10)
	for i := range snaps {
		snaps[i] = snapshot(at.Add(time.Duration(i) * time.Second))
		for id := range snaps[i].Readings {
			snaps[i].Readings[id].Value *= 1 + float64(i)/37
		}
	}
	frame := func(i int) {
		ops.Reset()
		snap := snaps[i%len(snaps)]
		gtx.Now = time.Unix(0, snap.Time)
		s.Layout(gtx, th, snap, st, time.Unix(0, snap.Time).Add(time.Duration(i%4)*time.Second))
	}
	for i := range 200 {
		frame(i)
	}
	i := 0
	allocs := testing.AllocsPerRun(100, func() { i++; frame(i) })
	assert.Zero(t, allocs)
}

// The tiles say what a value was computed under, how the in-line monitor
// compares with the laboratory, and the blood gas by the strategy in force
// while the patient is cooled.
func TestInputNotes(t *testing.T) {
	th := theme.NewDark()
	at := start.Add(time.Hour)
	snap := snapshot(at)
	snap.Readings[channel.DerivedDO2i].Value = 300
	snap.Derived[channel.DerivedDO2i-channel.DerivedBSA].Flags = monitor.FlagSaO2FromSpO2 | monitor.FlagPaO2Omitted
	lab := at.Add(-5 * time.Minute).UnixNano()
	snap.HctCheck = monitor.InlineCheck{Lab: channel.ABGHct, LabValue: 24, LabTime: lab, Inline: 27, Diff: 3, LabPreferred: true}
	snap.HbCheck = monitor.InlineCheck{Lab: channel.ABGHb, LabValue: 8.1, LabTime: lab, Inline: 8.0, Diff: -0.1, Recalibrated: lab + 1}
	// Cooled to 28 °C; the in-line gas reads pH 7.40, PCO2 40 at 37 °C.
	for id, v := range map[channel.ID]float64{channel.TempNasopharyngeal: 28, channel.InlineArtPH: 7.40, channel.InlineArtPCO2: 40} {
		snap.Readings[id] = monitor.Reading{Value: v, Time: at.UnixNano(), Source: 1}
	}
	s := NewScreens(Options{CaseStart: start})
	layoutScreens(s, th, snap, nil, at, image.Pt(1920, 1080))
	m := s.Monitor
	assert.Equal(t, "threshold 280  SaO2 = SpO2  no PaO2: dissolved O2 omitted", m.Note(channel.DerivedDO2i))
	assert.Equal(t, "lab 24 in use, in-line +3", m.Note(channel.InlineHct))
	assert.Equal(t, "lab 8.1 at 09:10:00 UTC, in-line -0.1", m.Note(channel.InlineHb))
	assert.Equal(t, "alpha-stat pH 7.40 CO2 40 (37 °C)", m.Note(channel.TempNasopharyngeal))

	ph := NewScreens(Options{CaseStart: start, GasStrategy: physio.PHStat})
	layoutScreens(ph, th, snap, nil, at, image.Pt(1920, 1080))
	// CLSI: 7.40 + 0.0147 × 9 = 7.53; 40 × 10^(−0.171) = 27.
	assert.Equal(t, "pH-stat pH 7.53 CO2 27", ph.Monitor.Note(channel.TempNasopharyngeal))

	// Warm: no gas on the temperature tile; a flagless DO2i: the threshold.
	snap.Readings[channel.TempNasopharyngeal].Value = 36.5
	snap.Derived[channel.DerivedDO2i-channel.DerivedBSA].Flags = 0
	layoutScreens(ph, th, snap, nil, at, image.Pt(1920, 1080))
	assert.Equal(t, "", ph.Monitor.Note(channel.TempNasopharyngeal))
	assert.Equal(t, "threshold 280", ph.Monitor.Note(channel.DerivedDO2i))
}

// The oxygenator's tile group: its pressure drop and PaO2/FiO2 on the
// screen, beside its CO2 removal (VCO2i) and O2 transfer (VO2i), in as many
// tiles as the bypass console's (so the geometry is the same); the bypass
// console shows neither.
func TestOxygenatorTiles(t *testing.T) {
	th := theme.NewDark()
	oxy := OxygenatorSecondary()
	require.Len(t, oxy, len(Secondary))
	snap := snapshot(start)
	snap.Readings[channel.DerivedOxyDP] = monitor.Reading{Value: 52, Time: start.UnixNano(), Source: 1}
	snap.Readings[channel.DerivedOxyPF] = monitor.Reading{Value: 378, Time: start.UnixNano(), Source: 1}

	s := NewScreens(Options{CaseStart: start, Oxygenator: true})
	layoutScreens(s, th, snap, nil, start, image.Pt(1920, 1080))
	for id, want := range map[channel.ID]string{channel.DerivedOxyDP: "52", channel.DerivedOxyPF: "378"} {
		tile := s.Monitor.Tile(id)
		require.NotNil(t, tile, id.String())
		value, _, _ := tile.Shown()
		assert.Equal(t, want, value, id.String())
	}
	for _, id := range []channel.ID{channel.DerivedVO2i, channel.DerivedVCO2i} {
		assert.NotNil(t, s.Monitor.Tile(id), "%s: the oxygenator's O2 transfer and CO2 removal", id)
	}

	bypass := NewScreens(Options{CaseStart: start})
	assert.Nil(t, bypass.Monitor.Tile(channel.DerivedOxyDP))
	assert.Nil(t, bypass.Monitor.Tile(channel.DerivedOxyPF))
	assert.NotNil(t, bypass.Monitor.Tile(channel.DerivedDO2iVCO2i))
}

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
	"github.com/pumpside/pumpside/ui/theme"
)

var start = time.Date(2026, 11, 3, 8, 15, 0, 0, time.UTC)

func layoutMonitor(m *Monitor, th *theme.Theme, snap *monitor.Snapshot, now time.Time, sz image.Point) {
	var ops op.Ops
	gtx := layout.Context{Ops: &ops, Constraints: layout.Exact(sz)}
	m.Layout(gtx, th, snap, now)
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
	m := NewMonitor(Options{CaseStart: start})
	layoutMonitor(m, th, nil, start, image.Pt(1280, 800))
	for _, ts := range append(append([]TileSpec{}, Primary...), Secondary...) {
		value, badge, _ := m.Tile(ts.Channel).Shown()
		assert.Equal(t, channel.NoValue, value, ts.Channel.String())
		assert.Equal(t, "NO DATA", badge, ts.Channel.String())
	}
	clock, badge := m.Header()
	assert.Equal(t, "--:--:--", clock)
	assert.Equal(t, "WAITING FOR DATA", badge)

	// The pipeline's first snapshot, published before any data.
	empty := &monitor.Snapshot{Time: start.UnixNano(), Readings: make([]monitor.Reading, channel.Count)}
	layoutMonitor(m, th, empty, start, image.Pt(1280, 800))
	value, tbadge, _ := m.Tile(channel.PumpFlow).Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "NO DATA", tbadge)
	clock, badge = m.Header()
	assert.Equal(t, "00:00:00", clock)
	assert.Equal(t, "WAITING FOR DATA", badge)
}

func TestLiveAndStoppedFeed(t *testing.T) {
	th := theme.NewDark()
	m := NewMonitor(Options{CaseStart: start})
	at := start.Add(time.Hour + 23*time.Minute + 45*time.Second)
	snap := snapshot(at)

	layoutMonitor(m, th, snap, at.Add(time.Second), image.Pt(1920, 1080))
	value, badge, _ := m.Tile(channel.DerivedSVR).Shown()
	assert.Equal(t, "5000", value)
	assert.Equal(t, "", badge)
	clock, hbadge := m.Header()
	assert.Equal(t, "01:23:45", clock)
	assert.Equal(t, "", hbadge)

	// The pipeline stopped publishing: 6 s later the same snapshot is no
	// longer trusted, even for derived values that have no freshness limit.
	layoutMonitor(m, th, snap, at.Add(6*time.Second), image.Pt(1920, 1080))
	value, badge, _ = m.Tile(channel.DerivedSVR).Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "STALE", badge)
	_, hbadge = m.Header()
	assert.Equal(t, "NO DATA UPDATE FOR 6 s", hbadge)

	// Disabled check: only the channels' own freshness applies.
	m = NewMonitor(Options{CaseStart: start, StaleAfter: -1})
	layoutMonitor(m, th, snap, at.Add(6*time.Second), image.Pt(1920, 1080))
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
			var g Geometry
			g.Layout(th, sz, len(Primary), len(Secondary))
			checkGeometry(t, g, sz)
			assert.Greater(t, g.PrimaryText.Value, prev, "%v: numerals must grow with the screen", sz)
			prev = g.PrimaryText.Value
			// A large value's digits are at least a tenth of the screen's height.
			assert.GreaterOrEqual(t, float32(g.PrimaryText.Value)*th.NumeralHeight, 0.1*float32(sz.Y), sz)
			assert.Greater(t, g.PrimaryText.Value, 4*g.PrimaryText.Label, sz)
			assert.Greater(t, g.SecondaryText.Value, 2*g.SecondaryText.Label, sz)
		}
	}
	for _, sz := range []image.Point{{1024, 768}, {800, 1280}, {4000, 600}} {
		var g Geometry
		g.Layout(th, sz, len(Primary), len(Secondary))
		checkGeometry(t, g, sz)
	}
}

func checkGeometry(t *testing.T, g Geometry, sz image.Point) {
	t.Helper()
	all := append(append([]image.Rectangle{}, g.Primary...), g.Secondary...)
	require.Len(t, all, len(Primary)+len(Secondary))
	win := image.Rectangle{Max: sz}
	for i, r := range all {
		assert.True(t, r.In(win), "%v: tile %d %v outside the window", sz, i, r)
		assert.False(t, r.Overlaps(g.Header), "%v: tile %d %v under the header", sz, i, r)
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
	m := NewMonitor(Options{CaseStart: start})
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
		m.Layout(gtx, th, snap, time.Unix(0, snap.Time).Add(time.Duration(i%4)*time.Second))
	}
	for i := range 200 {
		frame(i)
	}
	i := 0
	allocs := testing.AllocsPerRun(100, func() { i++; frame(i) })
	assert.Zero(t, allocs)
}

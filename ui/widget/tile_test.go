package widget

import (
	"image"
	"testing"

	"gioui.org/layout"
	"gioui.org/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
)

func layoutTile(th *theme.Theme, ops *op.Ops, st *TileState, r monitor.Reading, now int64) {
	ops.Reset()
	gtx := layout.Context{Ops: ops, Constraints: layout.Exact(image.Pt(460, 300))}
	Tile(th, st, r, "CDI 550", now).Layout(gtx)
}

// TestTileStale lays a tile out (no GPU: layout only records operations)
// with a reading that was fresh and then is not, and checks what it showed.
func TestTileStale(t *testing.T) {
	th := theme.NewDark()
	var ops op.Ops
	st := NewTileState(channel.InlineVenSO2, theme.Oxygen)
	now := 1_000_000 * sec
	r := monitor.Reading{Value: 78, Time: now - 2*sec, Source: 1, Quality: channel.OK}

	layoutTile(th, &ops, &st, r, now)
	value, badge, age := st.Shown()
	assert.Equal(t, "78", value)
	assert.Equal(t, "", badge)
	assert.Equal(t, "", age)

	// 25 s later, with no new sample: past the 20 s freshness limit.
	layoutTile(th, &ops, &st, r, now+25*sec)
	value, badge, age = st.Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "STALE", badge)
	assert.Equal(t, "27 s ago", age)

	// Stale by quality, as the pipeline marks it.
	r.Quality = channel.Stale
	layoutTile(th, &ops, &st, r, now)
	value, badge, _ = st.Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "STALE", badge)
}

func TestTileNoData(t *testing.T) {
	th := theme.NewDark()
	var ops op.Ops
	st := NewTileState(channel.PumpFlow, theme.Flow)
	var snap *monitor.Snapshot // before the first snapshot
	layoutTile(th, &ops, &st, snap.Reading(channel.PumpFlow), 0)
	value, badge, age := st.Shown()
	assert.Equal(t, channel.NoValue, value)
	assert.Equal(t, "NO DATA", badge)
	assert.Equal(t, "", age)
}

// warmTile lays st out with every digit and every age and badge the alloc
// tests use, so that their glyphs and texts are shaped.
func warmTile(th *theme.Theme, ops *op.Ops, st *TileState, r monitor.Reading, now int64) {
	for i := range 10 {
		r.Value = float64(i) * 0.77                                  // every digit
		layoutTile(th, ops, st, r, now+int64(i)*sec)                 // ages 0-9 s: every badge and age digit
		layoutTile(th, ops, st, r, now+int64(i)*sec+int64(i)*11*sec) // ages 0-108 s
	}
}

// TestTileLayoutAllocs: once a tile's sizes and texts have been shaped,
// laying it out allocates nothing, even as its value and age change.
func TestTileLayoutAllocs(t *testing.T) {
	th := theme.NewDark()
	var ops op.Ops
	st := NewTileState(channel.PumpFlow, theme.Flow)
	now := 1_000_000 * sec
	r := monitor.Reading{Value: 4.4, Time: now, Source: 1, Quality: channel.OK}
	// Warm up: shape every digit, the badge, the source.
	warmTile(th, &ops, &st, r, now)
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		i++
		r.Value = float64(i%800) / 100
		layoutTile(th, &ops, &st, r, now+int64(i%60)*sec)
	})
	assert.Zero(t, allocs)
}

func TestGlyphsWidth(t *testing.T) {
	th := theme.NewDark()
	var g Glyphs
	g.Size(th.Numerals, 100)
	w1 := g.Width(th.Shaper, []byte("1"))
	require.Greater(t, w1, 40)
	// Tabular digits: any four digits are as wide as any other four.
	assert.Equal(t, g.Width(th.Shaper, []byte("1111")), g.Width(th.Shaper, []byte("8080")))
	assert.InDelta(t, 4*float64(th.NumeralAdvance)*100, float64(g.Width(th.Shaper, []byte("0000"))), 2)
	// Characters outside printable ASCII are drawn as '?', not dropped.
	assert.Equal(t, g.Width(th.Shaper, []byte("?")), g.Width(th.Shaper, []byte{0xc2}))
}

// TestGlyphsExtraRunes: the signs of units and limits have glyphs of their
// own; anything else outside ASCII is drawn as '?'.
func TestGlyphsExtraRunes(t *testing.T) {
	th := theme.NewDark()
	var g Glyphs
	g.Size(th.Small, 40)
	q := g.get(th.Shaper, '?')
	for _, r := range extraRunes {
		e := g.get(th.Shaper, r)
		assert.NotSame(t, q, e, string(r))
		assert.True(t, e.ink, string(r))
	}
	assert.Same(t, q, g.get(th.Shaper, 'ж'))
	// A note with them costs no allocation once drawn.
	var ops op.Ops
	gtx := layout.Context{Ops: &ops}
	note := []byte("limits 50–80 °C m² µg")
	g.Paint(gtx, th.Shaper, note, 0, 40, 1, th.Text)
	assert.Zero(t, testing.AllocsPerRun(50, func() { ops.Reset(); g.Paint(gtx, th.Shaper, note, 0, 40, 1, th.Text) }))
}

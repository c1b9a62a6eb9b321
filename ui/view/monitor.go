package view

import (
	"image"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// SafetyLine is shown permanently in the header.
const SafetyLine = "Secondary display — heart-lung machine alarms are primary"

// DefaultStaleAfter is how old a snapshot may be before the monitor stops
// trusting it: the pipeline publishes several times a second, so a snapshot
// this old means the feed has stopped.
const DefaultStaleAfter = 5 * time.Second

// Options configure the monitor screen.
type Options struct {
	// CaseStart is when the case started; the header shows the snapshot's
	// time as elapsed since then. Zero shows "--:--:--".
	CaseStart time.Time
	// StaleAfter is the age at which a snapshot counts as a stopped feed:
	// every value then shows as stale and the header says so. Zero means
	// DefaultStaleAfter; negative disables the check.
	StaleAfter time.Duration
}

// TileSpec places one channel on the screen.
type TileSpec struct {
	Channel channel.ID
	Group   theme.Group
}

// Primary are the large tiles, row by row.
var Primary = []TileSpec{
	{channel.PumpFlow, theme.Flow},
	{channel.DerivedFlowIndex, theme.Flow},
	{channel.PatientMAP, theme.Pressure},
	{channel.DerivedSVR, theme.Pressure},
	{channel.DerivedDO2i, theme.Oxygen},
	{channel.InlineVenSO2, theme.Oxygen},
	{channel.InlineHct, theme.Blood},
	{channel.TempArterialOutlet, theme.Temperature},
}

// Secondary are the small tiles under the large ones, row by row.
var Secondary = []TileSpec{
	{channel.PatientCVP, theme.Pressure},
	{channel.PumpLinePressure, theme.Flow},
	{channel.ReservoirLevel, theme.Flow},
	{channel.GasSweep, theme.CO2},
	{channel.DerivedVCO2i, theme.CO2},
	{channel.DerivedDO2iVCO2i, theme.CO2},
	{channel.DerivedVO2i, theme.Oxygen},
	{channel.DerivedO2ER, theme.Oxygen},
	{channel.NIRSLeft, theme.Oxygen},
	{channel.NIRSRight, theme.Oxygen},
	{channel.InlineHb, theme.Blood},
	{channel.ACTSeconds, theme.Blood},
	{channel.TempVenousInlet, theme.Temperature},
	{channel.DerivedAVGradient, theme.Temperature},
}

// Monitor is the monitor screen: a header and a grid of numeric tiles. Its
// state lives across frames; create it once with NewMonitor.
type Monitor struct {
	opts      Options
	primary   []widget.TileState
	secondary []widget.TileState
	size      image.Point // of the last Layout
	geom      Geometry

	clock, badge       widget.Glyphs // the case time, the header's status badge
	clockBuf, badgeBuf []byte        // their texts on the last frame
	line               widget.Line
}

// NewMonitor returns the monitor screen.
func NewMonitor(opts Options) *Monitor {
	if opts.StaleAfter == 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	m := &Monitor{opts: opts, clockBuf: make([]byte, 0, 32), badgeBuf: make([]byte, 0, 64)}
	for _, s := range Primary {
		m.primary = append(m.primary, widget.NewTileState(s.Channel, s.Group))
	}
	for _, s := range Secondary {
		m.secondary = append(m.secondary, widget.NewTileState(s.Channel, s.Group))
	}
	return m
}

// Tile returns the state of the tile showing id, or nil: tests read what a
// tile showed through it.
func (m *Monitor) Tile(id channel.ID) *widget.TileState {
	for _, ts := range [][]widget.TileState{m.primary, m.secondary} {
		for i := range ts {
			if ts[i].Channel == id {
				return &ts[i]
			}
		}
	}
	return nil
}

// FeedStale reports whether snap is too old at now to be trusted.
func (m *Monitor) FeedStale(snap *monitor.Snapshot, now time.Time) bool {
	return snap != nil && m.opts.StaleAfter > 0 && now.UnixNano()-snap.Time > int64(m.opts.StaleAfter)
}

// Geometry is where the monitor screen puts things at one window size.
type Geometry struct {
	// Scale is pixels per design pixel: the screen is designed at 1280×800
	// and scales to fill larger windows.
	Scale              float32
	Header             image.Rectangle
	Primary, Secondary []image.Rectangle // one per tile, in Primary/Secondary order
	// Text sizes in pixels of the tiles of each kind.
	PrimaryText, SecondaryText TextPx
}

// TextPx are the text sizes of a kind of tile, in pixels.
type TextPx struct{ Value, Label, Small int }

// px converts design pixels to pixels.
func (g *Geometry) px(v float32) int { return max(1, int(v*g.Scale+0.5)) }

// Layout computes the geometry of a window of size sz, reusing g's slices.
//
// Everything scales with the window, as on a fixed-function monitor and
// whatever the platform's DPI setting: text is as large as the screen
// allows, for reading from 2 m. The large tiles take four columns and the
// small ones seven (two and four on a window narrower than 5:4), a small
// row being half as high as a large one.
func (g *Geometry) Layout(th *theme.Theme, sz image.Point, nPrimary, nSecondary int) {
	g.Scale = min(float32(sz.X)/1280, float32(sz.Y)/800)
	g.Header = image.Rect(0, 0, sz.X, g.px(64))
	gap := g.px(8)
	body := image.Rect(gap, g.Header.Max.Y+gap, sz.X-gap, sz.Y-gap)
	pCols, sCols := 4, 7
	if float32(sz.X)/float32(sz.Y) < 1.25 {
		pCols, sCols = 2, 4
	}
	pRows := (nPrimary + pCols - 1) / pCols
	sRows := (nSecondary + sCols - 1) / sCols
	unitH := float32(body.Dy()-gap*(pRows+sRows-1)) / (float32(pRows) + 0.5*float32(sRows))
	pH, sH := int(unitH), int(0.5*unitH)
	var bottom int
	g.Primary, bottom = grid(g.Primary[:0], nPrimary, body.Min, body.Dx(), pH, pCols, gap)
	g.Secondary, _ = grid(g.Secondary[:0], nSecondary, image.Pt(body.Min.X, bottom+gap), body.Dx(), sH, sCols, gap)
	g.PrimaryText = g.text(th, g.Primary, 24, 16)
	g.SecondaryText = g.text(th, g.Secondary, 17, 13)
}

func (g *Geometry) text(th *theme.Theme, tiles []image.Rectangle, label, small float32) TextPx {
	t := TextPx{Label: g.px(label), Small: g.px(small)}
	if len(tiles) > 0 {
		t.Value = widget.ValuePx(th, tiles[0].Size(), t.Label, t.Small, widget.ValueChars)
	}
	return t
}

// grid appends n cells of a grid of cols columns of rows h high from at;
// it returns the bottom of the last row.
func grid(dst []image.Rectangle, n int, at image.Point, w, h, cols, gap int) ([]image.Rectangle, int) {
	tw := (w - gap*(cols-1)) / cols
	bottom := at.Y
	for i := range n {
		min := at.Add(image.Pt(i%cols*(tw+gap), i/cols*(h+gap)))
		dst = append(dst, image.Rectangle{Min: min, Max: min.Add(image.Pt(tw, h))})
		bottom = min.Y + h
	}
	return dst, bottom
}

// Layout draws the screen to fill gtx.Constraints.Max. snap may be nil
// (before the first snapshot): every tile then shows no value and the header
// says "waiting for data", as it does for the pipeline's empty first
// snapshot (Seq 0). now is on the snapshot's clock.
//
// Layout does not lock, does not read the clock and, once the sizes and
// texts have been shaped, does not allocate.
func (m *Monitor) Layout(gtx layout.Context, th *theme.Theme, snap *monitor.Snapshot, now time.Time) layout.Dimensions {
	sz := gtx.Constraints.Max
	if sz != m.size {
		m.size = sz
		m.geom.Layout(th, sz, len(m.primary), len(m.secondary))
	}
	g := &m.geom
	widget.Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, th.Background)
	feedStale := m.FeedStale(snap, now)
	m.header(gtx, th, g, snap, now, feedStale)
	m.tiles(gtx, th, m.primary, g.Primary, g.PrimaryText, snap, now, feedStale)
	m.tiles(gtx, th, m.secondary, g.Secondary, g.SecondaryText, snap, now, feedStale)
	return layout.Dimensions{Size: sz}
}

// Header returns what the header showed on the last Layout: the case time
// and the status badge ("" when none). For tests; it allocates.
func (m *Monitor) Header() (caseTime, badge string) {
	return string(m.clockBuf), string(m.badgeBuf)
}

// Geometry returns the geometry of the last Layout.
func (m *Monitor) Geometry() *Geometry { return &m.geom }

func (m *Monitor) tiles(gtx layout.Context, th *theme.Theme, tiles []widget.TileState, rects []image.Rectangle, px TextPx,
	snap *monitor.Snapshot, now time.Time, feedStale bool) {
	nowNs := now.UnixNano()
	for i := range tiles {
		ts, rect := &tiles[i], rects[i]
		r := snap.Reading(ts.Channel)
		t := widget.Tile(th, ts, r, snap.SourceName(r.Source), nowNs)
		t.FeedStale = feedStale
		t.ValuePx, t.LabelPx, t.SmallPx = px.Value, px.Label, px.Small
		st := op.Offset(rect.Min).Push(gtx.Ops)
		gtx := gtx
		gtx.Constraints = layout.Exact(rect.Size())
		t.Layout(gtx)
		st.Pop()
	}
}

// header draws the title, the status badge, the safety line and the case
// time.
func (m *Monitor) header(gtx layout.Context, th *theme.Theme, g *Geometry, snap *monitor.Snapshot, now time.Time, feedStale bool) {
	sh := th.Shaper
	sz, px := g.Header.Size(), g.px
	widget.Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, th.Header)
	rule := px(2)
	widget.Rect(gtx.Ops, image.Rect(0, sz.Y-rule, sz.X, sz.Y), 0, th.HeaderAccent)
	pad := px(16)
	mid := (sz.Y - rule) / 2

	// Title.
	ln := &m.line
	ln.Shape(sh, th.Label, px(28), "PUMPSIDE", 0)
	digitTop := ln.Ascent * 72 / 100 // caps are about 0.72 of the ascent in Go
	ln.Paint(gtx, sh, pad, mid+digitTop/2, th.Text)
	left := pad + ln.Width + pad

	// Status badge: waiting for the first snapshot (the pipeline's first,
	// Seq 0, is published empty before any data), or the feed stopped.
	m.badgeBuf = m.badgeBuf[:0]
	if snap == nil || snap.Seq == 0 || feedStale {
		bg, fg := th.Warning, th.OnWarning
		m.badgeBuf = append(m.badgeBuf[:0], "WAITING FOR DATA"...)
		if feedStale {
			bg, fg = th.Alarm, th.OnAlarm
			m.badgeBuf = append(m.badgeBuf[:0], "NO DATA UPDATE FOR "...)
			m.badgeBuf = widget.AppendDuration(m.badgeBuf, time.Duration(now.UnixNano()-snap.Time))
		}
		m.badge.Size(th.Label, px(16))
		w := m.badge.Width(sh, m.badgeBuf)
		bpad := px(10)
		h := m.badge.Ascent + m.badge.Descent
		r := image.Rect(left, mid-h/2-bpad/2, left+w+2*bpad, mid+h/2+bpad/2)
		widget.Rect(gtx.Ops, r, px(6), bg)
		m.badge.Paint(gtx, sh, m.badgeBuf, r.Min.X+bpad, mid+m.badge.DigitHeight(sh)/2, 1, fg)
		left = r.Max.X + pad
	}

	// Case time, at the right.
	m.clockBuf = m.clockBuf[:0]
	if snap == nil || m.opts.CaseStart.IsZero() {
		m.clockBuf = widget.AppendClock(m.clockBuf, -1)
	} else {
		m.clockBuf = widget.AppendClock(m.clockBuf, time.Duration(snap.Time-m.opts.CaseStart.UnixNano()))
	}
	m.clock.Size(th.Numerals, px(34))
	w := m.clock.Width(sh, m.clockBuf)
	dh := m.clock.DigitHeight(sh)
	m.clock.Paint(gtx, sh, m.clockBuf, sz.X-pad-w, mid+dh/2, 1, th.Text)
	right := sz.X - pad - w - px(10)
	ln.Shape(sh, th.Small, px(15), "CASE", 0)
	ln.Paint(gtx, sh, right-ln.Width, mid+dh/2, th.TextDim)
	right -= ln.Width + pad

	// The safety line, centred between the two; on a window too narrow
	// for it, shrunk, and only then cut.
	if room := right - left; room > 0 {
		ln.Shape(sh, th.Small, px(18), SafetyLine, 0)
		scale := float32(1)
		if ln.Width > room {
			scale = max(0.7, float32(room)/float32(ln.Width))
			if float32(ln.Width)*scale > float32(room) {
				ln.Shape(sh, th.Small, px(18), SafetyLine, int(float32(room)/scale))
			}
		}
		w := int(float32(ln.Width) * scale)
		ln.PaintScaled(gtx, sh, left+(room-w)/2, mid+int(float32(ln.Ascent*72/200)*scale), scale, th.TextDim)
	}
}

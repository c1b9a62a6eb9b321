package view

import (
	"image"
	"math"
	"time"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// TrendSpec is a channel that can be trended, with its fixed vertical
// scale: fixed so that a glance compares like with like, and the bands do
// not move.
type TrendSpec struct {
	Channel channel.ID
	Group   theme.Group
	Lo, Hi  float64
}

// TrendChannels are the channels a trend panel cycles through (click its
// title).
var TrendChannels = []TrendSpec{
	{channel.PatientMAP, theme.Pressure, 0, 120},
	{channel.DerivedFlowIndex, theme.Flow, 0, 4},
	{channel.DerivedDO2i, theme.Oxygen, 0, 600},
	{channel.InlineVenSO2, theme.Oxygen, 40, 100},
	{channel.InlineHct, theme.Blood, 10, 45},
	{channel.TempArterialOutlet, theme.Temperature, 15, 40},
	{channel.PumpFlow, theme.Flow, 0, 7},
	{channel.TempNasopharyngeal, theme.Temperature, 15, 40},
	{channel.DerivedAVGradient, theme.Temperature, -5, 15},
	{channel.DerivedRewarmRate, theme.Temperature, -1, 1},
	{channel.DerivedVCO2i, theme.CO2, 0, 120},
	{channel.DerivedDO2iVCO2i, theme.CO2, 0, 12},
	{channel.DerivedVO2i, theme.Oxygen, 0, 150},
	{channel.DerivedO2ER, theme.Oxygen, 0, 60},
	{channel.NIRSLeft, theme.Oxygen, 0, 100},
	{channel.NIRSRight, theme.Oxygen, 0, 100},
	{channel.PatientCVP, theme.Pressure, -5, 30},
	{channel.PumpLinePressure, theme.Flow, 0, 400},
	{channel.ACTSeconds, theme.Blood, 0, 1000},
	// The oxygenator.
	{channel.DerivedOxyDP, theme.Flow, 0, 200},
	{channel.DerivedOxyResistance, theme.Flow, 0, 40},
	{channel.DerivedOxyPF, theme.Oxygen, 0, 600},
	{channel.DerivedVO2, theme.Oxygen, 0, 400},
	{channel.DerivedVCO2, theme.CO2, 0, 400},
}

// DefaultTrends are the indexes in TrendChannels of the six trends shown
// first.
var DefaultTrends = [6]int{0, 1, 2, 3, 4, 5}

// TrendWindows are the selectable time windows; 0 is the whole run (the
// case, or every day of a long run: up to monitor.TrendRetention).
var TrendWindows = [...]time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour, 6 * time.Hour, 24 * time.Hour, 0}

// trendPanel is one trend: its channel (cycled by clicking the title), and
// buffers reused from frame to frame.
type trendPanel struct {
	spec  int
	title button
	dec   monitor.Decimated
	line  widget.Line
	axis  widget.Glyphs
	buf   []byte
}

// maxTrendCols bounds the columns of a panel (a 2-pixel column of a panel
// up to 2 000 pixels wide, and Decimate's two extra): the buffer is made
// once, so a frame allocates nothing.
const maxTrendCols = 1024

func newTrendPanel(spec int) trendPanel {
	return trendPanel{spec: spec, dec: monitor.Decimated{Cols: make([]monitor.Column, 0, maxTrendCols)}, buf: make([]byte, 0, 32)}
}

// Channel returns the channel the panel shows.
func (p *trendPanel) Channel() channel.ID { return TrendChannels[p.spec].Channel }

// layout draws the trend of the last window before now in r. big adds the
// time axis labels and event names.
func (p *trendPanel) layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time, window time.Duration, opts Options, big bool) {
	for p.title.clicked(gtx) {
		p.spec = (p.spec + 1) % len(TrendChannels)
	}
	spec := TrendChannels[p.spec]
	c := channel.Get(spec.Channel)
	sh := th.Shaper
	widget.Rect(gtx.Ops, r, 0, th.Tile)

	// Title: a button that cycles the channel.
	titlePx := px(14)
	if big {
		titlePx = px(18)
	}
	titleR := image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+titlePx*17/10)
	p.title.layout(gtx, th, titleR, c.Label, titlePx, th.Tile, th.Groups[spec.Group])
	disp := opts.Units.Display(c)
	p.line.Shape(sh, th.Small, titlePx*85/100, disp.Unit, 0)
	p.line.Paint(gtx, sh, titleR.Max.X-p.line.Width-px(6), titleR.Min.Y+titlePx*13/10, th.GroupsDim[spec.Group])

	axisPx := px(11)
	if big {
		axisPx = px(14)
	}
	p.axis.Size(th.Small, axisPx)
	left := r.Min.X + p.axis.Width(sh, []byte("0000")) + px(6)
	bottom := r.Max.Y - px(4)
	if big {
		bottom = r.Max.Y - axisPx*16/10
	}
	plot := image.Rect(left, titleR.Max.Y+px(4), r.Max.X-px(6), bottom)
	if plot.Dx() < 4 || plot.Dy() < 4 {
		return
	}
	nowNs := now.UnixNano()
	from := nowNs - int64(window)
	if window == 0 { // the whole run
		from = opts.CaseStart.UnixNano()
		if st.Replay != nil {
			from = st.Replay.Start
		}
		if opts.CaseStart.IsZero() && st.Replay == nil {
			from = nowNs - int64(4*time.Hour)
		}
	}
	span := float32(max(1, nowNs-from))
	yOf := func(v float64) float32 {
		f := float32((v - spec.Lo) / (spec.Hi - spec.Lo))
		f = min(1, max(0, f))
		return float32(plot.Max.Y) - f*float32(plot.Dy())
	}
	xOf := func(t int64) float32 { return float32(plot.Min.X) + float32(t-from)/span*float32(plot.Dx()) }

	// Bands: the alarm limits (normal band shaded), the DO2i threshold and
	// the flow index target (danger side shaded).
	shade := func(lo, hi float64, danger bool) {
		if math.IsNaN(lo) {
			lo = spec.Lo
		}
		if math.IsNaN(hi) {
			hi = spec.Hi
		}
		col := th.Band
		if danger {
			col = th.Danger
		}
		y0, y1 := int(yOf(hi)), int(yOf(lo))
		if y1 > y0 {
			widget.Rect(gtx.Ops, image.Rect(plot.Min.X, y0, plot.Max.X, y1), 0, col)
		}
	}
	switch spec.Channel {
	case channel.DerivedDO2i:
		thr, _, _ := do2iThreshold(&opts, snap)
		shade(math.NaN(), thr, true)
	case channel.DerivedFlowIndex:
		if t, ok := coreTemp(snap, nowNs, false); ok {
			shade(physio.TargetFlowIndex(t, opts.Constants.FlowIndexTable), math.NaN(), false)
		}
	}
	if lo, hi, ok := limitsFor(st, spec.Channel); ok {
		switch {
		case !math.IsNaN(lo) && !math.IsNaN(hi):
			shade(lo, hi, false)
		case !math.IsNaN(lo):
			shade(math.NaN(), lo, true)
		default:
			shade(hi, math.NaN(), true)
		}
	}
	// Frame and mid grid line.
	outline(gtx.Ops, plot, 1, th.Grid)
	mid := (plot.Min.Y + plot.Max.Y) / 2
	fillRect(gtx.Ops, image.Rect(plot.Min.X, mid, plot.Max.X, mid+1), th.Grid)
	p.buf = appendInt(p.buf[:0], int64(disp.Value(spec.Hi)))
	p.axis.Paint(gtx, sh, p.buf, r.Min.X+px(3), plot.Min.Y+axisPx, 1, th.TextDim)
	p.buf = appendInt(p.buf[:0], int64(disp.Value(spec.Lo)))
	p.axis.Paint(gtx, sh, p.buf, r.Min.X+px(3), plot.Max.Y, 1, th.TextDim)

	// Event markers: a vertical line at each event; on a large trend its
	// name, on one of three rows so that close events stay readable.
	k := 0
	for i := range st.Events {
		e := &st.Events[i]
		if e.Void || e.Time < from || e.Time > nowNs {
			continue
		}
		x := int(xOf(e.Time))
		fillRect(gtx.Ops, image.Rect(x, plot.Min.Y, x+max(1, px(1.5)), plot.Max.Y), th.TextDim)
		if big {
			p.line.Shape(sh, th.Small, axisPx, e.Kind.String(), 0)
			p.line.Paint(gtx, sh, x+px(3), plot.Min.Y+axisPx*12/10*(1+k%3), th.TextDim)
		}
		k++
	}
	// Alarm markers: the priority's shape and colour on the time axis where
	// an alarm became active.
	for i := range st.AlarmLog {
		e := &st.AlarmLog[i]
		if e.Transition != "active" || e.Time < from || e.Time > nowNs {
			continue
		}
		bg, _ := priorityColours(th, e.Priority)
		priorityMarker(gtx.Ops, e.Priority, f32.Pt(xOf(e.Time), float32(plot.Max.Y-px(5))), float32(px(5)), bg)
	}

	// The series in columns of about 2 px: each column's minimum and
	// maximum (monitor.Decimate: never a mean, so an excursion shows at any
	// window), joined, so that days of seconds draw in a few hundred
	// segments. The columns are whole multiples of the store's resolution:
	// the first may begin left of the plot and the last end right of it.
	cols := min(maxTrendCols-2, max(1, plot.Dx()/max(1, px(2))))
	snap.Decimate(spec.Channel, from, nowNs, cols, &p.dec)
	dc := p.dec.Cols
	colX := func(i int) float32 {
		return min(float32(plot.Max.X), max(float32(plot.Min.X), xOf(p.dec.Start+int64(i)*p.dec.Step)))
	}
	// One filled outline per run of columns with data: along the maxima
	// left to right, back along the minima, at least lw thick. A fill, not
	// a stroke: Gio strokes on the CPU and allocates per segment.
	lw := float32(max(1, px(2)))
	var path clip.Path
	path.Begin(gtx.Ops)
	drawn := false
	for i := 0; i < len(dc); {
		if dc[i].N == 0 || colX(i+1) <= colX(i) { // a gap, or outside the plot
			i++
			continue
		}
		j := i
		for j < len(dc) && dc[j].N > 0 && colX(j+1) > colX(j) {
			j++
		}
		top := func(k int) float32 { return yOf(float64(dc[k].Max)) - lw/2 }
		bot := func(k int) float32 { return max(yOf(float64(dc[k].Min))+lw/2, top(k)+lw) }
		path.MoveTo(f32.Pt(colX(i), top(i)))
		for k := i; k < j; k++ {
			path.LineTo(f32.Pt(colX(k+1), top(k)))
		}
		for k := j - 1; k >= i; k-- {
			path.LineTo(f32.Pt(colX(k+1), bot(k)))
			path.LineTo(f32.Pt(colX(k), bot(k)))
		}
		path.Close()
		drawn = true
		i = j
	}
	spec2 := path.End()
	if drawn {
		paint.FillShape(gtx.Ops, th.Groups[spec.Group], clip.Outline{Path: spec2}.Op())
	}
	if big {
		p.buf = append(p.buf[:0], '-')
		p.buf = widget.AppendDuration(p.buf, time.Duration(nowNs-from))
		p.axis.Paint(gtx, sh, p.buf, plot.Min.X, r.Max.Y-px(4), 1, th.TextDim)
		p.buf = append(p.buf[:0], "now"...)
		p.axis.Paint(gtx, sh, p.buf, plot.Max.X-p.axis.Width(sh, p.buf), r.Max.Y-px(4), 1, th.TextDim)
	}
}

// Trends is the trends screen: six panels, each cycling its channel, over a
// selectable window.
type Trends struct {
	panels  [6]trendPanel
	windows [len(TrendWindows)]button
	window  int
}

// NewTrends returns the trends screen.
func NewTrends() *Trends {
	t := &Trends{window: 1}
	for i := range t.panels {
		t.panels[i] = newTrendPanel(DefaultTrends[i])
	}
	return t
}

// Window returns the selected window (0: the whole run).
func (t *Trends) Window() time.Duration { return TrendWindows[t.window] }

// SetWindow selects the window w (one of TrendWindows; 0: the whole run)
// and reports whether it is one.
func (t *Trends) SetWindow(w time.Duration) bool {
	for i, x := range TrendWindows {
		if x == w {
			t.window = i
			return true
		}
	}
	return false
}

// Channels returns the channels shown.
func (t *Trends) Channels() []channel.ID {
	ids := make([]channel.ID, len(t.panels))
	for i := range t.panels {
		ids[i] = t.panels[i].Channel()
	}
	return ids
}

var windowLabels = [len(TrendWindows)]string{"15 min", "30 min", "60 min", "240 min", "6 h", "24 h", "WHOLE RUN"}

// Layout draws the screen in r.
func (t *Trends) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time, opts Options) {
	for i := range t.windows {
		if t.windows[i].clicked(gtx) {
			t.window = i
		}
	}
	gap := px(8)
	bh := px(40)
	bw := px(110)
	for i := range t.windows {
		br := image.Rect(r.Min.X+i*(bw+gap), r.Min.Y, r.Min.X+i*(bw+gap)+bw, r.Min.Y+bh)
		bg, fg := th.Button, th.OnButton
		if i == t.window {
			bg, fg = th.Selected, th.OnSelected
		}
		t.windows[i].layout(gtx, th, br, windowLabels[i], px(16), bg, fg)
	}
	body := image.Rect(r.Min.X, r.Min.Y+bh+gap, r.Max.X, r.Max.Y)
	cols, rows := 2, 3
	w := (body.Dx() - gap*(cols-1)) / cols
	h := (body.Dy() - gap*(rows-1)) / rows
	for i := range t.panels {
		x := body.Min.X + i%cols*(w+gap)
		y := body.Min.Y + i/cols*(h+gap)
		t.panels[i].layout(gtx, th, image.Rect(x, y, x+w, y+h), px, snap, st, now, TrendWindows[t.window], opts, true)
	}
}

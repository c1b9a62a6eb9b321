package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// trace is one line of a chart panel.
type trace struct {
	channel, label string
	color          color.RGBA
}

// panel is one strip of the timeline chart: one unit, one or more traces.
type panel struct {
	title  string
	traces []trace
}

var (
	colBlue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colOrange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colGreen  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	colRed    = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	colPurple = color.RGBA{0x94, 0x67, 0xbd, 0xff}
	colBrown  = color.RGBA{0x8c, 0x56, 0x4b, 0xff}
	colGrey   = color.RGBA{0x70, 0x70, 0x70, 0xff}
)

// timelinePanels is the chart's layout: the key trends of issue 9.
var timelinePanels = []panel{
	{"Flow (L/min)", []trace{{"pump.flow", "pump flow", colBlue}}},
	{"MAP (mmHg)", []trace{{"patient.map", "MAP", colRed}}},
	{"DO2i (mL/min/m²)", []trace{{"derived.do2i", "DO2i", colGreen}}},
	{"Temperature (°C)", []trace{
		{"temp.arterial_outlet", "arterial outlet", colRed},
		{"temp.venous_inlet", "venous inlet", colBlue},
		{"temp.nasopharyngeal", "nasopharyngeal", colOrange},
	}},
	{"SvO2 (%)", []trace{{"inline.ven_so2", "SvO2", colPurple}}},
	{"Hct (%)", []trace{{"inline.hct", "Hct", colBrown}}},
}

// maxChartPoints bounds the points drawn per trace: a 12-hour case has
// 43,200 seconds; buckets keep each one's lowest and highest value so that
// nadirs stay visible.
const maxChartPoints = 1500

// segments cuts a channel into drawable runs of usable values: a run ends at
// an unusable value or where the value went stale (the same rule as the
// summary), and is decimated to about maxChartPoints in all.
func segments(st step, t0, t1 int64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	bucket := max((t1-t0)/maxChartPoints, 1)
	var bKey int64 = math.MinInt64
	var lo, hi plotter.XY
	flush := func() {
		if bKey == math.MinInt64 {
			return
		}
		if lo.X <= hi.X {
			cur = append(cur, lo)
			if hi != lo {
				cur = append(cur, hi)
			}
		} else {
			cur = append(cur, hi, lo)
		}
		bKey = math.MinInt64
	}
	end := func() {
		flush()
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for i, p := range st.pts {
		if math.IsNaN(p.V) {
			end()
			continue
		}
		xy := plotter.XY{X: float64(p.T) / 1e9, Y: p.V}
		if k := (p.T - t0) / bucket; k != bKey {
			flush()
			bKey, lo, hi = k, xy, xy
		} else {
			if xy.Y < lo.Y {
				lo = xy
			}
			if xy.Y > hi.Y {
				hi = xy
			}
		}
		if i+1 < len(st.pts) && st.pts[i+1].T >= p.T+st.hold {
			end() // stale before the next value: a gap
		}
	}
	end()
	return out
}

// marks draws vertical lines across a panel at the given times (Unix s):
// events grey and dashed, alarm activations red.
type marks struct {
	xs    []float64
	style draw.LineStyle
}

func (m marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, x := range m.xs {
		if x < p.X.Min || x > p.X.Max {
			continue
		}
		px := trX(x)
		c.StrokeLine2(m.style, px, c.Min.Y, px, c.Max.Y)
	}
}

// thresholdLine is the DO2i threshold from t0 to t1 as the summary judges
// by it (do2iLimit): a level line, or, scaled with the temperature, a
// staircase with a step wherever it moved by 1 mL/min/m² or more (the
// temperature changes slowly; a step per sample would be thousands).
func thresholdLine(c *Case, set Settings, thr float64, t0, t1 int64) (plotter.XYs, string) {
	lim := newDO2iLimit(c, set, thr)
	x := func(t int64) float64 { return float64(t) / 1e9 }
	y := lim.at(t0)
	xy := plotter.XYs{{X: x(t0), Y: y}}
	label := fmt.Sprintf("threshold %g", thr)
	if len(lim.temps) > 0 {
		label += fmt.Sprintf(" × %g^((T − 37)/10)", set.DO2iQ10)
		br := lim.breaks(nil)
		slices.Sort(br)
		for _, b := range slices.Compact(br) {
			if v := lim.at(b); b > t0 && b < t1 && math.Abs(v-y) >= 1 {
				xy = append(xy, plotter.XY{X: x(b), Y: y}, plotter.XY{X: x(b), Y: v})
				y = v
			}
		}
	}
	return append(xy, plotter.XY{X: x(t1), Y: y}), label
}

// markedEvents are the event kinds drawn on the timeline.
var markedEvents = map[string]bool{"on_bypass": true, "off_bypass": true, "clamp_on": true, "clamp_off": true,
	"arrest_start": true, "arrest_end": true, "cardioplegia": true, "blood_product": true, "drug": true}

// TimelinePNG renders the timeline chart of a case (key trends, events as
// grey dashed lines, alarm activations as red lines) as a PNG image of w×h
// at dpi.
func TimelinePNG(c *Case, set Settings, thr float64, w, h vg.Length, dpi int) ([]byte, error) {
	t0, t1 := c.Start, c.End
	if t1 <= t0 {
		t1 = t0 + int64(1e9)
	}
	var evx, alx []float64
	for _, e := range c.Events {
		if markedEvents[e.Kind] {
			evx = append(evx, float64(e.T)/1e9)
		}
	}
	for _, a := range c.Alarms {
		if a.State == "active" {
			alx = append(alx, float64(a.T)/1e9)
		}
	}
	evStyle := draw.LineStyle{Color: colGrey, Width: vg.Points(0.6), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	alStyle := draw.LineStyle{Color: colRed, Width: vg.Points(0.8)}

	rows := make([][]*plot.Plot, len(timelinePanels))
	for i, pn := range timelinePanels {
		p := plot.New()
		p.Y.Label.Text = pn.title
		p.Y.Label.TextStyle.Font.Size = vg.Points(7)
		p.Y.Tick.Label.Font.Size = vg.Points(7)
		p.X.Tick.Label.Font.Size = vg.Points(7)
		p.X.Min, p.X.Max = float64(t0)/1e9, float64(t1)/1e9
		loc := set.loc()
		p.X.Tick.Marker = plot.TimeTicks{Format: "15:04", Time: func(t float64) time.Time {
			return time.Unix(0, int64(math.Round(t*1e9))).In(loc)
		}}
		if i < len(timelinePanels)-1 {
			p.X.Tick.Label.Font.Size = 0
			p.X.Tick.Label.Color = color.Transparent
		} else {
			p.X.Label.Text = "time (" + loc.String() + ")"
			p.X.Label.TextStyle.Font.Size = vg.Points(7)
		}
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(6)
		p.Add(plotter.NewGrid())
		for _, tr := range pn.traces {
			segs := segments(newStep(c, tr.channel, set), t0, t1)
			var single plotter.XYs // a value alone between gaps: a dot, not a line
			for _, xy := range segs {
				if len(xy) == 1 {
					single = append(single, xy[0])
				}
			}
			if len(single) > 0 {
				sc, err := plotter.NewScatter(single)
				if err != nil {
					return nil, fmt.Errorf("report: chart %s: %w", tr.channel, err)
				}
				sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = tr.color, vg.Points(1.5), draw.CircleGlyph{}
				p.Add(sc)
			}
			if len(pn.traces) > 1 {
				p.Legend.Add(tr.label, &plotter.Line{LineStyle: draw.LineStyle{Color: tr.color, Width: vg.Points(1)}})
			}
			for _, xy := range segs {
				if len(xy) == 1 {
					continue
				}
				l, err := plotter.NewLine(xy)
				if err != nil {
					return nil, fmt.Errorf("report: chart %s: %w", tr.channel, err)
				}
				l.Color, l.Width = tr.color, vg.Points(1)
				p.Add(l)
			}
		}
		if pn.traces[0].channel == "derived.do2i" && thr > 0 {
			xy, label := thresholdLine(c, set, thr, t0, t1)
			tl, err := plotter.NewLine(xy)
			if err == nil {
				tl.Color, tl.Dashes = colRed, []vg.Length{vg.Points(4), vg.Points(2)}
				p.Add(tl)
				p.Legend.Add(label, tl)
			}
		}
		p.X.Min, p.X.Max = float64(t0)/1e9, float64(t1)/1e9
		p.Add(marks{evx, evStyle}, marks{alx, alStyle})
		rows[i] = []*plot.Plot{p}
	}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(timelinePanels), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(8), PadY: vg.Points(2)}
	cv := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(cv[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: chart png: %w", err)
	}
	return buf.Bytes(), nil
}

package view

import (
	"bytes"
	"image"
	"image/color"

	"gioui.org/f32"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	gwidget "gioui.org/widget"

	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// button is a flat, large push button (gloved hands: whole rectangle is the
// target). Its state lives across frames.
type button struct {
	click gwidget.Clickable
	line  widget.Line
}

// clicked reports whether the button was clicked since the last frame. Call
// it before layout, which discards clicks not consumed.
func (b *button) clicked(gtx layout.Context) bool { return b.click.Clicked(gtx) }

// layout draws the button filling r with label centred.
func (b *button) layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, label string, px int, bg, fg color.NRGBA) {
	st := op.Offset(r.Min).Push(gtx.Ops)
	gtx.Constraints = layout.Exact(r.Size())
	b.click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		sz := r.Size()
		widget.Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, bg) // square: a rounded corner is a path to rasterise
		b.line.Shape(th.Shaper, th.Label, px, label, sz.X-px/2)
		b.line.Paint(gtx, th.Shaper, (sz.X-b.line.Width)/2, sz.Y/2+b.line.Ascent*36/100, fg)
		return layout.Dimensions{Size: sz}
	})
	st.Pop()
}

// text is a string built from bytes that changes rarely (a device name in a
// badge, a limit): it allocates a new string only when the bytes change, so
// a steady screen shapes a cached string without allocating.
type text struct {
	buf []byte
	s   string
}

func (t *text) set(b []byte) string {
	if !bytes.Equal(b, t.buf) {
		t.buf = append(t.buf[:0], b...)
		t.s = string(b)
	}
	return t.s
}

// strokeLine draws a straight line of width w.
func strokeLine(o *op.Ops, a, b f32.Point, w float32, col color.NRGBA) {
	var p clip.Path
	p.Begin(o)
	p.MoveTo(a)
	p.LineTo(b)
	paint.FillShape(o, col, clip.Stroke{Path: p.End(), Width: w}.Op())
}

// Marker shapes, one per priority, so that priority reads without colour.
func priorityMarker(o *op.Ops, p Priority, c f32.Point, r float32, col color.NRGBA) {
	var path clip.Path
	path.Begin(o)
	switch p {
	case High: // triangle, point up
		path.MoveTo(f32.Pt(c.X, c.Y-r))
		path.LineTo(f32.Pt(c.X+r, c.Y+r*0.8))
		path.LineTo(f32.Pt(c.X-r, c.Y+r*0.8))
	case Medium: // diamond
		path.MoveTo(f32.Pt(c.X, c.Y-r))
		path.LineTo(f32.Pt(c.X+r, c.Y))
		path.LineTo(f32.Pt(c.X, c.Y+r))
		path.LineTo(f32.Pt(c.X-r, c.Y))
	default: // square
		path.MoveTo(f32.Pt(c.X-r*0.7, c.Y-r*0.7))
		path.LineTo(f32.Pt(c.X+r*0.7, c.Y-r*0.7))
		path.LineTo(f32.Pt(c.X+r*0.7, c.Y+r*0.7))
		path.LineTo(f32.Pt(c.X-r*0.7, c.Y+r*0.7))
	}
	path.Close()
	paint.FillShape(o, col, clip.Outline{Path: path.End()}.Op())
}

// endedMarker draws an ended alarm's marker: the priority's shape hollow
// and struck through, so that "ended" reads without colour.
func endedMarker(o *op.Ops, p Priority, c f32.Point, r float32, col color.NRGBA) {
	var path clip.Path
	path.Begin(o)
	switch p {
	case High:
		path.MoveTo(f32.Pt(c.X, c.Y-r))
		path.LineTo(f32.Pt(c.X+r, c.Y+r*0.8))
		path.LineTo(f32.Pt(c.X-r, c.Y+r*0.8))
	case Medium:
		path.MoveTo(f32.Pt(c.X, c.Y-r))
		path.LineTo(f32.Pt(c.X+r, c.Y))
		path.LineTo(f32.Pt(c.X, c.Y+r))
		path.LineTo(f32.Pt(c.X-r, c.Y))
	default:
		path.MoveTo(f32.Pt(c.X-r*0.7, c.Y-r*0.7))
		path.LineTo(f32.Pt(c.X+r*0.7, c.Y-r*0.7))
		path.LineTo(f32.Pt(c.X+r*0.7, c.Y+r*0.7))
		path.LineTo(f32.Pt(c.X-r*0.7, c.Y+r*0.7))
	}
	path.Close()
	w := r * 0.22
	paint.FillShape(o, col, clip.Stroke{Path: path.End(), Width: w}.Op())
	strokeLine(o, f32.Pt(c.X-r, c.Y+r), f32.Pt(c.X+r, c.Y-r), w, col)
}

// crossedBell draws the IEC "audio paused" symbol, a bell struck through,
// in a square of side s at (x, y).
func crossedBell(o *op.Ops, x, y, s int, col color.NRGBA) {
	fs := float32(s)
	ox, oy := float32(x), float32(y)
	pt := func(u, v float32) f32.Point { return f32.Pt(ox+u*fs, oy+v*fs) }
	var p clip.Path
	p.Begin(o)
	p.MoveTo(pt(0.5, 0.1))
	p.CubeTo(pt(0.78, 0.1), pt(0.78, 0.35), pt(0.78, 0.55))
	p.LineTo(pt(0.9, 0.75))
	p.LineTo(pt(0.1, 0.75))
	p.LineTo(pt(0.22, 0.55))
	p.CubeTo(pt(0.22, 0.35), pt(0.22, 0.1), pt(0.5, 0.1))
	p.Close()
	paint.FillShape(o, col, clip.Outline{Path: p.End()}.Op())
	widget.Rect(o, image.Rect(x+s*42/100, y+s*78/100, x+s*58/100, y+s*90/100), s/12, col)
	strokeLine(o, pt(0.08, 0.95), pt(0.92, 0.05), max(2, fs/9), col)
}

// priorityColours returns the face and text colours of priority p.
func priorityColours(th *theme.Theme, p Priority) (bg, fg color.NRGBA) {
	switch p {
	case High:
		return th.AlarmHigh, th.OnAlarmHigh
	case Medium:
		return th.AlarmMedium, th.OnAlarmMedium
	}
	return th.AlarmLow, th.OnAlarmLow
}

// fillRect fills r (float coordinates) with col.
func fillRect(o *op.Ops, r image.Rectangle, col color.NRGBA) {
	widget.Rect(o, r, 0, col)
}

// outline draws a frame of width w inside r.
func outline(o *op.Ops, r image.Rectangle, w int, col color.NRGBA) {
	fillRect(o, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), col)
	fillRect(o, image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y), col)
	fillRect(o, image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), col)
	fillRect(o, image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y), col)
}

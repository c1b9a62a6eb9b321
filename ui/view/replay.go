package view

import (
	"image"
	"math"
	"time"

	"gioui.org/f32"
	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"

	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// ReplaySpeeds are the speeds the replay bar offers.
// +Inf is "as fast as the machine allows".
var ReplaySpeeds = [...]float64{0.5, 1, 2, 4, 8, 16, 60, math.Inf(1)}

var speedLabels = [...]string{"½×", "1×", "2×", "4×", "8×", "16×", "60×", "MAX"}

// ReplayBar is the replay controls: play/pause, speed, and a timeline of
// the case with event, alarm and bookmark markers; a click or drag on the
// timeline seeks there.
type ReplayBar struct {
	play     button
	speeds   [len(ReplaySpeeds)]button
	timeline image.Rectangle // of the last frame, window pixels
	line     widget.Line
	clock    widget.Glyphs
	buf      []byte
	tag      bool // the timeline's event tag (its address)
}

// NewReplayBar returns the replay controls.
func NewReplayBar() *ReplayBar { return &ReplayBar{buf: make([]byte, 0, 32)} }

// Timeline returns the timeline's rectangle on the last frame (tests click
// on it).
func (b *ReplayBar) Timeline() image.Rectangle { return b.timeline }

// Layout draws the bar in r; it does nothing useful when rp is nil.
func (b *ReplayBar) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	rp *ReplayView, st *State, caseStart time.Time, emit func(Action)) {
	if b.play.clicked(gtx) {
		emit(SetPlaying{Playing: !rp.Playing})
	}
	for i := range b.speeds {
		if b.speeds[i].clicked(gtx) {
			emit(SetSpeed{Speed: ReplaySpeeds[i]})
		}
	}
	// Seek: a press or a drag on the timeline.
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: &b.tag, Kinds: pointer.Press | pointer.Drag})
		if !ok {
			break
		}
		if pe, ok := ev.(pointer.Event); ok && b.timeline.Dx() > 0 && rp.End > rp.Start {
			f := (pe.Position.X) / float32(b.timeline.Dx())
			f = min(1, max(0, f))
			emit(Seek{Time: rp.Start + int64(f*float32(rp.End-rp.Start))})
		}
	}
	sh := th.Shaper
	widget.Rect(gtx.Ops, r, 0, th.Header)
	widget.Rect(gtx.Ops, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+px(4)), 0, th.Replay)
	gap := px(8)
	y0, y1 := r.Min.Y+px(10), r.Max.Y-px(6)
	x := r.Min.X + gap
	label := "► PLAY  Space"
	if rp.Playing {
		label = "PAUSE  Space"
	}
	b.play.layout(gtx, th, image.Rect(x, y0, x+px(170), y1), label, px(17), th.Replay, th.OnReplay)
	x += px(170) + gap
	for i := range b.speeds {
		bg, fg := th.Button, th.OnButton
		if rp.Speed == ReplaySpeeds[i] {
			bg, fg = th.Selected, th.OnSelected
		}
		b.speeds[i].layout(gtx, th, image.Rect(x, y0, x+px(52), y1), speedLabels[i], px(16), bg, fg)
		x += px(52) + px(4)
	}
	x += gap
	// Position clock at the right.
	b.clock.Size(th.Numerals, px(22))
	b.buf = b.buf[:0]
	if caseStart.IsZero() {
		b.buf = widget.AppendClock(b.buf, time.Duration(rp.Position-rp.Start))
	} else {
		b.buf = widget.AppendClock(b.buf, time.Duration(rp.Position-caseStart.UnixNano()))
	}
	cw := b.clock.Width(sh, b.buf)
	b.clock.Paint(gtx, sh, b.buf, r.Max.X-gap-cw, (y0+y1)/2+b.clock.DigitHeight(sh)/2, 1, th.Text)

	// Timeline.
	tl := image.Rect(x, y0, r.Max.X-2*gap-cw, y1)
	b.timeline = tl
	if tl.Dx() < 10 {
		return
	}
	widget.Rect(gtx.Ops, tl, 0, th.Tile)
	span := float32(max(1, rp.End-rp.Start))
	xOf := func(t int64) float32 { return float32(tl.Min.X) + float32(t-rp.Start)/span*float32(tl.Dx()) }
	mid := (tl.Min.Y + tl.Max.Y) / 2
	// Played part.
	widget.Rect(gtx.Ops, image.Rect(tl.Min.X, mid-px(3), int(xOf(min(rp.Position, rp.End))), mid+px(3)), 0, th.Replay)
	for i := range st.Events {
		e := &st.Events[i]
		if e.Void || e.Time < rp.Start || e.Time > rp.End {
			continue
		}
		ex := int(xOf(e.Time))
		fillRect(gtx.Ops, image.Rect(ex, tl.Min.Y+px(4), ex+max(1, px(2)), tl.Max.Y-px(4)), th.TextDim)
	}
	for _, t := range rp.Bookmarks {
		if t < rp.Start || t > rp.End {
			continue
		}
		bx := xOf(t)
		priorityMarker(gtx.Ops, Medium, f32.Pt(bx, float32(tl.Min.Y+px(7))), float32(px(6)), th.Text)
	}
	for i := range st.AlarmLog {
		e := &st.AlarmLog[i]
		if e.Transition != "active" || e.Time < rp.Start || e.Time > rp.End {
			continue
		}
		c, _ := priorityColours(th, e.Priority)
		priorityMarker(gtx.Ops, e.Priority, f32.Pt(xOf(e.Time), float32(tl.Max.Y-px(7))), float32(px(6)), c)
	}
	// Playhead.
	hx := int(xOf(rp.Position))
	fillRect(gtx.Ops, image.Rect(hx-px(2), tl.Min.Y, hx+px(2), tl.Max.Y), th.Text)
	// Input area: positions arrive relative to the timeline.
	off := op.Offset(tl.Min).Push(gtx.Ops)
	cs := clip.Rect(image.Rectangle{Max: tl.Size()}).Push(gtx.Ops)
	event.Op(gtx.Ops, &b.tag)
	cs.Pop()
	off.Pop()
}

package view

import (
	"image"
	"math"
	"strconv"
	"time"

	"gioui.org/f32"
	"gioui.org/layout"

	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// AlarmLog is the alarms screen: every visible alarm (the banner shows the
// first three) and the alarm log, newest first. It allocates while drawn
// (a text screen, not the monitor).
type AlarmLog struct {
	line  widget.Line
	order []int
	// adjust holds the − and + buttons of each limit setting: [row][0..3]
	// (limit or low −/+, high −/+).
	adjust [][4]button
	rects  [][4]image.Rectangle // where they were on the last frame
}

// LimitButton returns where the last frame put a control of setting i: k
// is 0 (limit or low, −), 1 (+), 2 (high, −) or 3 (+). Empty if not shown.
func (l *AlarmLog) LimitButton(i, k int) image.Rectangle {
	if i >= len(l.rects) {
		return image.Rectangle{}
	}
	return l.rects[i][k]
}

// NewAlarmLog returns the alarms screen.
func NewAlarmLog() *AlarmLog { return &AlarmLog{} }

// fmtNum formats v with prec decimals, "–" for no value.
func fmtNum(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', max(0, min(prec, 3)), 64)
}

// clockOf formats a Unix ns time as the case clock (since caseStart) or, if
// unknown, the time of day in the theatre's zone (the zone of caseStart,
// set by NewScreens), with the zone's abbreviation.
func clockOf(t int64, caseStart time.Time) string {
	if caseStart.IsZero() {
		return time.Unix(0, t).In(caseStart.Location()).Format("15:04:05 MST")
	}
	return string(widget.AppendClock(nil, time.Duration(t-caseStart.UnixNano())))
}

// Layout draws the screen in r.
func (l *AlarmLog) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int, st *State, now time.Time, caseStart time.Time, b *Banner, emit func(Action)) {
	sh := th.Shaper
	pad := px(12)
	y := r.Min.Y + pad
	textPx := px(18)
	head := func(s string) {
		l.line.Shape(sh, th.Label, px(16), s, 0)
		l.line.Paint(gtx, sh, r.Min.X+pad, y+l.line.Ascent, th.TextDim)
		y += px(28)
	}
	head("ACTIVE ALARMS")
	order := b.sortAlarms(st.Alarms)
	if len(order) == 0 {
		l.line.Shape(sh, th.Label, textPx, "none", 0)
		l.line.Paint(gtx, sh, r.Min.X+pad, y+l.line.Ascent, th.TextDim)
		y += px(34)
	}
	rowH := px(40)
	for _, i := range order {
		a := &st.Alarms[i]
		if y+rowH > r.Min.Y+r.Dy()/2 {
			break
		}
		bg, fg := priorityColours(th, a.Priority)
		row := image.Rect(r.Min.X+pad, y, r.Max.X-pad, y+rowH)
		widget.Rect(gtx.Ops, row, 0, th.Tile)
		outline(gtx.Ops, row, px(3), bg)
		mr := float32(rowH) * 0.25
		ended := a.Ended != 0 && !a.Present
		if ended {
			endedMarker(gtx.Ops, a.Priority, f32.Pt(float32(row.Min.X+px(10))+mr, float32(y+rowH/2)), mr, bg)
		} else {
			priorityMarker(gtx.Ops, a.Priority, f32.Pt(float32(row.Min.X+px(10))+mr, float32(y+rowH/2)), mr, bg)
		}
		state := [...]string{"inactive", "pending", "ACTIVE", "AUDIO PAUSED", "ACKNOWLEDGED"}[min(int(a.State), 4)]
		s := a.Priority.Stars() + " " + a.Priority.Word() + "  " + a.Message + "  —  " + state
		if ended {
			// The value that raised it, and when the condition ended.
			s += "  since " + clockOf(a.Since, caseStart) + "  raised by " + fmtNum(a.Raised, a.Precision) + " " + a.Unit +
				"  limit " + fmtNum(a.Limit, a.Precision) + "  ENDED " + clockOf(a.Ended, caseStart)
		} else {
			s += "  since " + clockOf(a.Since, caseStart) + "  value " + fmtNum(a.Value, a.Precision) + " " + a.Unit +
				"  limit " + fmtNum(a.Limit, a.Precision)
		}
		if a.Latching {
			s += "  (latched)"
		}
		l.line.Shape(sh, th.Label, px(16), s, row.Dx()-px(30)-int(2*mr))
		l.line.Paint(gtx, sh, row.Min.X+px(20)+int(2*mr), y+rowH/2+px(16)*36/100, th.Text)
		_ = fg
		y += rowH + px(4)
	}
	y = max(y, r.Min.Y+r.Dy()/2) + pad
	top := y
	logR := image.Rect(r.Min.X, y, r.Min.X+r.Dx()*55/100, r.Max.Y)
	l.limits(gtx, th, image.Rect(logR.Max.X+pad, top, r.Max.X-pad, r.Max.Y), px, st, now, emit)
	head("ALARM LOG (newest first)")
	lineH := px(26)
	for i := len(st.AlarmLog) - 1; i >= 0 && y+lineH <= r.Max.Y; i-- {
		e := &st.AlarmLog[i]
		s := clockOf(e.Time, caseStart) + "   " + e.Priority.Stars() + " " + e.Alarm + "   " + e.Transition +
			"   value " + fmtNum(e.Value, e.Precision) + "   limit " + fmtNum(e.Limit, e.Precision)
		l.line.Shape(sh, th.Small, px(16), s, logR.Dx()-2*pad)
		col := th.Text
		if e.Transition == "cleared" {
			col = th.TextDim
		}
		l.line.Paint(gtx, sh, r.Min.X+pad, y+l.line.Ascent, col)
		y += lineH
	}
}

// limits draws the adjustable limits with their − and + controls in r.
func (l *AlarmLog) limits(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int, st *State, now time.Time, emit func(Action)) {
	for len(l.adjust) < len(st.Settings) {
		l.adjust = append(l.adjust, [4]button{})
		l.rects = append(l.rects, [4]image.Rectangle{})
	}
	for i := range l.rects {
		l.rects[i] = [4]image.Rectangle{}
	}
	sh := th.Shaper
	l.line.Shape(sh, th.Label, px(16), "ALARM LIMITS (within the profile's bounds)", r.Dx())
	l.line.Paint(gtx, sh, r.Min.X, r.Min.Y+l.line.Ascent, th.TextDim)
	y := r.Min.Y + px(30)
	rowH := px(44)
	bw := px(44)
	for i := range st.Settings {
		s := &st.Settings[i]
		if y+rowH > r.Max.Y {
			break
		}
		band := math.IsNaN(s.Limit)
		vals := [2]float64{s.Limit, math.NaN()}
		if band {
			vals = [2]float64{s.Low, s.High}
		}
		for k := range 4 {
			if !l.adjust[i][k].clicked(gtx) {
				continue
			}
			v := vals[k/2]
			if math.IsNaN(v) {
				continue
			}
			step := s.Step
			if step <= 0 {
				step = 1
			}
			if k%2 == 0 {
				v -= step
			} else {
				v += step
			}
			v = math.Round(v/step) * step
			if v < s.Min || v > s.Max {
				continue
			}
			a := ChangeLimit{Alarm: s.Alarm, Limit: math.NaN(), Low: math.NaN(), High: math.NaN(), Time: now.UnixNano()}
			switch {
			case !band:
				a.Limit = v
			case k < 2:
				a.Low, a.High = v, s.High
			default:
				a.Low, a.High = s.Low, v
			}
			if band && !(a.Low < a.High) {
				continue
			}
			emit(a)
		}
		widget.Rect(gtx.Ops, image.Rect(r.Min.X, y, r.Max.X, y+rowH), 0, th.Tile)
		l.line.Shape(sh, th.Label, px(17), s.Message, r.Dx()/2-px(8))
		l.line.Paint(gtx, sh, r.Min.X+px(8), y+rowH/2+px(17)*36/100, th.Text)
		x := r.Min.X + r.Dx()/2
		n := 1
		if band {
			n = 2
		}
		for k := range n {
			v := vals[k]
			l.rects[i][2*k] = image.Rect(x, y+px(4), x+bw, y+rowH-px(4))
			l.adjust[i][2*k].layout(gtx, th, l.rects[i][2*k], "−", px(22), th.Button, th.OnButton)
			x += bw + px(4)
			txt := strconv.FormatFloat(v, 'f', -1, 64)
			if k == n-1 {
				txt += " " + s.Unit
			}
			l.line.Shape(sh, th.Label, px(18), txt, 0)
			l.line.Paint(gtx, sh, x+px(4), y+rowH/2+px(18)*36/100, th.Text)
			x += max(l.line.Width+px(8), px(56))
			l.rects[i][2*k+1] = image.Rect(x, y+px(4), x+bw, y+rowH-px(4))
			l.adjust[i][2*k+1].layout(gtx, th, l.rects[i][2*k+1], "+", px(22), th.Button, th.OnButton)
			x += bw + px(12)
		}
		y += rowH + px(4)
	}
}

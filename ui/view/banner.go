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

// Flash timing of the visual alarm signal (IEC 60601-1-8 as in alarms.md):
// HIGH 1.4–2.8 Hz, MEDIUM 0.4–0.8 Hz, both 20–60 % duty; LOW steady. On
// for half of each period.
const (
	HighFlashPeriod   = 500 * time.Millisecond  // 2.0 Hz
	MediumFlashPeriod = 1600 * time.Millisecond // 0.625 Hz
)

// maxChips is how many alarms the banner shows side by side; the rest are
// counted ("+2 more") and listed on the alarms screen.
const maxChips = 3

// Banner is the alarm banner: the conditions by priority, the acknowledge
// and audio-pause controls with the pause countdown.
type Banner struct {
	ack, pause button
	order      []int
	chips      [maxChips]struct {
		line, msg widget.Line
		glyphs    widget.Glyphs
		text      text
		buf       []byte
		right     []byte // the right-hand text drawn on the last frame
	}
	line   widget.Line
	count  widget.Glyphs
	buf    []byte
	zone   *time.Location // the theatre's (Options.Zone)
	shown  []string       // ids shown on the last frame, for tests
	flash  bool           // a chip flashed on the last frame
	onNext bool
}

// NewBanner returns a banner.
func NewBanner() *Banner {
	b := &Banner{order: make([]int, 0, 32), buf: make([]byte, 0, 32), shown: make([]string, 0, maxChips)}
	for i := range b.chips {
		b.chips[i].buf = make([]byte, 0, 128)
	}
	return b
}

// Shown returns the ids of the alarms shown on the last frame, most urgent
// first.
func (b *Banner) Shown() []string { return append([]string(nil), b.shown...) }

// ChipText returns the text of the i-th chip drawn on the last frame, its
// left part (marker words and message) and its right part (value, ACK or
// countdown) joined by " | "; "" past the chips drawn. For tests.
func (b *Banner) ChipText(i int) string {
	if i < 0 || i >= len(b.shown) {
		return ""
	}
	return string(b.chips[i].buf) + " | " + string(b.chips[i].right)
}

// visible reports whether an alarm belongs in the banner.
func visible(a *AlarmView) bool {
	return a.State == AlarmActive || a.State == AlarmAudioPaused || a.State == AlarmAcknowledged
}

// flashes reports whether an alarm's light flashes: unacknowledged HIGH and
// MEDIUM alarms. Acknowledged ones stay lit, steady, until they clear.
func flashes(a *AlarmView) bool {
	return (a.State == AlarmActive || a.State == AlarmAudioPaused) && (a.Priority == High || a.Priority == Medium)
}

// sortAlarms fills b.order with the indexes of the visible alarms: priority
// first, then unacknowledged before acknowledged, then oldest first.
func (b *Banner) sortAlarms(alarms []AlarmView) []int {
	o := b.order[:0]
	for i := range alarms {
		if visible(&alarms[i]) {
			o = append(o, i)
		}
	}
	less := func(i, j int) bool {
		a, c := &alarms[i], &alarms[j]
		if a.Priority != c.Priority {
			return a.Priority > c.Priority
		}
		if ak, ck := a.State == AlarmAcknowledged, c.State == AlarmAcknowledged; ak != ck {
			return ck
		}
		if a.Since != c.Since {
			return a.Since < c.Since
		}
		return a.ID < c.ID
	}
	for i := 1; i < len(o); i++ { // insertion sort: a few alarms, no allocation
		for j := i; j > 0 && less(o[j], o[j-1]); j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
	b.order = o
	return o
}

// AckTarget returns the alarm the acknowledge control acts on: the most
// urgent one not yet acknowledged; "" if none.
func (b *Banner) AckTarget(alarms []AlarmView) string {
	for _, i := range b.sortAlarms(alarms) {
		if alarms[i].State != AlarmAcknowledged {
			return alarms[i].ID
		}
	}
	return ""
}

// acknowledge emits an Acknowledge for the AckTarget.
func (b *Banner) acknowledge(st *State, now int64, emit func(Action)) {
	if id := b.AckTarget(st.Alarms); id != "" {
		emit(Acknowledge{Alarm: id, Time: now})
	}
}

// pauseAudio emits a PauseAudio for every sounding alarm (pause is per
// condition: one that appears later still sounds).
func pauseAudio(st *State, now int64, emit func(Action)) {
	for i := range st.Alarms {
		if a := &st.Alarms[i]; a.Sounding && a.State == AlarmActive {
			emit(PauseAudio{Alarm: a.ID, Time: now})
		}
	}
}

// flashOn reports whether a light flashing with period p is on at t, and
// when it next changes.
func flashOn(t time.Time, p time.Duration) (bool, time.Time) {
	ns := t.UnixNano()
	phase := ns % int64(p)
	if phase < 0 {
		phase += int64(p)
	}
	start := ns - phase
	if phase < int64(p)/2 {
		return true, time.Unix(0, start+int64(p)/2)
	}
	return false, time.Unix(0, start+int64(p))
}

// Layout draws the banner in r. It returns the time of the next flash
// change (zero when nothing flashes): the caller schedules a frame then.
// now is on the snapshot's clock (pause countdowns); the flash phase runs on
// gtx.Now, the frame's clock.
func (b *Banner) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	st *State, now time.Time, emit func(Action)) time.Time {
	nowNs := now.UnixNano()
	if b.ack.clicked(gtx) {
		b.acknowledge(st, nowNs, emit)
	}
	if b.pause.clicked(gtx) {
		pauseAudio(st, nowNs, emit)
	}
	sh := th.Shaper
	widget.Rect(gtx.Ops, r, 0, th.Background)
	order := b.sortAlarms(st.Alarms)
	b.shown = b.shown[:0]
	gap := px(8)

	// Controls at the right.
	bw := px(150)
	pw := px(220)
	pauseR := image.Rect(r.Max.X-pw, r.Min.Y+gap/2, r.Max.X-gap, r.Max.Y-gap/2)
	ackR := image.Rect(pauseR.Min.X-gap-bw, pauseR.Min.Y, pauseR.Min.X-gap, pauseR.Max.Y)
	var pausedUntil int64
	sounding, unacked := false, false
	for i := range st.Alarms {
		a := &st.Alarms[i]
		if a.State == AlarmAudioPaused {
			pausedUntil = max(pausedUntil, a.PausedUntil)
		}
		sounding = sounding || a.Sounding && a.State == AlarmActive
		unacked = unacked || visible(a) && a.State != AlarmAcknowledged
	}
	bg, fg := th.Button, th.OnButton
	if !unacked {
		fg = th.TextDim
	}
	b.ack.layout(gtx, th, ackR, "ACK  F7", px(17), bg, fg)
	if pausedUntil > nowNs {
		// Crossed bell and the countdown of the longest pause. The area
		// stays a button: pausing again pauses what sounds now.
		b.pause.layout(gtx, th, pauseR, "", px(17), th.Selected, th.OnSelected)
		s := pauseR.Dy() * 6 / 10
		crossedBell(gtx.Ops, pauseR.Min.X+px(10), pauseR.Min.Y+(pauseR.Dy()-s)/2, s, th.OnSelected)
		b.buf = append(b.buf[:0], "PAUSED "...)
		b.buf = appendMinSec(b.buf, time.Duration(pausedUntil-nowNs+int64(time.Second)-1))
		b.count.Size(th.Label, px(18))
		b.count.Paint(gtx, sh, b.buf, pauseR.Min.X+px(16)+s, (pauseR.Min.Y+pauseR.Max.Y)/2+b.count.DigitHeight(sh)/2, 1, th.OnSelected)
		if sounding { // another alarm sounds: say so under the countdown
			widget.Rect(gtx.Ops, image.Rect(pauseR.Min.X, pauseR.Max.Y-px(5), pauseR.Max.X, pauseR.Max.Y), 0, th.AlarmHigh)
		}
	} else {
		pfg := fg
		if !sounding {
			pfg = th.TextDim
		}
		b.pause.layout(gtx, th, pauseR, "PAUSE AUDIO  F8", px(17), bg, pfg)
	}

	// Chips.
	area := image.Rect(r.Min.X+gap, r.Min.Y+gap/2, ackR.Min.X-gap, r.Max.Y-gap/2)
	b.flash = false
	if len(order) == 0 {
		b.line.Shape(sh, th.Label, px(18), "No active alarms", area.Dx())
		b.line.Paint(gtx, sh, area.Min.X+px(8), (area.Min.Y+area.Max.Y)/2+b.line.Ascent*36/100, th.TextDim)
		return time.Time{}
	}
	n := min(len(order), maxChips)
	more := len(order) - n
	moreW := 0
	if more > 0 {
		moreW = px(110)
	}
	cw := (area.Dx() - moreW - gap*(n-1)) / n
	var next time.Time
	for k := 0; k < n; k++ {
		a := &st.Alarms[order[k]]
		b.shown = append(b.shown, a.ID)
		cr := image.Rect(area.Min.X+k*(cw+gap), area.Min.Y, area.Min.X+k*(cw+gap)+cw, area.Max.Y)
		pbg, pfg := priorityColours(th, a.Priority)
		on := true
		if flashes(a) {
			period := MediumFlashPeriod
			if a.Priority == High {
				period = HighFlashPeriod
			}
			var edge time.Time
			on, edge = flashOn(gtx.Now, period)
			if next.IsZero() || edge.Before(next) {
				next = edge
			}
		}
		face, ink := pbg, pfg
		ended := a.Ended != 0 && !a.Present
		if !on || a.State == AlarmAcknowledged {
			face, ink = th.Tile, th.Text
		}
		widget.Rect(gtx.Ops, cr, 0, face)
		outline(gtx.Ops, cr, px(3), pbg)
		ch := &b.chips[k]
		mid := (cr.Min.Y + cr.Max.Y) / 2
		mr := float32(cr.Dy()) * 0.22
		mcol := ink
		if face == th.Tile {
			mcol = pbg
		}
		if ended {
			endedMarker(gtx.Ops, a.Priority, f32.Pt(float32(cr.Min.X+px(10))+mr, float32(mid)), mr, mcol)
		} else {
			priorityMarker(gtx.Ops, a.Priority, f32.Pt(float32(cr.Min.X+px(10))+mr, float32(mid)), mr, mcol)
		}
		x := cr.Min.X + px(16) + int(2*mr)

		// Right: pause countdown with the crossed bell, or ACK, or the
		// value and limit.
		right := cr.Max.X - px(10)
		ch.glyphs.Size(th.Label, px(15))
		ch.buf = ch.buf[:0]
		switch {
		case a.State == AlarmAudioPaused && a.PausedUntil > nowNs:
			ch.buf = appendMinSec(ch.buf, time.Duration(a.PausedUntil-nowNs+int64(time.Second)-1))
			w := ch.glyphs.Width(sh, ch.buf)
			ch.glyphs.Paint(gtx, sh, ch.buf, right-w, mid+ch.glyphs.DigitHeight(sh)/2, 1, ink)
			s := cr.Dy() / 2
			crossedBell(gtx.Ops, right-w-px(4)-s, mid-s/2, s, ink)
			right -= w + px(8) + s
		case a.State == AlarmAcknowledged:
			ch.buf = append(ch.buf, "ACK"...)
			w := ch.glyphs.Width(sh, ch.buf)
			ch.glyphs.Paint(gtx, sh, ch.buf, right-w, mid+ch.glyphs.DigitHeight(sh)/2, 1, ink)
			right -= w + px(8)
		case ended:
			// The value that raised it and when: never the recovered one.
			ch.buf = append(ch.buf, "was "...)
			ch.buf = appendAlarmValue(ch.buf, a.Raised, a.Limit, a.Precision)
			ch.buf = append(ch.buf, " at "...)
			ch.buf = appendClock(ch.buf, a.Since, b.zone)
			if w := ch.glyphs.Width(sh, ch.buf); w < cr.Dx()/2 {
				ch.glyphs.Paint(gtx, sh, ch.buf, right-w, mid+ch.glyphs.DigitHeight(sh)/2, 1, ink)
				right -= w + px(8)
			}
		default:
			if !math.IsNaN(a.Value) {
				ch.buf = appendAlarmValue(ch.buf, a.Value, a.Limit, a.Precision)
				w := ch.glyphs.Width(sh, ch.buf)
				if w < cr.Dx()/3 {
					ch.glyphs.Paint(gtx, sh, ch.buf, right-w, mid+ch.glyphs.DigitHeight(sh)/2, 1, ink)
					right -= w + px(8)
				}
			}
		}
		ch.right = append(ch.right[:0], ch.buf...)
		// Left: ENDED for an ended alarm, stars and the message.
		ch.buf = ch.buf[:0]
		if ended {
			ch.buf = append(ch.buf, "ENDED "...)
		}
		ch.buf = append(ch.buf, a.Priority.Stars()...)
		ch.buf = append(ch.buf, ' ')
		ch.buf = append(ch.buf, a.Message...)
		if a.Message == "" {
			ch.buf = append(ch.buf, a.ID...)
		}
		ch.msg.Shape(sh, th.Label, px(18), ch.text.set(ch.buf), right-x)
		ch.msg.Paint(gtx, sh, x, mid+ch.msg.Ascent*36/100, ink)
	}
	if more > 0 {
		b.buf = append(b.buf[:0], '+')
		b.buf = appendInt(b.buf, int64(more))
		b.buf = append(b.buf, " more"...)
		b.count.Size(th.Label, px(16))
		b.count.Paint(gtx, sh, b.buf, area.Max.X-moreW+px(6), (area.Min.Y+area.Max.Y)/2+b.count.DigitHeight(sh)/2, 1, th.Text)
	}
	b.flash = !next.IsZero()
	return next
}

// Flashing reports whether an alarm flashed on the last frame.
func (b *Banner) Flashing() bool { return b.flash }

// appendAlarmValue appends "v / limit" with the channel's display decimals
// (a MAP is 69, not 69.42); "---" for a value that is not a number.
func appendAlarmValue(dst []byte, v, limit float64, prec int) []byte {
	prec = max(0, min(prec, 3))
	if math.IsNaN(v) || math.IsInf(v, 0) {
		dst = append(dst, "---"...)
	} else {
		dst = strconv.AppendFloat(dst, v, 'f', prec, 64)
	}
	if !math.IsNaN(limit) {
		dst = append(dst, " / "...)
		dst = strconv.AppendFloat(dst, limit, 'f', prec, 64)
	}
	return dst
}

// appendClock appends the time of day of t (Unix ns) in loc, hh:mm:ss and
// the zone's abbreviation ("09:12:03 CET"): a time of day is never shown
// without its zone.
func appendClock(dst []byte, t int64, loc *time.Location) []byte {
	if loc == nil {
		loc = time.Local
	}
	return time.Unix(0, t).In(loc).AppendFormat(dst, "15:04:05 MST")
}

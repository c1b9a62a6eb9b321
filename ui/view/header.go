package view

import (
	"image"
	"image/color"
	"time"

	"gioui.org/layout"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// header is the bar at the top of every screen: title, status badges (feed,
// replay, lost devices, no alarm sound), the safety line and the case time.
type header struct {
	clock, badge       widget.Glyphs // the case time, the feed badge
	clockBuf, badgeBuf []byte        // their texts on the last frame
	line               widget.Line
	lost               text
	lostBuf            []byte
	badges             []byte // words of the badges shown, for tests
}

func newHeader() header {
	return header{clockBuf: make([]byte, 0, 32), badgeBuf: make([]byte, 0, 64), lostBuf: make([]byte, 0, 128), badges: make([]byte, 0, 256)}
}

// layout draws the header in a box of size sz (design scale px).
func (h *header) layout(gtx layout.Context, th *theme.Theme, sz image.Point, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time, feedStale bool, caseStart time.Time) {
	sh := th.Shaper
	widget.Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, th.Header)
	rule := px(2)
	widget.Rect(gtx.Ops, image.Rect(0, sz.Y-rule, sz.X, sz.Y), 0, th.HeaderAccent)
	pad := px(16)
	mid := (sz.Y - rule) / 2
	h.badges = h.badges[:0]

	ln := &h.line
	ln.Shape(sh, th.Label, px(28), "PUMPSIDE", 0)
	digitTop := ln.Ascent * 72 / 100 // caps are about 0.72 of the ascent in Go
	ln.Paint(gtx, sh, pad, mid+digitTop/2, th.Text)
	left := pad + ln.Width + pad

	bpad := px(10)
	// badge draws a constant-text badge and moves left on.
	badge := func(s string, bg, fg color.NRGBA) {
		ln.Shape(sh, th.Label, px(16), s, sz.X/3)
		hgt := ln.Ascent + ln.Descent
		r := image.Rect(left, mid-hgt/2-bpad/2, left+ln.Width+2*bpad, mid+hgt/2+bpad/2)
		widget.Rect(gtx.Ops, r, px(6), bg)
		ln.Paint(gtx, sh, r.Min.X+bpad, mid+ln.Ascent*36/100, fg)
		left = r.Max.X + pad/2
		h.badges = append(append(h.badges, s...), '|')
	}

	// Replay first: nothing on screen may be taken for the live patient.
	if st.Replay != nil {
		badge("REPLAY", th.Replay, th.OnReplay)
	}

	// Feed badge: waiting for the first snapshot (the pipeline's first,
	// Seq 0, is published empty before any data), or the feed stopped.
	h.badgeBuf = h.badgeBuf[:0]
	if snap == nil || snap.Seq == 0 || feedStale {
		bg, fg := th.Warning, th.OnWarning
		h.badgeBuf = append(h.badgeBuf[:0], "WAITING FOR DATA"...)
		if feedStale {
			bg, fg = th.Alarm, th.OnAlarm
			h.badgeBuf = append(h.badgeBuf[:0], "NO DATA UPDATE FOR "...)
			h.badgeBuf = widget.AppendDuration(h.badgeBuf, time.Duration(now.UnixNano()-snap.Time))
		}
		h.badge.Size(th.Label, px(16))
		w := h.badge.Width(sh, h.badgeBuf)
		hgt := h.badge.Ascent + h.badge.Descent
		r := image.Rect(left, mid-hgt/2-bpad/2, left+w+2*bpad, mid+hgt/2+bpad/2)
		widget.Rect(gtx.Ops, r, px(6), bg)
		h.badge.Paint(gtx, sh, h.badgeBuf, r.Min.X+bpad, mid+h.badge.DigitHeight(sh)/2, 1, fg)
		left = r.Max.X + pad/2
	}

	// A lost device is unmistakable on every screen.
	h.lostBuf = h.lostBuf[:0]
	for i := range st.Devices {
		if d := &st.Devices[i]; d.State.Lost() {
			if len(h.lostBuf) == 0 {
				h.lostBuf = append(h.lostBuf, "LOST: "...)
			} else {
				h.lostBuf = append(h.lostBuf, ", "...)
			}
			h.lostBuf = append(h.lostBuf, d.Name...)
		}
	}
	if len(h.lostBuf) > 0 {
		badge(h.lost.set(h.lostBuf), th.AlarmHigh, th.OnAlarmHigh)
	}
	if st.AudioUnavailable {
		badge("NO ALARM SOUND", th.AlarmHigh, th.OnAlarmHigh)
	}
	if st.Phase != "" {
		if st.PhaseHint != "" {
			badge(st.Phase+"? "+st.PhaseHint, th.Warning, th.OnWarning)
		} else {
			badge(st.Phase, th.Tile, th.Text)
		}
	}

	// Case time, at the right.
	h.clockBuf = h.clockBuf[:0]
	if snap == nil || caseStart.IsZero() {
		h.clockBuf = widget.AppendClock(h.clockBuf, -1)
	} else {
		h.clockBuf = widget.AppendClock(h.clockBuf, time.Duration(snap.Time-caseStart.UnixNano()))
	}
	h.clock.Size(th.Numerals, px(34))
	w := h.clock.Width(sh, h.clockBuf)
	dh := h.clock.DigitHeight(sh)
	h.clock.Paint(gtx, sh, h.clockBuf, sz.X-pad-w, mid+dh/2, 1, th.Text)
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

package view

import (
	"cmp"
	"image"
	"time"

	"gioui.org/layout"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// CaseTimes are the case timers at one moment, computed from the case
// events (void events are ignored). Durations are zero when the phase never
// started.
type CaseTimes struct {
	// Bypass, Clamp and Arrest are the total times on bypass, with the
	// cross-clamp on and in circulatory arrest, up to now; the *On flags
	// say whether the phase is running now.
	Bypass, Clamp, Arrest       time.Duration
	BypassOn, ClampOn, ArrestOn bool
	// WeaningOn and ACPOn: weaning or antegrade cerebral perfusion now
	// (the W and P shortcuts toggle them).
	WeaningOn, ACPOn bool
	// LastCardioplegia and LastACT are the times of the last dose and the
	// last ACT, Unix ns; 0 if none.
	LastCardioplegia, LastACT int64
	// ECMOStart is the first ECMO start; Oxygenator and Circuit are when
	// the oxygenator and the circuit in use were fitted: the last
	// oxygenator or circuit change (a new circuit brings its oxygenator),
	// else the ECMO start. Unix ns, 0 if none (monitor/timeline's
	// State.ECMOTimes, which the alarm side uses, counts the same).
	ECMOStart, Oxygenator, Circuit int64
}

// ComputeTimes returns the case timers at now (Unix ns) from events, oldest
// first. An ACT reading in the snapshot newer than the last ACT event
// counts as the last ACT.
func ComputeTimes(events []EventView, snap *monitor.Snapshot, now int64) CaseTimes {
	var t CaseTimes
	var bypassFrom, clampFrom, arrestFrom int64
	span := func(from *int64, on *bool, total *time.Duration, start bool, at int64) {
		switch {
		case start && !*on:
			*on, *from = true, at
		case !start && *on:
			*on = false
			*total += time.Duration(at - *from)
		}
	}
	for i := range events {
		e := &events[i]
		if e.Void || e.Time > now {
			continue
		}
		switch e.Kind {
		case EventBypassOn, EventBypassOff:
			span(&bypassFrom, &t.BypassOn, &t.Bypass, e.Kind == EventBypassOn, e.Time)
			if e.Kind == EventBypassOff {
				t.WeaningOn, t.ACPOn = false, false
			}
		case EventClampOn, EventClampOff:
			span(&clampFrom, &t.ClampOn, &t.Clamp, e.Kind == EventClampOn, e.Time)
		case EventArrestStart, EventArrestEnd:
			span(&arrestFrom, &t.ArrestOn, &t.Arrest, e.Kind == EventArrestStart, e.Time)
			if e.Kind == EventArrestEnd {
				t.ACPOn = false
			}
		case EventWeaning:
			t.WeaningOn = t.BypassOn
		case EventFullFlow:
			t.WeaningOn = false
		case EventACPStart:
			t.ACPOn = true
		case EventACPEnd:
			t.ACPOn = false
		case EventCardioplegia:
			t.LastCardioplegia = max(t.LastCardioplegia, e.Time)
		case EventACT:
			t.LastACT = max(t.LastACT, e.Time)
		case EventECMOStart:
			if t.ECMOStart == 0 {
				t.ECMOStart = e.Time
				t.Oxygenator = cmp.Or(t.Oxygenator, e.Time)
				t.Circuit = cmp.Or(t.Circuit, e.Time)
			}
		case EventOxygenatorChange:
			t.Oxygenator = e.Time
		case EventCircuitChange:
			t.Circuit, t.Oxygenator = e.Time, e.Time
		}
	}
	if t.BypassOn {
		t.Bypass += time.Duration(now - bypassFrom)
	}
	if t.ClampOn {
		t.Clamp += time.Duration(now - clampFrom)
	}
	if t.ArrestOn {
		t.Arrest += time.Duration(now - arrestFrom)
	}
	if r := snap.Reading(channel.ACTSeconds); r.Time != 0 && r.Time <= now {
		t.LastACT = max(t.LastACT, r.Time)
	}
	return t
}

// timers is the strip of case timers on the monitor screen.
type timers struct {
	label widget.Line
	num   widget.Glyphs
	bufs  [5][]byte
}

func newTimers() timers {
	var t timers
	for i := range t.bufs {
		t.bufs[i] = make([]byte, 0, 48)
	}
	return t
}

func (t *timers) shown() []string {
	s := make([]string, len(t.bufs))
	for i, b := range t.bufs {
		s[i] = string(b)
	}
	return s
}

// ACTInterval is when an ACT is due again on bypass: the timer turns amber
// after it (the alarm engine's act_due rule raises the alarm).
const ACTInterval = 30 * time.Minute

func (t *timers) layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time, cpInterval time.Duration) {
	nowNs := now.UnixNano()
	ct := ComputeTimes(st.Events, snap, nowNs)
	sh := th.Shaper
	gap := px(8)
	n := len(t.bufs)
	// The cardioplegia cell holds two times: it is wider.
	weights := [...]int{10, 10, 10, 16, 10}
	unit := (r.Dx() - gap*(n-1)) / 56
	x0 := r.Min.X
	t.num.Size(th.Numerals, px(22))
	labels := [...]string{"BYPASS", "X-CLAMP", "ARREST", "CARDIOPLEGIA", "ACT"}
	for i := range t.bufs {
		b := t.bufs[i][:0]
		bg, fg, dim := th.Tile, th.Text, th.TextDim
		switch i {
		case 0, 1, 2:
			d, on := [...]time.Duration{ct.Bypass, ct.Clamp, ct.Arrest}[i], [...]bool{ct.BypassOn, ct.ClampOn, ct.ArrestOn}[i]
			if d == 0 && !on {
				b = append(b, "--:--:--"...)
				fg = th.NoValue
			} else {
				b = widget.AppendClock(b, d)
			}
			if on {
				bg, fg, dim = th.Selected, th.OnSelected, th.OnSelected
			}
		case 3:
			if ct.LastCardioplegia == 0 {
				b = append(b, "no dose"...)
				fg = th.NoValue
				break
			}
			since := time.Duration(nowNs - ct.LastCardioplegia)
			b = appendMinSec(b, since)
			if !ct.ClampOn { // a re-dose is due only while the heart is clamped
				b = append(b, " ago"...)
				break
			}
			left := cpInterval - since
			if left >= 0 {
				b = append(b, " due in "...)
				b = appendMinSec(b, left)
			} else {
				b = append(b, " DUE "...)
				b = appendMinSec(b, -left)
				bg, fg, dim = th.Warning, th.OnWarning, th.OnWarning
			}
		case 4:
			if ct.LastACT == 0 {
				b = append(b, "none"...)
				fg = th.NoValue
				break
			}
			since := time.Duration(nowNs - ct.LastACT)
			b = appendMinSec(b, since)
			b = append(b, " ago"...)
			if ct.BypassOn && since > ACTInterval {
				bg, fg, dim = th.Warning, th.OnWarning, th.OnWarning
			}
		}
		t.bufs[i] = b
		w := unit * weights[i]
		if i == n-1 {
			w = r.Max.X - x0
		}
		cell := image.Rect(x0, r.Min.Y, x0+w, r.Max.Y)
		x0 += w + gap
		widget.Rect(gtx.Ops, cell, 0, bg)
		t.label.Shape(sh, th.Label, px(14), labels[i], 0)
		mid := (cell.Min.Y + cell.Max.Y) / 2
		x := cell.Min.X + px(10)
		t.label.Paint(gtx, sh, x, mid+t.label.Ascent*36/100, dim)
		x += t.label.Width + px(10)
		vw := t.num.Width(sh, b)
		scale := float32(1)
		if room := cell.Max.X - px(8) - x; vw > room && vw > 0 {
			scale = max(0.1, float32(room)/float32(vw))
		}
		t.num.Paint(gtx, sh, b, x, mid+int(float32(t.num.DigitHeight(sh))*scale/2), scale, fg)
	}
}

// layoutECMO draws a long run's timer strip (Options.ECMO): the run time
// since the ECMO start, the oxygenator's and the circuit's age, and the
// time since the last ACT, each in days, hours and minutes
// (AppendDayHourMin). The anticoagulation check's interval is the alarm
// profile's (anticoag_check_due), which raises the reminder.
func (t *timers) layoutECMO(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time) {
	nowNs := now.UnixNano()
	ct := ComputeTimes(st.Events, snap, nowNs)
	sh := th.Shaper
	gap := px(8)
	const n = 4
	w := (r.Dx() - gap*(n-1)) / n
	t.num.Size(th.Numerals, px(22))
	labels := [n]string{"RUN", "OXYGENATOR", "CIRCUIT", "ACT"}
	since := [n]int64{ct.ECMOStart, ct.Oxygenator, ct.Circuit, ct.LastACT}
	t.bufs[n] = t.bufs[n][:0]
	for i := range n {
		b := t.bufs[i][:0]
		fg, dim := th.Text, th.TextDim
		if since[i] == 0 || since[i] > nowNs {
			b = append(b, "--"...)
			fg = th.NoValue
		} else {
			b = AppendDayHourMin(b, time.Duration(nowNs-since[i]))
			if i == n-1 {
				b = append(b, " ago"...)
			}
		}
		t.bufs[i] = b
		x0 := r.Min.X + i*(w+gap)
		cell := image.Rect(x0, r.Min.Y, x0+w, r.Max.Y)
		if i == n-1 {
			cell.Max.X = r.Max.X
		}
		widget.Rect(gtx.Ops, cell, 0, th.Tile)
		t.label.Shape(sh, th.Label, px(14), labels[i], 0)
		mid := (cell.Min.Y + cell.Max.Y) / 2
		x := cell.Min.X + px(10)
		t.label.Paint(gtx, sh, x, mid+t.label.Ascent*36/100, dim)
		x += t.label.Width + px(10)
		vw := t.num.Width(sh, b)
		scale := float32(1)
		if room := cell.Max.X - px(8) - x; vw > room && vw > 0 {
			scale = max(0.1, float32(room)/float32(vw))
		}
		t.num.Paint(gtx, sh, b, x, mid+int(float32(t.num.DigitHeight(sh))*scale/2), scale, fg)
	}
}

// AppendDayHourMin appends d, rounded down to the minute, as a long run's
// timers show it: "2 d 05 h 14 m", or "05 h 14 m" under a day. A negative
// d counts as zero.
func AppendDayHourMin(dst []byte, d time.Duration) []byte {
	m := int64(max(d, 0) / time.Minute)
	days, h, m := m/(24*60), m/60%24, m%60
	if days > 0 {
		dst = appendInt(dst, days)
		dst = append(dst, " d "...)
	}
	dst = append2(dst, h)
	dst = append(dst, " h "...)
	dst = append2(dst, m)
	return append(dst, " m"...)
}

// append2 appends 0 <= n < 100 in two digits.
func append2(dst []byte, n int64) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// appendMinSec appends d as "m:ss" (minutes may exceed 59).
func appendMinSec(dst []byte, d time.Duration) []byte {
	s := int64(d / time.Second)
	dst = appendInt(dst, s/60)
	dst = append(dst, ':')
	if s%60 < 10 {
		dst = append(dst, '0')
	}
	return appendInt(dst, s%60)
}

func appendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

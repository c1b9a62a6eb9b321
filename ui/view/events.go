package view

import (
	"image"
	"math"
	"strconv"
	"strings"
	"time"

	"gioui.org/font"
	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	gwidget "gioui.org/widget"
	"gioui.org/widget/material"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// EntryKinds are the events the quick entry offers, in button order.
var EntryKinds = []EventKind{
	EventBypassOn, EventBypassOff, EventClampOn, EventClampOff, EventCardioplegia, EventArrestStart,
	EventArrestEnd, EventDrug, EventFluid, EventBloodProduct, EventACT, EventBloodGas,
	EventNote, EventArtifact, EventBookmark, EventWeaning, EventFullFlow, EventACPStart, EventACPEnd,
	EventRCPStart, EventRCPEnd, EventNIRSBaseline,
}

// ECMOEntryKinds are the quick entry's further events in a long run
// (Options.ECMO): the ECMO timers count from them.
var ECMOEntryKinds = []EventKind{EventECMOStart, EventOxygenatorChange, EventCircuitChange}

// Shortcut is a key that enters an event from any screen (while no text
// field has the focus). Toggle shortcuts enter the start or the end of a
// phase, whichever comes next.
type Shortcut struct {
	Key  key.Name
	Kind EventKind // for a toggle: the start event
	// Off is the end event of a toggle, EventNone for a single event.
	Off EventKind
}

// Shortcuts are the keyboard shortcuts for the frequent events.
var Shortcuts = []Shortcut{
	{"B", EventBypassOn, EventBypassOff},
	{"X", EventClampOn, EventClampOff},
	{"C", EventCardioplegia, EventNone},
	{"R", EventArrestStart, EventArrestEnd},
	{"T", EventACT, EventNone},
	{"M", EventArtifact, EventNone},
	{"K", EventBookmark, EventNone},
	{"W", EventWeaning, EventFullFlow},
	{"P", EventACPStart, EventACPEnd},
	{"L", EventInlineRecal, EventNone}, // in-line monitor recalibrated to the Lab
}

// shortcutFor returns the shortcut key of kind, "" if none.
func shortcutFor(k EventKind) key.Name {
	for _, s := range Shortcuts {
		if s.Kind == k || s.Off == k {
			return s.Key
		}
	}
	return ""
}

// Events is the quick event entry screen: one large button per event kind,
// a details field (drug and dose, volume, ACT seconds, note), and the list
// of recorded events with edit controls (move by a minute, replace the
// text, strike out). Entries and edits leave as actions; the record keeps
// the audit trail.
type Events struct {
	kinds    []button
	kindOf   []EventKind // the kind of each button
	labels   []string
	Details  gwidget.Editor
	mth      *material.Theme
	rows     []button
	selected string // id of the selected event
	edit     [4]button
	line     widget.Line
	faults   []button
	faultAt  []image.Rectangle
	rowAt    [12]image.Rectangle // where the event rows were drawn, newest first
}

// RowRect returns where the n'th event row (newest first) was drawn in the
// last frame (empty if none).
func (e *Events) RowRect(n int) image.Rectangle {
	if n < len(e.rowAt) {
		return e.rowAt[n]
	}
	return image.Rectangle{}
}

// FaultRect returns where the i'th instructor fault button was drawn in the
// last frame (empty if none).
func (e *Events) FaultRect(i int) image.Rectangle {
	if i < len(e.faultAt) {
		return e.faultAt[i]
	}
	return image.Rectangle{}
}

// NewEvents returns the screen, offering EntryKinds.
func NewEvents() *Events { return newEvents(EntryKinds) }

// newEvents returns the screen offering kinds, in button order.
func newEvents(kinds []EventKind) *Events {
	e := &Events{kinds: make([]button, len(kinds)), kindOf: kinds, rows: make([]button, 12)}
	e.Details.SingleLine = true
	e.Details.Submit = true
	for _, k := range kinds {
		l := k.String()
		if s := shortcutFor(k); s != "" {
			l += "  [" + string(s) + "]"
		}
		e.labels = append(e.labels, l)
	}
	return e
}

// Selected returns the id of the event selected for editing.
func (e *Events) Selected() string { return e.selected }

// leadingNumber returns the first number in s (ACT seconds, volume), NaN if
// none.
func leadingNumber(s string) float64 {
	for f := range strings.FieldsSeq(s) {
		if v, err := strconv.ParseFloat(f, 64); err == nil {
			return v
		}
	}
	return math.NaN()
}

// enter emits an EnterEvent of kind at now with the details field, and
// clears it.
func (e *Events) enter(kind EventKind, now int64, emit func(Action)) {
	txt := strings.TrimSpace(e.Details.Text())
	emit(EnterEvent{Kind: kind, Time: now, Text: txt, Value: leadingNumber(txt)})
	e.Details.SetText("")
}

// Layout draws the screen in r.
func (e *Events) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	snap *monitor.Snapshot, st *State, now time.Time, caseStart time.Time, emit func(Action)) {
	nowNs := now.UnixNano()
	for i := range e.kinds {
		if e.kinds[i].clicked(gtx) {
			e.enter(e.kindOf[i], nowNs, emit)
		}
	}
	for {
		ev, ok := e.Details.Update(gtx)
		if !ok {
			break
		}
		if _, ok := ev.(gwidget.SubmitEvent); ok {
			e.enter(EventNote, nowNs, emit)
		}
	}
	sh := th.Shaper
	pad := px(12)
	gap := px(8)
	// Left two thirds: buttons, three columns.
	left := image.Rect(r.Min.X+pad, r.Min.Y+pad, r.Min.X+r.Dx()*62/100, r.Max.Y-pad)
	fieldH := px(56)
	cols := 3
	rows := (len(e.kindOf) + cols - 1) / cols
	bw := (left.Dx() - gap*(cols-1)) / cols
	// The instructor's fault buttons, on a simulated case, take two rows
	// under the details field.
	instr := st.Instructor
	faultH, instrH := px(44), 0
	if instr != nil && len(instr.Faults) > 0 {
		instrH = px(28) + 2*faultH + 2*gap + px(24)
	}
	bh := min(px(80), (left.Dy()-fieldH-2*gap-gap*(rows-1)-instrH)/rows)
	for i := range e.kinds {
		x := left.Min.X + i%cols*(bw+gap)
		y := left.Min.Y + i/cols*(bh+gap)
		e.kinds[i].layout(gtx, th, image.Rect(x, y, x+bw, y+bh), e.labels[i], px(18), th.Button, th.OnButton)
	}
	// Details field under the buttons.
	fy := left.Min.Y + rows*(bh+gap) + gap
	field := image.Rect(left.Min.X, fy, left.Max.X, fy+fieldH)
	widget.Rect(gtx.Ops, field, 0, th.Tile)
	outline(gtx.Ops, field, max(1, px(2)), th.HeaderAccent)
	if e.mth == nil {
		e.mth = &material.Theme{Shaper: sh}
	}
	e.mth.Palette = material.Palette{Bg: th.Tile, Fg: th.Text, ContrastBg: th.Selected, ContrastFg: th.OnSelected}
	es := material.Editor(e.mth, &e.Details, "details: drug and dose, volume mL, ACT s, note… (Enter = note)")
	es.Font = font.Font{Typeface: "Go"}
	es.TextSize = unit.Sp(float32(px(20)))
	es.HintColor = th.TextDim
	off := op.Offset(field.Min.Add(image.Pt(px(12), (fieldH-px(26))/2))).Push(gtx.Ops)
	egtx := gtx
	egtx.Metric = unit.Metric{PxPerDp: 1, PxPerSp: 1}
	egtx.Constraints = layout.Exact(image.Pt(field.Dx()-px(24), px(30)))
	es.Layout(egtx)
	off.Pop()
	if st.Refusal != "" {
		// Under the field, in the alarm colour: the entry was not recorded.
		e.line.Shape(sh, th.Label, px(16), "NOT RECORDED: "+st.Refusal, field.Dx())
		e.line.Paint(gtx, sh, field.Min.X, field.Max.Y+px(4)+e.line.Ascent, th.Alarm)
	}

	if instrH > 0 {
		for len(e.faults) < len(instr.Faults) {
			e.faults = append(e.faults, button{})
			e.faultAt = append(e.faultAt, image.Rectangle{})
		}
		iy := field.Max.Y + 2*gap + px(24) // under the refusal line
		e.line.Shape(sh, th.Label, px(16), "INSTRUCTOR — inject a fault (again to clear)", left.Dx())
		e.line.Paint(gtx, sh, left.Min.X, iy+e.line.Ascent, th.TextDim)
		fcols := (len(instr.Faults) + 1) / 2
		fw := (left.Dx() - gap*(fcols-1)) / fcols
		for i, name := range instr.Faults {
			active := i < len(instr.Active) && instr.Active[i]
			if e.faults[i].clicked(gtx) {
				emit(InjectFault{Name: name, Clear: active})
			}
			x := left.Min.X + i%fcols*(fw+gap)
			y := iy + px(28) + i/fcols*(faultH+gap)
			rect := image.Rect(x, y, x+fw, y+faultH)
			e.faultAt[i] = rect
			bg, fg := th.Button, th.OnButton
			if active {
				bg, fg = th.Selected, th.OnSelected
			}
			e.faults[i].layout(gtx, th, rect, name, px(15), bg, fg)
		}
	}

	// Right third: the events, newest first, and the edit controls.
	right := image.Rect(left.Max.X+2*pad, r.Min.Y+pad, r.Max.X-pad, r.Max.Y-pad)
	e.line.Shape(sh, th.Label, px(16), "EVENTS (newest first) — select to edit", right.Dx())
	e.line.Paint(gtx, sh, right.Min.X, right.Min.Y+e.line.Ascent, th.TextDim)
	editH := px(48)
	listTop := right.Min.Y + px(30)
	rowH := px(36)
	n := 0
	for i := len(st.Events) - 1; i >= 0 && n < len(e.rows); i-- {
		ev := &st.Events[i]
		y := listTop + n*(rowH+px(4))
		if y+rowH > right.Max.Y-editH-gap {
			break
		}
		if e.rows[n].clicked(gtx) {
			if st.Replay != nil && ev.Kind == EventBookmark {
				emit(Seek{Time: ev.Time}) // a teacher jumps to a bookmark
			}
			if e.selected == ev.ID {
				e.selected = ""
			} else {
				e.selected = ev.ID
			}
		}
		bg, fg := th.Tile, th.Text
		if ev.ID == e.selected && ev.ID != "" {
			bg, fg = th.Selected, th.OnSelected
		}
		if ev.Void {
			fg = th.TextDim
		}
		s := clockOf(ev.Time, caseStart) + "  " + ev.Kind.String()
		if ev.Text != "" {
			s += "  " + ev.Text
		}
		if ev.Void {
			s += "  (void)"
		} else if ev.Edited {
			s += "  (edited)"
		}
		e.rowAt[n] = image.Rect(right.Min.X, y, right.Max.X, y+rowH)
		e.rows[n].layout(gtx, th, e.rowAt[n], "", px(16), bg, fg)
		e.line.Shape(sh, th.Small, px(17), s, right.Dx()-px(16))
		e.line.Paint(gtx, sh, right.Min.X+px(8), y+rowH/2+px(17)*36/100, fg)
		n++
	}
	// Edit controls act on the selected event.
	var sel *EventView
	for i := range st.Events {
		if st.Events[i].ID == e.selected && e.selected != "" {
			sel = &st.Events[i]
		}
	}
	labels := [...]string{"−1 min", "+1 min", "SET TEXT", "VOID"}
	ew := (right.Dx() - 3*gap) / 4
	for i := range e.edit {
		if e.edit[i].clicked(gtx) && sel != nil {
			a := EditEvent{ID: sel.ID, Time: sel.Time, Text: sel.Text, At: nowNs}
			switch i {
			case 0:
				a.Time -= int64(time.Minute)
			case 1:
				a.Time += int64(time.Minute)
			case 2:
				a.Text = strings.TrimSpace(e.Details.Text())
				e.Details.SetText("")
			case 3:
				a.Void = true
			}
			emit(a)
		}
		fg := th.OnButton
		if sel == nil {
			fg = th.TextDim
		}
		x := right.Min.X + i*(ew+gap)
		e.edit[i].layout(gtx, th, image.Rect(x, right.Max.Y-editH, x+ew, right.Max.Y), labels[i], px(16), th.Button, fg)
	}
}

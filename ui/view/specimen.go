package view

import (
	"image"
	"time"

	"gioui.org/io/key"
	"gioui.org/layout"

	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// The specimen choices of an analyser result that did not state it, with
// their keys: one key press assigns it.
var specimenChoices = [...]struct {
	specimen, label string
	key             key.Name
}{
	{"arterial", "A  ARTERIAL", "A"},
	{"venous", "V  VENOUS (circuit)", "V"},
	{"central_venous", "J  CENTRAL VENOUS (line)", "J"}, // C is cardioplegia
}

// specimenBar is the strip under the alarm banner that asks for the
// specimen of an analyser result recorded without it.
type specimenBar struct {
	buttons [len(specimenChoices)]button
	line    widget.Line
	text    text
	buf     []byte
	shown   bool
	zone    *time.Location // the theatre's (Options.Zone)
}

// assign emits the AssignSpecimen of choice k for the prompt.
func (b *specimenBar) assign(p *SpecimenPrompt, k int, now int64, emit func(Action)) {
	emit(AssignSpecimen{Sample: p.Sample, Source: p.Source, Specimen: specimenChoices[k].specimen, Time: now})
}

// keys handles A, V and J. The caller skips it while a text field has the
// keyboard.
func (b *specimenBar) keys(gtx layout.Context, p *SpecimenPrompt, now int64, emit func(Action)) {
	for k, c := range specimenChoices {
		for {
			ev, ok := gtx.Event(key.Filter{Name: c.key})
			if !ok {
				break
			}
			if e, ok := ev.(key.Event); ok && e.State == key.Press && p != nil {
				b.assign(p, k, now, emit)
			}
		}
	}
}

// layout draws the prompt in r: what the result is, and a button per
// choice at the right.
func (b *specimenBar) layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	p *SpecimenPrompt, now int64, emit func(Action)) {
	b.shown = p != nil
	if p == nil {
		return
	}
	for k := range b.buttons {
		if b.buttons[k].clicked(gtx) {
			b.assign(p, k, now, emit)
		}
	}
	widget.Rect(gtx.Ops, r, 0, th.Tile)
	outline(gtx.Ops, r, px(3), th.AlarmLow)
	gap := px(8)
	bw := px(200)
	x := r.Max.X - gap
	for k := len(b.buttons) - 1; k >= 0; k-- {
		br := image.Rect(x-bw, r.Min.Y+px(5), x, r.Max.Y-px(5))
		b.buttons[k].layout(gtx, th, br, specimenChoices[k].label, px(15), th.Button, th.OnButton)
		x = br.Min.X - gap
	}
	b.buf = append(b.buf[:0], "BLOOD GAS "...)
	b.buf = appendClock(b.buf, p.Sample, b.zone)
	b.buf = append(b.buf, " from "...)
	b.buf = append(b.buf, p.Source...)
	b.buf = append(b.buf, ", SPECIMEN NOT STATED: "...)
	b.buf = append(b.buf, p.Summary...)
	b.line.Shape(th.Shaper, th.Label, px(16), b.text.set(b.buf), x-r.Min.X-2*gap)
	b.line.Paint(gtx, th.Shaper, r.Min.X+gap, (r.Min.Y+r.Max.Y)/2+b.line.Ascent*36/100, th.Text)
}

// Text returns the prompt's text on the last frame, "" when none was
// shown. For tests.
func (b *specimenBar) Text() string {
	if !b.shown {
		return ""
	}
	return string(b.buf)
}

package view

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gioui.org/font"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	gwidget "gioui.org/widget"
	"gioui.org/widget/material"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// SetupTab is a page of the set-up screen.
type SetupTab uint8

// The set-up screen's pages: the patient and what follows from it, the
// case record (set-up, checklist, close, sign-off), a manual blood gas.
const (
	TabPatient SetupTab = iota
	TabRecord
	TabBloodGas
	NumSetupTabs
)

var setupTabLabels = [NumSetupTabs]string{"PATIENT", "CASE RECORD", "BLOOD GAS"}

// RecordEntries asks to record entries of the perfusion record: set-up
// (procedure, team, circuit, disposables, prime), checklist, residual
// volume, incident, sign-off, or a manual blood gas whose results are in
// the channels' units (the form converts from the site's). Each has its
// time; Who is left to the integrator. It validates each as monitor/entry
// does, records them, puts a blood gas's results on its abg.* or vbg.*
// channels from the operator's source, and says a refusal in
// State.Refusal; nothing is recorded when one is refused.
type RecordEntries struct {
	Entries []entry.Entry
}

func (RecordEntries) action() {}

// field is one input of a form: an entry field (kind, key) typed in an
// editor, or chosen among choices with a button that cycles them.
type field struct {
	kind, key, label, unit string
	num                    bool
	choices                []string
	choice                 int // index in choices; -1 none
	ed                     gwidget.Editor
	btn                    button
	at                     image.Rectangle // drawn there on the last frame
}

func newField(kind, key, label, unit string, num bool) *field {
	f := &field{kind: kind, key: key, label: label, unit: unit, num: num, choice: -1}
	f.ed.SingleLine = true
	if num {
		f.ed.Filter = "0123456789.-"
	}
	return f
}

func choiceField(kind, key, label string, choices []string) *field {
	f := newField(kind, key, label, "", false)
	f.choices = choices
	return f
}

// value is the field's text, or its choice.
func (f *field) value() string {
	if f.choices != nil {
		if f.choice < 0 {
			return ""
		}
		return f.choices[f.choice]
	}
	return strings.TrimSpace(f.ed.Text())
}

// set shows v (a choice is selected when it is one).
func (f *field) set(v string) {
	if f.choices != nil {
		f.choice = slices.Index(f.choices, v)
		return
	}
	f.ed.SetText(v)
}

func numText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// disposableRows are the disposables the form has a row for.
var disposableRows = []struct{ item, label string }{
	{"oxygenator", "Oxygenator"}, {"reservoir", "Reservoir"}, {"arterial_filter", "Arterial filter"},
	{"arterial_cannula", "Arterial cannula"}, {"venous_cannula", "Venous cannula"}, {"haemofilter", "Haemofilter"},
}

// recordForm is the case record page: the set-up fields, the disposables
// table, the checklist, the close of the case and the sign-off.
type recordForm struct {
	setup  []*field     // procedure, team, circuit, ECMO configuration
	prime  [3][2]*field // prime fluids: name, mL
	addit  *field       // a prime additive as typed: "heparin 5000 IU"
	disp   [][4]*field  // per disposable row: product, size, site, lot
	check  *field
	resid  [2]*field // mL, disposition
	incid  [2]*field // text, category
	sign   *field
	btns   [5]button // record set-up, sign checklist, record residual, record incident, sign off
	btnAt  [5]image.Rectangle
	loaded bool
	all    []*field // every field, built once (Layout must not allocate)
}

// The case record page's buttons, for RecordButton.
const (
	RecordSetupButton = iota
	SignChecklistButton
	RecordResidualButton
	RecordIncidentButton
	SignOffButton
)

// RecordButton returns where button i (RecordSetupButton, ...) was drawn
// on the last frame. For tests.
func (f *recordForm) RecordButton(i int) image.Rectangle { return f.btnAt[i] }

// Choice returns the choice button of kind and key and where it was
// drawn; for tests.
func (f *recordForm) Choice(kind, key string) (string, image.Rectangle) {
	for _, x := range f.fields() {
		if x.kind == kind && x.key == key && x.choices != nil {
			return x.value(), x.at
		}
	}
	return "", image.Rectangle{}
}

func newRecordForm() *recordForm {
	f := &recordForm{
		setup: []*field{
			newField(entry.KindProcedure, "procedure", "Procedure", "", false),
			choiceField(entry.KindProcedure, "urgency", "Urgency", []string{"elective", "urgent", "emergency", "salvage"}),
			newField(entry.KindTeam, "surgeon", "Surgeon", "", false),
			newField(entry.KindTeam, "anaesthetist", "Anaesthetist", "", false),
			newField(entry.KindTeam, "perfusionist", "Perfusionist", "", false),
			newField(entry.KindTeam, "trainee", "Trainee", "", false),
			newField(entry.KindTeam, "supervisor", "Supervisor", "", false),
			newField(entry.KindCircuit, "hlm", "Heart-lung machine", "", false),
			newField(entry.KindCircuit, "heater_cooler", "Heater-cooler", "", false),
			choiceField(entry.KindCircuit, "venous_drainage", "Venous drainage", []string{"gravity", "vacuum"}),
			newField(entry.KindCircuit, "rap_ml", "RAP (prime removed)", "mL", true),
			// An ECMO run's configuration (docs/ecmo.md); left unset in a
			// bypass case, it records nothing.
			choiceField(entry.KindECMOConfig, "mode", "ECMO mode", entry.ECMOModes),
			choiceField(entry.KindECMOConfig, "drainage", "ECMO drainage", entry.ECMODrainageSites),
			choiceField(entry.KindECMOConfig, "return", "ECMO return", entry.ECMOReturnSites),
		},
		addit: newField(entry.KindDrug, "text", "Prime additive", "", false),
		check: newField(entry.KindChecklist, "signed_by", "Checklist signed by", "", false),
		sign:  newField(entry.KindSignOff, "name", "Perfusionist signing", "", false),
	}
	for i := range f.prime {
		f.prime[i] = [2]*field{newField(entry.KindFluid, "name", fmt.Sprintf("Prime fluid %d", i+1), "", false),
			newField(entry.KindFluid, "volume_ml", "", "mL", true)}
	}
	for range disposableRows {
		f.disp = append(f.disp, [4]*field{newField(entry.KindDisposable, "product", "", "", false), newField(entry.KindDisposable, "size", "", "", false),
			newField(entry.KindDisposable, "site", "", "", false), newField(entry.KindDisposable, "lot", "", "", false)})
	}
	f.resid = [2]*field{newField(entry.KindResidualVolume, "volume_ml", "Residual pump volume", "mL", true),
		choiceField(entry.KindResidualVolume, "disposition", "", entry.ResidualDispositions)}
	f.incid = [2]*field{newField(entry.KindIncident, "text", "Incident", "", false),
		choiceField(entry.KindIncident, "category", "", entry.IncidentCategories)}
	f.all = f.listFields()
	return f
}

// fields lists every field of the form, for focus and tests.
func (f *recordForm) fields() []*field { return f.all }

func (f *recordForm) listFields() []*field {
	out := slices.Clone(f.setup)
	for _, p := range f.prime {
		out = append(out, p[0], p[1])
	}
	out = append(out, f.addit)
	for _, d := range f.disp {
		out = append(out, d[:]...)
	}
	return append(out, f.check, f.resid[0], f.resid[1], f.incid[0], f.incid[1], f.sign)
}

// Field returns the form's field of kind and key (a disposable's by its
// item in kind "disposable:ITEM", a prime fluid's as "fluid:N"), nil if
// none. For tests.
func (f *recordForm) Field(kind, key string) *gwidget.Editor {
	if k, item, ok := strings.Cut(kind, ":"); ok {
		for i, d := range disposableRows {
			if k == entry.KindDisposable && d.item == item {
				for _, x := range f.disp[i] {
					if x.key == key {
						return &x.ed
					}
				}
			}
		}
		if n, err := strconv.Atoi(item); err == nil && k == entry.KindFluid && n >= 1 && n <= len(f.prime) {
			if key == "name" {
				return &f.prime[n-1][0].ed
			}
			return &f.prime[n-1][1].ed
		}
		return nil
	}
	for _, x := range f.fields() {
		if x.kind == kind && x.key == key && x.choices == nil {
			return &x.ed
		}
	}
	return nil
}

// load fills the form from the recorded entries (the last of each kind
// wins) and, where nothing is recorded, from the site's preset.
func (f *recordForm) load(recorded, preset []entry.Entry) {
	latest := func(kind, item string) (entry.Entry, bool) {
		for _, src := range [][]entry.Entry{recorded, preset} {
			for i := len(src) - 1; i >= 0; i-- {
				if e := src[i]; e.Kind == kind && (item == "" || e.Str["item"] == item) {
					return e, true
				}
			}
		}
		return entry.Entry{}, false
	}
	for _, x := range f.setup {
		if e, ok := latest(x.kind, ""); ok {
			if v, ok := e.Str[x.key]; ok {
				x.set(v)
			} else if v, ok := e.Num[x.key]; ok {
				x.set(numText(v))
			}
		}
	}
	for i, d := range disposableRows {
		if e, ok := latest(entry.KindDisposable, d.item); ok {
			for _, x := range f.disp[i] {
				if x.key != "lot" || slices.ContainsFunc(recorded, func(r entry.Entry) bool { return r.Kind == entry.KindDisposable }) {
					x.set(e.Str[x.key]) // a lot is this case's: never from the preset
				}
			}
		}
	}
	var fluids []entry.Entry
	var drugs []entry.Entry
	src := recorded
	if !slices.ContainsFunc(recorded, func(e entry.Entry) bool { return e.Kind == entry.KindFluid }) {
		src = preset
	}
	for _, e := range src {
		switch {
		case e.Kind == entry.KindFluid && e.Str["fluid_kind"] == "prime":
			fluids = append(fluids, e)
		case e.Kind == entry.KindDrug && e.Str["route"] == "prime":
			drugs = append(drugs, e)
		}
	}
	for i, e := range fluids[:min(len(fluids), len(f.prime))] {
		f.prime[i][0].set(e.Str["name"])
		if v, ok := e.Num["volume_ml"]; ok {
			f.prime[i][1].set(numText(v))
		}
	}
	if len(drugs) > 0 {
		d := drugs[0]
		f.addit.set(strings.TrimSpace(d.Str["name"] + " " + numText(d.Num["dose"]) + " " + d.Str["unit"]))
	}
	if e, ok := latest(entry.KindChecklist, ""); ok && len(recorded) > 0 {
		f.check.set(e.Str["signed_by"])
	}
}

// formError is a refusal of what was typed, before anything is sent.
type formError struct{ msg string }

func (e *formError) Error() string { return e.msg }

func (x *field) number() (float64, bool, error) {
	t := x.value()
	if t == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		label := x.label
		if label == "" {
			label = x.key
		}
		return 0, false, &formError{fmt.Sprintf("%s: %q is not a number", label, t)}
	}
	return v, true, nil
}

// setupEntries are the set-up entries the form holds that differ from what
// is recorded: procedure, team, circuit, disposables, prime fluids and the
// prime additive. A prime fluid or additive already recorded alike is not
// recorded again (they add up).
func (f *recordForm) setupEntries(at int64, recorded []entry.Entry) ([]entry.Entry, error) {
	byKind := map[string]*entry.Entry{}
	var order []string
	for _, x := range f.setup {
		if x.value() == "" {
			continue
		}
		e := byKind[x.kind]
		if e == nil {
			e = &entry.Entry{Kind: x.kind, Time: at}
			byKind[x.kind] = e
			order = append(order, x.kind)
		}
		if x.num {
			v, _, err := x.number()
			if err != nil {
				return nil, err
			}
			e.SetNum(x.key, v)
		} else {
			e.SetStr(x.key, x.value())
		}
	}
	var out []entry.Entry
	for _, k := range order {
		out = append(out, *byKind[k])
	}
	for i, d := range disposableRows {
		e := entry.Entry{Kind: entry.KindDisposable, Time: at}
		for _, x := range f.disp[i] {
			if v := x.value(); v != "" {
				e.SetStr(x.key, v)
			}
		}
		if len(e.Str) > 0 {
			e.SetStr("item", d.item)
			out = append(out, e)
		}
	}
	for _, p := range f.prime {
		name := p[0].value()
		v, has, err := p[1].number()
		if err != nil {
			return nil, err
		}
		if name == "" && !has {
			continue
		}
		e := entry.Entry{Kind: entry.KindFluid, Time: at}
		e.SetStr("name", name).SetStr("fluid_kind", "prime")
		if has {
			e.SetNum("volume_ml", v)
		}
		out = append(out, e)
	}
	if t := f.addit.value(); t != "" {
		e, err := entry.ParseText(entry.KindDrug, t)
		if err != nil {
			return nil, err
		}
		e.Time, e.Text = at, ""
		e.SetStr("route", "prime")
		entry.Normalize(&e)
		out = append(out, e)
	}
	return slices.DeleteFunc(out, func(e entry.Entry) bool { return alreadyRecorded(e, recorded) }), nil
}

// alreadyRecorded reports whether e says nothing new: a set-up entry
// equal to the last recorded one of its kind (of its item), a prime fluid
// or additive recorded alike.
func alreadyRecorded(e entry.Entry, recorded []entry.Entry) bool {
	same := func(a, b entry.Entry) bool {
		return sameStr(a.Str, b.Str) && sameNum(a.Num, b.Num)
	}
	switch e.Kind {
	case entry.KindFluid, entry.KindDrug:
		return slices.ContainsFunc(recorded, func(r entry.Entry) bool { return r.Kind == e.Kind && same(r, e) })
	}
	for i := len(recorded) - 1; i >= 0; i-- {
		r := recorded[i]
		if r.Kind == e.Kind && (e.Kind != entry.KindDisposable || r.Str["item"] == e.Str["item"]) {
			return same(r, e)
		}
	}
	return false
}

func sameStr(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sameNum(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// gasForm is the blood gas page: arterial or venous, the sample time, and
// the results in the site's units.
type gasForm struct {
	venous   bool
	sampleBt button
	at       *field
	vals     []*field // entry.BloodGasAnalytes order
	all      []*field // at and vals, built once
	record   button
	// Where the sample toggle and the record button were drawn.
	SampleAt, RecordAt image.Rectangle
}

func newGasForm(u site.Units) *gasForm {
	g := &gasForm{at: newField(entry.KindBloodGas, "time", "Sample time", "hh:mm", false)}
	g.at.ed.Filter = "0123456789:"
	for i, a := range entry.BloodGasAnalytes {
		c := channel.Get(channel.ABGPH + channel.ID(i))
		d := u.Display(c)
		unitLabel := d.Unit
		if unitLabel == channel.PH {
			unitLabel = ""
		}
		g.vals = append(g.vals, newField(entry.KindBloodGas, a, strings.TrimPrefix(c.Label, "ABG "), unitLabel, true))
	}
	g.all = append([]*field{g.at}, g.vals...)
	return g
}

// Field returns the editor of analyte key ("pco2"), or of the sample time
// ("time"). For tests.
func (g *gasForm) Field(key string) *gwidget.Editor {
	if key == "time" {
		return &g.at.ed
	}
	for _, x := range g.vals {
		if x.key == key {
			return &x.ed
		}
	}
	return nil
}

// sampleTime is the time typed (hh:mm or hh:mm:ss on the theatre's clock,
// the latest such time not after now), now when empty.
func sampleTime(text string, now time.Time, loc *time.Location) (int64, error) {
	if text == "" {
		return now.UnixNano(), nil
	}
	layout := "15:04"
	if strings.Count(text, ":") == 2 {
		layout = "15:04:05"
	}
	c, err := time.ParseInLocation(layout, text, loc)
	if err != nil {
		return 0, &formError{fmt.Sprintf("sample time %q is not a time of day (09:15 or 09:15:30)", text)}
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
	if t.After(n.Add(entry.DefaultSkew)) {
		t = t.AddDate(0, 0, -1)
	}
	return t.UnixNano(), nil
}

// entry is the blood gas as typed, its results converted to the channels'
// units; an error names what is wrong (a value out of range in the unit
// typed).
func (g *gasForm) entry(now time.Time, loc *time.Location, u site.Units) (entry.Entry, error) {
	t, err := sampleTime(g.at.value(), now, loc)
	if err != nil {
		return entry.Entry{}, err
	}
	e := entry.Entry{Kind: entry.KindBloodGas, Time: t}
	e.SetStr("sample", map[bool]string{false: "arterial", true: "venous"}[g.venous])
	for _, x := range g.vals {
		v, has, err := x.number()
		if err != nil {
			return e, err
		}
		if has {
			e.SetNum(x.key, v)
		}
	}
	if len(e.Num) == 0 {
		return e, &formError{"no result typed: enter at least one value"}
	}
	if err := u.BloodGasStored(&e); err != nil {
		return e, err
	}
	return e, nil
}

func (g *gasForm) clear() {
	g.at.ed.SetText("")
	for _, x := range g.vals {
		x.ed.SetText("")
	}
}

// formPainter draws a form's rows. It keeps the screen's scale, not its
// px function: a function value kept in it would escape to the heap and
// cost every frame of every screen an allocation.
type formPainter struct {
	gtx   layout.Context
	th    *theme.Theme
	mth   *material.Theme
	scale float32
	line  *widget.Line
}

func newFormPainter(gtx layout.Context, th *theme.Theme, mth *material.Theme, px func(float32) int, line *widget.Line) *formPainter {
	return &formPainter{gtx: gtx, th: th, mth: mth, scale: float32(px(10000)) / 10000, line: line}
}

func (p *formPainter) px(v float32) int { return max(1, int(v*p.scale+0.5)) }

func (p *formPainter) text(x, y, size int, s string, col color.NRGBA, bold bool) int {
	f := p.th.Small
	if bold {
		f = p.th.Label
	}
	p.line.Shape(p.th.Shaper, f, size, s, 0)
	p.line.Paint(p.gtx, p.th.Shaper, x, y, col)
	return p.line.Width
}

// editor draws f's editor (or its choice button) in r.
func (p *formPainter) editor(f *field, r image.Rectangle) {
	px, th, gtx := p.px, p.th, p.gtx
	f.at = r
	if f.choices != nil {
		label := f.key + "?"
		if f.choice >= 0 {
			label = strings.ReplaceAll(f.choices[f.choice], "_", " ")
		}
		f.btn.layout(gtx, th, r, label, px(15), th.Button, th.OnButton)
		return
	}
	widget.Rect(gtx.Ops, r, 0, th.Tile)
	outline(gtx.Ops, r, max(1, px(1.5)), th.HeaderAccent)
	es := material.Editor(p.mth, &f.ed, "")
	es.Font = font.Font{Typeface: "Go"}
	es.TextSize = unit.Sp(float32(px(16)))
	es.HintColor = th.TextDim
	off := op.Offset(r.Min.Add(image.Pt(px(6), (r.Dy()-px(20))/2))).Push(gtx.Ops)
	egtx := gtx
	egtx.Metric = unit.Metric{PxPerDp: 1, PxPerSp: 1}
	egtx.Constraints = layout.Exact(image.Pt(max(1, r.Dx()-px(12)), px(22)))
	es.Layout(egtx)
	off.Pop()
}

// row draws a labelled field: label, editor, unit.
func (p *formPainter) row(f *field, x0, labelW, edW, y, h int) {
	px := p.px
	p.text(x0, y+h/2+px(6), px(16), f.label, p.th.Text, false)
	p.editor(f, image.Rect(x0+labelW, y+px(3), x0+labelW+edW, y+h-px(3)))
	if f.unit != "" {
		p.text(x0+labelW+edW+px(6), y+h/2+px(6), px(14), f.unit, p.th.TextDim, false)
	}
}

// cycle advances the choice of a clicked choice field.
func cycle(gtx layout.Context, f *field) {
	if f.choices != nil && f.btn.clicked(gtx) {
		f.choice++
		if f.choice >= len(f.choices) {
			f.choice = -1
		}
	}
}

// signatureText says who signed what and when, from the recorded entries.
func signatureText(recorded []entry.Entry, kind, key, none string, loc *time.Location) string {
	for i := len(recorded) - 1; i >= 0; i-- {
		if e := recorded[i]; e.Kind == kind {
			return "signed by " + e.Str[key] + " at " + time.Unix(0, e.Time).In(loc).Format("15:04 MST")
		}
	}
	return none
}

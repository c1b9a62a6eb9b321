package view

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	"gioui.org/font"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	gwidget "gioui.org/widget"
	"gioui.org/widget/material"

	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// setupFields are the set-up screen's numeric fields, in order.
var setupFields = [...]struct{ label, unit string }{
	{"Height", "cm"}, {"Weight", "kg"}, {"Age", "years"}, {"Pre-bypass Hct", "%"},
	{"Prime", "mL"}, {"Pre-bypass fluids", "mL"}, {"Crystalloid cardioplegia", "mL"},
}

// SetupTemps are the temperatures the target flow table is shown at, °C.
var SetupTemps = [...]float64{37, 35, 32, 30, 28}

// Setup is the case set-up screen: the patient's height, weight, age, sex
// and pre-bypass Hct, and what follows from them with the constants in
// force: BSA, target flows at several temperatures, predicted on-bypass
// Hct, heparin and protamine doses. APPLY sends the set-up as an action.
//
// Its other pages (tabs at the top) are the case record (set-up entries,
// disposables with their lots, prime, checklist, residual volume,
// incidents, sign-off) and a manual blood gas: they send RecordEntries.
type Setup struct {
	Fields [len(setupFields)]gwidget.Editor
	sex    physio.Sex
	sexBtn button
	apply  button
	loaded bool
	mth    *material.Theme
	line   widget.Line

	tab    SetupTab
	tabs   [NumSetupTabs]button
	Record *recordForm
	Gas    *gasForm
	// msg is why what was typed on a record or gas page was not sent ("" if
	// it was).
	msg    string
	zone   *time.Location
	units  site.Units
	preset []entry.Entry
}

// NewSetup returns the screen, its forms in the channels' units and the
// machine's zone until configure.
func NewSetup() *Setup {
	s := &Setup{Record: newRecordForm(), Gas: newGasForm(site.Units{}), zone: time.Local}
	for i := range s.Fields {
		s.Fields[i].SingleLine = true
		s.Fields[i].Filter = "0123456789."
	}
	return s
}

// configure sets the site's zone, units and preset.
func (s *Setup) configure(o Options) {
	s.zone, s.units, s.preset = o.Zone, o.Units, o.Preset
	s.Gas = newGasForm(o.Units)
}

// Tab returns the page shown; SetTab selects one.
func (s *Setup) Tab() SetupTab { return s.tab }

// SetTab selects the page shown.
func (s *Setup) SetTab(t SetupTab) {
	if t < NumSetupTabs {
		s.tab = t
	}
}

// Message returns why what was typed was not sent, "" if it was. For
// tests.
func (s *Setup) Message() string { return s.msg }

// focused reports whether one of the screen's text fields has the
// keyboard.
func (s *Setup) focused(gtx layout.Context) bool {
	for i := range s.Fields {
		if gtx.Focused(&s.Fields[i]) {
			return true
		}
	}
	for _, f := range s.Record.fields() {
		if gtx.Focused(&f.ed) {
			return true
		}
	}
	for _, f := range s.Gas.all {
		if gtx.Focused(&f.ed) {
			return true
		}
	}
	return false
}

// TabRect returns where tab t's button is drawn in a body of r at scale
// px.
func TabRect(r image.Rectangle, px func(float32) int, t SetupTab) image.Rectangle {
	pad, w, gap := px(12), px(170), px(8)
	x := r.Min.X + pad + int(t)*(w+gap)
	return image.Rect(x, r.Min.Y+pad, x+w, r.Min.Y+pad+px(36))
}

// Draft returns the set-up as entered (fields not entered or not numbers
// are 0).
func (s *Setup) Draft() SetupView {
	v := func(i int) float64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(s.Fields[i].Text()), 64)
		if err != nil || math.IsNaN(f) || f < 0 {
			return 0
		}
		return f
	}
	return SetupView{HeightCm: v(0), WeightKg: v(1), AgeYears: v(2), Sex: s.sex, HctPre: v(3),
		PrimeML: v(4), FluidsML: v(5), CardioplegiaML: v(6)}
}

func (s *Setup) load(v *SetupView) {
	vals := [...]float64{v.HeightCm, v.WeightKg, v.AgeYears, v.HctPre, v.PrimeML, v.FluidsML, v.CardioplegiaML}
	for i, f := range vals {
		if f > 0 {
			s.Fields[i].SetText(strconv.FormatFloat(f, 'f', -1, 64))
		}
	}
	s.sex = v.Sex
}

// Derived is what the set-up screen computes from a set-up; NaN when an
// input is missing.
type Derived struct {
	BSA, IdealWeight, BloodVolume, PredictedHct, HeparinIU, ProtamineMg float64
	// BloodVolumeBy names the blood volume estimate used.
	BloodVolumeBy string
	// Targets are the target flows, L/min, at SetupTemps.
	TargetIndex, TargetFlow [len(SetupTemps)]float64
}

// Derive computes the set-up's derived values with constants c. Sources:
// monitor/physio (BSA per c.BSAFormula; blood volume by
// physio.DilutionBloodVolume: min(actual, ideal) weight × Muraki's 70/60
// mL/kg when the age is known, else × c.BloodVolumeMLPerKg, or Nadler per
// c.BloodVolumeFormula; dilution formula of perfusion.md §2; heparin c.HeparinIUPerKg;
// protamine c.ProtamineMgPer100IU; target index table of Cavaliere).
func Derive(v SetupView, c *physio.Constants) Derived {
	nan := math.NaN()
	d := Derived{BSA: nan, IdealWeight: nan, BloodVolume: nan, PredictedHct: nan, HeparinIU: nan, ProtamineMg: nan}
	if v.HeightCm > 0 && v.WeightKg > 0 {
		d.BSA = physio.BSA(c.BSAFormula, v.HeightCm, v.WeightKg)
	}
	if v.HeightCm > 0 {
		d.IdealWeight = physio.IdealBodyWeight(v.HeightCm, v.Sex)
	}
	d.BloodVolume, d.BloodVolumeBy = physio.DilutionBloodVolume(c, v.HeightCm, v.WeightKg, v.AgeYears, v.Sex)
	if v.HctPre > 0 && !math.IsNaN(d.BloodVolume) {
		d.PredictedHct = physio.PredictedHct(v.HctPre, d.BloodVolume, v.PrimeML, v.FluidsML, v.CardioplegiaML, 0)
	}
	if v.WeightKg > 0 {
		d.HeparinIU = physio.HeparinDose(v.WeightKg, c.HeparinIUPerKg)
		d.ProtamineMg = physio.ProtamineDose(d.HeparinIU, c.ProtamineMgPer100IU)
	}
	for i, t := range SetupTemps {
		d.TargetIndex[i] = physio.TargetFlowIndex(t, c.FlowIndexTable)
		d.TargetFlow[i] = d.TargetIndex[i] * d.BSA
	}
	return d
}

func fmtOr(v float64, prec int, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + unit
}

// Layout draws the screen in r. It allocates (a text screen).
func (s *Setup) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int,
	st *State, c *physio.Constants, now time.Time, emit func(Action)) {
	for t := range s.tabs {
		if s.tabs[t].clicked(gtx) {
			s.tab, s.msg = SetupTab(t), ""
		}
	}
	if s.mth == nil {
		s.mth = &material.Theme{Shaper: th.Shaper}
	}
	s.mth.Palette = material.Palette{Bg: th.Tile, Fg: th.Text, ContrastBg: th.Selected, ContrastFg: th.OnSelected}
	for t := range s.tabs {
		bg, fg := th.Button, th.OnButton
		if SetupTab(t) == s.tab {
			bg, fg = th.Selected, th.OnSelected
		}
		s.tabs[t].layout(gtx, th, TabRect(r, px, SetupTab(t)), setupTabLabels[t], px(16), bg, fg)
	}
	switch s.tab {
	case TabRecord:
		s.layoutRecord(gtx, th, r, px, st, now, emit)
		return
	case TabBloodGas:
		s.layoutGas(gtx, th, r, px, st, now, emit)
		return
	}
	if !s.loaded && st.Setup != nil {
		s.load(st.Setup)
		s.loaded = true
	}
	if s.sexBtn.clicked(gtx) {
		s.sex = [...]physio.Sex{physio.Female, physio.Male, physio.Female}[s.sex]
	}
	if s.apply.clicked(gtx) {
		emit(ApplySetup{Setup: s.Draft(), Time: now.UnixNano()})
	}
	sh := th.Shaper
	pad := px(12)
	rowH := px(50)
	left := image.Rect(r.Min.X+pad, r.Min.Y+pad, r.Min.X+r.Dx()*45/100, r.Max.Y-pad)
	paint := func(x, y, size int, str string, bold bool, col color.NRGBA) {
		f := th.Small
		if bold {
			f = th.Label
		}
		s.line.Shape(sh, f, size, str, 0)
		s.line.Paint(gtx, sh, x, y, col)
	}
	y := left.Min.Y + px(44) // under the tabs, which take the place of the title
	labelW := left.Dx() * 55 / 100
	for i := range s.Fields {
		paint(left.Min.X, y+rowH/2+px(7), px(19), setupFields[i].label, true, th.Text)
		fr := image.Rect(left.Min.X+labelW, y+px(4), left.Max.X-px(70), y+rowH-px(4))
		widget.Rect(gtx.Ops, fr, 0, th.Tile)
		outline(gtx.Ops, fr, max(1, px(2)), th.HeaderAccent)
		es := material.Editor(s.mth, &s.Fields[i], "—")
		es.Font = font.Font{Typeface: "Go"}
		es.TextSize = unit.Sp(float32(px(20)))
		es.HintColor = th.TextDim
		off := op.Offset(fr.Min.Add(image.Pt(px(8), (fr.Dy()-px(26))/2))).Push(gtx.Ops)
		egtx := gtx
		egtx.Metric = unit.Metric{PxPerDp: 1, PxPerSp: 1}
		egtx.Constraints = layout.Exact(image.Pt(fr.Dx()-px(16), px(30)))
		es.Layout(egtx)
		off.Pop()
		paint(fr.Max.X+px(8), y+rowH/2+px(7), px(17), setupFields[i].unit, false, th.TextDim)
		y += rowH
	}
	paint(left.Min.X, y+rowH/2+px(7), px(19), "Sex", true, th.Text)
	sexLabel := [...]string{"not entered", "female", "male"}[min(int(s.sex), 2)]
	s.sexBtn.layout(gtx, th, image.Rect(left.Min.X+labelW, y+px(4), left.Max.X-px(70), y+rowH-px(4)), sexLabel, px(18), th.Button, th.OnButton)
	y += rowH + pad
	s.apply.layout(gtx, th, image.Rect(left.Min.X, y, left.Min.X+px(220), y+rowH), "APPLY", px(20), th.Selected, th.OnSelected)

	// Right: derived values and the constants in force.
	d := Derive(s.Draft(), c)
	x := left.Max.X + 3*pad
	y = r.Min.Y + pad
	paint(x, y+px(20), px(16), "CALCULATED", true, th.TextDim)
	y += px(52)
	lines := []string{
		"BSA (" + c.BSAFormula.Label() + ")   " + fmtOr(d.BSA, 2, "m²"),
		"Ideal body weight   " + fmtOr(d.IdealWeight, 1, "kg"),
		"Blood volume (" + d.BloodVolumeBy + ")   " + fmtOr(d.BloodVolume, 0, "mL"),
		"Predicted on-bypass Hct   " + fmtOr(d.PredictedHct, 1, "%"),
		fmt.Sprintf("Heparin (%.0f IU/kg)   %s", c.HeparinIUPerKg, fmtOr(d.HeparinIU, 0, "IU")),
		fmt.Sprintf("Protamine (%.2g mg/100 IU)   %s", c.ProtamineMgPer100IU, fmtOr(d.ProtamineMg, 0, "mg")),
	}
	for _, l := range lines {
		paint(x, y, px(20), l, false, th.Text)
		y += px(32)
	}
	y += pad
	paint(x, y, px(16), "TARGET FLOW BY TEMPERATURE", true, th.TextDim)
	y += px(30)
	for i, t := range SetupTemps {
		paint(x, y, px(19), fmt.Sprintf("%4.0f °C   index %s   flow %s", t, fmtOr(d.TargetIndex[i], 2, "L/min/m²"), fmtOr(d.TargetFlow[i], 2, "L/min")), false, th.Text)
		y += px(30)
	}
	y += pad
	paint(x, y, px(16), "CONSTANTS IN FORCE", true, th.TextDim)
	y += px(28)
	cons := []string{
		fmt.Sprintf("Hüfner k_Hb %.2f mL O2/g   O2 solubility %.4f mL/dL/mmHg", c.Hufner, c.O2Solubility),
		fmt.Sprintf("VCO2 factor %.3f mL/(L·mmHg)   SVR factor %.1f", c.VCO2Factor, c.SVRFactor),
		fmt.Sprintf("Blood volume %.0f mL/kg   DO2i threshold %.0f mL/min/m²", c.BloodVolumeMLPerKg, c.DO2iThreshold),
	}
	tab := "Flow index table:"
	for _, p := range c.FlowIndexTable {
		tab += fmt.Sprintf("  %.0f °C → %.2f", p.TempC, p.FlowIndex)
	}
	cons = append(cons, tab)
	for _, l := range cons {
		paint(x, y, px(17), l, false, th.TextDim)
		y += px(27)
	}
}

// layoutRecord draws the case record page: the set-up (left), the
// disposables, checklist, close and sign-off (right).
func (s *Setup) layoutRecord(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int, st *State, now time.Time, emit func(Action)) {
	f := s.Record
	if !f.loaded {
		f.load(st.Record, s.preset)
		f.loaded = true
	}
	nowNs := now.UnixNano()
	for _, x := range f.fields() {
		cycle(gtx, x)
	}
	send := func(es []entry.Entry, err error) {
		switch {
		case err != nil:
			s.msg = err.Error()
		case len(es) == 0:
			s.msg = "nothing new to record"
		default:
			s.msg = ""
			emit(RecordEntries{Entries: es})
		}
	}
	if f.btns[0].clicked(gtx) {
		send(f.setupEntries(nowNs, st.Record))
	}
	one := func(kind string, fields ...*field) ([]entry.Entry, error) {
		e := entry.Entry{Kind: kind, Time: nowNs}
		for _, x := range fields {
			switch {
			case x.value() == "":
			case x.key == "text":
				e.Text = x.value()
			case x.num:
				v, _, err := x.number()
				if err != nil {
					return nil, err
				}
				e.SetNum(x.key, v)
			default:
				e.SetStr(x.key, x.value())
			}
		}
		if kind == entry.KindChecklist {
			e.SetStr("checklist", "pre-bypass")
		}
		return []entry.Entry{e}, nil
	}
	if f.btns[1].clicked(gtx) {
		send(one(entry.KindChecklist, f.check))
	}
	if f.btns[2].clicked(gtx) {
		send(one(entry.KindResidualVolume, f.resid[:]...))
	}
	if f.btns[3].clicked(gtx) {
		es, err := one(entry.KindIncident, f.incid[:]...)
		send(es, err)
		if err == nil {
			f.incid[0].ed.SetText("")
		}
	}
	if f.btns[4].clicked(gtx) {
		send(one(entry.KindSignOff, f.sign))
	}

	p := newFormPainter(gtx, th, s.mth, px, &s.line)
	pad := px(12)
	rowH := px(32)
	top := r.Min.Y + pad + px(44)
	// Left: the set-up.
	x0 := r.Min.X + pad
	labelW, edW := px(170), px(260)
	y := top
	for _, x := range f.setup {
		if x.kind == entry.KindECMOConfig {
			continue // one row for the three, below
		}
		p.row(x, x0, labelW, edW, y, rowH)
		y += rowH
	}
	// The ECMO configuration: mode, drainage and return side by side, the
	// sites' buttons reaching into the gap before the right column.
	p.text(x0, y+rowH/2+px(6), px(16), "ECMO", th.Text, false)
	ex := x0 + labelW - px(90)
	for _, x := range f.setup {
		if x.kind != entry.KindECMOConfig {
			continue
		}
		w := px(150)
		if x.key == "mode" {
			w = px(80)
		}
		p.editor(x, image.Rect(ex, y+px(3), ex+w-px(4), y+rowH-px(3)))
		ex += w
	}
	y += rowH
	for _, pr := range f.prime {
		p.row(pr[0], x0, labelW, edW-px(70), y, rowH)
		p.editor(pr[1], image.Rect(x0+labelW+edW-px(64), y+px(3), x0+labelW+edW, y+rowH-px(3)))
		p.text(x0+labelW+edW+px(6), y+rowH/2+px(6), px(14), "mL", th.TextDim, false)
		y += rowH
	}
	p.row(f.addit, x0, labelW, edW, y, rowH)
	y += rowH + px(6)
	f.btnAt[0] = image.Rect(x0, y, x0+px(240), y+px(42))
	f.btns[0].layout(gtx, th, f.btnAt[0], "RECORD SET-UP", px(17), th.Selected, th.OnSelected)

	// Right: disposables, checklist, close, sign-off.
	x1 := x0 + labelW + edW + px(50)
	y = top
	p.text(x1, y+px(16), px(14), "DISPOSABLES  (product, size, site, lot)", th.TextDim, true)
	y += px(24)
	cols := [4]int{px(190), px(90), px(150), px(130)}
	itemW := px(130)
	for i, d := range disposableRows {
		p.text(x1, y+rowH/2+px(6), px(15), d.label, th.Text, false)
		x := x1 + itemW
		for k, e := range f.disp[i] {
			p.editor(e, image.Rect(x, y+px(3), x+cols[k]-px(4), y+rowH-px(3)))
			x += cols[k]
		}
		y += rowH
	}
	y += px(8)
	wide := px(300)
	act := func(x *field, i int, label string, extra *field) {
		p.row(x, x1, itemW+px(40), wide-px(40), y, rowH)
		bx := x1 + itemW + wide + px(40)
		if extra != nil {
			p.editor(extra, image.Rect(bx, y+px(3), bx+px(140), y+rowH-px(3)))
			bx += px(148)
		}
		f.btnAt[i] = image.Rect(bx, y+px(2), bx+px(170), y+rowH-px(2))
		f.btns[i].layout(gtx, th, f.btnAt[i], label, px(14), th.Button, th.OnButton)
		y += rowH + px(4)
	}
	act(f.check, SignChecklistButton, "SIGN CHECKLIST", nil)
	p.text(x1, y+px(14), px(14), "Pre-bypass checklist: "+signatureText(st.Record, entry.KindChecklist, "signed_by", "not signed", s.zone), th.TextDim, false)
	y += px(24)
	act(f.resid[0], RecordResidualButton, "RECORD", f.resid[1])
	act(f.incid[0], RecordIncidentButton, "RECORD INCIDENT", f.incid[1])
	y += px(8)
	act(f.sign, SignOffButton, "SIGN OFF RECORD", nil)
	state := signatureText(st.Record, entry.KindSignOff, "name", "UNSIGNED: not signed off", s.zone)
	col := th.Text
	if !strings.HasPrefix(state, "signed") {
		col = th.Warning
	}
	p.text(x1, y+px(16), px(16), "Record: "+state, col, true)
	s.message(p, st, x0, r.Max.Y-pad)
}

// message shows why what was typed was not sent, else the integrator's
// refusal of the last entry.
func (s *Setup) message(p *formPainter, st *State, x, y int) {
	msg := s.msg
	if msg == "" && st.Refusal != "" {
		msg = st.Refusal
	}
	if msg != "" {
		p.text(x, y, p.px(16), "NOT RECORDED: "+msg, p.th.Alarm, true)
	}
}

// layoutGas draws the blood gas page: the results in the site's units,
// arterial or venous, the sample time on the theatre's clock.
func (s *Setup) layoutGas(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int, st *State, now time.Time, emit func(Action)) {
	g := s.Gas
	if g.sampleBt.clicked(gtx) {
		g.venous = !g.venous
	}
	if g.record.clicked(gtx) {
		e, err := g.entry(now, s.zone, s.units)
		if err != nil {
			s.msg = err.Error()
		} else {
			s.msg = ""
			emit(RecordEntries{Entries: []entry.Entry{e}})
			g.clear()
		}
	}
	p := newFormPainter(gtx, th, s.mth, px, &s.line)
	pad := px(12)
	rowH := px(34)
	x0 := r.Min.X + pad
	labelW, edW := px(170), px(140)
	y := r.Min.Y + pad + px(44)
	p.text(x0, y+rowH/2+px(6), px(16), "Sample", th.Text, false)
	sample := "ARTERIAL (abg)"
	if g.venous {
		sample = "VENOUS (vbg)"
	}
	g.SampleAt = image.Rect(x0+labelW, y+px(3), x0+labelW+px(220), y+rowH-px(3))
	g.sampleBt.layout(gtx, th, g.SampleAt, sample, px(15), th.Button, th.OnButton)
	y += rowH
	p.row(g.at, x0, labelW, edW, y, rowH)
	p.text(x0+labelW+edW+px(60), y+rowH/2+px(6), px(14), "theatre time ("+now.In(s.zone).Format("MST")+"); empty: now", th.TextDim, false)
	y += rowH + px(4)
	half := (len(g.vals) + 1) / 2
	for i, x := range g.vals {
		cx, cy := x0, y+i*rowH
		if i >= half {
			cx, cy = x0+labelW+edW+px(120), y+(i-half)*rowH
		}
		p.row(x, cx, labelW, edW, cy, rowH)
	}
	y += half*rowH + px(10)
	g.RecordAt = image.Rect(x0, y, x0+px(260), y+px(42))
	g.record.layout(gtx, th, g.RecordAt, "RECORD BLOOD GAS", px(17), th.Selected, th.OnSelected)
	y += px(62)
	for _, l := range [...]string{"A result entered here goes on the abg.* or vbg.* channels,", "like an analyser's: derived values and alarms use it.",
		"Typed in the site's units, stored in the channel's (docs/site.md)."} {
		p.text(x0, y, px(14), l, th.TextDim, false)
		y += px(22)
	}
	s.message(p, st, x0, r.Max.Y-pad)
}

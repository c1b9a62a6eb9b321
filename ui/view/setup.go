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

	"github.com/pumpside/pumpside/monitor/physio"
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
type Setup struct {
	Fields [len(setupFields)]gwidget.Editor
	sex    physio.Sex
	sexBtn button
	apply  button
	loaded bool
	mth    *material.Theme
	line   widget.Line
}

// NewSetup returns the screen.
func NewSetup() *Setup {
	s := &Setup{}
	for i := range s.Fields {
		s.Fields[i].SingleLine = true
		s.Fields[i].Filter = "0123456789."
	}
	return s
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
	if s.mth == nil {
		s.mth = &material.Theme{Shaper: sh}
	}
	s.mth.Palette = material.Palette{Bg: th.Tile, Fg: th.Text, ContrastBg: th.Selected, ContrastFg: th.OnSelected}
	paint := func(x, y, size int, str string, bold bool, col color.NRGBA) {
		f := th.Small
		if bold {
			f = th.Label
		}
		s.line.Shape(sh, f, size, str, 0)
		s.line.Paint(gtx, sh, x, y, col)
	}
	y := left.Min.Y
	paint(left.Min.X, y+px(20), px(16), "PATIENT", true, th.TextDim)
	y += px(30)
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

package view

import (
	"image"
	"math"
	"strconv"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// SafetyLine is shown permanently in the header.
const SafetyLine = "Secondary display — heart-lung machine alarms are primary"

// DefaultStaleAfter is how old a snapshot may be before the monitor stops
// trusting it: the pipeline publishes several times a second, so a snapshot
// this old means the feed has stopped.
const DefaultStaleAfter = 5 * time.Second

// Options configure the monitor screen.
type Options struct {
	// CaseStart is when the case started; the header shows the snapshot's
	// time as elapsed since then. Zero shows "--:--:--".
	CaseStart time.Time
	// StaleAfter is the age at which a snapshot counts as a stopped feed:
	// every value then shows as stale and the header says so. Zero means
	// DefaultStaleAfter; negative disables the check.
	StaleAfter time.Duration
	// Constants are the physiological constants in force: the flow index
	// target table, the DO2i threshold, the BSA formula and heparin dose of
	// the set-up screen. nil means physio.DefaultConstants().
	Constants *physio.Constants
	// DO2iQ10 and DO2iQ10Inputs scale the DO2i threshold with the
	// patient's temperature as the alarm profile's do2i_low scales its
	// limit (alarms.Profile.Q10Of; physio.Q10Factor at the first of the
	// inputs with a valid reading): the tile's threshold and the trend's
	// shaded band are then the limit the alarm judges by. DO2iQ10 ≤ 1 (the
	// zero value): the fixed Constants.DO2iThreshold.
	DO2iQ10       float64
	DO2iQ10Inputs []channel.ID
	// CardioplegiaInterval is the re-dose interval the cardioplegia timer
	// counts down to; zero means DefaultCardioplegiaInterval.
	CardioplegiaInterval time.Duration
	// GasStrategy is how the arterial blood gas is shown on the patient
	// temperature's tile while the patient is cooled: alpha-stat (as
	// measured, at 37 °C; the zero value) or pH-stat (at the patient's
	// temperature, by GasCorrection).
	GasStrategy physio.GasStrategy
	// GasCorrection are the analyser family's temperature coefficients;
	// nil means physio.DefaultGasCorrection().
	GasCorrection *physio.GasCorrection
	// OnAction receives the operator's actions, on the goroutine that
	// calls Layout, during Layout: it must not block (queue the action and
	// apply it elsewhere). nil drops them.
	OnAction func(Action)
	// Zone is the theatre's time zone: every time of day shown is in it,
	// with its abbreviation. nil means time.Local.
	Zone *time.Location
	// Oxygenator puts the oxygenator's tile group on the screen
	// (OxygenatorSecondary): for ECMO and long runs, where the oxygenator
	// is what is watched. False (the bypass console) keeps Secondary.
	Oxygenator bool
	// ECMO is a long run's console (docs/ecmo.md): the timer strip shows
	// the run time, the oxygenator's and the circuit's age and the time
	// since the last ACT in days, hours and minutes, and the quick entry
	// offers the ECMO events (ECMOEntryKinds).
	ECMO bool
	// Units are the site's display units of gases, Hb and glucose (the
	// tiles, trends and forms; stored values keep the channel's unit).
	// The zero Units shows the channels' units.
	Units site.Units
	// Preset are the site's usual set-up entries: the case record form
	// starts from them (site.Config.Preset).
	Preset []entry.Entry
}

// MonitorTrendWindow is the time the monitor screen's short trends show.
const MonitorTrendWindow = 30 * time.Minute

// DefaultCardioplegiaInterval is the multidose re-dose interval
// (perfusion.md §3: multidose 20 min, Durandy 2015); del Nido and HTK
// users set their own.
const DefaultCardioplegiaInterval = 20 * time.Minute

// TileSpec places one channel on the screen.
type TileSpec struct {
	Channel channel.ID
	Group   theme.Group
}

// Primary are the large tiles, row by row.
var Primary = []TileSpec{
	{channel.PumpFlow, theme.Flow},
	{channel.DerivedFlowIndex, theme.Flow},
	{channel.PatientMAP, theme.Pressure},
	{channel.DerivedSVR, theme.Pressure},
	{channel.DerivedDO2i, theme.Oxygen},
	{channel.InlineVenSO2, theme.Oxygen},
	{channel.InlineHct, theme.Blood},
	{channel.TempArterialOutlet, theme.Temperature},
}

// Secondary are the small tiles under the large ones, row by row.
var Secondary = []TileSpec{
	{channel.PatientCVP, theme.Pressure},
	{channel.PumpLinePressure, theme.Flow},
	{channel.ReservoirLevel, theme.Flow},
	{channel.GasSweep, theme.CO2},
	{channel.GasFiO2, theme.CO2},
	{channel.DerivedVCO2i, theme.CO2},
	{channel.DerivedDO2iVCO2i, theme.CO2},
	{channel.DerivedVO2i, theme.Oxygen},
	{channel.DerivedO2ER, theme.Oxygen},
	{channel.NIRSLeft, theme.Oxygen},
	{channel.NIRSRight, theme.Oxygen},
	{channel.InlineHb, theme.Blood},
	{channel.ACTSeconds, theme.Blood},
	{channel.TempVenousInlet, theme.Temperature},
	{channel.TempNasopharyngeal, theme.Temperature},
	{channel.DerivedAVGradient, theme.Temperature},
}

// OxygenatorSecondary returns the small tiles with the oxygenator's group:
// its pressure drop (derived.oxy_dp) and post-oxygenator PaO2/FiO2
// (derived.oxy_pf_ratio) take the places of DO2i/VCO2i and O2ER, the
// goal-directed perfusion figures (which mean little when the native heart
// and lungs work beside the circuit, as on ECMO), next to VCO2i, its CO2
// removal, and VO2i, its O2 transfer (on the circuit the same quantities:
// docs/physiology.md). The same number of tiles: a third row would shrink
// every numeral below what the screen must keep (TestGeometry). A new
// slice each call.
func OxygenatorSecondary() []TileSpec {
	out := append([]TileSpec(nil), Secondary...)
	for i, s := range out {
		switch s.Channel {
		case channel.DerivedDO2iVCO2i:
			out[i] = TileSpec{channel.DerivedOxyDP, theme.Flow}
		case channel.DerivedO2ER:
			out[i] = TileSpec{channel.DerivedOxyPF, theme.Oxygen}
		}
	}
	return out
}

// Monitor is the monitor screen's body: the case timers, the grid of
// numeric tiles and a strip of six short trends. Its state lives across
// frames; create it once with NewMonitor.
type Monitor struct {
	opts      Options
	primary   []widget.TileState
	secondary []widget.TileState
	secSpecs  []TileSpec      // Secondary or OxygenatorSecondary
	notes     [][]byte        // per tile, primary then secondary
	body      image.Rectangle // of the last Layout
	scale     float32
	geom      Geometry
	timers    timers
	trends    [6]trendPanel
}

// NewMonitor returns the monitor screen.
func NewMonitor(opts Options) *Monitor {
	opts = opts.withDefaults()
	m := &Monitor{opts: opts}
	tile := func(s TileSpec) widget.TileState {
		ts := widget.NewTileState(s.Channel, s.Group)
		if d := opts.Units.Display(channel.Get(s.Channel)); d.Converted() {
			ts.SetDisplay(d.Unit, d.Factor, d.Precision)
		}
		return ts
	}
	for _, s := range Primary {
		m.primary = append(m.primary, tile(s))
	}
	m.secSpecs = Secondary
	if opts.Oxygenator {
		m.secSpecs = OxygenatorSecondary()
	}
	for _, s := range m.secSpecs {
		m.secondary = append(m.secondary, tile(s))
	}
	m.notes = make([][]byte, len(Primary)+len(m.secSpecs))
	for i := range m.notes {
		m.notes[i] = make([]byte, 0, 64)
	}
	for i := range m.trends {
		m.trends[i] = newTrendPanel(DefaultTrends[i%len(DefaultTrends)])
	}
	m.timers = newTimers()
	return m
}

func (o Options) withDefaults() Options {
	if o.StaleAfter == 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.Constants == nil {
		c := physio.DefaultConstants()
		o.Constants = &c
	}
	if o.CardioplegiaInterval == 0 {
		o.CardioplegiaInterval = DefaultCardioplegiaInterval
	}
	if o.GasCorrection == nil {
		g := physio.DefaultGasCorrection()
		o.GasCorrection = &g
	}
	if o.Zone == nil {
		o.Zone = time.Local
	}
	return o
}

// CooledBelow is the core temperature under which the patient counts as
// cooled: the patient temperature's tile then shows the arterial gas by
// the strategy in force.
const CooledBelow = 35.0

// appendDerivation appends the assumptions a derived value was computed
// under, so that no flagged value looks like a measured one.
func appendDerivation(dst []byte, f monitor.DerivationFlags) []byte {
	for _, x := range [...]struct {
		f monitor.DerivationFlags
		s string
	}{
		{monitor.FlagSaO2FromSpO2, "SaO2 = SpO2"},
		{monitor.FlagPaO2Omitted, "no PaO2: dissolved O2 omitted"},
		{monitor.FlagHbFromAnalyser, "Hb from lab"},
		{monitor.FlagHbFromHct, "Hb from Hct/3"},
	} {
		if f&x.f != 0 {
			if len(dst) > 0 {
				dst = append(dst, "  "...)
			}
			dst = append(dst, x.s...)
		}
	}
	return dst
}

// appendCheck appends the comparison of the in-line monitor with the
// newest analyser result: "lab 24 at 10:42, in-line +3" ("lab 24 in use,
// in-line +3" while the pipeline prefers it to the in-line reading).
func appendCheck(dst []byte, c *monitor.InlineCheck, prec int, loc *time.Location) []byte {
	if c.Lab == 0 {
		return dst
	}
	dst = append(dst, "lab "...)
	dst = strconv.AppendFloat(dst, c.LabValue, 'f', prec, 64)
	if c.LabPreferred {
		dst = append(dst, " in use"...)
	} else {
		dst = append(dst, " at "...)
		dst = appendClock(dst, c.LabTime, loc)
	}
	if !math.IsNaN(c.Diff) {
		dst = append(dst, ", in-line "...)
		if c.Diff >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendFloat(dst, c.Diff, 'f', prec, 64)
	}
	return dst
}

// appendGas appends the arterial gas as the strategy shows it at the
// patient's temperature tempC: "alpha-stat pH 7.40 CO2 40 (37 °C)" or
// "pH-stat pH 7.53 CO2 27".
func (m *Monitor) appendGas(dst []byte, snap *monitor.Snapshot, tempC float64) []byte {
	gas, _, ok := monitor.ArterialGas(snap)
	if !ok {
		return dst
	}
	show := m.opts.GasCorrection.Display(m.opts.GasStrategy, gas, tempC)
	if math.IsNaN(show.PH) || math.IsNaN(show.PCO2) {
		return dst
	}
	if m.opts.GasStrategy == physio.PHStat {
		dst = append(dst, "pH-stat pH "...)
	} else {
		dst = append(dst, "alpha-stat pH "...)
	}
	dst = strconv.AppendFloat(dst, show.PH, 'f', 2, 64)
	dst = append(dst, " CO2 "...)
	dst = strconv.AppendFloat(dst, show.PCO2, 'f', 0, 64)
	if m.opts.GasStrategy != physio.PHStat {
		dst = append(dst, " (37 °C)"...)
	}
	return dst
}

// Tile returns the state of the tile showing id, or nil: tests read what a
// tile showed through it.
func (m *Monitor) Tile(id channel.ID) *widget.TileState {
	for _, ts := range [][]widget.TileState{m.primary, m.secondary} {
		for i := range ts {
			if ts[i].Channel == id {
				return &ts[i]
			}
		}
	}
	return nil
}

// Note returns the note the tile showing id had on the last Layout.
func (m *Monitor) Note(id channel.ID) string {
	for i, s := range Primary {
		if s.Channel == id {
			return string(m.notes[i])
		}
	}
	for i, s := range m.secSpecs {
		if s.Channel == id {
			return string(m.notes[len(Primary)+i])
		}
	}
	return ""
}

// Timers returns what the timers showed on the last Layout, for tests.
func (m *Monitor) Timers() []string { return m.timers.shown() }

// Geometry is where the monitor screen puts things in its body.
type Geometry struct {
	// Scale is pixels per design pixel: the screen is designed at 1280×800
	// and scales to fill larger windows.
	Scale          float32
	Timers, Trends image.Rectangle
	// TrendColumn: the trends are a column at the right (else a strip at
	// the bottom).
	TrendColumn        bool
	Primary, Secondary []image.Rectangle // one per tile, in Primary/Secondary order
	// Text sizes in pixels of the tiles of each kind.
	PrimaryText, SecondaryText TextPx
}

// TextPx are the text sizes of a kind of tile, in pixels.
type TextPx struct{ Value, Label, Small int }

// px converts design pixels to pixels.
func (g *Geometry) px(v float32) int { return max(1, int(v*g.Scale+0.5)) }

// Layout computes the geometry of a body rectangle at scale, reusing g's
// slices.
//
// Everything scales with the window, as on a fixed-function monitor and
// whatever the platform's DPI setting: text is as large as the screen
// allows, for reading from 2 m. The timers take a strip at the top, the
// short trends a strip at the bottom (a fifth of the body); the large tiles
// take four columns and the small ones eight (two and four on a window
// narrower than 5:4), a small row being half as high as a large one.
func (g *Geometry) Layout(th *theme.Theme, body image.Rectangle, scale float32, nPrimary, nSecondary int) {
	g.Scale = scale
	gap := g.px(8)
	g.Timers = image.Rect(body.Min.X, body.Min.Y, body.Max.X, body.Min.Y+g.px(40))
	rest := image.Rect(body.Min.X, g.Timers.Max.Y+gap, body.Max.X, body.Max.Y)
	var tiles image.Rectangle
	g.TrendColumn = float32(rest.Dx()) >= 1.6*float32(rest.Dy())
	if g.TrendColumn {
		// Landscape: tiles are limited by their height, so the trends
		// take a column at the right.
		w := rest.Dx() * 24 / 100
		g.Trends = image.Rect(rest.Max.X-w, rest.Min.Y, rest.Max.X, rest.Max.Y)
		tiles = image.Rect(rest.Min.X, rest.Min.Y, g.Trends.Min.X-gap, rest.Max.Y)
	} else {
		h := rest.Dy() * 18 / 100
		g.Trends = image.Rect(rest.Min.X, rest.Max.Y-h, rest.Max.X, rest.Max.Y)
		tiles = image.Rect(rest.Min.X, rest.Min.Y, rest.Max.X, g.Trends.Min.Y-gap)
	}
	pCols, sCols := 4, 8
	if float32(tiles.Dx()) < 1.25*float32(tiles.Dy()) {
		pCols, sCols = 2, 4
	}
	const sRatio = 0.6 // a small row's height, in large rows
	pRows := (nPrimary + pCols - 1) / pCols
	sRows := (nSecondary + sCols - 1) / sCols
	unitH := float32(tiles.Dy()-gap*(pRows+sRows-1)) / (float32(pRows) + sRatio*float32(sRows))
	pH, sH := max(1, int(unitH)), max(1, int(sRatio*unitH))
	var bottom int
	g.Primary, bottom = grid(g.Primary[:0], nPrimary, tiles.Min, tiles.Dx(), pH, pCols, gap)
	g.Secondary, _ = grid(g.Secondary[:0], nSecondary, image.Pt(tiles.Min.X, bottom+gap), tiles.Dx(), sH, sCols, gap)
	g.PrimaryText = g.text(th, g.Primary, 20, 14)
	g.SecondaryText = g.text(th, g.Secondary, 13, 11)
}

func (g *Geometry) text(th *theme.Theme, tiles []image.Rectangle, label, small float32) TextPx {
	t := TextPx{Label: g.px(label), Small: g.px(small)}
	if len(tiles) > 0 {
		// The small text takes two lines: the note and the status.
		t.Value = widget.ValuePx(th, tiles[0].Size(), t.Label, t.Small*176/100, widget.ValueChars)
	}
	return t
}

// grid appends n cells of a grid of cols columns of rows h high from at;
// it returns the bottom of the last row.
func grid(dst []image.Rectangle, n int, at image.Point, w, h, cols, gap int) ([]image.Rectangle, int) {
	tw := max(1, (w-gap*(cols-1))/cols)
	bottom := at.Y
	for i := range n {
		min := at.Add(image.Pt(i%cols*(tw+gap), i/cols*(h+gap)))
		dst = append(dst, image.Rectangle{Min: min, Max: min.Add(image.Pt(tw, h))})
		bottom = min.Y + h
	}
	return dst, bottom
}

// Geometry returns the geometry of the last Layout.
func (m *Monitor) Geometry() *Geometry { return &m.geom }

// Layout draws the body in rect (window pixels) at scale. snap may be nil:
// every tile then shows no value. now is on the snapshot's clock.
//
// Layout does not lock, does not read the clock and, once the sizes and
// texts have been shaped, does not allocate.
func (m *Monitor) Layout(gtx layout.Context, th *theme.Theme, rect image.Rectangle, scale float32,
	snap *monitor.Snapshot, st *State, now time.Time, feedStale bool) {
	if rect != m.body || scale != m.scale {
		m.body, m.scale = rect, scale
		m.geom.Layout(th, rect, scale, len(m.primary), len(m.secondary))
	}
	g := &m.geom
	if m.opts.ECMO {
		m.timers.layoutECMO(gtx, th, g.Timers, g.px, snap, st, now)
	} else {
		m.timers.layout(gtx, th, g.Timers, g.px, snap, st, now, m.opts.CardioplegiaInterval)
	}
	m.tiles(gtx, th, m.primary, g.Primary, g.PrimaryText, snap, st, now, feedStale, 0)
	m.tiles(gtx, th, m.secondary, g.Secondary, g.SecondaryText, snap, st, now, feedStale, len(m.primary))
	tr := g.Trends
	n := len(m.trends)
	gap := g.px(6)
	for i := range m.trends {
		var r image.Rectangle
		if g.TrendColumn {
			h := (tr.Dy() - gap*(n-1)) / n
			r = image.Rect(tr.Min.X, tr.Min.Y+i*(h+gap), tr.Max.X, tr.Min.Y+i*(h+gap)+h)
		} else {
			w := (tr.Dx() - gap*(n-1)) / n
			r = image.Rect(tr.Min.X+i*(w+gap), tr.Min.Y, tr.Min.X+i*(w+gap)+w, tr.Max.Y)
		}
		m.trends[i].layout(gtx, th, r, g.px, snap, st, now, MonitorTrendWindow, m.opts, false)
	}
}

func (m *Monitor) tiles(gtx layout.Context, th *theme.Theme, tiles []widget.TileState, rects []image.Rectangle, px TextPx,
	snap *monitor.Snapshot, st *State, now time.Time, feedStale bool, noteBase int) {
	nowNs := now.UnixNano()
	for i := range tiles {
		ts, rect := &tiles[i], rects[i]
		r := snap.Reading(ts.Channel)
		t := widget.Tile(th, ts, r, snap.SourceName(r.Source), nowNs)
		t.FeedStale = feedStale
		t.ValuePx, t.LabelPx, t.SmallPx = px.Value, px.Label, px.Small
		var alert bool
		note := &m.notes[noteBase+i]
		*note, alert = m.appendNote((*note)[:0], ts.Channel, snap, st, nowNs, feedStale)
		t.Note = *note
		t.NoteAlert = alert
		off := op.Offset(rect.Min).Push(gtx.Ops)
		gtx := gtx
		gtx.Constraints = layout.Exact(rect.Size())
		t.Layout(gtx)
		off.Pop()
	}
}

// coreTemp returns the patient temperature the flow target is read at: the
// nasopharyngeal (core) temperature, else the bladder, else the venous
// inlet (the blood returning from the patient), and its label.
func coreTemp(snap *monitor.Snapshot, now int64, feedStale bool) (float64, bool) {
	for _, id := range [...]channel.ID{channel.TempNasopharyngeal, channel.TempBladder, channel.TempVenousInlet} {
		r := snap.Reading(id)
		if widget.Assess(channel.Get(id), r, now, feedStale).OK() {
			return r.Value, true
		}
	}
	return 0, false
}

// do2iThreshold is the DO2i threshold in force: Constants.DO2iThreshold,
// scaled by the profile's Q10 at the patient's temperature when Options
// say so (monitor.Q10Factor, the alarm engine's scaling of do2i_low).
// scaled is true when the temperature lowered it (below 37 °C).
func do2iThreshold(o *Options, snap *monitor.Snapshot) (thr, tempC float64, scaled bool) {
	f, t, ok := monitor.Q10Factor(snap, o.DO2iQ10, o.DO2iQ10Inputs)
	return o.Constants.DO2iThreshold * f, t, ok && f < 1
}

// appendNote appends the note of the tile showing id: the flow index
// target at the current temperature, the DO2i threshold, the alarm limits
// in force, and on the arterial outlet's the rewarming rate. alert says the
// value is on the wrong side of its target.
func (m *Monitor) appendNote(dst []byte, id channel.ID, snap *monitor.Snapshot, st *State, now int64, feedStale bool) ([]byte, bool) {
	c := channel.Get(id)
	r := snap.Reading(id)
	valueOK := widget.Assess(c, r, now, feedStale).OK()
	alert := false
	switch id {
	case channel.DerivedFlowIndex:
		t, ok := coreTemp(snap, now, feedStale)
		if !ok {
			return append(dst, "target: no temperature"...), false
		}
		target := physio.TargetFlowIndex(t, m.opts.Constants.FlowIndexTable)
		dst = append(dst, "target "...)
		dst = strconv.AppendFloat(dst, target, 'f', 2, 64)
		dst = append(dst, " at "...)
		dst = strconv.AppendFloat(dst, t, 'f', 1, 64)
		dst = append(dst, " °C"...)
		return dst, valueOK && r.Value < target
	case channel.DerivedDO2i:
		th, tempC, scaled := do2iThreshold(&m.opts, snap)
		dst = append(dst, "threshold "...)
		dst = strconv.AppendFloat(dst, th, 'f', 0, 64)
		if scaled {
			dst = append(dst, " at "...)
			dst = strconv.AppendFloat(dst, tempC, 'f', 1, 64)
			dst = append(dst, " °C"...)
		}
		alert = valueOK && r.Value < th
		if d := snap.Derivation(id); d != nil && valueOK {
			dst = appendDerivation(dst, d.Flags)
		}
	case channel.InlineHct:
		if snap != nil {
			dst = appendCheck(dst, &snap.HctCheck, 0, m.opts.Zone)
		}
	case channel.InlineHb:
		if snap != nil {
			dst = appendCheck(dst, &snap.HbCheck, 1, m.opts.Zone)
		}
	case channel.TempNasopharyngeal, channel.TempBladder:
		if t, tid, ok := monitor.PatientTemp(snap); ok && tid == id && t < CooledBelow && !feedStale {
			dst = m.appendGas(dst, snap, t)
		}
	}
	if lo, hi, ok := limitsFor(st, id); ok {
		if len(dst) > 0 {
			dst = append(dst, "  "...)
		}
		// In the tile's unit: the site's (Hb 8.0 g/dL is "low 80" in g/L).
		d := m.opts.Units.Display(c)
		switch {
		case !math.IsNaN(lo) && !math.IsNaN(hi):
			dst = append(dst, "limits "...)
			dst = d.Append(dst, lo)
			dst = append(dst, "–"...)
			dst = d.Append(dst, hi)
		case !math.IsNaN(lo):
			dst = append(dst, "low "...)
			dst = d.Append(dst, lo)
		case !math.IsNaN(hi):
			dst = append(dst, "high "...)
			dst = d.Append(dst, hi)
		}
		if valueOK && (r.Value < lo || r.Value > hi) {
			alert = true
		}
	}
	if id == channel.TempArterialOutlet {
		if len(dst) > 0 {
			dst = append(dst, "  "...)
		}
		dst = appendRewarmRate(dst, snap, now, feedStale)
	}
	return dst, alert
}

// appendRewarmRate appends the rewarming rate, "rewarm +0.30 °C/min", or
// "rewarm no value" while it is not valid. It is the snapshot's
// derived.rewarm_rate, the value the alarm rewarm_rate_high evaluates and
// the report counts: the least-squares slope of the patient's core
// temperature (nasopharyngeal, else bladder) over the pipeline's
// RewarmWindow (physio.RewarmRate), so the screen never shows a rate of its
// own. It goes on the arterial outlet's tile, the temperature watched while
// rewarming, whose ≥ 30 °C gates the rate's limit (STS/SCA/AmSECT 2015:
// rewarming ≤ 0.5 °C/min once the outlet is ≥ 30 °C).
func appendRewarmRate(dst []byte, snap *monitor.Snapshot, now int64, feedStale bool) []byte {
	c := channel.Get(channel.DerivedRewarmRate)
	r := snap.Reading(channel.DerivedRewarmRate)
	dst = append(dst, "rewarm "...)
	if !widget.Assess(c, r, now, feedStale).OK() {
		return append(dst, "no value"...)
	}
	scale := math.Pow10(c.Precision)
	v := math.Round(r.Value*scale) / scale
	if v >= 0 {
		v = math.Abs(v) // no "-0.00"
		dst = append(dst, '+')
	}
	dst = strconv.AppendFloat(dst, v, 'f', c.Precision, 64)
	dst = append(dst, ' ')
	return append(dst, c.Unit...)
}

// limitsFor returns the alarm limits in force for id, NaN for a side
// without one.
func limitsFor(st *State, id channel.ID) (lo, hi float64, ok bool) {
	lo, hi = math.NaN(), math.NaN()
	for i := range st.Limits {
		if l := &st.Limits[i]; l.Channel == id {
			lo, hi, ok = l.Low, l.High, true
		}
	}
	return lo, hi, ok && !(math.IsNaN(lo) && math.IsNaN(hi))
}

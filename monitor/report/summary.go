package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// Settings are the thresholds of the summary. Each one is a hospital
// setting; the defaults are those of docs/../shared perfusion reference §3
// and of the pipeline's monitor.Limits.
type Settings struct {
	// DO2iThreshold in mL/min/m²; 0 means "the case file's do2i_threshold,
	// else 280" (GIFT 2018).
	DO2iThreshold float64
	// DO2iQ10 and DO2iQ10Inputs scale the DO2i threshold with the patient's
	// temperature as the alarm profile's do2i_low scales its limit
	// (physio.Q10Factor at the first of the inputs, channel names, with a
	// usable value): the time and area below it are then judged by the
	// limit the alarm judged by. The commands take them from --profile,
	// else from the built-in profile of the run's mode (docs/report.md).
	// DO2iQ10 ≤ 1 (the zero value): the fixed threshold.
	DO2iQ10       float64
	DO2iQ10Inputs []string
	// Limits are the pipeline's case-statistics limits (MAP < 50 mmHg,
	// SvO2 < 60 %, arterial outlet ≥ 37 °C, |A–V gradient| > 10 °C).
	Limits monitor.Limits
	// WarmFrom is the arterial outlet temperature (°C) from which the
	// stricter rewarming limits apply (STS/SCA/AmSECT 2015): default 30.
	WarmFrom float64
	// AVGradientWarm: |A–V gradient| (°C) over it counts once the outlet is
	// at or above WarmFrom. Default 4.
	AVGradientWarm float64
	// RewarmRateHigh: rewarming rate (°C/min) over it counts once the
	// outlet is at or above WarmFrom. Default 0.5.
	RewarmRateHigh float64
	// DerivedHold is how long a recorded derived.* value stands for the
	// case: derived values are recorded once per second, and like the
	// pipeline's StatsMaxStep no value counts for longer. Default 2 s.
	DerivedHold time.Duration
	// BloodGasInterval: a longer stretch of bypass without a blood gas is a
	// missing record item. Default 30 min.
	BloodGasInterval time.Duration
	// Quality are the site's quality indicators (quality.go); nil: the
	// defaults (DefaultIndicators).
	Quality []Indicator
	// Zone is the theatre's time zone: every time an output shows is in
	// it, and says so. Default (nil) UTC; the commands use the site's.
	Zone *time.Location
	// Units are the display units of gases, Hb and glucose (stored values
	// keep their channel's unit). Zero: the channels' units.
	Units site.Units
	// GridInterval is the observation grid's interval on bypass: 10 or
	// 15 min. Default 15 min.
	GridInterval time.Duration
	// Solutions are the cardioplegia solutions (crystalloid part, re-dose
	// interval). Default entry.DefaultSolutions().
	Solutions []entry.Solution
}

// DefaultSettings returns the defaults described on each field.
func DefaultSettings() Settings {
	return Settings{
		Limits:           monitor.DefaultSettings().Limits,
		WarmFrom:         30,
		AVGradientWarm:   4,
		RewarmRateHigh:   0.5,
		DerivedHold:      2 * time.Second,
		BloodGasInterval: 30 * time.Minute,
		GridInterval:     site.DefaultGridInterval,
	}
}

// loc is the zone outputs show times in.
func (s *Settings) loc() *time.Location {
	if s.Zone == nil {
		return time.UTC
	}
	return s.Zone
}

// Nadir is an extreme value and when and where it was measured.
type Nadir struct {
	Value   float64 // NaN when there was none
	Time    time.Time
	Channel string
}

// Valid reports whether the nadir has a value.
func (n Nadir) Valid() bool { return !math.IsNaN(n.Value) }

// Volume is a sum of volumes in mL and how many entries made it.
type Volume struct {
	ML    float64
	Count int
}

// DrugTotal is the total of one drug in one unit.
type DrugTotal struct {
	Name, Unit string
	// Total is the sum of the recorded doses, Count how many there are.
	Total float64
	Count int
	// Undosed counts the entries of the drug without a dose: given, but
	// how much is not recorded (never counted as 0).
	Undosed int
}

// Completeness is the share of bypass time a key channel had a fresh, usable
// value.
type Completeness struct {
	Channel string
	Share   float64 // 0..1; NaN without bypass time
}

// LogEntry is one line of the event and drug log, free text already
// redacted when the summary is not identified.
type LogEntry struct {
	Time       time.Time
	Kind, Text string
	Who        string
	// Edited: the entry shows its values after an edit; the edit
	// itself is a log entry of kind edit.
	Edited bool
}

// BloodGas is one analyser sample: the abg.* or vbg.* values recorded at
// one time, by analyte (ph, pco2, ...).
type BloodGas struct {
	Time   time.Time
	Sample string // "ABG" or "VBG"
	Values map[string]float64
}

// CaseSummary is the perfusion record's summary of one case. Every output
// of this package is made from it.
type CaseSummary struct {
	// Label is the case as outputs show it: the keyed pseudonym, or the
	// case tag when identified.
	Label string
	// Identified is true when built with Privacy.Identify; only then are
	// CaseID and Identifiers set.
	Identified  bool
	CaseID      string
	Identifiers map[string]string

	Start, End                   time.Time
	HeightCm, WeightKg, AgeYears float64 // NaN when unknown
	Sex                          string
	BSA                          float64 // m², NaN when unknown

	Settings      Settings
	DO2iThreshold float64 // the threshold used, mL/min/m² (at 37 °C when Settings.DO2iQ10 scales it)

	// Bypass, CrossClamp and Arrest are the summed durations of the
	// on_bypass/off_bypass, clamp_on/clamp_off and arrest_start/arrest_end
	// periods (the arrest includes its cerebral perfusion); an unclosed
	// period counts up to the end of the file (and is a missing item).
	Bypass, CrossClamp, Arrest time.Duration
	// FullFlow is the time on full bypass: the on-bypass figures below
	// (nadirs, time below limits, completeness) count over it alone, as the
	// console's statistics do (monitor/timeline: one definition of "on
	// bypass"). Weaning (partial bypass), the circulatory arrest without
	// cerebral perfusion, and antegrade and retrograde cerebral perfusion
	// are reported on their own.
	FullFlow, Weaning, ArrestOnly, ACP, RCP time.Duration
	// acpSpans are the timeline's ACP spans: the perfusion record's ACP
	// flow and temperature are means over them; fullSpans the full-flow
	// spans (FullFlowSpans).
	acpSpans, fullSpans []span
	// do2iLim is the DO2i threshold over the case (DO2iThreshold, scaled
	// with the temperature when Settings.DO2iQ10 says so): the summary's
	// time below it and the quality indicator's.
	do2iLim                do2iLimit
	BypassStart, BypassEnd time.Time // first on_bypass, last off (zero if none)

	LowestTemp Nadir // temp.nasopharyngeal / temp.bladder, on bypass
	NadirHct   Nadir // inline.hct, abg.hct, vbg.hct, on bypass
	NadirDO2i  Nadir // derived.do2i, on bypass
	MaxOutlet  Nadir // highest temp.arterial_outlet on bypass

	// Durations on bypass with the condition, each from usable, fresh
	// values only; DO2iAreaBelow in mL/min/m² × min.
	DO2iBelow     time.Duration
	DO2iAreaBelow float64
	MAPBelow      time.Duration
	SvO2Below     time.Duration
	OutletHigh    time.Duration
	// AVGradientHigh: the gradient outside the guideline's signed band
	// (physio.AVGradientOutside): below −Limits.AVGradientHigh (cooling), or
	// above it, or above AVGradientWarm once the outlet is ≥ WarmFrom
	// (rewarming): what av_gradient_high alarms on. AVGradientWarmHigh is the
	// part of it rewarming led by more than AVGradientWarm at ≥ WarmFrom.
	AVGradientHigh     time.Duration
	AVGradientWarmHigh time.Duration
	RewarmRateHigh     time.Duration // rate > RewarmRateHigh, outlet ≥ WarmFrom

	// Fluids in, by fluid kind (prime, crystalloid, colloid, other),
	// cardioplegia, cell salvage and blood products; out: urine and
	// haemofiltration. Balance = in − out, mL.
	FluidsIn     map[string]Volume
	Cardioplegia Volume // the doses delivered, blood and crystalloid
	// CardioplegiaCounted is what the balance counts of them, mL: each
	// dose's crystalloid share less what was discarded (crystalloidIn).
	CardioplegiaCounted float64
	CellSalvage         Volume
	BloodProducts       map[string]Volume // by product
	Urine               Volume
	Haemofiltration     Volume
	Balance             float64

	Drugs []DrugTotal // by name then unit

	// AlarmsByPriority counts activations (transitions to active).
	AlarmsByPriority map[string]int
	AlarmsByID       map[string]int
	// AlarmLog says where the counts come from; with AlarmLogNone they are
	// not recorded (empty), never 0.
	AlarmLog AlarmLog

	Completeness []Completeness
	Missing      []string

	BloodGases []BloodGas
	// InlineChecks are the in-line monitor's checks against the analyser
	// (monitor/qc, docs/qc.md), one row per analyte of each result, in
	// time order; InlineChecksFrom says where they come from, and the
	// counts sum them by outcome.
	InlineChecks                                  []InlineCheckRow
	InlineChecksFrom                              InlineChecks
	InlinePassed, InlineFailed, InlineNotCompared int
	Log                                           []LogEntry
	BadLines                                      int

	// Record is the rest of the perfusion record: set-up, laboratory
	// extremes, anticoagulation, cardioplegia, ACP, close and sign-off
	// (record.go); Grid the observations on bypass (grid.go).
	Record
	Grid ObservationGrid
}

// KeyChannels are the channels whose completeness is reported and whose
// trends are charted.
var KeyChannels = []string{"pump.flow", "patient.map", "derived.do2i", "temp.arterial_outlet", "temp.venous_inlet", "temp.nasopharyngeal", "inline.ven_so2", "inline.hct"}

// Summarize computes the summary of a case. It fails only when priv cannot
// pseudonymise (no secret and not Identify).
func Summarize(c *Case, set Settings, priv Privacy) (*CaseSummary, error) {
	label, err := priv.Label(c.ID)
	if err != nil {
		return nil, err
	}
	red := priv.redactor(c)
	thr := set.DO2iThreshold
	if thr <= 0 {
		thr = c.Meta.DO2iThreshold
		if math.IsNaN(thr) || thr <= 0 {
			thr = 280
		}
	}
	s := &CaseSummary{
		Label: label, Identified: priv.Identify,
		Start: utc(c.Start), End: utc(c.End),
		HeightCm: c.Meta.HeightCm, WeightKg: c.Meta.WeightKg, AgeYears: c.Meta.AgeYears, Sex: c.Meta.Sex,
		BSA: c.BSA(), Settings: set, DO2iThreshold: thr, BadLines: c.BadLines,
		FluidsIn: map[string]Volume{}, BloodProducts: map[string]Volume{},
		AlarmsByPriority: map[string]int{}, AlarmsByID: map[string]int{},
	}
	if priv.Identify {
		s.CaseID = c.ID
		s.Identifiers = c.Meta.Identifiers
	}

	var byp, clamp, arrest time.Duration
	bypass := s.periods(c, "on_bypass", "off_bypass", "bypass", &byp)
	s.periods(c, "clamp_on", "clamp_off", "cross-clamp", &clamp)
	s.periods(c, "arrest_start", "arrest_end", "circulatory arrest", &arrest)
	// The times themselves are monitor/timeline's answers, the ones the
	// console's timers and the alarm engine show (an arrest ends with
	// bypass at the latest).
	tl := timeline.New(len(c.Events) + 1)
	for _, e := range c.Events {
		tag := timeline.Qualifier(e.Kind, func(k string) string { return e.Str[k] })
		_ = tl.Add(timeline.Event{Time: e.T, Kind: e.Kind, Text: e.Text, Tag: tag}) // only events without a time are refused
	}
	st := tl.At(c.End)
	s.Bypass, s.CrossClamp, s.Arrest = st.Bypass, st.Clamp, st.Arrest
	s.FullFlow, s.Weaning, s.ArrestOnly = st.InPhase[timeline.Bypass], st.InPhase[timeline.Weaning], st.InPhase[timeline.Arrest]
	s.ACP, s.RCP = st.InPhase[timeline.ACP], st.InPhase[timeline.RCP]
	if len(bypass) > 0 {
		s.BypassStart, s.BypassEnd = utc(bypass[0].a), utc(bypass[len(bypass)-1].b)
	}
	// The figures of perfusion on bypass count over full flow alone, after
	// its first minute (timeline.Settle: the flow coming up), as the
	// console's statistics; the case's temperature and Hct nadirs and the
	// record's completeness checks over all of the time on the pump.
	var full []span
	for _, sp := range timeline.Settled(tl.Spans(timeline.Bypass, c.End)) {
		full = append(full, span{sp.From, sp.To})
	}
	s.fullSpans = full
	for _, sp := range tl.Spans(timeline.ACP, c.End) {
		s.acpSpans = append(s.acpSpans, span{sp.From, sp.To})
	}

	s.LowestTemp = nadir(c, bypass, false, "temp.nasopharyngeal", "temp.bladder")
	s.NadirHct = nadir(c, bypass, false, "inline.hct", "abg.hct", "vbg.hct")
	s.NadirDO2i = nadir(c, full, false, "derived.do2i")
	s.MaxOutlet = nadir(c, bypass, true, "temp.arterial_outlet")

	s.do2iLim = newDO2iLimit(c, set, thr)
	s.integrate(c, full, set)
	s.records(c, red)
	s.alarms(c)
	s.missing(c, bypass, set)
	s.bloodGases(c)
	s.inlineChecks(c)
	s.record(c, bypass, set, red)
	s.Grid = observationGrid(c, bypass, set)
	return s, nil
}

func utc(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

type span struct{ a, b int64 }

// periods pairs open/close events in time order into spans, adds their
// total to *total and records unpaired events as missing items.
func (s *CaseSummary) periods(c *Case, open, close, what string, total *time.Duration) []span {
	var out []span
	var start int64
	on := false
	for _, e := range c.Events {
		switch e.Kind {
		case open:
			if on {
				s.Missing = append(s.Missing, fmt.Sprintf("%s at %s while %s already open", open, s.clock(e.T), what))
				continue
			}
			on, start = true, e.T
		case close:
			if !on {
				s.Missing = append(s.Missing, fmt.Sprintf("%s at %s without %s", close, s.clock(e.T), open))
				continue
			}
			on = false
			out = append(out, span{start, e.T})
		}
	}
	if on {
		s.Missing = append(s.Missing, fmt.Sprintf("%s from %s not closed (%s missing): counted to the end of the file", what, s.clock(start), close))
		out = append(out, span{start, c.End})
	}
	for _, p := range out {
		*total += time.Duration(p.b - p.a)
	}
	return out
}

// clock is a time of day in the summary's zone, for its messages.
func (s *CaseSummary) clock(ns int64) string { return utc(ns).In(s.Settings.loc()).Format("15:04:05") }

// inSpans reports whether t is in one of the spans, each [a, b): a value
// taken as the pump stops (at off_bypass) is after bypass.
func inSpans(sp []span, t int64) bool {
	for _, p := range sp {
		if t >= p.a && t < p.b {
			return true
		}
	}
	return false
}

// nadir is the lowest (highest with max) usable value of the channels at
// a time inside the spans.
func nadir(c *Case, sp []span, highest bool, chans ...string) Nadir {
	n := Nadir{Value: math.NaN()}
	for _, ch := range chans {
		for _, p := range c.Series[ch] {
			if math.IsNaN(p.V) || !inSpans(sp, p.T) {
				continue
			}
			if !n.Valid() || (!highest && p.V < n.Value) || (highest && p.V > n.Value) {
				n = Nadir{Value: p.V, Time: utc(p.T), Channel: ch}
			}
		}
	}
	return n
}

// step is a channel as a step function: a usable point holds its value
// until the channel's next point or until it goes stale (its freshness
// limit, or Settings.DerivedHold for derived values), whichever is first.
type step struct {
	pts  []Point
	hold int64
}

func newStep(c *Case, name string, set Settings) step {
	hold := int64(set.DerivedHold)
	if id, ok := channel.Lookup(name); ok {
		if f := channel.Get(id).Freshness; f > 0 {
			hold = int64(f)
		}
	}
	return step{pts: c.Series[name], hold: hold}
}

// at returns the value at t, NaN when none is usable and fresh.
func (s step) at(t int64) float64 {
	i := sort.Search(len(s.pts), func(i int) bool { return s.pts[i].T > t }) - 1
	if i < 0 || t >= s.pts[i].T+s.hold {
		return math.NaN()
	}
	return s.pts[i].V
}

// breaks appends the times at which s may change value.
func (s step) breaks(dst []int64) []int64 {
	for _, p := range s.pts {
		dst = append(dst, p.T, p.T+s.hold)
	}
	return dst
}

// do2iLimit is the DO2i threshold over a case: thr, scaled by the profile's
// Q10 at the patient's temperature (physio.Q10Factor, the alarm engine's
// scaling of do2i_low) at the first of the temperatures with a usable value,
// thr when none has one.
type do2iLimit struct {
	thr, q10 float64
	temps    []step
}

func newDO2iLimit(c *Case, set Settings, thr float64) do2iLimit {
	l := do2iLimit{thr: thr, q10: set.DO2iQ10}
	if l.q10 > 1 {
		for _, name := range set.DO2iQ10Inputs {
			l.temps = append(l.temps, newStep(c, name, set))
		}
	}
	return l
}

// at is the threshold at t.
func (l do2iLimit) at(t int64) float64 {
	for _, st := range l.temps {
		if v := st.at(t); !math.IsNaN(v) {
			return physio.Q10Limit(l.thr, l.q10, v)
		}
	}
	return l.thr
}

// breaks appends the times at which the threshold may change.
func (l do2iLimit) breaks(dst []int64) []int64 {
	for _, st := range l.temps {
		dst = st.breaks(dst)
	}
	return dst
}

// integrate counts the durations of the conditions over the bypass spans.
// Between two consecutive change points of any input every value is
// constant, so each piece is judged once: exact, to the nanosecond.
func (s *CaseSummary) integrate(c *Case, bypass []span, set Settings) {
	do2i := newStep(c, "derived.do2i", set)
	thr := s.do2iLim
	mapv := newStep(c, "patient.map", set)
	svo2 := newStep(c, "inline.ven_so2", set)
	outlet := newStep(c, "temp.arterial_outlet", set)
	grad := newStep(c, "derived.av_gradient", set)
	rate := newStep(c, "derived.rewarm_rate", set)
	keys := make([]step, len(KeyChannels))
	fresh := make([]time.Duration, len(KeyChannels))
	var br []int64
	for _, st := range []step{do2i, mapv, svo2, outlet, grad, rate} {
		br = st.breaks(br)
	}
	br = thr.breaks(br)
	for i, k := range KeyChannels {
		keys[i] = newStep(c, k, set)
		br = keys[i].breaks(br)
	}
	for _, p := range bypass {
		br = append(br, p.a, p.b)
	}
	slices.Sort(br)
	br = slices.Compact(br)
	lim := set.Limits
	for _, p := range bypass {
		i := sort.Search(len(br), func(i int) bool { return br[i] >= p.a })
		for ; i+1 < len(br) && br[i] < p.b; i++ {
			a, b := br[i], min(br[i+1], p.b)
			dt := time.Duration(b - a)
			if v, l := do2i.at(a), thr.at(a); v < l {
				s.DO2iBelow += dt
				s.DO2iAreaBelow += (l - v) * dt.Minutes()
			}
			if v := mapv.at(a); v < lim.MAPLow {
				s.MAPBelow += dt
			}
			if v := svo2.at(a); v < lim.SvO2Low {
				s.SvO2Below += dt
			}
			o := outlet.at(a)
			if o >= lim.OutletHigh {
				s.OutletHigh += dt
			}
			g := grad.at(a)
			if physio.AVGradientOutside(g, o, physio.AVGradientBand{Cooling: lim.AVGradientHigh, Rewarming: lim.AVGradientHigh,
				Warm: set.AVGradientWarm, WarmFrom: set.WarmFrom}) {
				s.AVGradientHigh += dt
			}
			if o >= set.WarmFrom && g > set.AVGradientWarm {
				s.AVGradientWarmHigh += dt
			}
			if o >= set.WarmFrom && rate.at(a) > set.RewarmRateHigh {
				s.RewarmRateHigh += dt
			}
			for j := range keys {
				if !math.IsNaN(keys[j].at(a)) {
					fresh[j] += dt
				}
			}
		}
	}
	var full time.Duration
	for _, p := range bypass {
		full += time.Duration(p.b - p.a)
	}
	for j, k := range KeyChannels {
		sh := math.NaN()
		if full > 0 {
			sh = float64(fresh[j]) / float64(full)
		}
		s.Completeness = append(s.Completeness, Completeness{Channel: k, Share: sh})
	}
}

// Event kinds beyond those docs/format/case.md lists that the summary
// reads (each with volume_ml): fluids given and removed.
const (
	KindCellSalvage     = "cell_salvage"
	KindHaemofiltration = "haemofiltration"
	KindUrine           = "urine"
)

func (s *CaseSummary) records(c *Case, red func(string) string) {
	drugs := map[[2]string]*DrugTotal{}
	for _, e := range c.Events {
		vol, hasVol := e.Num["volume_ml"]
		add := func(v *Volume) {
			if hasVol {
				v.ML += vol
			}
			v.Count++
		}
		switch e.Kind {
		case "fluid":
			// docs/format/case.md names the field "kind" but also reserves
			// that key for the tag: accept fluid_kind and kind.
			k := e.Str["fluid_kind"]
			if k == "" {
				k = e.Str["kind"]
			}
			if k == "" {
				k = "other"
			}
			v := s.FluidsIn[k]
			add(&v)
			s.FluidsIn[k] = v
		case "cardioplegia":
			add(&s.Cardioplegia)
			in, known := crystalloidIn(e.Num, e.Str, s.Settings.Solutions)
			s.CardioplegiaCounted += in
			if !known {
				s.Missing = append(s.Missing, fmt.Sprintf("cardioplegia at %s: no ratio or crystalloid_ml, counted in full", s.clock(e.T)))
			}
		case KindCellSalvage:
			add(&s.CellSalvage)
		case "blood_product":
			p := e.Str["product"]
			if p == "" {
				p = "unspecified"
			}
			v := s.BloodProducts[p]
			add(&v)
			s.BloodProducts[p] = v
		case KindHaemofiltration, "ultrafiltration":
			add(&s.Haemofiltration)
		case KindUrine:
			add(&s.Urine)
		case "drug":
			k := [2]string{strings.ToLower(e.Str["name"]), e.Str["unit"]}
			d := drugs[k]
			if d == nil {
				d = &DrugTotal{Name: k[0], Unit: k[1]}
				drugs[k] = d
			}
			if v, ok := e.Num["dose"]; ok {
				d.Total += v
				d.Count++
			} else {
				d.Undosed++
				s.Missing = append(s.Missing, fmt.Sprintf("drug %s at %s: no dose recorded", k[0], s.clock(e.T)))
			}
		}
		s.Log = append(s.Log, LogEntry{Time: utc(e.T), Kind: e.Kind, Text: red(e.Text), Who: red(e.Who), Edited: e.Edited})
	}
	// urine.volume is cumulative: what it rose by over the case.
	var first, last = math.NaN(), math.NaN()
	for _, p := range c.Series["urine.volume"] {
		if math.IsNaN(p.V) {
			continue
		}
		if math.IsNaN(first) {
			first = p.V
		}
		last = p.V
	}
	if !math.IsNaN(first) && last > first {
		s.Urine.ML += last - first
		s.Urine.Count++
	}
	for _, d := range drugs {
		s.Drugs = append(s.Drugs, *d)
	}
	slices.SortFunc(s.Drugs, func(a, b DrugTotal) int { return strings.Compare(a.Name+"\x00"+a.Unit, b.Name+"\x00"+b.Unit) })
	in := s.CardioplegiaCounted + s.CellSalvage.ML
	for _, v := range s.FluidsIn {
		in += v.ML
	}
	for _, v := range s.BloodProducts {
		in += v.ML
	}
	s.Balance = in - s.Urine.ML - s.Haemofiltration.ML
}

// crystalloidIn returns what a cardioplegia dose adds to the patient's
// water, mL: its crystalloid share (crystalloidShare) less the solution
// discarded to waste, never below 0. known is false when nothing says the
// share, and the whole dose is counted (the figure errs on the side of more
// fluid).
func crystalloidIn(num map[string]float64, str map[string]string, sols []entry.Solution) (ml float64, known bool) {
	share, known := crystalloidShare(num, str, sols)
	if !known {
		vol, hasVol := num["volume_ml"]
		if !hasVol {
			return 0, false
		}
		share = vol
	}
	return max(0, share-num["discarded_ml"]), known
}

// crystalloidShare is the one definition of a cardioplegia dose's
// crystalloid share, mL (the blood of a blood cardioplegia is the circuit's
// own), for the fluid balance and the perfusion record: crystalloid_ml;
// else from the ratio blood:crystalloid, the ratio field or one written in
// the solution's name ("blood 4:1"); else the site's solution table
// (docs/site.md); else the solution's own by name (del Nido 1:4, Matte &
// del Nido 2012; HTK, Custodiol, St Thomas', "crystalloid": 0:1). known is
// false when none of these says. Source: physio.CrystalloidShare.
func crystalloidShare(num map[string]float64, str map[string]string, sols []entry.Solution) (ml float64, known bool) {
	if v, ok := num["crystalloid_ml"]; ok {
		return v, true
	}
	vol, hasVol := num["volume_ml"]
	if !hasVol {
		return 0, false
	}
	if b, c, ok := plegiaRatio(str, false); ok {
		return physio.CrystalloidShare(vol, b, c), true
	}
	if sol, ok := entry.LookupSolution(sols, str["solution"]); ok && !math.IsNaN(sol.CrystalloidFraction) {
		return math.Round(vol * sol.CrystalloidFraction), true
	}
	if b, c, ok := plegiaRatio(str, true); ok {
		return physio.CrystalloidShare(vol, b, c), true
	}
	return 0, false
}

// plegiaRatio finds a cardioplegia's ratio blood:crystalloid written in its
// ratio field or its solution's name, or, byName, the solution's own.
func plegiaRatio(str map[string]string, byName bool) (blood, crystalloid float64, ok bool) {
	sol := strings.ToLower(str["solution"])
	if !byName {
		if b, c, err := physio.ParsePlegiaRatio(str["ratio"]); err == nil {
			return b, c, true
		}
		for _, w := range strings.Fields(sol) {
			if b, c, err := physio.ParsePlegiaRatio(w); err == nil {
				return b, c, true
			}
		}
		return 0, 0, false
	}
	if strings.Contains(sol, "nido") {
		return 1, 4, true
	}
	for _, name := range []string{"htk", "custodiol", "bretschneider", "st thomas", "plegisol", "crystalloid"} {
		if strings.Contains(sol, name) {
			return 0, 1, true
		}
	}
	return 0, 0, false
}

func (s *CaseSummary) alarms(c *Case) {
	s.AlarmLog = c.AlarmLog
	for _, a := range c.Alarms {
		if a.State == "active" {
			s.AlarmsByPriority[a.Priority]++
			s.AlarmsByID[a.Alarm]++
		}
	}
}

// BloodUnits is the number of blood product entries.
func (s *CaseSummary) BloodUnits() int {
	n := 0
	for _, v := range s.BloodProducts {
		n += v.Count
	}
	return n
}

func (s *CaseSummary) missing(c *Case, bypass []span, set Settings) {
	for _, p := range c.EditProblems {
		s.Missing = append(s.Missing, "edit not applied: "+p)
	}
	if len(bypass) == 0 {
		s.Missing = append(s.Missing, "no on_bypass event: bypass times and on-bypass figures are empty")
		return
	}
	act := false
	for _, p := range c.Series["act.seconds"] {
		act = act || (!math.IsNaN(p.V) && inSpans(bypass, p.T))
	}
	for _, e := range c.Events {
		act = act || (e.Kind == "act" && inSpans(bypass, e.T))
	}
	if !act {
		s.Missing = append(s.Missing, "no ACT on bypass")
	}
	var gas []int64
	for ch, pts := range c.Series {
		if strings.HasPrefix(ch, "abg.") {
			for _, p := range pts {
				if !math.IsNaN(p.V) {
					gas = append(gas, p.T)
				}
			}
		}
	}
	for _, e := range c.Events {
		if e.Kind == "blood_gas" {
			gas = append(gas, e.T)
		}
	}
	slices.Sort(gas)
	gas = slices.Compact(gas)
	lim := int64(set.BloodGasInterval)
	for _, p := range bypass {
		prev := p.a
		for _, t := range append(slices.Clone(gas), p.b) {
			if t < p.a || t > p.b {
				continue
			}
			if t-prev > lim {
				s.Missing = append(s.Missing, fmt.Sprintf("no blood gas on bypass from %s to %s (%.0f min)", s.clock(prev), s.clock(t), time.Duration(t-prev).Minutes()))
			}
			prev = t
		}
	}
}

// bloodGasPanels are the analyser result groups the report lists, with
// their label: arterial, mixed venous (circuit), central venous, and
// results whose specimen was not stated ("BG?"), which are listed, never
// dropped, until the perfusionist assigns them (a specimen entry; the
// assigned result is then on its panel's channels).
var bloodGasPanels = map[string]struct {
	label string
	order int64
}{"abg": {"ABG", 0}, "vbg": {"VBG", 1}, "cvbg": {"CVBG", 2}, "bg": {"BG?", 3}}

func (s *CaseSummary) bloodGases(c *Case) {
	assigned := map[int64]bool{}
	for _, e := range c.Events {
		if e.Kind == "specimen" {
			if t, err := strconv.ParseInt(e.Str["sample_time"], 10, 64); err == nil {
				assigned[t] = true
			}
		}
	}
	rows := map[[2]int64]*BloodGas{}
	for ch, pts := range c.Series {
		g, an, _ := strings.Cut(ch, ".")
		panel, ok := bloodGasPanels[g]
		if !ok {
			continue
		}
		for _, p := range pts {
			if math.IsNaN(p.V) || (g == "bg" && assigned[p.T]) {
				continue
			}
			r := rows[[2]int64{p.T, panel.order}]
			if r == nil {
				r = &BloodGas{Time: utc(p.T), Sample: panel.label, Values: map[string]float64{}}
				rows[[2]int64{p.T, panel.order}] = r
			}
			r.Values[an] = p.V
		}
	}
	for _, r := range rows {
		s.BloodGases = append(s.BloodGases, *r)
	}
	slices.SortFunc(s.BloodGases, func(a, b BloodGas) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Sample, b.Sample)
	})
	for _, r := range s.BloodGases {
		if r.Sample == "BG?" {
			s.Missing = append(s.Missing, fmt.Sprintf("blood gas at %s: specimen not stated (listed as BG?; assign it arterial or venous)", s.clock(r.Time.UnixNano())))
		}
	}
}

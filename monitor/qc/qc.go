package qc

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Analyte is a quantity both the analyser and the in-line monitor measure.
type Analyte uint8

// The compared analytes. Hct and Hb are one check: Hct when both sides
// have it, else Hb.
const (
	PO2 Analyte = iota
	PCO2
	SO2
	Hct
	Hb
	K
	NumAnalytes
)

var analyteKeys = [NumAnalytes]string{PO2: "po2", PCO2: "pco2", SO2: "so2", Hct: "hct", Hb: "hb", K: "k"}
var analyteLabels = [NumAnalytes]string{PO2: "pO2", PCO2: "pCO2", SO2: "SO2", Hct: "Hct", Hb: "Hb", K: "K+"}

// Key is the analyte's name in site files and case file fields ("po2").
func (a Analyte) Key() string {
	if a < NumAnalytes {
		return analyteKeys[a]
	}
	return "analyte(" + fmt.Sprint(uint8(a)) + ")"
}

// Label is the analyte as a person reads it ("pO2", "K+").
func (a Analyte) Label() string {
	if a < NumAnalytes {
		return analyteLabels[a]
	}
	return a.Key()
}

// ParseAnalyte is the inverse of Key.
func ParseAnalyte(key string) (Analyte, bool) {
	for a, k := range analyteKeys {
		if k == key {
			return Analyte(a), true
		}
	}
	return 0, false
}

// Tolerance is the largest difference between the in-line monitor and the
// analyser that passes: the larger of Abs (in the analyte's unit) and Rel
// (a fraction) of the analyser's value.
type Tolerance struct {
	Abs float64
	Rel float64
}

// Limit is the tolerance at an analyser value lab.
func (t Tolerance) Limit(lab float64) float64 { return math.Max(t.Abs, t.Rel*math.Abs(lab)) }

// Tolerances are the tolerances of every analyte.
type Tolerances [NumAnalytes]Tolerance

// DefaultTolerances are the tolerances of a site that sets none
// (docs/qc.md, where each is discussed). They are Pumpside's convention,
// set near the in-line monitor's published accuracy and the laboratory's
// allowable error, not figures copied from one cited source: a site sets
// its own.
func DefaultTolerances() Tolerances {
	return Tolerances{
		PO2:  {Abs: 15, Rel: 0.10}, // mmHg, or 10 % of the analyser's value
		PCO2: {Abs: 5, Rel: 0.08},  // mmHg, or 8 %
		SO2:  {Abs: 3},             // % saturation points
		Hct:  {Abs: 3},             // % Hct points
		Hb:   {Abs: 1},             // g/dL
		K:    {Abs: 0.5},           // mmol/L
	}
}

// Side is the specimen side of a check.
type Side uint8

// The sides. A central venous or unstated sample is recorded, not compared.
const (
	Arterial Side = iota
	Venous
	CentralVenous
	Unstated
	numSides
)

var sideNames = [numSides]string{Arterial: "arterial", Venous: "venous", CentralVenous: "central_venous", Unstated: "unstated"}

func (s Side) String() string {
	if s < numSides {
		return sideNames[s]
	}
	return "side(" + fmt.Sprint(uint8(s)) + ")"
}

// ParseSide is the inverse of String.
func ParseSide(s string) (Side, bool) {
	for i, n := range sideNames {
		if n == s {
			return Side(i), true
		}
	}
	return 0, false
}

// Outcome is what came of one analyte's comparison.
type Outcome uint8

// The outcomes.
const (
	NotCompared Outcome = iota
	Passed
	Failed
)

var outcomeNames = [...]string{NotCompared: "not_compared", Passed: "passed", Failed: "failed"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome(" + fmt.Sprint(uint8(o)) + ")"
}

func parseOutcome(s string) (Outcome, bool) {
	for i, n := range outcomeNames {
		if n == s {
			return Outcome(i), true
		}
	}
	return 0, false
}

// The reasons a value is not compared.
const (
	ReasonNoInline      = "no in-line value at draw time"
	ReasonUnstated      = "specimen not stated"
	ReasonCentralVenous = "central venous sample: the in-line monitor measures the circuit"
	ReasonNoVenousK     = "the in-line K+ sensor is on the arterial side"
	ReasonLabNotOK      = "analyser value not usable"
	// ReasonECMOArterial: on ECMO the in-line arterial cell sits after the
	// oxygenator and reads the circuit's oxygenated blood, while the
	// analyser's arterial sample is the patient's (radial or femoral line),
	// mixed with the native cardiac output (VV: the ECMO flow's share of
	// it; VA: the heart's ejection too). The two are different blood, not a
	// drifting sensor (a VV run: pO2 about 400 after the oxygenator, 60-80
	// in the patient). The venous cell reads the drainage blood, which the
	// pre-oxygenator port sample is: that side is compared.
	ReasonECMOArterial = "on ECMO the in-line arterial cell reads post-oxygenator blood, not the patient's arterial sample"
)

// Comparison is one analyte of a Check.
type Comparison struct {
	Analyte Analyte
	// Lab and Inline are the analyser's and the in-line monitor's
	// channels; Inline is channel.Invalid when the side has none.
	Lab, Inline channel.ID
	// LabValue is the analyser's value; InlineValue the in-line monitor's
	// at the draw time (NaN: none); Diff = InlineValue − LabValue and
	// Tolerance the limit applied (NaN when not compared).
	LabValue, InlineValue, Diff, Tolerance float64
	Outcome                                Outcome
	// Reason says why a value was not compared ("" otherwise).
	Reason string
}

// Check is the comparison of one analyser result with the in-line monitor.
type Check struct {
	// Time is when the result was checked (the snapshot that first had
	// it), Drawn the sample's draw time: both Unix ns on the case clock.
	Time, Drawn int64
	Side        Side
	Items       []Comparison
}

// Count returns how many of the check's comparisons had outcome o.
func (c *Check) Count(o Outcome) int {
	n := 0
	for i := range c.Items {
		if c.Items[i].Outcome == o {
			n++
		}
	}
	return n
}

// pair is an analyte's analyser channel and in-line channel on one side.
type pair struct {
	a           Analyte
	lab, inline channel.ID
}

var pairs = [numSides][]pair{
	Arterial: {{PO2, channel.ABGPO2, channel.InlineArtPO2}, {PCO2, channel.ABGPCO2, channel.InlineArtPCO2},
		{SO2, channel.ABGSO2, channel.InlineArtSO2}, {Hct, channel.ABGHct, channel.InlineHct}, {Hb, channel.ABGHb, channel.InlineHb},
		{K, channel.ABGK, channel.InlineK}},
	Venous: {{PO2, channel.VBGPO2, channel.InlineVenPO2}, {PCO2, channel.VBGPCO2, channel.InlineVenPCO2},
		{SO2, channel.VBGSO2, channel.InlineVenSO2}, {Hct, channel.VBGHct, channel.InlineHct}, {Hb, channel.VBGHb, channel.InlineHb},
		{K, channel.VBGK, channel.Invalid}},
	CentralVenous: {{PO2, channel.CVBGPO2, channel.Invalid}, {PCO2, channel.CVBGPCO2, channel.Invalid},
		{SO2, channel.CVBGSO2, channel.Invalid}, {Hct, channel.CVBGHct, channel.Invalid}, {Hb, channel.CVBGHb, channel.Invalid},
		{K, channel.CVBGK, channel.Invalid}},
	Unstated: {{PO2, channel.BGPO2, channel.Invalid}, {PCO2, channel.BGPCO2, channel.Invalid},
		{SO2, channel.BGSO2, channel.Invalid}, {Hct, channel.BGHct, channel.Invalid}, {Hb, channel.BGHb, channel.Invalid},
		{K, channel.BGK, channel.Invalid}},
}

// Checker finds the analyser results of the snapshots it is shown and
// compares them with the in-line monitor. One goroutine owns it.
type Checker struct {
	tol Tolerances
	// ecmo: the run is on ECMO (SetECMO).
	ecmo bool
	// seen is, by analyser channel, the sample time of the newest result
	// already checked.
	seen map[channel.ID]int64
	hist []monitor.Point // scratch
}

// New returns a Checker with the tolerances tol.
func New(tol Tolerances) *Checker {
	return &Checker{tol: tol, seen: map[channel.ID]int64{}}
}

// SetECMO tells the checker whether the run is on ECMO: then an arterial
// result is recorded as not compared (ReasonECMOArterial) and a venous one
// is compared as on bypass.
func (c *Checker) SetECMO(on bool) { c.ecmo = on }

// Tolerances returns the checker's tolerances.
func (c *Checker) Tolerances() Tolerances { return c.tol }

// Check appends to dst a Check for every side with an analyser result in
// snap that an earlier call has not seen, and returns the extended slice.
// Results are told apart by their sample time: a value whose time is not
// newer than the last checked on its channel is not checked again.
func (c *Checker) Check(dst []Check, snap *monitor.Snapshot) []Check {
	for side := range Side(numSides) {
		var ck Check
		for _, p := range pairs[side] {
			r := snap.Reading(p.lab)
			if r.Time == 0 || r.Time <= c.seen[p.lab] {
				continue
			}
			c.seen[p.lab] = r.Time
			if ck.Items == nil {
				ck = Check{Time: snap.Time, Drawn: r.Time, Side: side, Items: make([]Comparison, 0, len(pairs[side]))}
			} else if r.Time != ck.Drawn {
				// Two results of one side in one snapshot: keep the
				// newest (an older one was replaced before it was seen).
				if r.Time < ck.Drawn {
					continue
				}
				ck.Drawn, ck.Items = r.Time, ck.Items[:0]
			}
			ck.Items = append(ck.Items, c.compare(snap, side, p, r))
		}
		if ck.Items == nil {
			continue
		}
		ck.Items = hctElseHb(ck.Items)
		dst = append(dst, ck)
	}
	return dst
}

// hctElseHb keeps one of Hct and Hb: Hct when compared, else Hb when
// compared, else the first of them present.
func hctElseHb(items []Comparison) []Comparison {
	hct, hb := -1, -1
	for i := range items {
		switch items[i].Analyte {
		case Hct:
			hct = i
		case Hb:
			hb = i
		}
	}
	drop := -1
	switch {
	case hct < 0 || hb < 0:
		return items
	case items[hct].Outcome != NotCompared || items[hb].Outcome == NotCompared:
		drop = hb
	default:
		drop = hct
	}
	return append(items[:drop], items[drop+1:]...)
}

// compare compares one analyser reading r with the in-line monitor.
func (c *Checker) compare(snap *monitor.Snapshot, side Side, p pair, r monitor.Reading) Comparison {
	cmp := Comparison{Analyte: p.a, Lab: p.lab, Inline: p.inline, LabValue: r.Value,
		InlineValue: math.NaN(), Diff: math.NaN(), Tolerance: math.NaN()}
	switch {
	case side == Unstated:
		cmp.Reason = ReasonUnstated
	case side == CentralVenous:
		cmp.Reason = ReasonCentralVenous
	case side == Arterial && c.ecmo:
		cmp.Reason = ReasonECMOArterial
	case p.inline == channel.Invalid:
		cmp.Reason = ReasonNoVenousK
	case r.Quality != channel.OK && r.Quality != channel.Stale:
		// Stale only says the result is old by now; its value stands.
		cmp.LabValue = math.NaN()
		cmp.Reason = ReasonLabNotOK
	}
	if cmp.Reason != "" {
		return cmp
	}
	v, ok := c.inlineAt(snap, p.inline, r.Time)
	if !ok {
		cmp.Reason = ReasonNoInline
		return cmp
	}
	cmp.InlineValue = v
	cmp.Diff = v - r.Value
	cmp.Tolerance = c.tol[p.a].Limit(r.Value)
	cmp.Outcome = judge(cmp.Diff, cmp.Tolerance, v, r.Value)
	return cmp
}

// judge passes a difference within the tolerance, edge included. The
// in-line history keeps float32 values (7 significant digits): a
// difference that exceeds the limit by less than that rounding passes.
func judge(diff, limit, inline, lab float64) Outcome {
	eps := 1e-6 * math.Max(math.Abs(inline), math.Abs(lab))
	if math.Abs(diff) <= limit+eps {
		return Passed
	}
	return Failed
}

// inlineAt returns the in-line monitor's reading of id at t: the newest
// second of its history at or before t, no older than the channel's
// freshness limit (what the monitor showed when the sample was drawn).
func (c *Checker) inlineAt(snap *monitor.Snapshot, id channel.ID, t int64) (float64, bool) {
	fresh := channel.Get(id).Freshness
	if fresh <= 0 {
		fresh = 20 * time.Second
	}
	c.hist = snap.History(id, t-int64(fresh), t, c.hist[:0])
	if len(c.hist) == 0 {
		return 0, false
	}
	return c.hist[len(c.hist)-1].Value, true
}

// Text is the check in one line for the case log: each analyte's
// analyser and in-line value, the difference and tolerance, and outcome.
func (c *Check) Text() string {
	var b strings.Builder
	b.WriteString("In-line check, ")
	b.WriteString(strings.ReplaceAll(c.Side.String(), "_", " "))
	b.WriteString(" sample:")
	for i, it := range c.Items {
		if i > 0 {
			b.WriteByte(';')
		}
		unit := channel.Get(it.Lab).Unit
		fmt.Fprintf(&b, " %s ", it.Analyte.Label())
		if it.Outcome == NotCompared {
			fmt.Fprintf(&b, "not compared (%s)", it.Reason)
			continue
		}
		prec := channel.Get(it.Lab).Precision
		fmt.Fprintf(&b, "analyser %.*f, in-line %.*f %s, difference %+.*f (±%.*f) %s",
			prec, it.LabValue, prec, it.InlineValue, unit, prec+1, it.Diff, prec+1, it.Tolerance, it.Outcome)
	}
	return b.String()
}

// Field is a field of a recorded check: a number or a string.
type Field struct {
	Key   string
	Num   float64
	Str   string
	IsStr bool
}

// Fields returns the check's fields as the case file records them on its
// inline_check event (docs/format/case.md): side, drawn (RFC 3339, UTC,
// ns), the counts passed, failed and not_compared, and per analyte
// <key>_result, then <key>_lab, <key>_inline, <key>_diff, <key>_tol for a
// compared one, <key>_reason (and <key>_lab when known) for one that is
// not.
func (c *Check) Fields() []Field {
	f := []Field{{Key: "side", Str: c.Side.String(), IsStr: true},
		{Key: "drawn", Str: time.Unix(0, c.Drawn).UTC().Format(time.RFC3339Nano), IsStr: true},
		{Key: "passed", Num: float64(c.Count(Passed))}, {Key: "failed", Num: float64(c.Count(Failed))},
		{Key: "not_compared", Num: float64(c.Count(NotCompared))}}
	num := func(k string, v float64) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			f = append(f, Field{Key: k, Num: v})
		}
	}
	for _, it := range c.Items {
		k := it.Analyte.Key() + "_"
		f = append(f, Field{Key: k + "result", Str: it.Outcome.String(), IsStr: true})
		num(k+"lab", it.LabValue)
		if it.Outcome == NotCompared {
			f = append(f, Field{Key: k + "reason", Str: it.Reason, IsStr: true})
			continue
		}
		num(k+"inline", it.InlineValue)
		num(k+"diff", it.Diff)
		num(k+"tol", it.Tolerance)
	}
	return f
}

// FromFields reads a check recorded at t back from its event's fields
// (num and str look a field up). ok is false when the fields are not a
// check's (no side, or no analyte). Analytes come back in Analyte order.
func FromFields(t int64, num func(key string) (float64, bool), str func(key string) string) (Check, bool) {
	side, ok := ParseSide(str("side"))
	if !ok {
		return Check{}, false
	}
	ck := Check{Time: t, Side: side}
	if d, err := time.Parse(time.RFC3339Nano, str("drawn")); err == nil {
		ck.Drawn = d.UnixNano()
	}
	get := func(k string) float64 {
		if v, ok := num(k); ok {
			return v
		}
		return math.NaN()
	}
	for a := range NumAnalytes {
		k := a.Key() + "_"
		o, ok := parseOutcome(str(k + "result"))
		if !ok {
			continue
		}
		it := Comparison{Analyte: a, Outcome: o, LabValue: get(k + "lab"), InlineValue: get(k + "inline"),
			Diff: get(k + "diff"), Tolerance: get(k + "tol"), Reason: str(k + "reason"), Inline: channel.Invalid}
		for _, p := range pairs[side] {
			if p.a == a {
				it.Lab, it.Inline = p.lab, p.inline
			}
		}
		ck.Items = append(ck.Items, it)
	}
	return ck, len(ck.Items) > 0
}

// Kind is the case file event kind of a check.
const Kind = "inline_check"

// Drift is the inline_drift condition: on from a failed comparison until
// the in-line monitor's next recalibration. Safe from any goroutine.
type Drift struct {
	failed, recal atomic.Int64
	// lab are the analyser values of the newest failed check, for the
	// recalibration entry (Values).
	lab atomic.Pointer[Check]
}

// Checked tells the condition about a check made at ck.Time: one with a
// failed comparison sets it.
func (d *Drift) Checked(ck *Check) {
	if ck.Count(Failed) == 0 {
		return
	}
	c := *ck
	c.Items = append([]Comparison(nil), ck.Items...)
	d.lab.Store(&c)
	maxStore(&d.failed, ck.Time)
}

// Recalibrated tells the condition that the in-line monitor was
// recalibrated at t: a failure checked at or before t no longer counts.
func (d *Drift) Recalibrated(t int64) { maxStore(&d.recal, t) }

// Active reports whether a failed comparison is newer than the last
// recalibration.
func (d *Drift) Active() bool { return d.failed.Load() > d.recal.Load() }

// LastFailed returns the newest failed check, if any (recalibrated or not).
func (d *Drift) LastFailed() (Check, bool) {
	c := d.lab.Load()
	if c == nil {
		return Check{}, false
	}
	return *c, true
}

// Reset forgets everything (a replay seeking back to its start).
func (d *Drift) Reset() {
	d.failed.Store(0)
	d.recal.Store(0)
	d.lab.Store(nil)
}

func maxStore(a *atomic.Int64, t int64) {
	for {
		cur := a.Load()
		if t <= cur || a.CompareAndSwap(cur, t) {
			return
		}
	}
}

// SiteTolerances returns the default tolerances with those a site file
// sets (monitor/site's InlineQC: analyte key → abs, rel) in their place.
// An unknown key is an error (the site file refuses it already).
func SiteTolerances(set map[string][2]float64) (Tolerances, error) {
	tol := DefaultTolerances()
	for k, v := range set {
		a, ok := ParseAnalyte(k)
		if !ok {
			return tol, fmt.Errorf("qc: unknown analyte %q", k)
		}
		tol[a] = Tolerance{Abs: v[0], Rel: v[1]}
	}
	return tol, nil
}

package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/entry"
)

// Team is who did the case (the last team entry of each role wins). Staff
// names are personal data, not patient identifiers: docs/report.md says
// where they appear.
type Team struct {
	Surgeon, Anaesthetist, Perfusionist, Trainee, Assistant, Supervisor string
}

// Roles returns the team as role/name pairs, in a fixed order, the names
// given only.
func (t Team) Roles() [][2]string {
	var out [][2]string
	for _, r := range [][2]string{{"surgeon", t.Surgeon}, {"anaesthetist", t.Anaesthetist}, {"perfusionist", t.Perfusionist},
		{"trainee", t.Trainee}, {"assistant", t.Assistant}, {"supervisor", t.Supervisor}} {
		if r[1] != "" {
			out = append(out, r)
		}
	}
	return out
}

// Disposable is one disposable of the circuit, with its lot.
type Disposable struct {
	Time                           time.Time
	Item, Product, Lot, Size, Site string
}

// PrimeFluid is one fluid of the prime.
type PrimeFluid struct {
	Name string
	ML   float64 // NaN when the entry has no volume
}

// Signature is a name signed at a time (a checklist, the record's
// sign-off); Who entered it.
type Signature struct {
	What, Name, Who string
	Time            time.Time
}

// Signed reports whether there is a signature.
func (g Signature) Signed() bool { return g.Name != "" }

// Residual is what happened to volume left in the circuit.
type Residual struct {
	Time        time.Time
	ML          float64
	Disposition string
}

// Incident is an incident entry, its text redacted like the log's.
type Incident struct {
	Time                time.Time
	Category, Text, Who string
}

// CardioplegiaInterval is the time from a dose to the next, or to the end
// of its cross-clamp period, and the re-dose interval of the dose's
// solution.
type CardioplegiaInterval struct {
	From, To time.Time
	Solution string
	Redose   time.Duration
}

// Length is To − From.
func (i CardioplegiaInterval) Length() time.Duration { return i.To.Sub(i.From) }

// Overdue reports whether the interval is longer than the re-dose
// interval.
func (i CardioplegiaInterval) Overdue() bool { return i.Length() > i.Redose }

// Record is the perfusion record beyond the physiology, as its entries
// stand after their edits (voided ones never count). Units are the
// channels' (g/dL, %, mmol/L, s, mL, L/min, °C); NaN is "not recorded".
type Record struct {
	// Set-up: the last entry of each kind wins, field by field.
	Procedure, Urgency string
	Team               Team
	// HLM and HeaterCooler are the machines' identifiers; VenousDrainage
	// gravity or vacuum.
	HLM, HeaterCooler, VenousDrainage string
	// ECMO is the ECMO configuration (ecmo_config entries), zero for a
	// bypass case.
	ECMO        ECMOConfig
	Disposables []Disposable
	// Prime lists the fluid entries of kind prime; PrimeML is their sum,
	// RAPML the prime removed by retrograde autologous priming (circuit
	// entry), NetPrimeML = PrimeML − RAPML (NaN without a prime; RAP
	// counts 0 when not entered).
	Prime                 []PrimeFluid
	PrimeML, RAPML        float64
	NetPrimeML            float64
	PrimeAdditives        []DrugTotal // drugs given with route prime
	Checklist             Signature   // the last checklist entry
	ChecklistBeforeBypass bool        // it was signed before the first on-bypass

	// Haemoglobin and haematocrit: the baseline is the last value before
	// the first on-bypass (inline.*, abg.*, vbg.*); the lowest is on bypass
	// (the lowest Hct is CaseSummary.NadirHct).
	HbBaseline, HbLowest, HctBaseline Nadir
	// The highest lactate, glucose and K+ on bypass (abg, vbg, cvbg; K+
	// also inline.k).
	LactateMax, GlucoseMax, PotassiumMax Nadir

	// Anticoagulation: heparin in IU and protamine in mg, all doses and
	// routes; ProtamineRatio is mg of protamine per 100 IU of heparin.
	HeparinIU, ProtamineMg       float64
	HeparinDoses, ProtamineDoses int
	ProtamineRatio               float64
	// ACTs: act.seconds values and act entries. Baseline: the last before
	// the first heparin dose given to the patient (any route but the
	// prime; without one, before bypass); PostHeparin: the first after it;
	// the lowest on bypass.
	ACTBaseline, ACTPostHeparin, ACTLowestOnBypass Nadir

	// Cardioplegia beyond CaseSummary.Cardioplegia (doses and total
	// volume): the solutions in order of first use, the crystalloid volume
	// (entered, else from the solution table) and the doses whose
	// crystalloid part is unknown, every interval between doses within a
	// cross-clamp period and the longest.
	CardioplegiaSolutions          []string
	CardioplegiaCrystalloidML      float64
	CardioplegiaCrystalloidUnknown int
	CardioplegiaIntervals          []CardioplegiaInterval
	CardioplegiaLongest            CardioplegiaInterval

	// Antegrade cerebral perfusion: its total time, the time-weighted mean
	// pump flow (L/min, and mL/kg/min with the weight) and nasopharyngeal
	// temperature (°C) over fresh values during it.
	ACPFlowLMin, ACPFlowMLKgMin float64
	ACPTempC                    float64

	ResidualVolumes []Residual
	Incidents       []Incident
	// SignOff is the perfusionist's sign-off (the last signoff entry);
	// EditsAfterSignOff counts edits made after it.
	SignOff           Signature
	EditsAfterSignOff int
}

// bloodChannels are the channels of each blood value the record reads.
var (
	hbChannels      = []string{"inline.hb", "abg.hb", "vbg.hb"}
	hctChannels     = []string{"inline.hct", "abg.hct", "vbg.hct"}
	lactateChannels = []string{"abg.lactate", "vbg.lactate", "cvbg.lactate"}
	glucoseChannels = []string{"abg.glucose", "vbg.glucose", "cvbg.glucose"}
	kChannels       = []string{"inline.k", "abg.k", "vbg.k", "cvbg.k"}
)

// record fills s.Record from the events and series, given the bypass
// spans (the one definition of on bypass: Summarize passes it in).
func (s *CaseSummary) record(c *Case, bypass []span, set Settings, red func(string) string) {
	r := &s.Record
	r.RAPML, r.PrimeML, r.NetPrimeML = math.NaN(), math.NaN(), math.NaN()
	var firstOn int64
	if len(bypass) > 0 {
		firstOn = bypass[0].a
	}
	s.setup(c, red, firstOn)
	r.HbBaseline = before(c, firstOn, hbChannels...)
	r.HctBaseline = before(c, firstOn, hctChannels...)
	r.HbLowest = nadir(c, bypass, false, hbChannels...)
	r.LactateMax = nadir(c, bypass, true, lactateChannels...)
	r.GlucoseMax = nadir(c, bypass, true, glucoseChannels...)
	r.PotassiumMax = nadir(c, bypass, true, kChannels...)
	s.anticoagulation(c, bypass)
	s.cardioplegia(c, set)
	s.acp(c, s.acpSpans, set)
	s.closing(c, red)
	s.recordMissing(c, bypass)
}

// before is the last usable value of the channels before t (Unix ns);
// none when t is 0 (no bypass).
func before(c *Case, t int64, chans ...string) Nadir {
	n := Nadir{Value: math.NaN()}
	if t == 0 {
		return n
	}
	var at int64
	for _, ch := range chans {
		pts := c.Series[ch]
		i := sort.Search(len(pts), func(i int) bool { return pts[i].T >= t })
		for i--; i >= 0; i-- {
			if !math.IsNaN(pts[i].V) {
				if !n.Valid() || pts[i].T > at {
					n, at = Nadir{Value: pts[i].V, Time: utc(pts[i].T), Channel: ch}, pts[i].T
				}
				break
			}
		}
	}
	return n
}

// current returns the events of kind in time order (edits applied, voided
// ones left out, as Case.Events holds them).
func current(c *Case, kind string) []Event {
	var out []Event
	for _, e := range c.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// merged is the fields of the events of kind, later events winning field
// by field.
func merged(c *Case, kind string) (str map[string]string, num map[string]float64) {
	str, num = map[string]string{}, map[string]float64{}
	for _, e := range current(c, kind) {
		for k, v := range e.Str {
			if v != "" {
				str[k] = v
			}
		}
		for k, v := range e.Num {
			num[k] = v
		}
	}
	return str, num
}

func (s *CaseSummary) setup(c *Case, red func(string) string, firstOn int64) {
	r := &s.Record
	str, _ := merged(c, entry.KindProcedure)
	r.Procedure, r.Urgency = red(str["procedure"]), str["urgency"]
	str, _ = merged(c, entry.KindTeam)
	r.Team = Team{Surgeon: red(str["surgeon"]), Anaesthetist: red(str["anaesthetist"]), Perfusionist: red(str["perfusionist"]),
		Trainee: red(str["trainee"]), Assistant: red(str["assistant"]), Supervisor: red(str["supervisor"])}
	str, num := merged(c, entry.KindCircuit)
	r.HLM, r.HeaterCooler, r.VenousDrainage = red(str["hlm"]), red(str["heater_cooler"]), str["venous_drainage"]
	if v, ok := num["rap_ml"]; ok {
		r.RAPML = v
	}
	str, _ = merged(c, entry.KindECMOConfig)
	r.ECMO = ECMOConfig{Mode: str["mode"], Drainage: str["drainage"], Return: str["return"], Return2: str["return2"]}
	for _, e := range current(c, entry.KindDisposable) {
		r.Disposables = append(r.Disposables, Disposable{Time: utc(e.T), Item: e.Str["item"], Product: red(e.Str["product"]),
			Lot: red(e.Str["lot"]), Size: red(e.Str["size"]), Site: red(e.Str["site"])})
	}
	additives := map[[2]string]*DrugTotal{}
	for _, e := range c.Events {
		switch {
		case e.Kind == entry.KindFluid && (e.Str["fluid_kind"] == "prime" || e.Str["kind"] == "prime"):
			f := PrimeFluid{Name: red(e.Str["name"]), ML: math.NaN()}
			if v, ok := e.Num["volume_ml"]; ok {
				f.ML = v
				if math.IsNaN(r.PrimeML) {
					r.PrimeML = 0
				}
				r.PrimeML += v
			}
			r.Prime = append(r.Prime, f)
		case e.Kind == entry.KindDrug && e.Str["route"] == "prime":
			k := [2]string{strings.ToLower(e.Str["name"]), e.Str["unit"]}
			d := additives[k]
			if d == nil {
				d = &DrugTotal{Name: k[0], Unit: k[1]}
				additives[k] = d
			}
			if v, ok := e.Num["dose"]; ok {
				d.Total += v
				d.Count++
			} else {
				d.Undosed++
			}
		}
	}
	for _, d := range additives {
		r.PrimeAdditives = append(r.PrimeAdditives, *d)
	}
	slices.SortFunc(r.PrimeAdditives, func(a, b DrugTotal) int { return strings.Compare(a.Name+"\x00"+a.Unit, b.Name+"\x00"+b.Unit) })
	if !math.IsNaN(r.PrimeML) {
		rap := r.RAPML
		if math.IsNaN(rap) {
			rap = 0
		}
		r.NetPrimeML = r.PrimeML - rap
	}
	if cl := current(c, entry.KindChecklist); len(cl) > 0 {
		e := cl[len(cl)-1]
		what := e.Str["checklist"]
		if what == "" {
			what = "pre-bypass"
		}
		r.Checklist = Signature{What: red(what), Name: red(e.Str["signed_by"]), Who: red(e.Who), Time: utc(e.T)}
		r.ChecklistBeforeBypass = firstOn != 0 && e.T <= firstOn
	}
}

// act is one ACT result.
type act struct {
	t int64
	v float64
}

// acts are the case's ACT results, act.seconds values and act entries
// (one per time: the console writes both), in time order.
func acts(c *Case) []act {
	var out []act
	seen := map[int64]bool{}
	for _, p := range c.Series["act.seconds"] {
		if !math.IsNaN(p.V) {
			out = append(out, act{p.T, p.V})
			seen[p.T] = true
		}
	}
	for _, e := range current(c, entry.KindACT) {
		if v, ok := e.Num["seconds"]; ok && !seen[e.T] {
			out = append(out, act{e.T, v})
		}
	}
	slices.SortFunc(out, func(a, b act) int { return cmpInt(a.t, b.t) })
	return out
}

func (s *CaseSummary) anticoagulation(c *Case, bypass []span) {
	r := &s.Record
	r.HeparinIU, r.ProtamineMg, r.ProtamineRatio = math.NaN(), math.NaN(), math.NaN()
	var firstHeparin int64
	for _, e := range current(c, entry.KindDrug) {
		v, dosed := e.Num["dose"]
		if !dosed {
			continue
		}
		switch strings.ToLower(e.Str["name"]) {
		case "heparin":
			if e.Str["unit"] != "IU" {
				continue
			}
			if math.IsNaN(r.HeparinIU) {
				r.HeparinIU = 0
			}
			if firstHeparin == 0 && e.Str["route"] != "prime" {
				firstHeparin = e.T // heparin in the prime reaches the patient only on bypass
			}
			r.HeparinIU += v
			r.HeparinDoses++
		case "protamine":
			if e.Str["unit"] != "mg" {
				continue
			}
			if math.IsNaN(r.ProtamineMg) {
				r.ProtamineMg = 0
			}
			r.ProtamineMg += v
			r.ProtamineDoses++
		}
	}
	if r.HeparinIU > 0 && !math.IsNaN(r.ProtamineMg) {
		r.ProtamineRatio = r.ProtamineMg / (r.HeparinIU / 100)
	}
	none := Nadir{Value: math.NaN()}
	r.ACTBaseline, r.ACTPostHeparin, r.ACTLowestOnBypass = none, none, none
	ref := firstHeparin
	if ref == 0 && len(bypass) > 0 {
		ref = bypass[0].a
	}
	for _, a := range acts(c) {
		n := Nadir{Value: a.v, Time: utc(a.t), Channel: "act.seconds"}
		if ref != 0 && a.t < ref {
			r.ACTBaseline = n
		}
		if firstHeparin != 0 && a.t > firstHeparin && !r.ACTPostHeparin.Valid() {
			r.ACTPostHeparin = n
		}
		if inSpans(bypass, a.t) && (!r.ACTLowestOnBypass.Valid() || a.v < r.ACTLowestOnBypass.Value) {
			r.ACTLowestOnBypass = n
		}
	}
}

// pairSpans pairs open/close events in time order into spans, an unclosed
// one to the end of the file. Unlike periods it reports nothing: periods
// lists the unpaired events once.
func pairSpans(c *Case, open, close string) []span {
	var out []span
	var start int64
	on := false
	for _, e := range c.Events {
		switch {
		case e.Kind == open && !on:
			on, start = true, e.T
		case e.Kind == close && on:
			on = false
			out = append(out, span{start, e.T})
		}
	}
	if on {
		out = append(out, span{start, c.End})
	}
	return out
}

func (s *CaseSummary) cardioplegia(c *Case, set Settings) {
	r := &s.Record
	doses := current(c, entry.KindCardioplegia)
	for _, e := range doses {
		sol := e.Str["solution"]
		if sol != "" && !slices.ContainsFunc(r.CardioplegiaSolutions, func(x string) bool { return strings.EqualFold(x, sol) }) {
			r.CardioplegiaSolutions = append(r.CardioplegiaSolutions, sol)
		}
		if v, ok := crystalloidShare(e.Num, e.Str, set.Solutions); ok {
			r.CardioplegiaCrystalloidML += v
		} else {
			r.CardioplegiaCrystalloidUnknown++
		}
	}
	for _, cl := range pairSpans(c, "clamp_on", "clamp_off") {
		var in []Event
		for _, e := range doses {
			if e.T >= cl.a && e.T <= cl.b {
				in = append(in, e)
			}
		}
		if len(in) == 0 {
			s.Missing = append(s.Missing, fmt.Sprintf("cross-clamp from %s to %s: no cardioplegia dose recorded", s.clock(cl.a), s.clock(cl.b)))
		}
		for i, e := range in {
			end := cl.b
			if i+1 < len(in) {
				end = in[i+1].T
			}
			redose := entry.DefaultRedose
			if sol, ok := entry.LookupSolution(set.Solutions, e.Str["solution"]); ok {
				redose = sol.Redose
			}
			iv := CardioplegiaInterval{From: utc(e.T), To: utc(end), Solution: e.Str["solution"], Redose: redose}
			r.CardioplegiaIntervals = append(r.CardioplegiaIntervals, iv)
			if iv.Length() > r.CardioplegiaLongest.Length() {
				r.CardioplegiaLongest = iv
			}
		}
	}
}

// meanOver is the time-weighted mean of a channel over the spans, from its
// fresh usable values only, and how long it had one.
func meanOver(st step, spans []span) (float64, time.Duration) {
	var sum float64
	var covered time.Duration
	br := st.breaks(nil)
	for _, p := range spans {
		br = append(br, p.a, p.b)
	}
	slices.Sort(br)
	br = slices.Compact(br)
	for _, p := range spans {
		i := sort.Search(len(br), func(i int) bool { return br[i] >= p.a })
		for ; i+1 < len(br) && br[i] < p.b; i++ {
			a, b := br[i], min(br[i+1], p.b)
			if v := st.at(a); !math.IsNaN(v) {
				dt := time.Duration(b - a)
				sum += v * dt.Seconds()
				covered += dt
			}
		}
	}
	if covered == 0 {
		return math.NaN(), 0
	}
	return sum / covered.Seconds(), covered
}

func (s *CaseSummary) acp(c *Case, spans []span, set Settings) {
	r := &s.Record
	r.ACPFlowLMin, r.ACPFlowMLKgMin, r.ACPTempC = math.NaN(), math.NaN(), math.NaN()
	if len(spans) == 0 {
		return
	}
	r.ACPFlowLMin, _ = meanOver(newStep(c, "pump.flow", set), spans)
	if s.WeightKg > 0 {
		r.ACPFlowMLKgMin = r.ACPFlowLMin * 1000 / s.WeightKg
	}
	r.ACPTempC, _ = meanOver(newStep(c, "temp.nasopharyngeal", set), spans)
}

func (s *CaseSummary) closing(c *Case, red func(string) string) {
	r := &s.Record
	for _, e := range current(c, entry.KindResidualVolume) {
		ml := math.NaN()
		if v, ok := e.Num["volume_ml"]; ok {
			ml = v
		}
		r.ResidualVolumes = append(r.ResidualVolumes, Residual{Time: utc(e.T), ML: ml, Disposition: e.Str["disposition"]})
	}
	for _, e := range current(c, entry.KindIncident) {
		r.Incidents = append(r.Incidents, Incident{Time: utc(e.T), Category: e.Str["category"], Text: red(e.Text), Who: red(e.Who)})
	}
	so := current(c, entry.KindSignOff)
	if len(so) == 0 {
		return
	}
	e := so[len(so)-1]
	r.SignOff = Signature{What: "record", Name: red(e.Str["name"]), Who: red(e.Who), Time: utc(e.T)}
	for _, x := range c.Events {
		if x.Kind == entry.KindEdit && x.T > e.T {
			r.EditsAfterSignOff++
		}
	}
}

// recordMissing lists what the record lacks beyond summary.go's items: no
// heparin dose, no ACT before bypass, no protamine dose, an overdue
// cardioplegia interval, no sign-off.
func (s *CaseSummary) recordMissing(c *Case, bypass []span) {
	r := &s.Record
	if len(bypass) > 0 {
		if math.IsNaN(r.HeparinIU) {
			s.Missing = append(s.Missing, "no heparin dose recorded (drug heparin with a dose in IU)")
		}
		pre := false
		for _, a := range acts(c) {
			pre = pre || a.t < bypass[0].a
		}
		if !pre {
			s.Missing = append(s.Missing, "no ACT before going on bypass")
		}
		if math.IsNaN(r.ProtamineMg) {
			s.Missing = append(s.Missing, "no protamine dose recorded (drug protamine with a dose in mg)")
		}
	}
	for _, iv := range r.CardioplegiaIntervals {
		if iv.Overdue() {
			sol := iv.Solution
			if sol == "" {
				sol = "solution not recorded"
			}
			s.Missing = append(s.Missing, fmt.Sprintf("cardioplegia overdue: %s from the dose at %s (%s) to %s; re-dose due after %s",
				minText(iv.Length()), s.clock(iv.From.UnixNano()), sol, s.clock(iv.To.UnixNano()), minText(iv.Redose)))
		}
	}
	if !r.SignOff.Signed() {
		s.Missing = append(s.Missing, "record not signed off by the perfusionist (no signoff entry)")
	}
}

// minText is a duration as whole minutes and seconds: "34 min", "20 min 30 s".
func minText(d time.Duration) string {
	d = d.Round(time.Second)
	m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
	if sec == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %d s", m, sec)
}

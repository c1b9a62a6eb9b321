package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

func init() {
	register(command{
		name:    "calc",
		summary: "perfusion calculator: BSA, flow index, SVR, DO2i, VO2i, VCO2i, predicted Hct",
		run:     runCalc,
	})
}

// numFlag is a float flag that records whether it was given, so that an
// input left out is absent (NaN), never 0. Set never fails: what does not
// parse is kept and reported by check after parsing, as the one line the
// calculator's bad-input contract allows (a flag.Value error would make the
// flag package print its own message and the usage).
type numFlag struct {
	raw string
	set bool
	v   float64
	err error

	def    float64 // value when not given, for constants
	hasDef bool
}

func (f *numFlag) Set(s string) error {
	f.raw, f.set = strings.TrimSpace(s), true
	f.v, f.err = strconv.ParseFloat(f.raw, 64)
	if errors.Is(f.err, strconv.ErrRange) {
		f.err = nil // ±Inf or 0 from an overflow: check reports the infinity, range checks the rest
	}
	return nil
}

// String shows the default in the usage; an input flag has none.
func (f *numFlag) String() string {
	if f == nil || !f.hasDef {
		return ""
	}
	return fmtG(f.def)
}

// value returns the flag's number, the default, or NaN (absent).
func (f *numFlag) value() float64 {
	switch {
	case f.set:
		return f.v
	case f.hasDef:
		return f.def
	}
	return physio.Absent()
}

// check returns the one-line complaint about a given value that is not a
// finite number, or "" if it is one. allowed describes the valid range.
func (f *numFlag) check(name, allowed string) string {
	switch {
	case !f.set:
		return ""
	case f.err != nil:
		return fmt.Sprintf("--%s %q is not a number (allowed %s)", name, f.raw, allowed)
	case math.IsNaN(f.v) || math.IsInf(f.v, 0):
		return fmt.Sprintf("--%s %s is not a finite number (allowed %s)", name, f.raw, allowed)
	}
	return ""
}

// textFlag keeps a string for the same deferred checking (--bsa-formula).
type textFlag struct {
	raw string
	set bool
}

func (f *textFlag) Set(s string) error { f.raw, f.set = s, true; return nil }
func (f *textFlag) String() string {
	if f == nil {
		return ""
	}
	return f.raw
}

// calcInput is one measured or entered value: its flag, its plausible human
// range and its place in physio.Inputs.
type calcInput struct {
	name, what, unit string
	min, max         float64
	field            func(*physio.Inputs) *float64
}

func (c *calcInput) allowed() string { return rangeText(c.min, c.max, c.unit) }

var calcInputs = []calcInput{
	{"height-cm", "patient height", channel.Centimetre, 30, 250, func(in *physio.Inputs) *float64 { return &in.HeightCm }},
	{"weight-kg", "patient weight", channel.Kilogram, 0.5, 350, func(in *physio.Inputs) *float64 { return &in.WeightKg }},
	{"flow-lpm", "arterial pump flow", channel.LitrePerMin, 0, 10, func(in *physio.Inputs) *float64 { return &in.FlowLpm }},
	{"map", "mean arterial pressure", channel.MMHg, 0, 250, func(in *physio.Inputs) *float64 { return &in.MAP }},
	{"cvp", "central venous pressure", channel.MMHg, -20, 60, func(in *physio.Inputs) *float64 { return &in.CVP }},
	{"hb", "haemoglobin", channel.GPerDL, 1, 25, func(in *physio.Inputs) *float64 { return &in.Hb }},
	{"sao2", "arterial saturation", channel.Percent, 0, 100, func(in *physio.Inputs) *float64 { return &in.SaO2 }},
	{"pao2", "arterial PO2", channel.MMHg, 0, 800, func(in *physio.Inputs) *float64 { return &in.PaO2 }},
	{"svo2", "venous saturation", channel.Percent, 0, 100, func(in *physio.Inputs) *float64 { return &in.SvO2 }},
	{"pvo2", "venous PO2 (optional: without it CvO2 takes dissolved O2 as 0)", channel.MMHg, 0, 800, func(in *physio.Inputs) *float64 { return &in.PvO2 }},
	{"sweep-lpm", "oxygenator sweep gas flow", channel.LitrePerMin, 0, 20, func(in *physio.Inputs) *float64 { return &in.SweepLpm }},
	{"exhaust-co2", "oxygenator exhaust pCO2", channel.MMHg, 0, 150, func(in *physio.Inputs) *float64 { return &in.ExhaustCO2 }},
	{"hct-pre", "pre-bypass haematocrit", channel.Percent, 5, 70, func(in *physio.Inputs) *float64 { return &in.HctPre }},
	{"prime-ml", "circuit prime volume", channel.MilliLitre, 0, 20000, func(in *physio.Inputs) *float64 { return &in.PrimeML }},
	{"fluids-ml", "pre-bypass fluids", channel.MilliLitre, 0, 20000, func(in *physio.Inputs) *float64 { return &in.FluidsML }},
	{"cardioplegia-ml", "crystalloid cardioplegia volume", channel.MilliLitre, 0, 20000, func(in *physio.Inputs) *float64 { return &in.CardioplegiaML }},
	{"rap-ml", "retrograde autologous priming, volume removed", channel.MilliLitre, 0, 20000, func(in *physio.Inputs) *float64 { return &in.RapML }},
}

// calcConstant is a flag for one numeric physio.Constants field. field is the
// field's JSON name, which physio's range table and RangeError use.
type calcConstant struct {
	name, field, label string
	ptr                func(*physio.Constants) *float64
}

var calcConstants = []calcConstant{
	{"hufner", "hufner", "Hüfner k_Hb", func(c *physio.Constants) *float64 { return &c.Hufner }},
	{"o2-solubility", "o2_solubility", "O2 solubility k_d", func(c *physio.Constants) *float64 { return &c.O2Solubility }},
	{"vco2-factor", "vco2_factor", "VCO2 factor k_co2", func(c *physio.Constants) *float64 { return &c.VCO2Factor }},
	{"svr-factor", "svr_factor", "SVR factor", func(c *physio.Constants) *float64 { return &c.SVRFactor }},
	{"bv-ml-per-kg", "blood_volume_ml_per_kg", "Blood volume", func(c *physio.Constants) *float64 { return &c.BloodVolumeMLPerKg }},
	{"protamine-ratio", "protamine_mg_per_100iu", "Protamine ratio", func(c *physio.Constants) *float64 { return &c.ProtamineMgPer100IU }},
	{"heparin-iu-per-kg", "heparin_iu_per_kg", "Heparin", func(c *physio.Constants) *float64 { return &c.HeparinIUPerKg }},
}

// constantRange returns physio's plausible range of a Constants field.
func constantRange(field string) physio.ConstantRange {
	for _, r := range physio.ConstantRanges() {
		if r.Field == field {
			return r
		}
	}
	panic("pumpside calc: no range for constant " + field) // programmer error: tables out of step
}

// calcOutput is one derived value: its JSON key (the stable interface of
// --json), how the table shows it, and the flags it needs.
type calcOutput struct {
	key, label, unit string
	decimals         int
	needs            string
	get              func(*physio.Result) float64
}

// needFlags returns the flags named in needs, as "--name".
func (o *calcOutput) needFlags() []string {
	var names []string
	for _, tok := range strings.Fields(o.needs) {
		if tok = strings.Trim(tok, "()"); strings.HasPrefix(tok, "--") {
			names = append(names, tok)
		}
	}
	return names
}

const (
	needsBSA  = "--height-cm --weight-kg"
	needsFI   = "--flow-lpm " + needsBSA
	needsCaO2 = "--hb --sao2 --pao2"
	// Delivery takes CaO2 without PaO2 too, its dissolved term omitted
	// (physio.Result.CaO2DissolvedOmitted).
	needsDelivery = "--hb --sao2 (--pao2 optional)"
)

// calcOutputs is in the order of the table and of the JSON keys.
var calcOutputs = []calcOutput{
	{"bsa_m2", "BSA", channel.SquareMetre, 3, needsBSA, func(r *physio.Result) float64 { return r.BSA }},
	{"flow_index", "Flow index", channel.LitrePerMinPerM2, 2, needsFI, func(r *physio.Result) float64 { return r.FlowIndex }},
	{"svr", "SVR", channel.DynSCm5, 0, "--map --cvp --flow-lpm (> 0)", func(r *physio.Result) float64 { return r.SVR }},
	{"svri", "SVRI", channel.DynSCm5M2, 0, "--map --cvp --flow-lpm (> 0) " + needsBSA, func(r *physio.Result) float64 { return r.SVRI }},
	{"cao2", "CaO2", channel.MLPerDL, 1, needsDelivery, func(r *physio.Result) float64 { return r.CaO2 }},
	{"cvo2", "CvO2", channel.MLPerDL, 1, "--hb --svo2 (--pvo2 optional)", func(r *physio.Result) float64 { return r.CvO2 }},
	{"do2", "DO2", channel.MLPerMin, 0, "--flow-lpm " + needsDelivery, func(r *physio.Result) float64 { return r.DO2 }},
	{"do2i", "DO2i", channel.MLPerMinPerM2, 0, needsFI + " " + needsDelivery, func(r *physio.Result) float64 { return r.DO2i }},
	{"vo2", "VO2", channel.MLPerMin, 0, "--flow-lpm " + needsCaO2 + " --svo2", func(r *physio.Result) float64 { return r.VO2 }},
	{"vo2i", "VO2i", channel.MLPerMinPerM2, 0, needsFI + " " + needsCaO2 + " --svo2", func(r *physio.Result) float64 { return r.VO2i }},
	{"o2er_pct", "O2ER", channel.Percent, 1, needsCaO2 + " --svo2", func(r *physio.Result) float64 { return r.O2ERPct }},
	{"vco2", "VCO2", channel.MLPerMin, 0, "--sweep-lpm --exhaust-co2", func(r *physio.Result) float64 { return r.VCO2 }},
	{"vco2i", "VCO2i", channel.MLPerMinPerM2, 1, "--sweep-lpm --exhaust-co2 " + needsBSA, func(r *physio.Result) float64 { return r.VCO2i }},
	{"do2i_vco2i", "DO2i/VCO2i", channel.Ratio, 2, needsFI + " " + needsDelivery + " --sweep-lpm (> 0) --exhaust-co2 (> 0)", func(r *physio.Result) float64 { return r.DO2iVCO2i }},
	{"rq", "RQ", channel.Ratio, 2, "--sweep-lpm --exhaust-co2 --flow-lpm " + needsCaO2 + " --svo2 (VO2 > 0)", func(r *physio.Result) float64 { return r.RQ }},
	{"predicted_hct_pct", "Predicted Hct on bypass", channel.Percent, 1, "--hct-pre --weight-kg --prime-ml --fluids-ml --cardioplegia-ml --rap-ml (0 if none)", func(r *physio.Result) float64 { return r.PredictedHctPct }},
}

const calcAbout = `Computes the derived values of cardiopulmonary bypass from the values given,
with the same code as the console (package monitor/physio). A flag left out is
absent, not zero; each value is printed only when all of its inputs are given.
Saturations and haematocrit are in percent. The constants are settings with
the defaults shown; they are printed with the result.

--json prints one JSON object whose keys are those of the values computed:
bsa_m2, flow_index, svr, svri, cao2, cvo2, do2, do2i, vo2, vo2i, o2er_pct,
vco2, vco2i, do2i_vco2i, rq, predicted_hct_pct.

Exit status 2 for an input that is not a number or outside its plausible
range, or when nothing can be computed from the inputs given.

A secondary tool: check every figure before acting on it.`

func runCalc(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("calc", "[--json] [flags]", calcAbout, stdout, stderr)

	inputs := make([]numFlag, len(calcInputs))
	for i, in := range calcInputs {
		fs.Var(&inputs[i], in.name, fmt.Sprintf("%s in `%s`, %s–%s", in.what, in.unit, fmtG(in.min), fmtG(in.max)))
	}
	var formula textFlag
	fs.Var(&formula, "bsa-formula", "BSA `formula`: dubois or mosteller (default dubois)")

	defaults := physio.DefaultConstants()
	consts := make([]numFlag, len(calcConstants))
	for i, k := range calcConstants {
		r := constantRange(k.field)
		consts[i] = numFlag{def: *k.ptr(&defaults), hasDef: true}
		fs.Var(&consts[i], k.name, fmt.Sprintf("%s in %s, %s–%s", k.label, r.Unit, fmtG(r.Min), fmtG(r.Max)))
	}
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")

	if code, ok := fs.parse(args); !ok {
		return code
	}
	fail := func(msg string) int {
		fmt.Fprintf(stderr, "pumpside calc: %s\n", msg)
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Sprintf("unexpected argument %q: every value is given by a flag", fs.Arg(0)))
	}

	in := physio.AbsentInputs()
	for i := range calcInputs {
		spec, f := &calcInputs[i], &inputs[i]
		if msg := f.check(spec.name, spec.allowed()); msg != "" {
			return fail(msg)
		}
		if f.set && !(f.v >= spec.min && f.v <= spec.max) {
			return fail(fmt.Sprintf("--%s %s is outside %s", spec.name, f.raw, spec.allowed()))
		}
		*spec.field(&in) = f.value()
	}

	c := defaults
	if formula.set {
		bf, err := physio.ParseBSAFormula(strings.TrimSpace(formula.raw))
		if err != nil {
			return fail(fmt.Sprintf("--bsa-formula %q is not a BSA formula (allowed dubois, mosteller)", formula.raw))
		}
		c.BSAFormula = bf
	}
	for i, k := range calcConstants {
		r := constantRange(k.field)
		if msg := consts[i].check(k.name, rangeText(r.Min, r.Max, r.Unit)); msg != "" {
			return fail(msg)
		}
		*k.ptr(&c) = consts[i].value()
	}
	if err := c.Validate(); err != nil {
		return fail(constantError(err, consts))
	}

	res := physio.Compute(in, c)
	computed := false
	for i := range calcOutputs {
		if !physio.IsAbsent(calcOutputs[i].get(&res)) {
			computed = true
			break
		}
	}
	if !computed {
		printNeeds(stderr)
		return 2
	}

	var err error
	if *asJSON {
		err = writeCalcJSON(stdout, &res)
		if res.CvO2DissolvedAssumedZero {
			fmt.Fprintln(stderr, "pumpside calc: note: "+pvo2Note)
		}
		if res.CaO2DissolvedOmitted {
			fmt.Fprintln(stderr, "pumpside calc: note: "+pao2Note)
		}
	} else {
		err = writeCalcTable(stdout, &res, c, consts, givenInputs(inputs))
	}
	if err != nil {
		fmt.Fprintf(stderr, "pumpside calc: %v\n", err)
		return 1
	}
	return 0
}

const pvo2Note = "--pvo2 not given: CvO2 (and VO2, VO2i, O2ER, RQ from it) takes dissolved O2 as 0, as HemoSphere does"

const pao2Note = "--pao2 not given: CaO2, DO2, DO2i and DO2i/VCO2i omit the dissolved O2 (they read low, on the safe side); VO2, VO2i, O2ER and RQ need it"

// constantError turns a Constants.Validate error into the one line naming
// the flag.
func constantError(err error, consts []numFlag) string {
	var re *physio.RangeError
	if errors.As(err, &re) {
		for i, k := range calcConstants {
			if k.field == re.Field {
				val := consts[i].raw
				if !consts[i].set {
					val = fmtG(re.Value) + " (default)"
				}
				return fmt.Sprintf("--%s %s is outside %s", k.name, val, rangeText(re.Min, re.Max, re.Unit))
			}
		}
	}
	// Not reachable from flags (formula parsed, default table); keep it one line.
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

func printNeeds(w io.Writer) {
	fmt.Fprintln(w, "pumpside calc: nothing can be computed from the inputs given. Each value needs:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range calcOutputs {
		fmt.Fprintf(tw, "  %s\t%s\n", o.key, o.needs)
	}
	tw.Flush()
	fmt.Fprintln(w, `Run "pumpside calc --help" for the flags.`)
}

func writeCalcJSON(w io.Writer, res *physio.Result) error {
	b := []byte{'{'}
	for _, o := range calcOutputs {
		v := o.get(res)
		if physio.IsAbsent(v) {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		num, err := json.Marshal(v) // finite: Compute never returns ±Inf
		if err != nil {
			return fmt.Errorf("%s: %w", o.key, err)
		}
		b = strconv.AppendQuote(b, o.key)
		b = append(b, ':')
		b = append(b, num...)
	}
	b = append(b, '}', '\n')
	_, err := w.Write(b)
	return err
}

// givenInputs returns the input flags given, as "--name".
func givenInputs(inputs []numFlag) map[string]bool {
	given := make(map[string]bool, len(inputs))
	for i := range inputs {
		if inputs[i].set {
			given["--"+calcInputs[i].name] = true
		}
	}
	return given
}

func writeCalcTable(w io.Writer, res *physio.Result, c physio.Constants, consts []numFlag, given map[string]bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, o := range calcOutputs {
		v := o.get(res)
		if physio.IsAbsent(v) {
			continue
		}
		label := o.label
		switch o.key {
		case "bsa_m2":
			label += " (" + c.BSAFormula.Label() + ")"
		case "cvo2":
			if res.CvO2DissolvedAssumedZero {
				label += " *"
			}
		case "cao2", "do2", "do2i", "do2i_vco2i":
			if res.CaO2DissolvedOmitted {
				label += " +"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, fmtFixed(v, o.decimals), o.unit)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nConstants in force\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "BSA formula\t%s\n", c.BSAFormula.Label())
	for i, k := range calcConstants {
		r := constantRange(k.field)
		src := "default"
		if consts[i].set {
			src = "--" + k.name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s (%s)\n", k.label, fmtG(*k.ptr(&c)), r.Unit, src)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.CvO2DissolvedAssumedZero {
		fmt.Fprintf(w, "\n* %s.\n", pvo2Note)
	}
	if res.CaO2DissolvedOmitted {
		fmt.Fprintf(w, "\n+ %s.\n", pao2Note)
	}

	// An input given but used by no value shown means another input is
	// missing: say which, rather than leave the user to wonder.
	used := map[string]bool{}
	for _, o := range calcOutputs {
		if !physio.IsAbsent(o.get(res)) {
			for _, name := range o.needFlags() {
				used[name] = true
			}
		}
	}
	header := false
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, in := range calcInputs {
		name := "--" + in.name
		if !given[name] || used[name] {
			continue
		}
		for _, o := range calcOutputs { // the first value that would use it
			if slices.Contains(o.needFlags(), name) {
				if !header {
					fmt.Fprintf(tw, "\nNot used\n")
					header = true
				}
				fmt.Fprintf(tw, "%s\t%s needs %s\n", name, o.label, o.needs)
				break
			}
		}
	}
	return tw.Flush()
}

// fmtFixed formats v with d decimals, without a minus sign on a value that
// rounds to zero.
func fmtFixed(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	return s
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func rangeText(lo, hi float64, unit string) string {
	return fmtG(lo) + "–" + fmtG(hi) + " " + unit
}

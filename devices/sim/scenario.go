package sim

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pumpside/pumpside/monitor/physio"
)

//go:embed scenarios/*.toml
var builtinFS embed.FS

// DefaultScenario is the name of the built-in scenario New runs.
const DefaultScenario = "routine-cabg"

// Scenario is a validated case description: the patient, the circuit and a
// timeline of actions (phases, drugs, faults). The zero Scenario is not
// valid; get one from ParseScenario or Builtin. A Scenario is read-only once
// built: several Cases may share it.
type Scenario struct {
	Name        string
	Title       string
	Description string
	// Duration is the case length the scenario was written for; a Case keeps
	// running past it in a steady state.
	Duration time.Duration
	Patient  Patient
	Circuit  Circuit
	// ECMO is the ECMO run of an ECMO scenario; nil for a bypass case.
	ECMO *ECMO
	// Actions are in time order (stable for equal times: file order).
	Actions []Action
}

// Patient describes the simulated adult.
type Patient struct {
	HeightCm, WeightKg, AgeYears float64
	Sex                          physio.Sex
	HctPrePct                    float64 // pre-bypass haematocrit, %
	// VO2i37 is the oxygen consumption at 37 °C under anaesthesia,
	// mL/min/m² (default 80).
	VO2i37 float64
	// Q10 is the factor by which VO2 changes per 10 °C (default 2.5).
	Q10 float64
	// SVR is the baseline systemic vascular resistance, dyn·s·cm⁻⁵ (default 1100).
	SVR float64
}

// Circuit describes the heart-lung machine set-up and the team's routine.
type Circuit struct {
	PrimeML           float64 // crystalloid prime, mL
	PrebypassFluidsML float64 // given by the anaesthetist before bypass, mL
	FiO2Pct           float64 // sweep gas oxygen fraction, %
	// ACTInterval is how often ACT is checked on bypass; the team gives
	// HeparinTopUpIU whenever ACT is below ACTTarget.
	ACTInterval    time.Duration
	ACTTarget      float64 // s
	HeparinTopUpIU float64
	// BloodGasInterval is how often an arterial + venous sample goes to the
	// analyser on bypass (0: only the scheduled ones).
	BloodGasInterval time.Duration
	// ReservoirLowML: below it the team adds 250 mL crystalloid (at most
	// every 5 min). 0 disables.
	ReservoirLowML float64
}

// DefaultCardioplegia is a scenario's cardioplegia solution when its
// event names none: multidose cold blood cardioplegia, 4:1.
const DefaultCardioplegia = "blood 4:1"

// Action is one timeline entry.
type Action struct {
	At   time.Duration
	Kind string // see ActionKinds
	// Parameters; which apply depends on Kind (docs/format/scenario.md).
	Text          string
	Fault         string
	Drug          string
	Solution      string // a cardioplegia's (the re-dose interval follows it); default "blood 4:1"
	TargetC       float64
	RateCPerMin   float64
	VolumeML      float64
	CrystalloidML float64
	DoseIU        float64
	HctPct        float64
	FlowIndex     float64
	FlowMLKgMin   float64
	FiO2Pct       float64
	Over          time.Duration // duration of an infusion-like action, or a fault before it clears
	Venous        bool
	Line          int // line in the scenario file, for messages
	index         int // position in the file
}

// ScenarioError is one problem in a scenario file. Line is 1-based (0 when
// the problem is not tied to a line); Field names the key, e.g.
// "event[3].target_c".
type ScenarioError struct {
	File  string
	Line  int
	Field string
	Msg   string
	Err   error // underlying error, if any
}

// ErrScenario is wrapped by every ScenarioError.
var ErrScenario = errors.New("sim: invalid scenario")

func (e *ScenarioError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrScenario and the underlying error.
func (e *ScenarioError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrScenario, e.Err}
	}
	return []error{ErrScenario}
}

// The action kinds and the parameters each accepts (required ones first,
// marked with "!"). Keep docs/format/scenario.md in step.
var actionKinds = map[string][]string{
	"phase":         {"text!"},
	"note":          {"text!"},
	"heparin":       {"dose_iu"},
	"act":           {},
	"bloodgas":      {"venous"},
	"nirs_baseline": {},
	"bypass_on":     {},
	"cool":          {"target_c!", "rate_c_per_min"},
	"rewarm":        {"target_c!", "rate_c_per_min"},
	"clamp_on":      {},
	"clamp_off":     {},
	"cardioplegia":  {"volume_ml!", "crystalloid_ml", "solution"},
	"circ_arrest":   {},
	"acp":           {"flow_ml_per_kg_min"},
	"reperfuse":     {},
	"flow_index":    {"flow_index!"},
	"fio2":          {"fio2_pct!"},
	"wean":          {"over"},
	"bypass_off":    {},
	"protamine":     {},
	"drug":          {"drug!"},
	"fluid":         {"volume_ml!"},
	"transfuse":     {"volume_ml!", "hct_pct"},
	"ultrafiltrate": {"volume_ml!", "over"},
	"ecmo_start":    {},
	"fault":         {"fault!", "over"},
	"clear":         {"fault!"},
}

// ActionKinds returns the timeline action kinds, sorted.
func ActionKinds() []string {
	out := make([]string, 0, len(actionKinds))
	for k := range actionKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Drugs are the drugs a "drug" action may name.
var drugs = map[string]string{
	"phenylephrine":  "vasoconstrictor bolus (+35 % SVR, half-life 5 min)",
	"metaraminol":    "vasoconstrictor bolus (+35 % SVR, half-life 5 min)",
	"noradrenaline":  "vasoconstrictor infusion (+40 % SVR while running)",
	"vasopressin":    "vasoconstrictor infusion (+60 % SVR while running; treats vasoplegia)",
	"gtn":            "vasodilator bolus (−25 % SVR, half-life 8 min)",
	"stop_infusions": "stops noradrenaline and vasopressin",
}

// Drugs returns the drug names a "drug" action accepts, sorted.
func Drugs() []string {
	out := make([]string, 0, len(drugs))
	for k := range drugs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type fileScenario struct {
	Name        string      `toml:"name"`
	Title       string      `toml:"title"`
	Description string      `toml:"description"`
	Duration    string      `toml:"duration"`
	Patient     filePatient `toml:"patient"`
	Circuit     fileCircuit `toml:"circuit"`
	ECMO        *fileECMO   `toml:"ecmo"`
	Events      []fileEvent `toml:"event"`
}

type filePatient struct {
	HeightCm  *float64 `toml:"height_cm"`
	WeightKg  *float64 `toml:"weight_kg"`
	AgeYears  *float64 `toml:"age_years"`
	Sex       string   `toml:"sex"`
	HctPrePct *float64 `toml:"hct_pre_pct"`
	VO2i37    *float64 `toml:"vo2i_37"`
	Q10       *float64 `toml:"q10"`
	SVR       *float64 `toml:"svr_dyn"`
}

type fileCircuit struct {
	PrimeML           *float64 `toml:"prime_ml"`
	PrebypassFluidsML *float64 `toml:"prebypass_fluids_ml"`
	FiO2Pct           *float64 `toml:"fio2_pct"`
	ACTInterval       *string  `toml:"act_interval"`
	ACTTarget         *float64 `toml:"act_target_s"`
	HeparinTopUpIU    *float64 `toml:"heparin_topup_iu"`
	BloodGasInterval  *string  `toml:"bloodgas_interval"`
	ReservoirLowML    *float64 `toml:"reservoir_low_ml"`
}

type fileEvent struct {
	At            string   `toml:"at"`
	Kind          string   `toml:"kind"`
	Text          string   `toml:"text"`
	Fault         string   `toml:"fault"`
	Drug          string   `toml:"drug"`
	Solution      string   `toml:"solution"`
	TargetC       *float64 `toml:"target_c"`
	RateCPerMin   *float64 `toml:"rate_c_per_min"`
	VolumeML      *float64 `toml:"volume_ml"`
	CrystalloidML *float64 `toml:"crystalloid_ml"`
	DoseIU        *float64 `toml:"dose_iu"`
	HctPct        *float64 `toml:"hct_pct"`
	FlowIndex     *float64 `toml:"flow_index"`
	FlowMLKgMin   *float64 `toml:"flow_ml_per_kg_min"`
	FiO2Pct       *float64 `toml:"fio2_pct"`
	Over          string   `toml:"over"`
	Venous        bool     `toml:"venous"`
}

// keyLines maps a key path ("patient.height_cm", "event[2].kind") to its
// line, and a table path ("event[2]", "patient") to its header line.
// BurntSushi/toml keeps key positions private, so the scanner below finds
// them; it understands the subset of TOML the format allows (tables, arrays
// of tables, one key per line).
type keyLines map[string]int

func locateKeys(data []byte) keyLines {
	kl := keyLines{}
	counts := map[string]int{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "[["):
			name := strings.TrimSpace(strings.Trim(strings.SplitN(line, "]]", 2)[0], "[ "))
			table = fmt.Sprintf("%s[%d]", name, counts[name])
			counts[name]++
			kl[table] = n
			continue
		case line[0] == '[':
			table = strings.TrimSpace(strings.Trim(strings.SplitN(line, "]", 2)[0], "[ "))
			kl[table] = n
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if table != "" {
			k = table + "." + k
		}
		if _, dup := kl[k]; !dup {
			kl[k] = n
		}
	}
	return kl
}

// line returns the line of key, else of its table, else 0.
func (kl keyLines) line(key string) int {
	for key != "" {
		if n, ok := kl[key]; ok {
			return n
		}
		i := strings.LastIndex(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

var decodeErrRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Builtin returns the built-in scenario name.
func Builtin(name string) (*Scenario, error) {
	data, err := builtinFS.ReadFile("scenarios/" + name + ".toml")
	if err != nil {
		return nil, fmt.Errorf("sim: no built-in scenario %q (have %s): %w", name, strings.Join(BuiltinNames(), ", "), fs.ErrNotExist)
	}
	return ParseScenario(name+".toml", data)
}

// BuiltinNames lists the built-in scenarios, sorted.
func BuiltinNames() []string {
	ents, _ := builtinFS.ReadDir("scenarios")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".toml"); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// ParseScenario parses and validates a scenario file; file names it in
// messages. On any problem it returns a nil Scenario and every problem
// found, each a *ScenarioError (errors.Join), so nothing runs half
// configured.
func ParseScenario(file string, data []byte) (*Scenario, error) {
	kl := locateKeys(data)
	var errs []error
	fail := func(field, format string, a ...any) {
		errs = append(errs, &ScenarioError{File: file, Line: kl.line(field), Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	var fsc fileScenario
	md, err := toml.Decode(string(data), &fsc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ScenarioError{File: file, Line: pe.Position.Line, Field: pe.LastKey, Msg: pe.Message, Err: err}
		}
		// Type mismatches come as "toml: line N (last key "K"): message".
		if m := decodeErrRE.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, &ScenarioError{File: file, Line: n, Field: m[2], Msg: m[3], Err: err}
		}
		return nil, &ScenarioError{File: file, Msg: err.Error(), Err: err}
	}
	// Unknown keys outside the events (parseAction checks each event's keys
	// against its kind).
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "event" {
			continue
		}
		fail(k.String(), "unknown key")
	}

	sc := &Scenario{Name: fsc.Name, Title: fsc.Title, Description: fsc.Description}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(path.Base(file), ".toml")
	}
	if !validName(sc.Name) {
		fail("name", "%q: use lower-case letters, digits and '-'", sc.Name)
	}
	if sc.Title == "" {
		sc.Title = sc.Name
	}
	dur := func(field, s string, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			fail(field, "%q is not a duration like \"15m\" or \"1h30m\"", s)
		case d < lo || d > hi:
			fail(field, "%v is outside %v–%v", d, lo, hi)
		}
		return d
	}
	if fsc.Duration == "" {
		fail("duration", "missing")
	} else {
		sc.Duration = dur("duration", fsc.Duration, time.Minute, 24*time.Hour)
	}

	num := func(field string, v *float64, def, lo, hi float64, unit string) float64 {
		if v == nil {
			if math.IsNaN(def) {
				fail(field, "missing (%s)", unit)
			}
			return def
		}
		if !(*v >= lo && *v <= hi) {
			fail(field, "%g is outside %g–%g %s", *v, lo, hi, unit)
		}
		return *v
	}
	nan := math.NaN()
	fp := fsc.Patient
	sc.Patient = Patient{
		HeightCm:  num("patient.height_cm", fp.HeightCm, nan, 120, 220, "cm"),
		WeightKg:  num("patient.weight_kg", fp.WeightKg, nan, 30, 250, "kg"),
		AgeYears:  num("patient.age_years", fp.AgeYears, 60, 16, 100, "years"),
		HctPrePct: num("patient.hct_pre_pct", fp.HctPrePct, nan, 18, 60, "%"),
		VO2i37:    num("patient.vo2i_37", fp.VO2i37, 80, 40, 160, "mL/min/m²"),
		Q10:       num("patient.q10", fp.Q10, 2.5, 1.5, 3.5, ""),
		SVR:       num("patient.svr_dyn", fp.SVR, 1100, 400, 3000, "dyn·s·cm⁻⁵"),
	}
	switch strings.ToLower(fp.Sex) {
	case "male", "m":
		sc.Patient.Sex = physio.Male
	case "female", "f":
		sc.Patient.Sex = physio.Female
	case "":
		fail("patient.sex", "missing (male or female)")
	default:
		fail("patient.sex", "%q: want male or female", fp.Sex)
	}
	fc := fsc.Circuit
	sc.Circuit = Circuit{
		PrimeML:           num("circuit.prime_ml", fc.PrimeML, nan, 0, 3000, "mL"),
		PrebypassFluidsML: num("circuit.prebypass_fluids_ml", fc.PrebypassFluidsML, 0, 0, 5000, "mL"),
		FiO2Pct:           num("circuit.fio2_pct", fc.FiO2Pct, 60, 21, 100, "%"),
		ACTTarget:         num("circuit.act_target_s", fc.ACTTarget, 480, 200, 1000, "s"),
		HeparinTopUpIU:    num("circuit.heparin_topup_iu", fc.HeparinTopUpIU, 5000, 0, 50000, "IU"),
		ReservoirLowML:    num("circuit.reservoir_low_ml", fc.ReservoirLowML, 350, 0, 2000, "mL"),
		ACTInterval:       30 * time.Minute,
		BloodGasInterval:  30 * time.Minute,
	}
	if fc.ACTInterval != nil {
		sc.Circuit.ACTInterval = dur("circuit.act_interval", *fc.ACTInterval, 0, 4*time.Hour)
	}
	if fc.BloodGasInterval != nil {
		sc.Circuit.BloodGasInterval = dur("circuit.bloodgas_interval", *fc.BloodGasInterval, 0, 4*time.Hour)
	}

	if fsc.ECMO != nil {
		sc.ECMO = parseECMO(fsc.ECMO, fail, dur, num)
	}
	for i, fe := range fsc.Events {
		sc.Actions = append(sc.Actions, parseAction(i, fe, kl, sc, fail, dur, num))
	}
	sort.SliceStable(sc.Actions, func(a, b int) bool { return sc.Actions[a].At < sc.Actions[b].At })
	checkTimeline(sc, fail)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return sc, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func parseAction(i int, fe fileEvent, kl keyLines, sc *Scenario,
	fail func(field, format string, a ...any),
	dur func(field, s string, lo, hi time.Duration) time.Duration,
	num func(field string, v *float64, def, lo, hi float64, unit string) float64) Action {
	p := fmt.Sprintf("event[%d]", i)
	a := Action{index: i, Kind: fe.Kind, Line: kl.line(p), Text: fe.Text, Fault: fe.Fault, Drug: fe.Drug, Venous: fe.Venous}
	if fe.At == "" {
		fail(p+".at", "missing (a time from the case start, e.g. \"15m\")")
	} else {
		a.At = dur(p+".at", fe.At, 0, 24*time.Hour)
	}
	params, ok := actionKinds[fe.Kind]
	if !ok {
		if fe.Kind == "" {
			fail(p+".kind", "missing")
		} else {
			fail(p+".kind", "unknown kind %q (want one of %s)", fe.Kind, strings.Join(ActionKinds(), ", "))
		}
		return a
	}
	// Keys present on this event, from the scanner.
	allowed := map[string]bool{"at": true, "kind": true}
	for _, q := range params {
		name := strings.TrimSuffix(q, "!")
		allowed[name] = true
		if strings.HasSuffix(q, "!") {
			if _, ok := kl[p+"."+name]; !ok {
				fail(p+"."+name, "missing: kind %q needs it", fe.Kind)
			}
		}
	}
	for key := range kl {
		if rest, ok := strings.CutPrefix(key, p+"."); ok && !allowed[rest] {
			fail(key, "not a parameter of kind %q (it takes %s)", fe.Kind, paramList(params))
		}
	}
	nan := math.NaN()
	opt := func(name string, v *float64, def, lo, hi float64, unit string) float64 {
		if v == nil {
			return def
		}
		return num(p+"."+name, v, nan, lo, hi, unit)
	}
	a.TargetC = opt("target_c", fe.TargetC, 0, 10, 40, "°C")
	switch fe.Kind {
	case "cool":
		a.RateCPerMin = opt("rate_c_per_min", fe.RateCPerMin, 0.5, 0.05, 3, "°C/min")
	case "rewarm":
		a.RateCPerMin = opt("rate_c_per_min", fe.RateCPerMin, 0.2, 0.05, 3, "°C/min")
	}
	a.VolumeML = opt("volume_ml", fe.VolumeML, 0, 1, 5000, "mL")
	a.CrystalloidML = opt("crystalloid_ml", fe.CrystalloidML, 0, 0, 5000, "mL")
	if a.CrystalloidML > a.VolumeML && fe.Kind == "cardioplegia" {
		fail(p+".crystalloid_ml", "%g mL is more than volume_ml %g mL", a.CrystalloidML, a.VolumeML)
	}
	if fe.Kind == "cardioplegia" {
		a.Solution = strings.TrimSpace(fe.Solution)
		if a.Solution == "" {
			a.Solution = DefaultCardioplegia
		}
	}
	a.DoseIU = opt("dose_iu", fe.DoseIU, physio.HeparinDose(sc.Patient.WeightKg, physio.DefaultConstants().HeparinIUPerKg), 1000, 100000, "IU")
	a.HctPct = opt("hct_pct", fe.HctPct, 60, 20, 80, "%")
	a.FlowIndex = opt("flow_index", fe.FlowIndex, 0, 0.5, 4, "L/min/m²")
	a.FlowMLKgMin = opt("flow_ml_per_kg_min", fe.FlowMLKgMin, 10, 3, 20, "mL/kg/min")
	a.FiO2Pct = opt("fio2_pct", fe.FiO2Pct, 0, 21, 100, "%")
	if fe.Over != "" {
		a.Over = dur(p+".over", fe.Over, time.Second, 4*time.Hour)
	} else if fe.Kind == "wean" {
		a.Over = 10 * time.Minute
	} else if fe.Kind == "ultrafiltrate" {
		a.Over = 15 * time.Minute
	}
	switch fe.Kind {
	case "fault", "clear":
		if fe.Fault != "" && !knownFault(fe.Fault) {
			fail(p+".fault", "unknown fault %q (want one of %s)", fe.Fault, strings.Join(FaultNames(), ", "))
		}
	case "drug":
		if _, ok := drugs[fe.Drug]; fe.Drug != "" && !ok {
			fail(p+".drug", "unknown drug %q (want one of %s)", fe.Drug, strings.Join(Drugs(), ", "))
		}
	}
	return a
}

func paramList(params []string) string {
	if len(params) == 0 {
		return "no parameters"
	}
	s := make([]string, len(params))
	for i, q := range params {
		s[i] = strings.TrimSuffix(q, "!")
	}
	return strings.Join(s, ", ")
}

// checkTimeline checks the order of the case: the pump must be on bypass
// for the actions that need it, and the phases must nest.
func checkTimeline(sc *Scenario, fail func(field, format string, a ...any)) {
	on, clamp, arrest, ecmo := false, false, false, false
	at := func(a Action, format string, args ...any) {
		fail(fmt.Sprintf("event[%d].kind", a.index), "at %v: "+format, append([]any{a.At}, args...)...)
	}
	for _, a := range sc.Actions {
		switch a.Kind {
		case "bypass_on":
			if on {
				at(a, "bypass_on while already on bypass")
			}
			if sc.ECMO != nil {
				at(a, "bypass_on in an ECMO scenario (its circuit starts with ecmo_start)")
			}
			on = true
		case "ecmo_start":
			switch {
			case sc.ECMO == nil:
				at(a, "ecmo_start needs an [ecmo] table")
			case ecmo:
				at(a, "ecmo_start while already on ECMO")
			}
			ecmo = true
		case "bypass_off":
			if !on {
				at(a, "bypass_off while not on bypass")
			}
			if clamp || arrest {
				at(a, "bypass_off with the cross-clamp on or in circulatory arrest")
			}
			on = false
		case "clamp_on":
			if !on || clamp {
				at(a, "clamp_on needs bypass and no clamp already on")
			}
			clamp = true
		case "clamp_off":
			if !clamp {
				at(a, "clamp_off with no clamp on")
			}
			clamp = false
		case "circ_arrest":
			if !on || arrest {
				at(a, "circ_arrest needs bypass and no arrest already")
			}
			arrest = true
		case "acp":
			if !arrest {
				at(a, "acp (antegrade cerebral perfusion) needs circulatory arrest")
			}
		case "reperfuse":
			if !arrest {
				at(a, "reperfuse with no circulatory arrest")
			}
			arrest = false
		case "fio2":
			if !on && !ecmo {
				at(a, "fio2 needs bypass or ECMO")
			}
		case "cool", "rewarm", "cardioplegia", "wean", "ultrafiltrate", "flow_index":
			if !on {
				at(a, "%s needs bypass", a.Kind)
			}
		}
	}
	if sc.ECMO != nil && !ecmo {
		fail("ecmo", "an ECMO scenario needs an ecmo_start event")
	}
}

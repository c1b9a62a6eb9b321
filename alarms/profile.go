package alarms

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Profile is a hospital's alarm profile: the rules and the settings of the
// alarm system. A loaded Profile has passed validation; treat it as
// read-only (New copies what the engine needs).
type Profile struct {
	// Name describes the profile ("Pumpside default", "St Elsewhere CT
	// theatres 2026-03").
	Name string
	// Source is the file name the profile was loaded from.
	Source string
	// Pause is the length of an audio pause.
	Pause time.Duration
	// MinVisible is how long a non-latched alarm stays visible after it was
	// raised, even if its condition ended sooner (at least 5 s).
	MinVisible time.Duration
	// Reminder is how long an acknowledged alarm whose condition is still
	// present stays silent before it sounds again.
	Reminder time.Duration
	// NoData describes the technical condition a physiological rule raises
	// instead of firing when its input has no valid value.
	NoData NoData
	// Repeat is the burst repetition interval by priority (index Low,
	// Medium, High); 0 plays the burst once per activation.
	Repeat [High + 1]time.Duration
	Rules  []Rule
	// Cardioplegia is the site's formulary of re-dose intervals by
	// solution (RedoseInterval).
	Cardioplegia []Redose
}

// Artefact recognises a measurement artefact by its physiology: on bypass the
// arterial pressure follows the pump's line pressure, so a sudden fall of
// the arterial line's MAP that the line pressure does not share is the
// transducer (a blood sample drawn through it, a kinked line), not the
// patient. When a new value of the input falls by more than Fall % from the
// one before while Confirm falls by less than half that, the rule's
// condition is held absent until the input recovers, or for Hold at most
// (then it is taken as real).
type Artefact struct {
	Confirm string
	Fall    float64
	Hold    time.Duration
}

// Redose is the re-dose interval of a cardioplegia solution: the first
// whose Match is in the solution's name (lower case) applies.
type Redose struct {
	Match    string
	Interval time.Duration
}

// RedoseInterval returns the re-dose interval of solution, 0 when the
// formulary has none (the rule's limit then applies).
func (p *Profile) RedoseInterval(solution string) time.Duration {
	s := strings.ToLower(solution)
	for _, r := range p.Cardioplegia {
		if s != "" && strings.Contains(s, r.Match) {
			return r.Interval
		}
	}
	return 0
}

// Q10Of returns the temperature scaling of the profile's first below rule
// on input whose limit scales (q10, q10_inputs: do2i_low's for
// "derived.do2i"); q10 is 0 when none does. The console's DO2i tile and the
// report take it, so that they judge by the limit the alarm does
// (physio.Q10Factor, docs/physiology.md).
func (p *Profile) Q10Of(input string) (q10 float64, temps []string) {
	for i := range p.Rules {
		if r := &p.Rules[i]; r.Input == input && r.Condition == Below && r.Q10 > 1 {
			return r.Q10, r.Q10Inputs
		}
	}
	return 0, nil
}

// NoData is the profile's [no_data] section.
type NoData struct {
	Priority Priority
	Delay    time.Duration
	Message  string
}

// Rule is one alarm rule. Float fields that do not apply to the rule's
// condition are NaN.
type Rule struct {
	ID string
	// Input is a channel name ("patient.map", "derived.do2i") or a context
	// input ("timer.since_cardioplegia", "health.ring_drops", ...); empty
	// for device_lost.
	Input     string
	Condition Condition
	Class     Class
	// Limit is the single limit of the condition, in the unit docs/alarms.md
	// gives for it; Low and High are the band of Outside.
	Limit, Low, High float64
	// Inclusive makes Below and Above fire at the limit itself (<=, >=).
	Inclusive bool
	// Hysteresis is how far back past the limit the value must come for
	// the condition to end, so that a value hovering at the limit does not
	// chatter.
	Hysteresis float64
	// Window is the span of RateAbove/RateBelow, or how long Increase stays
	// present after the counter rose.
	Window time.Duration
	// MaxSilence caps DeviceLost's silence limit (limit × interval).
	MaxSilence time.Duration
	// Delay is the validation delay: how long the condition must last
	// before the alarm is raised.
	Delay    time.Duration
	Priority Priority
	// NonessentialPriority is DeviceLost's priority for devices that are
	// not Essential.
	NonessentialPriority Priority
	// Latching keeps the alarm until acknowledged, even after the value
	// recovers.
	Latching bool
	// EscalateAfter, if not zero, raises the priority to EscalateTo once
	// the alarm has lasted that long.
	EscalateAfter time.Duration
	EscalateTo    Priority
	// Phases the rule applies in; empty: all.
	Phases PhaseSet
	// CrossClamp limits the rule to while the aortic cross-clamp is on.
	CrossClamp bool
	// When, if not nil, is a gate on another channel.
	When *When
	// LimitMin and LimitMax bound the operator's limit changes; NaN: the
	// limit is fixed by the profile.
	LimitMin, LimitMax float64
	// StaleAlarm raises the no_data condition for the rule's input when it
	// has no valid value while the rule applies (physiological rules only).
	StaleAlarm bool
	// Onset keeps the rule from applying in the first Onset of its phase
	// (Context.PhaseSince): the expected transient when bypass starts.
	Onset time.Duration
	// AfterHeparin limits the rule to after the first heparin dose.
	AfterHeparin bool
	// Q10, when above 1, scales the rule's limit with the patient's
	// temperature: limit × Q10^((T − 37)/10) below 37 °C, T the first
	// valid channel of Q10Inputs (oxygen demand falls with temperature).
	Q10       float64
	Q10Inputs []string
	// LimitOf makes the limit a share (in %) of a context value:
	// "flow_index_target" (Context.FlowIndexTarget).
	LimitOf string
	// NoDataDelay, when longer than the profile's no_data delay, is the
	// delay of the input's no_data alarm: a sensor whose signal is lost
	// for seconds at a time by design (a cerebral oximeter during
	// diathermy) is no lost value until then.
	NoDataDelay time.Duration
	// Artefact, if not nil, holds a sudden fall of the input that a
	// second channel does not confirm as an artefact, not a condition.
	Artefact *Artefact
	Message  string
	// Evidence is the source of the default, for docs/alarms.md.
	Evidence string
}

// Adjustable reports whether the operator may change the rule's limits.
func (r *Rule) Adjustable() bool { return !math.IsNaN(r.LimitMin) }

// When gates a rule on another channel. Without override limits, the rule
// applies only while the gate holds (an invalid gate input does not hold).
// With override limits, the rule always applies and uses the override while
// the gate holds and its own limits otherwise.
type When struct {
	Input string
	// AtLeast: the gate holds while the input is >= Threshold; otherwise
	// while it is < Threshold. Hysteresis keeps it from flapping.
	AtLeast    bool
	Threshold  float64
	Hysteresis float64
	// Limit, Low, High override the rule's limits while the gate holds;
	// NaN: no override.
	Limit, Low, High float64
}

// Overrides reports whether the gate carries override limits.
func (w *When) Overrides() bool { return !math.IsNaN(w.Limit) || !math.IsNaN(w.Low) }

// ProfileError is one problem found while loading a profile. Loading
// collects all of them (errors.Join); use errors.As to inspect one.
type ProfileError struct {
	// Source is the profile's file name.
	Source string
	// Rule is the rule's id, "rule #N" (1-based) when it has none, or ""
	// for a profile-wide setting.
	Rule string
	// Field is the TOML key, e.g. "limit" or "when.at_least"; "" for the
	// whole rule or file.
	Field string
	Err   error
}

func (e *ProfileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Rule != "" {
		b.WriteString(": rule ")
		b.WriteString(e.Rule)
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ProfileError) Unwrap() error { return e.Err }

//go:embed default.toml
var defaultProfileTOML []byte

// DefaultProfileTOML returns the text of the built-in profile, a template for
// a hospital's own file.
func DefaultProfileTOML() []byte { return bytes.Clone(defaultProfileTOML) }

// DefaultProfile parses the built-in profile with the same loader a
// hospital's file goes through. It panics if the embedded file is invalid, a
// programmer error that its test catches.
func DefaultProfile() *Profile {
	p, err := ParseProfile("default.toml", defaultProfileTOML)
	if err != nil {
		panic("alarms: embedded default profile: " + err.Error())
	}
	return p
}

//go:embed ecmo.toml
var ecmoProfileTOML []byte

// The names of the built-in profiles (BuiltinProfile).
const (
	ProfileDefault = "default"
	// ProfileECMO is the long-run profile (docs/ecmo.md): ECMO flow,
	// circuit pressures, sweep, circuit temperature and anticoagulation
	// checks, its rules applying throughout the run.
	ProfileECMO = "ecmo"
)

// BuiltinProfileNames lists the built-in profiles, default first.
func BuiltinProfileNames() []string { return []string{ProfileDefault, ProfileECMO} }

// BuiltinProfileTOML returns the text of a built-in profile (a template
// for a site's own file), nil for an unknown name.
func BuiltinProfileTOML(name string) []byte {
	switch name {
	case ProfileDefault:
		return bytes.Clone(defaultProfileTOML)
	case ProfileECMO:
		return bytes.Clone(ecmoProfileTOML)
	}
	return nil
}

// BuiltinProfile parses a built-in profile by name (ProfileDefault,
// ProfileECMO) with the loader a site's file goes through.
func BuiltinProfile(name string) (*Profile, error) {
	b := BuiltinProfileTOML(name)
	if b == nil {
		return nil, fmt.Errorf("alarms: no built-in profile %q (want %s)", name, strings.Join(BuiltinProfileNames(), " or "))
	}
	return ParseProfile(name+".toml", b)
}

// ECMOProfile parses the built-in ECMO profile. It panics if the embedded
// file is invalid, a programmer error that its test catches.
func ECMOProfile() *Profile {
	p, err := BuiltinProfile(ProfileECMO)
	if err != nil {
		panic("alarms: embedded ECMO profile: " + err.Error())
	}
	return p
}

// LoadProfile reads and validates a profile from r; name is used in errors.
func LoadProfile(name string, r io.Reader) (*Profile, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("alarms: read profile %s: %w", name, err)
	}
	return ParseProfile(name, b)
}

// Defaults of profile-wide settings.
const (
	DefaultPause      = 2 * time.Minute
	DefaultMinVisible = 5 * time.Second
	DefaultReminder   = 3 * time.Minute
	DefaultNoDataWait = 10 * time.Second
	defaultMaxSilence = 30 * time.Second
	maxDelay          = time.Hour
	maxWindow         = 10 * time.Minute
	maxPause          = 10 * time.Minute
	maxErrors         = 50
)

// duration decodes "10s", "2m"; a bare number (which TOML would otherwise
// take as nanoseconds) is an error.
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration with a unit such as \"10s\" or \"2m\", got %q", b)
	}
	*d = duration(v)
	return nil
}

type rawProfile struct {
	Name       string           `toml:"name"`
	Pause      *duration        `toml:"pause"`
	MinVisible *duration        `toml:"min_visible"`
	Reminder   *duration        `toml:"reminder"`
	NoData     rawNoData        `toml:"no_data"`
	Sound      rawSound         `toml:"sound"`
	Rules      []toml.Primitive `toml:"rule"`
	Cardio     []rawRedose      `toml:"cardioplegia"`
}

type rawRedose struct {
	Solution string    `toml:"solution"`
	Redose   *duration `toml:"redose"`
}

type rawNoData struct {
	Priority string    `toml:"priority"`
	Delay    *duration `toml:"delay"`
	Message  string    `toml:"message"`
}

type rawSound struct {
	HighRepeat   *duration `toml:"high_repeat"`
	MediumRepeat *duration `toml:"medium_repeat"`
	LowRepeat    *duration `toml:"low_repeat"`
}

type rawRule struct {
	ID                   string       `toml:"id"`
	Input                string       `toml:"input"`
	Condition            string       `toml:"condition"`
	Limit                *float64     `toml:"limit"`
	Low                  *float64     `toml:"low"`
	High                 *float64     `toml:"high"`
	Inclusive            bool         `toml:"inclusive"`
	Hysteresis           *float64     `toml:"hysteresis"`
	Window               *duration    `toml:"window"`
	MaxSilence           *duration    `toml:"max_silence"`
	Delay                *duration    `toml:"delay"`
	Priority             string       `toml:"priority"`
	NonessentialPriority string       `toml:"nonessential_priority"`
	Latching             bool         `toml:"latching"`
	EscalateAfter        *duration    `toml:"escalate_after"`
	EscalateTo           string       `toml:"escalate_to"`
	Phases               []string     `toml:"phases"`
	CrossClamp           bool         `toml:"cross_clamp"`
	When                 *rawWhen     `toml:"when"`
	LimitMin             *float64     `toml:"limit_min"`
	LimitMax             *float64     `toml:"limit_max"`
	StaleAlarm           *bool        `toml:"stale_alarm"`
	Onset                *duration    `toml:"onset"`
	AfterHeparin         bool         `toml:"after_heparin"`
	Q10                  *float64     `toml:"q10"`
	Q10Inputs            []string     `toml:"q10_inputs"`
	LimitOf              string       `toml:"limit_of"`
	Artefact             *rawArtefact `toml:"artefact"`
	NoDataDelay          *duration    `toml:"no_data_delay"`
	Message              string       `toml:"message"`
	Evidence             string       `toml:"evidence"`
}

type rawArtefact struct {
	Confirm string    `toml:"confirm"`
	Fall    *float64  `toml:"fall"`
	Hold    *duration `toml:"hold"`
}

type rawWhen struct {
	Input      string   `toml:"input"`
	AtLeast    *float64 `toml:"at_least"`
	Below      *float64 `toml:"below"`
	Hysteresis *float64 `toml:"hysteresis"`
	Limit      *float64 `toml:"limit"`
	Low        *float64 `toml:"low"`
	High       *float64 `toml:"high"`
}

// checker collects problems so that a hospital sees all of them at once.
type checker struct {
	source string
	rule   string
	errs   []error
}

func (c *checker) add(field string, format string, args ...any) {
	if len(c.errs) < maxErrors {
		c.errs = append(c.errs, &ProfileError{Source: c.source, Rule: c.rule, Field: field, Err: fmt.Errorf(format, args...)})
	}
}

func (c *checker) wrap(field string, err error) {
	if len(c.errs) < maxErrors {
		c.errs = append(c.errs, &ProfileError{Source: c.source, Rule: c.rule, Field: field, Err: err})
	}
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseProfile parses and validates a profile. Every problem is reported
// as a *ProfileError naming the rule and field, joined with errors.Join.
// Unknown keys are errors: a misspelt "hysterisis" must not silently leave
// the default in force.
func ParseProfile(name string, data []byte) (*Profile, error) {
	c := &checker{source: name}
	var raw rawProfile
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		c.decodeError(err)
		return nil, errors.Join(c.errs...)
	}
	p := &Profile{Name: raw.Name, Source: name}
	c.profileSettings(&raw, p)
	for i, rc := range raw.Cardio {
		f := fmt.Sprintf("cardioplegia[%d]", i+1)
		m := strings.ToLower(strings.TrimSpace(rc.Solution))
		if m == "" {
			c.add(f+".solution", "missing: the solution's name (or part of it) to match")
		}
		if rc.Redose == nil {
			c.add(f+".redose", "missing: the re-dose interval")
		}
		p.Cardioplegia = append(p.Cardioplegia, Redose{Match: m, Interval: c.dur(f+".redose", rc.Redose, 0, 5*time.Minute, 4*time.Hour)})
	}

	rules := make([]rawRule, len(raw.Rules))
	ids := make([]string, len(raw.Rules))
	for i, prim := range raw.Rules {
		var head struct {
			ID any `toml:"id"`
		}
		_ = md.PrimitiveDecode(prim, &head)
		if s, ok := head.ID.(string); ok && s != "" {
			ids[i] = s
		} else {
			ids[i] = fmt.Sprintf("#%d", i+1)
		}
		c.rule = ids[i]
		if err := md.PrimitiveDecode(prim, &rules[i]); err != nil {
			c.decodeError(err)
			ids[i] = "" // reported; do not validate half-decoded values
		}
	}
	c.rule = ""
	c.unknownKeys(md, raw.Rules, ids)

	seen := make(map[string]bool, len(rules))
	for i := range rules {
		if ids[i] == "" {
			continue
		}
		c.rule = ids[i]
		r, ok := c.rule1(&rules[i])
		if !ok {
			continue
		}
		if seen[r.ID] {
			c.add("id", "duplicate rule id")
			continue
		}
		seen[r.ID] = true
		p.Rules = append(p.Rules, r)
	}
	c.rule = ""
	if len(raw.Rules) == 0 {
		c.add("rule", "the profile has no rules")
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return p, nil
}

// lastKey finds the key in the TOML decoder's type errors, which are plain
// errors: `toml: line 6 (last key "rule.limit"): incompatible types: ...`.
var lastKey = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

// decodeError reports a syntax or type error with its key and line.
func (c *checker) decodeError(err error) {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		c.wrap(strings.TrimPrefix(pe.LastKey, "rule."), fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message))
		return
	}
	if m := lastKey.FindStringSubmatch(err.Error()); m != nil {
		msg := m[3]
		if m[1] != "" {
			msg = "line " + m[1] + ": " + msg
		}
		key := m[2]
		if c.rule != "" {
			key = strings.TrimPrefix(key, "rule.")
		}
		c.wrap(key, errors.New(msg))
		return
	}
	c.wrap("", err)
}

// unknownKeys reports keys nothing decoded. TOML metadata names them
// without the array index ("rule.limt"), so find the rules that hold them.
func (c *checker) unknownKeys(md toml.MetaData, prims []toml.Primitive, ids []string) {
	for _, k := range md.Undecoded() {
		if len(k) < 2 || k[0] != "rule" {
			c.add(k.String(), "unknown key")
			continue
		}
		found := false
		for i, prim := range prims {
			if ids[i] == "" {
				found = true // the rule failed to decode: its keys were not looked at
				continue
			}
			var m map[string]any
			if md.PrimitiveDecode(prim, &m) != nil || !hasPath(m, k[1:]) {
				continue
			}
			found = true
			c.rule = ids[i]
			c.add(strings.Join(k[1:], "."), "unknown key")
		}
		c.rule = ""
		if !found {
			c.add(k.String(), "unknown key")
		}
	}
}

func hasPath(m map[string]any, path []string) bool {
	for i, key := range path {
		v, ok := m[key]
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		if m, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}

func (c *checker) profileSettings(raw *rawProfile, p *Profile) {
	p.Pause = c.dur("pause", raw.Pause, DefaultPause, time.Second, maxPause)
	p.MinVisible = c.dur("min_visible", raw.MinVisible, DefaultMinVisible, DefaultMinVisible, time.Minute)
	p.Reminder = c.dur("reminder", raw.Reminder, DefaultReminder, 10*time.Second, 30*time.Minute)
	p.NoData.Priority = Medium
	if raw.NoData.Priority != "" {
		p.NoData.Priority = c.priority("no_data.priority", raw.NoData.Priority)
	}
	p.NoData.Delay = c.dur("no_data.delay", raw.NoData.Delay, DefaultNoDataWait, 0, maxDelay)
	p.NoData.Message = raw.NoData.Message
	if p.NoData.Message == "" {
		p.NoData.Message = "No valid data"
	}
	// Burst repetition windows from public summaries of IEC 60601-1-8
	// (unconfirmed, hence settings): HIGH 2.5-15 s, MEDIUM 2.5-30 s, LOW
	// over 15 s or not repeated.
	p.Repeat[High] = c.dur("sound.high_repeat", raw.Sound.HighRepeat, 7*time.Second, 2500*time.Millisecond, 15*time.Second)
	p.Repeat[Medium] = c.dur("sound.medium_repeat", raw.Sound.MediumRepeat, 15*time.Second, 2500*time.Millisecond, 30*time.Second)
	p.Repeat[Low] = c.dur("sound.low_repeat", raw.Sound.LowRepeat, 30*time.Second, 0, time.Hour)
	if p.Repeat[Low] != 0 && p.Repeat[Low] <= 15*time.Second {
		c.add("sound.low_repeat", "%v: a LOW burst repeats after more than 15 s, or not at all (0s)", p.Repeat[Low])
	}
}

// dur returns the decoded duration or def, checking lo <= d <= hi.
func (c *checker) dur(field string, d *duration, def, lo, hi time.Duration) time.Duration {
	if d == nil {
		return def
	}
	v := time.Duration(*d)
	if v < lo || v > hi {
		c.add(field, "%v is outside %v..%v", v, lo, hi)
	}
	return v
}

func (c *checker) priority(field, s string) Priority {
	p, err := ParsePriority(s)
	if err != nil {
		c.wrap(field, err)
	}
	return p
}

func (c *checker) finite(field string, v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	if math.IsNaN(*v) || math.IsInf(*v, 0) {
		c.add(field, "must be a finite number")
		return math.NaN()
	}
	return *v
}

// forbid reports fields that do not apply to the condition.
func (c *checker) forbid(cond Condition, fields ...struct {
	name string
	set  bool
}) {
	for _, f := range fields {
		if f.set {
			c.add(f.name, "does not apply to condition %s", cond)
		}
	}
}

type field = struct {
	name string
	set  bool
}

// rule1 validates one rule.
func (c *checker) rule1(rr *rawRule) (Rule, bool) {
	before := len(c.errs)
	r := Rule{
		ID: rr.ID, Input: rr.Input, Inclusive: rr.Inclusive, Latching: rr.Latching, CrossClamp: rr.CrossClamp,
		Message: rr.Message, Evidence: rr.Evidence,
		Limit: c.finite("limit", rr.Limit), Low: c.finite("low", rr.Low), High: c.finite("high", rr.High),
		LimitMin: c.finite("limit_min", rr.LimitMin), LimitMax: c.finite("limit_max", rr.LimitMax),
	}
	if !idPattern.MatchString(rr.ID) {
		c.add("id", "%q: want lower-case letters, digits and _ starting with a letter", rr.ID)
	}
	if rr.Message == "" {
		c.add("message", "missing: the operator must be told what the alarm means")
	}
	cond, ok := parseCondition(rr.Condition)
	if !ok {
		c.add("condition", "%q: want one of below, above, outside, rate_above, rate_below, fall_pct, stale, device_lost, flag, increase", rr.Condition)
		return r, false
	}
	r.Condition = cond

	// Input and class.
	in, inOK := resolveInput(rr.Input)
	switch cond {
	case DeviceLost:
		if rr.Input != "" {
			c.add("input", "device_lost has no input: it watches every device")
		}
		r.Class = Technical
	case Flag:
		if !inOK || !in.isFlag() {
			c.add("input", "%q: flag needs health.recording_failed, health.audio_unavailable, health.upload_failed, qc.inline_drift, health.disk_low or prompt.nirs_baseline_missing", rr.Input)
		}
		r.Class = Technical
		if in.kind == inNIRSBaselineMissing {
			r.Class = Reminder
		}
	case Increase:
		if !inOK || in.kind != inRingDrops {
			c.add("input", "%q: increase needs health.ring_drops", rr.Input)
		}
		r.Class = Technical
	case Stale, Outside, RateAbove, RateBelow, FallPercent:
		if !inOK || in.kind != inChannel {
			c.add("input", "%q: %s needs a channel name (docs/channels.md)", rr.Input, cond)
		}
		r.Class = Physiological
		if cond == Stale {
			r.Class = Technical
		}
	case Below, Above:
		switch {
		case !inOK || in.isFlag():
			c.add("input", "%q: want a channel name, timer.since_cardioplegia, timer.since_act or health.ring_drops", rr.Input)
		case in.kind == inChannel:
			r.Class = Physiological
		case in.kind == inRingDrops:
			r.Class = Technical
		default:
			r.Class = Reminder
		}
	}

	// Limits.
	switch cond {
	case Below, Above, RateAbove, RateBelow:
		if rr.Limit == nil {
			c.add("limit", "missing: %s needs a limit", cond)
		}
	case FallPercent:
		if rr.Limit == nil || r.Limit <= 0 || r.Limit >= 100 {
			c.add("limit", "%s needs a limit between 0 and 100 (%%)", cond)
		}
	case DeviceLost:
		if rr.Limit == nil {
			r.Limit = 3
		} else if r.Limit < 1 {
			c.add("limit", "%v: device_lost's limit is a number of sample intervals, at least 1", r.Limit)
		}
	case Stale:
		if rr.Limit == nil {
			r.Limit = 0
		} else if r.Limit < 0 {
			c.add("limit", "%v: a maximum age in minutes cannot be negative", r.Limit)
		}
	case Outside:
		if rr.Low == nil || rr.High == nil {
			c.add("low", "outside needs low and high")
		} else if !(r.Low < r.High) {
			c.add("high", "%v must be above low %v", r.High, r.Low)
		}
	}
	if cond != Outside {
		c.forbid(cond, field{"low", rr.Low != nil}, field{"high", rr.High != nil})
	}
	if cond == Outside || cond == Flag || cond == Increase {
		c.forbid(cond, field{"limit", rr.Limit != nil})
	}
	if rr.Inclusive && cond != Below && cond != Above {
		c.add("inclusive", "applies only to below and above")
	}
	if rr.Hysteresis != nil {
		r.Hysteresis = c.finite("hysteresis", rr.Hysteresis)
		switch {
		case cond == Stale || cond == DeviceLost || cond == Flag || cond == Increase:
			c.add("hysteresis", "does not apply to condition %s", cond)
		case r.Hysteresis < 0:
			c.add("hysteresis", "%v cannot be negative", r.Hysteresis)
		case cond == Outside && r.Hysteresis*2 >= r.High-r.Low:
			c.add("hysteresis", "%v leaves no band between low %v and high %v", r.Hysteresis, r.Low, r.High)
		}
	}

	// Timing.
	r.Delay = c.dur("delay", rr.Delay, 0, 0, maxDelay)
	switch cond {
	case RateAbove, RateBelow, Increase:
		if rr.Window == nil {
			c.add("window", "missing: %s needs a window", cond)
		}
		r.Window = c.dur("window", rr.Window, 0, time.Second, maxWindow)
	default:
		c.forbid(cond, field{"window", rr.Window != nil})
	}
	if cond == DeviceLost {
		r.MaxSilence = c.dur("max_silence", rr.MaxSilence, defaultMaxSilence, time.Second, 10*time.Minute)
	} else {
		c.forbid(cond, field{"max_silence", rr.MaxSilence != nil}, field{"nonessential_priority", rr.NonessentialPriority != ""})
	}

	// Priority, escalation.
	if rr.Priority == "" {
		c.add("priority", "missing: want high, medium or low")
	} else {
		r.Priority = c.priority("priority", rr.Priority)
	}
	r.NonessentialPriority = r.Priority
	if rr.NonessentialPriority != "" {
		r.NonessentialPriority = c.priority("nonessential_priority", rr.NonessentialPriority)
	}
	switch {
	case rr.EscalateAfter == nil && rr.EscalateTo == "":
	case rr.EscalateAfter == nil || rr.EscalateTo == "":
		c.add("escalate_to", "escalate_after and escalate_to go together")
	default:
		r.EscalateAfter = c.dur("escalate_after", rr.EscalateAfter, 0, time.Second, 24*time.Hour)
		r.EscalateTo = c.priority("escalate_to", rr.EscalateTo)
		if r.EscalateTo <= r.Priority {
			c.add("escalate_to", "%s must be above the rule's priority %s", r.EscalateTo, r.Priority)
		}
	}

	// Phases.
	for _, ph := range rr.Phases {
		v, err := ParsePhase(ph)
		if err != nil {
			c.wrap("phases", err)
			continue
		}
		r.Phases = r.Phases.With(v)
	}

	c.when(rr, &r)
	c.bounds(rr, &r)
	c.scaling(rr, &r, cond, in)

	r.StaleAlarm = r.Class == Physiological && in.kind == inChannel && cond != Stale
	if rr.StaleAlarm != nil {
		if !r.StaleAlarm {
			c.add("stale_alarm", "applies only to physiological rules on a channel")
		}
		r.StaleAlarm = r.StaleAlarm && *rr.StaleAlarm
	}
	return r, len(c.errs) == before
}

func (c *checker) when(rr *rawRule, r *Rule) {
	if rr.When == nil {
		return
	}
	rw := rr.When
	w := &When{Input: rw.Input, Limit: c.finite("when.limit", rw.Limit), Low: c.finite("when.low", rw.Low), High: c.finite("when.high", rw.High)}
	if in, ok := resolveInput(rw.Input); !ok || in.kind != inChannel {
		c.add("when.input", "%q: a gate needs a channel name", rw.Input)
	}
	switch {
	case (rw.AtLeast == nil) == (rw.Below == nil):
		c.add("when.at_least", "a gate needs exactly one of at_least and below")
	case rw.AtLeast != nil:
		w.AtLeast, w.Threshold = true, c.finite("when.at_least", rw.AtLeast)
	default:
		w.Threshold = c.finite("when.below", rw.Below)
	}
	if rw.Hysteresis != nil {
		w.Hysteresis = c.finite("when.hysteresis", rw.Hysteresis)
		if w.Hysteresis < 0 {
			c.add("when.hysteresis", "%v cannot be negative", w.Hysteresis)
		}
	}
	switch r.Condition {
	case Below, Above, RateAbove, RateBelow, FallPercent:
		c.forbid(r.Condition, field{"when.low", rw.Low != nil}, field{"when.high", rw.High != nil})
		if r.Condition == FallPercent && rw.Limit != nil && (w.Limit <= 0 || w.Limit >= 100) {
			c.add("when.limit", "%v: want a limit between 0 and 100 (%%)", w.Limit)
		}
	case Outside:
		c.forbid(r.Condition, field{"when.limit", rw.Limit != nil})
		if (rw.Low == nil) != (rw.High == nil) {
			c.add("when.low", "override low and high go together")
		} else if rw.Low != nil && !(w.Low < w.High) {
			c.add("when.high", "%v must be above when.low %v", w.High, w.Low)
		} else if rw.Low != nil && r.Hysteresis*2 >= w.High-w.Low {
			c.add("hysteresis", "%v leaves no band between when.low %v and when.high %v", r.Hysteresis, w.Low, w.High)
		}
	default:
		c.forbid(r.Condition, field{"when.limit", rw.Limit != nil}, field{"when.low", rw.Low != nil}, field{"when.high", rw.High != nil})
	}
	r.When = w
}

// scaling validates onset, after_heparin, q10 and limit_of.
func (c *checker) scaling(rr *rawRule, r *Rule, cond Condition, in input) {
	r.Onset = c.dur("onset", rr.Onset, 0, 0, time.Hour)
	r.AfterHeparin = rr.AfterHeparin
	if rr.Q10 != nil {
		r.Q10 = c.finite("q10", rr.Q10)
		switch {
		case r.Q10 < 1 || r.Q10 > 4:
			c.add("q10", "%v: want 1 (no scaling) to 4", r.Q10)
		case cond != Below && cond != Above || in.kind != inChannel:
			c.add("q10", "applies only to below and above on a channel")
		case len(rr.Q10Inputs) == 0:
			c.add("q10_inputs", "missing: the temperature channels the scaling reads")
		}
		for _, name := range rr.Q10Inputs {
			if id, ok := channel.Lookup(name); !ok || channel.Get(id).Unit != channel.Celsius {
				c.add("q10_inputs", "%q is not a temperature channel", name)
			}
		}
		r.Q10Inputs = rr.Q10Inputs
	} else if len(rr.Q10Inputs) > 0 {
		c.add("q10_inputs", "applies only with q10")
	}
	switch rr.LimitOf {
	case "":
	case LimitOfFlowIndexTarget:
		if cond != Below {
			c.add("limit_of", "applies only to below")
		}
		if r.Limit <= 0 || r.Limit > 100 {
			c.add("limit", "%v: with limit_of the limit is a share of the target, in %% (0-100]", r.Limit)
		}
	default:
		c.add("limit_of", "%q: want %s", rr.LimitOf, LimitOfFlowIndexTarget)
	}
	r.LimitOf = rr.LimitOf
	r.NoDataDelay = c.dur("no_data_delay", rr.NoDataDelay, 0, time.Second, 5*time.Minute)
	if rr.NoDataDelay != nil && !staleAlarmPossible(in, cond) {
		c.add("no_data_delay", "applies only to physiological rules on a channel")
	}
	if ra := rr.Artefact; ra != nil {
		a := &Artefact{Confirm: ra.Confirm, Fall: c.finite("artefact.fall", ra.Fall), Hold: c.dur("artefact.hold", ra.Hold, 30*time.Second, time.Second, 5*time.Minute)}
		if in, ok := resolveInput(ra.Confirm); !ok || in.kind != inChannel {
			c.add("artefact.confirm", "%q: want a channel name", ra.Confirm)
		}
		if ra.Fall == nil || !(a.Fall > 0 && a.Fall < 100) {
			c.add("artefact.fall", "want a fall in %% between 0 and 100")
		}
		if cond != Below && cond != Outside || in.kind != inChannel {
			c.add("artefact", "applies only to below or outside on a channel (it holds a fall)")
		}
		r.Artefact = a
	}
}

// LimitOfFlowIndexTarget is the context value limit_of may name.
const LimitOfFlowIndexTarget = "flow_index_target"

func (c *checker) bounds(rr *rawRule, r *Rule) {
	if rr.LimitMin == nil && rr.LimitMax == nil {
		return
	}
	if rr.LimitMin == nil || rr.LimitMax == nil {
		c.add("limit_min", "limit_min and limit_max go together")
		return
	}
	switch r.Condition {
	case Flag, Increase:
		c.add("limit_min", "condition %s has no limit to change", r.Condition)
		return
	}
	if r.LimitMin > r.LimitMax {
		c.add("limit_max", "%v is below limit_min %v", r.LimitMax, r.LimitMin)
		return
	}
	check := func(name string, v float64) {
		if v < r.LimitMin || v > r.LimitMax {
			c.add(name, "%v is outside limit_min %v .. limit_max %v", v, r.LimitMin, r.LimitMax)
		}
	}
	if r.Condition == Outside {
		check("low", r.Low)
		check("high", r.High)
	} else {
		check("limit", r.Limit)
	}
}

// Context inputs a rule may name instead of a channel.
const (
	InputSinceCardioplegia = "timer.since_cardioplegia" // minutes since the last dose
	InputSinceACT          = "timer.since_act"          // minutes since the last ACT
	InputRingDrops         = "health.ring_drops"        // total samples dropped
	InputRecordingFailed   = "health.recording_failed"  // 1 while the case record fails
	InputAudioUnavailable  = "health.audio_unavailable" // 1 while no sound can play
	InputUploadFailed      = "health.upload_failed"     // 1 while the case cannot reach InfluxDB
	InputDiskLow           = "health.disk_low"          // 1 while the record's disk has less free space than its threshold
	// InputNIRSBaselineMissing is 1 while a cerebral oximeter sends and no
	// pre-induction baseline is recorded: a prompt, not an alarm.
	InputNIRSBaselineMissing = "prompt.nirs_baseline_missing"
	// InputInlineDrift is 1 while the in-line blood monitor differs from
	// the analyser beyond the site's tolerance and is not recalibrated
	// since (monitor/qc).
	InputInlineDrift = "qc.inline_drift"
)

type inputKind uint8

const (
	inNone inputKind = iota
	inChannel
	inSinceCardioplegia
	inSinceACT
	inRingDrops
	inRecordingFailed
	inAudioUnavailable
	inUploadFailed
	inNIRSBaselineMissing
	inInlineDrift
	inDiskLow
)

type input struct {
	kind inputKind
	ch   channel.ID
}

func (in input) isFlag() bool {
	return in.kind == inRecordingFailed || in.kind == inAudioUnavailable || in.kind == inUploadFailed || in.kind == inNIRSBaselineMissing ||
		in.kind == inInlineDrift || in.kind == inDiskLow
}

func resolveInput(name string) (input, bool) {
	switch name {
	case InputSinceCardioplegia:
		return input{kind: inSinceCardioplegia}, true
	case InputSinceACT:
		return input{kind: inSinceACT}, true
	case InputRingDrops:
		return input{kind: inRingDrops}, true
	case InputRecordingFailed:
		return input{kind: inRecordingFailed}, true
	case InputAudioUnavailable:
		return input{kind: inAudioUnavailable}, true
	case InputUploadFailed:
		return input{kind: inUploadFailed}, true
	case InputNIRSBaselineMissing:
		return input{kind: inNIRSBaselineMissing}, true
	case InputInlineDrift:
		return input{kind: inInlineDrift}, true
	case InputDiskLow:
		return input{kind: inDiskLow}, true
	}
	if id, ok := channel.Lookup(name); ok {
		return input{kind: inChannel, ch: id}, true
	}
	return input{}, false
}

// staleAlarmPossible reports whether a rule of condition cond on input in
// can raise a no_data alarm (physiological, on a channel).
func staleAlarmPossible(in input, cond Condition) bool {
	return in.kind == inChannel && cond != Stale && cond != DeviceLost && cond != Flag && cond != Increase
}

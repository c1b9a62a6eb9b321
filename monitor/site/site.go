package site

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
)

// ErrSite is wrapped by every error of Parse and Load.
var ErrSite = errors.New("site")

// Error is a site file error: the file, the key and what is wrong.
type Error struct {
	File, Key string
	Err       error
}

func (e *Error) Error() string {
	s := "site file " + e.File + ": "
	if e.Key != "" {
		s += e.Key + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the cause and ErrSite.
func (e *Error) Unwrap() []error { return []error{e.Err, ErrSite} }

// The observation grid intervals a site may choose.
var GridIntervals = []time.Duration{10 * time.Minute, 15 * time.Minute}

// DefaultGridInterval is the grid interval of a site that sets none.
const DefaultGridInterval = 15 * time.Minute

// Config is a site file, checked. The zero Config is not usable: start
// from Default.
type Config struct {
	// Path is the file it was read from; "" for Default.
	Path string
	// Theatre names the console's theatre on the department view
	// (docs/central.md): "" for none. The environment's PUMPSIDE_THEATRE
	// overrides it (livestate.Theatre).
	Theatre string
	// Units are the display units.
	Units Units
	// Zone is the theatre's time zone; ZoneName how the file named it
	// ("Local" when it did not).
	Zone     *time.Location
	ZoneName string
	// GridInterval is the observation grid's interval: 10 or 15 min.
	GridInterval time.Duration
	// Solutions are the cardioplegia solutions: the site's, then the
	// built-in ones it does not redefine (entry.DefaultSolutions).
	Solutions []entry.Solution
	// Preset are the usual set-up entries (no time, no who), in file
	// order: see Preset.
	Preset []entry.Entry
	// Privacy, HL7 and FHIR say what leaves the machine and how
	// (exchange.go; docs/integration.md): identified sending, the
	// interface engine, the FHIR server.
	Privacy Privacy
	HL7     HL7
	FHIR    FHIR
	// Quality are the site's quality indicators; nil: monitor/report's
	// defaults.
	Quality []Indicator
	// InlineQC are the site's tolerances of the in-line monitor check by
	// analyte key (InlineQCAnalytes); an analyte it does not set keeps
	// monitor/qc's default (docs/qc.md).
	InlineQC map[string]InlineTolerance
}

// Default returns the configuration of a site without a site file: units
// of the channels, the machine's local zone, a 15-minute grid, the
// built-in cardioplegia solutions, no preset.
func Default() *Config {
	return &Config{Units: Units{Gas: defaultGas, Hb: defaultHb, Glucose: defaultGlucose}, Zone: time.Local, ZoneName: "Local",
		GridInterval: DefaultGridInterval, Solutions: entry.DefaultSolutions(), Privacy: Privacy{PatientIDField: "hospital_number"}}
}

// Location returns the zone times are shown in (time.Local if none).
func (c *Config) Location() *time.Location {
	if c == nil || c.Zone == nil {
		return time.Local
	}
	return c.Zone
}

// SetZone replaces the zone (a --tz flag): an IANA name, Local, UTC.
func (c *Config) SetZone(name string) error {
	loc, err := ParseZone(name)
	if err != nil {
		return err
	}
	c.Zone, c.ZoneName = loc, name
	return nil
}

// ParseZone reads an IANA zone name ("Europe/London"), "Local" (the
// machine's zone) or "UTC".
func ParseZone(name string) (*time.Location, error) {
	switch strings.TrimSpace(name) {
	case "", "Local", "local":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w (an IANA name such as Europe/London, UTC or Local)", name, err)
	}
	return loc, nil
}

// PresetOf returns the preset entries of kind (copies the caller may
// change): one for most kinds, one per item for disposables, fluids and
// drugs (the prime and its additives).
func (c *Config) PresetOf(kind string) []entry.Entry {
	var out []entry.Entry
	for _, e := range c.Preset {
		if e.Kind == kind {
			out = append(out, e.Clone())
		}
	}
	return out
}

// Fill sets the fields e does not have from the preset entry of its kind
// that matches it (a disposable by its item, a fluid or drug by its name;
// other kinds: the kind's first). It reports whether a preset applied.
func (c *Config) Fill(e *entry.Entry) bool {
	for _, p := range c.Preset {
		if p.Kind != e.Kind {
			continue
		}
		switch e.Kind {
		case entry.KindDisposable:
			if e.Str["item"] != "" && p.Str["item"] != e.Str["item"] {
				continue
			}
		case entry.KindFluid, entry.KindDrug:
			if e.Str["name"] != "" && !strings.EqualFold(p.Str["name"], e.Str["name"]) {
				continue
			}
		}
		for k, v := range p.Str {
			if _, has := e.Str[k]; !has {
				e.SetStr(k, v)
			}
		}
		for k, v := range p.Num {
			if _, has := e.Num[k]; !has {
				e.SetNum(k, v)
			}
		}
		if e.Text == "" {
			e.Text = p.Text
		}
		return true
	}
	return false
}

// file is the TOML layout of a site file.
type file struct {
	Theatre             string                     `toml:"theatre"`
	Timezone            string                     `toml:"timezone"`
	ObservationInterval string                     `toml:"observation_interval"`
	Units               Units                      `toml:"units"`
	Cardioplegia        []solution                 `toml:"cardioplegia"`
	Preset              []presetItem               `toml:"preset"`
	Privacy             privacyFile                `toml:"privacy"`
	HL7                 hl7File                    `toml:"hl7"`
	FHIR                fhirFile                   `toml:"fhir"`
	Quality             qualityFile                `toml:"quality"`
	InlineQC            map[string]InlineTolerance `toml:"inline_qc"`
}

type solution struct {
	Solution            string   `toml:"solution"`
	Aliases             []string `toml:"aliases"`
	CrystalloidFraction *float64 `toml:"crystalloid_fraction"`
	Redose              string   `toml:"redose"`
}

// presetItem is one [[preset]] table: kind and the entry's fields. Its
// values are turned into a typed, validated entry.Entry as soon as the
// file is read; nothing else sees them untyped.
type presetItem map[string]any

// maxFile bounds a site file, bytes.
const maxFile = 1 << 20

// Load reads the site file at path. Errors are *Error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return Parse(data, path)
}

// Parse checks a site file read from path (named in errors). Unknown keys,
// a theatre name record.CheckTheatre refuses, a unit that is not one of the choices, a zone the zone database does not
// know, a grid interval other than 10 or 15 min, a solution without a
// name or with a crystalloid fraction outside 0..1, a preset entry its
// kind would refuse (an unknown field, a lot number with a control
// character, a value out of range), and a sending setting or quality
// indicator that does not check (exchange.go) are errors naming the key.
func Parse(data []byte, path string) (*Config, error) {
	fail := func(key string, err error) (*Config, error) { return nil, &Error{File: path, Key: key, Err: err} }
	if len(data) > maxFile {
		return fail("", fmt.Errorf("%d bytes: a site file is at most %d", len(data), maxFile))
	}
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return fail("", err)
	}
	for _, k := range md.Undecoded() {
		if len(k) >= 1 && k[0] == "preset" {
			continue // a preset's fields are its kind's, checked below
		}
		return fail(k.String(), errors.New("unknown key"))
	}
	c := Default()
	c.Path = path
	if err := record.CheckTheatre(f.Theatre); err != nil {
		return fail("theatre", err)
	}
	c.Theatre = f.Theatre
	c.Units = f.Units
	if key, v, choices := c.Units.check(); key != "" {
		return fail(key, fmt.Errorf("%q is not one of %s", v, strings.Join(choices, ", ")))
	}
	if f.Timezone != "" {
		if err := c.SetZone(f.Timezone); err != nil {
			return fail("timezone", err)
		}
	}
	if f.ObservationInterval != "" {
		d, err := time.ParseDuration(f.ObservationInterval)
		if err != nil || !slices.Contains(GridIntervals, d) {
			return fail("observation_interval", fmt.Errorf("%q: want 10m or 15m", f.ObservationInterval))
		}
		c.GridInterval = d
	}
	var sols []entry.Solution
	for i, s := range f.Cardioplegia {
		key := fmt.Sprintf("cardioplegia[%d]", i+1)
		if strings.TrimSpace(s.Solution) == "" {
			return fail(key+".solution", errors.New("missing"))
		}
		sol := entry.Solution{Name: strings.TrimSpace(s.Solution), Aliases: s.Aliases, CrystalloidFraction: math.NaN(), Redose: entry.DefaultRedose}
		if s.CrystalloidFraction != nil {
			v := *s.CrystalloidFraction
			if !(v >= 0 && v <= 1) {
				return fail(key+".crystalloid_fraction", fmt.Errorf("%v is outside 0..1", v))
			}
			sol.CrystalloidFraction = v
		}
		if s.Redose != "" {
			d, err := time.ParseDuration(s.Redose)
			if err != nil || d < time.Minute || d > 6*time.Hour {
				return fail(key+".redose", fmt.Errorf("%q: want a duration from 1m to 6h", s.Redose))
			}
			sol.Redose = d
		}
		for _, o := range sols {
			if strings.EqualFold(o.Name, sol.Name) {
				return fail(key+".solution", fmt.Errorf("%q is defined twice", sol.Name))
			}
		}
		sols = append(sols, sol)
	}
	for _, d := range entry.DefaultSolutions() {
		if _, redefined := entry.LookupSolution(sols, d.Name); !redefined {
			sols = append(sols, d)
		}
	}
	c.Solutions = sols
	for i, p := range f.Preset {
		e, err := presetEntry(p)
		if err != nil {
			return fail(fmt.Sprintf("preset[%d]", i+1), err)
		}
		c.Preset = append(c.Preset, e)
	}
	if key, err := parseSending(c, &f, path); err != nil {
		return fail(key, err)
	}
	qc, key, err := parseInlineQC(f.InlineQC)
	if err != nil {
		return fail(key, err)
	}
	c.InlineQC = qc
	return c, nil
}

// presetKinds are the kinds a preset may fill: the set-up, the prime
// (fluid) and its additives (drug).
var presetKinds = []string{entry.KindProcedure, entry.KindTeam, entry.KindCircuit, entry.KindDisposable,
	entry.KindChecklist, entry.KindFluid, entry.KindDrug}

func presetEntry(p presetItem) (entry.Entry, error) {
	kind, _ := p["kind"].(string)
	if !slices.Contains(presetKinds, kind) {
		return entry.Entry{}, fmt.Errorf("kind %q: want one of %s", kind, strings.Join(presetKinds, ", "))
	}
	spec, _ := entry.Spec(kind)
	e := entry.Entry{Kind: kind}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := p[k]
		switch k {
		case "kind":
			continue
		case "text":
			s, ok := v.(string)
			if !ok {
				return e, fmt.Errorf("text: %v is not a string", v)
			}
			e.Text = s
			continue
		}
		f, ok := spec.Field(k)
		if !ok {
			return e, fmt.Errorf("%s: not a field of %s", k, kind)
		}
		switch x := v.(type) {
		case string:
			if !f.Str {
				return e, fmt.Errorf("%s: %q is not a number", k, x)
			}
			e.SetStr(k, x)
		case int64:
			if f.Str {
				return e, fmt.Errorf("%s: %d is not a string (quote it)", k, x)
			}
			e.SetNum(k, float64(x))
		case float64:
			if f.Str {
				return e, fmt.Errorf("%s: %s is not a string (quote it)", k, strconv.FormatFloat(x, 'g', -1, 64))
			}
			e.SetNum(k, x)
		default:
			return e, fmt.Errorf("%s: %v is neither a string nor a number", k, v)
		}
	}
	entry.Normalize(&e)
	if err := presetModel.ValidatePartial(e); err != nil {
		return e, err
	}
	return e, nil
}

// presetModel checks presets: the built-in formulary, as entries are.
var presetModel = entry.Model{Formulary: entry.DefaultFormulary()}

// Locate returns the site file to read: flag (a --site-file FILE) if set, else
// the environment variable PUMPSIDE_SITE, else site.toml in the user's
// pumpside config directory when it exists; "" for none (Default).
func Locate(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if p := getenv(EnvFile); p != "" {
		return p
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if d, err := os.UserConfigDir(); err == nil {
			dir = d
		}
	}
	if dir == "" {
		return ""
	}
	p := filepath.Join(dir, "pumpside", "site.toml")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// EnvFile names the environment variable holding the site file's path.
const EnvFile = "PUMPSIDE_SITE"

// Resolve loads the site file Locate finds (Default when none) and applies
// tz (a --tz flag) when set.
func Resolve(flag, tz string, getenv func(string) string) (*Config, error) {
	c := Default()
	if p := Locate(flag, getenv); p != "" {
		var err error
		if c, err = Load(p); err != nil {
			return nil, err
		}
	}
	if tz != "" {
		if err := c.SetZone(tz); err != nil {
			return nil, fmt.Errorf("%w: --tz: %w", ErrSite, err)
		}
	}
	return c, nil
}

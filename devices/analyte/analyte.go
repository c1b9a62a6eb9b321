package analyte

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Site is where a blood sample was drawn.
type Site uint8

// The sites.
const (
	// Unknown: not said, or not arterial nor venous.
	Unknown Site = iota
	Arterial
	Venous
)

func (s Site) String() string {
	switch s {
	case Arterial:
		return "arterial"
	case Venous:
		return "venous"
	}
	return ""
}

// ParseSite reads "arterial", "venous" or "" (Unknown).
func ParseSite(s string) (Site, error) {
	switch s {
	case "arterial":
		return Arterial, nil
	case "venous":
		return Venous, nil
	case "":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("%q is not arterial or venous", s)
}

// Names are the blood-gas panel's analytes: the field names of the abg.*
// and vbg.* channels.
var Names = [...]string{"ph", "pco2", "po2", "so2", "hb", "hct", "k", "na", "ica", "glucose", "lactate", "be", "hco3"}

// Channel returns the channel of analyte name for a sample from site:
// abg.<name> or vbg.<name>. ok is false for an unknown name or site.
func Channel(name string, site Site) (id channel.ID, ok bool) {
	var group string
	switch site {
	case Arterial:
		group = "abg."
	case Venous:
		group = "vbg."
	default:
		return channel.Invalid, false
	}
	for _, n := range Names {
		if n == name {
			return channel.Lookup(group + name)
		}
	}
	return channel.Invalid, false
}

// Sites tells the site of a sample from its specimen description (ASTM's
// specimen descriptor, HL7's specimen source or type). Matching ignores
// ASCII case and surrounding spaces. A description in neither list is not
// guessed: results that need a site are dropped.
type Sites struct {
	// Arterial and Venous list the descriptions of each site.
	Arterial []string `toml:"arterial"`
	Venous   []string `toml:"venous"`
	// Unspecified lists descriptions that say nothing about the site (such
	// as "BLD", whole blood); they, and a missing description, give
	// Default.
	Unspecified []string `toml:"unspecified"`
	// Default is "arterial", "venous" or "" (results without a known site
	// are dropped).
	Default string `toml:"default"`
	def     Site
}

// Init validates s; what names it in errors.
func (s *Sites) Init(what string) error {
	var err error
	if s.def, err = ParseSite(s.Default); err != nil {
		return fmt.Errorf("%s.default: %w", what, err)
	}
	seen := map[string]string{}
	for _, l := range []struct {
		name string
		list []string
	}{{"arterial", s.Arterial}, {"venous", s.Venous}, {"unspecified", s.Unspecified}} {
		for i, d := range l.list {
			k := strings.ToLower(strings.TrimSpace(d))
			if k == "" {
				return fmt.Errorf("%s.%s[%d] is empty: a missing description always gives the default", what, l.name, i)
			}
			if prev, dup := seen[k]; dup {
				return fmt.Errorf("%s.%s[%d] = %q is already in %s", what, l.name, i, d, prev)
			}
			seen[k] = l.name
		}
	}
	return nil
}

// Classify returns the site of a specimen description; ok is false for a
// description in none of the lists.
func (s *Sites) Classify(desc []byte) (site Site, ok bool) {
	desc = bytes.TrimSpace(desc)
	if len(desc) == 0 {
		return s.def, true
	}
	match := func(list []string) bool {
		for _, d := range list {
			if bytes.EqualFold(desc, []byte(strings.TrimSpace(d))) {
				return true
			}
		}
		return false
	}
	switch {
	case match(s.Arterial):
		return Arterial, true
	case match(s.Venous):
		return Venous, true
	case match(s.Unspecified):
		return s.def, true
	}
	return Unknown, false
}

// ClassifyParts returns the site of a specimen described in parts (ASTM's
// specimen type and source components, HL7's SPM-4 and OBR-15): the first
// part that names a site wins; when none does, parts that are all empty or
// unspecified give Default, and any part in none of the lists makes ok
// false (not guessed). It does not allocate.
func (s *Sites) ClassifyParts(a, b []byte) (site Site, ok bool) {
	sa, okA := s.Classify(a)
	sb, okB := s.Classify(b)
	switch {
	case okA && s.explicit(a):
		return sa, true
	case okB && s.explicit(b):
		return sb, true
	case okA && okB:
		return s.def, true
	}
	return Unknown, false
}

// explicit reports whether desc is in the Arterial or Venous list.
func (s *Sites) explicit(desc []byte) bool {
	desc = bytes.TrimSpace(desc)
	for _, l := range [2][]string{s.Arterial, s.Venous} {
		for _, d := range l {
			if bytes.EqualFold(desc, []byte(strings.TrimSpace(d))) {
				return true
			}
		}
	}
	return false
}

// DefaultSites returns the specimen descriptions the analyser drivers
// recognise out of the box: HL7 table 0487 specimen types (BLDA arterial
// blood, BLDV venous blood, BLDMV mixed venous blood; BLD whole blood says
// nothing about the site) and the plain words analysers print. Default is
// "": a result whose site is not said is dropped, never guessed.
func DefaultSites() Sites {
	s := Sites{
		Arterial:    []string{"arterial", "art", "a", "BLDA", "arterial blood", "ABG"},
		Venous:      []string{"venous", "ven", "v", "BLDV", "venous blood", "mixed venous", "mixed venous blood", "mix", "BLDMV", "central venous", "VBG"},
		Unspecified: []string{"BLD", "blood", "whole blood", "WB"},
	}
	if err := s.Init("sites"); err != nil {
		panic(err) // the defaults are valid
	}
	return s
}

// Test maps one analyser test code to a channel: either a panel analyte,
// whose channel (abg.* or vbg.*) follows the sample's site, or a fixed
// channel.
type Test struct {
	// Code is the analyser's test code (ASTM) or the observation
	// identifier (HL7, e.g. a LOINC code).
	Code string `toml:"code"`
	// Analyte is one of Names; the channel follows the site.
	Analyte string `toml:"analyte"`
	// Site fixes the site for a code that implies it (LOINC 2746-6 is
	// venous pH): "arterial", "venous" or "" (from the specimen).
	Site string `toml:"site"`
	// Channel is a fixed channel instead of Analyte, e.g. "act.seconds".
	Channel string `toml:"channel"`
	// Unit is the unit of the result when the message gives none; ""
	// means the channel's own.
	Unit string `toml:"unit"`
}

// Entry is a validated Test.
type Entry struct {
	Code    string
	Analyte string // "" for a fixed channel
	site    Site
	fixed   channel.ID
	unit    string
}

// Channel returns the entry's channel for a sample whose specimen gave
// site (and ok, from Sites.Classify): the fixed channel, or the analyte's
// channel for the entry's own site or else the specimen's. ok is false when
// no site is known.
func (e *Entry) Channel(site Site, siteKnown bool) (channel.ID, bool) {
	if e.fixed != channel.Invalid {
		return e.fixed, true
	}
	if e.site != Unknown {
		return Channel(e.Analyte, e.site)
	}
	if !siteKnown {
		return channel.Invalid, false
	}
	return Channel(e.Analyte, site)
}

// Site returns the site the entry fixes, Unknown if it follows the
// specimen.
func (e *Entry) Site() Site { return e.site }

// Convert returns the conversion of a result in unit (the entry's default
// unit when empty) into the unit of id.
func (e *Entry) Convert(id channel.ID, unit []byte) (Conversion, bool) {
	if len(bytes.TrimSpace(unit)) == 0 {
		return ConvertString(id, e.unit)
	}
	return Convert(id, unit)
}

// Unit is the unit assumed when a result gives none.
func (e *Entry) Unit() string { return e.unit }

// Table looks test codes up.
type Table struct {
	entries []Entry
	byCode  map[string]int
}

// NewTable validates tests and builds their table. Errors name the entry as
// what[i].field.
func NewTable(tests []Test, what string) (*Table, error) {
	t := &Table{byCode: make(map[string]int, len(tests))}
	for i, tc := range tests {
		at := func(field string) string { return fmt.Sprintf("%s[%d].%s", what, i, field) }
		e := Entry{Code: tc.Code, Analyte: tc.Analyte, unit: tc.Unit}
		if strings.TrimSpace(tc.Code) == "" {
			return nil, fmt.Errorf("%s is empty", at("code"))
		}
		if _, dup := t.byCode[tc.Code]; dup {
			return nil, fmt.Errorf("%s = %q is repeated", at("code"), tc.Code)
		}
		var err error
		if e.site, err = ParseSite(tc.Site); err != nil {
			return nil, fmt.Errorf("%s: %w", at("site"), err)
		}
		var targets []channel.ID
		switch {
		case tc.Analyte != "" && tc.Channel != "":
			return nil, fmt.Errorf("%s: give analyte or channel, not both", at("channel"))
		case tc.Analyte != "":
			a, okA := Channel(tc.Analyte, Arterial)
			v, _ := Channel(tc.Analyte, Venous)
			if !okA {
				return nil, fmt.Errorf("%s = %q is not one of %s", at("analyte"), tc.Analyte, strings.Join(Names[:], ", "))
			}
			switch e.site {
			case Arterial:
				targets = []channel.ID{a}
			case Venous:
				targets = []channel.ID{v}
			default:
				targets = []channel.ID{a, v}
			}
		case tc.Channel != "":
			id, ok := channel.Lookup(tc.Channel)
			if !ok || channel.Get(id).Derived() {
				return nil, fmt.Errorf("%s = %q is not a measured channel of the vocabulary", at("channel"), tc.Channel)
			}
			if e.site != Unknown {
				return nil, fmt.Errorf("%s: a fixed channel takes no site", at("site"))
			}
			e.fixed = id
			targets = []channel.ID{id}
		default:
			return nil, fmt.Errorf("%s: give analyte or channel", at("analyte"))
		}
		for _, id := range targets {
			if _, ok := ConvertString(id, tc.Unit); !ok {
				return nil, fmt.Errorf("%s = %q cannot be converted to %s (%s)", at("unit"), tc.Unit, id, channel.Get(id).Unit)
			}
		}
		t.byCode[tc.Code] = len(t.entries)
		t.entries = append(t.entries, e)
	}
	return t, nil
}

// Lookup returns the entry for code, without allocating.
func (t *Table) Lookup(code []byte) (*Entry, bool) {
	i, ok := t.byCode[string(code)]
	if !ok {
		return nil, false
	}
	return &t.entries[i], true
}

// Entries returns the entries in config order.
func (t *Table) Entries() []Entry { return t.entries }

// Channels returns every channel the table can emit, in config order.
func (t *Table) Channels() []channel.ID {
	var out []channel.ID
	add := func(id channel.ID) {
		for _, o := range out {
			if o == id {
				return
			}
		}
		out = append(out, id)
	}
	for i := range t.entries {
		e := &t.entries[i]
		switch {
		case e.fixed != channel.Invalid:
			add(e.fixed)
		case e.site != Unknown:
			id, _ := Channel(e.Analyte, e.site)
			add(id)
		default:
			a, _ := Channel(e.Analyte, Arterial)
			v, _ := Channel(e.Analyte, Venous)
			add(a)
			add(v)
		}
	}
	return out
}

// For returns the entry an encoder uses to write channel id: an entry whose
// own site gives id if there is one (so that the site travels in the code),
// else one that follows the specimen, with needSite true.
func (t *Table) For(id channel.ID) (e *Entry, needSite bool, ok bool) {
	var follow *Entry
	for i := range t.entries {
		c := &t.entries[i]
		switch {
		case c.fixed == id && id != channel.Invalid:
			return c, false, true
		case c.fixed != channel.Invalid:
		case c.site != Unknown:
			if got, _ := Channel(c.Analyte, c.site); got == id {
				return c, false, true
			}
		case follow == nil:
			a, _ := Channel(c.Analyte, Arterial)
			v, _ := Channel(c.Analyte, Venous)
			if a == id || v == id {
				follow = c
			}
		}
	}
	return follow, follow != nil, follow != nil
}

// SiteOf returns the site of a panel channel (abg.* arterial, vbg.*
// venous), Unknown for others.
func SiteOf(id channel.ID) Site {
	switch channel.Get(id).Group() {
	case "abg":
		return Arterial
	case "vbg":
		return Venous
	}
	return Unknown
}

// Errors of ParseValue.
var ErrValue = errors.New("not a number, a range flag with a number, or a no-value form")

// ParseValue reads a result value: a decimal number ("7.40", "-2.1",
// "1.2E+2"), or one prefixed with '<' or '>' (outside the analyser's
// measuring range: the quality is out_of_range), or a no-value form (empty,
// dashes, asterisks: unavailable). ok is false for anything else, including
// "NaN" and "Inf". It does not allocate.
func ParseValue(b []byte) (v float64, q channel.Quality, ok bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, channel.Unavailable, true
	}
	if allOf(b, '-') || allOf(b, '*') {
		return 0, channel.Unavailable, true
	}
	q = channel.OK
	if b[0] == '<' || b[0] == '>' {
		q = channel.OutOfRange
		b = bytes.TrimSpace(b[1:])
		if len(b) > 0 && b[0] == '=' {
			b = b[1:] // "<=" and ">=": still at the limit
		}
	}
	v, ok = Number(b)
	return v, q, ok
}

// Number reads a decimal number with an optional exponent, without
// allocating for numbers of up to 32 bytes. Special forms (NaN, Inf, hex)
// are refused.
func Number(b []byte) (float64, bool) {
	if v, ok := framing.ParseDecimal(b); ok {
		return v, true
	}
	if len(b) == 0 || len(b) > 32 {
		return 0, false
	}
	digits := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	var buf [32]byte
	v, err := strconv.ParseFloat(string(append(buf[:0], b...)), 64)
	return v, err == nil
}

func allOf(b []byte, c byte) bool {
	for _, x := range b {
		if x != c {
			return false
		}
	}
	return true
}

// WithDefaults returns tests followed by the defaults whose codes tests do
// not use: a site's own codes win over the built-in ones.
func WithDefaults(tests, defaults []Test) []Test {
	out := append([]Test(nil), tests...)
	for _, def := range defaults {
		used := false
		for _, t := range tests {
			used = used || t.Code == def.Code
		}
		if !used {
			out = append(out, def)
		}
	}
	return out
}

// Specs lists the table's channels for a driver's Describe, each with the
// codes that feed it.
func (t *Table) Specs() []devices.ChannelSpec {
	var out []devices.ChannelSpec
	for _, id := range t.Channels() {
		var codes []string
		for i := range t.entries {
			if ch, ok := t.entries[i].Channel(SiteOf(id), true); ok && ch == id {
				codes = append(codes, t.entries[i].Code)
			}
		}
		note := "one value per analysis"
		if SiteOf(id) != Unknown {
			note += "; arterial or venous from the code or the specimen"
		}
		out = append(out, devices.ChannelSpec{ID: id, Field: strings.Join(codes, ", "), Note: note})
	}
	return out
}

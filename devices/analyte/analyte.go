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

// Names are the blood-gas panel's analytes: the field names of the abg.*,
// vbg.*, cvbg.* and bg.* channels.
var Names = [...]string{"ph", "pco2", "po2", "so2", "hb", "hct", "k", "na", "ica", "glucose", "lactate", "be", "hco3"}

// Channel returns the channel of analyte name for a sample from site:
// abg.<name>, vbg.<name>, cvbg.<name>, or bg.<name> when the site is
// Unknown. ok is false for a name not in Names.
func Channel(name string, site Site) (id channel.ID, ok bool) {
	for _, n := range Names {
		if n == name {
			return channel.Lookup(site.Group() + "." + name)
		}
	}
	return channel.Invalid, false
}

// PanelSite returns the site of a blood-gas panel channel (abg.* arterial,
// vbg.* venous, cvbg.* central venous, bg.* Unknown); ok is false for any
// other channel.
func PanelSite(id channel.ID) (site Site, ok bool) {
	g := channel.Get(id).Group()
	for s, name := range siteGroups {
		if g == name {
			return Site(s), true
		}
	}
	return Unknown, false
}

// Test maps one analyser test code to a channel: either a panel analyte,
// whose channel (abg.*, vbg.*, cvbg.* or bg.*) follows the sample's site,
// or a fixed channel.
type Test struct {
	// Code is the analyser's test code (ASTM) or the observation
	// identifier (HL7, e.g. a LOINC code).
	Code string `toml:"code"`
	// Analyte is one of Names; the channel follows the site.
	Analyte string `toml:"analyte"`
	// Site fixes the site for a code that names it (LOINC 2746-6 is pH of
	// venous blood): "arterial", "venous", "central_venous" or "" (from
	// the specimen).
	Site string `toml:"site"`
	// Channel is a fixed channel instead of Analyte, e.g. "act.seconds".
	Channel string `toml:"channel"`
	// Unit is the unit of the result when the message gives none; ""
	// means none is assumed, except for pH: a result without a unit is
	// refused rather than read in the wrong one (13.3 kPa is not 13.3
	// mmHg, 0.97 is not 0.97 %).
	Unit string `toml:"unit"`
}

// Entry is a validated Test.
type Entry struct {
	Code    string
	Analyte string // "" for a fixed channel
	site    Site
	fixed   channel.ID
	unit    string
	ids     [len(siteGroups)]channel.ID // the analyte's channel per site
}

// Channel returns the entry's channel for a result of an order whose site
// is site: the fixed channel, or the analyte's channel for the result's
// site (ResultSite).
func (e *Entry) Channel(site Site) channel.ID {
	if e.fixed != channel.Invalid {
		return e.fixed
	}
	s, _ := ResultSite(e.site, &Inference{Site: site})
	return e.ids[s]
}

// Fixed reports whether the entry maps to a fixed channel rather than a
// panel analyte.
func (e *Entry) Fixed() bool { return e.fixed != channel.Invalid }

// Site returns the site the entry's code names, Unknown if it follows the
// specimen.
func (e *Entry) Site() Site { return e.site }

// Convert returns the conversion of a result in unit into the unit of id.
// A result without a unit is in the entry's unit when the config gives
// one, and is dimensionless only for pH; otherwise ok is false: the unit
// is not guessed.
func (e *Entry) Convert(id channel.ID, unit []byte) (Conversion, bool) {
	if len(bytes.TrimSpace(unit)) == 0 {
		switch {
		case e.unit != "":
			return ConvertString(id, e.unit)
		case channel.Get(id).Unit == channel.PH:
			return Identity, true
		}
		return Conversion{}, false
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
			a, ok := Channel(tc.Analyte, Arterial)
			if !ok {
				return nil, fmt.Errorf("%s = %q is not one of %s", at("analyte"), tc.Analyte, strings.Join(Names[:], ", "))
			}
			targets = []channel.ID{a} // the unit is the same in every group
			for site := range e.ids {
				e.ids[site], _ = Channel(tc.Analyte, Site(site))
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
				return nil, fmt.Errorf("%s = %q cannot be converted to %s (%s)", at("unit"), tc.Unit, channel.Get(id).Name, channel.Get(id).Unit)
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

// sites returns the sites an entry's results can have: its own (and
// central venous for a venous code, which a central venous specimen
// refines), or any for a code that follows the specimen.
func (e *Entry) sites() []Site {
	switch e.site {
	case Unknown:
		return []Site{Arterial, Venous, CentralVenous, Unknown}
	case Venous:
		return []Site{Venous, CentralVenous}
	}
	return []Site{e.site}
}

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
		if e.fixed != channel.Invalid {
			add(e.fixed)
			continue
		}
		for _, s := range e.sites() {
			id, _ := Channel(e.Analyte, s)
			add(id)
		}
	}
	return out
}

// For returns the entry an encoder uses to write channel id: an entry whose
// own site gives id if there is one (so that the site travels in the code),
// else one that follows the specimen, with state true: the encoder must
// state the site of id (PanelSite) in the specimen, or, for bg.*, state
// none.
func (t *Table) For(id channel.ID) (e *Entry, state bool, ok bool) {
	site, panel := PanelSite(id)
	var follow *Entry
	for i := range t.entries {
		c := &t.entries[i]
		switch {
		case c.fixed == id && id != channel.Invalid:
			return c, false, true
		case c.fixed != channel.Invalid || !panel:
		case c.site != Unknown:
			if got, _ := Channel(c.Analyte, c.site); got == id {
				return c, false, true
			}
		case follow == nil:
			if got, _ := Channel(c.Analyte, site); got == id {
				follow = c
			}
		}
	}
	return follow, follow != nil, follow != nil
}

// Errors of ParseValue.
var ErrValue = errors.New("not a number, a range flag with a number, or a no-value form")

// ParseValue reads a result value: a decimal number ("7.40", "-2.1",
// "1.2E+2"); one prefixed with '<' or '>' (outside the analyser's
// measuring range: the quality is out_of_range); one prefixed with '?'
// (Radiometer's mark of a value the analyser doubts, e.g. after a
// calibration drift: questionable); or a no-value form (empty, dashes,
// asterisks, dots: unavailable). ok is false for anything else, including
// "NaN" and "Inf". It does not allocate.
func ParseValue(b []byte) (v float64, q channel.Quality, ok bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, channel.Unavailable, true
	}
	if allOf(b, '-') || allOf(b, '*') || allOf(b, '.') {
		return 0, channel.Unavailable, true
	}
	q = channel.OK
	switch b[0] {
	case '<', '>':
		q = channel.OutOfRange
		b = bytes.TrimSpace(b[1:])
		if len(b) > 0 && b[0] == '=' {
			b = b[1:] // "<=" and ">=": still at the limit
		}
	case '?':
		q = channel.Questionable
		b = b[1:]
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
		site, panel := PanelSite(id)
		for i := range t.entries {
			e := &t.entries[i]
			switch {
			case e.fixed == id && id != channel.Invalid:
				codes = append(codes, e.Code)
			case panel && e.fixed == channel.Invalid:
				for _, s := range e.sites() {
					if s == site {
						if got, _ := Channel(e.Analyte, s); got == id {
							codes = append(codes, e.Code)
						}
					}
				}
			}
		}
		note := "one value per analysis"
		switch {
		case panel && site == Unknown:
			note += "; specimen not stated: for the perfusionist to assign"
		case panel:
			note += "; the site from the code, the specimen, the panel or the sibling results"
		}
		out = append(out, devices.ChannelSpec{ID: id, Field: strings.Join(codes, ", "), Note: note})
	}
	return out
}

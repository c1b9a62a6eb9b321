package analyte

import (
	"bytes"
	"fmt"
	"strings"
)

// Site is where a blood sample was drawn, as far as a message tells.
type Site uint8

// The sites.
const (
	// Unknown: not stated, or neither arterial nor venous (capillary,
	// cord). Its results go to bg.*, for the perfusionist to assign.
	Unknown Site = iota
	// Arterial: abg.*.
	Arterial
	// Venous: vbg.*, the venous sample of bypass (mixed venous, drawn
	// from the circuit's venous line), and any venous sample not said to
	// be central.
	Venous
	// CentralVenous: cvbg.*, a sample from a central venous catheter.
	CentralVenous
)

// Sites lists the sites in the order of their groups.
var siteGroups = [...]string{Unknown: "bg", Arterial: "abg", Venous: "vbg", CentralVenous: "cvbg"}

// Group is the channel group of the site's results: bg, abg, vbg or cvbg.
func (s Site) Group() string {
	if int(s) < len(siteGroups) {
		return siteGroups[s]
	}
	return "bg"
}

func (s Site) String() string {
	switch s {
	case Arterial:
		return "arterial"
	case Venous:
		return "venous"
	case CentralVenous:
		return "central venous"
	}
	return "not stated"
}

// ParseSite reads a site as configs write it: "arterial", "venous",
// "central_venous" or "" (Unknown).
func ParseSite(s string) (Site, error) {
	switch s {
	case "arterial":
		return Arterial, nil
	case "venous":
		return Venous, nil
	case "central_venous":
		return CentralVenous, nil
	case "":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("%q is not arterial, venous or central_venous", s)
}

// Sites tells the site of a sample from its specimen description (ASTM's
// O.16 specimen descriptor, HL7's SPM-4 specimen type or OBR-15 specimen
// source) and holds a site's decisions for what no message says. Matching
// ignores ASCII case and surrounding spaces. A description in none of the
// lists is not guessed: its results go to bg.*.
type Sites struct {
	// Arterial, Venous and CentralVenous list the descriptions of each
	// site. Venous samples, mixed venous ones included, go to vbg.*;
	// only a description in CentralVenous sends them to cvbg.*.
	Arterial      []string `toml:"arterial"`
	Venous        []string `toml:"venous"`
	CentralVenous []string `toml:"central_venous"`
	// Unspecified lists descriptions that say nothing about the site
	// ("BLD", whole blood; Radiometer's "Not specified"): the inference
	// goes on to the panel code and the sibling results.
	Unspecified []string `toml:"unspecified"`
	// Default is the site when nothing in a message decides it:
	// "arterial", "venous", "central_venous", or "" (results on bg.*).
	Default string `toml:"default"`
	// Override, when set, is the site of every sample of this analyser,
	// whatever its messages say (a code that names its own site still
	// keeps it): for an analyser that only ever measures one kind of
	// sample and labels it wrongly.
	Override string `toml:"override"`

	def, override Site
}

// Init validates s; what names it in errors.
func (s *Sites) Init(what string) error {
	var err error
	if s.def, err = ParseSite(s.Default); err != nil {
		return fmt.Errorf("%s.default: %w", what, err)
	}
	if s.override, err = ParseSite(s.Override); err != nil {
		return fmt.Errorf("%s.override: %w", what, err)
	}
	seen := map[string]string{}
	for _, l := range []struct {
		name string
		list []string
	}{{"arterial", s.Arterial}, {"venous", s.Venous}, {"central_venous", s.CentralVenous}, {"unspecified", s.Unspecified}} {
		for i, d := range l.list {
			k := strings.ToLower(strings.TrimSpace(d))
			if k == "" {
				return fmt.Errorf("%s.%s[%d] is empty: an empty description always says nothing", what, l.name, i)
			}
			if prev, dup := seen[k]; dup {
				return fmt.Errorf("%s.%s[%d] = %q is already in %s", what, l.name, i, d, prev)
			}
			seen[k] = l.name
		}
	}
	return nil
}

// Class is what a specimen description says.
type Class uint8

// The classes of Sites.Classify.
const (
	// Empty: no description.
	Empty Class = iota
	// Named: the description names a site.
	Named
	// Unspecified: the description says nothing about the site.
	Unspecified
	// Unrecognised: the description is in no list (capillary, cord, a
	// word the site has not configured): not guessed.
	Unrecognised
)

// Classify returns what a specimen description says. It does not
// allocate.
func (s *Sites) Classify(desc []byte) (Site, Class) {
	desc = bytes.TrimSpace(desc)
	switch {
	case len(desc) == 0:
		return Unknown, Empty
	case match(desc, s.Arterial):
		return Arterial, Named
	case match(desc, s.Venous):
		return Venous, Named
	case match(desc, s.CentralVenous):
		return CentralVenous, Named
	case match(desc, s.Unspecified):
		return Unknown, Unspecified
	}
	return Unknown, Unrecognised
}

func match(desc []byte, list []string) bool {
	for _, d := range list {
		d = strings.TrimSpace(d)
		if len(d) == len(desc) && bytes.EqualFold(desc, []byte(d)) {
			return true
		}
	}
	return false
}

// Part is one part of a specimen description and the field it came from,
// e.g. {"SPM-4", "BLDA"}.
type Part struct {
	Field string
	Text  []byte
}

// Specimen reads the parts of a message's specimen fields in their order
// of precedence (ASTM O.16 type then source; HL7 SPM-4 code and text, then
// OBR-15): the first part that names a site decides; when none does, a
// part in no list makes the specimen unrecognised (its results go to bg.*,
// not guessed), and parts that are empty or unspecified leave the site to
// the next steps. It returns the deciding part. It does not allocate.
func (s *Sites) Specimen(parts []Part) (Site, Class, Part) {
	class, at := Empty, Part{}
	for _, p := range parts {
		switch site, c := s.Classify(p.Text); c {
		case Named:
			return site, Named, p
		case Unrecognised:
			if class != Unrecognised {
				class, at = Unrecognised, p
			}
		case Unspecified:
			if class == Empty {
				class, at = Unspecified, p
			}
		}
	}
	return Unknown, class, at
}

// DefaultSites returns the specimen descriptions the analyser drivers
// recognise out of the box:
//   - HL7 table 0487 (specimen type, v2.5 and later) and table 0070
//     (specimen source, earlier versions): BLDA arterial blood, BLDV
//     venous blood, BLD whole blood (says nothing), ABLD (arterial
//     blood, v2.2). The tables have no code for mixed or central venous
//     blood; BLDMV, LOINC's abbreviation for mixed venous blood, is
//     recognised as senders may copy it.
//   - SNOMED CT specimen concepts: 122552005 arterial blood specimen,
//     122555007 venous blood specimen, 119297000 blood specimen and
//     258580003 whole blood specimen (say nothing).
//   - The words analysers print, Radiometer's "Not specified" among
//     those that say nothing.
//
// Capillary and cord blood are in no list: their results go to bg.*.
// Default and Override are empty: nothing is guessed.
func DefaultSites() Sites {
	s := Sites{
		Arterial:      []string{"arterial", "art", "a", "BLDA", "ABLD", "arterial blood", "blood arterial", "ABG", "122552005"},
		Venous:        []string{"venous", "ven", "v", "BLDV", "venous blood", "blood venous", "VBG", "122555007", "mixed venous", "mixed venous blood", "mixed", "mix", "MV", "BLDMV"},
		CentralVenous: []string{"central venous", "central venous blood", "blood central venous", "CVBG"},
		Unspecified:   []string{"BLD", "blood", "whole blood", "WB", "not specified", "unspecified", "119297000", "258580003"},
	}
	if err := s.Init("sites"); err != nil {
		panic(err) // the defaults are valid
	}
	return s
}

// Panel maps an order's code (HL7 OBR-4 universal service identifier,
// ASTM O.5 universal test ID) to the site it names.
type Panel struct {
	Code string `toml:"code"`
	// Site is "arterial", "venous", "central_venous", or "" for a panel
	// that names none (LOINC 24338-6, "Gas panel - Blood").
	Site string `toml:"site"`
}

// Panels looks panel codes up.
type Panels struct {
	byCode map[string]Site
}

// NewPanels validates panels (what[i] in errors) and builds their table.
func NewPanels(panels []Panel, what string) (*Panels, error) {
	p := &Panels{byCode: make(map[string]Site, len(panels))}
	for i, pc := range panels {
		if strings.TrimSpace(pc.Code) == "" {
			return nil, fmt.Errorf("%s[%d].code is empty", what, i)
		}
		if _, dup := p.byCode[pc.Code]; dup {
			return nil, fmt.Errorf("%s[%d].code = %q is repeated", what, i, pc.Code)
		}
		site, err := ParseSite(pc.Site)
		if err != nil {
			return nil, fmt.Errorf("%s[%d].site: %w", what, i, err)
		}
		p.byCode[pc.Code] = site
	}
	return p, nil
}

// Site returns the site panel code names; ok is false for a code not in
// the table. It does not allocate.
func (p *Panels) Site(code []byte) (site Site, ok bool) {
	site, ok = p.byCode[string(code)]
	return site, ok
}

// WithDefaultPanels returns panels followed by the defaults whose codes
// panels do not use.
func WithDefaultPanels(panels, defaults []Panel) []Panel {
	out := append([]Panel(nil), panels...)
	for _, def := range defaults {
		used := false
		for _, p := range panels {
			used = used || p.Code == def.Code
		}
		if !used {
			out = append(out, def)
		}
	}
	return out
}

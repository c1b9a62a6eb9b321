package analyte

// Step names how the site of an order's results was found.
type Step uint8

// The steps of Sites.Infer, in the order they are tried.
const (
	// NotStated: nothing decided; the results go to bg.*.
	NotStated Step = iota
	// FromOverride: the site's config (sites.override).
	FromOverride
	// FromSpecimen: the specimen field (ASTM O.16; HL7 SPM-4, OBR-15).
	FromSpecimen
	// FromPanel: the order's code (HL7 OBR-4, ASTM O.5).
	FromPanel
	// FromSibling: results of the same order whose codes name their
	// specimen (LOINC 2703-7, pO2 in arterial blood) all name this one.
	FromSibling
	// FromDefault: the site's config (sites.default).
	FromDefault
	// Unrecognised: the specimen field holds a description in no list;
	// the results go to bg.*.
	NotRecognised
	// Disagree: sibling codes name different specimens; the results go
	// to bg.*.
	Disagree
)

// Evidence is what one order tells about its specimen, gathered by a
// driver. Its byte slices are the driver's, valid during the message.
type Evidence struct {
	// Specimen holds the parts of the specimen fields, in precedence
	// order.
	Specimen []Part
	// Panels are the order's codes and their fields (OBR-4 identifier
	// and alternate identifier; O.5), looked up in the driver's Panels.
	Panels []Part
	// Siblings are the table entries of the order's mapped results.
	Siblings []*Entry
}

// Inference is the site of an order's results that follow the specimen,
// and how it was found.
type Inference struct {
	Site  Site
	Step  Step
	Field string // the field that decided, e.g. "SPM-4"
	Code  []byte // the description or code that decided
	// Said is an unspecified description met on the way ("Not
	// specified"), kept for the note.
	Said Part
	// Sibling is, for FromSibling and Disagree, the first sibling that
	// names a site; Other, for Disagree, one that names another.
	Sibling, Other *Entry
}

// Infer finds the site of an order's results in this order: the site's
// override; the specimen field; the order's code (panels); the sibling
// results whose codes name their specimen (all must agree); the site's
// default. When nothing decides, the site is Unknown (bg.*): never guessed.
// It does not allocate.
func (s *Sites) Infer(ev *Evidence, panels *Panels) Inference {
	if s.override != Unknown {
		return Inference{Site: s.override, Step: FromOverride, Field: "sites.override"}
	}
	var said Part
	switch site, class, p := s.Specimen(ev.Specimen); class {
	case Named:
		return Inference{Site: site, Step: FromSpecimen, Field: p.Field, Code: p.Text}
	case Unrecognised:
		return Inference{Step: NotRecognised, Field: p.Field, Code: p.Text}
	case Unspecified:
		said = p
	}
	if panels != nil {
		for _, p := range ev.Panels {
			if site, ok := panels.Site(p.Text); ok && site != Unknown {
				return Inference{Site: site, Step: FromPanel, Field: p.Field, Code: p.Text, Said: said}
			}
		}
	}
	var first *Entry
	for _, e := range ev.Siblings {
		if e == nil || e.site == Unknown {
			continue
		}
		switch {
		case first == nil:
			first = e
		case e.site != first.site:
			return Inference{Step: Disagree, Field: "sibling", Sibling: first, Other: e, Said: said}
		}
	}
	if first != nil {
		return Inference{Site: first.site, Step: FromSibling, Field: "sibling", Sibling: first, Said: said}
	}
	if s.def != Unknown {
		return Inference{Site: s.def, Step: FromDefault, Field: "sites.default", Said: said}
	}
	return Inference{Step: NotStated, Said: said}
}

// ResultSite returns the site of a result whose code fixes fixed (Unknown
// when the code follows the specimen) in an order inferred as inf. A code
// that names its site keeps it, except that a venous code in a central
// venous order is central venous. conflict reports a code whose site
// contradicts what the order says.
func ResultSite(fixed Site, inf *Inference) (site Site, conflict bool) {
	switch {
	case fixed == Unknown:
		return inf.Site, false
	case fixed == Venous && inf.Site == CentralVenous:
		return CentralVenous, false
	}
	return fixed, inf.Site != Unknown && inf.Site != fixed
}

// AppendNote appends the sentence `pumpside decode` lists for inf, such as
// "specimen arterial, from SPM-4 BLDA" or "specimen not stated: results on
// bg.*". The same finding gives the same text; descriptions are cut to 32
// printable ASCII characters.
func (inf *Inference) AppendNote(dst []byte) []byte {
	switch inf.Step {
	case FromOverride, FromDefault:
		dst = append(dst, "specimen "...)
		dst = append(dst, inf.Site.String()...)
		return append(append(dst, ", from "...), inf.Field...)
	case FromSpecimen, FromPanel:
		dst = append(dst, "specimen "...)
		dst = append(dst, inf.Site.String()...)
		dst = append(append(dst, ", from "...), inf.Field...)
		return appendText(append(dst, ' '), inf.Code)
	case FromSibling:
		dst = append(dst, "specimen "...)
		dst = append(dst, inf.Site.String()...)
		dst = append(dst, ", from sibling "...)
		return appendString(dst, inf.Sibling.Code)
	case NotRecognised:
		dst = append(dst, "specimen \""...)
		dst = appendText(dst, inf.Code)
		dst = append(append(append(dst, "\" in "...), inf.Field...), " is not arterial or venous: results on bg.*"...)
		return dst
	case Disagree:
		dst = append(dst, "siblings disagree ("...)
		dst = appendString(dst, inf.Sibling.Code)
		dst = append(append(append(dst, ' '), inf.Sibling.site.String()...), ", "...)
		dst = appendString(dst, inf.Other.Code)
		dst = append(append(dst, ' '), inf.Other.site.String()...)
		return append(dst, "): results on bg.*"...)
	}
	dst = append(dst, "specimen not stated"...)
	if len(inf.Said.Text) > 0 {
		dst = append(append(append(dst, " ("...), inf.Said.Field...), ' ')
		dst = append(appendText(dst, inf.Said.Text), ')')
	}
	return append(dst, ": results on bg.*"...)
}

// appendString is appendText for a string.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if i == 32 {
			return append(dst, "..."...)
		}
		c := s[i]
		if c < ' ' || c > '~' {
			c = '?'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendText appends at most 32 bytes of b with anything but printable
// ASCII replaced by '?'.
func appendText(dst, b []byte) []byte {
	for i, c := range b {
		if i == 32 {
			return append(dst, "..."...)
		}
		if c < ' ' || c > '~' {
			c = '?'
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendConflictNote appends the note of a result whose code names a site
// that contradicts the order's (ResultSite reported a conflict), e.g.
// "2703-7 names arterial, the order venous: its result on abg.*".
func AppendConflictNote(dst []byte, e *Entry, inf *Inference) []byte {
	dst = appendString(dst, e.Code)
	dst = append(append(dst, " names "...), e.site.String()...)
	dst = append(append(dst, ", the order "...), inf.Site.String()...)
	return append(append(append(dst, ": its result on "...), e.site.Group()...), ".*"...)
}

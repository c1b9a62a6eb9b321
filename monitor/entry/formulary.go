package entry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// DoseUnits are the dose units a drug entry may use, as the case file
// stores them. NormalizeUnit maps the usual spellings (mcg, ug, units) to
// these.
var DoseUnits = []string{"IU", "mg", "g", "µg", "mmol", "mL", "%"}

// NormalizeUnit returns the case file's spelling of a dose unit and
// whether it is one of DoseUnits.
func NormalizeUnit(u string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "iu", "u", "unit", "units":
		return "IU", true
	case "mg":
		return "mg", true
	case "g":
		return "g", true
	case "µg", "μg", "mcg", "ug":
		return "µg", true
	case "mmol":
		return "mmol", true
	case "ml":
		return "mL", true
	case "%":
		return "%", true
	}
	return u, false
}

// DoseRange is the range a single dose in one unit must be in, inclusive.
type DoseRange struct {
	Unit string  `json:"unit"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// Drug is one formulary entry.
type Drug struct {
	Name    string      `json:"name"`
	Aliases []string    `json:"aliases,omitempty"`
	Doses   []DoseRange `json:"doses"`
}

// Formulary is the site's list of drugs with refusal ranges per dose
// unit. Read-only once built.
type Formulary struct {
	// Strict refuses drugs not in the list; otherwise an unknown drug
	// needs only a positive dose in one of DoseUnits.
	Strict bool   `json:"strict,omitempty"`
	Drugs  []Drug `json:"drugs"`
}

// Lookup finds a drug by name or alias, ignoring case and surrounding
// spaces.
func (f *Formulary) Lookup(name string) (*Drug, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i := range f.Drugs {
		d := &f.Drugs[i]
		if strings.ToLower(d.Name) == n {
			return d, true
		}
		for _, a := range d.Aliases {
			if strings.ToLower(a) == n {
				return d, true
			}
		}
	}
	return nil, false
}

// Range returns the drug's range in unit.
func (d *Drug) Range(unit string) (DoseRange, bool) {
	for _, r := range d.Doses {
		if r.Unit == unit {
			return r, true
		}
	}
	return DoseRange{}, false
}

// Units returns the units the drug may be given in.
func (d *Drug) Units() []string {
	out := make([]string, len(d.Doses))
	for i, r := range d.Doses {
		out[i] = r.Unit
	}
	return out
}

// ErrFormulary is wrapped by every error of ParseFormulary.
var ErrFormulary = errors.New("entry: formulary")

// ParseFormulary reads a formulary in JSON (the shape of Formulary, e.g.
// {"drugs":[{"name":"heparin","doses":[{"unit":"IU","min":1,"max":100000}]}]})
// and checks it: names present and unique, units among DoseUnits (usual
// spellings accepted), 0 ≤ min ≤ max, finite.
func ParseFormulary(r io.Reader) (*Formulary, error) {
	dec := json.NewDecoder(io.LimitReader(r, 4<<20))
	dec.DisallowUnknownFields()
	var f Formulary
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormulary, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the formulary object", ErrFormulary)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *Formulary) check() error {
	seen := map[string]bool{}
	for i := range f.Drugs {
		d := &f.Drugs[i]
		d.Name = strings.TrimSpace(d.Name)
		if d.Name == "" {
			return fmt.Errorf("%w: drug %d has no name", ErrFormulary, i+1)
		}
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			k := strings.ToLower(strings.TrimSpace(n))
			if k == "" || seen[k] {
				return fmt.Errorf("%w: drug name %q empty or listed twice", ErrFormulary, n)
			}
			seen[k] = true
		}
		if len(d.Doses) == 0 {
			return fmt.Errorf("%w: drug %q has no dose unit", ErrFormulary, d.Name)
		}
		for j := range d.Doses {
			r := &d.Doses[j]
			u, ok := NormalizeUnit(r.Unit)
			if !ok {
				return fmt.Errorf("%w: drug %q: unit %q (want one of %s)", ErrFormulary, d.Name, r.Unit, strings.Join(DoseUnits, ", "))
			}
			r.Unit = u
			if !(r.Min >= 0 && r.Min <= r.Max) || math.IsInf(r.Max, 0) {
				return fmt.Errorf("%w: drug %q: range %v–%v %s (want 0 ≤ min ≤ max, finite)", ErrFormulary, d.Name, r.Min, r.Max, u)
			}
		}
	}
	return nil
}

// Clone returns a deep copy, for a site to start from the default and
// change it.
func (f *Formulary) Clone() *Formulary {
	c := &Formulary{Strict: f.Strict, Drugs: make([]Drug, len(f.Drugs))}
	for i, d := range f.Drugs {
		c.Drugs[i] = Drug{Name: d.Name, Aliases: slices.Clone(d.Aliases), Doses: slices.Clone(d.Doses)}
	}
	return c
}

// WriteJSON writes the formulary in the format ParseFormulary reads.
func (f *Formulary) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// DefaultFormulary returns the built-in formulary: heparin, protamine and
// drugs commonly given on bypass, each with the range a single adult dose
// must be in to be believable. The bounds refuse what cannot be meant (a
// slipped decimal, the wrong unit); they are several times the usual doses
// and are not dosing advice. Usual doses, for comparison: heparin 300–400
// IU/kg before bypass (Wahba et al., 2019 EACTS/EACTA/EBCP guidelines on
// cardiopulmonary bypass in adult cardiac surgery, Eur J Cardiothorac Surg
// 2020;57:210–251), protamine about 1 mg per 100 IU of heparin (same
// guideline); other drugs: British National Formulary adult doses. A site
// replaces this with its own list (ParseFormulary).
func DefaultFormulary() *Formulary {
	r := func(unit string, min, max float64) DoseRange { return DoseRange{Unit: unit, Min: min, Max: max} }
	return &Formulary{Drugs: []Drug{
		// 400 IU/kg for 200 kg is 80,000 IU; prime heparin adds a few
		// thousand.
		{Name: "heparin", Aliases: []string{"unfractionated heparin", "ufh"}, Doses: []DoseRange{r("IU", 100, 100000)}},
		{Name: "protamine", Aliases: []string{"protamine sulfate", "protamine sulphate"}, Doses: []DoseRange{r("mg", 1, 1000)}},
		{Name: "tranexamic acid", Aliases: []string{"txa"}, Doses: []DoseRange{r("mg", 10, 10000), r("g", 0.01, 10)}},
		{Name: "phenylephrine", Doses: []DoseRange{r("µg", 10, 2000), r("mg", 0.01, 2)}},
		{Name: "metaraminol", Doses: []DoseRange{r("mg", 0.1, 20), r("µg", 100, 20000)}},
		{Name: "noradrenaline", Aliases: []string{"norepinephrine"}, Doses: []DoseRange{r("µg", 1, 500)}},
		{Name: "adrenaline", Aliases: []string{"epinephrine"}, Doses: []DoseRange{r("µg", 1, 1000), r("mg", 0.001, 1)}},
		{Name: "ephedrine", Doses: []DoseRange{r("mg", 1, 60)}},
		{Name: "vasopressin", Doses: []DoseRange{r("IU", 0.1, 40)}},
		{Name: "glyceryl trinitrate", Aliases: []string{"gtn", "nitroglycerin"}, Doses: []DoseRange{r("µg", 1, 2000)}},
		{Name: "sodium bicarbonate", Aliases: []string{"bicarbonate", "nahco3"}, Doses: []DoseRange{r("mmol", 1, 300), r("mL", 1, 300)}},
		{Name: "calcium chloride", Aliases: []string{"cacl2"}, Doses: []DoseRange{r("mg", 50, 3000), r("mmol", 0.5, 20)}},
		{Name: "calcium gluconate", Doses: []DoseRange{r("mg", 100, 6000), r("mmol", 0.5, 20)}},
		{Name: "magnesium sulfate", Aliases: []string{"magnesium sulphate", "magnesium"}, Doses: []DoseRange{r("mmol", 1, 40), r("g", 0.5, 10)}},
		{Name: "potassium chloride", Aliases: []string{"kcl", "potassium"}, Doses: []DoseRange{r("mmol", 1, 40)}},
		{Name: "mannitol", Doses: []DoseRange{r("g", 1, 100)}},
		{Name: "furosemide", Aliases: []string{"frusemide"}, Doses: []DoseRange{r("mg", 1, 250)}},
		{Name: "insulin", Doses: []DoseRange{r("IU", 0.5, 100)}},
		{Name: "methylprednisolone", Doses: []DoseRange{r("mg", 10, 2000), r("g", 0.01, 2)}},
		{Name: "dexamethasone", Doses: []DoseRange{r("mg", 1, 40)}},
		{Name: "cefazolin", Aliases: []string{"cefazolin sodium"}, Doses: []DoseRange{r("g", 0.5, 4), r("mg", 500, 4000)}},
		{Name: "propofol", Doses: []DoseRange{r("mg", 1, 500)}},
		{Name: "midazolam", Doses: []DoseRange{r("mg", 0.5, 20)}},
		{Name: "fentanyl", Doses: []DoseRange{r("µg", 1, 3000)}},
		{Name: "rocuronium", Doses: []DoseRange{r("mg", 1, 200)}},
		{Name: "isoflurane", Doses: []DoseRange{r("%", 0.1, 5)}},
		{Name: "sevoflurane", Doses: []DoseRange{r("%", 0.1, 8)}},
		{Name: "fibrinogen concentrate", Aliases: []string{"fibrinogen"}, Doses: []DoseRange{r("g", 0.5, 10)}},
		{Name: "prothrombin complex concentrate", Aliases: []string{"pcc"}, Doses: []DoseRange{r("IU", 250, 6000)}},
	}}
}

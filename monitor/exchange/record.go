package exchange

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/report"
)

// ErrNoPatientID is returned by Build for an identified record whose case
// file has no patient identifier to send.
var ErrNoPatientID = errors.New("exchange: identified sending, but the case has no patient identifier")

// ErrPrivacyMismatch is returned by Build when the summary was not built
// with the identity choice the record asks for.
var ErrPrivacyMismatch = errors.New("exchange: the summary's identification differs from the record's")

// ErrIdentifiedOff is returned by Identified when identified sending is
// asked for and the site's configuration does not enable it.
var ErrIdentifiedOff = errors.New("exchange: identified sending is off in the site configuration: refused (the site enables it with identified_sending = true)")

// Identified decides whether a record that leaves the machine carries the
// patient's identifiers: exactly when the site's configuration enables
// identified sending (off by default). Asking for it (--identify) where
// the site has not enabled it is refused, never quietly done.
func Identified(siteEnabled, asked bool) (bool, error) {
	if asked && !siteEnabled {
		return false, ErrIdentifiedOff
	}
	return siteEnabled, nil
}

// Options choose what a Record carries.
type Options struct {
	// Identified puts the patient's identifiers in the record. Set it
	// only when the site's configuration enables identified sending.
	Identified bool
	// PatientIDField is the ident_* key (without the prefix) of the
	// patient identifier sent when identified; default "hospital_number".
	PatientIDField string
}

// Patient is the patient as the record names them.
type Patient struct {
	// Identified: ID is the hospital's identifier and the names and
	// birth date may be set. Otherwise ID is the case's pseudonym and the
	// rest is empty.
	Identified bool
	ID         string
	// Family and Given are the names (ident_family_name and
	// ident_given_name, else ident_name: "Family, Given", or all of it as
	// the family name).
	Family, Given string
	// BirthDate is ident_birth_date (YYYY-MM-DD); zero when absent.
	BirthDate time.Time
	// Sex is the case's sex (female, male, or empty): not an identifier.
	Sex string
}

// Administration is a drug, fluid, cardioplegia dose or blood product
// given, as the event log has it after edits (voided entries left out).
type Administration struct {
	// ID is the entry's identity in the case file (its first time, ns).
	ID   int64
	Time time.Time
	// Kind is the event kind: drug, fluid, cardioplegia, blood_product.
	Kind string
	// Name is the drug, fluid, solution or product, redacted as the
	// summary's texts are.
	Name string
	// Dose is the amount given in Unit (the case file's spelling: IU, mg,
	// µg, mmol, mL, %, g); NaN when not recorded.
	Dose float64
	Unit string
	// Route is as recorded (iv, pump, antegrade, ...).
	Route string
}

// Record is one case as it leaves the machine.
type Record struct {
	Case    *report.Case
	Summary *report.CaseSummary
	// RecordID names the perfusion record: the summary's label (the keyed
	// pseudonym; the case tag when identified). Stable across versions.
	RecordID string
	Patient  Patient
	// PDF is the report (report.WritePDF): the same bytes for the same
	// case and settings.
	PDF     []byte
	Given   []Administration
	Quality []report.IndicatorResult
}

// Build gathers the record of case c from its summary s, built with priv.
func Build(c *report.Case, s *report.CaseSummary, priv report.Privacy, opt Options) (*Record, error) {
	if s.Identified != opt.Identified || priv.Identify != opt.Identified {
		return nil, ErrPrivacyMismatch
	}
	if opt.PatientIDField == "" {
		opt.PatientIDField = "hospital_number"
	}
	r := &Record{Case: c, Summary: s, RecordID: s.Label}
	p, err := patient(s, opt)
	if err != nil {
		return nil, err
	}
	r.Patient = p
	red := priv.Redactor(c)
	var pdf bytes.Buffer
	if err := report.WritePDF(&pdf, c, s); err != nil {
		return nil, fmt.Errorf("exchange: %w", err)
	}
	r.PDF = pdf.Bytes()
	r.Given = administrations(c, red)
	r.Quality = report.EvaluateQuality(c, s, nil)
	return r, nil
}

func patient(s *report.CaseSummary, opt Options) (Patient, error) {
	p := Patient{Sex: s.Sex}
	if !opt.Identified {
		p.ID = s.Label
		return p, nil
	}
	id := strings.TrimSpace(s.Identifiers[opt.PatientIDField])
	if id == "" {
		return p, fmt.Errorf("%w (ident_%s)", ErrNoPatientID, opt.PatientIDField)
	}
	p.Identified, p.ID = true, id
	p.Family = strings.TrimSpace(s.Identifiers["family_name"])
	p.Given = strings.TrimSpace(s.Identifiers["given_name"])
	if p.Family == "" && p.Given == "" {
		name := strings.TrimSpace(s.Identifiers["name"])
		if f, g, ok := strings.Cut(name, ","); ok {
			p.Family, p.Given = strings.TrimSpace(f), strings.TrimSpace(g)
		} else {
			p.Family = name
		}
	}
	if d := strings.TrimSpace(s.Identifiers["birth_date"]); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return p, fmt.Errorf("exchange: ident_birth_date %q is not YYYY-MM-DD", d)
		}
		p.BirthDate = t
	}
	return p, nil
}

// administrations lists what was given: drugs, fluids, cardioplegia and
// blood products, in time order.
func administrations(c *report.Case, red func(string) string) []Administration {
	var out []Administration
	for _, e := range c.Events {
		a := Administration{ID: e.ID, Time: time.Unix(0, e.T).UTC(), Kind: e.Kind, Dose: math.NaN(), Route: red(e.Str["route"])}
		switch e.Kind {
		case "drug":
			a.Name = e.Str["name"]
			if v, ok := e.Num["dose"]; ok {
				a.Dose, a.Unit = v, e.Str["unit"]
			}
		case "fluid":
			a.Name = e.Str["name"]
			if a.Name == "" {
				a.Name = e.Str["fluid_kind"]
			}
		case "cardioplegia":
			a.Name = e.Str["solution"]
			if a.Name == "" {
				a.Name = "cardioplegia"
			}
		case "blood_product":
			a.Name = e.Str["product"]
		default:
			continue
		}
		if e.Kind != "drug" {
			if v, ok := e.Num["volume_ml"]; ok {
				a.Dose, a.Unit = v, "mL"
			}
		}
		if strings.TrimSpace(a.Name) == "" {
			a.Name = e.Kind + " (not named)"
		}
		a.Name = red(a.Name)
		out = append(out, a)
	}
	return out
}

package exchange

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/report"
)

const secret = "site-secret-for-tests-only"

func load(t *testing.T, s string) *report.Case {
	t.Helper()
	c, err := report.Load(strings.NewReader(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func build(t *testing.T, text string, identified bool) (*Record, error) {
	t.Helper()
	c := load(t, text)
	priv := report.Privacy{Identify: identified, Secret: []byte(secret)}
	s, err := report.Summarize(c, report.DefaultSettings(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return Build(c, s, priv, Options{Identified: identified})
}

func knownCase(t *testing.T) string {
	b, err := os.ReadFile("../../testdata/cases/report-summary.case")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPatient(t *testing.T) {
	r, err := build(t, knownCase(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Patient.Identified || !strings.HasPrefix(r.Patient.ID, "P-") || r.Patient.Family != "" || r.Patient.Sex != "male" || r.RecordID != r.Patient.ID {
		t.Errorf("pseudonymous patient %+v", r.Patient)
	}
	r, err = build(t, knownCase(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Patient.Identified || r.Patient.ID != "H1234567" || r.Patient.Family != "Jane Doe" || r.Patient.Given != "" {
		t.Errorf("identified patient %+v", r.Patient)
	}
	// Family and given names, a birth date.
	withNames := strings.Replace(knownCase(t), `ident_name="Jane Doe"`, `ident_name="Doe, Jane",ident_birth_date="1961-04-02"`, 1)
	r, err = build(t, withNames, true)
	if err != nil || r.Patient.Family != "Doe" || r.Patient.Given != "Jane" || !r.Patient.BirthDate.Equal(time.Date(1961, 4, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("names %+v %v", r.Patient, err)
	}
	bad := strings.Replace(knownCase(t), `ident_name="Jane Doe"`, `ident_birth_date="02/04/1961"`, 1)
	if _, err := build(t, bad, true); err == nil {
		t.Error("a birth date not YYYY-MM-DD was accepted")
	}
	noID := strings.Replace(knownCase(t), `,ident_hospital_number="H1234567"`, "", 1)
	if _, err := build(t, noID, true); !errors.Is(err, ErrNoPatientID) {
		t.Errorf("no hospital number: %v", err)
	}
}

// TestGiven: what was given, as the log stands after its edits, names
// redacted like the summary's texts.
func TestGiven(t *testing.T) {
	text := knownCase(t) + `event,case=C-2026-0301-R,kind=drug text="x",name="Jane Doe's own insulin",dose=2,unit="IU" 1772355100000000000
event,case=C-2026-0301-R,kind=edit text="void",target="1772353010000000000",void="true",who="ab" 1772355200000000000
`
	r, err := build(t, text, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range r.Given {
		names = append(names, a.Kind+":"+a.Name)
		if a.Kind == "drug" && a.Name == "heparin" && (a.Dose != 24000 && a.Dose != 5000 || a.Unit != "IU") {
			t.Errorf("heparin %+v", a)
		}
	}
	got := strings.Join(names, ",")
	want := "drug:heparin,fluid:Plasma-Lyte,cardioplegia:del Nido,fluid:Hartmann,drug:Heparin,blood_product:RBC,drug:[redacted]'s own insulin"
	if got != want {
		t.Errorf("given\n got %s\nwant %s", got, want)
	}
	for _, a := range r.Given {
		if a.Kind == "cardioplegia" && (a.Dose != 1000 || a.Unit != "mL" || a.Route != "antegrade") {
			t.Errorf("cardioplegia %+v", a)
		}
		if a.Kind == "blood_product" && a.Dose != 300 {
			t.Errorf("blood %+v", a)
		}
	}
}

func TestIdentified(t *testing.T) {
	for _, tc := range []struct {
		site, asked, want bool
		err               bool
	}{{false, false, false, false}, {false, true, false, true}, {true, false, true, false}, {true, true, true, false}} {
		got, err := Identified(tc.site, tc.asked)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%+v: %v %v", tc, got, err)
		}
	}
}

package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
)

// Edits appended to a recorded case by the case file writer change the
// summary: the on-bypass moved a minute later shortens bypass by a
// minute, a voided heparin dose leaves the drug totals, a corrected
// cardioplegia volume counts at its new value; the original lines stay
// byte for byte, and the log keeps the edits.
func TestSummaryHonoursEdits(t *testing.T) {
	orig, err := os.ReadFile("../../testdata/cases/report-summary.case")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "edited.case")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	ns := func(sec int) int64 { return at(sec).UnixNano() }
	yes := true
	edits := []entry.Edit{
		{Target: ns(600), At: ns(3700), Who: "jd", Time: ns(660), Reason: "entered late"},
		{Target: ns(2000), At: ns(3701), Who: "jd", Void: &yes, Reason: "not given"},
		{Target: ns(960), At: ns(3702), Who: "jd", Num: map[string]float64{"volume_ml": 1200}},
	}
	w, err := record.Open(path, record.Options{Case: "C-2026-0301-R"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ed := range edits {
		if err := w.AddEvent(ed.Event(ed.Describe(entry.Entry{Kind: "event", Time: ed.Target}))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, orig) || len(after) == len(orig) {
		t.Fatal("the recorded lines changed, or nothing was appended")
	}

	c := loadCase(t, path)
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bypass != 2940*time.Second || !s.BypassStart.Equal(at(660)) {
		t.Errorf("bypass %v from %v, want 2940 s from %v", s.Bypass, s.BypassStart, at(660))
	}
	want := []DrugTotal{{"heparin", "IU", 24000, 1, 0}, {"phenylephrine", "mcg", 100, 1, 0}}
	if len(s.Drugs) != len(want) || s.Drugs[0] != want[0] || s.Drugs[1] != want[1] {
		t.Errorf("drugs %+v, want %+v", s.Drugs, want)
	}
	if s.Cardioplegia.ML != 1200 || s.Cardioplegia.Count != 1 {
		t.Errorf("cardioplegia %+v", s.Cardioplegia)
	}
	if len(c.Voided) != 1 || c.Voided[0].ID != ns(2000) {
		t.Errorf("voided %+v", c.Voided)
	}
	nEdit, edited := 0, 0
	for _, l := range s.Log {
		if l.Kind == entry.KindEdit {
			nEdit++
		}
		if l.Edited {
			edited++
		}
		if strings.Contains(l.Text, "Heparin 5000") {
			t.Errorf("the voided dose is in the log: %+v", l)
		}
	}
	if nEdit != 3 || edited != 2 {
		t.Errorf("log: %d edits, %d edited entries; want 3 and 2", nEdit, edited)
	}
	for _, m := range s.Missing {
		if strings.Contains(m, "edit") {
			t.Errorf("missing: %s", m)
		}
	}

	// Without the edits the summary is the original's.
	base := summarizeKnown(t, false)
	if base.Bypass != 3000*time.Second || base.Cardioplegia.ML != 1000 {
		t.Errorf("original summary changed: %v %v", base.Bypass, base.Cardioplegia.ML)
	}
}

// An edit whose target no event has is listed, never applied elsewhere.
func TestOrphanEdit(t *testing.T) {
	orig, err := os.ReadFile("../../testdata/cases/report-summary.case")
	if err != nil {
		t.Fatal(err)
	}
	orphan := "event,case=C-2026-0301-R,kind=edit text=\"Edit\",target=\"1772352601000000000\",event_time=\"1772352660000000000\" 1772356000000000000\n"
	c, err := Load(bytes.NewReader(append(orig, orphan...)), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bypass != 3000*time.Second {
		t.Errorf("bypass %v", s.Bypass)
	}
	found := false
	for _, m := range s.Missing {
		found = found || strings.Contains(m, "edit not applied") && strings.Contains(m, "2026-03-01T08:10:01Z")
	}
	if !found {
		t.Errorf("missing %q", s.Missing)
	}
}

package hl7out

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
)

const testSecret = "site-secret-for-tests-only"

// knownCase is the report's hand-made case: identifiers Jane Doe,
// H1234567 (invented), a note naming them, drugs, fluids, blood.
const knownCase = "../../testdata/cases/report-summary.case"

func loadCase(t testing.TB, path string) *report.Case {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := report.Load(f, func(e *record.LineError) { t.Errorf("%s: bad line %d: %v", path, e.Line, e.Err) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testRecord builds the record of a case file, identified or not.
func testRecord(t testing.TB, path string, identified bool) *exchange.Record {
	t.Helper()
	c := loadCase(t, path)
	priv := report.Privacy{Identify: identified, Secret: []byte(testSecret)}
	s, err := report.Summarize(c, report.DefaultSettings(), priv)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := exchange.Build(c, s, priv, exchange.Options{Identified: identified})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// copyCase copies a case file into dir (the outbox lives beside it).
func copyCase(t testing.TB, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// signOff appends the perfusionist's signoff entry to a case file, as the
// console records it (docs/format/case.md).
func signOff(t testing.TB, path, caseID string, at time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "event,case=%s,kind=signoff text=\"Record signed off\",name=\"A. Perfusionist\",who=\"ap\" %d\n", caseID, at.UnixNano()); err != nil {
		t.Fatal(err)
	}
}

// segments splits a message into its segments.
func segments(msg []byte) []string {
	return strings.Split(strings.TrimSuffix(string(msg), "\r"), "\r")
}

package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestAuditAndSummaryCSV(t *testing.T) {
	dir := t.TempDir()
	var sums []*CaseSummary
	for i, id := range []string{"C-A1", "C-A2", "C-A3"} {
		c := loadCase(t, syntheticCaseFile(t, dir, id, 0.5+0.25*float64(i), uint64(i)))
		s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
	}
	sums = append(sums, summarizeKnown(t, false))
	a := NewAudit(sums)
	var h bytes.Buffer
	if err := WriteAuditHTML(&h, a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="aggregate"`, `id="chart"`, `id="cases"`, "data:image/png;base64,", "Blood use: cases transfused", "1 of 4 (25 %)", sums[3].Label} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	for _, id := range []string{"C-A1", "Ann Example", "Jane Doe", "H7654321", "C-2026-0301-R"} {
		if strings.Contains(h.String(), id) {
			t.Errorf("audit page holds identifier %q", id)
		}
	}
	var v bytes.Buffer
	if err := WriteAuditCSV(&v, a); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&v).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || len(recs[0]) != len(SummaryColumns) {
		t.Fatalf("csv: %d rows of %d columns", len(recs), len(recs[0]))
	}
	row := map[string]string{}
	for i, k := range recs[0] {
		row[k] = recs[4][i]
	}
	want := map[string]string{"bypass_min": "50.00", "cross_clamp_min": "30.00", "arrest_min": "5.00", "nadir_do2i": "240",
		"do2i_below_min": "0.10", "map_below_min": "0.20", "blood_units": "1", "balance_ml": "1850", "alarms_high": "1",
		"identified": "false", "ident_name": "", "case": sums[3].Label, "missing_items": "4"} // no ACT, a 32-min gas gap, no protamine, no sign-off
	for k, w := range want {
		if row[k] != w {
			t.Errorf("csv %s = %q, want %q", k, row[k], w)
		}
	}
}

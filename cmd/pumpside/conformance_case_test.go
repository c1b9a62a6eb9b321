package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// caseOutcome is what the conformance corpus records of a case file another
// tool wrote: what the headless replay and the summary make of it.
type caseOutcome struct {
	// Replay: the headless replay's derived values and alarms.
	Seconds        int      `json:"seconds"`
	BSA            *float64 `json:"bsa_m2"`
	FlowIndexOK    int      `json:"flow_index_ok_seconds"`
	DO2iOK         int      `json:"do2i_ok_seconds"`
	DO2iMin        *float64 `json:"do2i_min"`
	AlarmsActive   []string `json:"alarms_active"`
	ReplayMessages []string `json:"replay_messages"`
	// Summary: the summary CSV's columns that depend on how the file is read.
	Summary map[string]string `json:"summary"`
}

var summaryKeys = []string{"height_cm", "weight_kg", "bsa_m2", "sex", "bypass_min", "full_flow_min", "nadir_do2i",
	"do2i_below_min", "alarms_high", "alarms_medium", "alarms_low", "missing_items"}

// TestConformanceCaseFiles replays every case file of
// testdata/conformance/case/ (written from docs/format/case.md by hand, not
// by Pumpside) headless and summarises it, and compares the outcome with
// expected.json beside it. CONFORMANCE_UPDATE=1 rewrites the expected
// files: read every line of the diff.
func TestConformanceCaseFiles(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/conformance/case/*/input.case")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	t.Setenv(siteSecretEnv, "conformance-site-secret")
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmp := t.TempDir()
			dcsv, ajson := filepath.Join(tmp, "d.csv"), filepath.Join(tmp, "a.jsonl")
			code, _, errs := run("replay", in, "--headless", "--speed", "max", "--derived-out", dcsv, "--alarms-out", ajson)
			require.Equal(t, 0, code, errs)
			var got caseOutcome
			for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
				if !strings.HasPrefix(l, "replayed ") {
					got.ReplayMessages = append(got.ReplayMessages, strings.TrimPrefix(l, in))
				}
			}
			readDerived(t, dcsv, &got)
			readAlarms(t, ajson, &got)

			code, out, errs := run("export", in, "--format", "summary-csv")
			require.Equal(t, 0, code, errs)
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, 2)
			got.Summary = map[string]string{}
			for i, k := range rows[0] {
				if slices.Contains(summaryKeys, k) {
					got.Summary[k] = rows[1][i]
				}
			}

			b, err := json.MarshalIndent(got, "", "  ")
			require.NoError(t, err)
			b = append(b, '\n')
			exp := filepath.Join(dir, "expected.json")
			if os.Getenv("CONFORMANCE_UPDATE") != "" {
				require.NoError(t, os.WriteFile(exp, b, 0o644))
			}
			want, err := os.ReadFile(exp)
			require.NoError(t, err, "no expected.json: run with CONFORMANCE_UPDATE=1 and read it")
			require.JSONEq(t, string(want), string(b))
		})
	}
}

func readDerived(t *testing.T, path string, o *caseOutcome) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, k := range rows[0] {
		col[k] = i
	}
	num := func(row []string, k string) (float64, bool) {
		v, err := strconv.ParseFloat(row[col[k]], 64)
		return v, err == nil
	}
	round := func(v float64, d float64) *float64 { r := math.Round(v*d) / d; return &r }
	for _, row := range rows[1:] {
		o.Seconds++
		if v, ok := num(row, "derived.bsa"); ok {
			o.BSA = round(v, 1000)
		}
		if _, ok := num(row, "derived.flow_index"); ok {
			o.FlowIndexOK++
		}
		if v, ok := num(row, "derived.do2i"); ok {
			o.DO2iOK++
			if o.DO2iMin == nil || v < *o.DO2iMin {
				o.DO2iMin = round(v, 10)
			}
		}
	}
}

func readAlarms(t *testing.T, path string, o *caseOutcome) {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	o.AlarmsActive = []string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var tr struct{ Alarm, State string }
		require.NoError(t, json.Unmarshal([]byte(l), &tr))
		if tr.State == "active" && !slices.Contains(o.AlarmsActive, tr.Alarm) {
			o.AlarmsActive = append(o.AlarmsActive, tr.Alarm)
		}
	}
	slices.Sort(o.AlarmsActive)
}

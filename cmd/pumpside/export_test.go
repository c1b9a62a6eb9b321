package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	return rows
}

func col(t *testing.T, rows [][]string, name string) int {
	t.Helper()
	for i, h := range rows[0] {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, rows[0])
	return -1
}

// A file from another tool, devices at their own rates: the in-line
// monitor's values every 6 s stay current between its reports.
func TestExportForeignFile(t *testing.T) {
	code, out, errs := run("export", casesData+"foreign-6s-inline.case", "--format", "csv")
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs)
	rows := readCSV(t, out)
	require.Len(t, rows, 1+7, "one row per second, 0 to 6 s")
	assert.Equal(t, []string{"time", "pump.flow", "pump.speed", "pump.line_pressure", "patient.map", "patient.cvp", "patient.hr",
		"inline.art_po2", "inline.art_so2", "inline.ven_so2", "inline.hct", "inline.hb"}, rows[0])
	assert.Equal(t, "2023-11-14T22:13:20Z", rows[1][0])
	assert.Equal(t, "2023-11-14T22:13:26Z", rows[7][0])
	hct := col(t, rows, "inline.hct")
	assert.Equal(t, "26.1", rows[6][hct], "5 s after the report")
	assert.Equal(t, "26", rows[7][hct], "the next report")
	assert.Equal(t, "4.2", rows[3][col(t, rows, "pump.flow")])
}

// Qualities: a value that is not ok is an empty cell; a value past its
// freshness limit too.
func TestExportQualityAndStaleness(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.csv")
	code, stdout, errs := run("export", "--format", "csv", "--out", out, casesData+"example.case")
	require.Equal(t, 0, code, errs)
	assert.Empty(t, stdout)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	rows := readCSV(t, string(b))
	require.Equal(t, 1+903, len(rows), "08:00:00 to 08:15:02, the first and last samples")
	at := func(ts string) []string {
		for _, r := range rows[1:] {
			if r[0] == ts {
				return r
			}
		}
		t.Fatalf("no row %s", ts)
		return nil
	}
	mp, hr, flow, svr, bsa := col(t, rows, "patient.map"), col(t, rows, "patient.hr"), col(t, rows, "pump.flow"), col(t, rows, "derived.svr"), col(t, rows, "derived.bsa")
	assert.Equal(t, "62.4", at("2026-03-01T08:15:00Z")[mp])
	assert.Equal(t, "", at("2026-03-01T08:15:01Z")[mp], "out_of_range: empty")
	assert.Equal(t, "", at("2026-03-01T08:15:01Z")[hr], "unavailable: empty")
	assert.Equal(t, "", at("2026-03-01T08:15:01Z")[svr], "stale derived value: empty")
	assert.Equal(t, "1.956", at("2026-03-01T08:15:01Z")[bsa])
	assert.Equal(t, "4.35", at("2026-03-01T08:15:02Z")[flow])
	assert.Equal(t, "175", at("2026-03-01T08:15:02Z")[col(t, rows, "patient.height")], "height never goes stale")
}

func TestExportStaleIsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.case")
	require.NoError(t, os.WriteFile(path, []byte(
		"pump,case=C,source=hlm flow=4.5 1772352000000000000\n"+
			"nirs,case=C,source=invos left=60 1772352008000000000\n"), 0o600))
	code, out, errs := run("export", path, "--format", "csv")
	require.Equal(t, 0, code, errs)
	rows := readCSV(t, out)
	require.Equal(t, 1+9, len(rows))
	flow := col(t, rows, "pump.flow")
	assert.Equal(t, "4.5", rows[1+5][flow], "5 s old: at the pump's freshness limit")
	assert.Equal(t, "", rows[1+6][flow], "6 s old: stale, empty")
	assert.Equal(t, "", rows[1+7][col(t, rows, "nirs.left")], "no value yet")
	assert.Equal(t, "60", rows[1+8][col(t, rows, "nirs.left")])
}

func TestExportBadLinesReported(t *testing.T) {
	code, out, errs := run("export", casesData+"bad-lines.case", "--format", "csv")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "time,pump.flow\n2026-03-01T08:00:00Z,4.5\n2026-03-01T08:00:01Z,4.5\n2026-03-01T08:00:02Z,4.6\n2026-03-01T08:00:03Z,4.7\n", out)
	for _, n := range []string{":2: no timestamp", ":3: field flow", ":4: column 10", ":6: event without a kind"} {
		assert.Contains(t, errs, "bad-lines.case"+n)
	}
	assert.Contains(t, errs, "4 rows; 4 bad lines skipped")
}

func TestExportBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.case")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	garbage := filepath.Join(dir, "garbage.case")
	require.NoError(t, os.WriteFile(garbage, []byte("not a case\n"), 0o600))
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{empty, "--format", "csv"}, "empty file"},
		{[]string{filepath.Join(dir, "nope.case"), "--format", "csv"}, "no such file"},
		{[]string{garbage, "--format", "csv"}, "no samples"},
		{[]string{casesData + "example.case"}, "--format is required"},
		{[]string{casesData + "example.case", "--format", "xml"}, `unknown --format "xml"`},
		{[]string{"--format", "csv"}, "one CASEFILE is required"},
	} {
		code, _, errs := run(append([]string{"export"}, tc.args...)...)
		assert.Equal(t, 2, code, tc.args)
		assert.Contains(t, errs, tc.msg, tc.args)
	}
}

// TestExportCSVSiteUnits: the time-series CSV on a kPa, g/L and mg/dL site
// gives those channels in the site's units, the unit in the column's
// header; the others as stored, under their names.
func TestExportCSVSiteUnits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gas.case")
	require.NoError(t, os.WriteFile(path, []byte(
		"pump,case=C,source=hlm flow=4.5 1772352000000000000\n"+
			"abg,case=C,source=gem pco2=40,po2=75,hb=12.3,glucose=5.5,k=4.25 1772352000000000000\n"+
			"pump,case=C,source=hlm flow=4.6 1772352001000000000\n"), 0o600))
	siteFile := filepath.Join(dir, "site.toml")
	require.NoError(t, os.WriteFile(siteFile, []byte("[units]\ngas = \"kPa\"\nhb = \"g/L\"\nglucose = \"mg/dL\"\n"), 0o600))

	code, out, errs := run("export", path, "--format", "csv", "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	rows := readCSV(t, out)
	require.Len(t, rows, 1+2)
	for name, want := range map[string]string{"pump.flow": "4.6", "abg.pco2 (kPa)": "5.33", "abg.po2 (kPa)": "10.0",
		"abg.hb (g/L)": "123", "abg.glucose (mg/dL)": "99", "abg.k": "4.25"} {
		assert.Equal(t, want, rows[2][col(t, rows, name)], name)
	}

	// Without a site file: the channels' units, the names alone.
	t.Setenv("PUMPSIDE_SITE", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	code, out, errs = run("export", path, "--format", "csv")
	require.Equal(t, 0, code, errs)
	rows = readCSV(t, out)
	assert.Equal(t, []string{"time", "pump.flow", "abg.pco2", "abg.po2", "abg.hb", "abg.k", "abg.glucose"}, rows[0])
	assert.Equal(t, "75", rows[2][col(t, rows, "abg.po2")])
}

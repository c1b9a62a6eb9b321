package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditCommand(t *testing.T) {
	withSecret(t)
	dir := t.TempDir()
	for _, name := range []string{"report-summary.case", "example.case", "foreign-6s-inline.case"} {
		b, err := os.ReadFile(casesData + name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.case"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a case"), 0o600))

	out := filepath.Join(t.TempDir(), "audit.html")
	code, stdout, errs := run("audit", dir, "--out", out)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, stdout)
	assert.Contains(t, errs, "empty.case", "the empty file is reported and left out")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	ids := htmlSections(t, string(b))
	for _, id := range []string{"aggregate", "chart", "cases"} {
		assert.True(t, ids[id], "section %s", id)
	}
	assert.Contains(t, string(b), "Across 3 cases")
	assert.Contains(t, string(b), "data:image/png;base64,")

	csvOut := filepath.Join(t.TempDir(), "audit.csv")
	code, _, errs = run("audit", dir, "--out", csvOut)
	require.Equal(t, 0, code, errs)
	f, err := os.Open(csvOut)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, report.SummaryColumns, rows[0])
	joined := strings.Join(rows[1], ",") + strings.Join(rows[2], ",") + strings.Join(rows[3], ",")
	assert.Contains(t, joined, "50.00,30.00,5.00", "report-summary.case: bypass, clamp, arrest minutes")

	code, _, errs = run("audit", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no usable case file")
}

// The --from and --to dates of casebook and audit --benchmark are days of
// the theatre's zone (parseDay with the site's location): the help says
// so, not UTC.
func TestPeriodFlagsNameTheTheatreZone(t *testing.T) {
	for _, args := range [][]string{{"casebook", "--help"}, {"audit", "--benchmark", "--help"}} {
		code, out, errs := run(args...)
		require.Equal(t, 0, code, errs)
		help := out + errs
		assert.NotContains(t, help, "YYYY-MM-DD, UTC", args)
		assert.NotContains(t, help, "started (UTC)", args)
		assert.Contains(t, help, "a day of the theatre's zone", args)
	}
}

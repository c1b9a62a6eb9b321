package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportDO2iThresholdFromProfile: the summary commands judge the time
// below the DO2i threshold by the alarm profile's do2i_low: without
// --profile the built-in of the run's mode (the default's q10 = 2), with
// --profile the named one. A cold hour at DO2i 200 (50 min at 28 °C, 10 at
// 36 °C): 10 min below 280 × 2^((36 − 37)/10) = 261.2 (at 28 °C the limit is
// 150.0); 59 min (the settled full flow) with a profile whose do2i_low does
// not scale.
func TestReportDO2iThresholdFromProfile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	ns := func(sec int) int64 { return time.Unix(1772352000, 0).Add(time.Duration(sec) * time.Second).UnixNano() }
	fmt.Fprintf(&b, "event,case=Q10,kind=on_bypass text=\"On bypass\" %d\n", ns(0))
	for s := range 3600 {
		fmt.Fprintf(&b, "derived,case=Q10,source=pumpside do2i=200 %d\n", ns(s))
		if s%10 == 0 {
			fmt.Fprintf(&b, "temp,case=Q10,source=hlm nasopharyngeal=%g %d\n", map[bool]float64{false: 28, true: 36}[s >= 3000], ns(s))
		}
	}
	fmt.Fprintf(&b, "event,case=Q10,kind=off_bypass text=\"Off bypass\" %d\n", ns(3600))
	path := filepath.Join(dir, "cold.case")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	fixed := filepath.Join(dir, "fixed.toml")
	require.NoError(t, os.WriteFile(fixed, []byte(`name = "fixed DO2i threshold"
[[rule]]
id = "do2i_low"
input = "derived.do2i"
condition = "below"
limit = 280
delay = "60s"
priority = "medium"
phases = ["bypass"]
message = "DO2i below target"
`), 0o600))

	below := func(args ...string) string {
		t.Helper()
		code, out, errs := run(append([]string{"export", path, "--format", "summary-csv", "--identify"}, args...)...)
		require.Equal(t, 0, code, errs)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2)
		i := slices.Index(rows[0], "do2i_below_min")
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, "280", rows[1][slices.Index(rows[0], "do2i_threshold")], "the threshold stated is the 37 °C one")
		return rows[1][i]
	}
	assert.Equal(t, "10.00", below(), "the default profile's q10 = 2")
	assert.Equal(t, "10.00", below("--profile", "default"))
	assert.Equal(t, "59.00", below("--profile", fixed))

	code, _, errs := run("export", path, "--format", "summary-csv", "--identify", "--profile", filepath.Join(dir, "missing.toml"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--profile")
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
)

// ecmoAlarms writes the scenario file sc (pumpside sim --out), replays it
// headless and returns, by alarm, the case time of its first activation.
func ecmoAlarms(t *testing.T, scenarioArgs ...string) map[string]time.Duration {
	t.Helper()
	dir := t.TempDir()
	cf, af := filepath.Join(dir, "c.case"), filepath.Join(dir, "a.jsonl")
	code, _, errs := run(append(append([]string{"sim"}, scenarioArgs...), "--seed", "1", "--out", cf)...)
	require.Equal(t, 0, code, errs)
	code, _, errs = run("replay", cf, "--headless", "--speed", "max", "--alarms-out", af)
	require.Equal(t, 0, code, errs)
	raw, err := os.ReadFile(af)
	require.NoError(t, err)
	trs, err := alarms.ReadJSONLines(bytes.NewReader(raw))
	require.NoError(t, err)
	got := map[string]time.Duration{}
	for _, tr := range trs {
		if _, seen := got[tr.Alarm]; !seen && tr.State == alarms.Active {
			got[tr.Alarm] = time.Duration(tr.Time - builtinSimStart.UnixNano())
		}
	}
	return got
}

// TestECMOScenariosAlarms (issue 14): the simulator's ECMO runs, recorded
// in ECMO mode (the case's metadata) and replayed with the ECMO profile,
// raise nothing in a day without a fault: no alarm of a bypass case, none
// during cannulation or as the flow is brought up (the ecmo phase and its
// onset windows), no oxygenator clot from the resistance's noise (the
// rate's fit), no in-line drift from the patient's arterial sample (not
// compared on ECMO). A drainage failure and a failing oxygenator raise the
// rules written for them.
func TestECMOScenariosAlarms(t *testing.T) {
	for _, sc := range []string{"ecmo-vv", "ecmo-va"} {
		t.Run(sc, func(t *testing.T) {
			assert.Empty(t, ecmoAlarms(t, "--scenario", sc), "a day of %s without a fault", sc)

			src, err := os.ReadFile(filepath.Join("../../devices/sim/scenarios", sc+".toml"))
			require.NoError(t, err)
			src = regexp.MustCompile(`(?m)^duration = .*$`).ReplaceAll(src, []byte(`duration = "8h"`))
			src = append(src, []byte(`
[[event]]
at = "3h"
kind = "fault"
fault = "drainage-insufficiency"
over = "20m"

[[event]]
at = "5h"
kind = "fault"
fault = "oxygenator-failure"
`)...)
			f := filepath.Join(t.TempDir(), "faults.toml")
			require.NoError(t, os.WriteFile(f, src, 0o600))
			got := ecmoAlarms(t, "--scenario-file", f)
			t.Logf("%s: first activations %v", sc, got)
			// Drainage insufficiency: VV sucks the inlet past -100 mmHg;
			// VA loses flow (the failing heart fills the circuit less).
			drain := "drainage_pressure_low"
			if sc == "ecmo-va" {
				drain = "flow_low"
			}
			require.Contains(t, got, drain)
			assert.InDelta(t, float64(3*time.Hour+2*time.Minute), float64(got[drain]), float64(2*time.Minute), "%s within minutes of the fault at 3 h", drain)
			for _, id := range []string{"oxy_clotting", "oxy_pf_low"} {
				require.Contains(t, got, id)
				assert.InDelta(t, float64(5*time.Hour+4*time.Minute), float64(got[id]), float64(4*time.Minute), "%s within minutes of the failure at 5 h", id)
			}
			for id, at := range got {
				assert.GreaterOrEqual(t, at, 3*time.Hour, "%s before any fault", id)
			}
		})
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
)

// TestBuiltinScenariosRaiseOnlyTheirAlarms holds the built-in scenarios to
// the alarms docs/alarms.md lists for them ("The built-in scenarios'
// alarms"), each with why it is right (issue 16): the case written by
// pumpside sim and replayed headless raises these and no other, as often.
func TestBuiltinScenariosRaiseOnlyTheirAlarms(t *testing.T) {
	want := map[string]map[string]int{
		"routine-cabg":     {"nirs_baseline_prompt": 1, "act_low": 2},
		"valve-28c":        {"nirs_baseline_prompt": 1, "do2i_vco2i_low": 1, "act_low": 3},
		"aortic-arch-dhca": {"nirs_baseline_prompt": 1, "act_low": 2, "map_high": 2, "abg_pco2_band": 1},
	}
	doc, err := os.ReadFile("../../docs/alarms.md")
	require.NoError(t, err)
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cf, af := filepath.Join(dir, "c.case"), filepath.Join(dir, "a.jsonl")
			code, _, errs := run("sim", "--scenario", name, "--seed", "1", "--out", cf)
			require.Equal(t, 0, code, errs)
			code, _, errs = run("replay", cf, "--headless", "--speed", "max", "--alarms-out", af)
			require.Equal(t, 0, code, errs)
			raw, err := os.ReadFile(af)
			require.NoError(t, err)
			trs, err := alarms.ReadJSONLines(bytes.NewReader(raw))
			require.NoError(t, err)
			got := map[string]int{}
			for _, tr := range trs {
				if tr.State == alarms.Active {
					got[tr.Alarm]++
				}
			}
			assert.Equal(t, w, got, "the alarms %s raises: docs/alarms.md lists each with why it is right", name)
			for id := range got {
				assert.Contains(t, string(doc), "`"+id+"`", "docs/alarms.md explains %s", id)
			}
		})
	}
}

// TestFullFlowFiguresOfArchCase (issue 16): the arch case's figures of
// perfusion count over full flow. Its circulatory arrest (from 95 min, with
// antegrade cerebral perfusion from 96 min to 130 min) and its weaning are
// reported on their own: no DO2i nadir of 0 from the stopped pump, no
// minutes of MAP below 50 from the arrest.
func TestFullFlowFiguresOfArchCase(t *testing.T) {
	withSecret(t)
	path := filepath.Join(t.TempDir(), "arch.case")
	code, _, errs := run("sim", "--scenario", "aortic-arch-dhca", "--seed", "1", "--out", path)
	require.Equal(t, 0, code, errs)
	code, out, errs := run("export", path, "--format", "summary-csv")
	require.Equal(t, 0, code, errs)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	col := func(name string) float64 {
		i := slices.Index(rows[0], name)
		require.GreaterOrEqual(t, i, 0, name)
		v, err := strconv.ParseFloat(rows[1][i], 64)
		require.NoError(t, err, "%s = %q", name, rows[1][i])
		return v
	}
	bypass, full, weaning, acp := col("bypass_min"), col("full_flow_min"), col("weaning_min"), col("acp_min")
	arrest := col("arrest_min") // the whole arrest, its cerebral perfusion included
	assert.Equal(t, 35.0, arrest)
	assert.Equal(t, 34.0, acp)
	assert.Equal(t, 10.0, weaning)
	assert.InDelta(t, bypass, full+arrest+weaning, 1e-9, "the phases share the time on the pump")
	assert.Greater(t, col("nadir_do2i"), 150.0, "the nadir is of a perfused patient, not the arrest's 0")
	assert.Less(t, col("map_below_min"), 2.0, "MAP below 50 over full flow: not the arrest's 35 min")
}

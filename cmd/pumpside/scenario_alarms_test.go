package main

import (
	"bytes"
	"os"
	"path/filepath"
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

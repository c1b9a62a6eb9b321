package alarms_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
)

// TestECMOProfileLoads: the embedded ECMO profile passes the loader a
// site's file goes through, its circuit rules and device_lost name the
// ecmo phase (the circuit running, from ecmo_start) and its other
// technical rules none, and it holds the rules docs/ecmo.md lists.
func TestECMOProfileLoads(t *testing.T) {
	p, err := alarms.BuiltinProfile(alarms.ProfileECMO)
	require.NoError(t, err)
	require.Equal(t, "Pumpside ECMO", p.Name)
	ids := map[string]bool{}
	for _, r := range p.Rules {
		ids[r.ID] = true
		if r.Class == alarms.Technical && r.Condition != alarms.DeviceLost {
			require.Zero(t, r.Phases, "%s: a technical rule applies throughout the run", r.ID)
		} else {
			require.Equal(t, alarms.PhaseSet(0).With(alarms.ECMO), r.Phases, "%s: a circuit rule applies while the circuit runs", r.ID)
		}
		require.False(t, r.CrossClamp, r.ID)
		require.NotEmpty(t, r.Evidence, "%s has no source", r.ID)
	}
	for _, id := range []string{"flow_stopped", "flow_low", "flow_high", "pre_oxy_pressure_high", "post_oxy_pressure_high",
		"post_oxy_pressure_low", "oxy_resistance_high", "oxy_clotting", "oxy_pf_low", "gas_supply_failure", "fio2_low",
		"circuit_temp_high", "circuit_temp_low", "anticoag_check_due", "device_lost", "recording_failed", "disk_low"} {
		require.True(t, ids[id], "the ECMO profile lacks %s", id)
	}
	def, err := alarms.BuiltinProfile(alarms.ProfileDefault)
	require.NoError(t, err)
	require.Equal(t, alarms.DefaultProfile().Rules[0].ID, def.Rules[0].ID)
	_, err = alarms.BuiltinProfile("ecls")
	require.ErrorContains(t, err, "no built-in profile")
	require.Nil(t, alarms.BuiltinProfileTOML("ecls"))
}

// TestAlarmDocsListECMORules keeps the ECMO profile's table in
// docs/alarms.md (its own section, "ECMO profile rules": a row of the
// default table with the same text does not count) in step with
// alarms/ecmo.toml, as TestAlarmDocsListDefaultRules does for the default.
// On failure the test prints the table to paste.
func TestAlarmDocsListECMORules(t *testing.T) {
	doc, err := os.ReadFile("../docs/alarms.md")
	require.NoError(t, err)
	const heading = "### ECMO profile rules"
	_, sec, ok := strings.Cut(string(doc), heading)
	require.True(t, ok, "docs/alarms.md has no %q section", heading)
	if i := strings.Index(sec, "\n#"); i >= 0 {
		sec = sec[:i]
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(sec, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	var table strings.Builder
	table.WriteString(docsHeader)
	missing := false
	for _, r := range alarms.ECMOProfile().Rules {
		row := docsRow(&r)
		table.WriteString(row + "\n")
		if !lines[row] {
			missing = true
			t.Errorf("docs/alarms.md's ECMO table lacks or has an outdated row for %s", r.ID)
		}
	}
	if missing {
		t.Logf("the table of ECMO rules, generated from alarms/ecmo.toml:\n\n%s", table.String())
	}
}

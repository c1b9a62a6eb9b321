package alarms_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
)

// The rule ids the issue requires of the default profile.
var requiredRules = []string{
	"do2i_low", "do2i_vco2i_low", "map_low", "map_high", "map_critical", "svo2_low", "hct_low",
	"art_outlet_temp_high", "av_gradient_high", "rewarm_rate_high", "act_low", "lactate_high",
	"nirs_drop_left", "nirs_drop_right", "flow_stopped", "cardioplegia_due", "act_due",
	"blood_gas_stale", "device_lost", "ring_overflow", "recording_failed", "upload_failed", "audio_unavailable", "inline_drift",
	// issue 14: long runs
	"disk_low",
	// issue 16: phases, the missing rules
	"flow_index_low", "acp_pressure", "rcp_pressure_high", "pao2_low", "pao2_high", "abg_po2_low", "paco2_band",
	"abg_pco2_band", "k_high_rewarmed", "abg_k_high_rewarmed", "naso_temp_high", "act_low_pre_bypass",
	"act_suction_low", "glucose_high", "nirs_low_left", "nirs_low_right", "flow_stopped_weaning",
	"acp_flow_stopped", "acp_flow_low", "gas_supply_failure", "fio2_low", "nirs_baseline_prompt",
	// the circuit and after bypass (the teaching faults' alarms)
	"map_critical_off_bypass", "line_pressure_high", "reservoir_low", "cvp_high", "spo2_low_off_bypass",
	// issue 14: the oxygenator
	"oxy_clotting", "oxy_pf_low",
}

func TestAlarmDefaultProfileLoads(t *testing.T) {
	p, err := alarms.ParseProfile("default.toml", alarms.DefaultProfileTOML())
	require.NoError(t, err)
	var ids []string
	for _, r := range p.Rules {
		ids = append(ids, r.ID)
		assert.NotEmpty(t, r.Evidence, r.ID)
		assert.NotEmpty(t, r.Message, r.ID)
		if r.Class != alarms.Technical && r.Condition != alarms.Flag {
			assert.True(t, r.Adjustable(), "%s: physiological limits should be adjustable within bounds", r.ID)
		}
	}
	assert.ElementsMatch(t, requiredRules, ids)
	assert.Equal(t, 2*time.Minute, p.Pause)
	assert.Equal(t, 5*time.Second, p.MinVisible)

	byID := map[string]alarms.Rule{}
	for _, r := range p.Rules {
		byID[r.ID] = r
	}
	// Spot checks against docs/alarms.md and the domain thresholds.
	mapLow := byID["map_low"]
	assert.Equal(t, alarms.Below, mapLow.Condition)
	assert.Equal(t, 50.0, mapLow.Limit)
	assert.Equal(t, alarms.Medium, mapLow.Priority)
	assert.True(t, mapLow.Phases.Has(alarms.Bypass))
	assert.False(t, mapLow.Phases.Has(alarms.Arrest))
	assert.True(t, byID["map_critical"].Latching)
	assert.Equal(t, alarms.High, byID["flow_stopped"].Priority)
	assert.False(t, byID["flow_stopped"].Phases.Has(alarms.Arrest), "flow 0 is intended in circulatory arrest")
	assert.True(t, byID["cardioplegia_due"].CrossClamp)
	assert.Equal(t, alarms.Physiological, byID["do2i_low"].Class)
	assert.Equal(t, alarms.Technical, byID["device_lost"].Class)
	assert.Equal(t, alarms.Reminder, byID["act_due"].Class)
	assert.False(t, byID["lactate_high"].StaleAlarm)
	assert.True(t, byID["svo2_low"].StaleAlarm)
	assert.True(t, math.IsNaN(byID["av_gradient_high"].Limit))
	require.NotNil(t, byID["av_gradient_high"].When)
	assert.True(t, byID["av_gradient_high"].When.Overrides())
	assert.False(t, byID["rewarm_rate_high"].When.Overrides())

	_, err = alarms.New(p, alarms.Options{})
	require.NoError(t, err)
}

func TestAlarmLoadProfileReader(t *testing.T) {
	p, err := alarms.LoadProfile("site.toml", strings.NewReader(minimal))
	require.NoError(t, err)
	assert.Equal(t, "site.toml", p.Source)
	assert.Len(t, p.Rules, 1)
}

const minimal = `
[[rule]]
id = "map_low"
input = "patient.map"
condition = "below"
limit = 50
priority = "medium"
message = "MAP low"
`

func TestAlarmProfileErrors(t *testing.T) {
	cases := []struct {
		name        string
		text        string
		rule, field string
		msg         string
	}{
		{"unknown rule key", minimal + "hysterisis = 3\n", "map_low", "hysterisis", "unknown key"},
		{"unknown top key", "paws = \"2m\"\n" + minimal, "", "paws", "unknown key"},
		{"unknown when key", minimal + "[rule.when]\ninput = \"temp.arterial_outlet\"\nat_least = 30\nabove = 3\n", "map_low", "when.above", "unknown key"},
		{"bare number duration", minimal + "delay = 10\n", "map_low", "delay", "unit"},
		{"bad duration", "pause = \"forever\"\n" + minimal, "", "pause", "duration"},
		{"missing limit", strings.Replace(minimal, "limit = 50\n", "", 1), "map_low", "limit", "missing"},
		{"bad priority", strings.Replace(minimal, `"medium"`, `"urgent"`, 1), "map_low", "priority", "urgent"},
		{"unknown input", strings.Replace(minimal, "patient.map", "patient.mapp", 1), "map_low", "input", "channel"},
		{"unknown condition", strings.Replace(minimal, `"below"`, `"under"`, 1), "map_low", "condition", "under"},
		{"bad phase", minimal + "phases = [\"bypas\"]\n", "map_low", "phases", "bypas"},
		{"limit outside bounds", minimal + "limit_min = 55\nlimit_max = 70\n", "map_low", "limit", "outside limit_min"},
		{"one bound", minimal + "limit_min = 40\n", "map_low", "limit_min", "together"},
		{"escalate down", minimal + "escalate_after = \"1m\"\nescalate_to = \"low\"\n", "map_low", "escalate_to", "above"},
		{"escalate half", minimal + "escalate_after = \"1m\"\n", "map_low", "escalate_to", "together"},
		{"negative hysteresis", minimal + "hysteresis = -1\n", "map_low", "hysteresis", "negative"},
		{"window on below", minimal + "window = \"1m\"\n", "map_low", "window", "does not apply"},
		{"gate needs one", minimal + "[rule.when]\ninput = \"temp.arterial_outlet\"\n", "map_low", "when.at_least", "exactly one"},
		{"wrong type", strings.Replace(minimal, "limit = 50", `limit = "fifty"`, 1), "map_low", "limit", "line 6: incompatible types"},
		{"no id", strings.Replace(minimal, `id = "map_low"`, "", 1), "#1", "id", "want lower-case"},
		{"bad id", strings.Replace(minimal, `"map_low"`, `"MAP low"`, 1), "MAP low", "id", "lower-case"},
		{"duplicate", minimal + minimal, "map_low", "id", "duplicate"},
		{"no message", strings.Replace(minimal, `message = "MAP low"`, "", 1), "map_low", "message", "missing"},
		{"band hysteresis", `
[[rule]]
id = "grad"
input = "derived.av_gradient"
condition = "outside"
low = -1
high = 1
hysteresis = 1
priority = "low"
message = "m"
`, "grad", "hysteresis", "no band"},
		{"flag input", strings.Replace(minimal, `"below"`, `"flag"`, 1), "map_low", "input", "flag needs"},
		{"device input", strings.Replace(minimal, `condition = "below"`, `condition = "device_lost"`, 1), "map_low", "input", "no input"},
		{"stale_alarm on technical", strings.Replace(minimal, `"below"`, `"stale"`, 1) + "stale_alarm = false\n", "map_low", "stale_alarm", "physiological"},
		{"low repeat", "[sound]\nlow_repeat = \"10s\"\n" + minimal, "", "sound.low_repeat", "15 s"},
		{"min visible", "min_visible = \"1s\"\n" + minimal, "", "min_visible", "outside"},
		{"no rules", "name = \"x\"\n", "", "rule", "no rules"},
		{"syntax", "[[rule]\n", "", "", "line 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := alarms.ParseProfile("site.toml", []byte(c.text))
			require.Error(t, err)
			var pe *alarms.ProfileError
			require.True(t, errors.As(err, &pe), "%v", err)
			assert.Equal(t, "site.toml", pe.Source)
			assert.Equal(t, c.rule, pe.Rule, "%v", err)
			assert.Equal(t, c.field, pe.Field, "%v", err)
			assert.Contains(t, err.Error(), c.msg)
			if c.rule != "" && !strings.HasPrefix(c.rule, "#") {
				assert.Contains(t, err.Error(), "rule "+c.rule)
			}
		})
	}
}

func TestAlarmProfileReportsAllErrors(t *testing.T) {
	text := strings.Replace(minimal, `"medium"`, `"urgent"`, 1) + "hysterisis = 1\n" + strings.Replace(minimal, `"map_low"`, `"map_high"`, 1) + "limt = 3\n"
	_, err := alarms.ParseProfile("site.toml", []byte(text))
	require.Error(t, err)
	for _, want := range []string{"rule map_low: field priority", "rule map_low: field hysterisis: unknown key", "rule map_high: field limt: unknown key"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestAlarmPrioritiesAndStates(t *testing.T) {
	for p := alarms.Low; p <= alarms.High; p++ {
		b, err := p.MarshalText()
		require.NoError(t, err)
		var back alarms.Priority
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, p, back)
	}
	assert.Error(t, new(alarms.Priority).UnmarshalText([]byte("none")))
	for s := alarms.Inactive; s <= alarms.Acknowledged; s++ {
		back, err := alarms.ParseTransitionName(s.TransitionName())
		require.NoError(t, err)
		assert.Equal(t, s, back)
	}
	assert.Equal(t, "cleared", alarms.Inactive.TransitionName())
	for p := alarms.PreBypass; p <= alarms.OffBypass; p++ {
		back, err := alarms.ParsePhase(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, back)
	}
	var none alarms.PhaseSet
	assert.True(t, none.Has(alarms.PhaseUnknown))
	assert.False(t, none.With(alarms.Bypass).Has(alarms.PhaseUnknown))
}

// FuzzAlarmParseProfile: any text either loads into a profile the engine
// accepts or fails with errors; never a panic.
func FuzzAlarmParseProfile(f *testing.F) {
	f.Add(string(alarms.DefaultProfileTOML()))
	f.Add(minimal)
	f.Add(minimal + "[rule.when]\ninput = \"temp.arterial_outlet\"\nat_least = 30\nlimit = 40\n")
	f.Add("[[rule]]\nid = \"d\"\ncondition = \"device_lost\"\npriority = \"high\"\nmessage = \"m\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := alarms.ParseProfile("fuzz.toml", []byte(text))
		if err != nil {
			return
		}
		eng, err := alarms.New(p, alarms.Options{})
		require.NoError(t, err)
		eng.Eval(time.Unix(1, 0), nil, &alarms.Context{Phase: alarms.Bypass})
	})
}

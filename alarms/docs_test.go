package alarms_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestAlarmDocsListDefaultRules keeps docs/alarms.md in step with the
// embedded default profile: the table of default rules must contain, line
// for line, the row generated here from each rule. On failure the test
// prints the table to paste.
func TestAlarmDocsListDefaultRules(t *testing.T) {
	doc, err := os.ReadFile("../docs/alarms.md")
	require.NoError(t, err)
	lines := map[string]bool{}
	for _, l := range strings.Split(string(doc), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	var table strings.Builder
	table.WriteString(docsHeader)
	missing := false
	for _, r := range alarms.DefaultProfile().Rules {
		row := docsRow(&r)
		table.WriteString(row + "\n")
		if !lines[row] {
			missing = true
			t.Errorf("docs/alarms.md lacks or has an outdated row for %s", r.ID)
		}
	}
	if missing {
		t.Logf("the table of default rules, generated from alarms/default.toml:\n\n%s", table.String())
	}
}

const docsHeader = "| rule | condition | applies | delay | priority | latching | operator range | evidence |\n|---|---|---|---|---|---|---|---|\n"

func docsRow(r *alarms.Rule) string {
	prio := r.Priority.String()
	if r.EscalateAfter > 0 {
		prio += " → " + r.EscalateTo.String() + " after " + docDur(r.EscalateAfter)
	}
	if r.Condition == alarms.DeviceLost && r.NonessentialPriority != r.Priority {
		prio += " (essential devices), " + r.NonessentialPriority.String() + " (others)"
	}
	latch := "no"
	if r.Latching {
		latch = "yes"
	}
	rng := "fixed"
	if r.Adjustable() {
		rng = num(r.LimitMin) + " … " + num(r.LimitMax)
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s | %s | %s |", r.ID, docCondition(r), docApplies(r), docDur(r.Delay), prio, latch, rng, r.Evidence)
}

func docUnit(input string) string {
	switch input {
	case alarms.InputSinceACT, alarms.InputSinceCardioplegia:
		return " min"
	}
	if id, ok := channel.Lookup(input); ok {
		switch u := channel.Get(id).Unit; u {
		case "ratio", "":
			return ""
		case "%":
			return " %"
		default:
			return " " + u
		}
	}
	return ""
}

func docCondition(r *alarms.Rule) string {
	in, unit := "`"+r.Input+"`", docUnit(r.Input)
	if r.LimitOf != "" {
		unit = " %" // of the target: the limit and its hysteresis are shares
	}
	h := r.Hysteresis
	var s string
	switch r.Condition {
	case alarms.Below:
		op := "<"
		if r.Inclusive {
			op = "≤"
		}
		s = fmt.Sprintf("%s %s %s%s", in, op, num(r.Limit), unit)
		if h > 0 {
			s += fmt.Sprintf(", clears at ≥ %s", num(r.Limit+h))
		}
	case alarms.Above:
		op := ">"
		if r.Inclusive {
			op = "≥"
		}
		s = fmt.Sprintf("%s %s %s%s", in, op, num(r.Limit), unit)
		if h > 0 {
			s += fmt.Sprintf(", clears at ≤ %s", num(r.Limit-h))
		}
	case alarms.Outside:
		s = fmt.Sprintf("%s outside %s … %s%s", in, num(r.Low), num(r.High), unit)
		if h > 0 {
			s += fmt.Sprintf(", clears inside %s … %s", num(r.Low+h), num(r.High-h))
		}
	case alarms.RateAbove, alarms.RateBelow:
		word, clr := "rises faster than", "≤ "+num(r.Limit-h)
		if r.Condition == alarms.RateBelow {
			word, clr = "changes slower than", "≥ "+num(r.Limit+h)
		}
		s = fmt.Sprintf("%s %s %s%s/min over %s", in, word, num(r.Limit), unit, docDur(r.Window))
		if h > 0 {
			s += ", clears at " + clr
		}
	case alarms.FallPercent:
		s = fmt.Sprintf("%s more than %s %% below its baseline", in, num(r.Limit))
		if h > 0 {
			s += fmt.Sprintf(", clears at ≤ %s %%", num(r.Limit-h))
		}
	case alarms.Stale:
		if r.Limit > 0 {
			s = fmt.Sprintf("%s missing or older than %s min", in, num(r.Limit))
		} else {
			s = in + " has no valid value"
		}
	case alarms.DeviceLost:
		s = fmt.Sprintf("a device disconnected, or silent for more than %s × its interval (at most %s)", num(r.Limit), docDur(r.MaxSilence))
	case alarms.Flag:
		s = in + " set"
	case alarms.Increase:
		s = fmt.Sprintf("%s rose within the last %s", in, docDur(r.Window))
	}
	if w := r.When; w != nil {
		op := "≥"
		if !w.AtLeast {
			op = "<"
		}
		gate := fmt.Sprintf("`%s` %s %s", w.Input, op, num(w.Threshold))
		switch {
		case !math.IsNaN(w.Low):
			s += fmt.Sprintf("; while %s: outside %s … %s", gate, num(w.Low), num(w.High))
		case !math.IsNaN(w.Limit):
			s += fmt.Sprintf("; while %s: limit %s", gate, num(w.Limit))
		default:
			s += "; only while " + gate
		}
	}
	if r.LimitOf != "" {
		s += " (% of `" + r.LimitOf + "`)"
	}
	if a := r.Artefact; a != nil {
		s += fmt.Sprintf("; a fall of more than %s %% that `%s` does not share is held as an artefact (%s at most)", num(a.Fall), a.Confirm, docDur(a.Hold))
	}
	if r.NoDataDelay > 0 {
		s += "; no_data after " + docDur(r.NoDataDelay)
	}
	if r.Q10 > 1 {
		s += fmt.Sprintf("; the limit × %s^((T − 37)/10) below 37 °C, T from %s", num(r.Q10), "`"+strings.Join(r.Q10Inputs, "`, `")+"`")
	}
	return s
}

func docApplies(r *alarms.Rule) string {
	var ph []string
	for _, p := range []alarms.Phase{alarms.PreBypass, alarms.Bypass, alarms.Weaning, alarms.Arrest, alarms.ACP, alarms.RCP, alarms.OffBypass, alarms.ECMO} {
		if r.Phases != 0 && r.Phases.Has(p) {
			ph = append(ph, strings.ReplaceAll(p.String(), "_", "-"))
		}
	}
	s := "always"
	if len(ph) > 0 {
		s = strings.Join(ph, ", ")
	}
	if r.CrossClamp {
		s += "; cross-clamp on"
	}
	if r.AfterHeparin {
		s += "; after heparin, on values measured since"
	}
	if r.Onset > 0 {
		s += "; not in the phase's first " + docDur(r.Onset)
	}
	return s
}

func docDur(d time.Duration) string {
	switch {
	case d == 0:
		return "none"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	default:
		return fmt.Sprintf("%g s", d.Seconds())
	}
}

func num(v float64) string { return fmt.Sprintf("%.6g", v) }

package report

import (
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/qc"
)

// InlineChecks says where a case's in-line monitor checks come from.
type InlineChecks uint8

// The sources of the checks.
const (
	// InlineChecksNone: no check recorded, none computed.
	InlineChecksNone InlineChecks = iota
	// InlineChecksRecorded: the case file's inline_check events.
	InlineChecksRecorded
	// InlineChecksComputed: computed from the samples as a replay does
	// (a file written without a console: pumpside sim --out).
	InlineChecksComputed
)

// HasRecordedInlineChecks reports whether the case file holds any
// inline_check event.
func (c *Case) HasRecordedInlineChecks() bool {
	for i := range c.Events {
		if c.Events[i].Kind == qc.Kind {
			return true
		}
	}
	return false
}

// SetComputedInlineChecks gives a case whose file holds no inline_check
// event the checks a replay of its samples made.
func (c *Case) SetComputedInlineChecks(cks []qc.Check) {
	c.computedChecks = cks
	c.checksComputed = true
}

// InlineCheckRow is one comparison of the case summary's "In-line monitor
// checks": what the case file (or the replay) says of one analyte of one
// analyser result.
type InlineCheckRow struct {
	// Checked is when the check was made (the result reached the
	// console), Drawn the sample's draw time.
	Checked, Drawn time.Time
	Side, Analyte  string
	// Unit is the stored unit the values are in.
	Unit string
	// Lab, Inline, Diff (in-line − analyser) and Tolerance; NaN when not
	// known (not compared).
	Lab, Inline, Diff, Tolerance float64
	// Outcome is passed, failed or not_compared; Reason why not compared.
	Outcome, Reason string
}

// inlineChecks fills the summary's checks from the recorded events, else
// from the computed ones.
func (s *CaseSummary) inlineChecks(c *Case) {
	var cks []qc.Check
	for i := range c.Events {
		e := &c.Events[i]
		if e.Kind != qc.Kind {
			continue
		}
		num := func(k string) (float64, bool) { v, ok := e.Num[k]; return v, ok }
		if ck, ok := qc.FromFields(e.T, num, func(k string) string { return e.Str[k] }); ok {
			cks = append(cks, ck)
			s.InlineChecksFrom = InlineChecksRecorded
		}
	}
	if s.InlineChecksFrom == InlineChecksNone && c.checksComputed {
		cks, s.InlineChecksFrom = c.computedChecks, InlineChecksComputed
	}
	for _, ck := range cks {
		for _, it := range ck.Items {
			row := InlineCheckRow{Checked: utc(ck.Time), Drawn: utc(ck.Drawn), Side: ck.Side.String(), Analyte: it.Analyte.Label(),
				Lab: it.LabValue, Inline: it.InlineValue, Diff: it.Diff, Tolerance: it.Tolerance,
				Outcome: it.Outcome.String(), Reason: it.Reason}
			if it.Lab != channel.Invalid {
				row.Unit = channel.Get(it.Lab).Unit
			}
			s.InlineChecks = append(s.InlineChecks, row)
			switch it.Outcome {
			case qc.Passed:
				s.InlinePassed++
			case qc.Failed:
				s.InlineFailed++
			default:
				s.InlineNotCompared++
			}
		}
	}
}

// InlineCheckCells is a check row as the report's table shows it: checked,
// drawn (the site's zone), sample, analyte, analyser, in-line, difference,
// tolerance (±), unit, result.
func (s *CaseSummary) InlineCheckCells(r InlineCheckRow) []string {
	f := func(v float64, prec int, sign bool) string {
		if math.IsNaN(v) {
			return none
		}
		out := strconv.FormatFloat(v, 'f', prec, 64)
		if sign && v >= 0 {
			out = "+" + out
		}
		return out
	}
	prec := 1
	switch r.Analyte {
	case "pO2", "pCO2":
		prec = 0
	}
	tol := none
	if !math.IsNaN(r.Tolerance) {
		tol = "±" + f(r.Tolerance, prec+1, false)
	}
	result := r.Outcome
	if r.Reason != "" {
		result = "not compared: " + r.Reason
	}
	return []string{s.hms(r.Checked), s.hms(r.Drawn), r.Side, r.Analyte, f(r.Lab, prec, false), f(r.Inline, prec, false),
		f(r.Diff, prec+1, true), tol, r.Unit, result}
}

// InlineCheckColumns are the headings of InlineCheckCells.
var InlineCheckColumns = []string{"checked", "drawn", "sample", "analyte", "analyser", "in-line", "difference", "tolerance", "unit", "result"}

// InlineCheckText is the section's one-line count ("12 compared: 11
// passed, 1 failed; 3 not compared"), and where the checks come from.
func (s *CaseSummary) InlineCheckText() string {
	if s.InlineChecksFrom == InlineChecksNone {
		return "none recorded"
	}
	t := strconv.Itoa(s.InlinePassed+s.InlineFailed) + " compared: " + strconv.Itoa(s.InlinePassed) + " passed, " +
		strconv.Itoa(s.InlineFailed) + " failed; " + strconv.Itoa(s.InlineNotCompared) + " not compared"
	if s.InlineChecksFrom == InlineChecksComputed {
		t += " (computed from the samples: the file records none)"
	}
	return t
}

package main

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/ui"
)

// decodeCapture runs a driver over a capture of what the analyser sent
// (testdata/qc) and returns the samples it reports, as on the wire.
func decodeCapture(t *testing.T, d devices.Driver, name string) []monitor.Sample {
	t.Helper()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	raw, err := os.ReadFile(filepath.Join("testdata", "qc", name))
	require.NoError(t, err)
	rec, err := devicetest.Decode(d, bytes.NewReader(raw))
	require.NoError(t, err)
	require.NotEmpty(t, rec.Samples, name)
	return rec.Samples
}

// TestInlineDriftCheckOnTheConsole: a console with an in-line monitor and
// two analysers (ASTM and HL7), recording. The in-line Hct is 25 % until
// 07:50, 30 % after; the in-line cable is out 07:55–08:00.
//
//   - An arterial gas drawn at 07:45 (ASTM capture) arrives at 07:52,
//     after the Hct rose: compared with the in-line values of 07:45 (Hct
//     25.5 against 25: passed), not the current 30 (which would fail).
//   - A venous gas drawn at 07:58 (HL7 capture) arrives at 08:01: no
//     in-line value at its draw time, not compared, and the record says so.
//   - An arterial gas drawn at 08:05 arrives at 08:06: Hct 34.5 against the
//     in-line 30 (−4.5, beyond ±3): failed, inline_drift (LOW) raised.
//   - The operator's recalibration at 08:08 (shortcut L, nothing typed) is
//     filled with the analyser's values and clears the condition.
//
// The replay of the case file raises and clears inline_drift at the same
// times; the report and the audit list every comparison.
func TestInlineDriftCheckOnTheConsole(t *testing.T) {
	withSecret(t)
	dir := t.TempDir()
	start := time.Date(2026, 3, 2, 7, 40, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-qc", profile: alarms.DefaultProfile(),
		stderr: io.Discard, stepped: true})
	require.NoError(t, err)
	_, cdi, err := s.addSource(watch{name: "cdi", kind: "cdi550", interval: 6 * time.Second})
	require.NoError(t, err)
	_, abl, err := s.addSource(watch{name: "abl", kind: "astm", sporadic: true})
	require.NoError(t, err)
	_, lis, err := s.addSource(watch{name: "lis", kind: "hl7", sporadic: true})
	require.NoError(t, err)
	require.NoError(t, s.sealSources(nil))

	late := decodeCapture(t, astm.New(), "arterial-late.astm")
	venous := decodeCapture(t, hl7.New(), "venous-gap.hl7")
	drift := decodeCapture(t, astm.New(), "arterial-drift.astm")
	assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), late[0].Time, "the driver stamps the collection time")
	assert.Equal(t, channel.VBGPO2, venous[2].Channel)

	at := func(hhmm string) time.Time {
		d, err := time.Parse("15:04", hhmm)
		require.NoError(t, err)
		return time.Date(2026, 3, 2, d.Hour(), d.Minute(), 0, 0, time.UTC)
	}
	arrivals := map[time.Time][]monitor.Sample{at("07:52"): late, at("08:01"): venous, at("08:06"): drift}
	sinks := map[time.Time]devices.Sink{at("07:52"): abl, at("08:01"): lis, at("08:06"): abl}
	var driftOn, driftOff time.Time
	active := func() bool {
		for _, a := range s.runner.Status().Alarms {
			if a.Alarm == "inline_drift" && a.State != alarms.Inactive {
				assert.Equal(t, alarms.Low, a.Priority)
				return true
			}
		}
		return false
	}
	for now := start; !now.After(at("08:10")); now = now.Add(time.Second) {
		cableOut := !now.Before(at("07:55")) && now.Before(at("08:00"))
		if now.Sub(start)%(6*time.Second) == 0 && !cableOut {
			hct := 25.0
			if !now.Before(at("07:50")) {
				hct = 30
			}
			for id, v := range map[channel.ID]float64{channel.InlineArtPO2: 200, channel.InlineArtPCO2: 40, channel.InlineArtSO2: 99.5,
				channel.InlineHct: hct, channel.InlineK: 4.0, channel.InlineVenPO2: 40, channel.InlineVenSO2: 72, channel.InlineVenPCO2: 45} {
				cdi.Put(monitor.Sample{Time: now.UnixNano(), Channel: id, Value: v, Quality: channel.OK})
			}
		}
		for _, smp := range arrivals[now] {
			sinks[now].Put(smp)
		}
		clk.Set(now)
		s.p.Advance(now)
		s.step(now)
		if now.Equal(at("08:08")) {
			// Half a second after the evaluation of 08:08:00, the
			// operator presses L and confirms.
			require.True(t, active(), "raised by the 08:05 gas")
			press := now.Add(500 * time.Millisecond)
			clk.Set(press)
			s.onAction(ui.EnterEvent{Kind: viewKinds[entry.KindInlineRecalibration], Time: press.UnixNano(), Value: math.NaN()})
			require.Empty(t, s.LastError())
		}
		switch on := active(); {
		case on && driftOn.IsZero():
			driftOn = now
		case !on && !driftOn.IsZero() && driftOff.IsZero():
			driftOff = now
		}
	}
	assert.Equal(t, at("08:06"), driftOn, "raised when the failing result arrived")
	assert.Equal(t, at("08:08").Add(time.Second), driftOff, "cleared at the evaluation after the recalibration")

	// The recalibration entry: the analyser's values, by the operator.
	var recal entry.Entry
	for _, e := range s.entries {
		if e.Kind == entry.KindInlineRecalibration {
			recal = e
		}
	}
	assert.Equal(t, "operator", recal.Who)
	assert.Equal(t, map[string]float64{"po2": 207, "pco2": 40, "hct": 34.5, "k": 4.0}, recal.Num)
	assert.Equal(t, "arterial", recal.Str["side"])

	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	c, err := report.Load(f, nil)
	f.Close()
	require.NoError(t, err)
	sum, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, report.InlineChecksRecorded, sum.InlineChecksFrom)
	rows := map[string]report.InlineCheckRow{}
	for _, r := range sum.InlineChecks {
		rows[r.Drawn.Format("15:04")+" "+r.Side+" "+r.Analyte] = r
	}
	hct := rows["07:45 arterial Hct"]
	assert.Equal(t, 25.0, hct.Inline, "the in-line Hct at the draw time")
	assert.Equal(t, "passed", hct.Outcome)
	assert.Equal(t, at("07:52"), hct.Checked)
	for _, a := range []string{"pO2", "pCO2", "SO2"} {
		r := rows["07:58 venous "+a]
		assert.Equal(t, "not_compared", r.Outcome, a)
		assert.Equal(t, qc.ReasonNoInline, r.Reason, a)
	}
	assert.Equal(t, "failed", rows["08:05 arterial Hct"].Outcome)
	assert.Equal(t, -4.5, rows["08:05 arterial Hct"].Diff)
	// 07:45: pO2 205/200, pCO2 41/40, SO2 98.9/99.5, Hct 25.5/25, K+
	// 4.1/4.0 pass; 08:05: pO2 207/200, pCO2 40/40, SO2 99.0/99.5, K+
	// 4.0/4.0 pass, Hct 34.5/30 fails; 07:58 venous pCO2, pO2, SO2 not
	// compared (pH is not an analyte of the check).
	assert.Equal(t, 9, sum.InlinePassed)
	assert.Equal(t, 1, sum.InlineFailed)
	assert.Equal(t, 3, sum.InlineNotCompared)

	// The replay raises and clears inline_drift when the console did.
	af := filepath.Join(dir, "alarms.jsonl")
	code, _, errs := run("replay", files[0], "--headless", "--speed", "max", "--alarms-out", af)
	require.Equal(t, 0, code, errs)
	raw, err := os.ReadFile(af)
	require.NoError(t, err)
	trs, err := alarms.ReadJSONLines(bytes.NewReader(raw))
	require.NoError(t, err)
	var replayed []string
	for _, tr := range trs {
		if tr.Alarm == "inline_drift" {
			replayed = append(replayed, tr.State.TransitionName()+" "+time.Unix(0, tr.Time).UTC().Format("15:04:05"))
		}
	}
	var live []string
	for _, a := range c.Alarms {
		if a.Alarm == "inline_drift" {
			live = append(live, a.State+" "+time.Unix(0, a.T).UTC().Format("15:04:05"))
		}
	}
	assert.Equal(t, []string{"active 08:06:00", "cleared 08:08:01"}, replayed)
	assert.Equal(t, replayed, live, "replay reproduces live")

	// The replay console, seeking, sets the condition from the recorded
	// checks too.
	rc, err := replay.Open(files[0], nil)
	require.NoError(t, err)
	defer rc.Close()
	r := newReplayer(rc, alarms.DefaultProfile(), io.Discard)
	for _, c := range []struct {
		at time.Time
		on bool
	}{{at("08:05").Add(59 * time.Second), false}, {at("08:06"), true}, {at("08:08"), true}, {at("08:08").Add(time.Second), false}} {
		rs, err := r.build(c.at.UnixNano())
		require.NoError(t, err)
		assert.Nil(t, rs.s.qcCheck, "the recorded checks, not recomputed ones")
		assert.Equal(t, c.on, rs.s.drift.Active(), "replay console at %v", c.at)
	}

	// The report and the audit list every comparison.
	out := filepath.Join(dir, "r.html")
	code, _, errs = run("report", files[0], "--format", "html", "--out", out)
	require.Equal(t, 0, code, errs)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	sec := string(page[strings.Index(string(page), "In-line monitor checks"):])
	assert.Contains(t, sec, "10 compared: 9 passed, 1 failed; 3 not compared")
	assert.Contains(t, sec, "not compared: "+qc.ReasonNoInline)
	assert.Equal(t, 13, strings.Count(sec[:strings.Index(sec, "</section>")], "<tr><td>"), "one row per comparison")
	code, _, errs = run("audit", dir, "--out", filepath.Join(dir, "a.html"))
	require.Equal(t, 0, code, errs)
	page, err = os.ReadFile(filepath.Join(dir, "a.html"))
	require.NoError(t, err)
	sec = string(page[strings.Index(string(page), `id="inline-checks"`):])
	assert.Equal(t, 13, strings.Count(sec, "<tr><td>"), "the audit lists every comparison")
	assert.Contains(t, string(page), "<td>9/1/3</td>")
}

// The recalibration entry takes the failed check's analyser values, but a
// value the operator typed wins; SO2 has no field; without a failed check
// nothing is filled.
func TestInlineRecalDefaults(t *testing.T) {
	var d qc.Drift
	e := entry.Entry{Kind: entry.KindInlineRecalibration}
	inlineRecalDefaults(&e, &d)
	assert.Empty(t, e.Num)
	d.Checked(&qc.Check{Time: 10, Side: qc.Venous, Items: []qc.Comparison{
		{Analyte: qc.SO2, LabValue: 70, Outcome: qc.Failed},
		{Analyte: qc.Hct, LabValue: 27, Outcome: qc.Passed},
		{Analyte: qc.PO2, LabValue: 41, Outcome: qc.Passed},
		{Analyte: qc.K, LabValue: math.NaN(), Reason: qc.ReasonNoVenousK},
	}})
	e.SetNum("hct", 26)
	inlineRecalDefaults(&e, &d)
	assert.Equal(t, map[string]float64{"hct": 26, "po2": 41}, e.Num)
	assert.Equal(t, "venous", e.Str["side"])
}

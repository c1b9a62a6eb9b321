package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/ui"
)

// An analyser result without its specimen goes on bg.*, is shown with the
// one-key prompt, and once assigned is on abg.* (derived values and alarms
// use it) with an audited entry; the report lists it as ABG, and lists an
// unassigned one as BG?, never dropping it (issue 12).
func TestSpecimenPromptAndAssignment(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-bg", profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	pr, sink, err := s.addSource(watch{name: "gem", transport: "tcp", watched: true, sporadic: true})
	require.NoError(t, err)
	require.NoError(t, s.sealSources([]*monitor.Producer{pr}))

	sample := builtinCaseStart.Add(40 * time.Minute).UnixNano()
	put := func(at int64, vals map[channel.ID]float64) {
		for id, v := range vals {
			sink.Put(monitor.Sample{Time: at, Channel: id, Value: v, Quality: channel.OK})
		}
	}
	put(sample, map[channel.ID]float64{channel.BGPH: 7.38, channel.BGPO2: 212.4, channel.BGHb: 9.84, channel.BGK: 4.1})
	now := builtinCaseStart.Add(45 * time.Minute)
	clk.Set(now)
	s.p.Step(now)

	st := s.viewState(s.runner.Status(), s.p.Latest())
	require.NotNil(t, st.Specimen, "the prompt")
	assert.Equal(t, sample, st.Specimen.Sample)
	assert.Equal(t, "gem", st.Specimen.Source)
	assert.Equal(t, "pH 7.38  pO2 212  Hb 9.8  K+ 4.1", st.Specimen.Summary)
	assert.False(t, s.p.Latest().Reading(channel.ABGPO2).OK(), "never guessed into abg.*")

	s.onAction(ui.AssignSpecimen{Sample: sample, Source: "gem", Specimen: "arterial", Time: now.UnixNano()})
	require.Empty(t, s.LastError())
	s.p.Step(now.Add(time.Second))
	snap := s.p.Latest()
	assert.Equal(t, 212.4, snap.Reading(channel.ABGPO2).Value)
	assert.Equal(t, sample, snap.Reading(channel.ABGPO2).Time, "at the sample's time")
	assert.Equal(t, "operator", snap.SourceName(snap.Reading(channel.ABGPO2).Source))
	assert.Nil(t, s.viewState(s.runner.Status(), snap).Specimen, "assigned: the prompt is gone")
	s.onAction(ui.AssignSpecimen{Sample: sample, Source: "gem", Specimen: "venous", Time: now.UnixNano() + 1})
	assert.False(t, s.p.Latest().Reading(channel.VBGPO2).OK(), "a second key press changes nothing")

	// A second result, left unassigned.
	later := builtinCaseStart.Add(70 * time.Minute).UnixNano()
	put(later, map[channel.ID]float64{channel.BGPH: 7.35, channel.BGPO2: 45})
	s.p.Step(time.Unix(0, later).Add(time.Second))
	require.NotNil(t, s.viewState(s.runner.Status(), s.p.Latest()).Specimen)

	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	c, err := report.Load(f, nil)
	require.NoError(t, err)
	var specimen *report.Event
	for i := range c.Events {
		if c.Events[i].Kind == "specimen" {
			specimen = &c.Events[i]
		}
	}
	require.NotNil(t, specimen, "the assignment is an entry of the record")
	assert.Equal(t, "arterial", specimen.Str["specimen"])
	assert.Equal(t, strconv.FormatInt(sample, 10), specimen.Str["sample_time"])
	assert.Equal(t, "operator", specimen.Who)
	sum, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Secret: []byte("site-secret-for-tests-only")})
	require.NoError(t, err)
	require.Len(t, sum.BloodGases, 2)
	assert.Equal(t, "ABG", sum.BloodGases[0].Sample)
	assert.Equal(t, 212.4, sum.BloodGases[0].Values["po2"])
	assert.Equal(t, "BG?", sum.BloodGases[1].Sample, "unassigned: listed, never dropped")
	assert.Contains(t, sum.Missing, "blood gas at 09:10:00: specimen not stated (listed as BG?; assign it arterial or venous)")
}

// A result left without its specimen can be assigned afterwards from the
// command line: the entry and the result on its panel are appended, and
// the report lists it under that panel.
func TestAssignSpecimenFromTheCommandLine(t *testing.T) {
	withSecret(t)
	path := filepath.Join(t.TempDir(), "bg.case")
	require.NoError(t, os.WriteFile(path, []byte(
		"event,case=C-bg,kind=on_bypass text=\"On\" 1772352000000000000\n"+
			"bg,case=C-bg,source=gem ph=7.41,po2=230,k=4.4 1772352600000000000\n"+
			"pump,case=C-bg,source=hlm flow=4.4 1772353200000000000\n"), 0o600))
	code, _, errs := run("event", "add", path, "--kind", "specimen", "--sample-time", "2026-03-01T08:10:00Z", "--specimen", "venous", "--who", "ab", "--at", "2026-03-01T08:30:00Z")
	require.Equal(t, 0, code, errs)
	code, _, errs = run("event", "add", path, "--kind", "specimen", "--sample-time", "2026-03-01T08:11:00Z", "--specimen", "venous", "--who", "ab", "--at", "2026-03-01T08:30:00Z")
	require.Equal(t, 2, code, "no result at that time")
	assert.Contains(t, errs, "no analyser result without its specimen (bg.*) at 2026-03-01T08:11:00Z")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "vbg,case=C-bg,source=operator k=4.4 1772352600000000000")
	assert.Contains(t, string(b), `sample_time="1772352600000000000"`)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	c, err := report.Load(f, nil)
	require.NoError(t, err)
	sum, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Secret: []byte("site-secret-for-tests-only")})
	require.NoError(t, err)
	require.Len(t, sum.BloodGases, 1)
	assert.Equal(t, "VBG", sum.BloodGases[0].Sample)
	assert.Equal(t, 230.0, sum.BloodGases[0].Values["po2"])
}

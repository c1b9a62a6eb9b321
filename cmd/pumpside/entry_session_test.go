package main

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/ui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionEntryValidation(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	now := builtinCaseStart.Add(time.Hour)
	clk.Set(now)
	drug := viewKinds["drug"]

	s.onAction(ui.EnterEvent{Kind: drug, Time: now.UnixNano(), Text: "heparin 300000 IU iv", Value: math.NaN()})
	assert.Contains(t, s.LastError(), "drug dose 300000 IU is outside the range for heparin; allowed: 100–100000 IU")
	assert.Equal(t, 0, s.tl.Len())
	assert.Equal(t, s.LastError(), s.viewState(s.runner.Status(), s.p.Latest()).Refusal, "the GUI shows the refusal")
	s.onAction(ui.EnterEvent{Kind: viewKinds["note"], Time: builtinCaseStart.Add(-time.Minute).UnixNano(), Text: "x", Value: math.NaN()})
	assert.Contains(t, s.LastError(), "before the case start")

	at := now.Add(-5 * time.Minute).UnixNano()
	s.onAction(ui.EnterEvent{Kind: drug, Time: at, Text: "Heparin 30000 IU iv", Value: math.NaN()})
	assert.Empty(t, s.LastError())
	s.onAction(ui.EnterEvent{Kind: drug, Time: at, Text: "protamine 300 mg iv", Value: math.NaN()})
	require.Equal(t, 2, s.tl.Len())
	st := s.viewState(s.runner.Status(), s.p.Latest())
	require.Len(t, st.Events, 2)
	assert.Equal(t, strconv.FormatInt(at, 10), st.Events[0].ID)
	assert.Equal(t, strconv.FormatInt(at+1, 10), st.Events[1].ID, "same time: the second is 1 ns later")

	s.onAction(ui.EditEvent{ID: st.Events[0].ID, Time: at, Text: "Heparin 250000 IU iv", At: now.UnixNano()})
	assert.Contains(t, s.LastError(), "dose 250000 IU")
	s.onAction(ui.EditEvent{ID: st.Events[0].ID, Time: at, Text: "Heparin 25000 IU iv", At: now.UnixNano()})
	assert.Empty(t, s.LastError())
	s.onAction(ui.EditEvent{ID: st.Events[1].ID, Time: at + 1, Text: "protamine 300 mg iv", Void: true, At: now.UnixNano() + 1})
	st = s.viewState(s.runner.Status(), s.p.Latest())
	assert.True(t, st.Events[0].Edited)
	assert.Equal(t, "Heparin 25000 IU iv", st.Events[0].Text)
	assert.True(t, st.Events[1].Void)

	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	c, err := report.Load(f, nil)
	require.NoError(t, err)
	sum, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Secret: []byte("site-secret-for-tests-only")})
	require.NoError(t, err)
	require.Len(t, sum.Drugs, 1, "protamine voided")
	assert.Equal(t, report.DrugTotal{Name: "heparin", Unit: "IU", Total: 25000, Count: 1}, sum.Drugs[0])
	t.Log(logs.String())
}

// TestArtifactFromTheButton: the ARTIFACT button with a channel in the
// details marks that channel over the last minute; without, every channel.
func TestArtifactFromTheButton(t *testing.T) {
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	now := builtinCaseStart.Add(time.Hour)
	clk.Set(now)
	s.onAction(ui.EnterEvent{Kind: viewKinds["artifact"], Time: now.UnixNano(), Text: "flush pump.flow", Value: math.NaN()})
	require.Empty(t, s.LastError())
	s.onAction(ui.EnterEvent{Kind: viewKinds["artifact"], Time: now.UnixNano(), Text: "", Value: math.NaN()})
	require.Empty(t, s.LastError())
	evs := s.tl.Events(nil)
	require.Len(t, evs, 2)
	assert.Equal(t, now.Add(-time.Minute).UnixNano(), evs[0].Time, "the minute up to the press")
	var chans []string
	for _, e := range s.entries {
		chans = append(chans, e.Str["channel"])
		assert.Equal(t, float64(now.UnixNano()), e.Num["end"])
	}
	assert.ElementsMatch(t, []string{"pump.flow", "all"}, chans)
}

// run --resume says what it cut from a case file torn by a crash (issue 22).
func TestResumeSaysWhatItCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torn.case")
	require.NoError(t, os.WriteFile(path, []byte("event,case=C-torn,kind=on_bypass text=\"On\" 1772352060000000000\n"+
		"pump,case=C-torn,source=hlm flow=4.1 17723520610"), 0o600))
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clock.NewManual(builtinCaseStart), resume: path, profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	require.NoError(t, s.rec.Close())
	assert.Contains(t, logs.String(), "cut 48 bytes torn by the crash from its end")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "flow=4.1 17723520610")
}

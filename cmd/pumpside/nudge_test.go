package main

import (
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
	"github.com/stretchr/testify/require"
)

// TestBackdatedEntryKeepsItsTime: an entry the operator dates ten minutes
// back, behind a later event, is recorded at its own time, and an edit that
// names it by that time applies.
func TestBackdatedEntryKeepsItsTime(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	now := builtinCaseStart.Add(time.Hour)
	clk.Set(now)
	s.onAction(ui.EnterEvent{Kind: viewKinds["note"], Time: now.UnixNano(), Text: "n", Value: math.NaN()})
	at := now.Add(-10 * time.Minute).UnixNano()
	s.onAction(ui.EnterEvent{Kind: viewKinds["drug"], Time: at, Text: "heparin 30000 IU", Value: math.NaN()})
	s.onAction(ui.EditEvent{ID: strconv.FormatInt(at, 10), Time: at, Void: true, At: now.UnixNano() + 5})
	require.Empty(t, s.LastError())
	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.Contains(t, string(b), "kind=drug")
	require.Contains(t, string(b), " "+strconv.FormatInt(at, 10)+"\n", "the drug line keeps its time")
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	c, err := report.Load(f, nil)
	require.NoError(t, err)
	require.Empty(t, c.EditProblems)
	require.Len(t, c.Voided, 1, "the void names the drug entry by its time")
}

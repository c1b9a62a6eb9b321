package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/ui"
)

// TestSessionRecordEntries: the set-up screen's entries are checked as
// entries, recorded together or not at all, shown back in State.Record;
// a manual blood gas's results reach the pipeline on abg.* from the
// operator's source, and the alarm engine raises lactate_high on them as
// it would on an analyser's; the report reads it all back.
func TestSessionRecordEntries(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-rec", profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	require.NoError(t, s.sealSources(nil))
	now := builtinCaseStart.Add(20 * time.Minute)
	clk.Set(now)
	at := now.UnixNano()
	mk := func(kind string, t int64, set func(*entry.Entry)) entry.Entry {
		e := entry.Entry{Kind: kind, Time: t}
		set(&e)
		return e
	}

	// One bad entry: nothing of the batch is recorded.
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{
		mk(entry.KindTeam, at, func(e *entry.Entry) { e.SetStr("perfusionist", "A. Perfusionist") }),
		mk(entry.KindDisposable, at, func(e *entry.Entry) { e.SetStr("item", "oxygenator").SetStr("lot", "OX\x1b[2J") }),
	}})
	assert.Equal(t, "disposable lot has a control character; allowed: printable text up to 40 bytes", s.LastError())
	assert.Zero(t, s.tl.Len())
	assert.Empty(t, s.viewState(s.runner.Status(), s.p.Latest()).Record)

	s.onAction(ui.RecordEntries{Entries: []entry.Entry{
		mk(entry.KindTeam, at, func(e *entry.Entry) { e.SetStr("perfusionist", "A. Perfusionist") }),
		mk(entry.KindDisposable, at, func(e *entry.Entry) { e.SetStr("item", "oxygenator").SetStr("lot", "OX-2611") }),
	}})
	require.Empty(t, s.LastError())
	rec := s.viewState(s.runner.Status(), s.p.Latest()).Record
	require.Len(t, rec, 2)
	assert.Equal(t, at+1, rec[1].Time, "same time: 1 ns later, an entry's time is its identity")
	assert.Equal(t, "operator", rec[0].Who)

	// The patient's size and bypass, then a manual arterial gas with a
	// lactate of 4.4 (the form has already turned the site's units into
	// the channels').
	s.onAction(ui.ApplySetup{Setup: ui.SetupView{HeightCm: 175, WeightKg: 80}, Time: at})
	s.onAction(ui.EnterEvent{Kind: viewKinds["on_bypass"], Time: at})
	sample := now.Add(-2 * time.Minute).UnixNano()
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{mk(entry.KindBloodGas, sample, func(e *entry.Entry) {
		e.SetStr("sample", "arterial").SetNum("lactate", 4.4).SetNum("hb", 9.5).SetNum("k", 4.6)
	})}})
	require.Empty(t, s.LastError())
	s.p.Step(now.Add(time.Second))
	snap := s.p.Latest()
	r := snap.Reading(channel.ABGLactate)
	assert.Equal(t, 4.4, r.Value)
	assert.Equal(t, sample, r.Time, "at the sample's time")
	assert.Equal(t, "operator", snap.SourceName(r.Source))
	assert.True(t, snap.Reading(channel.ABGHb).OK())
	for i := range 3 {
		clk.Set(now.Add(time.Duration(2+i*10) * time.Second))
		s.p.Step(clk.Now())
		s.runner.Step()
	}
	var raised bool
	for _, a := range s.runner.Status().Alarms {
		raised = raised || a.Alarm == "lactate_high"
	}
	assert.True(t, raised, "lactate_high on the manual gas: %+v", s.runner.Status().Alarms)

	// A value the channel refuses is refused before anything is written.
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{mk(entry.KindBloodGas, sample, func(e *entry.Entry) {
		e.SetStr("sample", "arterial").SetNum("k", 45)
	})}})
	assert.Contains(t, s.LastError(), "blood_gas k 45 mmol/L is outside the range")

	s.onAction(ui.RecordEntries{Entries: []entry.Entry{mk(entry.KindSignOff, clk.Now().UnixNano(), func(e *entry.Entry) { e.SetStr("name", "A. Perfusionist") })}})
	require.Empty(t, s.LastError())

	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	require.Len(t, files, 1)
	f, err := os.Open(files[0])
	require.NoError(t, err)
	defer f.Close()
	var bad []string
	c, err := report.Load(f, func(e *record.LineError) { bad = append(bad, e.Error()) })
	require.NoError(t, err)
	assert.Empty(t, bad, "every line a reader takes whole: the case set-up's metadata carries the constants in force")
	assert.Equal(t, 175.0, c.Meta.HeightCm)
	assert.Equal(t, monitor.DefaultSettings().Constants.BSAFormula.String(), c.Meta.BSAFormula, "the set-up changes the size, not the formulas")
	sum, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, "A. Perfusionist", sum.Team.Perfusionist)
	require.Len(t, sum.Disposables, 1)
	assert.Equal(t, "OX-2611", sum.Disposables[0].Lot)
	assert.True(t, sum.SignOff.Signed())
	require.Len(t, sum.BloodGases, 1)
	assert.Equal(t, "ABG", sum.BloodGases[0].Sample)
	assert.Equal(t, 4.4, sum.BloodGases[0].Values["lactate"])
}

package main

import (
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gioui.org/layout"
	"gioui.org/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/view"
)

// TestRunProfile: --profile names a built-in or a file; without it the
// mode chooses (ecmo: the ECMO profile).
func TestRunProfile(t *testing.T) {
	p, err := runProfile("", "ecmo")
	require.NoError(t, err)
	assert.Equal(t, "Pumpside ECMO", p.Name)
	p, err = runProfile("", "bypass")
	require.NoError(t, err)
	assert.Equal(t, alarms.DefaultProfile().Name, p.Name)
	p, err = runProfile("default", "ecmo")
	require.NoError(t, err)
	assert.Equal(t, alarms.DefaultProfile().Name, p.Name, "--profile wins over the mode")
	p, err = runProfile("ecmo", "bypass")
	require.NoError(t, err)
	assert.Equal(t, "Pumpside ECMO", p.Name)
	_, err = runProfile("ecls", "ecmo")
	assert.ErrorContains(t, err, "no built-in profile")
	path := filepath.Join(t.TempDir(), "site.toml")
	require.NoError(t, os.WriteFile(path, alarms.BuiltinProfileTOML(alarms.ProfileECMO), 0o600))
	p, err = runProfile(path, "bypass")
	require.NoError(t, err)
	assert.Equal(t, path, p.Source)
	_, err = runProfile(filepath.Join(t.TempDir(), "none.toml"), "ecmo")
	assert.Error(t, err)
}

// ecmoTimers lays the console out on st in ECMO mode and returns its timer
// strip.
func ecmoTimers(t *testing.T, st *ui.State, snap *monitor.Snapshot, now time.Time) []string {
	t.Helper()
	sc := view.NewScreens(view.Options{CaseStart: builtinCaseStart, ECMO: true, Oxygenator: true, Zone: time.UTC})
	var ops op.Ops
	sc.Layout(layout.Context{Ops: &ops, Now: now, Constraints: layout.Exact(image.Pt(1920, 1080))}, theme.NewDark(), snap, st, now)
	return sc.Monitor.Timers()
}

// TestECMORunTimersAndReplay: a session in ECMO mode (as `run --mode ecmo`
// builds it) on the built-in simulator, recorded as a segmented run: it
// records its mode and an ecmo_start at the case start, its alarm engine
// runs the ECMO profile, the operator's oxygenator change at 12 min
// restarts the oxygenator's age, and at 30 min the console shows run
// 00 h 30 m, oxygenator 00 h 18 m, circuit 00 h 30 m. The replay of the run takes its mode from the record: the
// ECMO profile and the same timers.
func TestECMORunTimersAndReplay(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	prof, err := runProfile("", record.ModeECMO)
	require.NoError(t, err)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-ecmo", caseStart: builtinCaseStart, profile: prof,
		stderr: io.Discard, segment: 10 * time.Minute, ecmo: true})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)
	f.stepTo(15 * time.Minute)
	clk.Set(builtinCaseStart.Add(15 * time.Minute))
	oxyAt := builtinCaseStart.Add(12 * time.Minute)
	s.onAction(ui.EnterEvent{Kind: view.EventOxygenatorChange, Time: oxyAt.UnixNano(), Text: "clot at the inlet", Value: math.NaN()})
	require.Empty(t, s.LastError())
	require.Equal(t, oxyAt.UnixNano(), s.tl.At(oxyAt.UnixNano()).Oxygenator, "the entry reached the timeline")
	at := 30 * time.Minute
	f.stepTo(at)
	now := builtinCaseStart.Add(at)
	clk.Set(now)
	s.runner.Step()

	st := s.viewState(s.runner.Status(), s.p.Latest())
	settings := map[string]bool{}
	for _, ls := range st.Settings {
		settings[ls.Alarm] = true
	}
	assert.True(t, settings["circuit_temp_low"] && settings["anticoag_check_due"], "the ECMO profile's rules: %v", settings)
	assert.False(t, settings["do2i_low"], "no bypass rule")
	want := []string{"00 h 30 m", "00 h 18 m", "00 h 30 m"}
	live := ecmoTimers(t, st, s.p.Latest(), now)
	assert.Equal(t, want, live[:3])
	require.NoError(t, s.rec.Close())

	c, err := replay.Open(s.rec.Path(), nil)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, record.ModeECMO, c.Meta.Mode, "the mode is in the record")
	starts := 0
	for _, e := range c.Events {
		if e.Kind == timeline.KindECMOStart {
			starts++
			assert.Equal(t, builtinCaseStart.UnixNano(), e.Time)
		}
	}
	assert.Equal(t, 1, starts, "one ecmo_start, at the case start")
	rp := caseProfile(c)
	assert.Equal(t, "Pumpside ECMO", rp.Name)
	r := newReplayer(c, rp, io.Discard)
	rs, err := r.build(now.UnixNano())
	require.NoError(t, err)
	rst := rs.s.viewState(rs.s.runner.Status(), rs.s.p.Latest())
	assert.Equal(t, live, ecmoTimers(t, rst, rs.s.p.Latest(), now), "the replay shows the same timers")
}

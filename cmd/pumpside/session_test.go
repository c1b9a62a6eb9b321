package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
)

// TestSessionWiring drives a console session headless on the built-in case:
// the simulator's events reach the timeline and the record, the alarm
// context follows the case's phase, the GUI's state lists the devices, the
// events and the alarms, and operator entries go to the timeline, the
// pipeline and the record.
func TestSessionWiring(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)

	at := 40 * time.Minute
	f.stepTo(at)
	now := builtinCaseStart.Add(at)
	clk.Set(now)
	s.runner.Step()

	var actx alarms.Context
	s.fillContext(now, s.p.Latest(), &actx)
	assert.Equal(t, alarms.Bypass, actx.Phase, "40 min into the routine case is on bypass")
	assert.NotZero(t, actx.LastACT)
	watched := 0
	for _, d := range actx.Devices {
		if d.State != alarms.DeviceAbsent {
			watched++
			assert.NotZero(t, d.Interval)
		}
	}
	assert.GreaterOrEqual(t, watched, 4, "pump, monitor, in-line monitor, NIRS, oximeter")

	st := s.viewState(s.runner.Status(), s.p.Latest())
	require.NotEmpty(t, st.Devices)
	for _, d := range st.Devices {
		assert.False(t, d.State.Lost(), "%s lost while the case runs", d.Name)
	}
	kinds := map[ui.EventKind]bool{}
	for _, e := range st.Events {
		kinds[e.Kind] = true
	}
	assert.True(t, kinds[viewKinds[timeline.KindOnBypass]], "on bypass in the GUI's events")
	assert.NotEmpty(t, st.Limits, "alarm limits for the tiles")
	assert.NotEmpty(t, st.Settings, "adjustable limits")

	// The operator enters an ACT result and a note.
	actAt := now.Add(time.Second).UnixNano()
	s.onAction(ui.EnterEvent{Kind: viewKinds[timeline.KindACT], Time: actAt, Text: "ACT 512", Value: 512})
	s.onAction(ui.EnterEvent{Kind: viewKinds["note"], Time: actAt, Text: "sample sent", Value: math.NaN()})
	assert.Equal(t, actAt, s.tl.At(actAt).LastACT)
	clk.Set(now.Add(2 * time.Second))
	snap := s.p.Step(now.Add(2 * time.Second))
	r := snap.Reading(channel.ACTSeconds)
	assert.Equal(t, 512.0, r.Value)
	assert.Equal(t, "operator", snap.SourceName(r.Source))

	// An unknown alarm acknowledged: refused by the engine, never a crash.
	s.onAction(ui.Acknowledge{Alarm: "no_such_alarm"})
	s.onAction(ui.Seek{Time: actAt})
	assert.Contains(t, logs.String(), "replay only")

	require.NoError(t, s.rec.Close())
	files, _ := filepath.Glob(filepath.Join(dir, "*.case"))
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	for _, want := range []string{"kind=on_bypass", "kind=act", `text="sample sent"`, "source=operator"} {
		assert.True(t, strings.Contains(string(data), want), "the record lacks %s; log:\n%s", want, logs.String())
	}
}

// TestInstructorPanel: the GUI's instructor buttons reach the simulator,
// and its fault events light the button.
func TestInstructorPanel(t *testing.T) {
	clk := clock.NewManual(builtinCaseStart)
	var logs bytes.Buffer
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: &logs})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)
	f.stepTo(30 * time.Minute)
	st := s.viewState(s.runner.Status(), s.p.Latest())
	require.NotNil(t, st.Instructor)
	require.Contains(t, st.Instructor.Faults, "vasoplegia")

	s.onAction(ui.InjectFault{Name: "vasoplegia"})
	f.stepTo(31 * time.Minute) // the case takes the command at its next second
	st = s.viewState(s.runner.Status(), s.p.Latest())
	i := slices.Index(st.Instructor.Faults, "vasoplegia")
	require.Len(t, st.Instructor.Active, len(st.Instructor.Faults))
	assert.True(t, st.Instructor.Active[i], "the fault is active")

	s.onAction(ui.InjectFault{Name: "vasoplegia", Clear: true})
	f.stepTo(32 * time.Minute)
	st = s.viewState(s.runner.Status(), s.p.Latest())
	assert.False(t, st.Instructor.Active[i], "the fault is cleared")
	s.onAction(ui.InjectFault{Name: "no-such-fault"})
	assert.Contains(t, logs.String(), "instructor")
}

// TestResumeCase: a console restarted in the middle of a case continues it:
// the events put the case back on bypass, and the record goes on in the
// same file under the same case id, nothing before it changed.
func TestResumeCase(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-resume", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)
	f.stepTo(30 * time.Minute)
	require.NoError(t, s.rec.Close())
	path := s.rec.Path()
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	at := builtinCaseStart.Add(31 * time.Minute)
	clk.Set(at)
	r, err := newSession(sessionOptions{clk: clk, resume: path, caseID: "C-other", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	st := r.tl.At(at.UnixNano())
	assert.Equal(t, timeline.Bypass, st.Phase)
	assert.Positive(t, st.Bypass)
	r.addEvent(at.UnixNano(), "note", "console restarted")
	require.NoError(t, r.rec.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(after, before), "the record before the restart is untouched")
	tail := string(after[len(before):])
	assert.True(t, strings.Contains(tail, "case=C-resume") && strings.Contains(tail, "console restarted"), tail)
	assert.NotContains(t, tail, "C-other")

	_, err = newSession(sessionOptions{clk: clk, resume: filepath.Join(dir, "none.case"), profile: alarms.DefaultProfile(), stderr: io.Discard})
	assert.Error(t, err)
}

// TestAlarmSystemFailureShown: the runner's failure heads the banner as a
// HIGH technical alarm.
func TestAlarmSystemFailureShown(t *testing.T) {
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	st := s.viewState(&live.Status{Failure: "alarm system failure: boom"}, s.p.Latest())
	require.NotEmpty(t, st.Alarms)
	assert.Equal(t, "alarm_system_failure", st.Alarms[0].ID)
	assert.Equal(t, ui.Priority(alarms.High), st.Alarms[0].Priority)
}

// TestUploadFailedReachesTheAlarms: a shipper that cannot reach its server
// sets the engine's upload_failed input; the local record goes on.
func TestUploadFailedReachesTheAlarms(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-up", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	s.addEvent(builtinCaseStart.Add(time.Second).UnixNano(), "note", "first line")
	require.NoError(t, s.rec.Flush())
	addr := freeLoopbackAddr(t) // nothing listens there
	sh, err := record.NewShipper(s.rec.Path(), record.ShipperOptions{
		Config:     record.Config{URL: "http://" + addr, Bucket: "db/autogen", Token: "x"},
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 10 * time.Millisecond, Timeout: time.Second,
	})
	require.NoError(t, err)
	defer sh.Close()
	s.shipper = sh
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sh.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var actx alarms.Context
	require.Eventually(t, func() bool {
		s.fillContext(clk.Now(), s.p.Latest(), &actx)
		return actx.UploadFailed
	}, 10*time.Second, 20*time.Millisecond, "upload_failed while the server is unreachable")
	require.NoError(t, s.rec.Close())
}

// TestLiveSessionReusesSnapshots runs a whole console session live (the
// pipeline goroutine, the alarm runner, the state builder, the recorder,
// the simulator in real time) with a frame loop acquiring and releasing as
// ui.Run does: the readers give their snapshots back, so the pipeline
// reuses them instead of allocating one per publish, and no release is one
// too many (that panics).
func TestLiveSessionReusesSnapshots(t *testing.T) {
	// 20× real time: data at every 100 ms wake-up, so a publish each.
	clk, err := clock.NewScaled(clock.Wall{}, builtinCaseStart.Add(30*time.Minute), 20)
	require.NoError(t, err)
	s, err := newSession(sessionOptions{clk: clk, recordDir: t.TempDir(), caseID: "C-live", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)
	f.stepTo(30 * time.Minute)
	reused0, allocated0 := s.p.SnapshotCounts() // the pre-roll's
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { f.run(ctx, clk) })
	wg.Go(func() {
		for ctx.Err() == nil { // the window: a frame every 50 ms
			snap := s.p.Acquire()
			_ = snap.Reading(channel.DerivedDO2i)
			time.Sleep(50 * time.Millisecond)
			snap.Release()
		}
	})
	wait := s.start(ctx)
	time.Sleep(3 * time.Second)
	cancel()
	wg.Wait()
	wait()
	reused, allocated := s.p.SnapshotCounts()
	reused, allocated = reused-reused0, allocated-allocated0
	t.Logf("live: %d publishes, %d reused a snapshot, %d allocated one", reused+allocated, reused, allocated)
	assert.GreaterOrEqual(t, reused+allocated, uint64(15), "a publish every 100 ms for 3 s")
	assert.LessOrEqual(t, allocated, uint64(4), "the latest, and one for each reader holding one")
	assert.True(t, s.p.Latest().Reading(channel.DerivedDO2i).OK(), "the live case computes DO2i")
}

package alarms_test

import (
	"bytes"
	"errors"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// rig is an engine on the default profile with a snapshot and context to
// drive by hand.
type rig struct {
	t    *testing.T
	eng  *alarms.Engine
	log  *captureLog
	snap *monitor.Snapshot
	ctx  alarms.Context
	now  time.Time
}

func newRig(t *testing.T, prof *alarms.Profile) *rig {
	t.Helper()
	if prof == nil {
		prof = alarms.DefaultProfile()
	}
	r := &rig{t: t, log: &captureLog{}, now: scenarioEpoch}
	var err error
	r.eng, err = alarms.New(prof, alarms.Options{Logger: r.log})
	require.NoError(t, err)
	r.snap = &monitor.Snapshot{Readings: make([]monitor.Reading, channel.Count)}
	return r
}

func (r *rig) set(id channel.ID, v float64) {
	r.snap.Readings[id] = monitor.Reading{Value: v, Time: r.now.UnixNano(), Quality: channel.OK}
}

func (r *rig) eval(d time.Duration) []alarms.Transition {
	r.now = r.now.Add(d)
	return r.eng.Eval(r.now, r.snap, &r.ctx)
}

func (r *rig) status(id string) alarms.Status {
	for _, s := range r.eng.AppendStatus(nil, true) {
		if s.Alarm == id {
			return s
		}
	}
	r.t.Fatalf("no alarm %s", id)
	return alarms.Status{}
}

func TestAlarmEvalNilInputs(t *testing.T) {
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		assert.Empty(t, eng.Eval(scenarioEpoch.Add(time.Duration(i)*time.Second), nil, nil))
	}
	assert.Equal(t, alarms.NoPriority, eng.Audible())
	// A short Readings slice (a future snapshot with fewer channels) is safe.
	tr := eng.Eval(scenarioEpoch.Add(time.Hour), &monitor.Snapshot{Readings: make([]monitor.Reading, 2)}, &alarms.Context{Phase: alarms.Bypass})
	for _, x := range tr {
		assert.NotEqual(t, alarms.Active, x.State, x.Alarm)
	}
}

func TestAlarmAudibleIsHighestSounding(t *testing.T) {
	r := newRig(t, nil)
	r.ctx.Phase = alarms.Bypass
	fillNormal(r)
	r.eval(0)
	assert.Equal(t, alarms.NoPriority, r.eng.Audible())
	r.ctx.RecordingFailed = true
	r.eval(time.Second)
	assert.Equal(t, alarms.Medium, r.eng.Audible())
	r.set(channel.PumpFlow, 0)
	r.eval(time.Second)
	r.set(channel.PumpFlow, 0)
	r.eval(5 * time.Second)
	assert.Equal(t, alarms.High, r.eng.Audible())
	require.NoError(t, r.eng.PauseAudio(r.now, "flow_stopped"))
	assert.Equal(t, alarms.Medium, r.eng.Audible(), "pause is per alarm")
	require.NoError(t, r.eng.PauseAudio(r.now, alarms.AllAlarms))
	assert.Equal(t, alarms.NoPriority, r.eng.Audible())
	st := r.status("flow_stopped")
	assert.Equal(t, alarms.AudioPaused, st.State)
	assert.Equal(t, r.now.Add(2*time.Minute).UnixNano(), st.PausedUntil)
	assert.False(t, st.Sounding)
	// Acknowledging a paused alarm whose condition holds.
	require.NoError(t, r.eng.Acknowledge(r.now, "flow_stopped"))
	assert.Equal(t, alarms.Acknowledged, r.status("flow_stopped").State)
	err := r.eng.Acknowledge(r.now, "flow_stopped")
	assert.ErrorIs(t, err, alarms.ErrNotActive)
	assert.ErrorIs(t, r.eng.PauseAudio(r.now, "flow_stopped"), alarms.ErrNotActive)
	assert.ErrorIs(t, r.eng.Acknowledge(r.now, "no_such"), alarms.ErrUnknownAlarm)
}

// fillNormal gives every default-profile input a normal value.
func fillNormal(r *rig) {
	for _, n := range normalValues {
		r.set(n.id, n.v)
	}
	r.ctx.LastACT = r.now.UnixNano()
}

var normalValues = []struct {
	id channel.ID
	v  float64
}{
	{channel.DerivedDO2i, 350}, {channel.DerivedDO2iVCO2i, 6}, {channel.PatientMAP, 65}, {channel.InlineVenSO2, 75},
	{channel.InlineHct, 27}, {channel.TempArterialOutlet, 34}, {channel.DerivedAVGradient, 2}, {channel.ACTSeconds, 520},
	{channel.ABGLactate, 1.5}, {channel.ABGPH, 7.4}, {channel.NIRSLeft, 70}, {channel.NIRSRight, 70}, {channel.PumpFlow, 4.5},
}

func TestAlarmEscalationOverridesPause(t *testing.T) {
	prof, err := alarms.ParseProfile("p", []byte(`
pause = "5m"
[[rule]]
id = "low_ratio"
input = "derived.do2i_vco2i"
condition = "below"
limit = 5
priority = "low"
escalate_after = "1m"
escalate_to = "high"
message = "m"
`))
	require.NoError(t, err)
	r := newRig(t, prof)
	r.set(channel.DerivedDO2iVCO2i, 4)
	tr := r.eval(0)
	require.Len(t, tr, 1)
	assert.Equal(t, alarms.Active, tr[0].State)
	require.NoError(t, r.eng.PauseAudio(r.now, "low_ratio"))
	assert.Empty(t, r.eval(59*time.Second))
	tr = r.eval(time.Second)
	require.Len(t, tr, 1)
	assert.Equal(t, alarms.Active, tr[0].State)
	assert.Equal(t, alarms.High, tr[0].Priority)
	assert.Equal(t, alarms.ReasonEscalated, tr[0].Reason)
	assert.Equal(t, alarms.High, r.eng.Audible())
	// Clearing ends the escalation: the next activation starts low again.
	r.set(channel.DerivedDO2iVCO2i, 6)
	tr = r.eval(time.Second)
	require.Len(t, tr, 1)
	assert.Equal(t, alarms.Inactive, tr[0].State)
	r.set(channel.DerivedDO2iVCO2i, 4)
	tr = r.eval(time.Second)
	require.Len(t, tr, 1)
	assert.Equal(t, alarms.Low, tr[0].Priority)
}

func TestAlarmSetLimit(t *testing.T) {
	r := newRig(t, nil)
	require.NoError(t, r.eng.SetLimit(r.now, "map_low", 45))
	last := r.log.entries[len(r.log.entries)-1]
	assert.Equal(t, alarms.ReasonLimitChanged, last.Reason)
	assert.False(t, last.IsTransition())
	assert.Equal(t, "map_low", last.Alarm)
	assert.Equal(t, 45.0, last.Limits.Limit)
	assert.Equal(t, 50.0, last.Previous.Limit)
	assert.Equal(t, 45.0, r.status("map_low").Limits.Limit)

	err := r.eng.SetLimit(r.now, "map_low", 30)
	var le *alarms.LimitError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "limit_min", le.Bound)
	assert.Equal(t, 35.0, le.BoundValue)
	assert.EqualError(t, err, "alarms: rule map_low: limit 30 is below the profile's limit_min 35")
	err = r.eng.SetLimit(r.now, "map_low", 71)
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "limit_max", le.Bound)
	assert.Error(t, r.eng.SetLimit(r.now, "map_low", math.NaN()))
	assert.ErrorIs(t, r.eng.SetLimit(r.now, "ring_overflow", 3), alarms.ErrLimitFixed)
	assert.ErrorIs(t, r.eng.SetLimit(r.now, "nope", 3), alarms.ErrUnknownAlarm)
	assert.ErrorContains(t, r.eng.SetLimit(r.now, "av_gradient_high", 3), "SetBand")
	assert.ErrorContains(t, r.eng.SetBand(r.now, "map_low", 40, 60), "SetLimit")
	require.NoError(t, r.eng.SetBand(r.now, "av_gradient_high", -8, 8))
	assert.Equal(t, alarms.Limits{Limit: math.NaN(), Low: -8, High: 8}.Low, r.status("av_gradient_high").Limits.Low)
	assert.ErrorContains(t, r.eng.SetBand(r.now, "av_gradient_high", 8, -8), "empty")

	// The new limit is used at the next Eval.
	r.ctx.Phase = alarms.Bypass
	r.set(channel.PatientMAP, 47)
	r.eval(time.Second)
	assert.Equal(t, alarms.Inactive, r.status("map_low").State, "47 is above the new limit 45")
}

func TestAlarmEvalResultReusedAndLogged(t *testing.T) {
	mem := alarms.NewMemoryLog(4)
	var buf bytes.Buffer
	jl := alarms.NewJSONLines(&buf)
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{Logger: alarms.Tee{mem, jl}})
	require.NoError(t, err)
	ctx := &alarms.Context{RecordingFailed: true, AudioUnavailable: true}
	tr := eng.Eval(scenarioEpoch, nil, ctx)
	require.Len(t, tr, 2)
	first := tr[0]
	assert.Equal(t, "recording_failed", first.Alarm)
	require.NoError(t, eng.Acknowledge(scenarioEpoch.Add(time.Second), "recording_failed"))
	assert.Equal(t, first.Alarm, tr[0].Alarm, "operator actions do not disturb the last Eval's result")
	assert.Equal(t, first.State, tr[0].State)
	assert.Equal(t, "audio_unavailable", tr[1].Alarm)
	ctx.RecordingFailed = false
	tr2 := eng.Eval(scenarioEpoch.Add(2*time.Second), nil, ctx)
	require.Len(t, tr2, 1)
	assert.Equal(t, alarms.Inactive, tr2[0].State)
	assert.Same(t, &tr[0], &tr2[0], "the result slice is reused")

	got := mem.Entries(nil)
	require.Len(t, got, 4)
	assert.Equal(t, []string{"active", "active", "acknowledged", "cleared"},
		[]string{got[0].State.TransitionName(), got[1].State.TransitionName(), got[2].State.TransitionName(), got[3].State.TransitionName()})
	assert.Equal(t, alarms.ReasonOperator, got[2].Reason)
	assert.Equal(t, uint64(4), mem.Total())

	require.NoError(t, jl.Err())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, `{"time":"2026-03-01T08:00:00Z","alarm":"recording_failed","priority":"medium","state":"active","value":1,"limit":null}`, lines[0])
	back, err := alarms.ReadJSONLines(&buf)
	require.NoError(t, err)
	require.Len(t, back, 4)
	assert.Equal(t, "audio_unavailable", back[1].Alarm)
	assert.Equal(t, alarms.Acknowledged, back[2].State)
	assert.Equal(t, scenarioEpoch.Add(time.Second).UnixNano(), back[2].Time)
	assert.True(t, math.IsNaN(back[2].Limit))
}

func TestAlarmMemoryLogRing(t *testing.T) {
	l := alarms.NewMemoryLog(3)
	for i := 0; i < 5; i++ {
		l.LogAlarm(alarms.Entry{Transition: alarms.Transition{Time: int64(i)}})
	}
	got := l.Entries(nil)
	require.Len(t, got, 3)
	assert.Equal(t, []int64{2, 3, 4}, []int64{got[0].Time, got[1].Time, got[2].Time})
	assert.Equal(t, uint64(5), l.Total())
}

func TestAlarmJSONLinesEscapingAndErrors(t *testing.T) {
	line := alarms.AppendJSON(nil, &alarms.Transition{Time: 1, Alarm: "device_lost/pump \"A\"\\\x01é\xff", Priority: alarms.High, State: alarms.Active, Value: math.Inf(1), Limit: 1.5e-7})
	assert.Equal(t, `{"time":"1970-01-01T00:00:00.000000001Z","alarm":"device_lost/pump \"A\"\\\u0001é\ufffd","priority":"high","state":"active","value":null,"limit":1.5e-07}`+"\n", string(line))
	back, err := alarms.ReadJSONLines(bytes.NewReader(line))
	require.NoError(t, err)
	assert.Equal(t, "device_lost/pump \"A\"\\\x01é\ufffd", back[0].Alarm)

	_, err = alarms.ReadJSONLines(strings.NewReader(`{"time":"2026-03-01T08:00:00Z","alarm":"x","priority":"high","state":"firing","value":null,"limit":null}`))
	assert.ErrorContains(t, err, "line 1")
	_, err = alarms.ReadJSONLines(strings.NewReader(`{"time":"2026-03-01T08:00:00Z","alarm":"x","extra":1}`))
	assert.Error(t, err)

	jl := alarms.NewJSONLines(failWriter{})
	jl.LogAlarm(alarms.Entry{Transition: alarms.Transition{Alarm: "x"}})
	assert.Error(t, jl.Err())
	// Limit changes are not part of the headless contract.
	var buf bytes.Buffer
	alarms.NewJSONLines(&buf).LogAlarm(alarms.Entry{Transition: alarms.Transition{Reason: alarms.ReasonLimitChanged}})
	assert.Zero(t, buf.Len())
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAlarmEvalDoesNotAllocate(t *testing.T) {
	r := newRig(t, nil)
	mem := alarms.NewMemoryLog(64)
	var err error
	r.eng, err = alarms.New(alarms.DefaultProfile(), alarms.Options{Logger: mem})
	require.NoError(t, err)
	r.ctx.Phase = alarms.Bypass
	r.ctx.Devices[1] = alarms.Device{State: alarms.DeviceConnected, Essential: true, Interval: time.Second}
	r.snap.Sources = []monitor.SourceStatus{{}, {Name: "pump"}}
	step := 0
	run := func() {
		step++
		fillNormal(r)
		// Swing MAP across its limits so alarms come and go.
		r.set(channel.PatientMAP, []float64{65, 45, 35, 90}[step/20%4])
		r.ctx.Devices[1].LastData = r.now.UnixNano()
		r.eval(250 * time.Millisecond)
	}
	for i := 0; i < 200; i++ { // warm up: device alarm named, buffers sized
		run()
	}
	before := mem.Total()
	// AllocsPerRun counts with GOMAXPROCS=1, so goroutines other tests
	// left behind do not count against Eval.
	allocs := testing.AllocsPerRun(2000, run)
	assert.Greater(t, mem.Total()-before, uint64(100), "alarms came and went")
	assert.Zero(t, allocs, "allocations per Eval")
}

func TestAlarmNoGUIImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/pumpside/pumpside/alarms/...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gioui.org") || strings.HasPrefix(dep, "github.com/pumpside/pumpside/ui") {
			t.Errorf("alarms depends on %s", dep)
		}
	}
}

// A latched alarm whose condition has ended keeps the value that raised it
// and says when it ended, instead of passing the recovered value off as the
// cause (issue 12).
func TestLatchedAlarmKeepsItsCause(t *testing.T) {
	r := newRig(t, nil)
	r.ctx.Phase = alarms.Bypass
	fillNormal(r)
	r.eval(0)
	r.set(channel.PatientMAP, 38.4)
	for range 6 {
		r.eval(time.Second)
	}
	s := r.status("map_critical")
	require.Equal(t, alarms.Active, s.State)
	require.Equal(t, 38.4, s.Raised)
	require.Zero(t, s.Ended, "the condition holds")
	raisedAt := s.Since

	r.set(channel.PatientMAP, 69.42)
	r.eval(time.Second)
	endedAt := r.now.UnixNano()
	r.eval(time.Minute)
	r.set(channel.PatientMAP, 69.42)
	r.eval(time.Second)
	s = r.status("map_critical")
	require.Equal(t, alarms.Active, s.State, "map_critical latches")
	require.False(t, s.Present)
	require.Equal(t, 38.4, s.Raised, "the value that raised it")
	require.Equal(t, raisedAt, s.Since)
	require.Equal(t, endedAt, s.Ended, "when the condition ended")
	require.Equal(t, 69.42, s.Value, "the current value is still there for who wants it")

	r.set(channel.PatientMAP, 36)
	r.eval(time.Second)
	require.Zero(t, r.status("map_critical").Ended, "present again: not ended")
}

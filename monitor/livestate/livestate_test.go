package livestate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// lines is a Recorder that keeps what it is given.
type lines struct {
	mu  sync.Mutex
	got []record.Live
}

func (l *lines) PublishLive(x record.Live) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, x)
	return nil
}

func (l *lines) n() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got)
}

type rig struct {
	clk    *clock.Manual
	rec    *lines
	status *live.Status
	phase  Phase
	p      *Publisher
}

func newRig(t *testing.T) *rig {
	g := &rig{clk: clock.NewManual(t0.Add(30 * time.Minute)), rec: &lines{}, status: &live.Status{},
		phase: Phase{Name: "bypass", Text: "On bypass"}}
	var err error
	g.p, err = New(Config{Record: g.rec, Clock: g.clk, Theatre: "OR 2", CaseStart: t0.UnixNano(),
		Phase: func(int64) Phase { return g.phase }, Alarms: func() *live.Status { return g.status },
		Profile: alarms.DefaultProfile(), DO2iConstant: 272})
	require.NoError(t, err)
	return g
}

// TestPublishesOnChangeAndHeartbeat: a line at the start, one for each
// change (paced by MinGap), one every Heartbeat when nothing changes, and
// none in between.
func TestPublishesOnChangeAndHeartbeat(t *testing.T) {
	g := newRig(t)
	wall := time.Unix(1000, 0)
	assert.Zero(t, g.p.Step(wall))
	require.Equal(t, 1, g.rec.n())
	first := g.rec.got[0]
	assert.Equal(t, "OR 2", first.Theatre)
	assert.Equal(t, 30*time.Minute, first.Case)
	assert.Equal(t, "none", first.Highest())

	g.clk.Advance(time.Second)
	g.p.Step(wall.Add(time.Second))
	assert.Equal(t, 1, g.rec.n(), "nothing changed, heartbeat not due")

	g.status = &live.Status{Alarms: []alarms.Status{{Alarm: "map_low", Priority: alarms.Medium, State: alarms.Active, Message: "MAP low", Present: true}}}
	g.p.Step(wall.Add(1200 * time.Millisecond))
	require.Equal(t, 2, g.rec.n(), "an alarm raised: a line at once")
	assert.Equal(t, "medium", g.rec.got[1].Highest())

	g.status = &live.Status{Alarms: []alarms.Status{{Alarm: "map_low", Priority: alarms.Medium, State: alarms.Acknowledged, Message: "MAP low", Present: true}}}
	wait := g.p.Step(wall.Add(1400 * time.Millisecond))
	assert.Equal(t, 300*time.Millisecond, wait, "changed within MinGap: wait")
	assert.Equal(t, 2, g.rec.n())
	g.p.Step(wall.Add(1700 * time.Millisecond))
	require.Equal(t, 3, g.rec.n())
	assert.Equal(t, "acknowledged", g.rec.got[2].Alarms[0].State)

	g.clk.Advance(3 * time.Second)
	g.p.Step(wall.Add(6 * time.Second))
	assert.Equal(t, 3, g.rec.n(), "4.3 s since the last line")
	g.p.Step(wall.Add(6700 * time.Millisecond))
	require.Equal(t, 4, g.rec.n(), "heartbeat")
	assert.Equal(t, 30*time.Minute+4*time.Second, g.rec.got[3].Case)

	g.phase = FromTimeline(timeline.State{Phase: timeline.Bypass, CrossClamp: true, Clamp: time.Minute})
	g.p.Step(wall.Add(7300 * time.Millisecond))
	require.Equal(t, 5, g.rec.n(), "clamp on is a change")
	assert.Equal(t, "On bypass, clamp on", g.rec.got[4].PhaseText)
	assert.True(t, g.rec.got[4].Clamp)
	assert.Equal(t, time.Minute, g.rec.got[4].ClampTime)
}

// TestAlarmOrder: highest priority first, unacknowledged before
// acknowledged, newest first; pending ones left out; latched and technical
// said; the alarm system's failure heads the list.
func TestAlarmOrder(t *testing.T) {
	g := newRig(t)
	g.status = &live.Status{Time: 99, Failure: "boom", Alarms: []alarms.Status{
		{Alarm: "a_low", Priority: alarms.Low, State: alarms.Active, Since: 5},
		{Alarm: "b_med_ack", Priority: alarms.Medium, State: alarms.Acknowledged, Since: 9},
		{Alarm: "c_med_old", Priority: alarms.Medium, State: alarms.Active, Since: 1},
		{Alarm: "d_med_new", Priority: alarms.Medium, State: alarms.AudioPaused, Since: 3},
		{Alarm: "e_pending", Priority: alarms.High, State: alarms.Pending, Since: 8},
		{Alarm: "f_latched", Priority: alarms.High, State: alarms.Active, Latching: true, Present: false, Since: 2},
		{Alarm: "device_lost/x", Priority: alarms.High, State: alarms.Active, Class: alarms.Technical, Present: true, Latching: true, Since: 1},
	}}
	l := g.p.Build(t0.UnixNano())
	var ids []string
	for _, a := range l.Alarms {
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"alarm_system_failure", "f_latched", "device_lost/x", "d_med_new", "c_med_old", "b_med_ack", "a_low"}, ids)
	assert.Equal(t, 7, l.AlarmCount)
	assert.True(t, l.Alarms[1].Latched)
	assert.False(t, l.Alarms[2].Latched, "present: not latched")
	assert.True(t, l.Alarms[2].Technical)
	assert.Equal(t, "high", l.Highest())
}

// TestDO2iThreshold: the do2i_low limit in force, else the constant.
func TestDO2iThreshold(t *testing.T) {
	g := newRig(t)
	assert.Equal(t, 272.0, g.p.Build(t0.UnixNano()).DO2iThreshold)
	g.status = &live.Status{All: []alarms.Status{
		{Alarm: "map_low", Rule: "map_low", Limits: alarms.Limits{Limit: 50, Low: math.NaN(), High: math.NaN()}},
		{Alarm: "do2i_low", Rule: "do2i_low", Limits: alarms.Limits{Limit: 300, Low: math.NaN(), High: math.NaN()}},
	}}
	assert.Equal(t, 300.0, g.p.Build(t0.UnixNano()).DO2iThreshold)
}

func TestPhases(t *testing.T) {
	for _, c := range []struct {
		st         timeline.State
		name, text string
	}{
		{timeline.State{}, "unknown", "Phase not known"},
		{timeline.State{Phase: timeline.PreBypass}, "pre_bypass", "Pre-bypass"},
		{timeline.State{Phase: timeline.Bypass}, "bypass", "On bypass"},
		{timeline.State{Phase: timeline.Bypass, CrossClamp: true}, "bypass", "On bypass, clamp on"},
		{timeline.State{Phase: timeline.Arrest, CrossClamp: true}, "arrest", "Circulatory arrest, clamp on"},
		{timeline.State{Phase: timeline.OffBypass}, "off_bypass", "Off bypass"},
		{timeline.State{Phase: timeline.Phase(200)}, "unknown", "Phase not known"},
	} {
		p := FromTimeline(c.st)
		assert.Equal(t, c.name, p.Name)
		assert.Equal(t, c.text, p.Text)
	}
	assert.Equal(t, "Partial bypass", PhaseText("partial_bypass"), "a later phase shows by its name")
}

func TestTheatreFromEnv(t *testing.T) {
	env := map[string]string{EnvTheatre: "OR 4"}
	name, err := TheatreFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "OR 4", name)
	env[EnvTheatre] = "OR\t4"
	_, err = TheatreFromEnv(func(k string) string { return env[k] })
	require.ErrorIs(t, err, record.ErrInvalid)
	assert.Contains(t, err.Error(), EnvTheatre)
}

// TestTheatre: the site file names the theatre; PUMPSIDE_THEATRE, when
// set, overrides it; a bad name from either is refused.
func TestTheatre(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	for _, c := range []struct {
		site, env, want string
	}{
		{"", "", ""},
		{"Theatre 5", "", "Theatre 5"},
		{"Theatre 5", "OR 4", "OR 4"},
		{"", "OR 4", "OR 4"},
	} {
		env[EnvTheatre] = c.env
		name, err := Theatre(c.site, getenv)
		require.NoError(t, err, c)
		assert.Equal(t, c.want, name, c)
	}
	env[EnvTheatre] = "943 476 5919"
	_, err := Theatre("Theatre 5", getenv)
	require.ErrorIs(t, err, record.ErrInvalid, "a patient's number in the environment")
	assert.Contains(t, err.Error(), EnvTheatre)
	env[EnvTheatre] = ""
	_, err = Theatre("OR\t4", getenv)
	require.ErrorIs(t, err, record.ErrInvalid)
}

// TestRunWritesTheRecord runs the publisher on its goroutine with a real
// case record: a poke after a change is in the file at the writer's next
// commit, and Run ends with its context.
func TestRunWritesTheRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.case")
	w, err := record.Open(path, record.Options{Case: "C-run"})
	require.NoError(t, err)
	clk := clock.NewManual(t0)
	var mu sync.Mutex
	st := &live.Status{}
	p, err := New(Config{Record: w, Clock: clk, Theatre: "OR 1", CaseStart: t0.UnixNano(), DO2iConstant: math.NaN(),
		Phase:  func(now int64) Phase { return FromTimeline(timeline.State{Phase: timeline.PreBypass}) },
		Alarms: func() *live.Status { mu.Lock(); defer mu.Unlock(); return st }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { return p.Lines() == 1 }, 3*time.Second, 10*time.Millisecond)
	mu.Lock()
	st = &live.Status{Alarms: []alarms.Status{{Alarm: "flow_stopped", Priority: alarms.High, State: alarms.Active, Message: "Arterial pump flow stopped"}}}
	mu.Unlock()
	clk.Advance(time.Second)
	p.Poke()
	require.Eventually(t, func() bool { return p.Lines() == 2 }, 2*time.Second, 10*time.Millisecond, "the change is published within MinGap")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.NoError(t, w.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(data), "live,case=C-run,theatre=OR\\ 1 "))
	assert.Contains(t, string(data), `highest="high"`)
}

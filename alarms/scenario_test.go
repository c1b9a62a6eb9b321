package alarms_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Scenario files (testdata/scenarios/*.toml, format in README.md there):
// input series, context events and operator actions on a time grid, and the
// exact transcript of transitions expected, in the manner of Prometheus
// rule tests.

type scenario struct {
	Description string     `toml:"description"`
	Profile     string     `toml:"profile"`
	Builtin     string     `toml:"builtin"` // a built-in profile by name (alarms.BuiltinProfile): "ecmo"
	Step        string     `toml:"step"`
	Duration    string     `toml:"duration"`
	Devices     []scDevice `toml:"device"`
	Series      []scSeries `toml:"series"`
	At          []scEvent  `toml:"at"`
	Alarms      []string   `toml:"alarms"`
	Unprovided  []string   `toml:"unprovided"`
	Expect      string     `toml:"expect"`
	Audible     string     `toml:"audible"`
}

type scDevice struct {
	Name      string `toml:"name"`
	Essential bool   `toml:"essential"`
	Interval  string `toml:"interval"`
	Sporadic  bool   `toml:"sporadic"`
}

type scSeries struct {
	Input    string `toml:"input"`
	Start    string `toml:"start"`
	Interval string `toml:"interval"`
	Source   string `toml:"source"`
	Values   string `toml:"values"`
}

type scEvent struct {
	Time             string    `toml:"time"`
	Phase            string    `toml:"phase"`
	PhaseSince       string    `toml:"phase_since"` // when the phase began, relative to the scenario's start (may be negative); default: now
	Heparin          bool      `toml:"heparin"`
	Solution         string    `toml:"solution"` // the cardioplegia given now: its solution
	FlowIndexTarget  *float64  `toml:"flow_index_target"`
	NIRSBaseline     *bool     `toml:"nirs_baseline_missing"`
	CrossClamp       *bool     `toml:"cross_clamp"`
	Cardioplegia     bool      `toml:"cardioplegia"`
	ACT              bool      `toml:"act"`
	RingDrops        *uint64   `toml:"ring_drops"`
	RecordingFailed  *bool     `toml:"recording_failed"`
	AudioUnavailable *bool     `toml:"audio_unavailable"`
	UploadFailed     *bool     `toml:"upload_failed"`
	InlineDrift      *bool     `toml:"inline_drift"`
	DiskLow          *bool     `toml:"disk_low"`
	Device           string    `toml:"device"`
	DeviceState      string    `toml:"device_state"`
	Acknowledge      string    `toml:"acknowledge"`
	Pause            string    `toml:"pause"`
	Alarm            string    `toml:"alarm"`
	SetLimit         *float64  `toml:"set_limit"`
	SetBand          []float64 `toml:"set_band"`
	SetBaseline      *float64  `toml:"set_baseline"`
	Error            string    `toml:"error"`
}

// sample is one point of a series; q is its quality, or skip for "_".
type sample struct {
	t    time.Duration
	v    float64
	q    channel.Quality
	skip bool
}

var scenarioEpoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func TestAlarmScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.toml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	covered := map[string][]string{}
	coveredECMO := map[string][]string{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		t.Run(name, func(t *testing.T) {
			sc, usesDefault := loadScenario(t, f)
			got, audible := runScenario(t, sc)
			want := parseExpect(t, sc.Expect)
			if !sameTranscript(got, want) {
				t.Errorf("%s\ntranscript differs.\n--- want\n%s--- got\n%s", sc.Description, formatTranscript(want), formatTranscript(got))
			}
			for _, line := range nonEmptyLines(sc.Audible) {
				f := strings.Fields(line)
				require.Len(t, f, 2, "audible line %q: want <time> <priority|none>", line)
				at := mustDur(t, f[0])
				gotP, ok := audible[at]
				require.True(t, ok, "audible check at %v: no evaluation at that time", at)
				if gotP.String() != f[1] {
					t.Errorf("audible at %v: got %s, want %s", at, gotP, f[1])
				}
			}
			cov := covered
			if sc.Builtin == alarms.ProfileECMO {
				cov = coveredECMO
			} else if !usesDefault {
				cov = nil
			}
			for _, tr := range got {
				id, _, _ := strings.Cut(tr.alarm, "/")
				if cov != nil {
					cov[id] = append(cov[id], tr.state)
				}
			}
		})
	}
	// At least one scenario per default rule, in which it becomes active.
	for _, r := range alarms.DefaultProfile().Rules {
		if !slices.Contains(covered[r.ID], "active") {
			t.Errorf("no scenario on the default profile activates %s", r.ID)
		}
	}
	// And per rule of the ECMO profile, on that profile (builtin = "ecmo").
	for _, r := range alarms.ECMOProfile().Rules {
		if !slices.Contains(coveredECMO[r.ID], "active") {
			t.Errorf("no scenario on the ECMO profile activates %s", r.ID)
		}
	}
}

func loadScenario(t *testing.T, path string) (*scenario, bool) {
	t.Helper()
	var sc scenario
	md, err := toml.DecodeFile(path, &sc)
	require.NoError(t, err)
	require.Empty(t, md.Undecoded(), "unknown keys in %s", path)
	require.NotEmpty(t, sc.Description, "%s: description", path)
	require.False(t, sc.Profile != "" && sc.Builtin != "", "%s: profile and builtin exclude each other", path)
	return &sc, sc.Profile == "" && sc.Builtin == ""
}

type gotTransition struct {
	at           time.Duration
	alarm, state string
	prio         string
	value, limit float64 // NaN: not compared (expectations) / none
	hasV, hasL   bool
}

func runScenario(t *testing.T, sc *scenario) ([]gotTransition, map[time.Duration]alarms.Priority) {
	t.Helper()
	prof := alarms.DefaultProfile()
	if sc.Builtin != "" {
		var err error
		prof, err = alarms.BuiltinProfile(sc.Builtin)
		require.NoError(t, err)
	}
	if sc.Profile != "" {
		var err error
		prof, err = alarms.ParseProfile("scenario profile", []byte(sc.Profile))
		require.NoError(t, err)
	}
	log := &captureLog{}
	eng, err := alarms.New(prof, alarms.Options{Logger: log})
	require.NoError(t, err)

	step := time.Second
	if sc.Step != "" {
		step = mustDur(t, sc.Step)
	}
	end := mustDur(t, sc.Duration)

	// Devices: source ids 1..n in file order.
	var ctx alarms.Context
	for _, name := range sc.Unprovided {
		id, ok := channel.Lookup(name)
		require.True(t, ok, "unprovided: unknown channel %q", name)
		ctx.Unprovided.Add(id)
	}
	snap := &monitor.Snapshot{Readings: make([]monitor.Reading, channel.Count), Sources: []monitor.SourceStatus{{}}}
	devIndex := map[string]int{}
	for i, d := range sc.Devices {
		id := i + 1
		devIndex[d.Name] = id
		snap.Sources = append(snap.Sources, monitor.SourceStatus{Name: d.Name})
		ctx.Devices[id] = alarms.Device{State: alarms.DeviceConnected, Essential: d.Essential, Since: scenarioEpoch.UnixNano(), Interval: mustDur(t, d.Interval), Sporadic: d.Sporadic}
	}

	type series struct {
		ch      channel.ID
		source  int
		samples []sample
	}
	var all []series
	for _, s := range sc.Series {
		id, ok := channel.Lookup(s.Input)
		require.True(t, ok, "series input %q is not a channel", s.Input)
		interval := time.Second
		if s.Interval != "" {
			interval = mustDur(t, s.Interval)
		}
		var start time.Duration
		if s.Start != "" {
			start = mustDur(t, s.Start)
		}
		src := 0
		if s.Source != "" {
			src, ok = devIndex[s.Source]
			require.True(t, ok, "series source %q is not a [[device]]", s.Source)
		}
		all = append(all, series{ch: id, source: src, samples: expandValues(t, s.Values, start, interval)})
	}

	events := map[time.Duration][]scEvent{}
	for _, ev := range sc.At {
		at := mustDur(t, ev.Time)
		require.Zero(t, at%step, "event at %v is off the %v evaluation grid", at, step)
		events[at] = append(events[at], ev)
	}

	audible := map[time.Duration]alarms.Priority{}
	var status []alarms.Status
	for at := time.Duration(0); at <= end; at += step {
		now := scenarioEpoch.Add(at)
		for _, ev := range events[at] {
			applyContext(t, &ctx, ev, now, devIndex, prof)
		}
		for _, ev := range events[at] {
			applyAction(t, eng, ev, now)
		}
		// The snapshot as the pipeline would publish it at now.
		clear(snap.Readings)
		snap.Time = now.UnixNano()
		for i := range ctx.Devices {
			if i > 0 && i <= len(sc.Devices) {
				ctx.Devices[i].LastData = 0
			}
		}
		for _, s := range all {
			var last *sample
			for i := range s.samples {
				if s.samples[i].t > at {
					break
				}
				if !s.samples[i].skip {
					last = &s.samples[i]
				}
			}
			if last == nil {
				continue
			}
			st := scenarioEpoch.Add(last.t).UnixNano()
			q := last.q
			if f := channel.Get(s.ch).Freshness; q == channel.OK && f > 0 && at-last.t > f {
				q = channel.Stale
			}
			snap.Readings[s.ch] = monitor.Reading{Value: last.v, Time: st, Source: monitor.SourceID(s.source), Quality: q}
			if s.source > 0 {
				ctx.Devices[s.source].LastData = max(ctx.Devices[s.source].LastData, st)
			}
		}
		eng.Eval(now, snap, &ctx)
		// What sounds among the selected alarms (Engine.Audible is the
		// same over all of them; its unit test checks that).
		p := alarms.NoPriority
		status = eng.AppendStatus(status[:0], false)
		for _, st := range status {
			if st.Sounding && st.Priority > p && selected(sc.Alarms, st.Alarm) {
				p = st.Priority
			}
		}
		audible[at] = p
	}
	var out []gotTransition
	for _, e := range log.entries {
		if !e.IsTransition() || !selected(sc.Alarms, e.Alarm) {
			continue
		}
		out = append(out, gotTransition{
			at: time.Duration(e.Time - scenarioEpoch.UnixNano()), alarm: e.Alarm, state: e.State.TransitionName(),
			prio: e.Priority.String(), value: e.Value, limit: e.Limit, hasV: true, hasL: true,
		})
	}
	return out, audible
}

// selected reports whether alarm is in the scenario's list: by id, or by
// rule id for "device_lost/x" and "no_data/x"; an empty list selects all.
func selected(list []string, alarm string) bool {
	if len(list) == 0 {
		return true
	}
	for _, f := range list {
		if alarm == f || strings.HasPrefix(alarm, f+"/") {
			return true
		}
	}
	return false
}

func applyContext(t *testing.T, ctx *alarms.Context, ev scEvent, now time.Time, devIndex map[string]int, prof *alarms.Profile) {
	t.Helper()
	if ev.Phase != "" {
		p, err := alarms.ParsePhase(ev.Phase)
		require.NoError(t, err)
		ctx.Phase, ctx.PhaseSince = p, now.UnixNano()
		if ev.PhaseSince != "" {
			ctx.PhaseSince = scenarioEpoch.Add(mustDur(t, ev.PhaseSince)).UnixNano()
		}
	}
	if ev.Heparin {
		ctx.Heparin = now.UnixNano()
	}
	if ev.Solution != "" {
		ctx.CardioplegiaInterval = prof.RedoseInterval(ev.Solution)
	}
	if ev.FlowIndexTarget != nil {
		ctx.FlowIndexTarget = *ev.FlowIndexTarget
	}
	if ev.NIRSBaseline != nil {
		ctx.NIRSBaselineMissing = *ev.NIRSBaseline
	}
	if ev.CrossClamp != nil {
		ctx.CrossClamp = *ev.CrossClamp
	}
	if ev.Cardioplegia {
		ctx.LastCardioplegia = now.UnixNano()
	}
	if ev.ACT {
		ctx.LastACT = now.UnixNano()
	}
	if ev.RingDrops != nil {
		ctx.RingDrops = *ev.RingDrops
	}
	if ev.DiskLow != nil {
		ctx.DiskLow = *ev.DiskLow
	}
	if ev.RecordingFailed != nil {
		ctx.RecordingFailed = *ev.RecordingFailed
	}
	if ev.AudioUnavailable != nil {
		ctx.AudioUnavailable = *ev.AudioUnavailable
	}
	if ev.InlineDrift != nil {
		ctx.InlineDrift = *ev.InlineDrift
	}
	if ev.UploadFailed != nil {
		ctx.UploadFailed = *ev.UploadFailed
	}
	if ev.Device != "" {
		id, ok := devIndex[ev.Device]
		require.True(t, ok, "event device %q is not a [[device]]", ev.Device)
		states := map[string]alarms.DeviceState{"connecting": alarms.DeviceConnecting, "connected": alarms.DeviceConnected, "disconnected": alarms.DeviceDisconnected, "absent": alarms.DeviceAbsent}
		st, ok := states[ev.DeviceState]
		require.True(t, ok, "device_state %q", ev.DeviceState)
		ctx.Devices[id].State, ctx.Devices[id].Since = st, now.UnixNano()
	}
}

func applyAction(t *testing.T, eng *alarms.Engine, ev scEvent, now time.Time) {
	t.Helper()
	var err error
	acted := true
	switch {
	case ev.Acknowledge != "":
		err = eng.Acknowledge(now, ev.Acknowledge)
	case ev.Pause != "":
		err = eng.PauseAudio(now, ev.Pause)
	case ev.SetLimit != nil:
		err = eng.SetLimit(now, ev.Alarm, *ev.SetLimit)
	case ev.SetBand != nil:
		require.Len(t, ev.SetBand, 2, "set_band = [low, high]")
		err = eng.SetBand(now, ev.Alarm, ev.SetBand[0], ev.SetBand[1])
	case ev.SetBaseline != nil:
		err = eng.SetBaseline(now, ev.Alarm, *ev.SetBaseline)
	default:
		acted = false
	}
	switch {
	case !acted:
		require.Empty(t, ev.Error, "error given for an event without an action at %s", ev.Time)
	case ev.Error == "":
		require.NoError(t, err, "action at %s", ev.Time)
	default:
		require.ErrorContains(t, err, ev.Error, "action at %s", ev.Time)
	}
}

// expandValues expands the series notation: "70", "70x10" (ten times),
// "30+0.1x20" (20 values from 30 rising by 0.1), "30-0.1x20", "_" (no new
// sample), "-" (an unavailable sample: the device sent dashes), "?"
// (questionable), each with an optional xN.
func expandValues(t *testing.T, values string, start, interval time.Duration) []sample {
	t.Helper()
	var out []sample
	for _, tok := range strings.Fields(values) {
		body, count := tok, 1
		if i := strings.LastIndexByte(tok, 'x'); i > 0 {
			n, err := strconv.Atoi(tok[i+1:])
			require.NoError(t, err, "token %q", tok)
			body, count = tok[:i], n
		}
		base, inc, special := 0.0, 0.0, ""
		switch body {
		case "_", "-", "?":
			special = body
		default:
			// A ramp a+b or a-b; the sign of a itself is not a separator.
			split := strings.IndexAny(body[1:], "+-")
			var err error
			if split < 0 {
				base, err = strconv.ParseFloat(body, 64)
				require.NoError(t, err, "token %q", tok)
			} else {
				split++
				base, err = strconv.ParseFloat(body[:split], 64)
				require.NoError(t, err, "token %q", tok)
				inc, err = strconv.ParseFloat(body[split:], 64)
				require.NoError(t, err, "token %q", tok)
			}
		}
		for k := 0; k < count; k++ {
			s := sample{t: start + time.Duration(len(out))*interval, v: base + float64(k)*inc}
			switch special {
			case "_":
				s.skip = true
			case "-":
				s.q = channel.Unavailable
			case "?":
				s.q = channel.Questionable
			}
			out = append(out, s)
		}
	}
	return out
}

// parseExpect parses "<time> <alarm> <state> <priority> [value=V] [limit=L]"
// lines; # starts a comment.
func parseExpect(t *testing.T, text string) []gotTransition {
	t.Helper()
	var out []gotTransition
	for _, line := range nonEmptyLines(text) {
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), 4, "expect line %q", line)
		g := gotTransition{at: mustDur(t, f[0]), alarm: f[1], state: f[2], prio: f[3], value: math.NaN(), limit: math.NaN()}
		for _, kv := range f[4:] {
			k, v, ok := strings.Cut(kv, "=")
			require.True(t, ok, "expect line %q: %q", line, kv)
			x := math.NaN()
			if v != "none" {
				var err error
				x, err = strconv.ParseFloat(v, 64)
				require.NoError(t, err, "expect line %q", line)
			}
			switch k {
			case "value":
				g.value, g.hasV = x, true
			case "limit":
				g.limit, g.hasL = x, true
			default:
				t.Fatalf("expect line %q: unknown key %q", line, k)
			}
		}
		out = append(out, g)
	}
	return out
}

func sameTranscript(got, want []gotTransition) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.at != w.at || g.alarm != w.alarm || g.state != w.state || g.prio != w.prio {
			return false
		}
		if w.hasV && !closeTo(g.value, w.value) || w.hasL && !closeTo(g.limit, w.limit) {
			return false
		}
	}
	return true
}

func closeTo(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-3*math.Max(1, math.Abs(b))
}

func formatTranscript(ts []gotTransition) string {
	var b strings.Builder
	for _, g := range ts {
		fmt.Fprintf(&b, "%v %s %s %s", g.at, g.alarm, g.state, g.prio)
		if g.hasV {
			fmt.Fprintf(&b, " value=%s", fmtNum(g.value))
		}
		if g.hasL {
			fmt.Fprintf(&b, " limit=%s", fmtNum(g.limit))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "none"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'g', -1, 64)
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func mustDur(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err, "duration %q", s)
	return d
}

// captureLog is a Logger keeping everything.
type captureLog struct{ entries []alarms.Entry }

func (c *captureLog) LogAlarm(e alarms.Entry) { c.entries = append(c.entries, e) }

func TestAlarmScenarioSeriesNotation(t *testing.T) {
	got := expandValues(t, "70x2 30+0.5x3 -4-1x2 _ - ?x2 -4.5", 0, time.Second)
	var vals []string
	for _, s := range got {
		switch {
		case s.skip:
			vals = append(vals, "_")
		case s.q == channel.Unavailable:
			vals = append(vals, "-")
		case s.q == channel.Questionable:
			vals = append(vals, "?")
		default:
			vals = append(vals, strconv.FormatFloat(s.v, 'g', -1, 64))
		}
	}
	require.Equal(t, []string{"70", "70", "30", "30.5", "31", "-4", "-5", "_", "-", "?", "?", "-4.5"}, vals)
	require.Equal(t, 11*time.Second, got[11].t)
}

package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC).UnixNano()

func testOpts() Options {
	return Options{Case: "C-2026-0301-A", Sources: []string{"", "sim/pump", "sim/monitor"}, SyncInterval: 20 * time.Millisecond, RetryInterval: 20 * time.Millisecond}
}

// readAll reads a case file back: samples, other entries by kind, and bad
// lines.
type readBack struct {
	samples  []ChannelSample
	events   []map[string]string
	alarms   []map[string]string
	bookmark []string
	meta     []map[string]string
	bad      []*LineError
}

func readCase(t testing.TB, path string) readBack {
	t.Helper()
	f, err := OpenRun(path) // a long run: all its segments
	require.NoError(t, err)
	defer f.Close()
	var rb readBack
	r := NewReader(f)
	r.OnBadLine = func(e *LineError) { rb.bad = append(rb.bad, e) }
	for r.Next() {
		e := r.Entry()
		flat := func() map[string]string {
			m := map[string]string{"_time": time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano)}
			for _, t := range e.Tags {
				m["#"+string(t.Key)] = string(t.Value)
			}
			for _, f := range e.Fields {
				if f.Value.Kind() == lineprotocol.String {
					m[string(f.Key)] = f.Value.StringV()
				} else {
					m[string(f.Key)] = strconv.FormatFloat(numeric(f.Value), 'g', -1, 64)
				}
			}
			return m
		}
		switch e.Kind() {
		case KindSamples:
			rb.samples = e.Samples(rb.samples)
		case KindEvent:
			rb.events = append(rb.events, flat())
		case KindAlarm:
			rb.alarms = append(rb.alarms, flat())
		case KindBookmark:
			rb.bookmark = append(rb.bookmark, e.Str("text"))
		case KindMeta:
			rb.meta = append(rb.meta, flat())
		}
	}
	require.NoError(t, r.Err())
	return rb
}

func TestWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	w, err := Open(path, testOpts())
	require.NoError(t, err)
	in := []monitor.Sample{
		{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 4.25},
		{Time: t0, Channel: channel.PatientMAP, Source: 2, Value: 300, Quality: channel.OutOfRange},
		{Time: t0 + 1, Channel: channel.PatientMAP, Source: 2, Value: math.NaN(), Quality: channel.Unavailable},
		{Time: t0 + 2, Channel: channel.PatientHR, Source: 2, Value: 71, Quality: channel.Questionable},
		{Time: t0 + 3, Channel: channel.TempArterialOutlet, Source: 7, Value: 36.123456789012345},
		{Time: t0 + 4, Channel: channel.PumpFlow, Source: 1, Value: math.Inf(1)}, // not a number: only unavailable
	}
	for _, s := range in {
		require.True(t, w.Sample(s))
	}
	meta := Meta{Time: t0, HeightCm: 175, WeightKg: 80, AgeYears: math.NaN(), Sex: "male", Constants: physio.DefaultConstants(),
		Identifiers: map[string]string{"name": "Jane \"Q\" Doe", "hospital_number": "H123"}}
	require.NoError(t, w.SetMeta(meta))
	require.NoError(t, w.AddEvent(Event{Time: t0 + 10, Kind: KindDrug, Text: "Heparin 24000 IU iv", Fields: []Field{Str("name", "heparin"), Num("dose", 24000), Str("unit", "IU")}}))
	require.NoError(t, w.AddEvent(Event{Time: t0 + 10, Kind: KindDrug, Text: "second, same ns", Fields: nil}))
	require.ErrorIs(t, w.AddEvent(Event{Time: t0, Kind: "Bad Kind", Text: "x"}), ErrInvalid)
	require.ErrorIs(t, w.AddEvent(Event{Time: t0, Kind: KindNote, Fields: []Field{Num("time", 1)}}), ErrInvalid)
	w.LogAlarm(alarms.Entry{Transition: alarms.Transition{Time: t0 + 20, Alarm: "map_low", State: alarms.Active, Priority: alarms.Medium, Value: 47, Limit: 50}})
	w.LogAlarm(alarms.Entry{Transition: alarms.Transition{Time: t0 + 20, Alarm: "map_low", State: alarms.Inactive, Priority: alarms.Medium, Value: math.NaN(), Limit: 50}})
	w.LogAlarm(alarms.Entry{Transition: alarms.Transition{Time: t0 + 30, Alarm: "map_low", Reason: alarms.ReasonLimitChanged, Value: math.NaN(), Limit: math.NaN()},
		Limits: alarms.Limits{Limit: 45, Low: math.NaN(), High: math.NaN()}, Previous: alarms.Limits{Limit: 50, Low: math.NaN(), High: math.NaN()}, Baseline: math.NaN(), PrevBaseline: math.NaN()})
	require.NoError(t, w.AddBookmark(Bookmark{Time: t0 + 40, Text: "watch the MAP here", Author: "teacher"}))
	require.NoError(t, w.Close())
	require.ErrorIs(t, w.Close(), ErrClosed)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	rb := readCase(t, path)
	require.Empty(t, rb.bad)
	require.Len(t, rb.samples, len(in))
	want := []ChannelSample{
		{"pump.flow", "sim/pump", t0, 4.25, channel.OK},
		{"patient.map", "sim/monitor", t0, 300, channel.OutOfRange},
		{"patient.map", "sim/monitor", t0 + 1, math.NaN(), channel.Unavailable},
		{"patient.hr", "sim/monitor", t0 + 2, 71, channel.Questionable},
		{"temp.arterial_outlet", "source7", t0 + 3, 36.123456789012345, channel.OK},
		{"pump.flow", "sim/pump", t0 + 4, math.NaN(), channel.Unavailable},
	}
	for i, w := range want {
		g := rb.samples[i]
		require.Equal(t, w.Channel, g.Channel, i)
		require.Equal(t, w.Source, g.Source, i)
		require.Equal(t, w.Time, g.Time, i)
		require.Equal(t, w.Quality, g.Quality, i)
		if math.IsNaN(w.Value) {
			require.True(t, math.IsNaN(g.Value), "%d: %v", i, g.Value)
		} else {
			require.Equal(t, w.Value, g.Value, i) // bit-exact round trip
		}
	}
	require.Len(t, rb.meta, 1)
	require.Equal(t, "175", rb.meta[0]["height_cm"])
	require.Equal(t, "dubois", rb.meta[0]["bsa_formula"])
	require.Equal(t, "H123", rb.meta[0]["ident_hospital_number"])
	require.NotContains(t, rb.meta[0], "age_years")
	require.Len(t, rb.events, 3)
	require.Equal(t, "drug", rb.events[0]["#kind"])
	require.Equal(t, "24000", rb.events[0]["dose"])
	require.NotEqual(t, rb.events[0]["_time"], rb.events[1]["_time"], "two events in one ns are nudged apart")
	require.Equal(t, "limit_change", rb.events[2]["#kind"])
	require.Equal(t, "45", rb.events[2]["limit"])
	require.Equal(t, "50", rb.events[2]["previous_limit"])
	require.Len(t, rb.alarms, 2)
	require.Equal(t, "active", rb.alarms[0]["state"])
	require.Equal(t, "47", rb.alarms[0]["value"])
	require.Equal(t, "cleared", rb.alarms[1]["state"])
	require.NotContains(t, rb.alarms[1], "value")
	require.Equal(t, []string{"watch the MAP here"}, rb.bookmark)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		tags, _, _ := strings.Cut(line, " ")
		require.NotContains(t, tags, "H123", "identifiers never in tags")
	}
}

func TestOpenRepairsTornLine(t *testing.T) {
	for name, tail := range map[string]string{
		"torn":         "pump,case=x,source=s flow=4.",
		"torn+zeros":   "pump,case=x,source=s flo\x00\x00\x00\x00",
		"zeros":        "\x00\x00\x00\x00\x00\x00\x00\x00",
		"intact":       "",
		"only garbage": "",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.case")
			good := "pump,case=x,source=s flow=4.5 1772352000000000000\n"
			if name == "only garbage" {
				good = ""
				tail = "pump,case=x flow=1"
			}
			require.NoError(t, os.WriteFile(path, []byte(good+tail), 0o644))
			w, err := Open(path, testOpts())
			require.NoError(t, err)
			st := w.Status()
			require.Equal(t, Repair{Offset: int64(len(good)), Bytes: int64(len(tail))}.Bytes, st.Repaired.Bytes)
			if tail != "" {
				require.Equal(t, int64(len(good)), st.Repaired.Offset)
			}
			require.True(t, w.Sample(monitor.Sample{Time: t0 + 1, Channel: channel.PumpFlow, Source: 1, Value: 5}))
			require.NoError(t, w.Close())
			rb := readCase(t, path)
			require.Empty(t, rb.bad)
			n := 1
			if good != "" {
				n = 2
			}
			require.Len(t, rb.samples, n)
			fi, _ := os.Stat(path)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		})
	}
}

// flakyFile fails every Write and Sync with ENOSPC while full is set,
// like a full disk; a partial write first, as a real one can be.
type flakyFile struct {
	File
	full    atomic.Bool
	partial atomic.Bool
	fails   atomic.Int64
}

func (f *flakyFile) Write(p []byte) (int, error) {
	if f.full.Load() {
		f.fails.Add(1)
		if f.partial.CompareAndSwap(true, false) && len(p) > 10 {
			n, _ := f.File.Write(p[:7]) // a torn line on disk, to be completed later
			return n, syscall.ENOSPC
		}
		return 0, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f *flakyFile) Sync() error {
	if f.full.Load() {
		return syscall.ENOSPC
	}
	return f.File.Sync()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriterDiskFullRecovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	var ff *flakyFile
	opt := testOpts()
	opt.WrapFile = func(f File) File { ff = &flakyFile{File: f}; return ff }
	w, err := Open(path, opt)
	require.NoError(t, err)
	put := func(from, to int) {
		for i := from; i < to; i++ {
			for !w.Sample(monitor.Sample{Time: t0 + int64(i)*int64(time.Millisecond), Channel: channel.PumpFlow, Source: 1, Value: float64(i)}) {
				time.Sleep(time.Millisecond)
			}
		}
	}
	put(0, 1000)
	require.NoError(t, w.Flush())
	ff.partial.Store(true)
	ff.full.Store(true)
	put(1000, 3000)
	waitFor(t, "the failure to show", w.Failed)
	st := w.Status()
	require.ErrorIs(t, st.Err, syscall.ENOSPC)
	require.Greater(t, st.Backlog, 0)
	require.ErrorIs(t, w.Flush(), syscall.ENOSPC)
	put(3000, 4000)
	ff.full.Store(false)
	waitFor(t, "recovery", func() bool { return !w.Failed() })
	require.NoError(t, w.Flush())
	st = w.Status()
	require.NoError(t, st.Err)
	require.Zero(t, st.Backlog)
	require.Zero(t, st.Dropped)
	require.Greater(t, ff.fails.Load(), int64(1), "retried")
	require.NoError(t, w.Close())
	rb := readCase(t, path)
	require.Empty(t, rb.bad)
	require.Len(t, rb.samples, 4000)
	for i, s := range rb.samples {
		require.Equal(t, float64(i), s.Value)
	}
}

func TestWriterBacklogBoundDropsAndReports(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	var ff *flakyFile
	opt := testOpts()
	opt.Backlog = 4096
	opt.WrapFile = func(f File) File { ff = &flakyFile{File: f}; ff.full.Store(true); return ff }
	w, err := Open(path, opt)
	require.NoError(t, err)
	require.True(t, w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 1}))
	waitFor(t, "the failure", w.Failed)
	for i := 1; i < 2000; i++ {
		for !w.Sample(monitor.Sample{Time: t0 + int64(i), Channel: channel.PumpFlow, Source: 1, Value: 1}) {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(t, "drops", func() bool { return w.Status().Dropped > 0 })
	require.True(t, w.Failed())
	require.LessOrEqual(t, w.Status().Backlog, 4096+200)
	ff.full.Store(false)
	waitFor(t, "recovery", func() bool { return !w.Failed() })
	require.NoError(t, w.Close())
	st := w.Status()
	rb := readCase(t, path)
	require.Empty(t, rb.bad)
	require.Equal(t, 2000, len(rb.samples)+int(st.Dropped))
	require.NotEmpty(t, rb.events)
	gap := rb.events[len(rb.events)-1]
	require.Equal(t, KindRecordingGap, gap["#kind"])
	require.Equal(t, st.Dropped, mustUint(t, gap["dropped"]))
}

func mustUint(t *testing.T, s string) uint64 {
	var f float64
	_, err := fmtSscan(s, &f)
	require.NoError(t, err)
	return uint64(f)
}

// blockingFile blocks every Write until released, as a hung disk would.
type blockingFile struct {
	File
	gate chan struct{}
	once sync.Once
	in   chan struct{}
}

func (f *blockingFile) Write(p []byte) (int, error) {
	f.once.Do(func() { close(f.in) })
	<-f.gate
	return f.File.Write(p)
}

func TestWriterQueueFullNeverBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	bf := &blockingFile{gate: make(chan struct{}), in: make(chan struct{})}
	opt := testOpts()
	opt.Queue = 64
	opt.WrapFile = func(f File) File { bf.File = f; return bf }
	w, err := Open(path, opt)
	require.NoError(t, err)
	require.True(t, w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 1}))
	<-bf.in // the goroutine is stuck in Write
	start := time.Now()
	refused := 0
	for i := range 10000 {
		if !w.Sample(monitor.Sample{Time: t0 + int64(i) + 1, Channel: channel.PumpFlow, Source: 1, Value: 2}) {
			refused++
		}
	}
	require.Less(t, time.Since(start), 2*time.Second, "Sample never blocks")
	require.Greater(t, refused, 9000)
	require.Equal(t, uint64(refused), w.Status().Dropped)
	close(bf.gate)
	require.NoError(t, w.Close())
	rb := readCase(t, path)
	require.Equal(t, 10001-refused, len(rb.samples))
	require.Equal(t, KindRecordingGap, rb.events[len(rb.events)-1]["#kind"])
}

func TestWriterDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system:", err)
	}
	w, err := Open("/dev/full", testOpts())
	require.NoError(t, err)
	for i := range 100 {
		w.Sample(monitor.Sample{Time: t0 + int64(i), Channel: channel.PumpFlow, Source: 1, Value: 1})
	}
	err = w.Flush()
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.True(t, w.Failed())
	require.ErrorIs(t, w.Close(), syscall.ENOSPC, "Close says the backlog is lost")
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "a.case"), testOpts())
	require.ErrorIs(t, err, os.ErrNotExist)
	o := testOpts()
	o.Case = "bad\ncase"
	_, err = Open(filepath.Join(t.TempDir(), "a.case"), o)
	require.ErrorIs(t, err, ErrInvalid)
	o = testOpts()
	o.SyncInterval = 2 * time.Second
	_, err = Open(filepath.Join(t.TempDir(), "a.case"), o)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestTeeRecordsEveryRawSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	set := monitor.DefaultSettings()
	opt := testOpts()
	opt.Sources = nil // named below, once the pipeline has its sources
	w, err := Open(path, opt)
	require.NoError(t, err)
	published := 0
	p, err := monitor.New(monitor.Config{Settings: set, OnPublish: w.OnPublish(func(*monitor.Snapshot) { published++ })})
	require.NoError(t, err)
	pr, err := p.AddSource("dev", 8) // a tiny ring: the pipeline drops, the record does not
	require.NoError(t, err)
	require.Equal(t, []string{"", "dev"}, SourceNames(pr))
	w.SetSources(SourceNames(pr))
	tee := Tee{P: pr, W: w}
	for i := range 100 {
		tee.Put(monitor.Sample{Time: t0 + int64(i)*1e6, Channel: channel.PumpFlow, Value: 4})
	}
	snap := p.Step(time.Unix(0, t0+int64(time.Second)))
	require.Greater(t, snap.Sources[pr.ID()].Dropped, uint64(0))
	require.Equal(t, 1, published)
	require.NoError(t, w.Close())
	rb := readCase(t, path)
	n, nd := 0, 0
	for _, s := range rb.samples {
		if s.Source == "dev" {
			n++
			continue
		}
		nd++
		require.True(t, strings.HasPrefix(s.Channel, "derived."))
		require.Equal(t, DerivedSource, s.Source)
		if s.Quality != channel.OK {
			require.True(t, math.IsNaN(s.Value), "%s: a value that is not ok carries no number", s.Channel)
		}
	}
	require.Equal(t, 100, n)
	require.Equal(t, int(channel.DerivedRewarmRate-channel.DerivedBSA+1), nd, "derived values recorded from the snapshot")
}

// errWriter is an io.Writer for bytes.Buffer-free checks.
var _ = errors.New
var _ io.Writer = (*bytes.Buffer)(nil)

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

func TestSampleAfterCloseIsCounted(t *testing.T) {
	w, err := Open(filepath.Join(t.TempDir(), "a.case"), testOpts())
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.False(t, w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 1}))
	require.Equal(t, uint64(1), w.Status().Dropped)
	require.ErrorIs(t, w.AddEvent(Event{Time: t0, Kind: KindNote}), ErrClosed)
	require.ErrorIs(t, w.Flush(), ErrClosed)
}

// A Tee is a device sink.
var _ devices.Sink = Tee{}

// TestSnapshotsNeverCrowdOutEvents: a burst of publishes (a console's
// pre-roll, a replay) fills the snapshot queue while the writer is stuck;
// an operator's event queued then is still accepted and recorded.
func TestSnapshotsNeverCrowdOutEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	bf := &blockingFile{gate: make(chan struct{}), in: make(chan struct{})}
	opt := testOpts()
	opt.WrapFile = func(f File) File { bf.File = f; return bf }
	w, err := Open(path, opt)
	require.NoError(t, err)
	require.True(t, w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 1}))
	<-bf.in               // the goroutine is stuck in Write
	for i := range 5000 { // one a second: each is queued, until the queue is full
		w.Snapshot(&monitor.Snapshot{Seq: uint64(i + 1), Time: t0 + int64(i+1)*1e9})
	}
	require.GreaterOrEqual(t, w.Status().Dropped, uint64(5000-1024), "the snapshot queue filled")
	require.NoError(t, w.AddEvent(Event{Time: t0 + 2e9, Kind: "drug", Text: "heparin 30000 IU"}))
	close(bf.gate)
	require.NoError(t, w.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `text="heparin 30000 IU"`)
}

// TestSnapshotIsCopied: the writer keeps the derived values, not the
// snapshot: the pipeline may refill a snapshot once OnPublish returned, and
// the file must still get the values as published. One snapshot per second
// of case time is queued.
func TestSnapshotIsCopied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	bf := &blockingFile{gate: make(chan struct{}), in: make(chan struct{})}
	opt := testOpts()
	opt.WrapFile = func(f File) File { bf.File = f; return bf }
	w, err := Open(path, opt)
	require.NoError(t, err)
	require.True(t, w.Sample(monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 1}))
	<-bf.in // the writer is stuck: nothing queued now is written yet
	snap := &monitor.Snapshot{Seq: 1, Time: t0 + 1e9, Readings: make([]monitor.Reading, channel.DerivedRewarmRate+1)}
	snap.Readings[channel.DerivedDO2i] = monitor.Reading{Value: 312.5, Time: t0 + 1e9, Quality: channel.OK}
	w.Snapshot(snap)
	snap.Readings[channel.DerivedDO2i].Value = 999 // refilled by the pipeline
	w.Snapshot(snap)                               // the same second: not queued again
	close(bf.gate)
	require.NoError(t, w.Close())
	var do2i []float64
	for _, s := range readCase(t, path).samples {
		if s.Channel == "derived.do2i" {
			do2i = append(do2i, s.Value)
		}
	}
	require.Equal(t, []float64{312.5}, do2i)
}

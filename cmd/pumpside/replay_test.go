package main

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// TestReplayReproducesLive records the simulated case while running it live
// through a pipeline and the alarm engine, then replays the file headless:
// the derived values and the alarm transitions must be the same, to the
// bit.
func TestReplayReproducesLive(t *testing.T) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	end := start.Add(40 * time.Minute) // into bypass and the clamp
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.case")
	w, err := record.Open(path, record.Options{Case: "C-replay", Sources: append([]string{""}, sim.Sources()...)})
	require.NoError(t, err)
	events := []replay.Event{
		{Time: start.Add(time.Minute).UnixNano(), Kind: record.KindNote},
		{Time: start.Add(15 * time.Minute).UnixNano(), Kind: record.KindOnBypass},
		{Time: start.Add(25 * time.Minute).UnixNano(), Kind: record.KindClampOn},
		{Time: start.Add(26 * time.Minute).UnixNano(), Kind: record.KindCardioplegia},
	}
	for _, e := range events {
		require.NoError(t, w.AddEvent(record.Event{Time: e.Time, Kind: e.Kind, Text: e.Kind}))
	}

	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	var prods []*monitor.Producer
	for _, name := range sim.Sources() {
		pr, err := p.AddSource(name, 0)
		require.NoError(t, err)
		prods = append(prods, pr)
	}
	var alarmsLive bytes.Buffer
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{Logger: alarms.NewJSONLines(&alarmsLive)})
	require.NoError(t, err)
	tl := timeline.New(0)
	for _, e := range events {
		require.NoError(t, tl.Add(timeline.Event{Time: e.Time, Kind: e.Kind}))
	}
	// The live console's context: the simulated sources' channels are
	// what it takes as provided, as the replay does from the file.
	var prov channel.Set
	for i := range sim.Sources() {
		for _, id := range sim.Source(i).Channels() {
			prov.Add(id)
		}
	}
	monitor.AddDerived(&prov)
	actx := alarms.Context{Unprovided: prov.Complement()}
	pc := newPhaseContext(alarms.DefaultProfile(), monitor.DefaultSettings().Constants)
	var derivedLive bytes.Buffer
	derivedLive.WriteString("time")
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		derivedLive.WriteString("," + channel.Get(id).Name)
	}
	derivedLive.WriteString("\n")
	c := sim.New(start, 7)
	for now := start; !now.After(end); now = now.Add(time.Second) {
		c.AdvanceTo(now, func(src sim.Source, s monitor.Sample) {
			s.Source = monitor.SourceID(src + 1)
			for !w.Sample(s) {
				time.Sleep(time.Millisecond)
			}
			require.True(t, prods[src].Put(s))
		})
		snap := p.Step(now)
		pc.apply(tl.At(now.UnixNano()), now.UnixNano(), snap, &actx)
		eng.Eval(now, snap, &actx)
		derivedLive.WriteString(now.UTC().Format(time.RFC3339))
		for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
			derivedLive.WriteString(",")
			if r := snap.Reading(id); r.OK() {
				derivedLive.WriteString(strconv.FormatFloat(r.Value, 'g', -1, 64))
			}
		}
		derivedLive.WriteString("\n")
	}
	require.NoError(t, w.Close())

	dout, aout := filepath.Join(dir, "derived.csv"), filepath.Join(dir, "alarms.jsonl")
	code, stdout, errs := run("replay", path, "--headless", "--speed", "max", "--derived-out", dout, "--alarms-out", aout)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, stdout)
	assert.Contains(t, errs, "replayed C-replay: 40m0s of case time")
	got, err := os.ReadFile(dout)
	require.NoError(t, err)
	require.Equal(t, strings.Count(derivedLive.String(), "\n"), bytes.Count(got, []byte("\n")))
	require.True(t, bytes.Equal(derivedLive.Bytes(), got), "derived values differ from the live run")
	require.Regexp(t, `\n2026-03-01T08:30:00Z,[0-9.]+,[0-9.]+,`, string(got), "BSA and flow index are numbers on bypass")
	ga, err := os.ReadFile(aout)
	require.NoError(t, err)
	require.NotEmpty(t, alarmsLive.String(), "the live run raised alarms")
	require.Equal(t, alarmsLive.String(), string(ga))
	trs, err := alarms.ReadJSONLines(bytes.NewReader(ga))
	require.NoError(t, err)
	require.NotEmpty(t, trs)
}

func TestReplayBadLines(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d.csv")
	code, _, errs := run("replay", casesData+"bad-lines.case", "--headless", "--speed", "max", "--derived-out", out)
	require.Equal(t, 0, code, errs)
	for _, n := range []string{":2: no timestamp", ":3: field flow", ":4: column 10", ":6: event without a kind"} {
		assert.Contains(t, errs, "bad-lines.case"+n)
	}
	assert.Contains(t, errs, "4 bad lines")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, 1+4, bytes.Count(b, []byte("\n")), "08:00:00 to 08:00:03")
}

func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.case")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	noSamples := filepath.Join(dir, "events.case")
	require.NoError(t, os.WriteFile(noSamples, []byte("event,case=C,kind=note text=\"x\" 1772352000000000000\n"), 0o600))
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{empty, "--headless"}, "empty file"},
		{[]string{filepath.Join(dir, "nope.case"), "--headless"}, "no such file"},
		{[]string{noSamples, "--headless"}, "no samples"},
		{[]string{casesData + "example.case", "--range", "x"}, "--range applies to --from-influx only"},
		{[]string{casesData + "example.case", "--headless", "--speed", "2"}, "--speed max only"},
		{[]string{"--headless"}, "one CASEFILE is required"},
	} {
		code, _, errs := run(append([]string{"replay"}, tc.args...)...)
		assert.Equal(t, 2, code, tc.args)
		assert.Contains(t, errs, tc.msg, tc.args)
	}
}

// BenchmarkReplayHeadless replays two hours of the simulated case (every
// device at its own rate) as fast as possible: pipeline, derived values,
// alarm engine and CSV, per second of case time. The file is parsed once,
// outside the timing. Reported: times real time.
func BenchmarkReplayHeadless(b *testing.B) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	const caseLen = 2 * time.Hour
	path := filepath.Join(b.TempDir(), "bench.case")
	w, err := record.Open(path, record.Options{Case: "C-bench", Sources: append([]string{""}, sim.Sources()...)})
	require.NoError(b, err)
	sim.New(start, 9).AdvanceTo(start.Add(caseLen), func(src sim.Source, s monitor.Sample) {
		s.Source = monitor.SourceID(src + 1)
		for !w.Sample(s) {
			time.Sleep(time.Millisecond)
		}
	})
	require.NoError(b, w.AddEvent(record.Event{Time: start.Add(15 * time.Minute).UnixNano(), Kind: record.KindOnBypass, Text: "on"}))
	require.NoError(b, w.Close())
	f, err := os.Open(path)
	require.NoError(b, err)
	parseStart := time.Now()
	c, err := replay.Load(f, nil)
	parse := time.Since(parseStart)
	f.Close()
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		_, err := headlessReplay(b.Context(), c, qc.DefaultTolerances(), discard{}, discard{})
		require.NoError(b, err)
	}
	b.StopTimer()
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(caseLen.Seconds()/per, "x_realtime")
	b.ReportMetric(caseLen.Seconds()/(per+parse.Seconds()), "x_realtime_with_parse")
	b.ReportMetric(float64(c.NumSamples())/parse.Seconds(), "parsed_samples/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// startReplayInfluxd starts a real InfluxDB 1.8 (.bin/influxd of the
// checkout, or $PUMPSIDE_INFLUXD) on free loopback ports with its data in a
// temporary directory, creates database db, and stops it at cleanup. As in
// monitor/record's tests: skipped when the binary is missing, except under
// CI=true.
func startReplayInfluxd(t *testing.T, db string) (url string) {
	t.Helper()
	bin := os.Getenv("PUMPSIDE_INFLUXD")
	if bin == "" {
		bin = filepath.Join("..", "..", ".bin", "influxd")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := "InfluxDB 1.8.10 is not installed (.bin/influxd): run `make test`, or .ci/install-influxd"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		return l.Addr().String()
	}
	dir := t.TempDir()
	httpAddr := free()
	log, err := os.Create(filepath.Join(dir, "influxd.log"))
	require.NoError(t, err)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"INFLUXDB_HTTP_BIND_ADDRESS="+httpAddr, "INFLUXDB_BIND_ADDRESS="+free(),
		"INFLUXDB_DATA_DIR="+filepath.Join(dir, "data"), "INFLUXDB_DATA_WAL_DIR="+filepath.Join(dir, "wal"),
		"INFLUXDB_META_DIR="+filepath.Join(dir, "meta"), "INFLUXDB_HTTP_FLUX_ENABLED=true",
		"INFLUXDB_REPORTING_DISABLED=true", "INFLUXDB_HTTP_LOG_ENABLED=false",
		"INFLUXDB_DATA_QUERY_LOG_ENABLED=false", "INFLUXDB_MONITOR_STORE_ENABLED=false")
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
	})
	url = "http://" + httpAddr
	ready := waitFor(60*time.Second, func() bool {
		resp, err := http.Get(url + "/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	})
	if !ready {
		b, _ := os.ReadFile(filepath.Join(dir, "influxd.log"))
		t.Fatalf("influxd not ready; log:\n%s", b)
	}
	resp, err := http.PostForm(url+"/query", neturl.Values{"q": {"CREATE DATABASE " + strconv.Quote(db)}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return url
}

// TestReplayFromInflux records a simulated case (with qualities that are
// not ok, events and a bookmark), ships it to a real InfluxDB 1.8 with the
// recorder's shipper, then replays it headless from InfluxDB: the derived
// values and alarm transitions are those of replaying the file.
func TestReplayFromInflux(t *testing.T) {
	if testing.Short() {
		t.Skip("starts InfluxDB")
	}
	url := startReplayInfluxd(t, "pumpside")
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.case")
	w, err := record.Open(path, record.Options{Case: "C-influx", Sources: append([]string{""}, sim.Sources()...)})
	require.NoError(t, err)
	sim.New(start, 6).AdvanceTo(start.Add(25*time.Minute), func(src sim.Source, s monitor.Sample) {
		s.Source = monitor.SourceID(src + 1)
		if s.Channel == channel.PatientMAP && s.Time%int64(97*time.Second) < int64(time.Second) {
			s.Value, s.Quality = 310, channel.OutOfRange // a few implausible values, kept raw
		}
		for !w.Sample(s) {
			time.Sleep(time.Millisecond)
		}
	})
	require.NoError(t, w.AddEvent(record.Event{Time: start.Add(15 * time.Minute).UnixNano(), Kind: record.KindOnBypass, Text: "On bypass"}))
	require.NoError(t, w.AddEvent(record.Event{Time: start.Add(20 * time.Minute).UnixNano(), Kind: record.KindClampOn, Text: "Clamp on"}))
	require.NoError(t, w.AddBookmark(record.Bookmark{Time: start.Add(18 * time.Minute).UnixNano(), Text: "look", Author: "t"}))
	require.NoError(t, w.Close())
	fi, err := os.Stat(path)
	require.NoError(t, err)

	cfg := record.Config{URL: url, Bucket: "pumpside/autogen"}
	sh, err := record.NewShipper(path, record.ShipperOptions{Config: cfg, Poll: 50 * time.Millisecond})
	require.NoError(t, err)
	defer sh.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { _ = sh.Run(ctx); close(done) }()
	require.True(t, waitFor(60*time.Second, func() bool { return sh.Status().Cursor == fi.Size() }), "shipped: %+v", sh.Status())
	cancel()
	<-done

	t.Setenv(record.EnvURL, url)
	t.Setenv(record.EnvBucket, cfg.Bucket)
	t.Setenv(record.EnvOrg, "")
	t.Setenv(record.EnvToken, "")
	t.Setenv(record.EnvTokenFile, "")
	t.Setenv(record.EnvCAFile, "")
	d1, a1 := filepath.Join(dir, "file.csv"), filepath.Join(dir, "file.jsonl")
	d2, a2 := filepath.Join(dir, "influx.csv"), filepath.Join(dir, "influx.jsonl")
	code, _, errs := run("replay", path, "--headless", "--derived-out", d1, "--alarms-out", a1)
	require.Equal(t, 0, code, errs)
	code, _, errs = run("replay", "C-influx", "--from-influx", "--headless", "--derived-out", d2, "--alarms-out", a2)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "replayed C-influx: 25m0s of case time")
	for _, pair := range [][2]string{{d1, d2}, {a1, a2}} {
		want, err := os.ReadFile(pair[0])
		require.NoError(t, err)
		got, err := os.ReadFile(pair[1])
		require.NoError(t, err)
		require.Greater(t, len(want), 100)
		require.True(t, bytes.Equal(want, got), "%s differs from %s", filepath.Base(pair[1]), filepath.Base(pair[0]))
	}

	// The case itself: every sample, with its quality, every event and
	// bookmark, as in the file.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `map_q="out_of_range"`)
	fromFile, err := replay.Load(bytes.NewReader(data), nil)
	require.NoError(t, err)
	fromDB, err := loadFromInflux(t.Context(), cfg, "C-influx", time.Unix(1, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	type flat struct {
		t       int64
		ch, src string
		v       uint64
		q       channel.Quality
	}
	flatten := func(c *replay.Case) []flat {
		out := make([]flat, 0, c.NumSamples())
		for _, s := range c.AllSamples() {
			out = append(out, flat{s.Time, c.Channels[s.Channel], c.Sources[s.Source], math.Float64bits(s.Value), s.Quality})
		}
		slices.SortFunc(out, func(a, b flat) int {
			return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.ch, b.ch), cmp.Compare(a.src, b.src))
		})
		return out
	}
	ff, fd := flatten(fromFile), flatten(fromDB)
	require.Equal(t, len(ff), len(fd))
	require.Equal(t, ff, fd)
	oor := 0
	for _, s := range fd {
		if s.q == channel.OutOfRange {
			oor++
		}
	}
	require.Positive(t, oor, "out-of-range samples came back with their quality")
	require.Equal(t, fromFile.Events, fromDB.Events)
	require.Equal(t, fromFile.Bookmarks, fromDB.Bookmarks)
	require.Equal(t, "C-influx", fromDB.ID)

	// A time range: the last ten minutes only; and the bookmarks.
	code, out, errs := run("replay", "C-influx", "--from-influx", "--bookmarks")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "2026-03-01T08:18:00Z  00:18:00  look  (t)\n", out)
	code, _, errs = run("replay", "C-influx", "--from-influx", "--headless", "--range", "2026-03-01T08:15:00Z,2026-03-01T08:25:00Z")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "replayed C-influx: 10m0s of case time")
	code, _, errs = run("replay", "C-nope", "--from-influx", "--headless")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no samples")

	// A bookmark taken while replaying from InfluxDB is kept there (the
	// console's store for such a replay): the next replay lists it.
	var logs bytes.Buffer
	ib := &influxBookmarks{cfg: cfg, caseID: "C-influx", stderr: &logs}
	require.NoError(t, ib.add(replay.Bookmark{Time: start.Add(22 * time.Minute).UnixNano(), Text: "clamp check, see MAP", Author: "teacher"}))
	ib.close()
	require.Empty(t, logs.String())
	code, out, errs = run("replay", "C-influx", "--from-influx", "--bookmarks")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "2026-03-01T08:18:00Z  00:18:00  look  (t)\n2026-03-01T08:22:00Z  00:22:00  clamp check, see MAP  (teacher)\n", out)

	// A server that refuses says so on stderr; the replay goes on.
	bad := &influxBookmarks{cfg: record.Config{URL: url, Bucket: "no-such-db/autogen"}, caseID: "C-influx", stderr: &logs}
	require.NoError(t, bad.add(replay.Bookmark{Time: start.UnixNano(), Text: "x"}))
	bad.close()
	assert.Contains(t, logs.String(), "bookmark not kept in InfluxDB")
}

// FuzzParseRange: --range either fails or gives FROM before TO, both as
// written.
func FuzzParseRange(f *testing.F) {
	f.Add("2026-03-01T08:15:00Z,2026-03-01T08:25:00Z")
	f.Add("")
	f.Add("2026-03-01T08:15:00+01:00 , 2026-03-01T08:25:00.5Z")
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := parseRange(s)
		if err != nil {
			return
		}
		if !to.After(from) {
			t.Fatalf("%q: %v is not after %v", s, to, from)
		}
		if s == "" {
			return
		}
		a, b, _ := strings.Cut(s, ",")
		if from.Format(time.RFC3339Nano) == "" || !strings.Contains(a+b, ":") {
			t.Fatalf("%q parsed without times", s)
		}
	})
}

type teeLogger []alarms.Logger

func (t teeLogger) LogAlarm(e alarms.Entry) {
	for _, l := range t {
		l.LogAlarm(e)
	}
}

// TestReplayAppliesRecordedSettings: the perfusionist raised the MAP low
// limit and entered a NIRS baseline during the live case; the replay sets
// both again at their time, so it raises the alarms the console raised.
func TestReplayAppliesRecordedSettings(t *testing.T) {
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	end := start.Add(35 * time.Minute)
	changeAt, baselineAt := start.Add(20*time.Minute), start.Add(5*time.Minute)
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.case")
	w, err := record.Open(path, record.Options{Case: "C-settings", Sources: append([]string{""}, sim.Sources()...)})
	require.NoError(t, err)
	onBypass := start.Add(15 * time.Minute).UnixNano()
	require.NoError(t, w.AddEvent(record.Event{Time: onBypass, Kind: record.KindOnBypass}))

	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	var prods []*monitor.Producer
	var prov channel.Set
	for i, name := range sim.Sources() {
		pr, err := p.AddSource(name, 0)
		require.NoError(t, err)
		prods = append(prods, pr)
		for _, id := range sim.Source(i).Channels() {
			prov.Add(id)
		}
	}
	monitor.AddDerived(&prov)
	var alarmsLive bytes.Buffer
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{Logger: teeLogger{alarms.NewJSONLines(&alarmsLive), w}})
	require.NoError(t, err)
	tl := timeline.New(0)
	require.NoError(t, tl.Add(timeline.Event{Time: onBypass, Kind: record.KindOnBypass}))
	actx := alarms.Context{Unprovided: prov.Complement()}
	pc := newPhaseContext(alarms.DefaultProfile(), monitor.DefaultSettings().Constants)
	c := sim.New(start, 7)
	for now := start; !now.After(end); now = now.Add(time.Second) {
		c.AdvanceTo(now, func(src sim.Source, s monitor.Sample) {
			s.Source = monitor.SourceID(src + 1)
			for !w.Sample(s) {
				time.Sleep(time.Millisecond)
			}
			require.True(t, prods[src].Put(s))
		})
		switch {
		case now.Equal(baselineAt): // the NIRS baseline entry: higher than the sensors read now
			base := map[string]float64{"left": 95, "right": 95}
			require.NoError(t, w.AddEvent(record.Event{Time: now.UnixNano(), Kind: entry.KindNIRSBaseline,
				Fields: []record.Field{record.Num("left", 95), record.Num("right", 95)}}))
			require.NoError(t, tl.Add(timeline.Event{Time: now.UnixNano(), Kind: entry.KindNIRSBaseline}))
			require.Empty(t, applyRecorded(entry.KindNIRSBaseline, func(k string) (float64, bool) { v, ok := base[k]; return v, ok }, nil, engineAt{eng, now}))
		case now.Equal(changeAt):
			require.NoError(t, eng.SetLimit(now, "map_low", 70))
		}
		snap := p.Step(now)
		pc.apply(tl.At(now.UnixNano()), now.UnixNano(), snap, &actx)
		eng.Eval(now, snap, &actx)
	}
	require.NoError(t, w.Close())
	live := alarmsLive.String()
	require.Contains(t, live, `"alarm":"map_low","priority":"medium","state":"active"`, "the raised limit raised the alarm")
	require.Contains(t, live, `"alarm":"nirs_drop_left","priority":"medium","state":"active"`, "the baseline raised the NIRS alarm")

	aout := filepath.Join(dir, "alarms.jsonl")
	code, _, errs := run("replay", path, "--headless", "--speed", "max", "--alarms-out", aout)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, errs, "not applied")
	got, err := os.ReadFile(aout)
	require.NoError(t, err)
	require.Equal(t, live, string(got))
}

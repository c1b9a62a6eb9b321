package main

import (
	"bytes"
	"github.com/pumpside/pumpside/monitor/timeline"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	"github.com/pumpside/pumpside/monitor/record"
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
	var actx alarms.Context
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
		applyTimeline(tl.At(now.UnixNano()), &actx)
		if r := snap.Reading(channel.ACTSeconds); r.Time > actx.LastACT {
			actx.LastACT = r.Time
		}
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
		{[]string{casesData + "example.case"}, "only --headless"},
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
		_, err := headlessReplay(b.Context(), c, discard{}, discard{})
		require.NoError(b, err)
	}
	b.StopTimer()
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(caseLen.Seconds()/per, "x_realtime")
	b.ReportMetric(caseLen.Seconds()/(per+parse.Seconds()), "x_realtime_with_parse")
	b.ReportMetric(float64(len(c.Samples))/parse.Seconds(), "parsed_samples/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

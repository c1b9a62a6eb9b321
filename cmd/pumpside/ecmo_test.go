package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

func TestRunModeFlags(t *testing.T) {
	m, err := parseRunMode("", 0)
	require.NoError(t, err)
	require.Equal(t, runMode{name: "bypass"}, m)
	m, err = parseRunMode("ecmo", 0)
	require.NoError(t, err)
	require.Equal(t, record.DefaultSegment, m.segment)
	m, err = parseRunMode("ecmo", 30*time.Second)
	require.NoError(t, err)
	require.Equal(t, 30*time.Second, m.segment)
	for _, c := range []struct {
		mode string
		seg  time.Duration
	}{{"", time.Hour}, {"bypass", time.Hour}, {"ecmo", time.Millisecond}, {"ecls", 0}} {
		_, err := parseRunMode(c.mode, c.seg)
		require.Error(t, err, "%q %v", c.mode, c.seg)
	}
	code, _, errs := run("run", "--mode", "ecls")
	require.Equal(t, 2, code)
	require.Contains(t, errs, "unknown --mode")
}

// TestECMOSegmentsSurviveKill9 runs the real console in ECMO mode with a
// segment of 20 s of case time at 10× (a new segment every 2 s of wall
// time), kills it with SIGKILL after several boundaries, and reads the run:
// every series of every periodic simulated source is whole across the
// segment boundaries (each sample once, none missing between the first and
// the last), and replay, report and cases take the segments as one case.
func TestECMOSegmentsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	c := newChaos(t)
	runs := pick(c, 3, 1)
	for i := range runs {
		dir := t.TempDir()
		g := c.console(t, "run", "--mode", "ecmo", "--segment", "20s", "--speed", "10", "--no-sound", "--control", "", "--record", dir)
		time.Sleep(time.Duration(6500+1500*i) * time.Millisecond)
		require.NoError(t, g.cmd.Process.Kill()) // SIGKILL
		<-g.exited

		files, err := filepath.Glob(filepath.Join(dir, "*.case"))
		require.NoError(t, err)
		var first string
		for _, f := range files {
			if isFirstSegment(f) {
				require.Empty(t, first, "one run in %s: %v", dir, files)
				first = f
			}
		}
		segs := record.Segments(first)
		require.Equal(t, len(files), len(segs), "every file is a segment of the run")
		require.GreaterOrEqual(t, len(segs), 3, "at least two boundaries crossed: %v", segs)

		// Per series (source, channel): its sample times across the run.
		type key struct{ src, ch string }
		series := map[key][]int64{}
		perSeg := make([]int, len(segs))
		bounds := make([]int64, len(segs)) // the first sample time of each segment
		var joined []byte                  // the segments one after another
		for k, p := range segs {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			joined = append(joined, data...)
			bounds[k] = -1
			for _, s := range segmentSamples(t, data) {
				series[key{s.Source, s.Channel}] = append(series[key{s.Source, s.Channel}], s.Time)
				perSeg[k]++
				if bounds[k] < 0 || s.Time < bounds[k] {
					bounds[k] = s.Time
				}
			}
		}
		checked, boundaryCrossings := 0, 0
		for idx, name := range sim.Sources() {
			iv := int64(sim.Source(idx).Interval())
			if iv == 0 {
				continue // sporadic: nothing to count on
			}
			for _, ch := range sim.Source(idx).Channels() {
				ts := series[key{name, ch.String()}]
				if len(ts) < 2 {
					continue
				}
				checked++
				slices.Sort(ts)
				for j := 1; j < len(ts); j++ {
					require.NotEqual(t, ts[j-1], ts[j], "%s %s: a duplicate at %d", name, ch, ts[j])
					require.Equal(t, iv, ts[j]-ts[j-1], "%s %s: a hole after %s", name, ch, time.Unix(0, ts[j-1]).UTC().Format(time.RFC3339Nano))
					for _, b := range bounds[1:] {
						if b > 0 && ts[j-1] < b && ts[j] >= b {
							boundaryCrossings++
						}
					}
				}
			}
		}
		require.Greater(t, checked, 10, "periodic series checked")
		require.Greater(t, boundaryCrossings, checked, "the series run across the boundaries")

		// Replay takes the run as one case: as the segments joined in one
		// file (a torn last line cut off, as the writer would on reopening).
		if cut := bytes.LastIndexByte(joined, '\n'); cut+1 < len(joined) {
			joined = joined[:cut+1]
		}
		one := filepath.Join(t.TempDir(), "joined.case")
		require.NoError(t, os.WriteFile(one, joined, 0o600))
		cs, err := replay.Open(first, nil)
		require.NoError(t, err)
		cj, err := replay.Open(one, nil)
		require.NoError(t, err)
		require.Equal(t, cj.NumSamples(), cs.NumSamples(), "replay reads every segment")
		require.Equal(t, cj.Start, cs.Start)
		require.Equal(t, cj.End, cs.End)
		require.NoError(t, cs.Close())
		require.NoError(t, cj.Close())
		alarmsOf := func(path string) string {
			out := filepath.Join(t.TempDir(), "alarms.jsonl")
			code, _, errs := run("replay", path, "--headless", "--speed", "max", "--alarms-out", out)
			require.Equal(t, 0, code, "%s", errs)
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			return string(b)
		}
		require.Equal(t, alarmsOf(one), alarmsOf(first), "headless replay of the run = of the joined file")
		total := 0
		for _, k := range perSeg {
			total += k
		}
		code, out, errs := run("cases", dir)
		require.Equal(t, 0, code, "%s", errs)
		assert.Contains(t, out, filepath.Base(first))
		assert.NotContains(t, out, filepath.Base(segs[1]), "a later segment is not listed as a case")
		t.Logf("ECMO kill -9 run %d: %d segments (samples per segment %v), %d periodic series whole, %d boundary crossings, %d samples in the run",
			i+1, len(segs), perSeg, checked, boundaryCrossings, total)
	}
}

// segmentSamples reads the raw samples (derived values left out) of one
// segment's bytes.
func segmentSamples(t *testing.T, data []byte) []record.ChannelSample {
	t.Helper()
	var out, smp []record.ChannelSample
	rd := record.NewReader(bytes.NewReader(data))
	for rd.Next() {
		e := rd.Entry()
		if e.Kind() != record.KindSamples || e.Tag(record.TagSource) == record.DerivedSource {
			continue
		}
		smp = e.Samples(smp[:0])
		out = append(out, smp...)
	}
	require.NoError(t, rd.Err())
	return out
}

// TestLongRunReadAsOneCase splits a recorded case into three segments at
// line boundaries (as the writer does) and requires every reader to give
// what it gives for the case in one file: cases, report, audit, export,
// event list and the headless replay's alarms.
func TestLongRunReadAsOneCase(t *testing.T) {
	withSecret(t)
	simCase := filepath.Join(t.TempDir(), "sim.case")
	code, _, errs := run("sim", "--duration", "40m", "--out", simCase)
	require.Equal(t, 0, code, errs)
	for _, src := range []string{reportCase, simCase} {
		t.Run(filepath.Base(src), func(t *testing.T) { readAsOneCase(t, src) })
	}
}

func readAsOneCase(t *testing.T, src string) {
	whole, err := os.ReadFile(src)
	require.NoError(t, err)
	oneDir, segDir := t.TempDir(), t.TempDir()
	one, first := filepath.Join(oneDir, "run.case"), filepath.Join(segDir, "run.case")
	require.NoError(t, os.WriteFile(one, whole, 0o600))
	lines := bytes.SplitAfter(whole, []byte("\n"))
	cuts := []int{0, len(lines) / 3, 2 * len(lines) / 3, len(lines)}
	for k := range 3 {
		seg := bytes.Join(lines[cuts[k]:cuts[k+1]], nil)
		require.NoError(t, os.WriteFile(record.SegmentPath(first, k+1), seg, 0o600))
	}
	require.Len(t, record.Segments(first), 3)

	same := func(args func(path, dir string) []string, what string) {
		t.Helper()
		c1, o1, e1 := run(args(one, oneDir)...)
		c2, o2, e2 := run(args(first, segDir)...)
		require.Equal(t, 0, c1, "%s: %s", what, e1)
		require.Equal(t, 0, c2, "%s: %s", what, e2)
		require.NotEmpty(t, o1, what)
		require.Equal(t, o1, o2, what)
	}
	same(func(p, d string) []string { return []string{"cases", d} }, "cases")
	same(func(p, d string) []string { return []string{"report", p, "--format", "html"} }, "report")
	same(func(p, d string) []string { return []string{"export", p, "--format", "csv"} }, "export")
	same(func(p, d string) []string { return []string{"event", "list", p} }, "event list")
	// Any segment names the run.
	same(func(p, d string) []string {
		if d == segDir {
			p = record.SegmentPath(first, 2)
		}
		return []string{"export", p, "--format", "csv"}
	}, "export by the second segment")
	fileOut := func(args ...string) string {
		out := filepath.Join(t.TempDir(), "out")
		code, _, errs := run(append(args, out)...)
		require.Equal(t, 0, code, "%v: %s", args, errs)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.NotEmpty(t, b)
		return string(b)
	}
	require.Equal(t, fileOut("audit", oneDir, "--format", "csv", "--out"), fileOut("audit", segDir, "--format", "csv", "--out"), "audit: the run is one case")
	require.Equal(t, fileOut("replay", one, "--headless", "--speed", "max", "--alarms-out"),
		fileOut("replay", first, "--headless", "--speed", "max", "--alarms-out"), "headless replay")
}

// TestResumeLongRun: a console restarted on a long run (--resume naming any
// segment) reads the whole run back (the case is on bypass again) and goes
// on in its last segment, the earlier ones untouched.
func TestResumeLongRun(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-ecmo", profile: alarms.DefaultProfile(), stderr: io.Discard,
		caseStart: builtinCaseStart, segment: 10 * time.Minute})
	require.NoError(t, err)
	f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
	require.NoError(t, err)
	for m := 1; m <= 35; m++ {
		f.stepTo(time.Duration(m) * time.Minute)
		require.NoError(t, s.rec.Flush()) // a commit a minute, as the group commit would
	}
	require.NoError(t, s.rec.Close())
	first := s.rec.Path()
	segs := record.Segments(first)
	require.Len(t, segs, 4, "segments of 10 min over 35 min")
	before := make([][]byte, len(segs))
	for i, p := range segs {
		before[i], err = os.ReadFile(p)
		require.NoError(t, err)
		require.NotEmpty(t, before[i], p)
	}

	at := builtinCaseStart.Add(36 * time.Minute)
	clk.Set(at)
	r, err := newSession(sessionOptions{clk: clk, resume: segs[1], caseID: "C-other", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	st := r.tl.At(at.UnixNano())
	assert.Equal(t, timeline.Bypass, st.Phase, "the events of every segment are read back")
	r.addEvent(at.UnixNano(), "note", "console restarted")
	require.NoError(t, r.rec.Close())
	require.Equal(t, segs, record.Segments(first), "no new segment")
	for i, p := range segs {
		after, err := os.ReadFile(p)
		require.NoError(t, err)
		if i < len(segs)-1 {
			require.Equal(t, before[i], after, "segment %d untouched", i+1)
			continue
		}
		require.True(t, bytes.HasPrefix(after, before[i]))
		tail := string(after[len(before[i]):])
		assert.True(t, strings.Contains(tail, "case=C-ecmo") && strings.Contains(tail, "console restarted"), tail)
	}
}

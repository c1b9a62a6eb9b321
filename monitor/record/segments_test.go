package record

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/stretchr/testify/require"
)

func TestSegmentNames(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "20260301-080000-C-1.case")
	require.Equal(t, first, SegmentPath(first, 1))
	require.Equal(t, filepath.Join(dir, "20260301-080000-C-1.2.case"), SegmentPath(first, 2))
	require.Equal(t, filepath.Join(dir, "20260301-080000-C-1.12.case"), SegmentPath(first, 12))

	// Without the first segment on disk a name is its own case.
	p2 := SegmentPath(first, 2)
	got, n := FirstSegment(p2)
	require.Equal(t, p2, got)
	require.Equal(t, 1, n)
	require.NoError(t, os.WriteFile(first, []byte("x\n"), 0o600))
	require.NoError(t, os.WriteFile(p2, []byte("y\n"), 0o600))
	got, n = FirstSegment(p2)
	require.Equal(t, first, got)
	require.Equal(t, 2, n)
	for _, p := range []string{"a.1.case", "a.02.case", "a.+3.case", "a.x.case", "a.case", "a.3.lp", ".2.case"} {
		got, n := FirstSegment(filepath.Join(dir, p))
		require.Equal(t, filepath.Join(dir, p), got, p)
		require.Equal(t, 1, n, p)
	}
	// A hole ends the run: segment 4 without 3 is not part of it.
	require.NoError(t, os.WriteFile(SegmentPath(first, 4), []byte("z\n"), 0o600))
	require.Equal(t, []string{first, p2}, Segments(p2))
	require.Equal(t, []string{first, p2}, Segments(first))
}

// TestRunFileJoinsSegments reads three segments as one: a segment without
// its last newline gets one, so that its last line does not run into the
// next segment's first; ReadAt and Seek see the same bytes.
func TestRunFileJoinsSegments(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "r.case")
	require.NoError(t, os.WriteFile(first, []byte("a 1\nb 2\n"), 0o600))
	require.NoError(t, os.WriteFile(SegmentPath(first, 2), []byte("c 3"), 0o600)) // cut by another tool
	require.NoError(t, os.WriteFile(SegmentPath(first, 3), []byte("d 4\n"), 0o600))
	r, err := OpenRun(SegmentPath(first, 3))
	require.NoError(t, err)
	defer r.Close()
	want := "a 1\nb 2\nc 3\nd 4\n"
	require.Equal(t, int64(len(want)), r.Size())
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, want, string(b))
	for off := range len(want) {
		for n := 1; off+n <= len(want); n++ {
			buf := make([]byte, n)
			m, err := r.ReadAt(buf, int64(off))
			require.NoError(t, err)
			require.Equal(t, want[off:off+n], string(buf[:m]), "ReadAt(%d, %d)", n, off)
		}
	}
	buf := make([]byte, 4)
	m, err := r.ReadAt(buf, int64(len(want)-2))
	require.Equal(t, 2, m)
	require.ErrorIs(t, err, io.EOF)
	_, err = r.Seek(8, io.SeekStart)
	require.NoError(t, err)
	b, err = io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, want[8:], string(b))
}

// TestWriterSegments records 35 s of case time in segments of 10 s: four
// segments, each starting at the first commit after its boundary, holding
// every sample once between them; a writer opened again goes on in the last.
func TestWriterSegments(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "run.case")
	opt := Options{Case: "run", Sources: []string{"", "dev"}, Segment: 10 * time.Second, Origin: t0, SyncInterval: 10 * time.Millisecond}
	w, err := Open(first, opt)
	require.NoError(t, err)
	i := 0
	put := func(to int) {
		for ; i < to; i++ { // 10 samples a second of case time
			require.True(t, w.Sample(monitor.Sample{Time: t0 + int64(i)*int64(100*time.Millisecond), Channel: channel.PumpFlow, Source: 1, Value: float64(i)}))
		}
		require.NoError(t, w.Flush())
	}
	put(50)
	require.Equal(t, 1, w.Status().Segment)
	put(101) // 10.0 s reached: the commit of this flush rolls
	st := w.Status()
	require.Equal(t, 2, st.Segment)
	require.Equal(t, SegmentPath(first, 2), st.SegmentPath)
	require.Zero(t, st.Written, "the new segment is empty until the next line")
	require.Equal(t, mustSize(t, first), st.RunBytes)
	put(250)
	put(351)
	st = w.Status()
	require.Equal(t, 4, st.Segment)
	require.NoError(t, w.Close())
	require.Len(t, Segments(first), 4)
	// A segment ends at the first commit after the newest time reached its
	// boundary: samples 0–100 (0.0–10.0 s) in the first; the next
	// boundary is then 20 s, reached by sample 249 (24.9 s); then 30 s,
	// reached by 350 (35.0 s); the fourth is empty until the next line.
	var total int64
	wantFirst := []int{0, 101, 250, 351}
	for k, p := range Segments(first) {
		total += mustSize(t, p)
		rb := readOne(t, p)
		n := 0
		if k < 3 {
			n = wantFirst[k+1] - wantFirst[k]
		}
		require.Len(t, rb, n, "segment %d", k+1)
		for j, s := range rb {
			require.Equal(t, float64(wantFirst[k]+j), s.Value, "segment %d", k+1)
		}
	}
	require.Equal(t, total, st.RunBytes, "the disk used by the run")
	rb := readCase(t, first)
	require.Len(t, rb.samples, 351)
	for k, s := range rb.samples {
		require.Equal(t, float64(k), s.Value, "sample %d: in order, once", k)
	}

	// Open again (a restart): it goes on in segment 4.
	w, err = Open(first, opt)
	require.NoError(t, err)
	require.Equal(t, 4, w.Status().Segment)
	put(360)
	require.NoError(t, w.Close())
	require.Len(t, readCase(t, first).samples, 360)
	_, err = Open(SegmentPath(first, 2), opt)
	require.ErrorIs(t, err, ErrInvalid, "a long run is opened by its first segment")
}

func readOne(t *testing.T, path string) []ChannelSample {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []ChannelSample
	r := NewReader(f)
	for r.Next() {
		if e := r.Entry(); e.Kind() == KindSamples {
			out = e.Samples(out)
		}
	}
	require.NoError(t, r.Err())
	return out
}

func TestWriterDiskLow(t *testing.T) {
	dir := t.TempDir()
	free, ok := freeBytes(dir)
	if !ok {
		t.Skip("free space is not measured on this platform")
	}
	// A threshold above the free space: low; far under it: not.
	w, err := Open(filepath.Join(dir, "a.case"), Options{Case: "a", MinFree: free + 1<<40})
	require.NoError(t, err)
	require.True(t, w.DiskLow())
	st := w.Status()
	require.True(t, st.DiskLow)
	require.Greater(t, st.Free, int64(0))
	require.NoError(t, w.Close())
	w, err = Open(filepath.Join(dir, "b.case"), Options{Case: "b", MinFree: 1})
	require.NoError(t, err)
	require.False(t, w.DiskLow())
	require.NoError(t, w.Close())
}

const segChildEnv = "PUMPSIDE_RECORD_SEGMENT_KILL_CHILD" // TestMain

// recordSegmentsUntilKilled records 1 ms samples (5 s of case time a second
// of wall time) in segments of 1 s of case time, with the default group
// commit: a new segment about every 200 ms of wall time. It prints how many
// samples it handed over, every 10 ms.
func recordSegmentsUntilKilled(path string) {
	w, err := Open(path, Options{Case: "kill", Sources: []string{"", "dev"}, Segment: time.Second, Origin: t0})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		for !w.Sample(monitor.Sample{Time: t0 + int64(i)*int64(time.Millisecond), Channel: channel.PumpFlow, Source: 1, Value: float64(i)}) {
			time.Sleep(100 * time.Microsecond)
		}
		if i%50 == 49 {
			fmt.Fprintln(out, i+1)
			out.Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestKill9AcrossSegments kills a writer of a long run with SIGKILL after it
// crossed several segment boundaries, twice (the second child goes on in
// the run the first left), and requires the run to hold every sample handed
// over a second before each kill, in order, once: a boundary loses and
// duplicates nothing.
func TestKill9AcrossSegments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kill.case")
	child := func() (must, total int) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), segChildEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		type mark struct {
			at time.Time
			n  int
		}
		marks := make(chan mark, 4096)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if n, err := strconv.Atoi(sc.Text()); err == nil {
					marks <- mark{time.Now(), n}
				}
			}
			close(marks)
		}()
		time.Sleep(2500 * time.Millisecond)
		killed := time.Now()
		require.NoError(t, cmd.Process.Kill()) // SIGKILL
		_ = cmd.Wait()
		for m := range marks {
			if m.at.Before(killed.Add(-time.Second)) {
				must = m.n
			}
			total = m.n
		}
		return must, total
	}
	must, total := child()
	require.Greater(t, must, 1000, "the child recorded")
	segs := len(Segments(path))
	rb := readCase(t, path)
	t.Logf("first child: handed over %d (%d a second before the kill), %d segments, %d samples in the run, %d bad lines",
		total, must, segs, len(rb.samples), len(rb.bad))
	require.GreaterOrEqual(t, segs, 3, "boundaries crossed")
	require.LessOrEqual(t, len(rb.bad), 1, "at most the line being written is torn")
	require.GreaterOrEqual(t, len(rb.samples), must)
	for i, s := range rb.samples {
		require.Equal(t, float64(i), s.Value, "sample %d: in order, no hole, no duplicate", i)
	}

	// The second child (a restart) repairs the last segment and goes on in
	// it: its samples start again from 0 at t0, so the run then holds the
	// first child's kept samples followed by the second's.
	kept := len(rb.samples)
	must2, total2 := child()
	segs2 := len(Segments(path))
	rb = readCase(t, path)
	t.Logf("second child: handed over %d (%d a second before the kill), %d segments, %d samples in the run, %d bad lines",
		total2, must2, segs2, len(rb.samples), len(rb.bad))
	require.Greater(t, segs2, segs)
	require.LessOrEqual(t, len(rb.bad), 1)
	require.GreaterOrEqual(t, len(rb.samples), kept+must2)
	for i, s := range rb.samples {
		want := i
		if i >= kept {
			want = i - kept
		}
		require.Equal(t, float64(want), s.Value, "sample %d: in order, no hole, no duplicate", i)
	}
}

// TestShipLongRunToInfluxDB ships a long run while it is recorded (20 min of
// the simulated case in segments of 5 min), then drains its end: the server
// holds exactly the run's points, each segment's cursor at its end.
func TestShipLongRunToInfluxDB(t *testing.T) {
	db := "pumpside"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/run.case"
	opt := simOpts("C-run-1")
	opt.Segment, opt.Origin = 5*time.Minute, simStart.UnixNano()
	w, err := Open(path, opt)
	require.NoError(t, err)
	require.NoError(t, w.SetMeta(Meta{Time: simStart.UnixNano(), HeightCm: 175, WeightKg: 80, Constants: physio.DefaultConstants()}))
	sh, stop := runShipper(t, path, shipOpts(s, db))
	c := sim.New(simStart, 1)
	for m := 1; m <= 20; m++ {
		recordSim(t, w, c, simStart.Add(time.Duration(m)*time.Minute))
		require.NoError(t, w.Flush())
	}
	require.NoError(t, w.Close())
	segs := Segments(path)
	require.Len(t, segs, 5, "four of 5 min, and the empty fifth begun when 20:00 was committed")
	last := segs[len(segs)-1]
	deadline := time.Now().Add(60 * time.Second)
	for sh.Status().Segment != last || sh.Status().Cursor != mustSize(t, last) {
		require.True(t, time.Now().Before(deadline), "not shipped after 60 s: %+v", sh.Status())
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	// Drain of the whole run (what a console does at its close): nothing
	// left, nothing sent again.
	d, err := NewShipper(path, shipOpts(s, db))
	require.NoError(t, err)
	require.NoError(t, d.Drain(context.Background()))
	require.Zero(t, d.Status().Lines, "nothing sent twice")
	d.Close()
	cur, size, err := Behind(path)
	require.NoError(t, err)
	require.Equal(t, size, cur)
	for _, p := range segs {
		c, err := ReadCursor(p)
		require.NoError(t, err)
		require.Equal(t, mustSize(t, p), c, p)
	}
	file, lines := filePoints(t, path)
	require.Greater(t, lines, 20000)
	require.Equal(t, uint64(lines), sh.Status().Lines, "every line of every segment sent once")
	comparePoints(t, file, dbPoints(t, s, db))
}

// FuzzRunFile splits bytes into three segments and reads them back as a
// run: every byte once, in order, with one newline put after a segment
// (not the last) that lacks it; ReadAt agrees with Read.
func FuzzRunFile(f *testing.F) {
	f.Add([]byte("a 1\nb 2\nc 3\n"), uint8(4), uint8(8))
	f.Add([]byte("a 1\nb 2c 3"), uint8(3), uint8(3))
	f.Add([]byte(""), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint8) {
		i, j := min(int(a), len(data)), min(int(b), len(data))
		if i > j {
			i, j = j, i
		}
		dir := t.TempDir()
		first := filepath.Join(dir, "f.case")
		parts := [][]byte{data[:i], data[i:j], data[j:]}
		var want []byte
		for k, p := range parts {
			require.NoError(t, os.WriteFile(SegmentPath(first, k+1), p, 0o600))
			want = append(want, p...)
			if k < 2 && len(p) > 0 && p[len(p)-1] != '\n' {
				want = append(want, '\n')
			}
		}
		r, err := OpenRun(first)
		require.NoError(t, err)
		defer r.Close()
		require.Equal(t, int64(len(want)), r.Size())
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		if len(want) > 0 {
			off := int(a) % len(want)
			buf := make([]byte, len(want)-off)
			n, err := r.ReadAt(buf, int64(off))
			require.NoError(t, err)
			require.Equal(t, want[off:], buf[:n])
		}
	})
}

// TestShipDirLongRun: `pumpside ship DIR` after a long run recorded with no
// server: the run is one result (its later segments are not cases of their
// own), shipped whole, every line once.
func TestShipDirLongRun(t *testing.T) {
	db := "pumpside"
	s := startInfluxd(t, db)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.case")
	opt := simOpts("C-run-2")
	opt.Segment, opt.Origin = 5*time.Minute, simStart.UnixNano()
	w, err := Open(path, opt)
	require.NoError(t, err)
	c := sim.New(simStart, 1)
	for m := 1; m <= 12; m++ {
		recordSim(t, w, c, simStart.Add(time.Duration(m)*time.Minute))
		require.NoError(t, w.Flush())
	}
	require.NoError(t, w.Close())
	require.Len(t, Segments(path), 3)
	var results []DirResult
	require.NoError(t, ShipDir(context.Background(), dir, shipOpts(s, db), nil, func(r DirResult) { results = append(results, r) }))
	require.Len(t, results, 1, "one run, one result")
	r := results[0]
	require.Equal(t, path, r.Path)
	require.True(t, r.UpToDate(), "%+v", r)
	require.Equal(t, RunBytes(path), r.Size)
	file, lines := filePoints(t, path)
	require.Equal(t, uint64(lines), r.Lines, "every line of every segment sent once")
	comparePoints(t, file, dbPoints(t, s, db))
	results = nil
	require.NoError(t, ShipDir(context.Background(), dir, shipOpts(s, db), nil, func(r DirResult) { results = append(results, r) }))
	require.Empty(t, results, "nothing left to ship")
}

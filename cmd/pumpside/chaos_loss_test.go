package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor/record"
)

// The loss experiments of issue 22's hand test (make chaos; a short
// version in make test): kill -9 of the console at random moments, InfluxDB
// paused, stopped and killed in the middle of a case, and damaged case
// files. Each logs its figures and fails on a loss, a duplicate or a crash.

// kill9 kills the console (the built-in case at 10×, recording) with
// SIGKILL at random moments: the case file must stay readable (a torn last
// line at most, cut on reading) and hold the case up to about a second
// before the kill (the writer fsyncs at least every second).
func (c *chaos) kill9(t *testing.T) {
	runs := pick(c, 5, 1)
	rng := rand.New(rand.NewPCG(22, 9))
	const speed = 10
	for i := range runs {
		dir := t.TempDir()
		launched := time.Now()
		g := c.console(t, "run", "--speed", strconv.Itoa(speed), "--no-sound", "--record", dir)
		time.Sleep(time.Duration(2000+rng.IntN(pick(c, 8000, 2000))) * time.Millisecond)
		killed := time.Now()
		require.NoError(t, g.cmd.Process.Kill())
		<-g.exited
		path := caseFile(t, dir)
		var bad int
		cs, err := replay.Open(path, func(*record.LineError) { bad++ })
		require.NoError(t, err, "run %d: the killed console's case file does not open", i)
		last := cs.End
		n := cs.NumSamples()
		require.NoError(t, cs.Close())
		code, _, errs := run("replay", path, "--headless", "--speed", "max")
		require.Equal(t, 0, code, "run %d: replay of the killed case: %s", i, errs)
		// The case clock started at about the launch, at 10× wall time.
		killCase := launched.UnixNano() + speed*(killed.UnixNano()-launched.UnixNano())
		lost := time.Duration(killCase-last) / speed
		t.Logf("kill -9 run %d after %.1f s: %d samples kept, %d bad lines (a torn last line), last sample %.2f s of wall time before the kill",
			i+1, killed.Sub(launched).Seconds(), n, bad, lost.Seconds())
		assert.LessOrEqual(t, bad, 1, "at most the line being written is torn")
		assert.Less(t, lost, 2500*time.Millisecond, "run %d: lost more than the writer's fsync interval", i)
	}
}

// influxProc is an InfluxDB 1.8 server the test can pause, stop and kill
// and start again on the same ports and data.
type influxProc struct {
	t                            *testing.T
	bin, dir, httpAddr, bindAddr string
	cmd                          *exec.Cmd
	exited                       chan struct{}
}

func newInfluxProc(t *testing.T) *influxProc {
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
	p := &influxProc{t: t, bin: bin, dir: t.TempDir(), httpAddr: free(), bindAddr: free()}
	t.Cleanup(func() { p.signal(syscall.SIGCONT); p.stop(syscall.SIGTERM) })
	return p
}

func (p *influxProc) url() string { return "http://" + p.httpAddr }

// start starts the server and waits until it answers.
func (p *influxProc) start() {
	t := p.t
	log, err := os.OpenFile(filepath.Join(p.dir, "influxd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	p.cmd = exec.Command(p.bin)
	p.cmd.Env = append(os.Environ(),
		"INFLUXDB_HTTP_BIND_ADDRESS="+p.httpAddr, "INFLUXDB_BIND_ADDRESS="+p.bindAddr,
		"INFLUXDB_DATA_DIR="+filepath.Join(p.dir, "data"), "INFLUXDB_DATA_WAL_DIR="+filepath.Join(p.dir, "wal"),
		"INFLUXDB_META_DIR="+filepath.Join(p.dir, "meta"), "INFLUXDB_HTTP_FLUX_ENABLED=true",
		"INFLUXDB_REPORTING_DISABLED=true", "INFLUXDB_HTTP_LOG_ENABLED=false",
		"INFLUXDB_DATA_QUERY_LOG_ENABLED=false", "INFLUXDB_MONITOR_STORE_ENABLED=false")
	p.cmd.Stdout, p.cmd.Stderr = log, log
	require.NoError(t, p.cmd.Start())
	p.exited = make(chan struct{})
	cmd, exited := p.cmd, p.exited
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	ready := waitFor(60*time.Second, func() bool {
		resp, err := http.Get(p.url() + "/ping")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent
	})
	if !ready {
		b, _ := os.ReadFile(filepath.Join(p.dir, "influxd.log"))
		t.Fatalf("influxd not ready; log:\n%s", b)
	}
}

func (p *influxProc) signal(s syscall.Signal) {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(s)
	}
}

// stop ends the server with s (SIGTERM or SIGKILL) and waits for it.
func (p *influxProc) stop(s syscall.Signal) {
	if p.cmd == nil {
		return
	}
	p.signal(s)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// influxOutage runs the built-in case with its record shipped to a real
// InfluxDB, which is paused (SIGSTOP), stopped (SIGTERM) and killed
// (SIGKILL) and started again in the middle of the case; the console is
// then closed normally. Every sample of the case file must be on the
// server, once, with its value and quality: compared point by point.
func (c *chaos) influxOutage(t *testing.T) {
	p := newInfluxProc(t)
	p.start()
	resp, err := http.PostForm(p.url()+"/query", neturl.Values{"q": {`CREATE DATABASE "pumpside"`}})
	require.NoError(t, err)
	resp.Body.Close()
	cfg := record.Config{URL: p.url(), Bucket: "pumpside/autogen"}
	t.Setenv(record.EnvURL, cfg.URL)
	t.Setenv(record.EnvBucket, cfg.Bucket)
	for _, k := range []string{record.EnvOrg, record.EnvToken, record.EnvTokenFile, record.EnvCAFile} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	g := c.console(t, "run", "--speed", "10", "--no-sound", "--record", dir)
	phase := func(d time.Duration) time.Duration { return pick(c, 3*d, d) }
	time.Sleep(phase(5 * time.Second))
	p.signal(syscall.SIGSTOP) // paused: requests hang until it resumes
	time.Sleep(phase(5 * time.Second))
	p.signal(syscall.SIGCONT)
	time.Sleep(phase(5 * time.Second))
	p.stop(syscall.SIGTERM)
	time.Sleep(phase(4 * time.Second))
	p.start()
	time.Sleep(phase(5 * time.Second))
	p.stop(syscall.SIGKILL)
	time.Sleep(phase(4 * time.Second))
	p.start()
	time.Sleep(phase(5 * time.Second))
	closed := time.Now()
	g.interrupt() // a normal close: the shipper finishes the case's tail
	t.Logf("console closed in %.1f s", time.Since(closed).Seconds())

	path := caseFile(t, dir)
	file, err := replay.Open(path, nil)
	require.NoError(t, err)
	defer file.Close()
	srv, err := loadFromInflux(context.Background(), cfg, file.ID, time.Unix(0, file.Start-int64(time.Hour)), time.Unix(0, file.End+int64(time.Hour)))
	require.NoError(t, err)
	defer srv.Close()
	want, got := pointSet(file), pointSet(srv)
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	t.Logf("InfluxDB paused, stopped and killed mid-case: %d samples in the file, %d on the server, %d missing, %d not in the file; %d events in the file, %d on the server",
		len(want), len(got), len(missing), len(extra), len(file.Events), len(srv.Events))
	assert.Len(t, want, file.NumSamples(), "no two samples of a channel and source share a time in the file")
	assert.Empty(t, head(missing, 5), "samples of the file missing on the server")
	assert.Empty(t, head(extra, 5), "points on the server the file does not have (overwritten values)")
	assert.Equal(t, len(file.Events), len(srv.Events), "events")
}

// pointSet is every sample of a case as channel, source, time, value and
// quality.
func pointSet(c *replay.Case) map[string]bool {
	out := make(map[string]bool, c.NumSamples())
	for _, s := range c.AllSamples() {
		v := "none"
		if !math.IsNaN(s.Value) {
			v = strconv.FormatFloat(s.Value, 'g', -1, 64)
		}
		out[fmt.Sprintf("%s|%s|%d|%s|%v", c.Channels[s.Channel], c.Sources[s.Source], s.Time, v, s.Quality)] = true
	}
	return out
}

func head(s []string, n int) []string { return s[:min(n, len(s))] }

// damagedFiles damages a recorded case in the ways a disk, a copy or
// another tool can, and replays and reports each: no crash, a clear count
// of what was skipped, and every undamaged line kept.
func (c *chaos) damagedFiles(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.case")
	code, _, errs := run("sim", "--seed", "4", "--duration", pick(c, "2h", "20m"), "--out", clean)
	require.Equal(t, 0, code, errs)
	data, err := os.ReadFile(clean)
	require.NoError(t, err)
	lines := bytes.SplitAfter(data, []byte("\n"))
	ref, err := replay.Open(clean, nil)
	require.NoError(t, err)
	cleanN := ref.NumSamples()
	require.NoError(t, ref.Close())
	mid := len(data) / 2
	nl := bytes.IndexByte(data[mid:], '\n') + mid + 1 // the start of a line near the middle
	rng := rand.New(rand.NewPCG(22, 7))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	damages := []struct {
		name string
		data []byte
		// lost is how many lines the damage touches at most.
		lost int
	}{
		{"truncated mid-line", data[:mid], 1},
		{"zeros over a block", overwrite(data, nl, bytes.Repeat([]byte{0}, 4096)), 4096/60 + 2},
		{"random bytes over a block", overwrite(data, nl, noise), 4096/30 + 2},
		{"a line cut in two", insert(data, nl+10, []byte("\n")), 2},
		{"invalid UTF-8 in a line", overwrite(data, nl+5, []byte{0xff, 0xfe}), 1},
		{"a line repeated", insert(data, nl, lines[len(lines)/3]), 0},
		{"CRLF line ends", bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), 0},
		{"an overlong line", insert(data, nl, append(bytes.Repeat([]byte("x"), 2<<20), '\n')), 1},
		{"a copy stopped in the middle, zeros after", append(data[:mid:mid], bytes.Repeat([]byte{0}, 1<<16)...), 2},
	}
	for _, d := range damages {
		p := filepath.Join(dir, strings.ReplaceAll(d.name, " ", "-")+".case")
		require.NoError(t, os.WriteFile(p, d.data, 0o600))
		code, _, errs := run("replay", p, "--headless", "--speed", "max")
		assert.NotContains(t, errs, "panic", d.name)
		require.Equal(t, 0, code, "%s: %s", d.name, errs)
		var bad int
		cs, err := replay.Open(p, func(*record.LineError) { bad++ })
		require.NoError(t, err, d.name)
		n := cs.NumSamples()
		require.NoError(t, cs.Close())
		code, _, errs = run("report", p, "--format", "html", "--out", p+".html")
		assert.NotContains(t, errs, "panic", d.name)
		assert.Equal(t, 0, code, "%s: report: %s", d.name, errs)
		t.Logf("%-44s %d of %d samples kept, %d bad lines counted", d.name+":", n, cleanN, bad)
		if d.name != "truncated mid-line" && !strings.HasPrefix(d.name, "a copy stopped") {
			// A damaged line holds a few samples (a device's frame).
			assert.GreaterOrEqual(t, n, cleanN-8*d.lost, "%s: undamaged lines lost", d.name)
		}
	}
}

func overwrite(data []byte, at int, b []byte) []byte {
	out := bytes.Clone(data)
	copy(out[at:], b)
	return out
}

func insert(data []byte, at int, b []byte) []byte {
	out := make([]byte, 0, len(data)+len(b))
	out = append(out, data[:at]...)
	out = append(out, b...)
	return append(out, data[at:]...)
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
)

func simRun(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb simBuffer
	code = dispatch(ctx, append([]string{"sim"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

type simBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *simBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *simBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestSimList(t *testing.T) {
	code, out, errs := simRun(context.Background(), "--list")
	require.Equal(t, 0, code, errs)
	for _, want := range append(sim.BuiltinNames(), sim.FaultNames()...) {
		assert.Contains(t, out, want)
	}
	assert.Contains(t, out, "masimo")
}

func TestSimHeadlessDeterministic(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, seed string) []byte {
		p := filepath.Join(dir, name)
		code, _, errs := simRun(context.Background(), "--scenario", "valve-28c", "--seed", seed, "--duration", "30m", "--out", p)
		require.Equal(t, 0, code, errs)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		return b
	}
	a, b, c := gen("a.lp", "5"), gen("b.lp", "5"), gen("c.lp", "6")
	require.Equal(t, a, b, "same seed and scenario: byte-identical")
	require.NotEqual(t, a, c)
	assert.True(t, bytes.HasPrefix(a, []byte("case,case=sim-valve-28c-5 ")))
	assert.Contains(t, string(a), "inline,case=sim-valve-28c-5,source=sim.inline ")
}

func TestSimBadScenarioFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.toml")
	require.NoError(t, os.WriteFile(p, []byte("name = \"x\"\nduration = \"1h\"\n[patient]\nheight_cm = 1000\n"), 0o644))
	code, _, errs := simRun(context.Background(), "--scenario-file", p, "--out", filepath.Join(t.TempDir(), "x.lp"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "bad.toml:4: patient.height_cm")
	code, _, _ = simRun(context.Background(), "--scenario", "nope", "--out", "x")
	assert.Equal(t, 2, code)
	code, _, _ = simRun(context.Background())
	assert.Equal(t, 2, code, "nothing to do")
}

// "pumpside sim trigger" against a control server on a real loopback socket.
func TestSimTriggerCommand(t *testing.T) {
	c := sim.New(builtinCaseStart, 1)
	ln, err := sim.ListenControl("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.ServeControl(ctx, ln, c) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	addr := ln.Addr().String()

	code, out, errs := simRun(context.Background(), "trigger", "vasoplegia", "--addr", addr)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "ok\n", out)
	code, _, errs = simRun(context.Background(), "trigger", "meteor", "--addr", addr)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "unknown fault or action")
	code, out, _ = simRun(context.Background(), "clear", "--addr", addr, "vasoplegia")
	assert.Equal(t, 0, code)
	assert.Equal(t, "ok\n", out)
	// Nobody listening: a run-time failure.
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l2.Addr().String()
	l2.Close()
	code, _, _ = simRun(context.Background(), "trigger", "vasoplegia", "--addr", dead)
	assert.Equal(t, 1, code)

	var events []string
	c.OnEvent(func(e sim.Event) { events = append(events, e.Kind) })
	c.AdvanceTo(builtinCaseStart.Add(2*time.Second), func(sim.Source, monitor.Sample) {})
	assert.Contains(t, events, "fault")
	assert.Contains(t, events, "fault_clear")
}

// End to end: "pumpside sim --emit masimo=PTY" writes Masimo ASCII 1 onto
// one end of a socat pty pair, and the other end reads real lines.
func TestSimEmitMasimoOnPty(t *testing.T) {
	pty := devicetest.StartPtyPair(t)
	f, err := os.Open(pty.Device)
	require.NoError(t, err)
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb simBuffer
	go func() {
		done <- dispatch(ctx, []string{"sim", "--emit", "masimo=" + pty.Peer, "--speed", "20", "--control", "127.0.0.1:0"}, &out, &errb)
	}()
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "stderr: %s", errb.String())
			got = append(got, l)
		case <-timeout:
			t.Fatalf("no Masimo lines; stdout %q stderr %q", out.String(), errb.String())
		}
	}
	cancel()
	assert.Equal(t, 0, <-done, errb.String())
	for _, l := range got {
		assert.Contains(t, l, "SPO2=")
		assert.Contains(t, l, "BPM=")
	}
	assert.True(t, strings.Contains(out.String(), "instructor control on"))
}

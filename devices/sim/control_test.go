package sim

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/monitor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startControl(t *testing.T, network, addr string, c Controller) (string, func()) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeControl(ctx, ln, c) }()
	a := ln.Addr().String()
	if network == "unix" {
		a = "unix:" + a
	}
	return a, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// The instructor triggers a fault over a real loopback socket while the
// case runs on another goroutine; the fault shows in the case.
func TestControlOverLoopback(t *testing.T) {
	c := New(t0, 1)
	addr, stop := startControl(t, "tcp", "127.0.0.1:0", c)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got, err := SendControl(ctx, addr, "ping")
	require.NoError(t, err)
	assert.Equal(t, "ok", got)
	got, err = SendControl(ctx, addr, "list")
	require.NoError(t, err)
	assert.Contains(t, got, "oxygenator-failure")

	var faults []Event
	c.OnEvent(func(e Event) {
		if e.Kind == "fault" {
			faults = append(faults, e)
		}
	})
	feed := make(chan struct{})
	go func() {
		defer close(feed)
		for s := 0; s <= 60*40; s++ {
			c.AdvanceTo(t0.Add(time.Duration(s)*time.Second), func(Source, monitor.Sample) {})
		}
	}()
	got, err = SendControl(ctx, addr, "trigger oxygenator-failure")
	require.NoError(t, err)
	assert.Equal(t, "ok", got)
	_, err = SendControl(ctx, addr, "trigger meteor")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrControl))
	_, err = SendControl(ctx, addr, "dance")
	require.ErrorIs(t, err, ErrControl)
	<-feed
	require.Len(t, faults, 1)
	assert.Contains(t, faults[0].Text, "instructor: fault oxygenator-failure")
	assert.Less(t, c.State().PaO2, 80.0, "the oxygenator failed")
}

func TestControlUnixSocket(t *testing.T) {
	c := New(t0, 1)
	addr, stop := startControl(t, "unix", filepath.Join(t.TempDir(), "sim.sock"), c)
	defer stop()
	got, err := SendControl(context.Background(), addr, "clear vasoplegia")
	require.NoError(t, err)
	assert.Equal(t, "ok", got)
}

func TestControlLongLineCloses(t *testing.T) {
	addr, stop := startControl(t, "tcp", "127.0.0.1:0", New(t0, 1))
	defer stop()
	cn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer cn.Close()
	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'a'
	}
	_, _ = cn.Write(append(long, '\n'))
	cn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = cn.Read(make([]byte, 10))
	assert.Error(t, err, "the server hangs up on an over-long line")
}

type nopController struct{}

func (nopController) Trigger(name string) error {
	if !knownFault(name) {
		return ErrUnknown
	}
	return nil
}
func (nopController) Clear(string) error { return nil }

// FuzzControlLine: any request line gets exactly one answer line, "ok…" or
// "error …".
func FuzzControlLine(f *testing.F) {
	for _, s := range []string{"trigger vasoplegia", "clear all", "list", "ping", "", "trigger", "dance now", "trigger a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ans := handleControl(line, nopController{})
		if strings.Contains(ans, "\n") {
			t.Fatalf("answer spans lines: %q", ans)
		}
		if !strings.HasPrefix(ans, "ok") && !strings.HasPrefix(ans, "error ") {
			t.Fatalf("answer %q", ans)
		}
	})
}

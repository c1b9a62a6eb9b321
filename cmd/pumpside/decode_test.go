package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
)

const masimoData = "../../devices/masimo/testdata/"

func TestDecodeCapture(t *testing.T) {
	code, out, errs := run("decode", "--driver", "masimo", masimoData+"capture/input.cap")
	assert.Equal(t, 0, code, errs)
	want, err := os.ReadFile(masimoData + "capture/expected.jsonl")
	require.NoError(t, err)
	assert.Equal(t, string(want), out, "samples carry the capture's receive times")
	assert.Equal(t, "frames: 5 ok, 0 bad\n", errs)
}

func TestDecodeDamaged(t *testing.T) {
	code, out, errs := run("decode", "--driver", "masimo", "--source", "bed3.spo2", masimoData+"damaged/input")
	assert.Equal(t, 0, code, "bad frames are reported, not failures")
	assert.Equal(t, 6, strings.Count(out, `"source":"bed3.spo2"`)) // SpO2, pulse rate, PI of the 2 good frames
	assert.Contains(t, errs, "frames: 2 ok, 8 bad\n")
	assert.Contains(t, errs, "  bad frame at byte 0: syntax: want MM/DD/YY HH:MM:SS first: \"PI=03.60%")
	assert.Contains(t, errs, "  bad frame at byte 223: field in EXC: required field missing")
	assert.Contains(t, errs, "  bad frame at byte 602: oversize: \"XXXX")
	assert.Contains(t, errs, "  bad frame at byte 1558: truncated")
}

func TestDecodeStdinAndConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "nonin.toml")
	require.NoError(t, os.WriteFile(conf, []byte(`rso2 = ["nirs.right", "nirs.left"]`), 0o644))
	in, err := os.Open("../../devices/nonin/testdata/regional/input")
	require.NoError(t, err)
	defer in.Close()
	saved := os.Stdin
	os.Stdin = in
	defer func() { os.Stdin = saved }()
	code, out, errs := run("decode", "--driver", "nonin", "--config", conf, "-")
	assert.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 14)
	assert.Contains(t, lines[0], `"channel":"nirs.right","value":66,"unit":"%","quality":"ok"}`)
	assert.Contains(t, lines[12], `"channel":"nirs.right","value":66`)
}

func TestDecodeUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	require.NoError(t, os.WriteFile(bad, []byte(`rso2 = ["patient.hr"]`), 0o644))
	unknown := filepath.Join(dir, "unknown.toml")
	require.NoError(t, os.WriteFile(unknown, []byte(`baud = 9600`), 0o644))
	for _, args := range [][]string{
		{"decode"},
		{"decode", "--driver", "acme", "-"},
		{"decode", "--driver", "nonin", "--config", bad, "-"},
		{"decode", "--driver", "nonin", "--config", unknown, "-"},
		{"decode", "--driver", "nonin", "--config", filepath.Join(dir, "none.toml"), "-"},
		{"decode", "--driver", "nonin", "a", "b"},
		{"decode", "--driver", "nonin", filepath.Join(dir, "missing")},
		{"decode", "--bogus"},
	} {
		code, _, errs := run(args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDecodeThroughPty decodes a device on a real pseudo-terminal, live,
// until the device goes away.
func TestDecodeThroughPty(t *testing.T) {
	checkLeaks(t)
	pty := devicetest.StartPtyPair(t)
	peer := pty.OpenPeer()
	var out, errs syncBuffer
	done := make(chan int)
	go func() {
		done <- dispatch(context.Background(), []string{"decode", "--driver", "nonin", pty.Device}, &out, &errs)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), "patient.spo2") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no samples through the pty: %q %q", out.String(), errs.String())
		}
		_, err := peer.WriteString("SPO2=097 HR=072\r\n")
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
	}
	peer.Close()
	pty.Kill()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "the device going away is the end of the input")
	case <-time.After(2 * time.Second):
		t.Fatal("decode did not end when the device went away")
	}
	assert.Contains(t, out.String(), `"channel":"patient.hr","value":72,"unit":"/min","quality":"ok"}`)
	assert.Regexp(t, `frames: \d+ ok, 0 bad`, errs.String())
}

func TestDecodeLiveInterrupted(t *testing.T) {
	checkLeaks(t)
	pty := devicetest.StartPtyPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan int)
	go func() { done <- dispatch(ctx, []string{"decode", "--driver", "masimo", pty.Device}, &out, &errs) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errs.String())
	case <-time.After(2 * time.Second):
		t.Fatal("decode did not stop when interrupted")
	}
}

// checkLeaks fails t if goroutines it started outlive it. Registered first,
// it runs after the test's other cleanups (socat is killed first).
func checkLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func TestDecodeSummaryListsNotes(t *testing.T) {
	var e decodeEvents
	devices.Note(&e, "specimen arterial, from OBR-4")
	devices.Note(&e, "unknown label 0x0002F0C4")
	devices.Note(&e, "specimen arterial, from OBR-4")
	var b strings.Builder
	e.summary(&b)
	assert.Equal(t, "frames: 0 ok, 0 bad\ninferred or not mapped:\n"+
		"  specimen arterial, from OBR-4 (2×)\n  unknown label 0x0002F0C4 (1×)\n", b.String())
	devices.Note(devices.Discard, "ignored") // an Events that is no Noter
}

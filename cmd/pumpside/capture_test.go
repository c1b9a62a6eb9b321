package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/capture"
	"github.com/pumpside/pumpside/devices/devicetest"
)

func TestCaptureCommand(t *testing.T) {
	checkLeaks(t)
	pty := devicetest.StartPtyPair(t)
	out := filepath.Join(t.TempDir(), "unknown-device.cap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- dispatch(ctx, []string{"capture", "--port", pty.Device, "--baud", "9600", "--parity", "none", "--out", out, "--note", "CDI 550, ASCII mode"}, &stdout, &stderr)
	}()
	peer := pty.OpenPeer()
	want := []byte("pH\tpCO2\r7.40\t40\r\x02binary\x00\xff\x03")
	var sent []byte
	deadline := time.Now().Add(5 * time.Second)
	// Keep sending until the capture has something: the port may open after the first write.
	for {
		st, err := os.Stat(out)
		if err == nil && st.Size() > 200 {
			break
		}
		require.True(t, time.Now().Before(deadline), "nothing captured: %s", stderr.String())
		_, err = peer.Write(want)
		require.NoError(t, err)
		sent = append(sent, want...)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	require.Equal(t, 0, <-done, stderr.String())
	assert.Contains(t, stderr.String(), "captured ")

	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	rd, err := capture.NewReader(f)
	require.NoError(t, err)
	assert.Equal(t, pty.Device, rd.Header().Get(capture.KeyPort))
	assert.Equal(t, "9600 8N1", rd.Header().Get(capture.KeySettings))
	assert.Equal(t, "CDI 550, ASCII mode", rd.Header().Get(capture.KeyNote))
	var got []byte
	last := int64(0)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		assert.GreaterOrEqual(t, rec.Time, last, "receive times never go back")
		last = rec.Time
		got = append(got, rec.Data...)
	}
	assert.NotEmpty(t, got)
	assert.True(t, bytes.HasSuffix(sent, got) || bytes.Contains(sent, got), "captured bytes are what the device sent, byte for byte")
	assert.Equal(t, 0, len(got)%len(want), "whole writes captured: %q", got)
}

func TestCaptureUsage(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "x.cap")
	require.NoError(t, os.WriteFile(existing, nil, 0o644))
	for _, args := range [][]string{
		{"capture", "--baud", "9600", "--out", "x.cap"},
		{"capture", "--port", "/dev/ttyUSB0", "--out", "x.cap"},
		{"capture", "--port", "/dev/ttyUSB0", "--baud", "9600"},
		{"capture", "--port", "/dev/ttyUSB0", "--baud", "9600", "--parity", "sometimes", "--out", "x.cap"},
		{"capture", "--port", "/dev/ttyUSB0", "--baud", "9600", "--out", existing},
		{"capture", "--port", "/dev/ttyUSB0", "--baud", "9600", "--out", "x.cap", "extra"},
	} {
		code, _, errs := run(args...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
	}
}

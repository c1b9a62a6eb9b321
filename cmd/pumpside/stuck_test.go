package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A process whose shutdown hangs after the stop request exits anyway, with
// status 1 and every goroutine's stack on stderr. (The stuck process is
// this test binary, run again in helper mode.)
func TestExitIfStuck(t *testing.T) {
	if os.Getenv("PUMPSIDE_STUCK_HELPER") == "1" {
		ctx, cancel := context.WithCancel(context.Background())
		exitIfStuck(ctx, os.Stderr, 100*time.Millisecond)
		cancel()
		select {} // a shutdown that never ends
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExitIfStuck$")
	cmd.Env = append(os.Environ(), "PUMPSIDE_STUCK_HELPER=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Contains(t, stderr.String(), "still running 100ms after the stop request: exiting")
	assert.Contains(t, stderr.String(), "goroutine")
}

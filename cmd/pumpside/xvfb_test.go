package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freeLoopbackAddr returns a loopback address with a port free a moment
// ago (for a child process that listens on it).
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startXvfbDisplay starts Xvfb on a free display number and returns it.
func startXvfbDisplay(t *testing.T, xvfb, importTool string) string {
	t.Helper()
	for n := 90 + os.Getpid()%100 + 3; n < 400; n += 7 {
		d := fmt.Sprintf(":%d", n)
		x := exec.Command(xvfb, d, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		require.NoError(t, x.Start())
		if waitFor(5*time.Second, func() bool {
			return exec.Command(importTool, "-display", d, "-window", "root", "-crop", "1x1+0+0", "null:").Run() == nil
		}) {
			t.Cleanup(func() { _ = x.Process.Kill(); _ = x.Wait() })
			return d
		}
		_ = x.Process.Kill()
		_ = x.Wait()
	}
	t.Fatal("could not start Xvfb")
	return ""
}

package main

import (
	"image"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// guiProcess is the real binary running its window on a virtual display,
// for the end-to-end tests.
type guiProcess struct {
	t                        *testing.T
	cmd                      *exec.Cmd
	display, importTool, dir string
	logs                     *lockedBuffer
	// exited is closed when the process has ended; waitErr is its status.
	exited  chan struct{}
	waitErr error
}

// startGUI starts bin with args on display; a cleanup interrupts it (and
// kills it if it does not end within 10 s).
func startGUI(t *testing.T, bin, display, importTool, dir string, args ...string) *guiProcess {
	t.Helper()
	g := &guiProcess{t: t, display: display, importTool: importTool, dir: dir, logs: &lockedBuffer{}, exited: make(chan struct{})}
	g.cmd = exec.Command(bin, args...)
	g.cmd.Env = append(os.Environ(), "DISPLAY="+display, "WAYLAND_DISPLAY=", "GOTRACEBACK=all")
	g.cmd.Stdout, g.cmd.Stderr = g.logs, g.logs
	require.NoError(t, g.cmd.Start())
	go func() { g.waitErr = g.cmd.Wait(); close(g.exited) }()
	t.Cleanup(func() {
		_ = g.cmd.Process.Signal(os.Interrupt)
		select {
		case <-g.exited:
		case <-time.After(10 * time.Second):
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	})
	return g
}

// shot takes a real screenshot of the display's root window.
func (g *guiProcess) shot(name string) image.Image {
	g.t.Helper()
	p := filepath.Join(g.dir, name)
	out, err := exec.Command(g.importTool, "-display", g.display, "-window", "root", p).CombinedOutput()
	require.NoError(g.t, err, "%s", out)
	f, err := os.Open(p)
	require.NoError(g.t, err)
	defer f.Close()
	img, _, err := image.Decode(f)
	require.NoError(g.t, err)
	return img
}

// waitWindow waits for a window on the display that ready accepts (the
// root is uniform until it appears) and returns its screenshot; it fails
// the test if the process ends first or nothing comes within 30 s.
func (g *guiProcess) waitWindow(ready func(image.Image) bool) image.Image {
	g.t.Helper()
	var img image.Image
	ok := waitFor(30*time.Second, func() bool {
		select {
		case <-g.exited:
			g.t.Fatalf("%s exited early: %v\n%s", g.cmd.Args[1], g.waitErr, g.logs.String())
		default:
		}
		img = g.shot("window.png")
		return distinctColours(img) > 20 && ready(img)
	})
	require.True(g.t, ok, "no %s window on the display; log:\n%s", g.cmd.Args[1], g.logs.String())
	return img
}

// interrupt sends Ctrl-C and checks the process ends cleanly within 10 s.
func (g *guiProcess) interrupt() {
	g.t.Helper()
	require.NoError(g.t, g.cmd.Process.Signal(os.Interrupt))
	select {
	case <-g.exited:
		assert.NoError(g.t, g.waitErr, g.logs.String())
	case <-time.After(10 * time.Second):
		// Ask the Go runtime for every goroutine's stack (SIGQUIT), so
		// that the failure says where the process was stuck.
		_ = g.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-g.exited:
		case <-time.After(5 * time.Second):
		}
		logs := g.logs.String()
		if len(logs) > 60000 {
			logs = logs[len(logs)-60000:]
		}
		g.t.Fatalf("%s did not exit on SIGINT; its goroutines on SIGQUIT:\n%s", g.cmd.Args[1], logs)
	}
}

// Package xvfbtest starts a virtual X display (Xvfb) for tests that open a
// real window. The tools it needs (Xvfb, and ImageMagick's import to see
// that the display answers) are installed by make test; without them the
// test is skipped, or fails when CI=true.
package xvfbtest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Need returns the path of tool, skipping t when it is missing (failing it
// under CI=true, where make test has installed it).
func Need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required (make test installs it): %v", tool, err)
		}
		t.Skipf("%s not installed", tool)
	}
	return p
}

// Start starts Xvfb (1280×800, 24 bits) on a display number it picks
// itself (-displayfd: never one another test process uses, as the test
// binaries of several packages run at once) and returns the display name
// (":N"); a cleanup stops it. It waits until the display answers a
// request.
func Start(t testing.TB) string {
	t.Helper()
	xvfb, importTool := Need(t, "Xvfb"), Need(t, "import")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w} // fd 3 in the child
	if err := x.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { _ = x.Process.Kill(); _ = x.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	var n string
	select {
	case n = <-got:
	case <-time.After(20 * time.Second):
	}
	if n == "" {
		t.Fatal("Xvfb did not report its display number (-displayfd)")
	}
	d := ":" + n
	if !waitFor(10*time.Second, func() bool {
		return exec.Command(importTool, "-display", d, "-window", "root", "-crop", "1x1+0+0", "null:").Run() == nil
	}) {
		t.Fatalf("Xvfb on %s does not answer", d)
	}
	return d
}

func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

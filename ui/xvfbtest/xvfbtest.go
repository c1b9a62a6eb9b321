// Package xvfbtest starts a virtual X display (Xvfb) for tests that open a
// real window. The tools it needs (Xvfb, and ImageMagick's import to see
// that the display answers) are installed by make test; without them the
// test is skipped, or fails when CI=true.
package xvfbtest

import (
	"fmt"
	"os"
	"os/exec"
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

// Start starts Xvfb (1280×800, 24 bits) on a free display number and
// returns the display name (":N"); a cleanup stops it. It waits until the
// display answers a request.
func Start(t testing.TB) string {
	t.Helper()
	xvfb, importTool := Need(t, "Xvfb"), Need(t, "import")
	for n := 90 + os.Getpid()%100 + 3; n < 400; n += 7 {
		d := fmt.Sprintf(":%d", n)
		x := exec.Command(xvfb, d, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		if waitFor(5*time.Second, func() bool {
			return exec.Command(importTool, "-display", d, "-window", "root", "-crop", "1x1+0+0", "null:").Run() == nil
		}) {
			t.Cleanup(func() { _ = x.Process.Kill(); _ = x.Wait() })
			return d
		}
		_ = x.Process.Kill()
		_ = x.Wait()
	}
	t.Fatal("could not start Xvfb on any display from :93 to :399")
	return ""
}

func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

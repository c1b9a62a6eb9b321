package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/ui/xvfbtest"
)

// TestConsoleSoak runs the real console on the built-in case at 100× for
// 26 hours of case time (about 16 minutes) on a virtual display, recording,
// and samples its resident memory every 30 s. Once the trend history is
// full (12 hours of case), the memory must stay flat: issue 22's "live
// console flat over a 24 h soak". make soak-console sets PUMPSIDE_SOAK=1.
func TestConsoleSoak(t *testing.T) {
	if os.Getenv("PUMPSIDE_SOAK") != "1" {
		t.Skip("a 16-minute soak: make soak-console")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pumpside")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	display := xvfbtest.Start(t)
	const speed = 100
	g := startGUI(t, bin, display, need(t, "import"), t.TempDir(), "run", "--speed", strconv.Itoa(speed), "--no-sound", "--record", dir)
	rss := func() float64 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(g.cmd.Process.Pid) + "/status")
		require.NoError(t, err)
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, err := strconv.ParseFloat(f[1], 64)
				require.NoError(t, err)
				return kb / 1024
			}
		}
		t.Fatal("no VmRSS")
		return 0
	}
	start := time.Now()
	at := map[int]float64{}
	for h := 0; h <= 26; {
		time.Sleep(30 * time.Second)
		select {
		case <-g.exited:
			t.Fatalf("the console exited: %v\n%s", g.waitErr, g.logs.String())
		default:
		}
		h = int(time.Since(start).Hours() * speed)
		at[h] = rss()
		t.Logf("case hour %2d: resident %.1f MB", h, at[h])
	}
	g.interrupt()
	first, last := -1, -1
	for h := range at {
		if h >= 13 && (first < 0 || h < first) {
			first = h
		}
		if h > last {
			last = h
		}
	}
	growth := (at[last] - at[first]) / float64(last-first)
	t.Logf("resident memory from case hour %d to %d: %.1f to %.1f MB, %.3f MB per case hour", first, last, at[first], at[last], growth)
	assert.Less(t, growth, 0.1, "the console's memory grows once its history is full")
}

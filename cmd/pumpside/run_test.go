package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/ui/xvfbtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"run"}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "no display")
	assert.Contains(t, stderr.String(), "xvfb-run make run")
	assert.Contains(t, stderr.String(), "pumpside screenshot")
}

func TestRunBadUsage(t *testing.T) {
	for _, args := range [][]string{{"run", "--speed", "0"}, {"run", "--from", "-1m"}, {"run", "--nope"}} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, dispatch(context.Background(), args, &stdout, &stderr), "%v", args)
	}
}

// need returns the path of a tool the test needs; under CI a missing tool
// fails the test (make test installs it), elsewhere the test skips.
func need(t *testing.T, tool string) string {
	t.Helper()
	return xvfbtest.Need(t, tool)
}

// TestRunUnderXvfb is the walking skeleton end to end: the real binary opens
// its window on a virtual X display, and real screenshots of that display,
// taken seconds apart, show the console with values that change.
func TestRunUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and the real binary")
	}
	importTool := need(t, "import")
	dir := t.TempDir()
	bin := filepath.Join(dir, "pumpside")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	display := xvfbtest.Start(t)

	cases := filepath.Join(dir, "cases")
	g := startGUI(t, bin, display, importTool, dir, "run", "--from", "44m", "--control", "127.0.0.1:0", "--record", cases)
	logs := g.logs
	first := g.waitWindow(func(image.Image) bool { return true })
	time.Sleep(3 * time.Second) // the pump and monitors report every second
	second := g.shot("second.png")
	assert.Greater(t, differingPixels(first, second), 200, "the values on screen must change from second to second")
	assert.True(t, strings.Contains(logs.String(), "console open"), logs.String())

	// The instructor unplugs the in-line monitor's cable: after three of its
	// 6-second intervals the essential device is lost, a HIGH alarm, and the
	// banner flashes in the HIGH colour.
	m := regexp.MustCompile(`instructor control on (\S+) `).FindStringSubmatch(logs.String())
	require.NotNil(t, m, logs.String())
	high := color.NRGBA{0xd0, 0x02, 0x1b, 0xff} // the dark theme's HIGH alarm colour
	before := max(countColour(first, high), countColour(second, high))
	trig := exec.Command(bin, "sim", "trigger", "--addr", m[1], "cable-unplugged")
	out, err = trig.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var red int
	alarmed := waitFor(60*time.Second, func() bool {
		red = countColour(g.shot("alarm.png"), high)
		return red > before+5000 // a flashing HIGH banner box, not a few marks
	})
	assert.True(t, alarmed, "no HIGH alarm on screen after the cable was unplugged (%d pixels, %d before); log:\n%s", red, before, logs.String())

	// Ctrl-C closes the window and ends the process cleanly.
	g.interrupt()

	// The whole case went to the record, events and the alarm included.
	files, err := filepath.Glob(filepath.Join(cases, "*.case"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(data), "kind=on_bypass"), "the case record lacks the on_bypass event")
	assert.True(t, strings.Contains(string(data), "alarm=device_lost/sim.inline"), "the case record lacks the device_lost alarm")
}

// countColour counts the pixels of exactly c.
func countColour(img image.Image, c color.NRGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == c {
				n++
			}
		}
	}
	return n
}

func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

func distinctColours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r, g, bl}] = true
		}
	}
	return len(seen)
}

// lockedBuffer collects a child's output, written by exec's copying
// goroutines while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The end of every case reaches InfluxDB (issue 22): a console closed with
// Ctrl-C ships the lines its record writes as it closes; `pumpside ship`
// sends a case whose cursor is behind (here one InfluxDB never saw) up to
// its end, and then has nothing left to send.
func TestRunShipsTheCaseEndOnClose(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb, InfluxDB and the real binary")
	}
	importTool := need(t, "import")
	url := startReplayInfluxd(t, "cases")
	dir := t.TempDir()
	bin := filepath.Join(dir, "pumpside")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	display := xvfbtest.Start(t)
	t.Setenv(record.EnvURL, url)
	t.Setenv(record.EnvBucket, "cases/autogen")

	cases := filepath.Join(dir, "cases")
	g := startGUI(t, bin, display, importTool, dir, "run", "--from", "44m", "--speed", "5", "--no-sound", "--control", "", "--record", cases)
	g.waitWindow(func(image.Image) bool { return true })
	time.Sleep(3 * time.Second)
	g.interrupt()
	files, err := filepath.Glob(filepath.Join(cases, "*.case"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	cur, size, err := record.Behind(files[0])
	require.NoError(t, err)
	require.Positive(t, size)
	assert.Equal(t, size, cur, "every line of the case is on the server after a normal close; log:\n%s", g.logs.String())

	// A case InfluxDB never saw, beside it: pumpside ship sends it whole.
	simCase := filepath.Join(cases, "sim.case")
	code, _, errs := run("sim", "--seed", "2", "--duration", "20m", "--out", simCase)
	require.Equal(t, 0, code, errs)
	code, stdout, errs := run("ship", cases)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, stdout, "sim.case: ")
	assert.Contains(t, stdout, "on the server up to its end")
	cur, size, err = record.Behind(simCase)
	require.NoError(t, err)
	assert.Equal(t, size, cur)
	code, stdout, errs = run("ship", cases)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, stdout, "shipped", "nothing left to send")
	assert.Contains(t, stdout, "every case of "+cases+" is on the server")
}

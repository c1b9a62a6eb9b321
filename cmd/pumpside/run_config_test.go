package main

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/ui/xvfbtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunConfigEndToEnd: the simulator speaks the heart-lung machine's and
// the pulse oximeter's wire formats on loopback TCP ports (pumpside sim
// --emit), and a second process, pumpside run --config, reads them through
// the real generic and masimo drivers under its device supervisor, shows
// them and records them.
func TestRunConfigEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and the real binary twice")
	}
	importTool := need(t, "import")
	dir := t.TempDir()
	bin := filepath.Join(dir, "pumpside")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	display := xvfbtest.Start(t)

	pumpAddr, oxiAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	emu := exec.Command(bin, "sim", "--control", "127.0.0.1:0",
		"--emit", "generic=tcp:"+pumpAddr, "--emit", "masimo=tcp:"+oxiAddr)
	var emuLogs lockedBuffer
	emu.Stdout, emu.Stderr = &emuLogs, &emuLogs
	require.NoError(t, emu.Start())
	t.Cleanup(func() { _ = emu.Process.Kill(); _ = emu.Wait() })

	cfg := filepath.Join(dir, "console.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
[[device]]
name = "pump"
driver = "generic"
[device.transport]
type = "tcp"
addr = %q

[[device]]
name = "oximeter"
driver = "masimo"
[device.transport]
type = "tcp"
addr = %q
`, pumpAddr, oxiAddr)), 0o600))

	cases := filepath.Join(dir, "cases")
	g := startGUI(t, bin, display, importTool, dir, "run", "--config", cfg, "--record", cases, "--no-sound")
	logs := g.logs
	g.waitWindow(func(image.Image) bool { return true })
	time.Sleep(8 * time.Second) // the supervisor connects (back-off 1 s), data flows at 1 Hz
	g.interrupt()
	assert.Contains(t, logs.String(), "console open on 2 devices")

	files, err := filepath.Glob(filepath.Join(cases, "*.case"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	rec := string(data)
	assert.True(t, strings.Contains(rec, "source=pump "), "no pump samples recorded; emulator:\n%s\nconsole:\n%s", emuLogs.String(), logs.String())
	assert.True(t, strings.Contains(rec, "source=oximeter "), "no oximeter samples recorded")
}

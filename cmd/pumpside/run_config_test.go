package main

import (
	"fmt"
	"image"
	"net"
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
	dir, bin := buildBinary(t)
	display := xvfbtest.Start(t)

	pumpAddr, oxiAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	emuLogs := startEmulator(t, bin, "--emit", "generic=tcp:"+pumpAddr, "--emit", "masimo=tcp:"+oxiAddr)

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

	rec := onlyCase(t, cases)
	assert.True(t, strings.Contains(rec, "source=pump "), "no pump samples recorded; emulator:\n%s\nconsole:\n%s", emuLogs.String(), logs.String())
	assert.True(t, strings.Contains(rec, "source=oximeter "), "no oximeter samples recorded")
}

// TestRunConfigINVOSAndCDIPacket (issue 21): the console end to end on the
// cerebral oximeter and the in-line monitor's packet mode. The simulator
// speaks the CDI 550's packet format (CRC-8, answering the console's
// request packets) and the INVOS's PC LINK 2 on loopback TCP; a second INVOS, written here line by line in PC LINK 1 as
// the operator's manual lays it out, sets its baselines on the device and
// changes one. pumpside run --config reads all three through the real
// drivers: each is recorded, and each baseline the oximeter sets is a case
// event (a nirs_baseline entry by the device) that the NIRS fall alarms
// take as theirs.
func TestRunConfigINVOSAndCDIPacket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and the real binary twice")
	}
	importTool := need(t, "import")
	dir, bin := buildBinary(t)
	display := xvfbtest.Start(t)

	cdiAddr, invos2Addr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	// At 60x the simulated case goes on bypass (15 min), when the in-line
	// monitor has blood to measure, 15 s after it starts.
	emuLogs := startEmulator(t, bin, "--speed", "60",
		"--emit", "cdi550-packet=tcp:"+cdiAddr, "--emit", "invos-pclink2=tcp:"+invos2Addr)

	// The PC LINK 1 oximeter: left and right cerebral, baselines 68 and 66
	// set on the device, then the left one set again to 64.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for i := 0; i < 60; i++ {
			left := 68
			if i >= 4 {
				left = 64
			}
			now := time.Now()
			line := fmt.Sprintf("%s  %s  L  67  0  0  %d  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345  "+
				"R  65  0  0  66  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345  "+
				"0  0  0  0  0  0  0  0  0.0000  0.0000  0  0  0  0  0  0  0  0  0  0  0  0.0000  0.0000  0  0  0\r\n",
				now.Format("01/02/06"), now.Format("15:04:05"), left)
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()

	cfg := filepath.Join(dir, "console.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
[[device]]
name = "cdi"
driver = "cdi550-packet"
[device.options]
temp_mode = "37C"
request_on_connect = true
poll_interval = "2s"
[device.transport]
type = "tcp"
addr = %q

[[device]]
name = "invos"
driver = "invos"
[device.transport]
type = "tcp"
addr = %q

[[device]]
name = "somatic"
driver = "invos-pclink2"
[device.options.channels]
"1" = "nirs.renal"
"2" = "nirs.somatic"
[device.transport]
type = "tcp"
addr = %q
`, cdiAddr, ln.Addr().String(), invos2Addr)), 0o600))

	cases := filepath.Join(dir, "cases")
	g := startGUI(t, bin, display, importTool, dir, "run", "--config", cfg, "--record", cases, "--no-sound")
	logs := g.logs
	g.waitWindow(func(image.Image) bool { return true })
	time.Sleep(25 * time.Second) // on bypass after 15 s; the INVOS written here every 1 s, its baseline changed after 4 lines
	g.interrupt()
	assert.Contains(t, logs.String(), "console open on 3 devices")

	rec := onlyCase(t, cases)
	for _, want := range []string{"source=cdi ", "source=invos ", "source=somatic "} {
		assert.True(t, strings.Contains(rec, want), "no %s samples recorded; emulator:\n%s\nconsole:\n%s", want, emuLogs.String(), logs.String())
	}
	var somatic []string
	for _, l := range strings.Split(rec, "\n") {
		if strings.Contains(l, ",source=somatic ") && len(somatic) < 8 {
			somatic = append(somatic, l)
		}
	}
	assert.Regexp(t, `(?m)^nirs,\S*source=somatic renal=\d`, rec, "the emulated PC LINK 2 oximeter's channel 1 on the site's channel:\n%s", strings.Join(somatic, "\n"))
	var baselines []string
	for _, l := range strings.Split(rec, "\n") {
		if strings.HasPrefix(l, "event,") && strings.Contains(l, ",kind=nirs_baseline ") {
			baselines = append(baselines, l)
		}
	}
	require.Len(t, baselines, 2, "a nirs_baseline event for the oximeter's baselines and one for the change:\n%s", strings.Join(baselines, "\n"))
	assert.Contains(t, baselines[0], "left=68")
	assert.Contains(t, baselines[0], "right=66")
	assert.Contains(t, baselines[1], "left=64")
	assert.Contains(t, baselines[1], `who="device"`)
	assert.Contains(t, baselines[1], "set on the oximeter")
}

// buildBinary builds pumpside into a new temporary directory and returns
// both.
func buildBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "pumpside")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return dir, bin
}

// startEmulator starts pumpside sim with an instructor port of its own and
// args (its --emit targets), killed at the end of the test; it returns
// the emulator's output.
func startEmulator(t *testing.T, bin string, args ...string) *lockedBuffer {
	t.Helper()
	emu := exec.Command(bin, append([]string{"sim", "--control", "127.0.0.1:0"}, args...)...)
	logs := &lockedBuffer{}
	emu.Stdout, emu.Stderr = logs, logs
	require.NoError(t, emu.Start())
	t.Cleanup(func() { _ = emu.Process.Kill(); _ = emu.Wait() })
	return logs
}

// onlyCase returns the text of the one case file a console recorded in
// dir.
func onlyCase(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.case"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	return string(data)
}

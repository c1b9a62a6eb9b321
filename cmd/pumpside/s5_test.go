package main

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/ui/xvfbtest"
)

const s5Data = "../../devices/s5/testdata/"

func TestDecodeS5Capture(t *testing.T) {
	code, out, errs := run("decode", "--driver", "s5", s5Data+"capture/input.cap")
	assert.Equal(t, 0, code, errs)
	want, err := os.ReadFile(s5Data + "capture/expected.jsonl")
	require.NoError(t, err)
	assert.Equal(t, string(want), out, "samples carry the capture's receive times")
	assert.Equal(t, "frames: 3 ok, 0 bad\n", errs)
	assert.Contains(t, out, `"channel":"patient.map","value":85,"unit":"mmHg","quality":"ok"}`)
}

func TestDecodeS5ListsWhatItCannotMap(t *testing.T) {
	code, out, errs := run("decode", "--driver", "s5", s5Data+"labels/input")
	assert.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"channel":"patient.sys","value":120`)
	assert.Contains(t, errs, "frames: 1 ok, 0 bad\ninferred or not mapped:\n")
	assert.Contains(t, errs, "  P1 labelled FEM: no channel for this label (map it in [pressures]) (1×)\n")
	assert.Contains(t, errs, "  T2 labelled AXIL: no channel for this label (map it in [temperatures]) (1×)\n")

	code, _, errs = run("decode", "--driver", "s5", s5Data+"damaged/input")
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, "frames: 2 ok, 8 bad\n")
	assert.Contains(t, errs, "  bad frame at byte 1317: checksum: checksum does not match the record")
}

func TestDevicesListsS5(t *testing.T) {
	code, out, _ := run("devices")
	assert.Equal(t, 0, code)
	i := strings.Index(out, "s5: GE Datex-Ohmeda S/5 and CARESCAPE")
	require.GreaterOrEqual(t, i, 0, out)
	s5 := out[i:]
	if j := strings.Index(s5, "\n\n"); j > 0 {
		s5 = s5[:j]
	}
	for _, want := range []string{"port 19200 8E1 rts/cts", "patient.map", "mmHg", "patient.cvp", "patient.pap_mean",
		"temp.nasopharyngeal", "°C", "patient.spo2", "patient.etco2", "patient.bis"} {
		assert.Contains(t, s5, want)
	}
	code, out, _ = run("devices", "--sample-config", "s5")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `interval = "1s"`)
}

// TestRunConfigS5EndToEnd: the simulator emulates the patient monitor on
// one end of a pty pair (pumpside sim --emit s5=PATH), and pumpside run
// --config reads it on the other end through the s5 driver under its
// device supervisor: the console asks, the emulated monitor answers, and
// the values are recorded.
func TestRunConfigS5EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and the real binary twice")
	}
	importTool := need(t, "import")
	dir, bin := buildBinary(t)
	display := xvfbtest.Start(t)
	pty := devicetest.StartPtyPair(t)

	emuLogs := startEmulator(t, bin, "--emit", "s5="+pty.Peer)

	example, err := os.ReadFile("../../devices/s5/console-example.toml")
	require.NoError(t, err)
	cfg := filepath.Join(dir, "console.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(strings.Replace(string(example), `port = "/tmp/s5-console"`, fmt.Sprintf("port = %q", pty.Device), 1)), 0o600))

	cases := filepath.Join(dir, "cases")
	g := startGUI(t, bin, display, importTool, dir, "run", "--config", cfg, "--record", cases, "--no-sound")
	logs := g.logs
	g.waitWindow(func(image.Image) bool { return true })
	time.Sleep(6 * time.Second) // asked at once, answered every second
	g.interrupt()
	assert.Contains(t, logs.String(), "console open on 1 device")

	var monitor []string
	for _, line := range strings.Split(onlyCase(t, cases), "\n") {
		if strings.Contains(line, ",source=monitor ") {
			monitor = append(monitor, line)
		}
	}
	require.NotEmpty(t, monitor, "no monitor samples recorded; emulator:\n%s\nconsole:\n%s", emuLogs.String(), logs.String())
	rec := strings.Join(monitor, "\n")
	for _, field := range []string{" map=", " cvp=", " nasopharyngeal="} {
		assert.True(t, strings.Contains(rec, field), "no %s value from the monitor in:\n%s", field, rec)
	}
}

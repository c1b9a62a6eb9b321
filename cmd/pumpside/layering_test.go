package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLayering keeps the one-way data flow honest: the pipeline, the alarm
// engine and the device layer never depend on the GUI, so they stay testable
// and usable headless (replay, sim, decode).
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Deps \" \"}}",
		"github.com/pumpside/pumpside/monitor/...",
		"github.com/pumpside/pumpside/alarms/...",
		"github.com/pumpside/pumpside/devices/...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(pkg, "github.com/pumpside/pumpside/") {
			continue
		}
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, "gioui.org") || strings.HasPrefix(d, "github.com/pumpside/pumpside/ui") {
				t.Errorf("%s depends on %s: only cmd/ and ui/ may import the GUI", pkg, d)
			}
		}
	}
}

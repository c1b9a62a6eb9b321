package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDevicesCommand(t *testing.T) {
	code, out, _ := run("devices")
	assert.Equal(t, 0, code)
	for _, want := range []string{"masimo: Masimo ASCII 1", "nonin: Nonin", "port 9600 8N1", "patient.spo2  %", "patient.hr    /min", "nirs.left", "SO2_1"} {
		assert.Contains(t, out, want)
	}
	code, out, _ = run("devices", "--sample-config", "nonin")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `rso2 = ["nirs.left", "nirs.right"]`)
	code, _, errs := run("devices", "--sample-config", "acme")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "unknown driver")
	code, _, _ = run("devices", "extra")
	assert.Equal(t, 2, code)
	code, out, _ = run("devices", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: pumpside devices")
}

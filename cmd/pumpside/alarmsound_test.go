package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms/sound/soundtest"
)

func TestAlarmSoundWritesWAV(t *testing.T) {
	dir := t.TempDir()
	for prio, pulses := range map[string]int{"high": 10, "medium": 3, "low": 2} {
		t.Run(prio, func(t *testing.T) {
			path := filepath.Join(dir, prio+".wav")
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), []string{"alarm-sound", "--priority", prio, "--out", path}, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			assert.Empty(t, stderr.String())
			assert.Contains(t, stdout.String(), path)
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			x, rate, err := soundtest.ReadWAV(f)
			require.NoError(t, err)
			a, err := soundtest.Analyze(x, rate)
			require.NoError(t, err)
			assert.Len(t, a.Pulses, pulses)
			assert.True(t, a.Fundamental >= 150 && a.Fundamental <= 1000, "fundamental %g", a.Fundamental)
		})
	}
}

func TestAlarmSoundUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.wav")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--out", out}, 2, "--priority high|medium|low is required"},
		{[]string{"--priority", "high"}, 2, "--out FILE.wav is required"},
		{[]string{"--priority", "urgent", "--out", out}, 2, "--priority must be high, medium or low"},
		{[]string{"--priority", "high", "--out", out, "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := dispatch(context.Background(), append([]string{"alarm-sound"}, c.args...), &stdout, &stderr)
		assert.Equal(t, c.code, code, c.args)
		assert.Equal(t, "pumpside alarm-sound: "+c.msg+"\n", stderr.String(), "one line: %v", c.args)
		assert.Empty(t, stdout.String())
	}
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written on bad usage")

	// A bad flag: the shared convention (exit 2, message on stderr).
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, dispatch(context.Background(), []string{"alarm-sound", "--volume", "11"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "flag provided but not defined: -volume")

	// Help.
	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, 0, dispatch(context.Background(), []string{"alarm-sound", "--help"}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "Usage: pumpside alarm-sound --priority high|medium|low --out FILE.wav")
	assert.Contains(t, stdout.String(), "-priority")

	// Listed among the commands.
	stdout.Reset()
	dispatch(context.Background(), []string{"help"}, &stdout, &stderr)
	assert.Contains(t, stdout.String(), "alarm-sound")
}

func TestAlarmSoundWriteFailure(t *testing.T) {
	var stdout, stderr bytes.Buffer
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "x.wav")
	code := dispatch(context.Background(), []string{"alarm-sound", "--priority", "low", "--out", path}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr.String(), "pumpside alarm-sound: "), stderr.String())
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"))
}

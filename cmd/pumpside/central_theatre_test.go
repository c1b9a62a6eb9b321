package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/livestate"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/site"
)

// TestSiteTheatreInLiveState: the theatre the site file names is the tag
// of the console's live state, what the department view shows; the
// environment's PUMPSIDE_THEATRE overrides it. The way pumpside run takes
// it: the site file, livestate.Theatre, the session.
func TestSiteTheatreInLiveState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "site.toml")
	require.NoError(t, os.WriteFile(path, []byte("theatre = \"Theatre 5\"\ntimezone = \"UTC\"\n"), 0o600))
	for _, c := range []struct{ env, want string }{{"", "Theatre 5"}, {"OR 4", "OR 4"}} {
		env := map[string]string{livestate.EnvTheatre: c.env}
		getenv := func(k string) string { return env[k] }
		cfg, err := site.Resolve(path, "", getenv)
		require.NoError(t, err)
		theatre, err := livestate.Theatre(cfg.Theatre, getenv)
		require.NoError(t, err)

		clk := clock.NewManual(builtinCaseStart)
		s, err := newSession(sessionOptions{clk: clk, recordDir: t.TempDir(), caseID: "C-site", theatre: theatre, site: cfg,
			profile: alarms.DefaultProfile(), stderr: io.Discard})
		require.NoError(t, err)
		f, err := newSessionSimFeed(s, sim.New(builtinCaseStart, 1))
		require.NoError(t, err)
		f.stepTo(time.Minute)
		clk.Set(builtinCaseStart.Add(time.Minute))
		s.live.Step(time.Now())
		l := recordedLiveState(t, s)
		assert.Equal(t, c.want, l.Theatre, "PUMPSIDE_THEATRE=%q", c.env)
	}
	// A patient's number where the theatre's name goes stops the console.
	require.NoError(t, os.WriteFile(path, []byte("theatre = \"943 476 5919\"\n"), 0o600))
	_, err := site.Resolve(path, "", func(string) string { return "" })
	assert.ErrorIs(t, err, record.ErrInvalid)
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const casesData = "../../testdata/cases/"

func TestCasesListsDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"example.case", "bad-lines.case", "foreign-6s-inline.case"} {
		b, err := os.ReadFile(casesData + name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.case"), 0o700)) // a directory: not a case
	code, out, errs := run("cases", dir)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^FILE\s+CASE\s+START\s+DURATION\s+SIZE\s+EVENTS\s+ALARMS\s+BOOKMARKS\s+BAD LINES$`, lines[0])
	// Oldest first; the start in the zone (UTC here: TestMain), with it.
	assert.Regexp(t, `^foreign-6s-inline\.case\s+OLD-17\s+2023-11-14 22:13:20 UTC\s+6s\s+1\.5 KiB\s+1\s+0\s+0\s+0$`, lines[1])
	assert.Regexp(t, `^bad-lines\.case\s+C-bad\s+2026-03-01 08:00:00 UTC\s+3s\s+362 B\s+0\s+0\s+0\s+4$`, lines[2])
	assert.Regexp(t, `^example\.case\s+C-2026-0301-A\s+2026-03-01 08:00:00 UTC\s+26m40s\s+\S+ KiB\s+7\s+3\s+1\s+0$`, lines[3])
	// The theatre's zone.
	code, out, errs = run("cases", dir, "--tz", "Europe/Paris")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "2026-03-01 09:00:00 CET")
}

func TestCasesEmptyAndMissing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600))
	code, out, _ := run("cases", dir)
	assert.Equal(t, 0, code)
	assert.Equal(t, "no case files in "+dir+"\n", out)
	code, _, errs := run("cases", filepath.Join(dir, "nope"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "no such file or directory")
	code, _, errs = run("cases", dir, dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "one directory at most")
}

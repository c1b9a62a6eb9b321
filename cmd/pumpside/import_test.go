package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// historyLine writes one line of an INVOS case-history download as the
// operator's manual lays it out ("Data Format - Case History Downloads":
// version, date, time, then rSO2, event, status and a reserved 0 for each
// of the 4 channels, separated by two spaces, ended by LF).
func historyLine(local time.Time, ch [4][3]int) string {
	s := "1.2.34.56/1/1  " + local.Format("01/02/06  15:04:05")
	for _, c := range ch {
		s += fmt.Sprintf("  %d  %d  %d  0", c[0], c[1], c[2])
	}
	return s + "\n"
}

// TestImportINVOS imports a case history into a case written by `pumpside
// sim --out`, replays it headless and finds the NIRS values; a second
// import of the same file appends nothing.
func TestImportINVOS(t *testing.T) {
	dir := t.TempDir()
	casePath := filepath.Join(dir, "c.case")
	code, _, errs := run("sim", "--out", casePath, "--duration", "30m")
	require.Equal(t, 0, code, errs)
	before, err := os.ReadFile(casePath)
	require.NoError(t, err)

	// The device's clock is in UTC+1: 09:05 local is 08:05 UTC, five
	// minutes into the case (it starts at 08:00 UTC).
	zone := time.FixedZone("+01:00", 3600)
	start := time.Date(2026, 1, 5, 9, 5, 0, 0, zone)
	var hist strings.Builder
	wantSomatic := 0
	for i := range 61 {
		left := [3]int{60 + i%10, 0, 0}
		switch i {
		case 10:
			left = [3]int{62, 0, 7} // status 7: invalid per the config
		case 11:
			left = [3]int{0, 0, 0} // not active
		}
		hist.WriteString(historyLine(start.Add(time.Duration(i)*5*time.Second), [4][3]int{left, {0, 0, 0}, {80, 0, 0}, {0, 0, 0}}))
		wantSomatic++
		if i == 2 {
			hist.WriteString("1.2.34.56/1/1  01/05/26  09:05:12  99  0  0  0\n") // line 4: a bad line
		}
	}
	hist.WriteString(historyLine(start.Add(time.Hour), [4][3]int{{70, 0, 0}, {0, 0, 0}, {80, 0, 0}, {0, 0, 0}})) // after the case
	hist.WriteString("garbage\n")                                                                                // line 64
	histPath := filepath.Join(dir, "INVOS case.txt")
	require.NoError(t, os.WriteFile(histPath, []byte(hist.String()), 0o600))
	cfg := filepath.Join(dir, "invos.toml")
	require.NoError(t, os.WriteFile(cfg, []byte("[channels]\n\"3\" = \"nirs.somatic\"\n[status]\n\"7\" = \"invalid\"\n"), 0o600))

	args := []string{"import", "invos", histPath, "--case", casePath, "--who", "jd", "--config", cfg, "--tz", "+01:00"}
	code, out, errs := run(args...)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "INVOS case.txt:4: ")
	assert.Contains(t, errs, "INVOS case.txt:64: ")
	assert.Equal(t, 2, strings.Count(errs, "(skipped)"), "two bad lines, each reported: %s", errs)
	assert.Contains(t, out, "Imported 61 INVOS readings (nirs.left, nirs.somatic, 2026-01-05T08:05:00Z to 2026-01-05T08:10:00Z) from INVOS case.txt; 0 already in the case, 1 outside it, 2 bad lines")

	after, err := os.ReadFile(casePath)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(after), string(before)), "the case file is only appended to")
	added := string(after[len(before):])
	assert.Equal(t, 61*2, strings.Count(added, "source=invos"), "a sample per mapped channel and reading; channel 2 (nirs.right) never active: none")
	assert.NotContains(t, added, "right", "no run of no-value on nirs.right to hide the simulated one")
	assert.Contains(t, added, `nirs,case=sim-routine-cabg-1,source=invos somatic=80 1767600300000000000`)
	assert.Contains(t, added, `nirs,case=sim-routine-cabg-1,source=invos left_q="unavailable" 1767600350000000000`, "status 7 invalid: no value")
	assert.Contains(t, added, `nirs,case=sim-routine-cabg-1,source=invos left_q="unavailable" 1767600355000000000`, "not active: no value")
	assert.Contains(t, added, `kind=data_import`)
	assert.Contains(t, added, `who="jd"`)
	assert.Contains(t, added, `file="INVOS case.txt"`)
	code, list, errs := run("event", "list", casePath)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, list, "data_import")

	// Again: every reading is already in the case; nothing is written.
	code, _, errs = run(args...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "no reading to import: 61 already in the case")
	again, err := os.ReadFile(casePath)
	require.NoError(t, err)
	assert.Equal(t, after, again)

	// Replayed headless, as the console would: the NIRS values are there.
	code, _, errs = run("replay", casePath, "--headless")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "replayed sim-routine-cabg-1")
	f, err := os.Open(casePath)
	require.NoError(t, err)
	defer f.Close()
	c, err := replay.Load(f, nil)
	require.NoError(t, err)
	seen := map[string]bool{}
	var somatic []float64
	_, err = replaySeconds(context.Background(), c, func(now time.Time, snap *monitor.Snapshot) error {
		r := snap.Reading(channel.NIRSSomatic)
		switch now.UTC().Format("15:04:05") {
		case "08:04:00", "08:07:30", "08:10:00", "08:20:00":
			seen[now.UTC().Format("15:04:05")] = r.OK()
			if r.OK() {
				somatic = append(somatic, r.Value)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []float64{80, 80}, somatic, "within the import, nirs.somatic reads the INVOS")
	assert.False(t, seen["08:04:00"], "no value before the readings")
	assert.False(t, seen["08:20:00"], "stale ten minutes after the last")
}

func TestImportUsage(t *testing.T) {
	dir := t.TempDir()
	casePath := filepath.Join(dir, "c.case")
	code, _, errs := run("sim", "--out", casePath, "--duration", "10m")
	require.Equal(t, 0, code, errs)
	hist := filepath.Join(dir, "h.txt")
	require.NoError(t, os.WriteFile(hist, []byte(historyLine(time.Date(2026, 1, 5, 8, 5, 0, 0, time.UTC), [4][3]int{{70, 0, 0}})), 0o600))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "nonin", hist, "--case", casePath, "--who", "jd"}, 2, "unknown source"},
		{[]string{"import", "invos", hist, "--who", "jd"}, 2, "--case"},
		{[]string{"import", "invos", hist, "--case", casePath}, 2, "--who"},
		{[]string{"import", "invos", hist, "--case", casePath, "--who", "jd", "--tz", "Mars/Olympus"}, 2, "--tz"},
		{[]string{"import", "invos", filepath.Join(dir, "missing.txt"), "--case", casePath, "--who", "jd"}, 1, "missing.txt"},
		{[]string{"import", "invos", hist, "--case", filepath.Join(dir, "none.case"), "--who", "jd"}, 2, "none.case"},
		{[]string{"import", "invos", hist, "--case", casePath, "--who", "jd", "--tz", "+05:00"}, 1, "1 outside the case"},
	} {
		code, _, errs := run(tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, errs)
		assert.Contains(t, errs, tc.want, "%v", tc.args)
	}
	code, out, errs := run("import", "invos", hist, "--case", casePath, "--who", "jd", "--tz", "UTC", "--dry-run")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "dry run, nothing written: Imported 1 INVOS readings")
}

// TestINVOSAndCDIPacketListed: `pumpside devices` lists the INVOS and the
// CDI 550's packet mode with their channels and port settings, and
// `pumpside decode --driver invos` reads a capture with its notes.
func TestINVOSAndCDIPacketListed(t *testing.T) {
	code, out, _ := run("devices")
	require.Equal(t, 0, code)
	for _, want := range []string{"invos: Medtronic (Somanetics) INVOS 5100C", "port 9600 8N1 rts/cts", "nirs.left_baseline", "invos-pclink2:",
		"cdi550-packet: Terumo CDI 550 in-line blood parameter monitor, packet mode"} {
		assert.Contains(t, out, want)
	}
	code, out, errs := run("decode", "--driver", "invos", "../../devices/invos/testdata/pclink1/input")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, 24, strings.Count(out, "\n"), "4 samples a line")
	assert.Contains(t, errs, "frames: 6 ok, 0 bad")
	assert.Contains(t, errs, "invos: baseline set on channel 1 (2×)")
}

// TestImportINVOSReachesTheReport: a case recorded without a cerebral
// oximeter (another tool's file: testdata/conformance) has no NIRS row in
// its report's observation grid; once the INVOS's case history is imported
// it has one, with the device's readings at the grid's times.
func TestImportINVOSReachesTheReport(t *testing.T) {
	dir := t.TempDir()
	casePath := filepath.Join(dir, "c.case")
	src, err := os.ReadFile("../../testdata/conformance/case/no-nirs-no-analyser/input.case")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(casePath, src, 0o600))
	grid := func() string {
		t.Helper()
		out := filepath.Join(dir, "r.html")
		code, _, errs := run("report", casePath, "--format", "html", "--out", out)
		require.Equal(t, 0, code, errs)
		page, err := os.ReadFile(out)
		require.NoError(t, err)
		return string(page)
	}
	require.NotContains(t, grid(), "NIRS L", "no oximeter, no NIRS row")

	// On bypass from 08:01 to 08:41 UTC; the readings from 08:05 to 08:35,
	// every 5 s, left 57 % and right 55 %.
	var hist strings.Builder
	for at := time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC); !at.After(time.Date(2026, 3, 1, 8, 35, 0, 0, time.UTC)); at = at.Add(5 * time.Second) {
		hist.WriteString(historyLine(at, [4][3]int{{57, 0, 0}, {55, 0, 0}}))
	}
	histPath := filepath.Join(dir, "invos.txt")
	require.NoError(t, os.WriteFile(histPath, []byte(hist.String()), 0o600))
	code, out, errs := run("import", "invos", histPath, "--case", casePath, "--who", "jd", "--tz", "UTC")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Imported 361 INVOS readings (nirs.left, nirs.right")

	page := grid()
	for _, row := range []struct{ label, value string }{{"NIRS L", ">57<"}, {"NIRS R", ">55<"}} {
		i := strings.Index(page, row.label)
		require.GreaterOrEqual(t, i, 0, "a %s row once imported", row.label)
		tr := page[i:]
		tr = tr[:strings.Index(tr, "</tr>")]
		assert.Contains(t, tr, row.value, "the %s row: %s", row.label, tr)
	}
}

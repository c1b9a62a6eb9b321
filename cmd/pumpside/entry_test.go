package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entryCase copies the hand-made summary case (08:00:00 to 09:06:40 on
// 2026-03-01) and sets the console's "now" to 09:10.
func entryCase(t *testing.T) (path string, orig []byte) {
	t.Helper()
	orig, err := os.ReadFile(casesData + "report-summary.case")
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "c.case")
	require.NoError(t, os.WriteFile(path, orig, 0o600))
	prev := eventNow
	eventNow = func() time.Time { return time.Date(2026, 3, 1, 9, 10, 0, 0, time.UTC) }
	t.Cleanup(func() { eventNow = prev })
	return path, orig
}

func summarizeFile(t *testing.T, path string) *report.CaseSummary {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	c, err := report.Load(f, nil)
	require.NoError(t, err)
	s, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Secret: []byte("site-secret-for-tests-only")})
	require.NoError(t, err)
	return s
}

// Add, edit, void and list: every step appends, the recorded bytes stay,
// the summary follows the edits, the list shows values, marks and history.
func TestEventAddEditList(t *testing.T) {
	path, orig := entryCase(t)
	code, out, errs := run("event", "add", path, "--kind", "drug", "--name", "Heparin", "--dose", "3000",
		"--unit", "units", "--route", "pump", "--ago", "12m", "--who", "jd")
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs)
	assert.Equal(t, "recorded drug at 2026-03-01T08:58:00Z: Drug heparin 3000 IU pump\n", out)
	afterAdd, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(afterAdd, orig))
	assert.Equal(t, `event,case=C-2026-0301-R,kind=drug text="Drug heparin 3000 IU pump",name="heparin",dose=3000,unit="IU",route="pump",who="jd" 1772355480000000000`+"\n",
		string(afterAdd[len(orig):]))

	// The dose corrected: the text made from the fields follows.
	code, out, errs = run("event", "edit", path, "--target", "2026-03-01T08:58:00Z", "--dose", "2500", "--who", "ab", "--reason", "misread")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Edit drug at 2026-03-01T08:58:00Z (Drug heparin 3000 IU pump): text \"Drug heparin 2500 IU pump\", dose 2500; reason: misread")
	// On bypass a minute later, by Unix ns; the heparin of 08:33:20 voided.
	code, _, errs = run("event", "edit", path, "--target", "1772352600000000000", "--at", "2026-03-01T08:11:00Z", "--who", "ab")
	require.Equal(t, 0, code, errs)
	code, _, errs = run("event", "edit", path, "--target", "2026-03-01T08:33:20Z", "--void", "--who", "ab")
	require.Equal(t, 0, code, errs)

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(after, afterAdd), "the recorded lines are never rewritten")
	assert.Equal(t, 3, strings.Count(string(after[len(afterAdd):]), "kind=edit"))

	s := summarizeFile(t, path)
	assert.Equal(t, 2940*time.Second, s.Bypass, "on bypass moved from 08:10 to 08:11")
	var hep report.DrugTotal
	for _, d := range s.Drugs {
		if d.Name == "heparin" {
			hep = d
		}
	}
	assert.Equal(t, report.DrugTotal{Name: "heparin", Unit: "IU", Total: 24000 + 2500, Count: 2}, hep, "5000 voided, 3000 corrected to 2500")

	code, out, errs = run("event", "list", path)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(out, "\n")
	find := func(sub string) int {
		for i, l := range lines {
			if strings.Contains(l, sub) {
				return i
			}
		}
		t.Fatalf("no line with %q in\n%s", sub, out)
		return -1
	}
	i := find("Drug heparin 2500 IU pump")
	assert.Contains(t, lines[i], "dose=2500")
	assert.True(t, strings.HasSuffix(lines[i], "edited"), lines[i])
	assert.Contains(t, lines[i+1], `id 2026-03-01T08:58:00Z; original: 2026-03-01T08:58:00Z "Drug heparin 3000 IU pump" [name=heparin dose=3000 unit=IU route=pump] who=jd`)
	assert.Contains(t, lines[i+2], "2026-03-01T09:10:00Z by ab: Edit drug")
	i = find("On bypass")
	assert.True(t, strings.HasPrefix(lines[i], "2026-03-01T08:11:00Z"), lines[i])
	assert.Contains(t, lines[i+1], "id 2026-03-01T08:10:00Z")
	// Three edits made in the same second each have their own time.
	assert.Contains(t, lines[i+2], "2026-03-01T09:10:00.000000001Z by ab")
	i = find("Heparin 5000 IU")
	assert.True(t, strings.HasSuffix(lines[i], "VOID"), lines[i])

	// Restore brings it back into the totals.
	code, _, errs = run("event", "edit", path, "--target", "2026-03-01T08:33:20Z", "--restore", "--who", "ab")
	require.Equal(t, 0, code, errs)
	s = summarizeFile(t, path)
	for _, d := range s.Drugs {
		if d.Name == "heparin" {
			assert.Equal(t, 24000+2500+5000.0, d.Total)
		}
	}
}

// Refusals: exit 2, one line naming the field and what is allowed, and
// nothing written.
func TestEventRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		msg  []string
	}{
		{"dose ten times", []string{"add", "--kind", "drug", "--name", "heparin", "--dose", "300000", "--unit", "IU"},
			[]string{"drug dose 300000 IU is outside the range for heparin; allowed: 100–100000 IU"}},
		{"wrong unit", []string{"add", "--kind", "drug", "--name", "protamine", "--dose", "300", "--unit", "IU"},
			[]string{`drug unit "IU" is not a unit of protamine; allowed: mg`}},
		{"dose not a number", []string{"add", "--kind", "drug", "--name", "heparin", "--dose", "30,000", "--unit", "IU"},
			[]string{`drug dose "30,000" is not a number`}},
		{"before the case", []string{"add", "--kind", "note", "--text", "x", "--at", "2026-03-01T07:59:00Z"},
			[]string{"note time 2026-03-01T07:59:00Z is before the case start; allowed: 2026-03-01T08:00:00Z (case start) to 2026-03-01T09:11:00Z"}},
		{"in the future", []string{"add", "--kind", "act", "--seconds", "480", "--at", "2026-03-01T09:30:00Z"},
			[]string{"act time 2026-03-01T09:30:00Z is in the future"}},
		{"negative ago", []string{"add", "--kind", "note", "--text", "x", "--ago", "-5m"}, []string{"ago -5m0s is negative"}},
		{"cardioplegia temperature", []string{"add", "--kind", "cardioplegia", "--solution", "del Nido", "--volume", "1000", "--temp", "400"},
			[]string{"cardioplegia temp_c 400 °C is outside the range; allowed: 0–40 °C"}},
		{"artifact ends first", []string{"add", "--kind", "artifact", "--channel", "pump.flow", "--at", "2026-03-01T08:30:00Z", "--end", "2026-03-01T08:29:00Z"},
			[]string{"artifact end 2026-03-01T08:29:00Z is not after the start 2026-03-01T08:30:00Z"}},
		{"field of another kind", []string{"add", "--kind", "on_bypass", "--dose", "3"}, []string{"on_bypass dose is not a field of on_bypass"}},
		{"unknown kind", []string{"add", "--kind", "lunch"}, []string{`entry kind "lunch" is not an entry kind`}},
		{"edit, no such entry", []string{"edit", "--target", "2026-03-01T08:10:01Z", "--void"}, []string{"no entry has the time 2026-03-01T08:10:01Z"}},
		{"edit to an impossible dose", []string{"edit", "--target", "2026-03-01T08:03:20Z", "--dose", "240000"}, []string{"drug dose 240000 IU is outside the range for heparin"}},
		{"edit before the case", []string{"edit", "--target", "2026-03-01T08:10:00Z", "--at", "2026-02-28T08:10:00Z"}, []string{"on_bypass time 2026-02-28T08:10:00Z is before the case start"}},
		{"edit, nothing", []string{"edit", "--target", "2026-03-01T08:10:00Z"}, []string{"nothing to change"}},
		{"edit, void and restore", []string{"edit", "--target", "2026-03-01T08:10:00Z", "--void", "--restore"}, []string{"not both"}},
		{"at and ago", []string{"add", "--kind", "note", "--text", "x", "--ago", "1m", "--at", "2026-03-01T08:30:00Z"}, []string{"--at or --ago, not both"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, orig := entryCase(t)
			args := append([]string{"event", c.args[0], path, "--who", "jd"}, c.args[1:]...)
			code, out, errs := run(args...)
			assert.Equal(t, 2, code, errs)
			assert.Empty(t, out)
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
			for _, m := range c.msg {
				assert.Contains(t, errs, m)
			}
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, orig, after, "nothing written")
		})
	}
}

func TestEventUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"event"}, 2, "Usage: pumpside event"},
		{[]string{"event", "frobnicate"}, 2, "unknown subcommand"},
		{[]string{"event", "add", "--kind", "note"}, 2, "one CASEFILE is required"},
		{[]string{"event", "add", filepath.Join(dir, "none.case"), "--kind", "note", "--text", "x", "--who", "jd"}, 2, "no such file"},
		{[]string{"event", "list", filepath.Join(dir, "none.case")}, 2, "no such file"},
		{[]string{"event", "edit", filepath.Join(dir, "none.case")}, 2, "--target is required"},
		{[]string{"event", "add", filepath.Join(dir, "none.case"), "--kind", "note", "--text", "x"}, 2, "--who is required"},
		{[]string{"event", "edit", filepath.Join(dir, "none.case"), "--target", "1772352600000000000", "--void"}, 2, "--who is required"},
	} {
		code, _, errs := run(c.args...)
		assert.Equal(t, c.code, code, c.args)
		assert.Contains(t, errs, c.msg, c.args)
	}
	code, out, _ := run("event", "add", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "cardioplegia    --solution [--volume-ml] [--route] [--temp-c]")
	_, err := os.Stat(filepath.Join(dir, "none.case"))
	assert.True(t, os.IsNotExist(err), "a refused add creates no file")
}

// A torn last line (a crash mid-write) is cut by the writer before the
// entry is appended, and said so; every whole line stays.
func TestEventAddRepairsTornTail(t *testing.T) {
	path, orig := entryCase(t)
	torn := append(append([]byte(nil), orig...), "pump,case=C-2026-0301-R,source=hlm flow=4."...)
	require.NoError(t, os.WriteFile(path, torn, 0o600))
	code, _, errs := run("event", "add", path, "--kind", "act", "--seconds", "480", "--at", "2026-03-01T08:40:00Z", "--who", "jd")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "cut a torn last line")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(after, orig))
	assert.Equal(t, `event,case=C-2026-0301-R,kind=act text="ACT 480 s",seconds=480,who="jd" 1772354400000000000`+"\n", string(after[len(orig):]))
}

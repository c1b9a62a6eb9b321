package main

import (
	"bytes"
	"encoding/csv"
	htmlpkg "html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/site"
)

// recordSite is the site file of the record tests: gases in kPa, Hb in
// g/L, glucose in mmol/L, the theatre in Paris (UTC+1 in January), a
// 10-minute grid.
const recordSite = `timezone = "Europe/Paris"
observation_interval = "10m"
[units]
gas = "kPa"
hb = "g/L"
glucose = "mmol/L"
[[preset]]
kind = "disposable"
item = "venous_cannula"
product = "Example two-stage"
size = "36/46 Fr"
site = "right atrium"
`

// simRecordCase writes the simulator's routine CABG (2 h from 08:00 UTC on
// 2026-01-05: heparin 08:05, on bypass 08:15, clamp 08:25–09:25 with
// cardioplegia at 08:25, 08:45 and 09:05, off bypass 09:40; sim events
// carry their own crystalloid volumes) and the site file, and sets "now"
// to 10:05 UTC.
func simRecordCase(t *testing.T) (path, siteFile string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "sim.case")
	code, _, errs := run("sim", "--out", path, "--duration", "2h")
	require.Equal(t, 0, code, errs)
	siteFile = filepath.Join(dir, "site.toml")
	require.NoError(t, os.WriteFile(siteFile, []byte(recordSite), 0o600))
	prev := eventNow
	eventNow = func() time.Time { return time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC) }
	t.Cleanup(func() { eventNow = prev })
	return path, siteFile
}

// TestPerfusionRecordOfSimulatedCase: a simulated case with the record's
// entries added by pumpside event add (times typed on the theatre's clock,
// gases in kPa and g/L), and what the summary makes of them: every new
// figure to the second and to the unit, in the struct (channel units, UTC
// instants) and in the CSV (Paris time, channel units). Bad entries are
// refused and leave the file as it was.
func TestPerfusionRecordOfSimulatedCase(t *testing.T) {
	path, siteFile := simRecordCase(t)
	add := func(args ...string) string {
		t.Helper()
		code, out, errs := run(append([]string{"event", "add", path, "--site-file", siteFile, "--who", "ap"}, args...)...)
		require.Equal(t, 0, code, "%v: %s", args, errs)
		return out
	}
	// Times of day are Paris time: 09:01 is 08:01 UTC.
	add("--kind", "procedure", "--procedure", "CABG x3", "--urgency", "elective", "--at", "09:01")
	add("--kind", "team", "--surgeon", "B. Surgeon", "--anaesthetist", "C. Anaesthetist", "--perfusionist", "A. Perfusionist",
		"--supervisor", "D. Senior", "--at", "09:01")
	add("--kind", "circuit", "--hlm", "HLM-2", "--heater-cooler", "HCU-2", "--venous-drainage", "vacuum", "--rap", "400", "--at", "09:02")
	add("--kind", "disposable", "--item", "oxygenator", "--product", "Example Oxy 8", "--lot", "OX-2611", "--at", "09:02")
	out := add("--kind", "disposable", "--item", "venous_cannula", "--lot", "VC-77", "--from-preset", "--at", "09:02")
	assert.Contains(t, out, "Disposable venous_cannula Example two-stage VC-77 36/46 Fr right atrium")
	add("--kind", "fluid", "--name", "Plasma-Lyte 148", "--volume", "1200", "--fluid-kind", "prime", "--at", "09:03")
	add("--kind", "fluid", "--name", "mannitol 10 %", "--volume", "200", "--fluid-kind", "prime", "--at", "09:03")
	add("--kind", "drug", "--name", "heparin", "--dose", "5000", "--unit", "IU", "--route", "prime", "--at", "09:03")
	add("--kind", "act", "--seconds", "118", "--at", "09:03")
	// The scenario's first heparin, iv, is at 08:05 UTC: the ACT at 08:03
	// is the baseline (heparin in the prime reaches the patient on bypass).
	out = add("--kind", "blood_gas", "--sample", "arterial", "--at", "09:08", "--ph", "7.41", "--pco2", "5.1", "--po2", "13.3",
		"--hb", "128", "--hct", "38", "--k", "4.1", "--glucose", "6.2", "--lactate", "0.9")
	assert.Contains(t, out, "recorded blood_gas at 2026-01-05T09:08:00+01:00 CET")
	add("--kind", "checklist", "--signed-by", "A. Perfusionist", "--at", "09:12")
	add("--kind", "incident", "--category", "circuit", "--text", "arterial line kinked, cleared", "--at", "10:01")
	add("--kind", "blood_gas", "--sample", "arterial", "--at", "10:32", "--ph", "7.31", "--pco2", "5.9", "--hb", "79",
		"--k", "5.9", "--glucose", "11.0", "--lactate", "4.4")
	add("--kind", "residual_volume", "--volume", "450", "--disposition", "bagged", "--at", "10:50")
	add("--kind", "signoff", "--name", "A. Perfusionist", "--at", "11:00")
	// The 09:05 UTC dose struck out after the sign-off: 40 min without
	// cardioplegia, and the record amended after it was signed.
	code, _, errs := run("event", "edit", path, "--site-file", siteFile, "--target", "2026-01-05T10:05:00+01:00 CET", "--void",
		"--reason", "not given", "--who", "ap")
	require.Equal(t, 0, code, errs)

	before, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, bad := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--kind", "note", "--text", "x", "--at", "08:30"}, "is before the case start"}, // 07:30 UTC
		{[]string{"--kind", "note", "--text", "x", "--at", "2026-01-05T11:30:00Z"}, "is in the future"},
		{[]string{"--kind", "note", "--text", "x", "--at", "25:70"}, "is not a time"},
		{[]string{"--kind", "drug", "--name", "heparin", "--dose", "300000", "--unit", "IU", "--at", "09:30"}, "drug dose 300000 IU is outside the range for heparin; allowed: 100–100000 IU"},
		{[]string{"--kind", "disposable", "--item", "oxygenator", "--lot", "OX\x1b[2J26", "--at", "09:30"}, "disposable lot has a control character"},
		{[]string{"--kind", "blood_gas", "--sample", "arterial", "--pco2", "40", "--at", "09:30"}, "blood_gas pco2 40 kPa is outside the range; allowed: 0.67–20.00 kPa"},
		{[]string{"--kind", "residual_volume", "--volume", "450", "--disposition", "poured", "--at", "10:50"}, "disposition"},
	} {
		code, _, errs := run(append([]string{"event", "add", path, "--site-file", siteFile, "--who", "ap"}, bad.args...)...)
		assert.Equal(t, 2, code, "%v", bad.args)
		assert.Contains(t, errs, bad.msg)
		assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		assert.NotContains(t, errs, "\x1b", "no control character echoed")
	}
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "refused entries write nothing")

	// The summary, in the struct: channel units, UTC instants.
	cfg, err := site.Load(siteFile)
	require.NoError(t, err)
	set := report.DefaultSettings()
	set.Zone, set.Units, set.GridInterval, set.Solutions = cfg.Location(), cfg.Units, cfg.GridInterval, cfg.Solutions
	f, err := os.Open(path)
	require.NoError(t, err)
	c, err := report.Load(f, nil)
	f.Close()
	require.NoError(t, err)
	s, err := report.Summarize(c, set, report.Privacy{Identify: true})
	require.NoError(t, err)
	utc := func(h, m, sec int) time.Time { return time.Date(2026, 1, 5, h, m, sec, 0, time.UTC) }
	nadir := func(name string, n report.Nadir, v float64, at time.Time, ch string) {
		t.Helper()
		require.True(t, n.Valid(), name)
		assert.InDelta(t, v, n.Value, 1e-9, name)
		assert.True(t, at.Equal(n.Time), "%s at %v, want %v", name, n.Time, at)
		assert.Equal(t, ch, n.Channel, name)
	}
	assert.Equal(t, "CABG x3", s.Procedure)
	assert.Equal(t, "elective", s.Urgency)
	assert.Equal(t, report.Team{Surgeon: "B. Surgeon", Anaesthetist: "C. Anaesthetist", Perfusionist: "A. Perfusionist", Supervisor: "D. Senior"}, s.Team)
	assert.Equal(t, []string{"HLM-2", "HCU-2", "vacuum"}, []string{s.HLM, s.HeaterCooler, s.VenousDrainage})
	require.Len(t, s.Disposables, 2)
	// Entered at 08:02 after the scenario's NIRS baseline and the circuit:
	// 2 and 3 ns later (an entry's time is its identity, unique in the
	// file).
	assert.Equal(t, report.Disposable{Time: utc(8, 2, 0).Add(2), Item: "oxygenator", Product: "Example Oxy 8", Lot: "OX-2611"}, s.Disposables[0])
	assert.Equal(t, report.Disposable{Time: utc(8, 2, 0).Add(3), Item: "venous_cannula", Product: "Example two-stage",
		Lot: "VC-77", Size: "36/46 Fr", Site: "right atrium"}, s.Disposables[1], "the preset filled the rest")
	assert.Equal(t, 1400.0, s.PrimeML)
	assert.Equal(t, 400.0, s.RAPML)
	assert.Equal(t, 1000.0, s.NetPrimeML)
	assert.Equal(t, []report.DrugTotal{{Name: "heparin", Unit: "IU", Total: 5000, Count: 1}}, s.PrimeAdditives)
	assert.Equal(t, report.Signature{What: "pre-bypass", Name: "A. Perfusionist", Who: "ap", Time: utc(8, 12, 0)}, s.Checklist)
	assert.True(t, s.ChecklistBeforeBypass)
	// 128 g/L typed is 12.8 g/dL stored; 79 g/L is 7.9.
	nadir("baseline Hb", s.HbBaseline, 12.8, utc(8, 8, 0), "abg.hb")
	nadir("baseline Hct", s.HctBaseline, 38, utc(8, 8, 0), "abg.hct")
	nadir("lowest Hb", s.HbLowest, 7.9, utc(9, 32, 0), "abg.hb")
	nadir("lactate", s.LactateMax, 4.4, utc(9, 32, 0), "abg.lactate")
	nadir("glucose", s.GlucoseMax, 11.0, utc(9, 32, 0), "abg.glucose")
	nadir("K+", s.PotassiumMax, 5.9, utc(9, 32, 0), "abg.k")
	// Heparin: the scenario's 24000 at 08:05 and two top-ups of 5000, and
	// 5000 in the prime; protamine 340 mg, the scenario's 1 mg per 100 IU
	// of its own 34000 IU: 340 / 390 = 0.87 mg per 100 IU of all.
	assert.Equal(t, 39000.0, s.HeparinIU)
	assert.Equal(t, 4, s.HeparinDoses)
	assert.Equal(t, 340.0, s.ProtamineMg)
	assert.InDelta(t, 340.0/390, s.ProtamineRatio, 1e-12)
	// ACTs: 118 s at 08:03 (two fluids and the prime heparin were entered
	// at 08:03 first: 3 ns later), the scenario's 534 s at 08:10:30 after
	// its iv heparin at 08:05, and its lowest on bypass 427 s at 09:16:00.
	nadir("ACT baseline", s.ACTBaseline, 118, utc(8, 3, 0).Add(3*time.Nanosecond), "act.seconds")
	nadir("ACT after heparin", s.ACTPostHeparin, 534, utc(8, 10, 30), "act.seconds")
	nadir("lowest ACT on bypass", s.ACTLowestOnBypass, 427, utc(9, 16, 0), "act.seconds")
	// Cardioplegia: 1000 mL (200 crystalloid) at 08:25 and 300 (60) at
	// 08:45; the 09:05 dose voided: 40 min to clamp off at 09:25.
	assert.Equal(t, report.Volume{ML: 1300, Count: 2}, s.Cardioplegia)
	assert.Equal(t, 260.0, s.CardioplegiaCrystalloidML)
	assert.Zero(t, s.CardioplegiaCrystalloidUnknown)
	assert.Equal(t, []string{"blood 4:1"}, s.CardioplegiaSolutions, "the scenario's solution")
	require.Len(t, s.CardioplegiaIntervals, 2)
	assert.Equal(t, utc(8, 45, 0), s.CardioplegiaLongest.From)
	assert.Equal(t, utc(9, 25, 0), s.CardioplegiaLongest.To)
	assert.Equal(t, 40*time.Minute, s.CardioplegiaLongest.Length())
	assert.True(t, s.CardioplegiaLongest.Overdue())
	assert.Zero(t, s.ACP)
	assert.Equal(t, []report.Residual{{Time: utc(9, 50, 0), ML: 450, Disposition: "bagged"}}, s.ResidualVolumes)
	assert.Equal(t, []report.Incident{{Time: utc(9, 1, 0), Category: "circuit", Text: "arterial line kinked, cleared", Who: "ap"}}, s.Incidents)
	assert.Equal(t, report.Signature{What: "record", Name: "A. Perfusionist", Who: "ap", Time: utc(10, 0, 0)}, s.SignOff)
	assert.Equal(t, 1, s.EditsAfterSignOff)
	miss := strings.Join(s.Missing, "\n")
	assert.Contains(t, miss, "cardioplegia overdue: 40 min from the dose at 09:45:00 (blood 4:1) to 10:25:00; re-dose due after 20 min")
	for _, absent := range []string{"no heparin", "no ACT before", "no protamine dose recorded", "not signed off"} {
		assert.NotContains(t, miss, absent)
	}

	// The CSV: the same figures, Paris time, the site's units (Hb in g/L,
	// named in the columns).
	code, out, errs = run("export", path, "--format", "summary-csv", "--identify", "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, report.SummaryHeader(site.Units{Gas: site.KPa, Hb: site.GPerL, Glucose: site.MmolPerL}), recs[0])
	row := map[string]string{}
	for i, k := range recs[0] {
		row[k] = recs[1][i]
	}
	for k, want := range map[string]string{
		"start": "2026-01-05T09:00:00+01:00", "time_zone": "Europe/Paris", "procedure": "CABG x3", "urgency": "elective",
		"surgeon": "B. Surgeon", "perfusionist": "A. Perfusionist", "trainee": "", "hlm": "HLM-2", "heater_cooler": "HCU-2",
		"venous_drainage": "vacuum", "oxygenator": "Example Oxy 8", "oxygenator_lot": "OX-2611",
		"disposables": "oxygenator Example Oxy 8 lot OX-2611; venous_cannula Example two-stage 36/46 Fr right atrium lot VC-77",
		"prime_ml":    "1400", "rap_ml": "400", "net_prime_ml": "1000", "checklist_signed": "true", "checklist_time": "2026-01-05T09:12:00+01:00",
		"hb_baseline_g_l": "128", "hb_lowest_g_l": "79", "hct_baseline_pct": "38.0",
		"lactate_max_mmol_l": "4.4", "glucose_max_mmol_l": "11.0", "k_max_mmol_l": "5.9",
		"heparin_iu": "39000", "protamine_mg": "340", "protamine_mg_per_100iu": "0.87",
		"act_baseline_s": "118", "act_post_heparin_s": "534", "act_lowest_bypass_s": "427",
		"cardioplegia_doses": "2", "cardioplegia_solutions": "blood 4:1", "cardioplegia_crystalloid_ml": "260",
		"cardioplegia_longest_interval_min": "40.00", "cardioplegia_overdue": "1",
		"acp_min": "0.00", "acp_flow_l_min": "", "acp_flow_ml_kg_min": "", "acp_temp_c": "",
		"residual_volume_ml": "450", "residual_disposition": "bagged", "incidents": "1",
		"signed_off": "true", "signed_off_time": "2026-01-05T11:00:00+01:00", "signed_off_by": "A. Perfusionist",
	} {
		assert.Equal(t, want, row[k], "column %s", k)
	}
	// Without --identify the staff names stay out.
	withSecret(t)
	code, out, errs = run("export", path, "--format", "summary-csv", "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, out, "A. Perfusionist")
	assert.NotContains(t, out, "B. Surgeon")
	assert.Contains(t, out, "OX-2611", "lot numbers are not personal data")
}

// TestRecordReportShowsTheRecord: the HTML report of the case in Paris
// time with the site's units: the observation grid (10-minute columns on
// bypass), the set-up, the gases in kPa and g/L, the zone named, and
// UNSIGNED until the sign-off.
func TestRecordReportShowsTheRecord(t *testing.T) {
	path, siteFile := simRecordCase(t)
	code, _, errs := run("event", "add", path, "--site-file", siteFile, "--who", "ap", "--kind", "blood_gas", "--sample", "arterial",
		"--at", "09:10", "--pco2", "5.33", "--hb", "123", "--glucose", "6.1")
	require.Equal(t, 0, code, errs)
	report := func() string {
		code, out, errs := run("report", path, "--format", "html", "--identify", "--site-file", siteFile)
		require.Equal(t, 0, code, errs)
		return htmlpkg.UnescapeString(out)
	}
	html := report()
	has := func(want, msg string) {
		t.Helper()
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q (%s)", want, msg)
		}
	}
	has("UNSIGNED", "")
	has("Europe/Paris (CET, UTC+01:00)", "")
	has("2026-01-05 09:00:00 CET", "the header in Paris time")
	has(`<section id="observations">`, "")
	// Bypass 08:15–09:40 UTC: 09:20 to 10:40 Paris, every 10 min.
	i := strings.Index(html, `<section id="observations">`)
	grid := html[i : i+strings.Index(html[i:], "</section>")]
	for _, hm := range []string{"09:20", "09:30", "10:00", "10:40"} {
		if !strings.Contains(grid, "<th>"+hm+"</th>") {
			t.Errorf("grid lacks %q", "<th>"+hm+"</th>")
		}
	}
	assert.False(t, strings.Contains(grid, "<th>09:10</th>"), "before bypass")
	assert.False(t, strings.Contains(grid, "<th>10:50</th>"), "after bypass")
	if !strings.Contains(grid, "<th>Flow</th><td>L/min</td>") {
		t.Errorf("grid lacks %q", "<th>Flow</th><td>L/min</td>")
	}
	if !strings.Contains(grid, "<th>Art pCO2</th><td>kPa</td>") {
		t.Errorf("grid lacks %q", "<th>Art pCO2</th><td>kPa</td>")
	}
	if !strings.Contains(grid, "<th>DO2i</th>") {
		t.Errorf("grid lacks %q", "<th>DO2i</th>")
	}
	// The manual gas in the table, as typed.
	has("<th>pCO2 (kPa)</th>", "")
	has("<th>Hb (g/L)</th>", "")
	has("<td>09:10:00</td><td>ABG</td><td>—</td><td>5.33</td>", "typed at 09:10 Paris time, shown so")
	has("<td>123</td>", "")

	code, _, errs = run("event", "add", path, "--site-file", siteFile, "--who", "ap", "--kind", "signoff", "--name", "A. Perfusionist", "--at", "11:00")
	require.Equal(t, 0, code, errs)
	html = report()
	assert.False(t, strings.Contains(html, "UNSIGNED"))
	has("signed off by A. Perfusionist at 2026-01-05 11:00:00 CET", "")

	// The PDF says the same (its text, read back by poppler).
	dir := t.TempDir()
	pdf := filepath.Join(dir, "r.pdf")
	code, _, errs = run("report", path, "--out", pdf, "--identify", "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	tool := poppler(t, "pdftotext")
	b, err := exec.Command(tool, "-layout", pdf, "-").CombinedOutput()
	require.NoError(t, err, string(b))
	txt := string(b)
	for _, want := range []string{"Observations", "every 10 min on bypass", "09:20", "10:40", "kPa", "signed off by A. Perfusionist",
		"Case set-up", "Europe/Paris"} {
		assert.Contains(t, txt, want)
	}
	assert.False(t, bytes.Contains(b, []byte("UNSIGNED")))
}

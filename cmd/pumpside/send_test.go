package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
	"github.com/pumpside/pumpside/monitor/hl7out"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchangeEnv gives a test a site secret, no site configuration of the
// user's, and a copy of the hand-made known case.
func exchangeEnv(t *testing.T) (dir, casePath string) {
	t.Helper()
	t.Setenv(siteSecretEnv, "a-site-secret-of-enough-length")
	t.Setenv(site.EnvFile, "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir = t.TempDir()
	b, err := os.ReadFile(casesData + "report-summary.case")
	require.NoError(t, err)
	casePath = filepath.Join(dir, "a.case")
	require.NoError(t, os.WriteFile(casePath, b, 0o600))
	return dir, casePath
}

func writeSite(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "site.toml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// TestSendCommand: pumpside send to node-hl7-server's MLLP listener: queued,
// acknowledged, not sent again; --identify refused without the site
// setting; --status lists the outbox.
func TestSendCommand(t *testing.T) {
	dir, casePath := exchangeEnv(t)
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{})
	siteFile := writeSite(t, dir, fmt.Sprintf("[hl7]\naddress = %q\nreceiving_application = \"EMR\"\nretry_min = \"50ms\"\n", rx.Addr()))

	code, out, errs := run("send", casePath, "--site-file", siteFile, "--identify")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "identified sending is off")
	assert.Empty(t, out)

	code, out, errs = run("send", casePath, "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "queued PSD")
	assert.Contains(t, out, "(preliminary)", "not signed off")
	assert.Contains(t, out, "acknowledged")
	e := rx.Next(10 * time.Second)
	require.Equal(t, "message", e.Event)
	assert.Equal(t, "P", e.Segs("OBR")[0].Get(25, 1))
	assert.Equal(t, "EMR", e.Segs("MSH")[0].Get(5, 1))
	assert.Equal(t, "ANON", e.Segs("PID")[0].Get(3, 5))

	code, out, _ = run("send", casePath, "--site-file", siteFile)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "not sent again")
	rx.Quiet(300 * time.Millisecond)

	code, out, _ = run("send", "--status", casePath)
	require.Equal(t, 0, code)
	assert.Contains(t, out, e.ControlID)
	assert.Contains(t, out, "acknowledged")

	// Signed off, and identified where the site enables it: the hospital
	// number goes, the record final.
	siteFile = writeSite(t, dir, fmt.Sprintf("[privacy]\nidentified_sending = true\n[hl7]\naddress = %q\nassigning_authority = \"HOSP\"\n", rx.Addr()))
	f, _ := os.OpenFile(casePath, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=signoff text=\"Signed off\",name=\"A. Perfusionist\" %d\n", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC).UnixNano())
	f.Close()
	code, out, errs = run("send", casePath, "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "(final)")
	e = rx.Next(10 * time.Second)
	assert.Equal(t, "H1234567", e.Segs("PID")[0].Get(3, 1))
	assert.Equal(t, "F", e.Segs("OBR")[0].Get(25, 1))

	// Edited after it was sent: a correction.
	f, _ = os.OpenFile(casePath, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=note text=\"edited\" %d\n", time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC).UnixNano())
	f.Close()
	code, out, errs = run("send", casePath, "--site-file", siteFile)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "(correction)")
	e = rx.Next(10 * time.Second)
	assert.Equal(t, "C", e.Segs("OBR")[0].Get(25, 1))

	// The engine down: the message waits in the outbox, exit 1.
	rx.Stop()
	f, _ = os.OpenFile(casePath, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=note text=\"edited again\" %d\n", time.Date(2026, 3, 1, 9, 32, 0, 0, time.UTC).UnixNano())
	f.Close()
	code, out, _ = run("send", casePath, "--site-file", siteFile, "--wait", "300ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "1 message(s) wait")
}

// TestSiteFileSending: the sending sections are the site file's, refused
// with the file's other errors (the cases of monitor/site's tests), and
// the console's sign-off sender starts only when the site file asks.
func TestSiteFileSending(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := run("send", "x.case", "--site-file", writeSite(t, dir, "[hl7]\nadress = \"x:1\"\n"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "hl7.adress: unknown key")
	code, _, errs = run("report", "x.case", "--site-file", writeSite(t, dir, "[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"nope\"\n"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "quality.indicator[1]")
	// The old flag is gone.
	code, _, errs = run("send", "x.case", "--site", writeSite(t, dir, ""))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "-site")

	none, err := startSignOffSender(context.Background(), site.Default(), "", os.Stderr)
	assert.NoError(t, err)
	assert.Nil(t, none)
}

// TestSignOffSender: the function the console's sign-off calls sends the
// case, and picks up what an earlier console left in the record
// directory's outboxes.
func TestSignOffSender(t *testing.T) {
	dir, casePath := exchangeEnv(t)
	// An outbox left pending by an earlier console.
	left := filepath.Join(dir, "left.case")
	b, _ := os.ReadFile(casesData + "example.case")
	require.NoError(t, os.WriteFile(left, b, 0o600))
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{})
	st, err := site.Load(writeSite(t, dir, fmt.Sprintf("[hl7]\naddress = %q\nsend_on_signoff = true\nretry_min = \"50ms\"\n", rx.Addr())))
	require.NoError(t, err)
	// Queued while the engine is down.
	code, _, errs := run("send", left, "--site-file", writeSite(t, t.TempDir(), "[hl7]\naddress = \"127.0.0.1:1\"\n"), "--wait", "0")
	require.Equal(t, 1, code, errs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := startSignOffSender(ctx, st, dir, os.Stderr)
	require.NoError(t, err)
	require.NotNil(t, svc)
	assert.True(t, svc.SignedOff(casePath))
	seen := map[string]bool{}
	for range 2 {
		e := rx.Next(30 * time.Second)
		seen[e.ControlID] = true
	}
	assert.Len(t, seen, 2)
	for _, p := range []string{left, casePath} {
		require.Eventually(t, func() bool {
			es, _ := hl7out.OutboxStatus(p)
			return len(es) == 1 && es[0].State == hl7out.Acknowledged
		}, 10*time.Second, 20*time.Millisecond, p)
	}
}

// TestExportFHIRCommand: the bundle validates; --identify is refused
// without the site setting.
func TestExportFHIRCommand(t *testing.T) {
	dir, casePath := exchangeEnv(t)
	out := filepath.Join(dir, "a.json")
	code, _, errs := run("export", casePath, "--format", "fhir", "--out", out)
	require.Equal(t, 0, code, errs)
	r := exchangetest.ValidateFHIR(t, out)[0]
	assert.Empty(t, r.Errors)
	b, _ := os.ReadFile(out)
	assert.NotContains(t, string(b), "H1234567")
	code, _, errs = run("export", casePath, "--format", "fhir", "--identify")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "identified sending is off")
}

func TestCasebookAndBenchmarkCommands(t *testing.T) {
	dir, casePath := exchangeEnv(t)
	f, _ := os.OpenFile(casePath, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=procedure text=\"Aortic arch replacement\",procedure=\"Aortic arch replacement\" %d\n", time.Date(2026, 3, 1, 8, 1, 0, 0, time.UTC).UnixNano())
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=team text=\"Team\",perfusionist=\"A. Perfusionist\",trainee=\"T. Trainee\" %d\n", time.Date(2026, 3, 1, 8, 1, 0, 0, time.UTC).UnixNano())
	f.Close()
	code, out, errs := run("casebook", dir, "--perfusionist", "T. Trainee")
	require.Equal(t, 0, code, errs)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "Aortic arch replacement", rows[1][3])
	assert.Equal(t, "supervised", rows[1][4])
	assert.Equal(t, "DHCA; haemofiltration", rows[1][9])
	code, _, _ = run("casebook", dir, "--perfusionist", "T. Trainee", "--from", "2026-03-02")
	assert.Equal(t, 0, code)
	pdf := filepath.Join(dir, "cb.pdf")
	code, _, errs = run("casebook", dir, "--perfusionist", "T. Trainee", "--out", pdf)
	require.Equal(t, 0, code, errs)
	b, _ := os.ReadFile(pdf)
	assert.True(t, strings.HasPrefix(string(b), "%PDF-"))

	code, out, errs = run("audit", dir, "--benchmark", "--format", "csv")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "Department,1,map_low")
	assert.NotContains(t, out, "A. Perfusionist")
	assert.Contains(t, out, "Perfusionist ")
	code, _, _ = run("audit", dir, "--benchmark", "--to", "2026-02-28")
	assert.Equal(t, 2, code, "no case in the period")

	code, out, errs = run("export", casePath, "--format", "registry-csv", "--registry", "scts")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "cpb_time_min")
}

// TestConsoleSignOffSends: end to end on the console's path. A session
// whose site file sends at sign-off records the team and the procedure
// (nothing is sent), then the perfusionist's signoff entry from the set-up
// screen (RecordEntries): node-hl7-server's MLLP listener receives the
// record as final (OBR-25 F), with who signed it, and the outbox beside the
// case file holds it acknowledged.
func TestConsoleSignOffSends(t *testing.T) {
	dir, _ := exchangeEnv(t)
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{})
	cfg, err := site.Parse([]byte(fmt.Sprintf("timezone = \"Europe/London\"\n[hl7]\naddress = %q\nsend_on_signoff = true\nretry_min = \"50ms\"\n", rx.Addr())), "site.toml")
	require.NoError(t, err)
	clk := clock.NewManual(builtinCaseStart)
	var logs syncBuffer
	s, err := newSession(sessionOptions{clk: clk, recordDir: dir, caseID: "C-sign", profile: alarms.DefaultProfile(), stderr: &logs, site: cfg})
	require.NoError(t, err)
	require.NoError(t, s.sealSources(nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.sender, err = startSignOffSender(ctx, cfg, dir, &logs)
	require.NoError(t, err)
	require.NotNil(t, s.sender)

	at := builtinCaseStart.Add(5 * time.Minute)
	clk.Set(at)
	mk := func(kind string, set func(*entry.Entry)) entry.Entry {
		e := entry.Entry{Kind: kind, Time: clk.Now().UnixNano()}
		set(&e)
		return e
	}
	// The patient's size, through the pipeline into the case file.
	s.onAction(ui.ApplySetup{Setup: ui.SetupView{HeightCm: 175, WeightKg: 80}, Time: clk.Now().UnixNano()})
	for i := range 3 {
		s.p.Step(at.Add(time.Duration(i+1) * time.Second))
	}
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{
		mk(entry.KindProcedure, func(e *entry.Entry) { e.SetStr("procedure", "CABG x3") }),
		mk(entry.KindTeam, func(e *entry.Entry) { e.SetStr("perfusionist", "A. Perfusionist") }),
	}})
	require.Empty(t, s.LastError())
	rx.Quiet(300 * time.Millisecond) // no sign-off, nothing sent

	clk.Set(at.Add(time.Hour))
	s.onAction(ui.RecordEntries{Entries: []entry.Entry{mk(entry.KindSignOff, func(e *entry.Entry) { e.SetStr("name", "A. Perfusionist") })}})
	require.Empty(t, s.LastError())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console log:\n%s", logs.String())
		}
	})
	e := rx.Next(30 * time.Second)
	require.Equal(t, "message", e.Event, logs.String())
	assert.Equal(t, "F", e.Segs("OBR")[0].Get(25, 1), "a signed record is final")
	assert.Equal(t, "ANON", e.Segs("PID")[0].Get(3, 5))
	var signed []string
	for _, o := range e.Segs("OBX") {
		if o.Get(3, 1) == "PSD-SIGNED-OFF-BY" {
			signed = append(signed, o.Get(5, 1), o.Get(14, 1))
		}
	}
	assert.Equal(t, []string{"A. Perfusionist", at.Add(time.Hour).UTC().Format("20060102150405") + "+0000"}, signed, "who signed, at UTC")
	require.Eventually(t, func() bool {
		es, _ := hl7out.OutboxStatus(s.rec.Path())
		return len(es) == 1 && es[0].State == hl7out.Acknowledged && es[0].Status == hl7out.Final
	}, 10*time.Second, 20*time.Millisecond, logs.String())
	require.NoError(t, s.rec.Close())
}

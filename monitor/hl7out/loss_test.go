package hl7out

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

// buildFile is what a console's wiring gives a Service: a case file's
// record, pseudonymous.
func buildFile(path string) (*exchange.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := report.Load(f, nil)
	if err != nil {
		return nil, err
	}
	priv := report.Privacy{Secret: []byte(testSecret)}
	s, err := report.Summarize(c, report.DefaultSettings(), priv)
	if err != nil {
		return nil, err
	}
	return exchange.Build(c, s, priv, exchange.Options{})
}

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *logLines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func writeCase(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pendingCount(t *testing.T, casePath string) int {
	t.Helper()
	es, err := OutboxStatus(casePath)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.State == Pending {
			n++
		}
	}
	return n
}

// TestEngineDownForTheWholeCase: the interface engine is down while two
// cases are signed off and one of them is corrected afterwards; the
// console's Service keeps trying with back-off; when the engine comes up,
// every record arrives exactly once, the correction after what it
// corrects.
func TestEngineDownForTheWholeCase(t *testing.T) {
	dir := t.TempDir()
	caseA := copyCase(t, knownCase, dir)
	caseB := writeCase(t, dir, "Q.case", reporttest.QualityCase())
	signOff(t, caseA, "C-2026-0301-R", time.Date(2026, 3, 1, 9, 2, 0, 0, time.UTC))
	signOff(t, caseB, "C-2026-0301-Q", reporttest.T0.Add(7200*time.Second))
	port := exchangetest.FreePort(t)
	var log logLines
	svc := NewService(&Client{Address: fmt.Sprintf("127.0.0.1:%d", port), AckTimeout: 5 * time.Second}, testConfig, buildFile, log.add)
	svc.RetryMin, svc.RetryMax = 20*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	svc.SignedOff(caseA)
	svc.SignedOff(caseB)
	waitFor(t, "both queued and several failed attempts", 90*time.Second, func() bool {
		return pendingCount(t, caseA) == 1 && pendingCount(t, caseB) == 1 && log.count("no acknowledgement") >= 4
	})
	// An edit of case A after its sign-off: a new version, a correction.
	f, err := os.OpenFile(caseA, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "event,case=C-2026-0301-R,kind=drug text=\"Protamine 290 mg\",name=\"protamine\",dose=290,unit=\"mg\",route=\"iv\" %d\n",
		time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC).UnixNano())
	f.Close()
	svc.SignedOff(caseA)
	waitFor(t, "the correction queued", 90*time.Second, func() bool { return pendingCount(t, caseA) == 2 })

	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Port: port})
	got := map[string]exchangetest.Event{}
	var order []string
	for range 3 {
		e := rx.Next(30 * time.Second)
		if e.Event != "message" {
			t.Fatalf("receiver: %+v", e)
		}
		if _, dup := got[e.ControlID]; dup {
			t.Errorf("control ID %s received twice", e.ControlID)
		}
		got[e.ControlID] = e
		order = append(order, e.ControlID)
	}
	waitFor(t, "all acknowledged", 90*time.Second, func() bool { return pendingCount(t, caseA)+pendingCount(t, caseB) == 0 })
	rx.Quiet(time.Second) // nothing more: no record twice

	esA, _ := OutboxStatus(caseA)
	esB, _ := OutboxStatus(caseB)
	if len(esA) != 2 || len(esB) != 1 {
		t.Fatalf("entries A %d B %d", len(esA), len(esB))
	}
	idx := func(id string) int {
		for i, o := range order {
			if o == id {
				return i
			}
		}
		return -1
	}
	if idx(esA[0].ControlID) < 0 || idx(esA[1].ControlID) < idx(esA[0].ControlID) || idx(esB[0].ControlID) < 0 {
		t.Errorf("order %v; A %s then %s; B %s", order, esA[0].ControlID, esA[1].ControlID, esB[0].ControlID)
	}
	status := func(e exchangetest.Event) string { return e.Segs("OBR")[0].Get(25, 1) }
	if status(got[esA[0].ControlID]) != "F" || status(got[esA[1].ControlID]) != "C" || status(got[esB[0].ControlID]) != "F" {
		t.Errorf("statuses A %s %s B %s", status(got[esA[0].ControlID]), status(got[esA[1].ControlID]), status(got[esB[0].ControlID]))
	}
	for _, s := range got[esA[1].ControlID].Segs("OBX") {
		if s.Get(11, 1) != "C" {
			t.Errorf("correction OBX %s status %s", s.Get(3, 1), s.Get(11, 1))
		}
	}
	// The correction carries the edit: protamine among the drugs.
	found := false
	for _, s := range got[esA[1].ControlID].Segs("OBX") {
		found = found || s.Get(3, 1) == "PSD-DRUG-NAME" && s.Get(5, 1) == "protamine"
	}
	if !found {
		t.Error("the correction lacks the protamine entry")
	}
	// Signing off again an unchanged case sends nothing.
	svc.SignedOff(caseB)
	waitFor(t, "the unchanged case seen as sent", 20*time.Second, func() bool { return log.count("already in the outbox") == 1 })
	rx.Quiet(300 * time.Millisecond)
}

// TestNAKThenAA: the engine answers AE, then AA: the message is shown and
// logged with the engine's text, sent once more (the same control ID), and
// done.
func TestNAKThenAA(t *testing.T) {
	dir := t.TempDir()
	casePath := copyCase(t, knownCase, dir)
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Answers: []string{"AE"}, AEText: "Patient not found in the master index"})
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rec, err := buildFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := QueueRecord(o, rec, testConfig, t0)
	if err != nil {
		t.Fatal(err)
	}
	var log logLines
	c := &Client{Address: rx.Addr()}
	defer c.Close()
	snd := &Sender{Outbox: o, Client: c, RetryMin: 10 * time.Millisecond, Log: log.add}
	if err := snd.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, second := rx.Next(10*time.Second), rx.Next(10*time.Second)
	if first.ControlID != e.ControlID || second.ControlID != e.ControlID || first.Answer != "AE" || second.Answer != "AA" {
		t.Fatalf("receiver saw %s/%s then %s/%s", first.ControlID, first.Answer, second.ControlID, second.Answer)
	}
	rx.Quiet(500 * time.Millisecond)
	if log.count("refused by the engine: AE: Patient not found in the master index") != 1 || log.count("acknowledged: AA") != 1 {
		t.Errorf("log:\n%s", log.String())
	}
	es := o.Entries()
	if len(es) != 1 || es[0].State != Acknowledged || es[0].NAKs != 1 || !strings.Contains(es[0].LastNAK, "Patient not found") {
		t.Errorf("entry %+v", es)
	}
	// Done: sending again sends nothing.
	if err := snd.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	rx.Quiet(300 * time.Millisecond)
}

// TestRefusedHeld: an engine that refuses a message every time gets it
// MaxNAKs times, then it is held in the outbox, still pending.
func TestRefusedHeld(t *testing.T) {
	casePath := copyCase(t, knownCase, t.TempDir())
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Answers: []string{"AR", "AR", "AR"}, AEText: "Unsupported processing ID"})
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rec, err := buildFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := QueueRecord(o, rec, testConfig, t0); err != nil {
		t.Fatal(err)
	}
	c := &Client{Address: rx.Addr()}
	defer c.Close()
	snd := &Sender{Outbox: o, Client: c, RetryMin: 10 * time.Millisecond, MaxNAKs: 2}
	err = snd.Run(t.Context())
	var held *HeldError
	if !errors.As(err, &held) || !strings.Contains(err.Error(), "AR: Unsupported processing ID") {
		t.Fatalf("run: %v", err)
	}
	rx.Next(5 * time.Second)
	rx.Next(5 * time.Second)
	rx.Quiet(300 * time.Millisecond)
	if p := o.Pending(); len(p) != 1 || p[0].NAKs != 2 {
		t.Fatalf("pending %+v", p)
	}
}

// TestNoAnswerIsRetried: an engine that takes the message and never
// answers is a timeout, and the message goes again on a new connection.
func TestNoAnswerIsRetried(t *testing.T) {
	casePath := copyCase(t, knownCase, t.TempDir())
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Answers: []string{"none", "close"}})
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rec, err := buildFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := QueueRecord(o, rec, testConfig, t0)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Address: rx.Addr(), AckTimeout: 300 * time.Millisecond}
	defer c.Close()
	var log logLines
	snd := &Sender{Outbox: o, Client: c, RetryMin: 10 * time.Millisecond, Log: log.add}
	if err := snd.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"none", "close", "AA"} {
		if ev := rx.Next(5 * time.Second); ev.ControlID != e.ControlID || ev.Answer != want {
			t.Fatalf("receiver %+v, want answer %s", ev, want)
		}
	}
	if log.count("i/o timeout") != 1 || log.count("no acknowledgement") != 2 {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestCancelWhileWaiting: a sender waiting for an ACK that never comes
// stops as soon as its context ends (a console closing), not after the
// ACK timeout; the message stays pending.
func TestCancelWhileWaiting(t *testing.T) {
	casePath := copyCase(t, knownCase, t.TempDir())
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Answers: []string{"none"}})
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rec, err := buildFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := QueueRecord(o, rec, testConfig, t0); err != nil {
		t.Fatal(err)
	}
	c := &Client{Address: rx.Addr(), AckTimeout: time.Minute}
	defer c.Close()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(2*time.Second, cancel)
	start := time.Now()
	err = (&Sender{Outbox: o, Client: c}).Run(ctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
		t.Fatalf("run: %v after %v", err, time.Since(start))
	}
	if e := rx.Next(time.Second); e.Event != "message" || e.Answer != "none" {
		t.Fatalf("the engine got %+v", e)
	}
	if len(o.Pending()) != 1 {
		t.Fatal("the message is no longer pending")
	}
}

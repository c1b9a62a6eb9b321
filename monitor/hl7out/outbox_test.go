package hl7out

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func fakeBuild(body string) func(Header) ([]byte, error) {
	return func(h Header) ([]byte, error) {
		return []byte("MSH|^~\\&|PUMPSIDE||||" + dtm(h.Time) + "||ORU^R01^ORU_R01|" + h.ControlID + "|P|2.5.1\rOBR|1||||||||||||||||||||||||" + string(h.Status) + "\r" + body + "\r"), nil
	}
}

func TestOutboxQueueOnceAndCorrect(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "C.case")
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	e1, added, err := o.Queue("P-1", "v1", true, t0, fakeBuild("OBX|1"))
	if err != nil || !added || e1.Status != Final || e1.Seq != 1 {
		t.Fatalf("first: %+v %v %v", e1, added, err)
	}
	// The same version again: not added, same entry.
	again, added, err := o.Queue("P-1", "v1", true, t0.Add(time.Hour), fakeBuild("OBX|1"))
	if err != nil || added || again.ControlID != e1.ControlID {
		t.Fatalf("again: %+v %v %v", again, added, err)
	}
	if err := o.Acked(1, Ack{Code: "AA"}, t0); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: still never queued again.
	if _, added, _ := o.Queue("P-1", "v1", true, t0, fakeBuild("OBX|1")); added {
		t.Fatal("an acknowledged version was queued again")
	}
	// An edit: a new version, a correction with a new control ID.
	e2, added, err := o.Queue("P-1", "v2", true, t0, fakeBuild("OBX|2"))
	if err != nil || !added || e2.Status != Corrected || e2.ControlID == e1.ControlID || e2.Seq != 2 {
		t.Fatalf("correction: %+v %v %v", e2, added, err)
	}
	msg, err := o.Message(e2)
	if err != nil || !bytes.Contains(msg, []byte("|"+e2.ControlID+"|")) || !bytes.Contains(msg, []byte("|C\r")) {
		t.Fatalf("correction message %q %v", msg, err)
	}
	if p := o.Pending(); len(p) != 1 || p[0].Seq != 2 {
		t.Fatalf("pending %+v", p)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened: the same state from the journal.
	o, err = OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	es := o.Entries()
	if len(es) != 2 || es[0].State != Acknowledged || es[1].State != Pending || es[1].Status != Corrected || len(o.Repaired) != 0 {
		t.Fatalf("reopened %+v %v", es, o.Repaired)
	}
	if st, _ := os.Stat(o.Dir()); st.Mode().Perm() != 0o700 {
		t.Errorf("outbox mode %v", st.Mode().Perm())
	}
	if ControlID("P-1", "v1") != e1.ControlID || len(e1.ControlID) != 20 || !validControlID(e1.ControlID) {
		t.Errorf("control ID %q", e1.ControlID)
	}
}

func TestOutboxBusy(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "C.case")
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenOutbox(casePath); !errors.Is(err, ErrBusy) {
		t.Fatalf("second open: %v", err)
	}
	o.Close()
	o2, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	o2.Close()
}

// TestOutboxRepair: a crash while appending leaves a torn journal line; a
// crash between writing a message and queueing it leaves an orphan file.
// Both are mended at open; nothing queued is lost.
func TestOutboxRepair(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "C.case")
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Queue("P-1", "v1", true, t0, fakeBuild("OBX|1")); err != nil {
		t.Fatal(err)
	}
	o.Close()
	dir := OutboxDir(casePath)
	j, _ := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
	j.WriteString(`{"op":"acked","seq":1,"at":"2026-03-01T10:0`)
	j.Close()
	os.WriteFile(filepath.Join(dir, "000002-PSDORPHAN.hl7"), []byte("MSH|"), 0o600)
	o, err = OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Repaired) != 2 || !strings.Contains(o.Repaired[0], "torn") {
		t.Errorf("repaired %v", o.Repaired)
	}
	if p := o.Pending(); len(p) != 1 {
		t.Fatalf("the torn ack must not count: pending %+v", p)
	}
	if _, err := os.Stat(filepath.Join(dir, "000002-PSDORPHAN.hl7")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan kept: %v", err)
	}
	// Appending works after the cut: the next line is whole.
	if err := o.Acked(1, Ack{Code: "AA"}, t0); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o, err = OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if len(o.Pending()) != 0 || len(o.Repaired) != 0 {
		t.Errorf("after repair: %+v %v", o.Entries(), o.Repaired)
	}
	st, err := OutboxStatus(casePath)
	if err != nil || len(st) != 1 || st[0].State != Acknowledged {
		t.Errorf("status %+v %v", st, err)
	}
}

// TestOutboxCorruptJournal: a bad line inside the journal is an error,
// not silently skipped (it might be an acknowledgement).
func TestOutboxCorruptJournal(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "C.case")
	dir := OutboxDir(casePath)
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, journalName), []byte("not json\n{}\n"), 0o600)
	if _, err := OpenOutbox(casePath); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("corrupt journal: %v", err)
	}
}

// TestOutboxPreliminaryUntilSignedOff: a record not signed off goes as
// preliminary, however often; the first signed version is final (a
// preliminary one before it is not replaced by a correction but completed),
// and a signed version after it a correction. The journal keeps P.
func TestOutboxPreliminaryUntilSignedOff(t *testing.T) {
	casePath := filepath.Join(t.TempDir(), "C.case")
	o, err := OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		version string
		signed  bool
		want    Status
	}{{"v1", false, Preliminary}, {"v2", false, Preliminary}, {"v3", true, Final}, {"v4", false, Preliminary}, {"v5", true, Corrected}} {
		e, added, err := o.Queue("P-1", step.version, step.signed, t0.Add(time.Duration(i)*time.Minute), fakeBuild("OBX|"+step.version))
		if err != nil || !added || e.Status != step.want {
			t.Fatalf("%s signed %v: %+v %v %v, want %c", step.version, step.signed, e, added, err, step.want)
		}
		msg, _ := o.Message(e)
		if !strings.Contains(string(msg), "|"+string(step.want)+"\r") {
			t.Errorf("%s: OBR-25 of %q", step.version, msg)
		}
	}
	o.Close()
	es, err := OutboxStatus(casePath)
	if err != nil || len(es) != 5 || es[0].Status != Preliminary || es[2].Status != Final || es[4].Status != Corrected {
		t.Fatalf("journal: %+v %v", es, err)
	}
	o, err = OpenOutbox(casePath)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if n := len(o.Pending()); n != 5 {
		t.Errorf("reopened: %d pending", n)
	}
}

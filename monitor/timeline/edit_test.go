package timeline

import (
	"errors"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// Moving on-bypass 5 min later shortens the bypass time by 5 min; voiding
// the clamp-on removes the clamp time; the IDs stay and the history keeps
// the originals.
func TestEditAndVoid(t *testing.T) {
	tl := archCase(t)
	before := tl.At(at(200 * time.Minute))
	onID := at(20 * time.Minute)
	e, err := tl.Edit(onID, Change{At: at(160 * time.Minute), Who: "jd", Time: at(25 * time.Minute), Text: ptr("on bypass (corrected)")})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != onID || e.Time != at(25*time.Minute) || !e.Edited {
		t.Errorf("edited %+v", e)
	}
	s := tl.At(at(200 * time.Minute))
	if s.Bypass != before.Bypass-5*time.Minute || s.BypassStart != at(25*time.Minute) {
		t.Errorf("bypass %v start %v, want %v", s.Bypass, s.BypassStart, before.Bypass-5*time.Minute)
	}
	if got := tl.At(at(22 * time.Minute)).Phase; got != PreBypass {
		t.Errorf("at 22 min: %v, want pre-bypass", got)
	}
	if _, err := tl.Void(at(30*time.Minute), at(161*time.Minute), "jd"); err != nil {
		t.Fatal(err)
	}
	s = tl.At(at(200 * time.Minute))
	if s.Clamp != 0 || s.CrossClamp {
		t.Errorf("clamp %v after the clamp-on was voided", s.Clamp)
	}
	// Restoring it brings the clamp time back.
	if _, err := tl.Edit(at(30*time.Minute), Change{At: at(162 * time.Minute), Void: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if s := tl.At(at(200 * time.Minute)); s.Clamp != before.Clamp {
		t.Errorf("clamp %v after restore, want %v", s.Clamp, before.Clamp)
	}
	orig, changes, ok := tl.History(onID)
	if !ok || orig.Time != onID || orig.Edited || len(changes) != 1 || changes[0].Who != "jd" {
		t.Errorf("history %+v %+v %v", orig, changes, ok)
	}
	if _, _, ok := tl.History(at(150 * time.Minute)); ok {
		t.Error("an unedited event has no history")
	}
	evs := tl.Events(nil)
	for i := 1; i < len(evs); i++ {
		if evs[i].Time < evs[i-1].Time {
			t.Fatalf("events out of order at %d after an edit", i)
		}
	}
	if got, ok := tl.Lookup(onID); !ok || got.Text != "on bypass (corrected)" {
		t.Errorf("lookup %+v", got)
	}
}

func TestEditErrors(t *testing.T) {
	tl := New(4)
	for range 2 {
		if err := tl.Add(Event{Time: at(0), Kind: "note"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tl.Edit(at(0), Change{Text: ptr("x")}); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("got %v, want ErrAmbiguous", err)
	}
	if _, err := tl.Edit(at(time.Hour), Change{Text: ptr("x")}); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	e, err := tl.AddUnique(Event{Time: at(0), Kind: "note"})
	if err != nil || e.Time != at(0)+1 || e.ID != e.Time {
		t.Fatalf("AddUnique: %+v %v", e, err)
	}
	if _, err := tl.Edit(e.ID, Change{Time: -1}); err == nil {
		t.Error("a negative time must be refused")
	}
	if _, err := tl.Edit(e.ID, Change{Text: ptr("y")}); err != nil {
		t.Fatal(err)
	}
	// Three events and one edit fill a timeline of four.
	if _, err := tl.Edit(e.ID, Change{Text: ptr("z")}); !errors.Is(err, ErrFull) {
		t.Errorf("got %v, want ErrFull", err)
	}
	if err := tl.Add(Event{Time: at(time.Hour), Kind: "note"}); !errors.Is(err, ErrFull) {
		t.Errorf("got %v, want ErrFull", err)
	}
}

// Edits, reads and adds from several goroutines (run with -race).
func TestConcurrentEdits(t *testing.T) {
	tl := New(0)
	var ids []int64
	for i := range 100 {
		e, err := tl.AddUnique(Event{Time: at(time.Duration(i) * time.Minute), Kind: KindCardioplegia})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, id := range ids {
			if _, err := tl.Edit(id, Change{Time: id + int64(time.Second), Text: ptr("moved")}); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 100 {
		_ = tl.At(at(time.Hour))
		_ = tl.Events(nil)
		_, _, _ = tl.History(ids[50])
	}
	<-done
	for _, e := range tl.Events(nil) {
		if !e.Edited || e.Time != e.ID+int64(time.Second) {
			t.Fatalf("%+v", e)
		}
	}
}

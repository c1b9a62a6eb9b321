package timeline

import (
	"errors"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixNano() }

// An aortic arch case: bypass at 20 min, clamp at 30, arrest 60–85, clamp
// off at 120, off bypass at 150, with cardioplegia and ACTs; events added
// out of order, as an operator correcting the record would.
func archCase(t *testing.T) *Timeline {
	tl := New(0)
	for _, e := range []Event{
		{Time: at(150 * time.Minute), Kind: KindOffBypass, Text: ""},
		{Time: at(20 * time.Minute), Kind: KindOnBypass, Text: ""},
		{Time: at(5 * time.Minute), Kind: KindACT, Text: "ACT 480 s"},
		{Time: at(30 * time.Minute), Kind: KindClampOn, Text: ""},
		{Time: at(31 * time.Minute), Kind: KindCardioplegia, Text: "1000 mL"},
		{Time: at(60 * time.Minute), Kind: KindArrestStart, Text: ""},
		{Time: at(85 * time.Minute), Kind: KindArrestEnd, Text: ""},
		{Time: at(90 * time.Minute), Kind: KindCardioplegia, Text: "300 mL"},
		{Time: at(95 * time.Minute), Kind: KindACT, Text: "ACT 520 s"},
		{Time: at(120 * time.Minute), Kind: KindClampOff, Text: ""},
		{Time: at(100 * time.Minute), Kind: "note", Text: "re-dose due 110"},
	} {
		if err := tl.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return tl
}

func TestPhasesAndTimes(t *testing.T) {
	tl := archCase(t)
	for _, c := range []struct {
		at                    time.Duration
		phase                 Phase
		clamp                 bool
		bypass, cross, arrest time.Duration
		lastCP, lastACT       time.Duration // 0: none
	}{
		{0, Unknown, false, 0, 0, 0, 0, 0},
		{10 * time.Minute, PreBypass, false, 0, 0, 0, 0, 5 * time.Minute},
		{20 * time.Minute, Bypass, false, 0, 0, 0, 0, 5 * time.Minute},
		{45 * time.Minute, Bypass, true, 25 * time.Minute, 15 * time.Minute, 0, 31 * time.Minute, 5 * time.Minute},
		{70 * time.Minute, Arrest, true, 50 * time.Minute, 40 * time.Minute, 10 * time.Minute, 31 * time.Minute, 5 * time.Minute},
		{100 * time.Minute, Bypass, true, 80 * time.Minute, 70 * time.Minute, 25 * time.Minute, 90 * time.Minute, 95 * time.Minute},
		{200 * time.Minute, OffBypass, false, 130 * time.Minute, 90 * time.Minute, 25 * time.Minute, 90 * time.Minute, 95 * time.Minute},
	} {
		s := tl.At(at(c.at))
		if s.Phase != c.phase || s.CrossClamp != c.clamp || s.Bypass != c.bypass || s.Clamp != c.cross || s.Arrest != c.arrest {
			t.Errorf("at %v: got phase %v clamp %v bypass %v clamp %v arrest %v; want %v %v %v %v %v",
				c.at, s.Phase, s.CrossClamp, s.Bypass, s.Clamp, s.Arrest, c.phase, c.clamp, c.bypass, c.cross, c.arrest)
		}
		wantCP, wantACT := int64(0), int64(0)
		if c.lastCP != 0 {
			wantCP = at(c.lastCP)
		}
		if c.lastACT != 0 {
			wantACT = at(c.lastACT)
		}
		if s.LastCardioplegia != wantCP || s.LastACT != wantACT {
			t.Errorf("at %v: last cardioplegia %v ACT %v, want %v %v", c.at, s.LastCardioplegia, s.LastACT, wantCP, wantACT)
		}
	}
	evs := tl.Events(nil)
	for i := 1; i < len(evs); i++ {
		if evs[i].Time < evs[i-1].Time {
			t.Fatalf("events out of order at %d", i)
		}
	}
}

// A second run on bypass adds to the bypass time; an off-bypass during an
// arrest ends the arrest.
func TestReturnToBypass(t *testing.T) {
	tl := New(0)
	for _, e := range []Event{
		{Time: at(0), Kind: KindOnBypass, Text: ""}, {Time: at(60 * time.Minute), Kind: KindOffBypass, Text: ""},
		{Time: at(70 * time.Minute), Kind: KindOnBypass, Text: ""}, {Time: at(80 * time.Minute), Kind: KindArrestStart, Text: ""},
		{Time: at(90 * time.Minute), Kind: KindOffBypass, Text: ""},
	} {
		if err := tl.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	s := tl.At(at(100 * time.Minute))
	if s.Phase != OffBypass || s.Bypass != 80*time.Minute || s.Arrest != 10*time.Minute || s.BypassStart != at(70*time.Minute) {
		t.Errorf("got %+v", s)
	}
}

func TestBoundedAndValidated(t *testing.T) {
	tl := New(3)
	if err := tl.Add(Event{Kind: KindOnBypass}); err == nil {
		t.Error("an event without a time must be refused")
	}
	if err := tl.Add(Event{Time: at(0)}); err == nil {
		t.Error("an event without a kind must be refused")
	}
	for i := range 3 {
		if err := tl.Add(Event{Time: at(time.Duration(i) * time.Minute), Kind: "note"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tl.Add(Event{Time: at(time.Hour), Kind: "note"}); !errors.Is(err, ErrFull) {
		t.Errorf("got %v, want ErrFull", err)
	}
	if tl.Len() != 3 {
		t.Errorf("len %d", tl.Len())
	}
}

func TestConcurrent(t *testing.T) {
	tl := New(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				_ = tl.Add(Event{Time: at(time.Duration(g*1000+i) * time.Second), Kind: KindCardioplegia})
				_ = tl.At(at(time.Hour))
			}
		})
	}
	wg.Wait()
	if tl.Len() != 800 {
		t.Errorf("len %d", tl.Len())
	}
}

package timeline

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// The phases of an aortic arch case: on bypass, clamp, circulatory arrest
// with antegrade cerebral perfusion started later, back to full flow,
// weaning, off; the statistics' "on bypass" is the full-flow spans only.
func TestPhasesOfAnArchCase(t *testing.T) {
	min := func(m int) int64 { return int64(m) * 60e9 }
	tl := New(0)
	for _, e := range []Event{
		{Time: min(1), Kind: KindDrug, Tag: "heparin"},
		{Time: min(10), Kind: KindOnBypass},
		{Time: min(20), Kind: KindClampOn},
		{Time: min(21), Kind: KindCardioplegia, Tag: "del nido"},
		{Time: min(60), Kind: KindArrestStart, Tag: "none"},
		{Time: min(70), Kind: KindACPStart},
		{Time: min(100), Kind: KindACPEnd},
		{Time: min(101), Kind: KindArrestEnd},
		{Time: min(140), Kind: KindClampOff},
		{Time: min(160), Kind: KindWeaning},
		{Time: min(165), Kind: KindFullFlow},
		{Time: min(170), Kind: KindWeaning},
		{Time: min(180), Kind: KindOffBypass},
	} {
		require.NoError(t, tl.Add(e))
	}
	for _, c := range []struct {
		at    int
		phase Phase
		since int
	}{{0, Unknown, 0}, {5, PreBypass, 1}, {15, Bypass, 10}, {65, Arrest, 60}, {80, ACP, 70}, {100, Arrest, 100},
		{120, Bypass, 101}, {162, Weaning, 160}, {166, Bypass, 165}, {175, Weaning, 170}, {190, OffBypass, 180}} {
		st := tl.At(min(c.at))
		assert.Equal(t, c.phase, st.Phase, "at %d min", c.at)
		if c.phase != Unknown {
			assert.Equal(t, min(c.since), st.PhaseSince, "at %d min", c.at)
		}
	}
	st := tl.At(min(200))
	assert.Equal(t, 170*time.Minute, st.Bypass, "on the pump from 10 to 180")
	assert.Equal(t, 41*time.Minute, st.Arrest, "arrest 60–101, ACP included")
	assert.Equal(t, 30*time.Minute, st.InPhase[ACP])
	assert.Equal(t, 11*time.Minute, st.InPhase[Arrest])
	assert.Equal(t, 15*time.Minute, st.InPhase[Weaning])
	assert.Equal(t, (50+59+5)*time.Minute, st.InPhase[Bypass], "full flow: 10–60, 101–160, 165–170")
	assert.Equal(t, min(1), st.Heparin)
	assert.Equal(t, "del nido", st.CardioplegiaSolution)
	assert.Equal(t, []Span{{min(10), min(60)}, {min(101), min(160)}, {min(165), min(170)}}, tl.Spans(Bypass, min(200)))
	assert.Equal(t, []Span{{min(70), min(100)}}, tl.Spans(ACP, min(200)))
	assert.Equal(t, []Span{{min(10), min(60)}}, tl.Spans(Bypass, min(60)), "cut at end")
	assert.Equal(t, "Antegrade cerebral perfusion", ACP.Label())
}

// An arrest entered with antegrade cerebral perfusion is ACP from its
// start; weaning before bypass means nothing.
func TestArrestWithCerebralPerfusion(t *testing.T) {
	tl := New(0)
	require.NoError(t, tl.Add(Event{Time: 5, Kind: KindWeaning}))
	require.NoError(t, tl.Add(Event{Time: 10, Kind: KindOnBypass}))
	assert.Equal(t, Bypass, tl.At(11).Phase)
	require.NoError(t, tl.Add(Event{Time: 20, Kind: KindArrestStart, Tag: "antegrade"}))
	assert.Equal(t, ACP, tl.At(21).Phase)
	require.NoError(t, tl.Add(Event{Time: 30, Kind: KindOffBypass}))
	assert.Equal(t, OffBypass, tl.At(31).Phase, "off bypass ends the arrest and its perfusion")
	assert.Equal(t, "antegrade", Qualifier(KindArrestStart, func(k string) string {
		return map[string]string{"cerebral_perfusion": " Antegrade "}[k]
	}))
	assert.Equal(t, "", Qualifier("note", func(string) string { return "x" }))
}

func TestWeaningDetector(t *testing.T) {
	var d WeaningDetector
	sec := int64(time.Second)
	// Cold: a low flow is no weaning (a low-flow period while cooled).
	for i := int64(0); i < 120; i++ {
		require.False(t, d.Observe(i*sec, Bypass, 1.0, 2.0, 30, true))
	}
	// Rewarmed, flow index 1.0 against a target of 2.4 (below 60 %):
	// inferred after 60 s, not before.
	for i := int64(200); i < 260; i++ {
		require.False(t, d.Observe(i*sec, Bypass, 1.0, 2.4, 36.2, true), "second %d", i)
	}
	assert.True(t, d.Observe(260*sec, Bypass, 1.0, 2.4, 36.2, true))
	// A blip back to full flow restarts the count; an invalid input too.
	assert.False(t, d.Observe(261*sec, Bypass, 2.4, 2.4, 36.2, true))
	assert.False(t, d.Observe(262*sec, Bypass, 1.0, 2.4, 36.2, true))
	assert.False(t, d.Observe(330*sec, Bypass, 1.0, 2.4, 36.2, false))
	// Never outside full bypass.
	assert.False(t, d.Observe(400*sec, Weaning, 1.0, 2.4, 36.2, true))
	assert.False(t, d.Observe(500*sec, OffBypass, 0, 2.4, 36.2, true))
}

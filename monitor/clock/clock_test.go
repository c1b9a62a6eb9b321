package clock

import (
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func TestWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c Clock = Wall{}
		a := c.Now()
		time.Sleep(3 * time.Second)
		if got := c.Now().Sub(a); got != 3*time.Second {
			t.Fatalf("after a 3 s sleep the wall clock moved %v", got)
		}
	})
}

func TestManual(t *testing.T) {
	m := NewManual(t0)
	if !m.Now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", m.Now(), t0)
	}
	if got := m.Advance(90 * time.Second); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Advance returned %v", got)
	}
	if got := m.Advance(-30 * time.Second); !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Advance(-30s) returned %v", got)
	}
	m.Set(t0)
	if !m.Now().Equal(t0) {
		t.Fatalf("after Set, Now = %v", m.Now())
	}
	var zero Manual
	if !zero.Now().IsZero() {
		t.Fatalf("zero Manual reads %v", zero.Now())
	}
}

func TestScaledFollowsBase(t *testing.T) {
	base := NewManual(t0)
	start := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	s, err := NewScaled(base, start, 10)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		do    func()
		after time.Duration // base time to advance after do
		want  time.Duration // case time since start
	}{
		{"runs at 10x", func() {}, time.Second, 10 * time.Second},
		{"pause stops", s.Pause, 5 * time.Second, 10 * time.Second},
		{"pause is idempotent", s.Pause, time.Second, 10 * time.Second},
		{"resume continues", s.Resume, time.Second, 20 * time.Second},
		{"speed change does not jump", func() { mustSpeed(t, s, 0.5) }, 4 * time.Second, 22 * time.Second},
		{"seek keeps speed", func() { s.Seek(start.Add(time.Hour)) }, 2 * time.Second, time.Hour + time.Second},
		{"seek while paused stays paused", func() { s.Pause(); s.Seek(start.Add(2 * time.Hour)) }, time.Minute, 2 * time.Hour},
	}
	for _, st := range steps {
		st.do()
		base.Advance(st.after)
		if got := s.Now().Sub(start); got != st.want {
			t.Fatalf("%s: case time %v after start, want %v", st.name, got, st.want)
		}
	}
	if !s.Paused() || s.Speed() != 0.5 {
		t.Fatalf("Paused=%v Speed=%v, want true 0.5", s.Paused(), s.Speed())
	}
}

func mustSpeed(t *testing.T, s *Scaled, v float64) {
	t.Helper()
	if err := s.SetSpeed(v); err != nil {
		t.Fatal(err)
	}
}

func TestScaledWallInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := NewScaled(nil, t0, 100)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(36 * time.Second)
		if got := s.Now().Sub(t0); got != time.Hour {
			t.Fatalf("36 s at 100x gave %v of case time, want 1h", got)
		}
	})
}

func TestScaledBadSpeed(t *testing.T) {
	for _, v := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := NewScaled(nil, t0, v); !errors.Is(err, ErrSpeed) {
			t.Errorf("NewScaled(speed %v) error = %v, want ErrSpeed", v, err)
		}
	}
	s, _ := NewScaled(nil, t0, 1)
	if err := s.SetSpeed(0); !errors.Is(err, ErrSpeed) || s.Speed() != 1 {
		t.Fatalf("SetSpeed(0) = %v, speed now %v", err, s.Speed())
	}
}

// TestConcurrent lets the race detector watch readers and writers together.
func TestConcurrent(t *testing.T) {
	base := NewManual(t0)
	s, _ := NewScaled(base, t0, 2)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := s.Now()
			for {
				select {
				case <-stop:
					return
				default:
				}
				now := s.Now()
				_ = now.Sub(prev)
				prev = now
			}
		}()
	}
	for i := range 1000 {
		base.Advance(time.Millisecond)
		switch i % 4 {
		case 0:
			s.Pause()
		case 1:
			s.Resume()
		case 2:
			_ = s.SetSpeed(float64(i%7 + 1))
		case 3:
			s.Seek(t0)
		}
	}
	close(stop)
	wg.Wait()
}

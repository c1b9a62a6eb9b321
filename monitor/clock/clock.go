package clock

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells the case time. Implementations must be safe for concurrent
// use and cheap enough to call once per publish.
type Clock interface {
	Now() time.Time
}

// Wall is the system clock: case time is real time.
type Wall struct{}

// Now returns time.Now().
func (Wall) Now() time.Time { return time.Now() }

var (
	_ Clock = Wall{}
	_ Clock = (*Scaled)(nil)
	_ Clock = (*Manual)(nil)
)

// Manual is a clock that moves only when Set or Advance is called: the clock
// of tests and of headless tools that step through a case. The zero value
// reads the zero time.Time; use NewManual to start elsewhere.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a Manual clock reading t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the time last set.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t, forwards or backwards.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

// Advance moves the clock by d (which may be negative) and returns the new
// time.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	return m.now
}

// ErrSpeed is returned for a speed that is not a finite positive number.
var ErrSpeed = errors.New("clock: speed must be a finite number > 0")

// Scaled is the clock of replay: case time starts at a given instant and runs
// at speed × the pace of a base clock (normally Wall). It can be paused,
// resumed, sped up or slowed down, and moved (Seek) while running.
//
// Reads are lock-free (one atomic load); changes are serialised by a mutex,
// as they come from a person at a replay control, not from the hot path.
type Scaled struct {
	base  Clock
	mu    sync.Mutex // serialises writers
	state atomic.Pointer[scaledState]
}

// scaledState is immutable once stored: case time = caseAt + (base.Now() −
// baseAt) × speed, or caseAt while paused.
type scaledState struct {
	baseAt time.Time
	caseAt time.Time
	speed  float64
	paused bool
}

// NewScaled returns a running clock that reads start now and advances at
// speed × real time (speed 10: ten case seconds per second). A nil base means
// Wall.
func NewScaled(base Clock, start time.Time, speed float64) (*Scaled, error) {
	if !validSpeed(speed) {
		return nil, ErrSpeed
	}
	if base == nil {
		base = Wall{}
	}
	s := &Scaled{base: base}
	s.state.Store(&scaledState{baseAt: base.Now(), caseAt: start, speed: speed})
	return s, nil
}

func validSpeed(v float64) bool { return v > 0 && !math.IsInf(v, 0) } // false for NaN

// Now returns the case time.
func (s *Scaled) Now() time.Time { return s.state.Load().at(s.base.Now()) }

func (st *scaledState) at(base time.Time) time.Time {
	if st.paused {
		return st.caseAt
	}
	elapsed := base.Sub(st.baseAt)
	if st.speed != 1 {
		elapsed = time.Duration(float64(elapsed) * st.speed)
	}
	return st.caseAt.Add(elapsed)
}

// update re-anchors the clock at the current instant and applies change.
func (s *Scaled) update(change func(*scaledState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.base.Now()
	old := s.state.Load()
	next := &scaledState{baseAt: now, caseAt: old.at(now), speed: old.speed, paused: old.paused}
	change(next)
	s.state.Store(next)
}

// Pause stops case time. Pausing a paused clock does nothing.
func (s *Scaled) Pause() { s.update(func(st *scaledState) { st.paused = true }) }

// Resume restarts case time from where it was paused.
func (s *Scaled) Resume() { s.update(func(st *scaledState) { st.paused = false }) }

// Paused reports whether case time is stopped.
func (s *Scaled) Paused() bool { return s.state.Load().paused }

// Speed returns the current speed factor.
func (s *Scaled) Speed() float64 { return s.state.Load().speed }

// SetSpeed changes the speed from now on; case time does not jump.
func (s *Scaled) SetSpeed(speed float64) error {
	if !validSpeed(speed) {
		return ErrSpeed
	}
	s.update(func(st *scaledState) { st.speed = speed })
	return nil
}

// Seek moves case time to t, keeping the speed and the paused state.
func (s *Scaled) Seek(t time.Time) { s.update(func(st *scaledState) { st.caseAt = t }) }

package soundtest

import (
	"sync"

	"github.com/pumpside/pumpside/alarms/sound"
)

// Recorder is a sound.Output that remembers what it was asked to play.
// Safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	plays   [][]float32
	stops   int
	Failure error // returned by Err and Play when set
}

var _ sound.Output = (*Recorder)(nil)

// Play implements sound.Output.
func (r *Recorder) Play(samples []float32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Failure != nil {
		return r.Failure
	}
	r.plays = append(r.plays, samples)
	return nil
}

// Stop implements sound.Output.
func (r *Recorder) Stop() {
	r.mu.Lock()
	r.stops++
	r.mu.Unlock()
}

// Err implements sound.Output.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Failure
}

// Plays returns what was played, in order.
func (r *Recorder) Plays() [][]float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]float32(nil), r.plays...)
}

// Stops returns how many times Stop was called.
func (r *Recorder) Stops() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stops
}

package sound

import (
	"time"

	"github.com/pumpside/pumpside/alarms"
)

// Output plays rendered bursts. Implementations: package speaker (the sound
// card) and soundtest.Recorder.
type Output interface {
	// Play starts playing samples (mono float32 at the output's rate),
	// replacing whatever is playing, and returns at once.
	Play(samples []float32) error
	// Stop silences the output at once.
	Stop()
	// Err reports an asynchronous failure of the device, nil while
	// healthy. The console turns a failure into audio_unavailable.
	Err() error
}

// Sequencer decides when a burst starts, from the engine's Audible priority:
// at once when the priority changes, then every repetition interval of the
// profile (Profile.Repeat; 0 plays the burst once). It is a pure value: no
// clock, no goroutine; call Next on every evaluation and at least every
// 100 ms while something is audible.
type Sequencer struct {
	repeat  [alarms.High + 1]time.Duration
	playing alarms.Priority
	next    int64
}

// NewSequencer returns a sequencer with the profile's repetition intervals.
func NewSequencer(repeat [alarms.High + 1]time.Duration) *Sequencer {
	return &Sequencer{repeat: repeat}
}

// Next returns the priority whose burst must start now (NoPriority: none),
// and stop=true when the output must fall silent because nothing is
// audible any more.
func (s *Sequencer) Next(now time.Time, audible alarms.Priority) (start alarms.Priority, stop bool) {
	t := now.UnixNano()
	switch {
	case audible == alarms.NoPriority || audible > alarms.High:
		stop = s.playing != alarms.NoPriority
		s.playing = alarms.NoPriority
		return alarms.NoPriority, stop
	case audible != s.playing:
		s.playing = audible
		s.next = t + int64(s.repeat[audible])
		return audible, false
	case s.repeat[audible] > 0 && t >= s.next:
		s.next += int64(s.repeat[audible])
		if s.next <= t { // called late: do not burst to catch up
			s.next = t + int64(s.repeat[audible])
		}
		return audible, false
	}
	return alarms.NoPriority, false
}

// Package sound makes the alarm system's auditory signals: the IEC
// 60601-1-8 burst patterns (HIGH 10 pulses as 5 + 5, MEDIUM 3, LOW 2),
// synthesised in Go from a fundamental and its harmonics with shaped rise
// and fall, written as WAV files, and scheduled by a Sequencer that decides
// when a burst starts from the engine's Audible priority.
//
// The package is pure Go with no clock, goroutines or device access, so it
// builds without cgo and is tested by analysing the samples it renders
// (package soundtest). Playing through the sound card is package speaker
// (ALSA via oto); what it plays is behind the small Output interface
// defined here.
//
// Timing conventions, used both to render and to check: a pulse's duration
// td runs between the half-amplitude points of its envelope; the spacing ts
// runs from the half-amplitude end of one pulse to the half-amplitude start
// of the next; rise and fall are linear ramps, each Rise × td long.
package sound

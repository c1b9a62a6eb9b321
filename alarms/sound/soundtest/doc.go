// Package soundtest analyses rendered alarm audio for tests (pulse count,
// durations, spacing, rise time, fundamental and harmonics, measured from
// the samples alone), reads WAV files back, and provides a Recorder that
// implements sound.Output. It uses no sound device.
package soundtest

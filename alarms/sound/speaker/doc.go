// Package speaker plays alarm bursts through the sound card with
// github.com/ebitengine/oto/v3 (ALSA on Linux; needs cgo and libasound).
//
// Open fails softly: with no audio device it returns an error wrapping
// ErrUnavailable within its timeout and never panics, and the console keeps
// running with the technical alarm audio_unavailable on screen. oto allows
// one audio context per process, so the first Open decides: later calls
// return the same Output or the same error.
//
// An Output is safe for concurrent use. oto runs its own goroutines, which
// live as long as the process once a context is made.
package speaker

// Package live runs the alarm engine on a running console: it evaluates the
// pipeline's latest snapshot whenever one is published and at least every
// EvalInterval (validation delays, pause countdowns and reminders run on
// time, not on data), applies the operator's actions, drives the alarm
// sound, and publishes the alarms' status for the GUI.
//
// The engine itself (package alarms) is a pure state machine; this package
// is the one goroutine that owns it. Concurrency: Run is called once, on its
// own goroutine. Notify, Status and the operator actions (Acknowledge,
// PauseAudio, SetLimit) are safe from any goroutine and never block: Notify
// coalesces wake-ups, actions go through a bounded queue and fail with
// ErrBusy when it is full. Status returns an immutable value.
//
// Audio: a nil Output, or one whose Err reports a failure, sets the
// engine's AudioUnavailable input, which raises the audio_unavailable
// technical alarm; the console keeps running.
package live

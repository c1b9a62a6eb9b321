// Package timeline keeps the case's events (on and off bypass, cross-clamp,
// circulatory arrest, cardioplegia doses, ACT results, notes, ...) and
// answers what they imply at a moment: the phase of the case, whether the
// aorta is clamped, the running bypass, clamp and arrest times, and when the
// last cardioplegia dose and ACT were. The alarm engine's Context, the GUI's
// timers and the case summary read the same answers.
//
// Events are corrected, never removed: Edit changes an event's time, text
// or void state and keeps the original and every change (History). An
// event's ID is its time when first added, stable across edits, the same
// identity the case file gives it (docs/format/case.md, "Entry identity
// and edits"); At uses current times and ignores voided events.
//
// A Timeline is safe for concurrent use: events come from the simulator's
// feeder, the operator's entries and replay; readers are the alarm
// goroutine and whoever builds the GUI's state. It holds at most the
// capacity it was made with (events and edits together); Add and Edit
// refuse more with ErrFull, never dropping an event silently.
package timeline

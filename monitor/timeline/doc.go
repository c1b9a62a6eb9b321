// Package timeline keeps the case's events (on and off bypass, cross-clamp,
// circulatory arrest, cardioplegia doses, ACT results, notes, ...) and
// answers what they imply at a moment: the phase of the case, whether the
// aorta is clamped, the running bypass, clamp and arrest times, and when the
// last cardioplegia dose and ACT were. The alarm engine's Context, the GUI's
// timers and the case summary read the same answers.
//
// A Timeline is safe for concurrent use: events come from the simulator's
// feeder, the operator's entries and replay; readers are the alarm
// goroutine and whoever builds the GUI's state. It holds at most the
// capacity it was made with; Add refuses more with ErrFull, never dropping
// an event silently.
package timeline

// Package clock is the case clock of the pipeline: where "now" comes from.
//
// The pipeline never calls time.Now itself; it asks a Clock. Live cases use
// Wall, replay uses Scaled (a case time that runs at a chosen speed and can be
// paused and moved), and tests use Manual, which moves only when told to.
//
// All three are safe for concurrent use: the pipeline goroutine reads the
// clock while a replay controller or a test moves it.
package clock

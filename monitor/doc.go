// Package monitor is Pumpside's pipeline: samples from drivers, the simulator,
// replay and manual entry go in through one lock-free single-producer ring per
// source; one pipeline goroutine drains them, keeps the latest value and the
// history of every channel, computes the derived values (package physio) and
// publishes immutable snapshots through an atomic pointer for the alarm
// engine, the GUI and the recorder.
//
// The package imports no GUI code and does no disk or network I/O.
package monitor

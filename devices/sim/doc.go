// Package sim is Pumpside's physiological bypass-case simulator: an adult
// patient on cardiopulmonary bypass, stepped in 1-second increments of
// simulated time, reported by simulated devices at their own rates (pump,
// patient monitor and pulse oximeter 1 Hz, in-line blood monitor every 6 s,
// cerebral oximeter every 5 s, blood-gas analyser and ACT only when a
// sample is sent). It feeds `make run`, `pumpside screenshot`, `pumpside
// sim` and the tests a case that behaves like one, with no hardware.
//
// A case follows a Scenario: a TOML file (docs/format/scenario.md; the
// built-in ones are embedded from scenarios/) describing the patient, the
// circuit and a timeline of phases, actions and faults; with an [ecmo]
// table, an ECMO run (VV or VA, ecmo.go) that goes on for days instead of
// a bypass case, its randomness from a stream of its own so that the
// bypass scenarios' output is unchanged for every seed. Faults and some
// actions can also be triggered live (Case.Trigger), locally or through
// the instructor control server (ServeControl, SendControl). The model, its
// equations, sources and limits are in docs/simulator.md; the derived
// values it shares with the console come from package physio.
//
// Determinism: for a given scenario, start time and seed, the samples and
// events are identical whatever the step size of AdvanceTo, and
// WriteLineProtocol's output is byte-identical. Live triggers are the one
// input from outside.
//
// Concurrency and ownership: a Case belongs to one goroutine (AdvanceTo,
// OnEvent, State); Trigger and Clear are safe from any goroutine and take
// effect at the next simulated second. Scenarios are read-only and may be
// shared. ServeControl runs one goroutine per connection and stops them all
// before it returns.
package sim

// Package sim is Pumpside's built-in simulated bypass case: an adult patient
// taken through the phases of a routine case (pre-bypass, on bypass, cooling,
// cross-clamp, rewarming, weaning, off bypass) with the devices reporting at
// their own rates. It feeds `make run`, `pumpside screenshot` and the tests a
// case that looks like one, with no hardware and no server.
//
// This is the walking-skeleton simulator: values follow smooth, phase-driven
// trajectories with seeded noise, not a physiological model. Everything it
// emits is deterministic for a given seed and start time.
//
// A Case is not safe for concurrent use; drive it from one goroutine.
package sim

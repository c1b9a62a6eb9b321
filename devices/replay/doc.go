// Package replay plays a recorded case file (docs/format/case.md) into the
// monitoring pipeline as a source like any device, so teaching, headless
// evaluation and tests go through the same pipeline and alarm engine as
// live data.
//
// Load reads a whole case file into memory, sorted by time; bad lines are
// reported with their line numbers and skipped. A Player registers one
// pipeline source per source of the file and puts the samples up to a given
// case time (PutUntil); the caller then steps the pipeline. Derived values
// recorded in the file are not replayed: the pipeline recomputes them.
//
// A Case is immutable after Load and may be shared. A Player belongs to
// the one goroutine that drives the pipeline.
package replay

// Package replay plays a recorded case file (docs/format/case.md) into the
// monitoring pipeline as a source like any device, so teaching, headless
// evaluation and tests go through the same pipeline and alarm engine as
// live data.
//
// Load reads a whole case file into memory, sorted by time; bad lines are
// reported with their line numbers and skipped. A Builder assembles the
// same Case from entries of any origin (a file, or rows of a time-series
// database turned back into entries). Events and bookmarks (measurement
// bookmark, the teaching notes) are kept with their text; Bookmarks reads
// only those of a file. A Player registers one pipeline source per source
// of the file and puts the samples up to a given case time (PutUntil); the
// caller then steps the pipeline. Derived values recorded in the file are
// not replayed: the pipeline recomputes them.
//
// A Case is immutable after Load (or Builder.Case) and may be shared by any
// number of goroutines and Players. A Builder and a Player belong to one
// goroutine: a Player to the one that drives its pipeline.
package replay

// Package entry is the perfusion record's model of what the operator enters
// (docs/format/case.md, "Events" and "Entry identity and edits"): the entry
// kinds with their structured fields and units, a configurable drug
// formulary with refusal ranges per dose unit, Validate, which refuses an
// impossible time, dose or volume with an error naming the field and the
// allowed range, ParseText, which reads an entry's fields from one typed
// line ("heparin 30000 IU iv"), and the conversion of entries and their
// edits (Edit, Resolve) to and from the case file's event lines.
//
// The package holds no state and starts no goroutines. Every function is
// safe for concurrent use; a *Formulary and a *Model are read-only once
// built (build them, then share them). Nothing here reads the clock: the
// caller passes the case start and "now".
package entry

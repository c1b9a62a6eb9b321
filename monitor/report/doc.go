// Package report turns a recorded case file (docs/format/case.md) into the
// perfusion record's case summary, a PDF or HTML report with a timeline
// chart, a one-row-per-case CSV export and a multi-case audit.
//
// Everything here works on a finished (or growing) case file read once with
// monitor/record's Reader: Load builds an immutable *Case, Summarize derives
// a *CaseSummary from it. Neither starts goroutines; a *Case and a
// *CaseSummary are safe for concurrent reads once built and are never
// modified by the package afterwards. Renderers (WritePDF, WriteHTML,
// WriteSummaryCSV, WriteAuditHTML, WriteAuditCSV) write to the io.Writer they
// are given and do not close it.
//
// Edits: Load applies the case file's edit events (docs/format/case.md,
// "Entry identity and edits") with monitor/entry's Resolve, so everything
// derived from a Case counts an edited event at its new time and values
// and a voided one not at all; the edit lines stay in Case.Events (the
// log's audit trail) and the voided events are in Case.Voided.
//
// Privacy: patient identifiers (the ident_* fields of the case metadata)
// and the case tag reach a CaseSummary only when Privacy.Identify is set;
// otherwise the case is shown under a keyed pseudonym (HMAC-SHA256 with the
// site secret) and free texts have every identifier string redacted. All
// output is built from a CaseSummary, so this one place decides.
package report

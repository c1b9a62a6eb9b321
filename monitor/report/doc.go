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
// The perfusion record: CaseSummary.Record holds the set-up and close
// entries (procedure, team, circuit, disposables, prime, checklist,
// residual volume, incidents, sign-off) and the figures built on them;
// CaseSummary.Grid the observation grid on bypass. Both are computed from
// the bypass spans Summarize passes in, the summary's one definition of on
// bypass. Settings.Zone, Units and GridInterval (monitor/site) decide how
// the outputs show times and values; the figures stay in channel units,
// and the outputs a person reads convert them (the report, the summary
// CSV and the registry worksheet, whose column names say the unit).
//
// Privacy: patient identifiers (the ident_* fields of the case metadata)
// and the case tag reach a CaseSummary only when Privacy.Identify is set;
// otherwise the case is shown under a keyed pseudonym (HMAC-SHA256 with the
// site secret) and free texts have every identifier string redacted. All
// output is built from a CaseSummary, so this one place decides.
package report

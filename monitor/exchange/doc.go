// Package exchange gathers what of a recorded case leaves the machine for
// another system: the case summary (with the report's observation grid,
// CaseSummary.Grid, and the record's team and sign-off), the report PDF,
// the drugs and fluids given, the quality indicators and the patient's
// identity as the site's privacy setting allows. The HL7 v2 builder
// (monitor/hl7out) and the FHIR bundle (monitor/fhirout) are built from a
// Record, so both carry the same content and obey the same identity rule.
//
// Identity: a Record carries the patient's identifiers (the ident_* fields
// of the case metadata: hospital number, name, date of birth) only when it
// is built with Options.Identified, which a caller sets only when the
// site's configuration explicitly enables identified sending; otherwise the
// patient is the case's keyed pseudonym and nothing else. The summary must
// have been built with the same choice (report.Privacy.Identify), and free
// texts pass through the summary's redaction.
//
// Build reads the case and the summary it is given and starts no
// goroutine; a Record is read-only once built.
package exchange

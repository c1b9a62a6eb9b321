// Package fhirout writes a case's perfusion record as a FHIR R4
// transaction Bundle (docs/integration.md): a Patient carrying only an
// identifier (the hospital's with identified sending enabled by the site,
// else the case's pseudonym), an Encounter, the cardiopulmonary bypass
// Procedure with its times, Observations (the vital-signs profile where it
// applies: MAP, heart rate, temperatures, arterial saturation; the summary
// figures; the observation grid; the quality indicators),
// MedicationAdministrations for the drugs, fluids, cardioplegia and blood
// products given, and a DocumentReference holding the report PDF.
//
// Every resource has a business identifier derived from the record and is
// sent as a conditional update (the Patient as a conditional create), so
// posting a record twice, or a corrected record after an edit, updates it
// in place rather than duplicating it. The mapping of summary figures to
// Observations is the table in table.go, one row each, with the keys and
// codes of monitor/hl7out's table.
//
// Bundle is a pure function; Post sends a bundle to a server's base URL
// with a bearer token. Nothing here starts a goroutine.
package fhirout

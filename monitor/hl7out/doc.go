// Package hl7out sends a case's perfusion record to the hospital's record
// as an HL7 v2.5.1 ORU^R01 message over MLLP (docs/integration.md): MSH,
// PID, PV1, one OBR for the perfusion record, one OBX per summary figure
// (LOINC where a code exists, documented local codes otherwise, UCUM
// units), the observation grid as timed OBX groups, the quality
// indicators, and the report PDF as an ED OBX in base64.
//
// Build makes a message from an exchange.Record; the tables in table.go
// map each summary figure to its OBX, one row each. A Client delivers one
// message over MLLP (TCP, optionally TLS) and waits for its ACK. An Outbox
// is the durable queue beside the case file: each version of a record is
// queued once with its own control ID, kept on disk until the engine
// acknowledges it with AA, and never sent again after that; a later
// version goes out as a correction (result status C). A Sender drains an
// Outbox through a Client, retrying with back-off.
//
// Concurrency: Build is a pure function. An Outbox is safe for use by one
// process at a time (it holds a lock file) and by its goroutines; a Client
// and a Sender serve one goroutine each. Nothing here blocks a caller that
// did not ask to wait: the console's sign-off hands the case to a Service,
// whose goroutine builds, queues and sends.
package hl7out

// Package invos decodes the serial output of the Medtronic (formerly
// Somanetics, then Covidien) INVOS cerebral/somatic oximeter, 5100C and the
// INVOS patient monitor: the PC LINK 1 and PC LINK 2 streams the monitor
// sends during a case, one line per reading, and the case-history download
// (ParseHistory), which `pumpside import invos` appends to a recorded case.
// It registers the driver "invos" (the format from the config, detected per
// line by default) and "invos-pclink2" (held to PC LINK 2).
//
// Up to four channels map to nirs.left, nirs.right, nirs.renal and
// nirs.somatic by configuration, each with its baseline when the format
// carries it. A channel the device reports as not active, or whose status
// code withholds its value, is never a number. Event codes and status codes
// are reported as notes (`pumpside decode` counts them); a baseline change
// is noted as a baseline set.
//
// The README beside this file gives cabling, port settings, the layouts as
// the public manual gives them, and what is unconfirmed. A Driver is used
// by one goroutine.
package invos

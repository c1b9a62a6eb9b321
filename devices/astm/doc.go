// Package astm is the driver for blood-gas analysers that send results with
// ASTM E1381 / CLSI LIS01-A2 (the low-level link: ENQ, frames with frame
// numbers and checksums, ACK/NAK, EOT) and ASTM E1394 / CLSI LIS02-A2 (the
// records: H, P, O, R, C, L), over a serial line or TCP.
//
// Receiver is the link layer alone, fed one byte at a time; Driver adds the
// record layer, checks each record's syntax, maps result records through a
// test-code table (analyte.Table) to the blood-gas channels of their
// order's specimen (abg.*, vbg.*, cvbg.*, or bg.* when nothing in the
// message decides it: analyte.Sites.Infer, each inference a devices.Note),
// converts units, and answers the analyser on the stream it reads. Patient data is never kept:
// P records are skipped unread and bad frames of P, O and C records are
// reported without their content.
//
// A Driver or Receiver is used by one goroutine; Decode may be called again
// after it returns (a reconnect) and starts from a clean state. Send, the
// sending side for the simulator and tests, blocks in its stream's Read
// and Write.
//
// The README beside this file gives cabling, port settings, the channels
// and what is unconfirmed.
package astm

// Package hl7 is the driver for blood-gas results sent as HL7 v2 ORU^R01
// messages over MLLP (VT message FS CR on a TCP connection), by analysers
// and their data managers.
//
// Framer delimits MLLP blocks with a bounded buffer; ParseMSH, Segments and
// Delimiters read messages; Driver uses a message only if its syntax is
// exact (HL7 has no checksum: damage shows as broken syntax), maps OBX
// results by LOINC code through an analyte.Table to the blood-gas channels
// of their order's specimen (abg.*, vbg.*, cvbg.*, or bg.* when nothing
// decides it: analyte.Sites.Infer, each inference a devices.Note),
// converts units, and answers every message with an ACK on the stream it
// reads (MSA AA, or AE or AR with the reason). PID and other identifying segments are never
// read, and bad messages are reported with their MSH segment only.
//
// A Driver or Framer is used by one goroutine; Decode may be called again
// after it returns (a reconnect) and starts from a clean state.
//
// The README beside this file gives the connection, the channels and what
// is unconfirmed.
package hl7

// Package s5 decodes the GE Datex-Ohmeda S/5 Computer Interface of S/5
// and CARESCAPE patient monitors: Datex-Ohmeda records (40-byte
// little-endian header, subrecords) in frames delimited by 0x7E with 0x7D
// escapes and an 8-bit checksum, on RS-232 at 19200 8E1 with RTS/CTS. It
// registers the driver "s5".
//
// The monitor sends nothing until asked. On a live connection (a stream
// with read deadlines) Decode asks for the displayed values at the
// configured interval, asks again after silence and returns ErrNoData when
// the monitor stays silent, keeping time with read deadlines; a capture is
// only read. Invasive pressures and temperatures are mapped by the labels
// the monitor shows (ART, CVP, PA; NASO, BLAD, …), never by position;
// special values (DATA_INVALID and the others) become qualities, never
// numbers. Labels and records the driver does not map are counted with
// devices.Note.
//
// The driver is also the monitor's emulation for the simulator
// (AppendFrame, Respond). The README beside this file gives cabling, the
// channels, what is unconfirmed, and the documents it was written from. A
// Driver is used by one goroutine; AppendFrame and Respond may be called
// from several.
package s5

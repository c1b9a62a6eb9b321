// Package generic is the configurable driver, registered as "generic", for
// devices without a public protocol, the heart-lung machines above all: a
// TOML config describes the framing (lines, or STX/ETX with an escape
// byte), the check (sum8, xor8, CRC-16 variants), the parsing (key=value,
// delimited by column numbers or header names, or a regular expression with
// named groups), the mapping of fields to channels with scale, offset and
// unit, the no-value markers and optional poll bytes. Without a config it
// speaks the simulator's pump format (examples/sim-pump.toml), and
// AppendPump encodes that format for the simulator.
//
// A Driver decodes on one goroutine. AppendFrame, AppendHeader and
// AppendPump only read the compiled config and may run concurrently with
// each other and with Decode, not with Configure/Init.
package generic

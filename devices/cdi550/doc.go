// Package cdi550 decodes the output of the Terumo CDI 550 in-line blood
// parameter monitor in either of its modes. It registers the driver
// "cdi550" (the mode from the config, ASCII by default) and "cdi550-packet"
// (the same driver in packet mode).
//
// ASCII mode: tab-delimited values, one line per report, a header line
// naming the columns every 50 lines, and a line announcing the temperature
// display mode whenever it changes. Columns are mapped to channels by their
// header names, through a table that is configurable because the names are
// unconfirmed; until the first header arrives a configurable default column
// order is used. Only a header of known names replaces the column map, so
// that line noise never does.
//
// Packet mode: STX A BB LLLL C S data ZZ ETX packets with an 8-bit CRC
// (CRC8, the manual's algorithm); a packet with a bad CRC is reported and
// skipped. Parameter codes map to the same header names, so the channel
// mapping, units and temperature rule are those of ASCII mode.
//
// The driver can ask the device for a report with the request packet
// `<X08Z36>`: on connect (request_on_connect), on demand (Request), or on a
// timer owned by the caller (devices.Poller, devices.WithPolling).
//
// The README beside this file gives cabling, port settings, the channels
// emitted, which mode to choose and what is unconfirmed. A Driver is used
// by one goroutine.
package cdi550

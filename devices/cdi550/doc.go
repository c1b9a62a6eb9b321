// Package cdi550 decodes the ASCII output of the Terumo CDI 550 in-line
// blood parameter monitor: tab-delimited values, one line per report, a
// header line naming the columns every 50 lines, and a line announcing the
// temperature display mode whenever it changes. It registers the driver
// "cdi550".
//
// Columns are mapped to channels by their header names, through a table
// that is configurable because the names are unconfirmed; until the first
// header arrives a configurable default column order is used. The driver
// can ask the device for a report with the request packet `<X08Z36>`: on
// connect (request_on_connect), on demand (Request), or on a timer owned by
// the caller (devices.Poller, devices.WithPolling).
//
// The README beside this file gives cabling, port settings, the channels
// emitted and what is unconfirmed. A Driver is used by one goroutine.
package cdi550

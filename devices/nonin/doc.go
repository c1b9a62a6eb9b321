// Package nonin decodes Nonin serial text output: the real-time ASCII
// SpO2/pulse rate line of Nonin pulse oximeters, and the regional oximetry
// (rSO2) text of the 7600 / X-100 cerebral oximeters. One driver, "nonin",
// reads both: each line is recognised by its shape.
//
// The README beside this file gives cabling, port settings, the channels
// emitted and what is unconfirmed. A Driver is used by one goroutine.
package nonin

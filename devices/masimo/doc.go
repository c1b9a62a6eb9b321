// Package masimo decodes Masimo "ASCII 1" serial output (Radical-7 through
// its docking station, Rad-8, Rad-87, Root): one text line a second with
// SpO2, pulse rate, perfusion index, exception and alarm bits, and on Root
// with O3 the regional oximetry values. It registers the driver "masimo".
//
// The README beside this file gives cabling, port settings, the channels
// emitted and what is unconfirmed. A Driver is used by one goroutine.
package masimo

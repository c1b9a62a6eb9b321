// Package template is the starting point for a new line-protocol driver:
// copy the folder, rename the package and the driver, and replace the
// imaginary device below with yours (docs/drivers.md walks through it).
//
// The imaginary device, an "ACME T2" two-probe thermometer, sends once a
// second at 9600 8N1:
//
//	T1=36.8 T2=35.1 ST=00\r\n
//
// T1 and T2 in °C with one decimal, "--.-" for no probe, ST a hex status
// whose bit 01 means "probe fault". The driver registers as "template"; it
// is not linked into the pumpside binary. A Driver is used by one goroutine.
package template

// Package emulate makes the simulated devices of package sim speak their
// real wire formats, through the drivers' own encoders (devices.Encoder):
// a Device buffers the samples its driver carries and writes one frame per
// sample time to a serial port (one end of a socat pty pair, or a real
// port with the driver's factory settings) or to the clients of a TCP
// listener. A second Pumpside reading that port or address through the real
// driver sees what it would see from the device.
//
// Every registered driver that implements devices.Encoder can be emulated;
// which simulated channels it gets follows from its Describe() with default
// options. Drivers must be registered (imported) by the program.
//
// Concurrency: a Device belongs to one goroutine (Put, Flush). A TCP target
// accepts clients on its own goroutine until closed; Close waits for it.
// Run paces a Case on the caller's goroutine.
package emulate

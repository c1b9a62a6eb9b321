// Package external runs device drivers written in any language as child
// processes. The child reads its device however it likes and prints
// samples on stdout in InfluxDB line protocol with Pumpside's channel names
// (measurement = channel group, field = channel name):
//
//	pump flow=4.4,speed=2450
//
// Command is a devices.Opener that starts the child: the Supervisor
// supervises it like any device, restarting it with back-off when it exits.
// The driver "external" parses the child's stdout into samples.
//
// A Driver is used by one goroutine. A Command may be opened again after a
// stream it returned is closed; each stream owns one child process, which
// its Close kills and waits for.
package external

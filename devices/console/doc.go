// Package console reads the console config file of `pumpside run --config
// FILE` (TOML, docs/format/console.md): the devices at the pump, each with
// its driver, the driver's options and the transport to reach it. Load
// validates all of it, naming the device and the field of every error;
// Supervisor and Start run the devices under a devices.Supervisor.
//
// A Config is built by one goroutine and then read-only; its drivers
// belong to the Supervisor made from it, which may be made once.
package console

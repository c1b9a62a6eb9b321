// Package devices is Pumpside's device layer: the Driver interface every
// device protocol implements, the registry of drivers by name, and the
// Supervisor that opens transports, runs drivers on them, watches for
// silence and reconnects with back-off.
//
// # Drivers
//
// A driver turns the bytes of one device protocol into samples. Its one
// required method, Decode, reads from an io.ReadWriter until the reader
// fails, putting samples to a Sink and reporting every frame, good or bad, to
// an Events. A driver never opens a port, dials, sleeps or reconnects: the
// Supervisor (or a test, or `pumpside decode`) hands it a serial port, a
// socket, a capture being played back, a pipe or a byte slice.
//
// Optional capabilities are found by type assertion, as in database/sql:
//
//   - Describer: channels, rates, default port settings, sample config. Without
//     it `pumpside devices` lists the driver with no details and the
//     Supervisor's watchdog uses DefaultInterval.
//   - Configurable: a pointer to the driver's option struct, filled from a
//     config file before the first Decode. Without it the driver takes no
//     options and a config file for it is an error.
//   - Initializer: validates options once they are set. Without it options
//     are used as decoded.
//   - Encoder: samples to the protocol's wire bytes, for the simulator and
//     tests. Without it the driver cannot be simulated on the wire and the
//     conformance kit builds its robustness streams from the test captures.
//
// # Concurrency and ownership
//
// A Driver value belongs to one device and is used by one goroutine at a
// time; Decode may be called again after it returns (a reconnect) and must
// start from a clean framing state. Register and the lookup functions are safe
// for concurrent use. Sink.Put and the Events methods are called on the
// decoding goroutine and must not block.
//
// # Time
//
// A sample's time is when its frame was received, read from Env.Clock when
// the frame completes, never time.Now in parsing code: a capture played back
// gives its recorded receive times, tests give a fixed clock. A driver whose
// protocol carries the device's own time may offer an option to use it. The
// Supervisor gives the frames of one read distinct times (Supervisor).
package devices

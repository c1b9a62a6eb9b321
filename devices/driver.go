package devices

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Driver decodes one device protocol.
type Driver interface {
	// Decode reads the device's bytes from rw until a read fails or ctx is
	// done, and returns the read error (io.EOF at the end of a file, the
	// transport's error on a disconnect) or ctx.Err(). It puts decoded
	// samples to env.Sink and reports each frame to env.Events. Malformed
	// input is never an error: it is reported with Events.FrameBad and
	// decoding goes on. Decode may write to rw (handshakes, requests, ACKs).
	//
	// Decode must not block other than in rw's Read and Write, must not
	// sleep, and must not keep goroutines running after it returns. Callers
	// stop a Decode blocked in Read by closing the transport.
	//
	// A driver whose protocol has it speak on a timer (an association
	// request resent until answered, a poll renewed before it expires, a
	// keep-alive) keeps time with read deadlines: when rw implements
	// Deadliner it sets one before each Read and takes a read failing
	// with os.ErrDeadlineExceeded as a tick, not as the end. Streams
	// without deadlines (a capture played back, a file) are only read.
	Decode(ctx context.Context, rw io.ReadWriter, env Env) error
}

// Env is what Decode needs besides the bytes.
type Env struct {
	// Source is stamped on every sample.
	Source monitor.SourceID
	// Sink receives samples. Required.
	Sink Sink
	// Events receives frame outcomes. Nil means Discard.
	Events Events
	// Clock gives receive times. Nil means the wall clock.
	Clock Clock
}

// WithDefaults returns env with nil Events and Clock replaced by Discard and
// the wall clock. Drivers call it once at the top of Decode.
func (env Env) WithDefaults() Env {
	if env.Events == nil {
		env.Events = Discard
	}
	if env.Clock == nil {
		env.Clock = WallClock
	}
	if env.Sink == nil {
		env.Sink = discardSink{}
	}
	return env
}

// Sink receives samples from a driver. Put must never block: it returns false
// when the sample was dropped (the consumer's buffer is full). The pipeline's
// per-source producer satisfies it.
type Sink interface {
	Put(monitor.Sample) bool
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(monitor.Sample) bool

// Put calls f.
func (f SinkFunc) Put(s monitor.Sample) bool { return f(s) }

type discardSink struct{}

func (discardSink) Put(monitor.Sample) bool { return true }

// Events receives the outcome of every frame a driver delimits. Offsets are
// byte offsets in the stream given to Decode, counted from 0 at the start of
// that call. Methods must not block.
type Events interface {
	// FrameOK reports a frame of size bytes at offset that decoded.
	FrameOK(offset int64, size int)
	// FrameBad reports a frame that did not decode. err and its Raw bytes
	// are valid only during the call: copy what you keep (FrameError.Clone).
	FrameBad(err *FrameError)
}

// Noter is implemented by Events that keep what a driver inferred or could
// not map, beside the frame counts: "specimen arterial, from OBR-4",
// "unknown label 0x0002F0C4 (counted, not emitted)". `pumpside decode`
// prints them in its summary. A driver calls Note, never the method.
type Noter interface {
	// Note records one occurrence of text. It must not block; text is a
	// short sentence without patient data, the same text for the same
	// finding (so that occurrences can be counted).
	Note(text string)
}

// Note passes text to ev when ev is a Noter, and does nothing otherwise.
func Note(ev Events, text string) {
	if n, ok := ev.(Noter); ok {
		n.Note(text)
	}
}

// Discard is an Events that ignores everything.
var Discard Events = discardEvents{}

type discardEvents struct{}

func (discardEvents) FrameOK(int64, int)   {}
func (discardEvents) FrameBad(*FrameError) {}

// Clock gives the receive time of the bytes just read, in Unix nanoseconds.
type Clock interface {
	Now() int64
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() int64

// Now calls f.
func (f ClockFunc) Now() int64 { return f() }

// WallClock is the system clock.
var WallClock Clock = ClockFunc(func() int64 { return time.Now().UnixNano() })

// ReceiveTimer is implemented by transports that know when the bytes they
// returned were received, such as a capture played back. ReceiveTime is the
// receive time of the bytes returned by the latest Read.
type ReceiveTimer interface {
	ReceiveTime() int64
}

// ClockFor returns the clock to use for bytes read from r: r's own receive
// times if it is a ReceiveTimer, otherwise fallback (the wall clock if nil).
func ClockFor(r io.Reader, fallback Clock) Clock {
	if rt, ok := r.(ReceiveTimer); ok {
		return ClockFunc(rt.ReceiveTime)
	}
	if fallback == nil {
		return WallClock
	}
	return fallback
}

// Describer is implemented by drivers that describe what they emit.
type Describer interface {
	Describe() Description
}

// Description is what `pumpside devices`, the Supervisor and the conformance
// kit know about a driver.
type Description struct {
	// Summary is one line: the protocol and the models it covers.
	Summary string
	// Channels lists every channel the driver can emit with its current
	// options.
	Channels []ChannelSpec
	// Interval is the nominal time between frames; the Supervisor's watchdog
	// declares the device silent after 3 intervals (at most 30 s). Zero
	// means DefaultInterval.
	Interval time.Duration
	// Sporadic marks a device that sends when it has something to say (an
	// analyser's results, minutes or hours apart) rather than at an
	// interval: its silence is normal. The watchdog never declares it
	// silent, and the alarm engine's device_lost follows its connection
	// only.
	Sporadic bool
	// MaxBackoff caps the Supervisor's reconnect back-off for this device
	// when shorter than SupervisorOptions.BackoffMax: a device that must be
	// found again within seconds of its return (a patient monitor after a
	// reboot, a serial adapter plugged back in). Zero: the Supervisor's.
	MaxBackoff time.Duration
	// MaxFrame is the longest valid frame in bytes; longer input is
	// discarded as "oversize".
	MaxFrame int
	// Port holds the device's factory serial settings.
	Port PortSettings
	// SampleConfig is the driver's annotated example config (TOML).
	SampleConfig string
}

// ChannelSpec is one channel a driver emits.
type ChannelSpec struct {
	ID channel.ID
	// Field is the device's own name for the value, e.g. "SPO2".
	Field string
	// Interval is how often the value comes; 0 if irregular.
	Interval time.Duration
	// Note says anything unconfirmed or conditional ("Root with O3 only").
	Note string
}

// PortSettings are serial line settings as a device's manual gives them.
type PortSettings struct {
	Baud     int
	DataBits int
	Parity   string // "none", "odd", "even", "mark", "space"
	StopBits string // "1", "1.5", "2"
	Flow     string // "none", "rts/cts", "xon/xoff"
}

// String renders the settings the usual way, e.g. "9600 8N1".
func (p PortSettings) String() string {
	if p.Baud == 0 {
		return "-"
	}
	par := "N"
	switch p.Parity {
	case "odd":
		par = "O"
	case "even":
		par = "E"
	case "mark":
		par = "M"
	case "space":
		par = "S"
	}
	s := strconv.Itoa(p.Baud) + " " + strconv.Itoa(p.DataBits) + par + p.StopBits
	if p.Flow != "" && p.Flow != "none" {
		s += " " + p.Flow
	}
	return s
}

// Configurable is implemented by drivers that take options. Config returns a
// pointer to the driver's option struct, holding its defaults; the caller
// decodes the config file's table into it before the first Decode and then
// calls Init if the driver is an Initializer.
type Configurable interface {
	Config() any
}

// Initializer is implemented by drivers that validate their options.
type Initializer interface {
	Init() error
}

// Encoder is implemented by drivers that can produce their device's bytes,
// for the simulator and for tests.
type Encoder interface {
	// AppendFrame appends the wire bytes of one frame carrying samples (all
	// of one time) to dst. Channels the protocol does not carry are an
	// error; channels it carries but samples lack are sent as "no value".
	AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error)
}

// Deadliner is implemented by streams whose reads can be given a
// deadline: serial ports, TCP and UDP sockets (package transport). A Read
// past the deadline fails with an error wrapping os.ErrDeadlineExceeded.
type Deadliner interface {
	SetReadDeadline(t time.Time) error
}

// Conn is a connection a Conversant talks over: a TCP connection, or a
// serial port (transport.SerialPort). A read past the deadline fails.
type Conn interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
}

// Conversant is implemented by encoders whose protocol has the device wait
// for the receiver's answers: ASTM E1381 (ACK or NAK to ENQ and to every
// frame), HL7 over MLLP (an acknowledgement message). The simulator's
// emulation sends each message through Converse, as the device would,
// rather than writing its bytes blindly.
type Conversant interface {
	Encoder
	// Converse sends msg, the bytes of one AppendFrame, over c, and
	// returns nil once the receiver has accepted it. A refusal or a silent
	// receiver is an error wrapping ErrNotAccepted (the connection is still
	// good); any other error is the connection's.
	Converse(c Conn, msg []byte) error
}

// Responder is implemented by encoders of devices that send only when asked
// and hold a dialogue with the receiver: a patient monitor that sends
// numerics after an association and in answer to polls (Philips
// IntelliVue), or displayed values at the interval a request asked for (GE
// S/5). The simulator's emulation hands each connection to Respond instead
// of writing frames on a timer, so that a console reading the emulated
// device must hold the dialogue as it would with the real one.
type Responder interface {
	Encoder
	// Respond holds the device's side of one connection until ctx is done
	// or c fails, and returns ctx.Err() or c's error. It reads the
	// receiver's requests and answers them as the device does (ignoring
	// what the device ignores, stopping when the device would stop). It
	// takes the values to send from latest, which appends the newest
	// sample of every channel the driver carries (time-stamped by the
	// case clock; "no value" samples included) to dst and returns it;
	// latest is safe to call from any goroutine. Respond may block and
	// keeps time with c.SetReadDeadline; it starts no goroutine that
	// outlives it.
	Respond(ctx context.Context, c Conn, latest func(dst []monitor.Sample) []monitor.Sample) error
}

// ErrNotAccepted: the receiver refused a message, or did not answer in
// the protocol's time.
var ErrNotAccepted = errors.New("devices: the receiver did not accept the message")

// DefaultInterval is the watchdog's assumed frame interval for a driver that
// does not say.
const DefaultInterval = time.Second

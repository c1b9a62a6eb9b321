package devices

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/monitor"
)

// Opener opens a device's byte stream; package transport implements it for
// serial ports, sockets and captures.
type Opener interface {
	// Open returns a new stream, blocking at most until ctx is done. Errors
	// wrapping ErrConfig are permanent: the Supervisor does not retry them.
	// Errors wrapping ErrAbsent (the device is not there: no such serial
	// port, a connection refused) are retried every poll interval, so that
	// the device is back within a poll of its return however long it was
	// away; other errors are retried with back-off.
	Open(ctx context.Context) (io.ReadWriteCloser, error)
	// Close releases what the Opener holds between streams.
	Close() error
	// String names the stream, e.g. "serial /dev/ttyUSB0".
	String() string
}

// ErrAbsent marks an Opener's error for a device that is not there: a
// serial port whose device path does not exist (an adapter unplugged), a
// connection refused or unanswered. The Supervisor polls such a device
// (SupervisorOptions.PollInterval) rather than backing off. Wrap it with %w.
var ErrAbsent = errors.New("device not present")

// State is where a supervised device is in its life cycle.
type State uint32

// The states of a supervised device.
const (
	// Connecting: opening the stream, or open with no good frame yet.
	Connecting State = iota
	// Running: good frames arrive.
	Running
	// Silent: the stream is open but no good frame came for the quiet
	// time (3 intervals, at most 30 s).
	Silent
	// Disconnected: the stream failed or could not be opened. While the
	// device is absent (ErrAbsent) the Supervisor tries it every poll
	// interval (500 ms); after any other failure, after a back-off of 1 s
	// doubling to 30 s, which starts over after a stream that delivered a
	// good frame.
	Disconnected
	// Failed: the device's configuration is wrong (ErrConfig); no retry.
	Failed
	// Stopped: the Supervisor is no longer running the device.
	Stopped
)

var stateNames = [...]string{"connecting", "running", "silent", "disconnected", "failed", "stopped"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ConditionKind names a technical condition, as the alarm engine knows it.
type ConditionKind string

// The technical conditions the Supervisor raises.
const (
	// DeviceLost: the device's stream failed or cannot be opened.
	DeviceLost ConditionKind = "device_lost"
	// DeviceSilent: the stream is open but the device sends no good frames.
	DeviceSilent ConditionKind = "device_silent"
)

// Condition is a technical condition raised or cleared. Lost and silent are
// cleared when good frames flow again.
type Condition struct {
	Device string
	Kind   ConditionKind
	Active bool
	// Time is when it changed, Unix ns.
	Time int64
	// Cause is why it was raised; nil when cleared.
	Cause error
}

// Device is one device for the Supervisor.
type Device struct {
	// Name identifies the device in status and conditions; unique.
	Name      string
	Driver    Driver
	Transport Opener
	Source    monitor.SourceID
	Sink      Sink
	// Interval overrides the driver's nominal frame interval for the
	// watchdog; 0 uses the driver's Description, else DefaultInterval.
	Interval time.Duration
}

// SupervisorOptions tune a Supervisor. The zero value is the documented
// behaviour.
type SupervisorOptions struct {
	// OnCondition is called when a technical condition is raised or
	// cleared, on the device's goroutines. It must not block.
	OnCondition func(Condition)
	// BackoffMin and BackoffMax bound the reconnect delay after a failure
	// that is not an absent device (a port present but refusing to open, a
	// stream that ends before any good frame): it starts at BackoffMin
	// (1 s), doubles after every such failure up to BackoffMax (30 s), and
	// starts over after a connection that delivered a good frame.
	BackoffMin, BackoffMax time.Duration
	// PollInterval is how often an absent device (ErrAbsent) is tried
	// again: 500 ms, whatever the length of the outage. At most 1 s.
	PollInterval time.Duration
	// MaxQuiet caps the watchdog's quiet time (30 s).
	MaxQuiet time.Duration
}

// DeviceStatus is one device's published state: a copy, free to keep.
type DeviceStatus struct {
	Name      string
	Transport string
	State     State
	// Since is when State began, Unix ns.
	Since int64
	// LastFrame is when the last good frame was received, Unix ns; 0 if
	// none yet.
	LastFrame int64
	// Quiet is the watchdog's limit for this device; 0 for a sporadic one (no
	// watchdog: Description.Sporadic).
	Quiet    time.Duration
	Bytes    uint64
	FramesOK uint64
	// FramesBad counts bad frames by Reason.
	FramesBad [NumReasons]uint64
	// Connects counts streams opened.
	Connects uint64
	// LastError is the latest disconnect or open error, "" if none.
	LastError string
}

// BadFrames returns the total of FramesBad.
func (s DeviceStatus) BadFrames() uint64 {
	var n uint64
	for _, c := range s.FramesBad {
		n += c
	}
	return n
}

// Supervisor runs devices: for each, it opens the transport, runs the driver
// on it, gives the samples of frames read together distinct times (see
// below), watches for silence and reconnects: every PollInterval while the
// device is absent, with back-off after other failures. Status is
// published through atomics: Status and AppendStatus take no locks and may
// be called from any goroutine, at any rate, while Run runs.
//
// Times: a driver stamps a frame's samples with the receive time of the
// read that completed it (Env.Clock). When one read holds several frames (a
// device that paused and then sent its backlog, a console held up), the
// Supervisor gives them times stepping back from the read's time by the
// device's interval (1 ms for a sporadic device), the last frame keeping
// the read's time, all after the latest time given before and after the
// stream opened; where the intervals do not fit, the frames share the time
// since then evenly. Times are strictly increasing per device, so no two
// samples of one channel and source share a time (InfluxDB keeps one point
// per series and time). Samples stamped with another time (the device's
// own clock) are passed on unchanged. The samples of a read reach the sink
// when the driver asks for the next read.
type Supervisor struct {
	devs []*supervised
	opts SupervisorOptions
}

// NewSupervisor checks devs and returns a Supervisor for them.
func NewSupervisor(devs []Device, opts SupervisorOptions) (*Supervisor, error) {
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 30 * time.Second
	}
	if opts.MaxQuiet <= 0 {
		opts.MaxQuiet = 30 * time.Second
	}
	if opts.PollInterval <= 0 || opts.PollInterval > time.Second {
		opts.PollInterval = 500 * time.Millisecond
	}
	s := &Supervisor{opts: opts}
	seen := map[string]bool{}
	for _, d := range devs {
		switch {
		case d.Name == "" || seen[d.Name]:
			return nil, fmt.Errorf("devices: device name %q empty or repeated: %w", d.Name, ErrConfig)
		case d.Driver == nil || d.Transport == nil || d.Sink == nil:
			return nil, fmt.Errorf("devices: device %s needs a driver, a transport and a sink: %w", d.Name, ErrConfig)
		}
		seen[d.Name] = true
		interval := d.Interval
		if interval <= 0 {
			interval = Describe(d.Driver).Interval
		}
		if interval <= 0 {
			interval = DefaultInterval
		}
		sporadic := Describe(d.Driver).Sporadic
		sd := &supervised{dev: d, opts: &s.opts, quiet: min(3*interval, opts.MaxQuiet), stamp: newStamper(d.Sink, interval, sporadic),
			backoffMin: opts.BackoffMin, backoffMax: opts.BackoffMax}
		if m := Describe(d.Driver).MaxBackoff; m > 0 && m < sd.backoffMax {
			sd.backoffMax = m
			sd.backoffMin = min(sd.backoffMin, m)
		}
		if sporadic {
			sd.quiet = 0 // silence is normal: no watchdog
		}
		sd.since.Store(time.Now().UnixNano())
		s.devs = append(s.devs, sd)
	}
	return s, nil
}

// Run runs every device until ctx is done, then closes the transports and
// returns once every goroutine it started has ended.
func (s *Supervisor) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, d := range s.devs {
		wg.Go(func() { d.run(ctx) })
	}
	wg.Wait()
	var errs []error
	for _, d := range s.devs {
		if err := d.dev.Transport.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Status returns every device's status, in the order given to
// NewSupervisor.
func (s *Supervisor) Status() []DeviceStatus { return s.AppendStatus(nil) }

// AppendStatus appends every device's status to dst, without allocating
// when dst has room: for the GUI's frame loop.
func (s *Supervisor) AppendStatus(dst []DeviceStatus) []DeviceStatus {
	for _, d := range s.devs {
		dst = append(dst, d.status())
	}
	return dst
}

// supervised is one device's run state. Counters and state are atomics so
// that readers take no lock; transitions take mu so that the watchdog and
// the decoding goroutine agree.
type supervised struct {
	dev   Device
	opts  *SupervisorOptions
	quiet time.Duration
	// stamp gives the samples distinct receive times; decoding goroutine
	// only.
	stamp *stamper
	// backoffMin and backoffMax bound this device's reconnect delay: the
	// options', capped by its Description.MaxBackoff.
	backoffMin, backoffMax time.Duration

	state     atomic.Uint32
	since     atomic.Int64
	lastFrame atomic.Int64
	bytes     atomic.Uint64
	ok        atomic.Uint64
	bad       [NumReasons]atomic.Uint64
	connects  atomic.Uint64
	lastErr   atomic.Pointer[string]

	mu     sync.Mutex
	active map[ConditionKind]bool
}

func (d *supervised) status() DeviceStatus {
	st := DeviceStatus{
		Name:      d.dev.Name,
		Transport: d.dev.Transport.String(),
		State:     State(d.state.Load()),
		Since:     d.since.Load(),
		LastFrame: d.lastFrame.Load(),
		Quiet:     d.quiet,
		Bytes:     d.bytes.Load(),
		FramesOK:  d.ok.Load(),
		Connects:  d.connects.Load(),
	}
	for i := range d.bad {
		st.FramesBad[i] = d.bad[i].Load()
	}
	if e := d.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// setState moves to s (if allowed from the current state) and raises or
// clears conditions. from == nil allows any current state.
func (d *supervised) setState(s State, cause error, from ...State) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := State(d.state.Load())
	if len(from) > 0 {
		allowed := false
		for _, f := range from {
			allowed = allowed || f == cur
		}
		if !allowed {
			return false
		}
	}
	now := time.Now().UnixNano()
	if cause != nil {
		msg := cause.Error()
		d.lastErr.Store(&msg)
	}
	if cur != s {
		d.state.Store(uint32(s))
		d.since.Store(now)
	}
	switch s {
	case Running:
		d.condition(DeviceLost, false, nil, now)
		d.condition(DeviceSilent, false, nil, now)
	case Silent:
		d.condition(DeviceSilent, true, fmt.Errorf("no good frame for %v", d.quiet), now)
	case Disconnected, Failed:
		d.condition(DeviceSilent, false, nil, now)
		d.condition(DeviceLost, true, cause, now)
	}
	return true
}

func (d *supervised) condition(k ConditionKind, active bool, cause error, now int64) {
	if d.active == nil {
		d.active = map[ConditionKind]bool{}
	}
	if d.active[k] == active {
		return
	}
	d.active[k] = active
	if d.opts.OnCondition != nil {
		d.opts.OnCondition(Condition{Device: d.dev.Name, Kind: k, Active: active, Time: now, Cause: cause})
	}
}

// FrameOK implements Events for the device's driver.
func (d *supervised) FrameOK(int64, int) {
	d.stamp.frameOK()
	d.ok.Add(1)
	d.lastFrame.Store(time.Now().UnixNano())
	if State(d.state.Load()) != Running {
		d.setState(Running, nil, Connecting, Silent)
	}
}

// FrameBad implements Events for the device's driver.
func (d *supervised) FrameBad(err *FrameError) {
	if err.Reason < NumReasons {
		d.bad[err.Reason].Add(1)
	}
}

func (d *supervised) run(ctx context.Context) {
	backoff := d.backoffMin
	var delay time.Duration // before the next attempt
	wait := func() bool {
		if delay <= 0 {
			return true
		}
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// failed sets the delay before the next attempt after err: a poll
	// for an absent device, else the back-off, which doubles.
	failed := func(err error) {
		if errors.Is(err, ErrAbsent) {
			delay = d.opts.PollInterval
			return
		}
		delay = backoff
		backoff = min(2*backoff, d.backoffMax)
	}
	for wait() && ctx.Err() == nil {
		d.setState(Connecting, nil)
		rwc, err := d.dev.Transport.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, ErrConfig) {
				d.setState(Failed, err)
				<-ctx.Done()
				break
			}
			d.setState(Disconnected, err)
			failed(err)
			continue
		}
		d.connects.Add(1)
		before := d.ok.Load()
		err = d.session(ctx, rwc)
		rwc.Close()
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			err = errors.New("driver returned without an error")
		}
		d.setState(Disconnected, err)
		if d.ok.Load() > before {
			// The device was there a moment ago: the back-off starts
			// over. An unplugged port is then polled (its path is gone);
			// a child process that exits is restarted no faster than
			// BackoffMin.
			backoff = d.backoffMin
		}
		failed(err)
	}
	d.setState(Stopped, nil)
}

// session runs the driver on one stream and watches it until the driver
// returns. It returns the driver's error.
func (d *supervised) session(ctx context.Context, rwc io.ReadWriteCloser) error {
	done := make(chan error, 1)
	opened := time.Now().UnixNano()
	d.stamp.open(rwc, opened)
	env := Env{Source: d.dev.Source, Sink: d.stamp, Events: d, Clock: ClockFunc(d.stamp.Now)}
	var rw io.ReadWriter = &stream{rw: rwc, st: d.stamp, n: &d.bytes}
	if dl, ok := rwc.(Deadliner); ok {
		rw = deadlineStream{rw.(*stream), dl}
	}
	go func() {
		err := d.dev.Driver.Decode(ctx, rw, env)
		d.stamp.flush()
		done <- err
	}()
	var watchdog *time.Timer
	var wake <-chan time.Time // nil, never ready, for a sporadic device
	if d.quiet > 0 {
		watchdog = time.NewTimer(d.quiet)
		defer watchdog.Stop()
		wake = watchdog.C
	}
	for {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			rwc.Close() // unblocks the driver's Read
			return <-done
		case <-wake:
			now := time.Now().UnixNano()
			last := max(d.lastFrame.Load(), opened)
			if age := time.Duration(now - last); age < d.quiet {
				watchdog.Reset(d.quiet - age)
				continue
			}
			d.setState(Silent, nil, Connecting, Running)
			watchdog.Reset(d.quiet)
		}
	}
}

// stream is what the driver reads: the transport's stream, counting the
// bytes read and telling the stamper when each read starts (the samples of
// the read before are complete) and returns (its receive time).
type stream struct {
	rw io.ReadWriter
	st *stamper
	n  *atomic.Uint64
}

func (s *stream) Read(p []byte) (int, error) {
	s.st.flush()
	n, err := s.rw.Read(p)
	if n > 0 {
		s.n.Add(uint64(n))
	}
	s.st.read()
	return n, err
}

func (s *stream) Write(p []byte) (int, error) { return s.rw.Write(p) }

// deadlineStream is a stream whose transport takes read deadlines: the
// driver finds Deadliner on it, as on the transport.
type deadlineStream struct {
	*stream
	d Deadliner
}

func (s deadlineStream) SetReadDeadline(t time.Time) error { return s.d.SetReadDeadline(t) }

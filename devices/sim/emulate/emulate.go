package emulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// ErrNoEncoder is returned for a driver that is not registered or has no
// encoder yet: its emulation waits for it.
var ErrNoEncoder = errors.New("emulate: driver has no encoder")

// Drivers returns the registered drivers that can be emulated, sorted.
func Drivers() []string {
	var out []string
	for _, n := range devices.Names() {
		d, err := devices.New(n)
		if err != nil {
			continue
		}
		if _, ok := d.(devices.Encoder); ok && len(carried(d)) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// carried returns the simulated channels the driver carries with its
// default options.
func carried(d devices.Driver) map[channel.ID]bool {
	m := map[channel.ID]bool{}
	for _, cs := range devices.Describe(d).Channels {
		m[cs.ID] = true
	}
	return m
}

// Device is one emulated device.
type Device struct {
	Driver   string
	enc      devices.Encoder
	chans    map[channel.ID]bool
	port     devices.PortSettings
	interval int64 // ns between frames (the driver's nominal interval)
	w        io.Writer
	buf      []monitor.Sample
	latest   map[channel.ID]monitor.Sample
	order    []channel.ID // carried channels, in ID order: frames are deterministic
	last     int64        // time of the last frame; math.MinInt64 before the first
	frame    []monitor.Sample
	split    []monitor.Sample
	out      []byte

	// conv is the encoder when its protocol waits for the receiver's
	// answers (ASTM, HL7): each message then goes through a conversation,
	// on the sender goroutine while Run runs (queue), else in Flush.
	conv    devices.Conversant
	ends    []int // where each message of out ends
	queue   chan []byte
	sender  sync.WaitGroup
	abandon atomic.Bool // Run was cancelled: drop what is queued
	statsMu sync.Mutex
	stats   ConversationStats

	// resp is the encoder when the device answers requests (a patient
	// monitor): its dialogues send current, the newest sample of each
	// channel, instead of Flush writing frames.
	resp    devices.Responder
	curMu   sync.Mutex
	current map[channel.ID]monitor.Sample
}

// ConversationStats counts the messages of a device whose protocol waits
// for the receiver's answers (ASTM, HL7).
type ConversationStats struct {
	// Sent: accepted by every receiver. Refused: refused, or not answered
	// in the protocol's time, by one at least (Last says why). Unheard: no
	// receiver was connected. Dropped: the conversations fell behind.
	Sent, Refused, Unheard, Dropped int
	Last                            error
}

// Conversation returns the device's conversation counts. Any goroutine.
func (d *Device) Conversation() ConversationStats {
	d.statsMu.Lock()
	defer d.statsMu.Unlock()
	return d.stats
}

// errNoReceiver: a message was sent while no receiver was connected.
var errNoReceiver = errors.New("emulate: no receiver connected")

// New returns an emulated device for the registered driver, writing to w.
// w may be nil until SetWriter; see Open.
func New(driver string, w io.Writer) (*Device, error) {
	d, err := devices.New(driver)
	if err != nil {
		return nil, fmt.Errorf("emulate: %w: %w", ErrNoEncoder, err)
	}
	enc, ok := d.(devices.Encoder)
	if !ok {
		return nil, fmt.Errorf("emulate: driver %s: %w", driver, ErrNoEncoder)
	}
	ch := carried(d)
	if len(ch) == 0 {
		return nil, fmt.Errorf("emulate: driver %s carries no channel with its default options: %w", driver, ErrNoEncoder)
	}
	desc := devices.Describe(d)
	iv := desc.Interval
	if iv <= 0 {
		iv = devices.DefaultInterval
	}
	dev := &Device{Driver: driver, enc: enc, chans: ch, port: desc.Port, interval: int64(iv), w: w,
		latest: map[channel.ID]monitor.Sample{}, last: math.MinInt64}
	dev.conv, _ = enc.(devices.Conversant)
	dev.resp, _ = enc.(devices.Responder)
	for id := range ch {
		dev.order = append(dev.order, id)
	}
	sort.Slice(dev.order, func(a, b int) bool { return dev.order[a] < dev.order[b] })
	return dev, nil
}

// SetWriter sets where frames go.
func (d *Device) SetWriter(w io.Writer) { d.w = w }

// Carries reports whether the device sends channel id.
func (d *Device) Carries(id channel.ID) bool { return d.chans[id] }

// Put keeps s if the device carries its channel, rounded to the channel's
// display resolution as a device shows it. Samples must come in time order
// (as sim.Case emits them).
func (d *Device) Put(s monitor.Sample) {
	if !d.chans[s.Channel] {
		return
	}
	d.buf = append(d.buf, roundForDisplay(s))
}

// Flush writes the frames due: at the driver's interval, one frame with the
// latest value of every channel that reported since the previous frame
// (what the device has not measured since goes as "no value"). Call it when
// every sample up to the last time has been Put (after each
// Case.AdvanceTo).
//
// A device that answers requests (devices.Responder) writes nothing here:
// Flush keeps the newest samples for its dialogues (Latest).
func (d *Device) Flush() error {
	if d.resp != nil {
		d.keepCurrent()
		return nil
	}
	d.out, d.ends = d.out[:0], d.ends[:0]
	var err error
	for i := 0; i < len(d.buf); {
		t := d.buf[i].Time
		j := i
		for ; j < len(d.buf) && d.buf[j].Time == t; j++ {
			d.latest[d.buf[j].Channel] = d.buf[j]
		}
		i = j
		if d.last != math.MinInt64 && t-d.last < d.interval {
			continue
		}
		d.last = t
		d.frame = d.frame[:0]
		for _, id := range d.order {
			if s, ok := d.latest[id]; ok {
				s.Time = t
				d.frame = append(d.frame, s)
				delete(d.latest, id)
			}
		}
		d.out, err = d.appendFrames(d.out, d.frame)
		if err != nil {
			d.buf = d.buf[:0]
			return fmt.Errorf("emulate: %s: %w", d.Driver, err)
		}
	}
	d.buf = d.buf[:0]
	if len(d.out) == 0 || d.w == nil {
		return nil
	}
	if d.conv != nil {
		start := 0
		for _, end := range d.ends {
			msg := d.out[start:end]
			start = end
			if d.queue == nil {
				if err := d.deliver(msg); err != nil {
					return err
				}
				continue
			}
			select {
			case d.queue <- slices.Clone(msg):
			default:
				d.statsMu.Lock()
				d.stats.Dropped++
				d.statsMu.Unlock()
			}
		}
		return nil
	}
	if _, err := d.w.Write(d.out); err != nil {
		return fmt.Errorf("emulate: %s: %w", d.Driver, err)
	}
	return nil
}

// conversations is a target with several receivers (Broadcaster): f runs
// the conversation with each.
type conversations interface {
	converse(f func(devices.Conn) error) error
}

// deliver sends one message through the protocol's conversation with the
// target's receivers. A receiver that refuses or does not answer is
// counted, not an error: the device goes on with its next message, as an
// analyser does.
func (d *Device) deliver(msg []byte) error {
	talk := func(c devices.Conn) error { return d.conv.Converse(c, msg) }
	var err error
	switch w := d.w.(type) {
	case conversations:
		err = w.converse(talk)
	case devices.Conn:
		err = talk(w)
	default: // a file or buffer: nobody to answer
		_, err = w.Write(msg)
	}
	d.statsMu.Lock()
	defer d.statsMu.Unlock()
	switch {
	case err == nil:
		d.stats.Sent++
	case errors.Is(err, errNoReceiver):
		d.stats.Unheard++
	case errors.Is(err, devices.ErrNotAccepted):
		d.stats.Refused++
		d.stats.Last = err
	default:
		return fmt.Errorf("emulate: %s: %w", d.Driver, err)
	}
	return nil
}

// startSender moves the conversations to a goroutine of their own, so that
// a receiver slow to answer (15 s for ASTM) never holds the other devices
// back; Flush queues the messages, dropping (and counting) them when 16
// are waiting. stopSender ends it after the queued messages.
func (d *Device) startSender() {
	if d.conv == nil {
		return
	}
	q := make(chan []byte, 16) // the goroutine's own: stopSender clears d.queue
	d.queue = q
	d.abandon.Store(false)
	d.sender.Go(func() {
		for msg := range q {
			if d.abandon.Load() {
				continue
			}
			if err := d.deliver(msg); err != nil { // the target failed
				d.statsMu.Lock()
				d.stats.Refused++
				d.stats.Last = err
				d.statsMu.Unlock()
			}
		}
	})
}

// stopSender ends the sender goroutine: after the queued conversations,
// or, when abandon, after the one in progress, without waiting for it
// (closing the target ends it at once; Wait waits for it).
func (d *Device) stopSender(abandon bool) {
	if d.queue == nil {
		return
	}
	d.abandon.Store(abandon)
	close(d.queue)
	if !abandon {
		d.sender.Wait()
	}
	d.queue = nil
}

// Wait waits for a conversation Run left in progress when it was
// cancelled (close the target first to end it at once).
func (d *Device) Wait() { d.sender.Wait() }

// appendFrames encodes samples of one time as one frame; an encoder that
// refuses that (some protocols carry one channel group or one quality per
// frame) gets one frame per run of group and quality instead.
func (d *Device) appendFrames(dst []byte, ss []monitor.Sample) ([]byte, error) {
	out, err := d.enc.AppendFrame(dst, ss)
	if err == nil {
		d.ends = append(d.ends, len(out))
		return out, nil
	}
	d.split = d.split[:0]
	d.split = append(d.split, ss...)
	sort.SliceStable(d.split, func(a, b int) bool {
		ga, gb := channel.Get(d.split[a].Channel).Group(), channel.Get(d.split[b].Channel).Group()
		if ga != gb {
			return ga < gb
		}
		return d.split[a].Quality < d.split[b].Quality
	})
	for i := 0; i < len(d.split); {
		g, q := channel.Get(d.split[i].Channel).Group(), d.split[i].Quality
		j := i + 1
		for j < len(d.split) && channel.Get(d.split[j].Channel).Group() == g && d.split[j].Quality == q {
			j++
		}
		dst, err = d.enc.AppendFrame(dst, d.split[i:j])
		if err != nil {
			return dst, err
		}
		d.ends = append(d.ends, len(dst))
		i = j
	}
	return dst, nil
}

// Open opens a target for d: "tcp:HOST:PORT" listens there and sends to
// every client that connects (the console dials the device, as it would a
// serial-to-Ethernet converter); anything else is a serial port path,
// opened with the driver's factory settings (a pty ignores them). A device
// that answers requests (devices.Responder) gets a *Responding instead,
// which also takes "udp:HOST:PORT".
func Open(d *Device, target string) (io.WriteCloser, error) {
	if d.resp != nil {
		return openResponder(d, target)
	}
	if addr, ok := strings.CutPrefix(target, "tcp:"); ok {
		return Listen(addr)
	}
	p := d.port
	if p.Baud == 0 {
		p.Baud = 9600
	}
	sp, err := transport.OpenSerial(transport.Serial{Port: target, Baud: p.Baud, DataBits: p.DataBits,
		Parity: p.Parity, StopBits: p.StopBits, Flow: p.Flow})
	if err != nil {
		return nil, fmt.Errorf("emulate: %s on %s: %w", d.Driver, target, err)
	}
	return sp, nil
}

// Broadcaster is a TCP listener that writes to every connected client. A
// client that fails a write is dropped. Write never blocks on accept.
type Broadcaster struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

// Listen listens on addr ("127.0.0.1:0" picks a port; see Addr).
func Listen(addr string) (*Broadcaster, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulate: %w", err)
	}
	b := &Broadcaster{ln: ln, done: make(chan struct{})}
	go b.accept()
	return b, nil
}

// Addr is the listening address.
func (b *Broadcaster) Addr() string { return b.ln.Addr().String() }

func (b *Broadcaster) accept() {
	defer close(b.done)
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
	}
}

// Clients returns how many clients are connected.
func (b *Broadcaster) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// Write sends p to every client; it never fails (no client is not an error).
func (b *Broadcaster) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := b.conns[:0]
	for _, c := range b.conns {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second)) // I/O deadline: a stuck client is dropped
		if _, err := c.Write(p); err != nil {
			c.Close()
			continue
		}
		keep = append(keep, c)
	}
	b.conns = keep
	return len(p), nil
}

// converse runs f with every client in turn; a client whose connection
// fails is dropped. It returns the refusals (devices.ErrNotAccepted).
func (b *Broadcaster) converse(f func(devices.Conn) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.conns) == 0 {
		return errNoReceiver
	}
	keep := b.conns[:0]
	var refused []error
	for _, c := range b.conns {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second)) // I/O deadline: a stuck client is dropped
		err := f(c)
		if err != nil && !errors.Is(err, devices.ErrNotAccepted) {
			c.Close()
			continue
		}
		if err != nil {
			refused = append(refused, err)
		}
		keep = append(keep, c)
	}
	b.conns = keep
	return errors.Join(refused...)
}

// Close stops listening and disconnects every client.
func (b *Broadcaster) Close() error {
	err := b.ln.Close()
	<-b.done
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	return err
}

// Run advances c in step with clk (speed case seconds per clock second,
// from the clock's time when Run starts) every tick, feeding devs, until
// ctx is done or the case reaches until (zero: no end). It returns the first
// write error, or nil.
//
// Devices whose protocol waits for the receiver (ASTM, HL7) converse on a
// goroutine each, so that a receiver slow to answer holds no other device
// back. At until, Run waits for their queued messages; when ctx ends it
// drops them and leaves the conversation in progress to end when its
// target is closed (Device.Wait waits for it).
func Run(ctx context.Context, c *sim.Case, devs []*Device, clk clock.Clock, speed float64, tick time.Duration, until time.Time) error {
	if speed <= 0 {
		speed = 1
	}
	t0 := clk.Now()
	emit := func(_ sim.Source, s monitor.Sample) {
		for _, d := range devs {
			d.Put(s)
		}
	}
	for _, d := range devs {
		d.startSender()
	}
	defer func() {
		for _, d := range devs {
			d.stopSender(ctx.Err() != nil)
		}
	}()
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		at := c.Start().Add(time.Duration(float64(clk.Now().Sub(t0)) * speed))
		end := !until.IsZero() && !at.Before(until)
		if end {
			at = until
		}
		c.AdvanceTo(at, emit)
		for _, d := range devs {
			if err := d.Flush(); err != nil {
				return err
			}
		}
		if end {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}

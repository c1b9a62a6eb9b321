package emulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// keepCurrent records the newest sample of each carried channel for a
// responder's dialogues, in place of writing frames.
func (d *Device) keepCurrent() {
	d.curMu.Lock()
	defer d.curMu.Unlock()
	if d.current == nil {
		d.current = map[channel.ID]monitor.Sample{}
	}
	for _, s := range d.buf {
		d.current[s.Channel] = s
	}
	d.buf = d.buf[:0]
}

// Latest appends the newest sample of every channel the device carries, in
// channel order, to dst. Any goroutine; it is what a responder's dialogue
// sends (devices.Responder).
func (d *Device) Latest(dst []monitor.Sample) []monitor.Sample {
	d.curMu.Lock()
	defer d.curMu.Unlock()
	for _, id := range d.order {
		if s, ok := d.current[id]; ok {
			dst = append(dst, s)
		}
	}
	return dst
}

// Responds reports whether the device answers requests (a patient monitor's
// dialogue) rather than sending frames on its own.
func (d *Device) Responds() bool { return d.resp != nil }

// Responding is the target of a device that answers requests: the
// dialogues it runs until closed. Write discards (the dialogues send what
// the device sends); Close ends every dialogue and waits for them.
type Responding struct {
	addr   string
	cancel context.CancelFunc
	close  func() error
	wg     sync.WaitGroup
}

// Addr is the target as opened, with the port chosen when it was :0.
func (r *Responding) Addr() string { return r.addr }

// Write discards p: a responder's bytes go out through its dialogues.
func (r *Responding) Write(p []byte) (int, error) { return len(p), nil }

// Close ends the dialogues and closes the socket or port.
func (r *Responding) Close() error {
	r.cancel()
	err := r.close()
	r.wg.Wait()
	return err
}

// openResponder starts the device's dialogues on target: "tcp:HOST:PORT"
// answers every client that connects, each on its own connection;
// "udp:HOST:PORT" binds there and answers whoever sends to it (one
// dialogue, as a monitor's data export port); anything else is a serial
// port path opened with the driver's factory settings. A dialogue that
// ends while the target is open (the console went away, or sent what
// ends it) is started again: the device keeps listening.
func openResponder(d *Device, target string) (*Responding, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Responding{addr: target, cancel: cancel}
	serve := func(c devices.Conn) {
		for ctx.Err() == nil {
			err := d.resp.Respond(ctx, c, d.Latest)
			if ctx.Err() != nil || isClosed(err) {
				return
			}
			// The dialogue ended on its own: wait a little, as a device
			// between sessions, and listen again.
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	switch {
	case strings.HasPrefix(target, "tcp:"):
		ln, err := net.Listen("tcp", strings.TrimPrefix(target, "tcp:"))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("emulate: %s: %w", d.Driver, err)
		}
		r.addr = "tcp:" + ln.Addr().String()
		var mu sync.Mutex
		conns := map[net.Conn]bool{}
		r.close = func() error {
			err := ln.Close()
			mu.Lock()
			for c := range conns {
				c.Close()
			}
			mu.Unlock()
			return err
		}
		r.wg.Go(func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns[c] = true
				mu.Unlock()
				r.wg.Go(func() {
					defer func() {
						mu.Lock()
						delete(conns, c)
						mu.Unlock()
						c.Close()
					}()
					// A TCP dialogue is the connection's: it ends with it.
					d.resp.Respond(ctx, c, d.Latest)
				})
			}
		})
	case strings.HasPrefix(target, "udp:"):
		pc, err := net.ListenPacket("udp", strings.TrimPrefix(target, "udp:"))
		if err != nil {
			cancel()
			return nil, fmt.Errorf("emulate: %s: %w", d.Driver, err)
		}
		r.addr = "udp:" + pc.LocalAddr().String()
		r.close = pc.Close
		c := &packetPeer{pc: pc.(*net.UDPConn), buf: make([]byte, 64<<10)}
		r.wg.Go(func() { serve(c) })
	default:
		p := d.port
		if p.Baud == 0 {
			p.Baud = 9600
		}
		sp, err := transport.OpenSerial(transport.Serial{Port: target, Baud: p.Baud, DataBits: p.DataBits,
			Parity: p.Parity, StopBits: p.StopBits, Flow: p.Flow, ReadTimeout: 50 * time.Millisecond})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("emulate: %s on %s: %w", d.Driver, target, err)
		}
		r.close = sp.Close
		r.wg.Go(func() { serve(sp) })
	}
	return r, nil
}

// isClosed reports whether err means the target was closed (ours, or the
// port gone for good), after which no dialogue can start again.
func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, transport.ErrClosed) ||
		errors.Is(err, transport.ErrDisconnected) || errors.Is(err, io.EOF)
}

// packetPeer is a bound UDP socket seen as a connection to whoever sent
// the latest datagram: a Read returns one whole datagram (cut to len(p)),
// a Write goes to that sender.
type packetPeer struct {
	pc   *net.UDPConn
	buf  []byte
	mu   sync.Mutex
	peer *net.UDPAddr
}

func (c *packetPeer) Read(p []byte) (int, error) {
	n, addr, err := c.pc.ReadFromUDP(c.buf)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.peer = addr
	c.mu.Unlock()
	return copy(p, c.buf[:n]), nil
}

func (c *packetPeer) Write(p []byte) (int, error) {
	c.mu.Lock()
	addr := c.peer
	c.mu.Unlock()
	if addr == nil {
		return 0, transport.ErrNoPeer
	}
	return c.pc.WriteToUDP(p, addr)
}

func (c *packetPeer) SetReadDeadline(t time.Time) error { return c.pc.SetReadDeadline(t) }

// roundForDisplay rounds an ok value to its channel's display resolution,
// as a device shows it.
func roundForDisplay(s monitor.Sample) monitor.Sample {
	if s.Quality == channel.OK && !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
		p := math.Pow10(int(channel.Get(s.Channel).Precision))
		s.Value = math.Round(s.Value*p) / p
	}
	return s
}

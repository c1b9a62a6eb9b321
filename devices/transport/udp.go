package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// UDP receives datagrams on a bound address (127.0.0.1 unless Addr names
// another host) and presents them as a stream. Writes go to Remote, or to
// the sender of the latest datagram when Remote is empty.
type UDP struct {
	Addr   string
	Remote string
}

// Open binds the address.
func (u *UDP) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", bindAddr(u.Addr))
	if err != nil {
		return nil, fmt.Errorf("transport: udp %s: %w", u.Addr, err)
	}
	c := &UDPConn{conn: pc.(*net.UDPConn), buf: make([]byte, 64<<10)}
	if u.Remote != "" {
		ra, err := net.ResolveUDPAddr("udp", u.Remote)
		if err != nil {
			pc.Close()
			return nil, fmt.Errorf("transport: udp remote %s: %w", u.Remote, err)
		}
		c.fixed = true
		c.peer.Store(ra)
	}
	return c, nil
}

// Close does nothing: each Open binds anew.
func (u *UDP) Close() error { return nil }

func (u *UDP) String() string { return "udp " + bindAddr(u.Addr) }

// UDPConn is a bound UDP socket read as a stream of datagram payloads. A
// datagram is never cut by a short read buffer: its bytes are kept until
// read.
type UDPConn struct {
	conn    *net.UDPConn
	buf     []byte
	pending []byte
	fixed   bool
	peer    atomic.Pointer[net.UDPAddr]
}

// Read returns the bytes of the current datagram, waiting for the next one
// when it is used up.
func (c *UDPConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		n, addr, err := c.conn.ReadFromUDP(c.buf)
		if err != nil {
			return 0, err
		}
		if !c.fixed {
			c.peer.Store(addr)
		}
		c.pending = c.buf[:n]
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// ErrNoPeer is returned by UDPConn.Write before any datagram came in and
// with no Remote configured.
var ErrNoPeer = errors.New("udp: no peer to write to yet")

// Write sends p as one datagram.
func (c *UDPConn) Write(p []byte) (int, error) {
	addr := c.peer.Load()
	if addr == nil {
		return 0, ErrNoPeer
	}
	return c.conn.WriteToUDP(p, addr)
}

// SetReadDeadline makes a Read waiting for a datagram past t fail with
// os.ErrDeadlineExceeded (devices.Deadliner); the zero t clears it.
func (c *UDPConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// LocalAddr returns the bound address.
func (c *UDPConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Close closes the socket, unblocking a pending Read (ErrClosed).
func (c *UDPConn) Close() error { return c.conn.Close() }

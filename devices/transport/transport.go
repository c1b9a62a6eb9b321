package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/pumpside/pumpside/devices"
)

// ErrDisconnected is matched by errors for a stream the peer ended.
var ErrDisconnected = errors.New("device disconnected")

// ErrClosed is returned by Read and Write after our own Close. It is
// net.ErrClosed, so closed sockets match it too.
var ErrClosed = net.ErrClosed

// Opener opens a device's stream, again after every disconnect; it is
// devices.Opener, declared there so that the Supervisor needs no transport.
type Opener = devices.Opener

// Config selects and configures a transport, as written in a device's config
// file.
type Config struct {
	// Type is "serial", "tcp" (we dial), "tcp-listen" (the device dials us),
	// "udp" or "capture".
	Type string `toml:"type"`
	// Serial settings; see Serial.
	Port     string `toml:"port"`
	Baud     int    `toml:"baud"`
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`
	StopBits string `toml:"stop_bits"`
	Flow     string `toml:"flow"`
	// Addr is the address to dial (tcp) or to bind (tcp-listen, udp). A
	// bind address without a host binds 127.0.0.1.
	Addr string `toml:"addr"`
	// Remote is where UDP writes go; empty means the last sender.
	Remote string `toml:"remote"`
	// File is the capture to play back; Realtime keeps its original timing.
	File     string `toml:"file"`
	Realtime bool   `toml:"realtime"`
}

// New returns the Opener cfg describes. Errors wrap devices.ErrConfig.
func New(cfg Config) (Opener, error) {
	var o Opener
	switch cfg.Type {
	case "serial":
		s := &Serial{Port: cfg.Port, Baud: cfg.Baud, DataBits: cfg.DataBits, Parity: cfg.Parity, StopBits: cfg.StopBits, Flow: cfg.Flow}
		if _, err := s.mode(); err != nil {
			return nil, err
		}
		o = s
	case "tcp":
		o = &TCPClient{Addr: cfg.Addr}
	case "tcp-listen":
		o = &TCPServer{Addr: cfg.Addr}
	case "udp":
		o = &UDP{Addr: cfg.Addr, Remote: cfg.Remote}
	case "capture":
		o = &Playback{File: cfg.File, Realtime: cfg.Realtime}
	default:
		return nil, fmt.Errorf("transport: unknown type %q (want serial, tcp, tcp-listen, udp or capture): %w", cfg.Type, devices.ErrConfig)
	}
	if cfg.Type != "serial" && cfg.Type != "capture" && cfg.Addr == "" {
		return nil, fmt.Errorf("transport %s: addr is required: %w", cfg.Type, devices.ErrConfig)
	}
	return o, nil
}

// bindAddr completes a bind address: a bare port or ":port" binds
// 127.0.0.1, so a device port is never exposed to the network by default.
func bindAddr(addr string) string {
	if !strings.Contains(addr, ":") {
		return "127.0.0.1:" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// TCPClient dials a device (an analyser or a serial-to-Ethernet server).
type TCPClient struct {
	Addr string
	// DialTimeout bounds one connection attempt; 0 means 2 s. A device
	// on the local network answers in milliseconds; a short attempt that
	// is repeated every poll (the Supervisor polls an unanswered address)
	// reconnects sooner after the device returns than a long one waiting
	// on the kernel's SYN retransmissions (1 s, then 3 s, ...).
	DialTimeout time.Duration
}

// Open dials Addr.
func (c *TCPClient) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	d := net.Dialer{Timeout: c.DialTimeout, KeepAlive: 15 * time.Second}
	if d.Timeout == 0 {
		d.Timeout = 2 * time.Second
	}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		if unanswered(err) {
			return nil, fmt.Errorf("tcp %s: %w: %w", c.Addr, devices.ErrAbsent, err)
		}
		return nil, err
	}
	return &tcpConn{Conn: conn}, nil
}

// unanswered reports whether a dial failed because nothing answers at the
// address now (refused, unreachable, timed out), as when the device or its
// serial server is off: the Supervisor then polls rather than backing off.
// A name that does not resolve is not among them.
func unanswered(err error) bool {
	var ne net.Error
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne) && ne.Timeout()
}

// Close does nothing: a client holds nothing between connections.
func (c *TCPClient) Close() error { return nil }

func (c *TCPClient) String() string { return "tcp " + c.Addr }

// TCPServer listens for a device that connects to us, one connection at a
// time. It binds 127.0.0.1 unless Addr names another host.
type TCPServer struct {
	Addr string
	ln   *net.TCPListener
}

// Listen binds the server's address now rather than at the first Open, so
// that the address (with the port the system chose for ":0") is known.
func (s *TCPServer) Listen() error {
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", bindAddr(s.Addr))
	if err != nil {
		return fmt.Errorf("transport: listen %s: %w", s.Addr, err)
	}
	s.ln = ln.(*net.TCPListener)
	return nil
}

// ListenAddr returns the bound address, or nil before Listen.
func (s *TCPServer) ListenAddr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Open waits for the next client.
func (s *TCPServer) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if err := s.Listen(); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { s.ln.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn, err := s.ln.AcceptTCP()
	if err != nil {
		if ctx.Err() != nil {
			s.ln.SetDeadline(time.Time{})
			return nil, ctx.Err()
		}
		return nil, err
	}
	conn.SetKeepAlivePeriod(15 * time.Second)
	return &tcpConn{Conn: conn}, nil
}

// Close stops listening.
func (s *TCPServer) Close() error {
	if s.ln == nil {
		return nil
	}
	return s.ln.Close()
}

func (s *TCPServer) String() string { return "tcp-listen " + bindAddr(s.Addr) }

// tcpConn maps a peer's hang-up to ErrDisconnected.
type tcpConn struct{ net.Conn }

func (c *tcpConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF || (err != nil && !errors.Is(err, net.ErrClosed) && isReset(err)) {
		err = fmt.Errorf("tcp %s: %w: %w", c.RemoteAddr(), ErrDisconnected, err)
	}
	return n, err
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"

	"github.com/pumpside/pumpside/devices"
)

// Serial opens a serial port. Zero fields take the defaults noted.
type Serial struct {
	// Port is the device path, e.g. /dev/ttyUSB0.
	Port string
	// Baud is required.
	Baud int
	// DataBits is 5..8; 0 means 8.
	DataBits int
	// Parity is "none" (default), "odd", "even", "mark" or "space".
	Parity string
	// StopBits is "1" (default), "1.5" or "2".
	StopBits string
	// Flow is "none" (default), "rts/cts" or "xon/xoff". Hardware and
	// software flow control are set through termios, on Linux only.
	Flow string
	// ReadTimeout is how long one read waits before the port checks that it
	// is still open; 0 means 500 ms. Data is returned as soon as it comes.
	ReadTimeout time.Duration
}

func (s *Serial) mode() (*serial.Mode, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("serial %s: "+format+": %w", append(append([]any{s.Port}, a...), devices.ErrConfig)...)
	}
	if s.Port == "" {
		return nil, bad("port is required")
	}
	m := &serial.Mode{BaudRate: s.Baud, DataBits: s.DataBits}
	if m.BaudRate <= 0 {
		return nil, bad("baud must be positive, not %d", s.Baud)
	}
	if m.DataBits == 0 {
		m.DataBits = 8
	}
	if m.DataBits < 5 || m.DataBits > 8 {
		return nil, bad("data bits must be 5..8, not %d", s.DataBits)
	}
	switch s.Parity {
	case "", "none":
		m.Parity = serial.NoParity
	case "odd":
		m.Parity = serial.OddParity
	case "even":
		m.Parity = serial.EvenParity
	case "mark":
		m.Parity = serial.MarkParity
	case "space":
		m.Parity = serial.SpaceParity
	default:
		return nil, bad("parity must be none, odd, even, mark or space, not %q", s.Parity)
	}
	switch s.StopBits {
	case "", "1":
		m.StopBits = serial.OneStopBit
	case "1.5":
		m.StopBits = serial.OnePointFiveStopBits
	case "2":
		m.StopBits = serial.TwoStopBits
	default:
		return nil, bad("stop bits must be 1, 1.5 or 2, not %q", s.StopBits)
	}
	switch s.Flow {
	case "", "none", "rts/cts", "xon/xoff":
	default:
		return nil, bad("flow must be none, rts/cts or xon/xoff, not %q", s.Flow)
	}
	// InitialStatusBits stays nil: setting modem bits fails on ptys and on
	// adapters without modem lines, and the library's default (DTR and RTS
	// on) is what devices expect.
	return m, nil
}

// Open opens the port.
func (s *Serial) Open(context.Context) (io.ReadWriteCloser, error) { return OpenSerial(*s) }

// Close does nothing: the Opener holds nothing between ports.
func (s *Serial) Close() error { return nil }

func (s *Serial) String() string { return "serial " + s.Port }

// SerialPort is an open serial port.
type SerialPort struct {
	port     serial.Port
	name     string
	closed   atomic.Bool
	deadline atomic.Int64 // Unix ns; 0 for none
}

// SetReadDeadline makes a Read that has no data by t fail with
// os.ErrDeadlineExceeded (zero t: no deadline). It is checked at each of
// the port's read timeouts, so it may pass by up to one ReadTimeout.
func (s *SerialPort) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		s.deadline.Store(0)
	} else {
		s.deadline.Store(t.UnixNano())
	}
	return nil
}

// OpenSerial opens and configures a serial port.
func OpenSerial(cfg Serial) (*SerialPort, error) {
	mode, err := cfg.mode()
	if err != nil {
		return nil, err
	}
	var p serial.Port
	err = withFlowControl(cfg.Port, cfg.Flow, func() error {
		var err error
		p, err = serial.Open(cfg.Port, mode)
		return err
	})
	if err != nil {
		if p != nil {
			p.Close()
		}
		if absent(err) {
			// The adapter is unplugged (its device node is gone) or the
			// pty's other end has not been created again: the Supervisor
			// polls for it rather than backing off.
			return nil, fmt.Errorf("serial %s: %w: %w", cfg.Port, devices.ErrAbsent, err)
		}
		return nil, fmt.Errorf("serial %s: %w", cfg.Port, err)
	}
	timeout := cfg.ReadTimeout
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	if err := p.SetReadTimeout(max(timeout, 10*time.Millisecond)); err != nil {
		p.Close()
		return nil, fmt.Errorf("serial %s: %w", cfg.Port, err)
	}
	return &SerialPort{port: p, name: cfg.Port}, nil
}

// absent reports whether an open failed because the port is not there:
// no such file (an unplugged USB adapter's node, a dangling pty link), no
// such device or address.
func absent(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO)
}

// Read returns at least one byte, or an error: ErrClosed after Close,
// ErrDisconnected (with the library's PortError) when the port went away
// without our Close. A read timeout is neither data nor the end: Read waits
// again, so a quiet device costs one wake-up per ReadTimeout, never a spin;
// past a deadline set by SetReadDeadline it fails instead.
func (s *SerialPort) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := s.port.Read(p)
		if s.closed.Load() {
			// Our Close: the library reports it with the same PortClosed
			// code as an unplugged port, so the flag tells them apart.
			return n, ErrClosed
		}
		if err != nil {
			var pe *serial.PortError
			if errors.As(err, &pe) && pe.Code() == serial.PortClosed ||
				// The other end gone: a pty whose master closed, or a USB
				// adapter pulled out, fails reads with EIO (or ENXIO,
				// ENODEV) rather than PortClosed, depending on timing.
				errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV) {
				return n, fmt.Errorf("serial %s: %w: %w", s.name, ErrDisconnected, err)
			}
			return n, fmt.Errorf("serial %s: %w", s.name, err)
		}
		if n > 0 {
			return n, nil
		}
		if d := s.deadline.Load(); d != 0 && time.Now().UnixNano() >= d {
			return 0, fmt.Errorf("serial %s: %w", s.name, os.ErrDeadlineExceeded)
		}
	}
}

// Write writes p.
func (s *SerialPort) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	n, err := s.port.Write(p)
	if err != nil {
		if s.closed.Load() {
			return n, ErrClosed
		}
		return n, fmt.Errorf("serial %s: %w: %w", s.name, ErrDisconnected, err)
	}
	return n, nil
}

// Close closes the port and unblocks a pending Read, which returns
// ErrClosed. It may be called from any goroutine, more than once.
func (s *SerialPort) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.port.Close()
}

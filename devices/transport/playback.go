package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/capture"
)

// Playback plays a capture file back as a device, from its start at every
// Open.
type Playback struct {
	File string
	// Realtime keeps the capture's timing: each record is returned when as
	// much time has passed since the first one as had in the recording.
	// Otherwise records come as fast as they are read.
	Realtime bool
}

// Open opens the file.
func (p *Playback) Open(context.Context) (io.ReadWriteCloser, error) {
	f, err := os.Open(p.File)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w: %w", err, devices.ErrConfig)
		}
		return nil, fmt.Errorf("transport: capture: %w", err)
	}
	cr, err := NewCaptureReader(f, p.Realtime)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("transport: %s: %w: %w", p.File, err, devices.ErrConfig)
	}
	return cr, nil
}

// Close does nothing.
func (p *Playback) Close() error { return nil }

func (p *Playback) String() string { return "capture " + p.File }

// CaptureReader reads the bytes of a capture, record by record, and knows
// when each was received: it is a devices.ReceiveTimer, so samples decoded
// from it carry the capture's receive times.
type CaptureReader struct {
	rd       *capture.Reader
	c        io.Closer
	pending  []byte
	t        int64
	realtime bool
	first    int64
	start    time.Time
	started  bool
	done     chan struct{}
	once     sync.Once
}

// NewCaptureReader reads a capture from r, which Close closes if it is an
// io.Closer.
func NewCaptureReader(r io.Reader, realtime bool) (*CaptureReader, error) {
	rd, err := capture.NewReader(r)
	if err != nil {
		return nil, err
	}
	c, _ := r.(io.Closer)
	return &CaptureReader{rd: rd, c: c, realtime: realtime, done: make(chan struct{})}, nil
}

// Header returns the capture's header.
func (c *CaptureReader) Header() capture.Header { return c.rd.Header() }

// Read returns bytes of one record at most, so the receive time of
// everything returned is ReceiveTime. At the end it returns io.EOF, or the
// capture's *capture.CorruptError.
func (c *CaptureReader) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		select {
		case <-c.done:
			return 0, ErrClosed
		default:
		}
		rec, err := c.rd.Next()
		if err != nil {
			select {
			case <-c.done:
				return 0, ErrClosed
			default:
			}
			return 0, err
		}
		if c.realtime {
			if !c.started {
				c.started, c.first, c.start = true, rec.Time, time.Now()
			} else if wait := time.Until(c.start.Add(time.Duration(rec.Time - c.first))); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return 0, ErrClosed
				}
			}
		}
		c.pending, c.t = rec.Data, rec.Time
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// ReceiveTime returns the receive time, Unix ns, of the bytes last returned
// by Read. Call it from the reading goroutine.
func (c *CaptureReader) ReceiveTime() int64 { return c.t }

// Write discards p: nobody is listening on a recording.
func (c *CaptureReader) Write(p []byte) (int, error) { return len(p), nil }

// Close stops playback; a pending or later Read returns ErrClosed.
func (c *CaptureReader) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		if c.c != nil {
			err = c.c.Close()
		}
	})
	return err
}

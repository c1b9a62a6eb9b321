package framing

import (
	"bytes"
	"context"
	"io"

	"github.com/pumpside/pumpside/devices"
)

// maxEmptyReads is how many (0, nil) reads in a row Lines accepts before
// failing with io.ErrNoProgress. Pumpside's transports never return (0, nil);
// this guards against a broken io.Reader making the decoder spin.
const maxEmptyReads = 100

// Lines splits a stream into lines ended by CR, LF or CR LF. Empty lines are
// skipped, so a CR LF pair is one terminator whether or not a read splits it.
type Lines struct {
	r          io.Reader
	driver     string
	buf        []byte
	r0, w      int   // unread bytes are buf[r0:w]
	base       int64 // stream offset of buf[0]
	discarding bool
	err        error // sticky read error, returned once buffered lines are out
	bad        devices.FrameError
}

// NewLines returns a line framer reading r whose lines hold at most max
// bytes (terminator excluded). driver names the protocol in errors. The
// framer allocates its max+1 byte buffer once.
func NewLines(r io.Reader, driver string, max int) *Lines {
	if max < 1 {
		panic("framing: NewLines with max < 1")
	}
	return &Lines{r: r, driver: driver, buf: make([]byte, max+1)}
}

// Reset makes l read from r from offset 0, keeping its buffer.
func (l *Lines) Reset(r io.Reader) {
	l.r, l.r0, l.w, l.base, l.discarding, l.err = r, 0, 0, 0, false, nil
}

// Next returns the next non-empty line without its terminator, and the
// stream offset of its first byte. The line is valid until the next call.
//
// A line longer than max is skipped: Next returns a *devices.FrameError with
// ReasonOversize once, as soon as the line passes max bytes, and then drops
// the rest of it without buffering. When the stream ends inside a line, Next
// returns a FrameError with ReasonTruncated for the partial line. A returned
// FrameError is valid until the next call; decoding continues after it. Any
// other error is the reader's (io.EOF at the end) and is returned from then
// on.
func (l *Lines) Next() (line []byte, offset int64, err error) {
	empty := 0
	for {
		if l.r0 < l.w {
			b := l.buf[l.r0:l.w]
			i := terminator(b)
			switch {
			case l.discarding && i < 0:
				l.r0 = l.w
			case l.discarding:
				l.r0 += i + 1
				l.discarding = false
				continue
			case i == 0:
				l.r0++
				continue
			case i > 0:
				off := l.base + int64(l.r0)
				l.r0 += i + 1
				return b[:i], off, nil
			case len(b) > len(l.buf)-1:
				off := l.base + int64(l.r0)
				l.r0 = l.w
				l.discarding = true
				return nil, off, l.frameError(off, b, devices.ReasonOversize)
			}
		}
		if l.err != nil {
			if l.r0 < l.w && !l.discarding {
				off := l.base + int64(l.r0)
				b := l.buf[l.r0:l.w]
				l.r0 = l.w
				return nil, off, l.frameError(off, b, devices.ReasonTruncated)
			}
			return nil, l.base + int64(l.w), l.err
		}
		if l.r0 > 0 {
			n := copy(l.buf, l.buf[l.r0:l.w])
			l.base += int64(l.r0)
			l.r0, l.w = 0, n
		}
		n, err := l.r.Read(l.buf[l.w:])
		if n < 0 || n > len(l.buf)-l.w {
			n, err = 0, io.ErrShortBuffer // a broken reader: fail rather than panic
		}
		l.w += n
		switch {
		case err != nil:
			l.err = err
		case n == 0:
			empty++
			if empty >= maxEmptyReads {
				l.err = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// Read is the loop every line driver starts with: it returns the next
// line, reporting the bad frames the framing finds (oversize, truncated)
// to ev on the way. Its error is ctx's when ctx is done, else the stream's
// (io.EOF, or the transport's).
func (l *Lines) Read(ctx context.Context, ev devices.Events) (line []byte, offset int64, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		line, offset, err = l.Next()
		if fe, ok := err.(*devices.FrameError); ok {
			ev.FrameBad(fe)
			continue
		}
		return line, offset, err
	}
}

// Offset returns the stream offset of the next unread byte.
func (l *Lines) Offset() int64 { return l.base + int64(l.r0) }

func (l *Lines) frameError(off int64, b []byte, r devices.Reason) *devices.FrameError {
	l.bad = devices.FrameError{Driver: l.driver, Offset: off, Size: int64(len(b)), Reason: r, Raw: devices.RawHead(b)}
	return &l.bad
}

// terminator returns the index of the first CR or LF in b, or -1.
func terminator(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	head := b
	if i >= 0 {
		head = b[:i]
	}
	if j := bytes.IndexByte(head, '\r'); j >= 0 {
		return j
	}
	return i
}

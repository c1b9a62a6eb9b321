package generic

import (
	"bytes"
	"io"

	"github.com/pumpside/pumpside/devices"
)

// maxEmptyReads is how many (0, nil) reads in a row the framer accepts
// before failing with io.ErrNoProgress.
const maxEmptyReads = 100

type fstate uint8

const (
	stIdle    fstate = iota // stx_etx: outside a frame
	stFrame                 // in a frame
	stEscaped               // stx_etx: after the escape byte
	stTrailer               // stx_etx: reading the check after the end byte
	stDiscard               // an over-long frame: skipping to its end
)

// framer splits a stream into frames by a compiled config, one byte at a
// time, with a fixed buffer: a line ends with its terminator (or CR/LF); an
// stx_etx frame runs from the start byte to the end byte, unescaped, with
// an optional check after the end byte. Bytes outside stx_etx frames are
// reported as one bad frame per run. A frame is valid until the next call.
type framer struct {
	k      *compiled
	max    int
	r      io.Reader
	rbuf   []byte
	rpos   int
	rn     int
	base   int64 // stream offset of rbuf[0]
	err    error
	st     fstate
	buf    []byte // frame content, unescaped (line: with the terminator)
	tail   []byte // stx_etx check after the end byte
	off    int64  // stream offset of the frame's first byte
	win    []byte // last bytes seen while discarding a line
	junk   int64  // stx_etx: bytes outside frames since junkOff
	jOff   int64
	jOver  bool
	trailN int
	bad    devices.FrameError
}

func newFramer(k *compiled, max int, r io.Reader) *framer {
	f := &framer{k: k, max: max, r: r, rbuf: make([]byte, 4096), buf: make([]byte, 0, max+len(k.term)), win: make([]byte, 0, 8)}
	if k.afterEnd {
		f.trailN = k.check.Width()
		if k.hexCheck {
			f.trailN *= 2
		}
		f.tail = make([]byte, 0, f.trailN)
	}
	return f
}

func (f *framer) reset(r io.Reader) {
	f.r, f.rpos, f.rn, f.base, f.err = r, 0, 0, 0, nil
	f.st, f.buf, f.tail, f.win, f.junk, f.jOver = stIdle, f.buf[:0], f.tail[:0], f.win[:0], 0, false
	if f.k.line {
		f.st = stFrame
	}
}

// next returns the next frame: its content (for stx_etx without the start
// and end bytes, unescaped), the check bytes that followed the end byte,
// its stream offset and raw size. A *devices.FrameError reports a bad frame
// (oversize, truncated, or bytes outside frames) and is valid until the
// next call; any other error is the reader's.
func (f *framer) next() (content, trailer []byte, off int64, size int64, err error) {
	empty := 0
	for {
		for f.rpos < f.rn {
			if f.k.line && len(f.k.term) == 0 {
				done, err := f.fastLine()
				if err != nil {
					return nil, nil, f.bad.Offset, f.bad.Size, err
				}
				if done {
					return f.content(), nil, f.off, f.base + int64(f.rpos) - f.off, nil
				}
				continue
			}
			if !f.k.line && (f.st == stIdle || f.st == stDiscard) {
				moved, err := f.skip()
				if err != nil {
					return nil, nil, f.bad.Offset, f.bad.Size, err
				}
				if moved {
					continue
				}
			}
			b := f.rbuf[f.rpos]
			pos := f.base + int64(f.rpos)
			f.rpos++
			var done bool
			if f.k.line {
				done, err = f.line(b, pos)
			} else {
				done, err = f.stx(b, pos)
			}
			if err != nil {
				return nil, nil, f.bad.Offset, f.bad.Size, err
			}
			if done {
				return f.content(), f.tail, f.off, pos - f.off + 1, nil
			}
		}
		if f.err != nil {
			return nil, nil, 0, 0, f.end()
		}
		f.base += int64(f.rn)
		f.rpos = 0
		n, rerr := f.r.Read(f.rbuf)
		if n < 0 || n > len(f.rbuf) {
			n, rerr = 0, io.ErrShortBuffer
		}
		f.rn = n
		switch {
		case rerr != nil:
			f.err = rerr
		case n == 0:
			empty++
			if empty >= maxEmptyReads {
				f.err = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// content returns the frame just completed and readies the next one.
func (f *framer) content() []byte {
	c := f.buf
	if f.k.line && len(f.k.term) > 0 {
		c = c[:len(c)-len(f.k.term)]
	}
	f.buf = f.buf[:0]
	if f.k.line {
		f.st = stFrame
	} else {
		f.st = stIdle
	}
	return c
}

// end reports what the end of the stream cuts off, once, then the read
// error.
func (f *framer) end() error {
	switch {
	case f.st == stDiscard:
	case f.st == stFrame && f.k.line && len(f.buf) > 0,
		f.st == stFrame && !f.k.line, f.st == stEscaped, f.st == stTrailer:
		f.st = stDiscard
		return f.frameError(f.off, f.buf, f.base+int64(f.rn)-f.off, devices.ReasonTruncated)
	case f.junk > 0 && !f.jOver:
		f.junk = 0
		return f.frameError(f.jOff, nil, f.base+int64(f.rn)-f.jOff, devices.ReasonSyntax)
	}
	f.st = stDiscard
	f.junk = 0
	return f.err
}

func (f *framer) frameError(off int64, raw []byte, size int64, r devices.Reason) *devices.FrameError {
	f.bad = devices.FrameError{Driver: Name, Offset: off, Size: size, Reason: r, Raw: devices.RawHead(raw)}
	return &f.bad
}

// line steps the line framer over b at stream offset pos.
func (f *framer) line(b byte, pos int64) (bool, error) {
	term := f.k.term
	if f.st == stDiscard {
		if len(term) == 0 {
			if b == '\r' || b == '\n' {
				f.st = stFrame
			}
			return false, nil
		}
		if len(f.win) == len(term) {
			copy(f.win, f.win[1:])
			f.win = f.win[:len(f.win)-1]
		}
		f.win = append(f.win, b)
		if bytes.Equal(f.win, term) {
			f.st, f.win = stFrame, f.win[:0]
		}
		return false, nil
	}
	if len(term) == 0 {
		if b == '\r' || b == '\n' {
			return len(f.buf) > 0, nil
		}
	}
	if len(f.buf) == 0 {
		f.off = pos
	}
	if len(f.buf) == cap(f.buf) {
		// max content bytes and a full terminator's room, and no
		// terminator: the line is over-long.
		f.st, f.win = stDiscard, f.win[:0]
		if n := len(term); n > 1 {
			f.win = append(f.win, f.buf[len(f.buf)-n+1:]...)
		}
		err := f.frameError(f.off, f.buf, int64(len(f.buf)), devices.ReasonOversize)
		f.buf = f.buf[:0]
		if _, e := f.line(b, pos); e != nil {
			return false, e
		}
		return false, err
	}
	f.buf = append(f.buf, b)
	if len(term) > 0 && bytes.HasSuffix(f.buf, term) {
		if len(f.buf) == len(term) {
			f.buf = f.buf[:0] // an empty line
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// fastLine steps the line framer with the default terminator (CR, LF or
// CR LF) over the rest of the read buffer at once: the same states as
// line, scanning with bytes.IndexByte instead of byte by byte.
func (f *framer) fastLine() (bool, error) {
	rest := f.rbuf[f.rpos:f.rn]
	if f.st == stDiscard {
		i := indexEOL(rest)
		if i < 0 {
			f.rpos = f.rn
			return false, nil
		}
		f.rpos += i + 1
		f.st = stFrame
		return false, nil
	}
	if len(f.buf) == 0 {
		j := 0
		for j < len(rest) && (rest[j] == '\r' || rest[j] == '\n') {
			j++ // empty lines
		}
		f.rpos += j
		rest = rest[j:]
		if len(rest) == 0 {
			return false, nil
		}
		f.off = f.base + int64(f.rpos)
	}
	i := indexEOL(rest)
	chunk := rest
	if i >= 0 {
		chunk = rest[:i]
	}
	if room := f.max - len(f.buf); len(chunk) > room {
		f.buf = append(f.buf, chunk[:room]...)
		f.rpos += room
		f.st = stDiscard
		err := f.frameError(f.off, f.buf, int64(len(f.buf)), devices.ReasonOversize)
		f.buf = f.buf[:0]
		return false, err
	}
	f.buf = append(f.buf, chunk...)
	if i < 0 {
		f.rpos = f.rn
		return false, nil
	}
	f.rpos += i + 1
	return true, nil
}

func indexEOL(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}

// skip passes over bytes outside stx_etx frames in bulk: up to the next
// start byte (idle), or the next start or end byte (discarding an over-long
// frame). It counts idle bytes as junk like stx does, and reports false
// when the next byte is one stx must see.
func (f *framer) skip() (bool, error) {
	rest := f.rbuf[f.rpos:f.rn]
	n := bytes.IndexByte(rest, f.k.start)
	if n < 0 {
		n = len(rest)
	}
	if f.st == stDiscard {
		if j := bytes.IndexByte(rest[:n], f.k.end); j >= 0 {
			n = j
		}
		f.rpos += n
		return n > 0, nil
	}
	if n == 0 {
		return false, nil
	}
	if f.junk == 0 {
		f.jOff = f.base + int64(f.rpos)
	}
	f.junk += int64(n)
	f.rpos += n
	if f.junk > int64(f.max) && !f.jOver {
		f.jOver = true
		return true, f.frameError(f.jOff, nil, f.junk, devices.ReasonOversize)
	}
	return true, nil
}

// stx steps the stx_etx framer over b at stream offset pos.
func (f *framer) stx(b byte, pos int64) (bool, error) {
	k := f.k
	switch f.st {
	case stIdle, stDiscard:
		if b == k.start {
			var err error
			if f.st == stIdle && f.junk > 0 && !f.jOver {
				err = f.frameError(f.jOff, nil, f.junk, devices.ReasonSyntax)
			}
			f.junk, f.jOver = 0, false
			f.st, f.off, f.buf, f.tail = stFrame, pos, f.buf[:0], f.tail[:0]
			return false, err
		}
		if f.st == stDiscard {
			if b == k.end {
				f.st = stIdle
			}
			return false, nil
		}
		if f.junk == 0 {
			f.jOff = pos
		}
		f.junk++
		if f.junk > int64(f.max) && !f.jOver {
			f.jOver = true
			return false, f.frameError(f.jOff, nil, f.junk, devices.ReasonOversize)
		}
		return false, nil
	case stFrame:
		switch {
		case b == k.start:
			// A new frame starts inside this one: this one is cut short.
			err := f.frameError(f.off, f.buf, pos-f.off, devices.ReasonTruncated)
			f.off, f.buf, f.tail = pos, f.buf[:0], f.tail[:0]
			return false, err
		case b == k.end:
			if f.trailN > 0 {
				f.st = stTrailer
				return false, nil
			}
			return true, nil
		case k.hasEsc && b == k.esc:
			f.st = stEscaped
			return false, nil
		}
	case stEscaped:
		b ^= k.xor
		f.st = stFrame
	case stTrailer:
		f.tail = append(f.tail, b)
		return len(f.tail) == f.trailN, nil
	}
	if len(f.buf) == f.max {
		f.st = stDiscard
		return false, f.frameError(f.off, f.buf, pos-f.off, devices.ReasonOversize)
	}
	f.buf = append(f.buf, b)
	return false, nil
}

package astm

import (
	"errors"

	"github.com/pumpside/pumpside/devices"
)

// The control characters of ASTM E1381 / CLSI LIS01-A2.
const (
	STX = 0x02
	ETX = 0x03
	EOT = 0x04
	ENQ = 0x05
	ACK = 0x06
	LF  = 0x0a
	CR  = 0x0d
	NAK = 0x15
	ETB = 0x17
)

// MaxText is the longest frame text the Receiver accepts. The standard
// allows 240 characters (a 247-byte frame); some analysers overrun it, so
// the receiver accepts up to 1024 and rejects longer frames as oversize
// without buffering them.
const MaxText = 1024

// Link errors, carried by the FrameErrors a Receiver reports.
var (
	ErrChecksum     = errors.New("checksum does not match")
	ErrFrameNumber  = errors.New("frame number out of sequence")
	ErrFrameShape   = errors.New("frame not STX FN text ETB|ETX C1 C2 CR LF")
	ErrOutside      = errors.New("frame outside a transfer (no ENQ)")
	ErrJunk         = errors.New("bytes between frames")
	ErrOversize     = errors.New("frame text longer than the receiver accepts")
	ErrInterrupted  = errors.New("transfer ended without EOT")
	ErrRepeatedENQ  = errors.New("ENQ repeated before any frame")
	ErrRecordLength = errors.New("record longer than the receiver accepts")
	ErrAborted      = errors.New("frame after a frame out of sequence or six refusals in a row: the transfer is lost")
)

// MaxRefusals is how many times in a row a sender offers a frame before it
// gives the transfer up (E1381 / LIS01-A2: six attempts).
//
// After a refusal a sender sends the same frame again, so a frame with
// another number means frames were lost, and after MaxRefusals the sender
// has given up: either way the Receiver accepts no frame until the next
// ENQ. Frame numbers repeat every eight frames, and a frame that matched
// the expected number after a gap would belong to another record.
const MaxRefusals = 6

// Handler receives what a Receiver delimits. Its methods are called on the
// goroutine that calls Feed and must not block, except Reply, which writes
// the receiver's answer to the sender.
type Handler interface {
	// Reply sends ACK or NAK to the sender.
	Reply(b byte)
	// Start reports an ENQ that opened a transfer at off.
	Start(off int64)
	// Frame delivers an accepted frame's text (valid only during the call)
	// whose STX is at off; end is true for an end frame (ETX), false for
	// an intermediate one (ETB).
	Frame(text []byte, end bool, off int64)
	// End reports the end of a transfer: EOT (interrupted false) or, when
	// interrupted, a new ENQ with frames received, or the end of input.
	End(off int64, interrupted bool)
	// Bad reports a rejected frame or stray bytes. err is valid only
	// during the call.
	Bad(err *devices.FrameError)
}

// Receiver states.
const (
	stIdle    = iota // no transfer: waiting for ENQ
	stBetween        // in a transfer, between frames
	stJunk           // in a transfer, stray bytes until LF or a control
	stFN             // after STX
	stText           // frame text
	stC1             // after ETB/ETX
	stC2
	stCR
	stLF
	stSkip // an oversize frame, until LF or a control
)

// Receiver is the receiving side of the E1381 low-level protocol: it
// answers ENQ with ACK, checks each frame's shape, checksum and frame number,
// answers ACK or NAK, and hands accepted frame text to a Handler. It buffers
// at most one frame (MaxText bytes) and never allocates once made. It is
// fed one byte at a time, so the way input is split into reads does not
// change what it does. A Receiver is used by one goroutine.
type Receiver struct {
	h        Handler
	name     string
	state    uint8
	session  bool  // a transfer is open
	frames   int   // frames accepted in this transfer
	refusals int   // NAKs in a row in this transfer
	lost     bool  // a frame came out of sequence: nothing more is accepted
	expect   byte  // next frame number, '0'..'7'
	last     byte  // last accepted frame number
	term     byte  // ETB or ETX
	c1, c2   byte  // received checksum characters
	sum      byte  // running checksum from FN
	n        int   // bytes of buf in use
	frameOff int64 // offset of the current frame's STX (or junk start)
	junk     [4]byte
	junkN    int
	buf      [2 + MaxText]byte // STX FN text
	bad      devices.FrameError
}

// NewReceiver returns a Receiver reporting to h; name is the driver name
// stamped on FrameErrors.
func NewReceiver(h Handler, name string) *Receiver {
	return &Receiver{h: h, name: name}
}

// Reset returns r to its initial state: no transfer open.
func (r *Receiver) Reset() {
	h, name := r.h, r.name
	*r = Receiver{h: h, name: name}
}

// InTransfer reports whether a transfer is open.
func (r *Receiver) InTransfer() bool { return r.session }

// Feed processes the byte c found at stream offset off.
func (r *Receiver) Feed(c byte, off int64) {
	switch r.state {
	case stIdle, stBetween:
		r.control(c, off)
	case stJunk:
		switch c {
		case LF:
			r.reportJunk()
			r.refusals++
			r.Reply(NAK)
			r.state = stBetween
		case STX, EOT, ENQ:
			r.reportJunk()
			r.state = stBetween
			r.control(c, off)
		default:
			if r.junkN < len(r.junk) {
				r.junk[r.junkN] = c
				r.junkN++
			}
		}
	case stFN:
		if breaks(c) {
			r.broken(c, off)
			return
		}
		r.buf[1], r.n, r.sum = c, 2, c
		r.state = stText
	case stText:
		switch {
		case c == ETX || c == ETB:
			r.term, r.sum = c, r.sum+c
			r.state = stC1
		case breaks(c):
			r.broken(c, off)
		case r.n == len(r.buf):
			r.fail(devices.ReasonOversize, ErrOversize, r.buf[:min(r.n, 3)])
			r.state = stSkip
		default:
			r.buf[r.n] = c
			r.n++
			r.sum += c
		}
	case stC1, stC2, stCR, stLF:
		r.tail(c, off)
	case stSkip:
		switch c {
		case LF:
			r.afterFrame(NAK)
		case STX, EOT, ENQ:
			r.afterFrame(0)
			r.control(c, off)
		}
	}
}

// breaks reports whether c cannot occur inside a frame: it ends the frame
// being received and is processed afresh.
func breaks(c byte) bool { return c == STX || c == EOT || c == ENQ || c == LF }

func (r *Receiver) tail(c byte, off int64) {
	if c == STX || c == EOT || c == ENQ || (c == LF && r.state != stLF) {
		r.broken(c, off)
		return
	}
	switch r.state {
	case stC1:
		r.c1, r.state = c, stC2
	case stC2:
		r.c2, r.state = c, stCR
	case stCR:
		if c != CR {
			r.fail(devices.ReasonSyntax, ErrFrameShape, r.redacted())
			r.state = stSkip
			return
		}
		r.state = stLF
	case stLF:
		if c != LF {
			r.fail(devices.ReasonSyntax, ErrFrameShape, r.redacted())
			r.state = stSkip
			return
		}
		r.complete()
	}
}

// control handles a byte between frames.
func (r *Receiver) control(c byte, off int64) {
	switch c {
	case ENQ:
		if r.session && r.frames == 0 {
			// The sender repeated its ENQ: our ACK was lost, or it
			// started over. Answer again, and count it.
			r.frameOff, r.n = off, 0
			r.fail(devices.ReasonSequence, ErrRepeatedENQ, nil)
			r.Reply(ACK)
			return
		}
		if r.session {
			r.h.End(off, true)
		}
		r.session, r.frames, r.refusals, r.lost, r.expect, r.last = true, 0, 0, false, '1', 0
		r.h.Start(off)
		r.Reply(ACK)
		r.state = stBetween
	case EOT:
		if r.session {
			r.session = false
			r.h.End(off, false)
		}
		r.state = stIdle
	case STX:
		r.frameOff, r.n = off, 1
		r.buf[0] = STX
		r.state = stFN
	default:
		if r.session {
			r.frameOff, r.junkN = off, 1
			r.junk[0] = c
			r.state = stJunk
		}
		// Between transfers, line noise is ignored.
	}
}

// broken reports the frame in progress as malformed and processes c, the
// control character that interrupted it.
func (r *Receiver) broken(c byte, off int64) {
	r.fail(devices.ReasonSyntax, ErrFrameShape, r.redacted())
	reply := byte(0)
	if c == LF {
		reply = NAK // the end of the sender's frame: ask for it again
	}
	r.afterFrame(reply)
	if c != LF {
		r.control(c, off)
	}
}

// complete checks a frame that arrived whole.
func (r *Receiver) complete() {
	text := r.buf[2:r.n]
	want := r.sum
	got, okSum := hexByte(r.c1, r.c2)
	fn := r.buf[1]
	switch {
	case !okSum || got != want:
		r.fail(devices.ReasonChecksum, ErrChecksum, r.redacted())
		r.afterFrame(NAK)
	case !r.session:
		r.fail(devices.ReasonSequence, ErrOutside, r.redacted())
		r.afterFrame(0)
	case r.lost || r.refusals >= MaxRefusals:
		r.fail(devices.ReasonSequence, ErrAborted, r.redacted())
		r.afterFrame(NAK)
	case fn == r.expect:
		r.h.Frame(text, r.term == ETX, r.frameOff)
		r.frames++
		r.last = fn
		r.expect = '0' + (fn-'0'+1)%8
		r.afterFrame(ACK)
	case fn == r.last && r.frames > 0:
		r.afterFrame(ACK) // a retransmission of a frame we accepted: our ACK was lost
	default:
		r.lost = true
		r.fail(devices.ReasonSequence, ErrFrameNumber, r.redacted())
		r.afterFrame(NAK)
	}
}

// afterFrame returns to the state between frames, replying first if reply
// is not 0. Replies are only sent inside a transfer.
func (r *Receiver) afterFrame(reply byte) {
	r.n = 0
	if r.session {
		r.state = stBetween
		switch reply {
		case ACK:
			r.refusals = 0
		case NAK:
			r.refusals++
		}
		if reply != 0 {
			r.Reply(reply)
		}
		return
	}
	r.state = stIdle
}

// Reply sends b to the sender.
func (r *Receiver) Reply(b byte) { r.h.Reply(b) }

// Flush reports the end of input: a frame or a transfer in progress is
// cut short.
func (r *Receiver) Flush(off int64) {
	switch {
	case r.state == stJunk:
		r.reportJunk()
	case r.session:
		// A frame cut short inside a transfer is reported with the
		// transfer, by the Handler's End.
	case r.state >= stFN && r.state <= stLF:
		r.fail(devices.ReasonTruncated, ErrFrameShape, r.redacted())
	}
	if r.session {
		r.h.End(off, true)
	}
	r.Reset()
}

func (r *Receiver) reportJunk() {
	r.bad = devices.FrameError{Driver: r.name, Offset: r.frameOff, Size: int64(r.junkN), Reason: devices.ReasonSyntax, Raw: r.junk[:r.junkN], Err: ErrJunk}
	r.h.Bad(&r.bad)
}

func (r *Receiver) fail(reason devices.Reason, err error, raw []byte) {
	r.bad = devices.FrameError{Driver: r.name, Offset: r.frameOff, Size: int64(r.n), Reason: reason, Raw: raw, Err: err}
	r.h.Bad(&r.bad)
}

// redacted returns the head of the frame being received for a FrameError,
// cut after the record type unless the record is a header, result or
// terminator: patient, order and comment records carry identifiers, which
// must not reach logs.
func (r *Receiver) redacted() []byte {
	b := r.buf[:r.n]
	if len(b) > 3 {
		switch b[2] {
		case 'H', 'R', 'L':
		default:
			b = b[:3]
		}
	}
	return devices.RawHead(b)
}

// hexByte reads two hex digits (upper case as the standard writes them;
// lower case accepted).
func hexByte(a, b byte) (byte, bool) {
	x, okA := hexDigit(a)
	y, okB := hexDigit(b)
	return x<<4 | y, okA && okB
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Checksum returns the E1381 checksum of a frame's FN, text and ETB/ETX: the
// sum of the bytes modulo 256.
func Checksum(fnTextTerm []byte) byte {
	var s byte
	for _, c := range fnTextTerm {
		s += c
	}
	return s
}

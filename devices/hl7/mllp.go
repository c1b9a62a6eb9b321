package hl7

import (
	"errors"

	"github.com/pumpside/pumpside/devices"
)

// The MLLP framing bytes: VT message FS CR.
const (
	VT = 0x0b
	FS = 0x1c
	CR = 0x0d
	LF = 0x0a
)

// MaxMessage bounds one HL7 message; a longer one is discarded, not
// buffered, and reported as oversize. A blood-gas ORU^R01 is a few
// kilobytes.
const MaxMessage = 64 << 10

// Framing errors.
var (
	ErrNoCR      = errors.New("FS not followed by CR")
	ErrJunk      = errors.New("bytes outside a VT ... FS CR block")
	ErrCut       = errors.New("message cut short by a new VT")
	ErrTruncated = errors.New("input ended inside a message")
	ErrOversize  = errors.New("message longer than the receiver accepts")
)

// Framer states.
const (
	fsIdle = iota // between blocks
	fsJunk        // stray bytes between blocks
	fsMsg         // after VT
	fsFS          // after FS: CR expected
	fsSkip        // an oversize message, until FS
)

// Framer delimits MLLP blocks, one byte at a time, with a buffer of at
// most MaxMessage bytes allocated once. Whitespace between blocks is
// ignored; other stray bytes are reported once per run. A Framer is used
// by one goroutine.
type Framer struct {
	name    string
	state   uint8
	buf     []byte
	start   int64 // offset of the VT (or first junk byte)
	junk    [4]byte
	junkN   int
	message func(msg []byte, off int64)
	bad     func(*devices.FrameError)
	// TooLong, if set, is called when an oversize message ends (FS), with
	// its first MaxMessage bytes, so that the sender can be answered.
	TooLong  func(head []byte, off int64)
	errFrame devices.FrameError
}

// NewFramer returns a Framer that hands each complete message (without VT,
// FS and CR; valid only during the call) to message with the offset of its
// VT, and each bad block to bad.
func NewFramer(name string, message func(msg []byte, off int64), bad func(*devices.FrameError)) *Framer {
	return &Framer{name: name, buf: make([]byte, 0, MaxMessage), message: message, bad: bad}
}

// Reset forgets any block in progress.
func (f *Framer) Reset() { f.state, f.buf, f.junkN = fsIdle, f.buf[:0], 0 }

// Feed processes the byte c found at offset off.
func (f *Framer) Feed(c byte, off int64) {
	switch f.state {
	case fsIdle:
		switch c {
		case VT:
			f.open(off)
		case CR, LF, ' ', '\t', 0:
		default:
			f.state, f.start, f.junkN = fsJunk, off, 1
			f.junk[0] = c
		}
	case fsJunk:
		if c == VT {
			f.report(devices.ReasonSyntax, ErrJunk, f.junk[:f.junkN], int64(f.junkN))
			f.open(off)
		} else if f.junkN < len(f.junk) {
			f.junk[f.junkN] = c
			f.junkN++
		}
	case fsMsg:
		switch {
		case c == FS:
			f.state = fsFS
		case c == VT:
			f.report(devices.ReasonTruncated, ErrCut, head(f.buf), int64(len(f.buf)))
			f.open(off)
		case len(f.buf) == cap(f.buf):
			f.report(devices.ReasonOversize, ErrOversize, head(f.buf), int64(len(f.buf)))
			f.state = fsSkip
		default:
			f.buf = append(f.buf, c)
		}
	case fsFS:
		if c == CR {
			f.state = fsIdle
			f.message(f.buf, f.start)
			f.buf = f.buf[:0]
			return
		}
		f.report(devices.ReasonSyntax, ErrNoCR, head(f.buf), int64(len(f.buf)))
		f.state, f.buf = fsIdle, f.buf[:0]
		if c == VT {
			f.open(off)
		} // else the byte in place of CR belongs to the bad block
	case fsSkip:
		switch c {
		case FS:
			if f.TooLong != nil {
				f.TooLong(f.buf, f.start)
			}
			f.state, f.buf = fsIdle, f.buf[:0] // the CR after it is whitespace
		case VT:
			f.open(off)
		}
	}
}

// Flush reports a block cut short by the end of input.
func (f *Framer) Flush() {
	switch f.state {
	case fsJunk:
		f.report(devices.ReasonSyntax, ErrJunk, f.junk[:f.junkN], int64(f.junkN))
	case fsMsg, fsFS:
		f.report(devices.ReasonTruncated, ErrTruncated, head(f.buf), int64(len(f.buf)))
	}
	f.Reset()
}

func (f *Framer) open(off int64) {
	f.state, f.start, f.buf = fsMsg, off, f.buf[:0]
}

func (f *Framer) report(reason devices.Reason, err error, raw []byte, size int64) {
	f.errFrame = devices.FrameError{Driver: f.name, Offset: f.start, Size: size, Reason: reason, Raw: raw, Err: err}
	f.bad(&f.errFrame)
}

// head returns what a FrameError may show of a message: its MSH segment (no
// patient data), up to devices.MaxRaw bytes, or nothing if it does not
// start with one.
func head(msg []byte) []byte {
	if len(msg) < 3 || string(msg[:3]) != "MSH" {
		return nil
	}
	for i, c := range msg {
		if c == CR || c == LF {
			msg = msg[:i]
			break
		}
	}
	return devices.RawHead(msg)
}

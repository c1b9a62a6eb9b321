package s5

import "errors"

// The framing of the S/5 Computer Interface (M1017617, "Frame structure"):
// each frame starts and ends with a flag; inside, a flag or control byte is
// sent as the control byte followed by the byte with bit 5 cleared.
const (
	flag    = 0x7E
	control = 0x7D
	bit5    = 0x20
)

// Errors of a frame that does not decode; FrameError.Err holds one.
var (
	errEmpty     = errors.New("a flag with nothing before the next flag: the frame's bytes were lost")
	errOutside   = errors.New("bytes outside a frame (the stream started mid-frame, or noise)")
	errEscape    = errors.New("control byte 0x7D not followed by 0x5E or 0x5D")
	errTruncated = errors.New("the stream ended inside a frame")
)

// frameEvent is what the deframer found at a byte.
type frameEvent uint8

const (
	evNone  frameEvent = iota
	evFrame            // a complete frame: its unescaped bytes are in frame()
	evBad              // a damaged frame or bytes outside a frame: see bad()
)

// deframer splits a byte stream into frames, one byte at a time, with
// bounded memory: a frame longer than max is skipped to its closing flag
// and reported as oversize, never buffered.
//
// The monitor sends each frame between its own two flags (a closing flag
// and the next opening flag are two bytes). Any flag that closes a frame is
// also taken as a possible opening flag, so frames that share one flag
// decode too, and a frame whose closing flag was lost still lets the next
// frame through. An opening flag followed at once by another flag is a
// frame whose bytes were lost, unless the first flag may have been a
// closing one.
type deframer struct {
	buf      []byte // unescaped bytes of the frame being read
	max      int
	state    uint8
	esc      bool  // the previous byte was the control byte
	badEsc   bool  // an invalid escape was seen in this frame
	start    int64 // stream offset of the frame's opening flag, or of the junk (-1: none)
	closable bool  // the opening flag may have closed the frame before it
	done     bool  // buf holds the frame just reported: clear it at the next byte
	// Where the latest evFrame or evBad lies: offset of its first byte and
	// length (flags included).
	off, size int64
	// Why the latest evBad is bad: oversize, or err.
	oversize bool
	err      error
}

const (
	stJunk     uint8 = iota // outside any frame, skipping to a flag
	stFrame                 // after an opening flag
	stOversize              // in a frame longer than max, skipping to its flag
)

func newDeframer(max int) *deframer {
	d := &deframer{buf: make([]byte, 0, max), max: max}
	d.reset()
	return d
}

// reset starts a new stream: it may begin mid-frame.
func (d *deframer) reset() {
	d.buf, d.done = d.buf[:0], false
	d.state = stJunk
	d.esc, d.badEsc = false, false
	d.start = -1
	d.closable = true
}

// frame returns the unescaped bytes of the frame just completed (checksum
// included), valid until the next call to push.
func (d *deframer) frame() []byte { return d.buf }

// open starts a frame at the flag at off.
func (d *deframer) open(off int64, closable bool) {
	d.state = stFrame
	d.start = off
	d.closable = closable
	d.buf, d.done = d.buf[:0], false
	d.esc, d.badEsc = false, false
}

func (d *deframer) bad(off, end int64, oversize bool, err error) frameEvent {
	d.off, d.size, d.oversize, d.err = off, end-off, oversize, err
	return evBad
}

// push takes the byte b at stream offset off.
func (d *deframer) push(b byte, off int64) frameEvent {
	if d.done {
		d.buf, d.done = d.buf[:0], false
	}
	switch d.state {
	case stJunk:
		if b != flag {
			if d.start < 0 {
				d.start = off
			}
			return evNone
		}
		// After junk the flag may close it (a frame's tail); a stream's
		// first byte being a flag opens a frame.
		junk := d.start
		d.open(off, junk >= 0)
		if junk >= 0 {
			return d.bad(junk, off, false, errOutside)
		}
		return evNone
	case stOversize:
		if b != flag {
			return evNone
		}
		start := d.start
		d.open(off, true)
		return d.bad(start, off+1, true, nil)
	}
	if b == flag {
		start := d.start
		if len(d.buf) == 0 && !d.esc {
			if d.closable {
				d.open(off, false) // a closing flag and an opening flag
				return evNone
			}
			// Two opening flags: the first frame's bytes were lost. The
			// second flag opens the next frame, or is its own frame's
			// closing flag if more flags follow.
			d.open(off, true)
			return d.bad(start, off, false, errEmpty)
		}
		bad := d.esc || d.badEsc
		d.off, d.size = start, off+1-start
		// The closing flag may also open the next frame; frame() stays
		// valid until the next push.
		d.state, d.start, d.closable, d.done = stFrame, off, true, true
		d.esc, d.badEsc = false, false
		if bad {
			return d.bad(start, off+1, false, errEscape)
		}
		return evFrame
	}
	if d.esc {
		d.esc = false
		if b != flag&^bit5 && b != control&^bit5 {
			d.badEsc = true
		}
		b |= bit5
	} else if b == control {
		d.esc = true
		return evNone
	}
	if len(d.buf) == d.max {
		d.state = stOversize
		return evNone
	}
	d.buf = append(d.buf, b)
	return evNone
}

// end reports what the end of the stream at off leaves behind: bytes
// outside a frame, or a frame cut short.
func (d *deframer) end(off int64) frameEvent {
	start := d.start
	switch d.state {
	case stJunk:
		d.reset()
		if start >= 0 {
			return d.bad(start, off, false, errOutside)
		}
	case stOversize:
		d.reset()
		return d.bad(start, off, true, nil)
	case stFrame:
		cut := (len(d.buf) > 0 && !d.done) || d.esc || !d.closable
		if cut {
			// The cut frame stays readable (frame()) for the report.
			d.state, d.start, d.closable, d.done = stJunk, -1, true, true
			return d.bad(start, off, false, errTruncated)
		}
		d.reset()
	}
	return evNone
}

// appendEscaped appends the frame of record rec (its checksum added) to
// dst: flag, escaped bytes, flag.
func appendEscaped(dst, rec []byte) []byte {
	dst = append(dst, flag)
	var sum byte
	for _, b := range rec {
		sum += b
		dst = appendByte(dst, b)
	}
	dst = appendByte(dst, sum)
	return append(dst, flag)
}

func appendByte(dst []byte, b byte) []byte {
	if b == flag || b == control {
		return append(dst, control, b&^bit5)
	}
	return append(dst, b)
}

// checksum is the 8-bit unsigned sum of the record's bytes (M1017617,
// "Checksum").
func checksum(rec []byte) byte {
	var sum byte
	for _, b := range rec {
		sum += b
	}
	return sum
}

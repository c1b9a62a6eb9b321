package cdi550

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Packet mode (operator's manual, appendix C, "Serial Packet Interface
// Structure"):
//
//	<STX> A BB LLLL C S D...D ZZ <ETX>
//
// STX is 0x02 and ETX 0x03. A is the device id ('X' on every packet the
// CDI 550 sends), BB the sequence as two hex digits, LLLL the length of
// the whole packet from STX to ETX inclusive as four hex digits, C the
// command (A attention, K acknowledge, N no acknowledge, E error, S set, G
// get), S a subcommand digit, D...D the data (ASCII, may be empty), ZZ the
// 8-bit CRC (CRC8) of the packet up to the CRC as two hex digits.
const (
	stx = 0x02
	etx = 0x03
	// MinPacket is the length of a packet without data.
	MinPacket = 13
	// MaxPacket bounds a packet: an analyte packet of 18 values is about
	// 170 bytes.
	MaxPacket = 512
)

// maxEmptyReads is how many (0, nil) reads in a row the framer accepts
// before failing with io.ErrNoProgress.
const maxEmptyReads = 100

// packets splits a stream into packets from STX to ETX with a fixed
// buffer. Bytes outside a packet are reported once per run (CR and LF
// between packets are skipped silently: a device may end a packet with a
// line end); an STX inside a packet starts a new one and makes the cut one
// bad; a packet longer than MaxPacket is reported once and skipped without
// being buffered.
type packets struct {
	r          io.Reader
	name       string
	buf        []byte
	r0, w      int
	base       int64
	inGarbage  bool
	discarding bool
	err        error
	bad        devices.FrameError
}

var (
	errOutside   = errors.New("bytes outside a packet")
	errCut       = errors.New("a new packet (STX) before this one's ETX")
	errShort     = errors.New("shorter than a packet without data")
	errLength    = errors.New("the length field differs from the packet's length")
	errHeader    = errors.New("not the packet header (X, 2 hex digits, 4 hex digits, command, subcommand digit)")
	errCRCField  = errors.New("CRC field is not two hex digits")
	errCRC       = errors.New("CRC differs")
	errDataChars = errors.New("data holds a byte that is not printable ASCII or TAB")
	errAnalyte   = errors.New("analyte data is not a time field and CCss<value> fields, each ended by TAB")
	errCode      = errors.New("parameter code repeated or not two hex digits")
)

func newPackets(r io.Reader, name string) *packets {
	return &packets{r: r, name: name, buf: make([]byte, MaxPacket+1)}
}

func (p *packets) reset(r io.Reader) {
	p.r, p.r0, p.w, p.base, p.inGarbage, p.discarding, p.err = r, 0, 0, 0, false, false, nil
}

// next returns the next packet (STX to ETX) and its stream offset, valid
// until the next call; a *devices.FrameError for damage found by framing
// (decoding goes on); or the reader's error.
func (p *packets) next() ([]byte, int64, error) {
	empty := 0
	for {
		for p.r0 < p.w {
			b := p.buf[p.r0:p.w]
			if p.discarding {
				i := indexMark(b)
				if i < 0 {
					p.r0 = p.w
					break
				}
				if b[i] == etx {
					p.r0 += i + 1
				} else {
					p.r0 += i
				}
				p.discarding = false
				continue
			}
			if b[0] != stx {
				i := bytes.IndexByte(b, stx)
				if i < 0 {
					i = len(b)
				}
				run := b[:i]
				p.r0 += i
				if p.inGarbage {
					continue
				}
				if j := bytes.IndexFunc(run, func(r rune) bool { return r != '\r' && r != '\n' }); j >= 0 {
					p.inGarbage = true
					off := p.base + int64(p.r0-i+j)
					return nil, off, p.frameError(off, run[j:], devices.ReasonSyntax, errOutside)
				}
				continue
			}
			p.inGarbage = false
			end := indexMark(b[1:])
			switch {
			case end >= 0 && b[1+end] == etx:
				off := p.base + int64(p.r0)
				p.r0 += end + 2
				return b[:end+2], off, nil
			case end >= 0: // another STX: this packet was cut
				off := p.base + int64(p.r0)
				p.r0 += end + 1
				return nil, off, p.frameError(off, b[:end+1], devices.ReasonTruncated, errCut)
			case len(b) > MaxPacket:
				off := p.base + int64(p.r0)
				p.r0 = p.w
				p.discarding = true
				return nil, off, p.frameError(off, b, devices.ReasonOversize, nil)
			}
			break // a packet in progress: read more
		}
		if p.err != nil {
			if p.r0 < p.w && !p.discarding {
				b := p.buf[p.r0:p.w]
				off := p.base + int64(p.r0)
				p.r0 = p.w
				return nil, off, p.frameError(off, b, devices.ReasonTruncated, nil)
			}
			return nil, p.base + int64(p.w), p.err
		}
		if p.r0 > 0 {
			n := copy(p.buf, p.buf[p.r0:p.w])
			p.base += int64(p.r0)
			p.r0, p.w = 0, n
		}
		n, err := p.r.Read(p.buf[p.w:])
		if n < 0 || n > len(p.buf)-p.w {
			n, err = 0, io.ErrShortBuffer
		}
		p.w += n
		switch {
		case err != nil:
			p.err = err
		case n == 0:
			empty++
			if empty >= maxEmptyReads {
				p.err = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// indexMark returns the index of the first STX or ETX in b, or -1: two
// vectorised byte searches, faster than bytes.IndexAny on long runs of
// noise.
func indexMark(b []byte) int {
	i, j := bytes.IndexByte(b, stx), bytes.IndexByte(b, etx)
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

func (p *packets) frameError(off int64, b []byte, r devices.Reason, err error) *devices.FrameError {
	p.bad = devices.FrameError{Driver: p.name, Offset: off, Size: int64(len(b)), Reason: r, Raw: devices.RawHead(b), Err: err}
	return &p.bad
}

// decodePackets is Decode in packet mode.
func (d *Driver) decodePackets(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	if d.pk == nil {
		d.pk = newPackets(rw, d.name)
		d.emitted = make([]int, 0, 256)
		d.vals = make([]value, 256)
	} else {
		d.pk.reset(rw)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		pkt, off, err := d.pk.next()
		if fe, ok := err.(*devices.FrameError); ok {
			env.Events.FrameBad(fe)
			continue
		}
		if err != nil {
			return err
		}
		reason, field, cause := d.packet(pkt, env.Events)
		if cause != nil {
			d.bad = devices.FrameError{Driver: d.name, Offset: off, Size: int64(len(pkt)), Reason: reason, Field: field, Raw: devices.RawHead(pkt), Err: cause}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(pkt))
		if len(d.emitted) > 0 {
			t := env.Clock.Now()
			for _, c := range d.emitted {
				d.put(env, t, &d.codes[c], d.vals[c])
			}
		}
	}
}

// packet checks one packet and, for an analyte packet, parses its values
// into d.vals (by code) and d.emitted.
func (d *Driver) packet(pkt []byte, ev devices.Events) (devices.Reason, string, error) {
	d.emitted = d.emitted[:0]
	n := len(pkt)
	if n < MinPacket {
		return devices.ReasonSyntax, "", errShort
	}
	if pkt[1] != 'X' {
		return devices.ReasonField, "device id", errHeader
	}
	_, okSeq := parseHex2(pkt[2:4])
	hi, okHi := parseHex2(pkt[4:6])
	lo, okLo := parseHex2(pkt[6:8])
	if !okSeq || !okHi || !okLo || bytes.IndexByte([]byte("AKNESG"), pkt[8]) < 0 || pkt[9] < '0' || pkt[9] > '9' {
		return devices.ReasonSyntax, "header", errHeader
	}
	if int(hi)<<8|int(lo) != n {
		return devices.ReasonSyntax, "length", errLength
	}
	zz, ok := parseHex2(pkt[n-3 : n-1])
	if !ok {
		return devices.ReasonChecksum, "CRC", errCRCField
	}
	from := 0
	if d.cfg.CRCSkipSTX {
		from = 1
	}
	if CRC8(pkt[from:n-3]) != zz {
		return devices.ReasonChecksum, "CRC", errCRC
	}
	data := pkt[10 : n-3]
	for _, c := range data {
		if (c < ' ' || c > '~') && c != '\t' {
			return devices.ReasonField, "data", errDataChars
		}
	}
	switch {
	case pkt[8] == 'A' && pkt[9] <= '3':
		// Analyte packets: unsolicited, mark, store, recalibration.
		return d.analyte(data, ev)
	default:
		devices.Note(ev, otherPacketNotes[pkt[8]])
	}
	return 0, "", nil
}

// analyte parses the data of an analyte packet: a first field ending in
// the time HH:MM:SS (the open reader this layout comes from saw the
// device's serial number before it), then one field per parameter, a code
// of two hex digits, two characters the driver keeps opaque, and the value
// (as in ASCII mode: a number, dashes or empty), each field ended by TAB.
func (d *Driver) analyte(data []byte, ev devices.Events) (devices.Reason, string, error) {
	i := bytes.IndexByte(data, '\t')
	if i < 8 || i > 40 || !isClock(data[i-8:i]) {
		return devices.ReasonField, "time", errAnalyte
	}
	data = data[i+1:]
	var seen [256 / 64]uint64
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\t')
		if i < 0 {
			return devices.ReasonField, "data", errAnalyte // the last field lacks its TAB
		}
		f := data[:i]
		data = data[i+1:]
		if len(f) < 4 || f[2] == ' ' || f[3] == ' ' {
			return devices.ReasonField, "data", errAnalyte
		}
		c, ok := parseHex2(f[:2])
		if !ok || seen[c/64]&(1<<(c%64)) != 0 {
			return devices.ReasonField, "code", errCode
		}
		seen[c/64] |= 1 << (c % 64)
		col := &d.codes[c]
		v, ok := parseValue(f[4:])
		if !ok {
			name := col.name
			if name == "" {
				name = "code " + string(f[:2])
			}
			return devices.ReasonField, name, errNumber
		}
		switch col.kind {
		case colChannel:
			if v.q == channel.OK {
				v.v = col.m.conv.Apply(v.v)
			}
			d.vals[c] = v
			d.emitted = append(d.emitted, int(c))
		case colOpaque:
			if col.name == "" {
				devices.Note(ev, "cdi550: packet parameter code "+string(f[:2])+" is not in [codes] (decoded, not emitted)")
			} else if d.unmapped[c] != "" {
				devices.Note(ev, d.unmapped[c])
			}
		}
	}
	return 0, "", nil
}

// otherPacketNotes are the notes for packets without analyte values, by
// command: constant strings, so that noting allocates nothing.
var otherPacketNotes = map[byte]string{
	'A': "cdi550: an attention packet without analyte values (subcommand above 3), skipped",
	'K': "cdi550: an acknowledge packet, skipped",
	'N': "cdi550: a no-acknowledge packet (the device refused a request), skipped",
	'E': "cdi550: the device sent an error packet (its code is on the device's screen)",
	'S': "cdi550: a set packet, skipped",
	'G': "cdi550: a get packet, skipped",
}

func parseHex2(b []byte) (uint8, bool) {
	if len(b) != 2 {
		return 0, false
	}
	h, ok1 := hexDigit(b[0])
	l, ok2 := hexDigit(b[1])
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (uint8, bool) {
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

const hexUpper = "0123456789ABCDEF"

func hex2(v uint8) string { return string([]byte{hexUpper[v>>4], hexUpper[v&15]}) }

func appendHex(dst []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexUpper[(v>>(4*uint(i)))&15])
	}
	return dst
}

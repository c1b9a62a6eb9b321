package intellivue

import (
	"encoding/binary"
	"errors"

	"github.com/pumpside/pumpside/devices"
)

// The two transports carry the same messages (guide chapter 4):
//
//   - LAN: one message per UDP datagram, no framing. A message's own length
//     fields delimit it, so a stream of messages (a LAN capture read as
//     bytes, a TCP connection to the emulator) is framed by them.
//   - MIB/RS232 ("fixed baudrate protocol"): BOF 0xC0, a 4-byte header
//     (protocol_id 0x11, msg_type 0x01, length of the user data), the
//     message, a 16-bit FCS (RFC 1662's, sent complemented, LSB first),
//     EOF 0xC1; 0xC0, 0xC1 and 0x7D inside are sent as 0x7D, byte^0x20.
//     0x7D 0xC1 aborts a frame.
//
// The framer reads either with no configuration: until it has seen a whole
// serial frame with a good FCS, or two LAN messages back to back, it only
// watches; then it replays what it kept through the framing it found and
// stays with it for the rest of the stream. The evidence that ends first in
// the stream wins, so the choice does not depend on how the bytes were cut
// into reads.

const (
	bof     = 0xC0
	eof     = 0xC1
	escByte = 0x7D

	serialProtocolID = 0x11
	serialMsgType    = 0x01

	// MaxMessage is the longest message accepted: the largest UDP message
	// the monitor sends (guide, "Transport Protocols for the LAN
	// Interface"). The serial link negotiates at most 1000 bytes of
	// command data, well inside it.
	MaxMessage = 1380
	// maxSerial is the longest unescaped serial frame content: header,
	// message, FCS.
	maxSerial = 4 + MaxMessage + 2
	// MaxFrame is the longest valid frame on the wire: a serial frame with
	// every byte escaped.
	MaxFrame = 2*maxSerial + 2
	// detectMax bounds what the framer keeps while it has not found the
	// framing yet.
	detectMax = 4096
)

// link is the framing of a stream.
type link uint8

const (
	linkUnknown link = iota
	linkLAN
	linkSerial
)

func (l link) String() string {
	switch l {
	case linkLAN:
		return "lan"
	case linkSerial:
		return "serial"
	}
	return "auto"
}

// handler receives what the framer delimits. msg and the FrameError are
// valid only during the call.
type handler interface {
	message(msg []byte, off int64, size int)
	badFrame(e *devices.FrameError)
}

var (
	errGarbage   = errors.New("bytes outside any message")
	errFCS       = errors.New("frame check sequence does not match")
	errHeader    = errors.New("not a data export frame (protocol_id 0x11, msg_type 0x01)")
	errLength    = errors.New("header length does not match the frame")
	errAborted   = errors.New("frame aborted by the sender (0x7D 0xC1)")
	errCut       = errors.New("frame cut by the next frame's start")
	errEnded     = errors.New("stream ended inside a frame")
	errTooLong   = errors.New("frame longer than the protocol allows")
	errShortLAN  = errors.New("stream ended inside a message")
	errEmptyBody = errors.New("frame without a message")
)

// framer turns a byte stream into messages. It never allocates once its
// buffers exist; a framer is used by one goroutine.
type framer struct {
	mode link
	// live: reads are datagrams (a socket with deadlines). While the
	// framing is unknown, a read that holds exactly one LAN message
	// settles it.
	live bool
	off  int64 // stream offset of the next byte fed
	bad  devices.FrameError

	det     []byte // kept while the framing is unknown
	detOff  int64
	scratch []byte // unescaped serial frame for detection

	// LAN
	lan      []byte
	lanOff   int64 // stream offset of lan[0]
	junkOff  int64 // start of a run of bytes outside messages; -1 if none
	junkSize int64
	junkRaw  [devices.MaxRaw]byte
	junkN    int

	// serial
	sbuf     []byte
	inFrame  bool
	discard  bool // oversize: dropping until the next BOF or EOF
	esc      bool
	frameOff int64
	frameLen int64 // wire bytes of the current frame so far
}

func newFramer() *framer {
	return &framer{
		det:     make([]byte, 0, detectMax),
		scratch: make([]byte, 0, maxSerial),
		lan:     make([]byte, 0, 2*MaxMessage),
		sbuf:    make([]byte, 0, maxSerial),
		junkOff: -1,
	}
}

// reset starts a new stream framed as mode (linkUnknown: detect it).
func (f *framer) reset(mode link, live bool) {
	f.mode, f.live, f.off = mode, live, 0
	f.det, f.detOff = f.det[:0], 0
	f.lan, f.lanOff = f.lan[:0], 0
	f.junkOff, f.junkSize, f.junkN = -1, 0, 0
	f.sbuf, f.inFrame, f.discard, f.esc = f.sbuf[:0], false, false, false
}

// feed frames p, the next bytes of the stream.
func (f *framer) feed(p []byte, h handler) {
	for len(p) > 0 && f.mode == linkUnknown {
		if f.live && len(f.det) == 0 {
			if n, st := checkLAN(p); st == lanValid && n == len(p) {
				f.mode = linkLAN
				break
			}
		}
		room := min(len(p), detectMax-len(f.det))
		f.det = append(f.det, p[:room]...)
		p = p[room:]
		mode := f.detect(false)
		if mode == linkUnknown && len(f.det) == detectMax {
			mode = f.detect(true)
		}
		if mode != linkUnknown {
			f.mode = mode
			kept := f.det
			f.det = f.det[:0]
			f.off = f.detOff
			f.feedLocked(kept, h)
		}
	}
	if len(p) > 0 {
		f.feedLocked(p, h)
	}
}

// flush ends the stream: what is left is truncated or garbage.
func (f *framer) flush(h handler) {
	if f.mode == linkUnknown {
		if len(f.det) == 0 {
			return
		}
		f.mode = f.detect(true)
		kept := f.det
		f.det = f.det[:0]
		f.off = f.detOff
		f.feedLocked(kept, h)
	}
	switch f.mode {
	case linkLAN:
		f.scanLAN(h, true)
		f.flushJunk(h)
	case linkSerial:
		f.flushJunk(h)
		if f.inFrame && !f.discard {
			f.report(h, f.frameOff, f.frameLen, devices.ReasonTruncated, "", errEnded, nil)
		}
		f.inFrame, f.discard = false, false
	}
}

func (f *framer) feedLocked(p []byte, h handler) {
	if f.mode == linkLAN {
		for len(p) > 0 {
			room := min(len(p), cap(f.lan)-len(f.lan))
			f.lan = append(f.lan, p[:room]...)
			p = p[room:]
			f.off += int64(room)
			f.scanLAN(h, false)
		}
		return
	}
	for _, c := range p {
		f.serialByte(c, h)
		f.off++
	}
}

// detect looks at the kept bytes for the framing. With final it settles
// for less: one LAN message (and no serial frame) means LAN, anything else
// serial (whose framer then reports the bytes as garbage).
func (f *framer) detect(final bool) link {
	b := f.det
	serialEnd := -1
	for i := 0; i < len(b); i++ {
		if b[i] != bof {
			continue
		}
		j := i + 1
		for j < len(b) && b[j] != bof && b[j] != eof {
			j++
		}
		if j == len(b) {
			break
		}
		if b[j] == eof && f.validSerial(b[i+1:j]) {
			serialEnd = j + 1
			break
		}
		i = j - 1 // the next BOF, if any
	}
	lanEnd, lanOne := -1, -1
	for s := 0; s < len(b); s++ {
		n, st := checkLAN(b[s:])
		if st != lanValid {
			continue
		}
		if lanOne < 0 {
			lanOne = s + n
		}
		if m, st2 := checkLAN(b[s+n:]); st2 == lanValid && (lanEnd < 0 || s+n+m < lanEnd) {
			lanEnd = s + n + m
		}
	}
	switch {
	case serialEnd >= 0 && (lanEnd < 0 || serialEnd <= lanEnd):
		return linkSerial
	case lanEnd >= 0:
		return linkLAN
	case !final:
		return linkUnknown
	case lanOne >= 0 && serialEnd < 0:
		return linkLAN
	}
	return linkSerial
}

// validSerial unescapes a frame's content (between BOF and EOF) and checks
// its header and FCS.
func (f *framer) validSerial(esc []byte) bool {
	u := f.scratch[:0]
	for i := 0; i < len(esc); i++ {
		c := esc[i]
		if c == escByte {
			i++
			if i == len(esc) {
				return false
			}
			c = esc[i] ^ 0x20
		}
		if len(u) == maxSerial {
			return false
		}
		u = append(u, c)
	}
	return checkSerial(u) == nil
}

// checkSerial validates an unescaped frame: header, length, FCS.
func checkSerial(u []byte) error {
	if len(u) < 4+2 {
		return errLength
	}
	if fcs16(u) != fcsGood {
		return errFCS
	}
	if u[0] != serialProtocolID || u[1] != serialMsgType {
		return errHeader
	}
	if int(binary.BigEndian.Uint16(u[2:])) != len(u)-6 {
		return errLength
	}
	if len(u) == 6 {
		return errEmptyBody
	}
	return nil
}

func (f *framer) serialByte(c byte, h handler) {
	switch {
	case c == bof:
		if f.inFrame && !f.discard {
			f.report(h, f.frameOff, f.frameLen, devices.ReasonTruncated, "", errCut, f.sbuf)
		}
		f.flushJunk(h)
		f.inFrame, f.discard, f.esc = true, false, false
		f.frameOff, f.frameLen = f.off, 1
		f.sbuf = f.sbuf[:0]
	case !f.inFrame:
		f.junk(c)
	case f.discard:
		if c == eof {
			f.inFrame, f.discard = false, false
		}
	case c == eof:
		f.frameLen++
		f.inFrame = false
		if f.esc {
			f.report(h, f.frameOff, f.frameLen, devices.ReasonTruncated, "frame", errAborted, f.sbuf)
			return
		}
		f.endSerial(h)
	case c == escByte && !f.esc:
		f.esc = true
		f.frameLen++
	default:
		if f.esc {
			c ^= 0x20
			f.esc = false
		}
		f.frameLen++
		if len(f.sbuf) == maxSerial {
			f.report(h, f.frameOff, f.frameLen, devices.ReasonOversize, "", errTooLong, f.sbuf)
			f.discard = true
			return
		}
		f.sbuf = append(f.sbuf, c)
	}
}

func (f *framer) endSerial(h handler) {
	u := f.sbuf
	if err := checkSerial(u); err != nil {
		reason, field := devices.ReasonSyntax, "header"
		if err == errFCS {
			reason, field = devices.ReasonChecksum, "FCS"
		}
		f.report(h, f.frameOff, f.frameLen, reason, field, err, u)
		return
	}
	h.message(u[4:len(u)-2], f.frameOff, int(f.frameLen))
}

// LAN framing.

type lanState uint8

const (
	lanInvalid lanState = iota
	lanNeedMore
	lanValid
)

// checkLAN reports whether b starts with a whole, consistent message, and
// its length. Only the outer layers are checked here (the lengths agree,
// the types exist); the parser checks the rest.
func checkLAN(b []byte) (int, lanState) {
	if len(b) == 0 {
		return 0, lanNeedMore
	}
	switch b[0] {
	case sessionData:
		if len(b) < 2 {
			return 0, lanNeedMore
		}
		if b[1] != 0x00 {
			return 0, lanInvalid
		}
		if len(b) < 8 {
			return 0, lanNeedMore
		}
		ro, rl := binary.BigEndian.Uint16(b[4:]), int(binary.BigEndian.Uint16(b[6:]))
		n := 8 + rl
		switch {
		case n > MaxMessage:
			return 0, lanInvalid
		case ro == roIV || ro == roRS || ro == roER:
			if rl < 6 {
				return 0, lanInvalid
			}
		case ro == roLRS:
			if rl < 8 {
				return 0, lanInvalid
			}
		default:
			return 0, lanInvalid
		}
		if len(b) < 14 {
			return 0, lanNeedMore
		}
		switch ro {
		case roIV, roRS:
			cmd := binary.BigEndian.Uint16(b[10:])
			if !validCmd(cmd) || int(binary.BigEndian.Uint16(b[12:])) != rl-6 {
				return 0, lanInvalid
			}
		case roER:
			if int(binary.BigEndian.Uint16(b[12:])) != rl-6 {
				return 0, lanInvalid
			}
		case roLRS:
			if len(b) < 16 {
				return 0, lanNeedMore
			}
			if b[8] < rorlsFirst || b[8] > rorlsLast || !validCmd(binary.BigEndian.Uint16(b[12:])) ||
				int(binary.BigEndian.Uint16(b[14:])) != rl-8 {
				return 0, lanInvalid
			}
		}
		if len(b) < n {
			return n, lanNeedMore
		}
		return n, lanValid
	case spduCN, spduAC, spduRF, spduFN, spduDN, spduAB:
		if len(b) < 2 {
			return 0, lanNeedMore
		}
		n, hl := 2+int(b[1]), 2
		if b[1] == 0xFF {
			if len(b) < 4 {
				return 0, lanNeedMore
			}
			n, hl = 4+int(binary.BigEndian.Uint16(b[2:])), 4
		}
		if n > MaxMessage || n < hl+3 {
			return 0, lanInvalid
		}
		// The session data that follows the header is fixed per type
		// (guide, "Association Control Protocol Examples").
		need := hl + 3
		if len(b) < need {
			return 0, lanNeedMore
		}
		d := b[hl:]
		switch b[0] {
		case spduCN, spduAC:
			if d[0] != 0x05 || d[1] != 0x08 || d[2] != 0x13 {
				return 0, lanInvalid
			}
		case spduRF:
			if d[0] != 0x32 {
				return 0, lanInvalid
			}
		case spduFN, spduDN:
			if d[0] != 0xC1 {
				return 0, lanInvalid
			}
		case spduAB:
			if d[0] != 0x11 || d[1] != 0x01 || d[2] != 0x03 {
				return 0, lanInvalid
			}
		}
		if len(b) < n {
			return n, lanNeedMore
		}
		return n, lanValid
	}
	return 0, lanInvalid
}

func validCmd(c uint16) bool {
	switch c {
	case cmdEventReport, cmdConfirmedEventReport, cmdGet, cmdSet, cmdConfirmedSet, cmdConfirmedAction:
		return true
	}
	return false
}

// scanLAN delimits the messages in f.lan. A byte that cannot start a
// message joins the current run of garbage; the run is reported as one bad
// frame when a message follows or the stream ends.
func (f *framer) scanLAN(h handler, final bool) {
	i := 0
	for i < len(f.lan) {
		n, st := checkLAN(f.lan[i:])
		if st == lanNeedMore && !final {
			break
		}
		if st == lanNeedMore && n > 0 {
			// A plausible message the stream ended inside.
			f.flushJunk(h)
			f.report(h, f.lanOff+int64(i), int64(len(f.lan)-i), devices.ReasonTruncated, "", errShortLAN, f.lan[i:])
			i = len(f.lan)
			break
		}
		if st != lanValid {
			f.junkAt(f.lanOff+int64(i), f.lan[i])
			i++
			continue
		}
		f.flushJunk(h)
		h.message(f.lan[i:i+n], f.lanOff+int64(i), n)
		i += n
	}
	if i > 0 {
		rest := copy(f.lan, f.lan[i:])
		f.lan = f.lan[:rest]
		f.lanOff += int64(i)
	}
}

func (f *framer) junk(c byte) { f.junkAt(f.off, c) }

func (f *framer) junkAt(off int64, c byte) {
	if f.junkOff < 0 {
		f.junkOff, f.junkSize, f.junkN = off, 0, 0
	}
	f.junkSize++
	if f.junkN < len(f.junkRaw) {
		f.junkRaw[f.junkN] = c
		f.junkN++
	}
}

func (f *framer) flushJunk(h handler) {
	if f.junkOff < 0 {
		return
	}
	f.report(h, f.junkOff, f.junkSize, devices.ReasonSyntax, "", errGarbage, f.junkRaw[:f.junkN])
	f.junkOff = -1
}

func (f *framer) report(h handler, off, size int64, r devices.Reason, field string, err error, raw []byte) {
	f.bad = devices.FrameError{Driver: Name, Offset: off, Size: size, Reason: r, Field: field, Raw: devices.RawHead(raw), Err: err}
	h.badFrame(&f.bad)
}

// FCS-16 of RFC 1662 (the guide points to RFC 1171's code and IrLAP):
// reflected polynomial 0x8408, initial 0xFFFF, sent complemented, LSB
// first; the FCS over the data and its own FCS bytes is fcsGood.
const fcsGood = 0xF0B8

var fcsTable = func() (t [256]uint16) {
	for b := range 256 {
		v := uint16(b)
		for range 8 {
			if v&1 != 0 {
				v = v>>1 ^ 0x8408
			} else {
				v >>= 1
			}
		}
		t[b] = v
	}
	return t
}()

func fcs16(b []byte) uint16 {
	fcs := uint16(0xFFFF)
	for _, c := range b {
		fcs = fcs>>8 ^ fcsTable[byte(fcs)^c]
	}
	return fcs
}

// appendSerial appends msg as one serial frame.
func appendSerial(dst, msg []byte) []byte {
	var hdr [4]byte
	hdr[0], hdr[1] = serialProtocolID, serialMsgType
	binary.BigEndian.PutUint16(hdr[2:], uint16(len(msg)))
	fcs := uint16(0xFFFF)
	for _, c := range hdr {
		fcs = fcs>>8 ^ fcsTable[byte(fcs)^c]
	}
	for _, c := range msg {
		fcs = fcs>>8 ^ fcsTable[byte(fcs)^c]
	}
	fcs = ^fcs
	dst = append(dst, bof)
	dst = appendEscaped(dst, hdr[:])
	dst = appendEscaped(dst, msg)
	dst = appendEscaped(dst, []byte{byte(fcs), byte(fcs >> 8)})
	return append(dst, eof)
}

func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if c == bof || c == eof || c == escByte {
			dst = append(dst, escByte, c^0x20)
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

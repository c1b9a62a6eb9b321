package hl7out

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// The MLLP framing bytes: VT message FS CR.
const (
	mllpStart = 0x0b
	mllpEnd   = 0x1c
	mllpCR    = 0x0d
)

// Defaults of a Client.
const (
	DefaultAckTimeout  = 30 * time.Second
	DefaultDialTimeout = 10 * time.Second
	// MaxAck bounds an acknowledgement; a longer answer is a protocol
	// error, never buffered without end.
	MaxAck = 1 << 20
)

// ErrNoAnswer wraps every failure to get an acknowledgement: the engine
// not reachable, the connection lost, no ACK within the timeout, an answer
// that is not an ACK of this message. The message may or may not have
// arrived; it is sent again (same control ID) later.
var ErrNoAnswer = errors.New("hl7out: no acknowledgement")

// Ack is the engine's acknowledgement of a message.
type Ack struct {
	// Code is MSA-1: AA accepted, AE error, AR rejected (CA, CE, CR in
	// enhanced mode).
	Code string
	// ControlID is MSA-2, the control ID of the acknowledged message.
	ControlID string
	// Text is the engine's text: MSA-3 and the ERR segments' messages.
	Text string
}

// Accepted reports whether the engine took the message (AA or CA).
func (a Ack) Accepted() bool { return a.Code == "AA" || a.Code == "CA" }

func (a Ack) String() string {
	if a.Text == "" {
		return a.Code
	}
	return a.Code + ": " + a.Text
}

// Dialer makes the TCP connection to the engine; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Client sends messages to one interface engine over MLLP and waits for
// each acknowledgement (original mode). It keeps its connection between
// messages and makes a new one after any failure. A Client is used by one
// goroutine.
type Client struct {
	// Address is the engine's host:port.
	Address string
	// TLS, when set, wraps the connection (server name from Address
	// unless set in the config).
	TLS *tls.Config
	// Dialer, when set, makes the connection (default: a net.Dialer with
	// DefaultDialTimeout).
	Dialer Dialer
	// AckTimeout bounds the wait for the ACK after the message is
	// written (default DefaultAckTimeout).
	AckTimeout time.Duration

	conn net.Conn
	rd   *bufio.Reader
}

// Close closes the connection, if any.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn, c.rd = nil, nil
	return err
}

func (c *Client) dial(ctx context.Context) error {
	d := c.Dialer
	if d == nil {
		d = &net.Dialer{Timeout: DefaultDialTimeout}
	}
	conn, err := d.DialContext(ctx, "tcp", c.Address)
	if err != nil {
		return err
	}
	if c.TLS != nil {
		cfg := c.TLS.Clone()
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(c.Address)
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.conn, c.rd = conn, bufio.NewReader(conn)
	return nil
}

// Send writes msg (segments ended by CR, without framing) in one MLLP
// block and returns the engine's acknowledgement. The error wraps
// ErrNoAnswer when there is no usable ACK; an AE or AR is not an error
// (see Ack.Accepted). The control ID of the ACK (MSA-2) must be the
// message's (MSH-10).
func (c *Client) Send(ctx context.Context, msg []byte) (Ack, error) {
	ctrl := mshField(msg, 10)
	if ctrl == "" {
		return Ack{}, errors.New("hl7out: message without MSH-10")
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return Ack{}, fmt.Errorf("%w: %s: %w", ErrNoAnswer, c.Address, err)
		}
	}
	ack, err := c.exchange(ctx, msg, ctrl)
	if err != nil {
		c.Close()
		return Ack{}, fmt.Errorf("%w: %s: %w", ErrNoAnswer, c.Address, err)
	}
	return ack, nil
}

func (c *Client) exchange(ctx context.Context, msg []byte, ctrl string) (Ack, error) {
	timeout := c.AckTimeout
	if timeout <= 0 {
		timeout = DefaultAckTimeout
	}
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	// Writing a large message to a slow engine takes time too: the write
	// has the same bound as the wait for the answer.
	if err := c.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return Ack{}, err
	}
	frame := make([]byte, 0, len(msg)+3)
	frame = append(append(append(frame, mllpStart), msg...), mllpEnd, mllpCR)
	if _, err := c.conn.Write(frame); err != nil {
		return Ack{}, ctxErr(ctx, err)
	}
	for {
		block, err := readBlock(c.rd, MaxAck)
		if err != nil {
			return Ack{}, ctxErr(ctx, err)
		}
		ack, err := ParseAck(block)
		if err != nil {
			return Ack{}, err
		}
		if ack.ControlID != ctrl {
			// An answer to an earlier message on this connection (one
			// whose wait timed out): not ours, keep reading.
			continue
		}
		return ack, nil
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Framing errors of readBlock.
var (
	errBlockStart = errors.New("MLLP: bytes before the start block")
	errBlockLong  = errors.New("MLLP: answer longer than the limit")
	errBlockEnd   = errors.New("MLLP: FS not followed by CR")
)

// readBlock reads one MLLP block (VT ... FS CR) of at most limit bytes and
// returns its content. Whitespace between blocks is skipped; other bytes
// before the VT are an error.
func readBlock(r *bufio.Reader, limit int) ([]byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == mllpStart {
			break
		}
		if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
			return nil, errBlockStart
		}
	}
	var out []byte
	for {
		chunk, err := r.ReadSlice(mllpEnd)
		if len(out)+len(chunk) > limit {
			return nil, errBlockLong
		}
		out = append(out, chunk...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	b, err := r.ReadByte()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if b != mllpCR {
		return nil, errBlockEnd
	}
	return out[:len(out)-1], nil
}

// ErrBadAck is wrapped by ParseAck's errors.
var ErrBadAck = errors.New("hl7out: not an acknowledgement")

// ParseAck reads an acknowledgement message: MSH (for its delimiters),
// MSA (code, control ID, text) and any ERR segments (their user message,
// ERR-8, or the error code's text, ERR-3.2).
func ParseAck(msg []byte) (Ack, error) {
	segs := bytes.FieldsFunc(msg, func(r rune) bool { return r == '\r' || r == '\n' })
	if len(segs) == 0 || len(segs[0]) < 8 || string(segs[0][:3]) != "MSH" {
		return Ack{}, fmt.Errorf("%w: no MSH segment", ErrBadAck)
	}
	fs, cs := segs[0][3], segs[0][4]
	esc := segs[0][6]
	var ack Ack
	var texts []string
	found := false
	for _, s := range segs[1:] {
		f := bytes.Split(s, []byte{fs})
		get := func(i int) []byte {
			if i < len(f) {
				return f[i]
			}
			return nil
		}
		switch string(f[0]) {
		case "MSA":
			if found {
				continue
			}
			found = true
			ack.Code = string(bytes.TrimSpace(get(1)))
			ack.ControlID = string(bytes.TrimSpace(get(2)))
			if t := unescape(get(3), fs, cs, esc); t != "" {
				texts = append(texts, t)
			}
		case "ERR":
			t := unescape(get(8), fs, cs, esc)
			if t == "" {
				if c := bytes.Split(get(3), []byte{cs}); len(c) > 1 {
					t = unescape(c[1], fs, cs, esc)
				}
			}
			if t == "" {
				t = unescape(get(1), fs, cs, esc) // v2.3 ERR-1
			}
			if t != "" && !contains(texts, t) {
				texts = append(texts, t)
			}
		}
	}
	if !found {
		return Ack{}, fmt.Errorf("%w: no MSA segment", ErrBadAck)
	}
	switch ack.Code {
	case "AA", "AE", "AR", "CA", "CE", "CR":
	default:
		return Ack{}, fmt.Errorf("%w: MSA-1 %q", ErrBadAck, ack.Code)
	}
	ack.Text = strings.Join(texts, "; ")
	return ack, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// unescape turns an HL7 text field into plain text for display: the
// escape sequences of the delimiters and line breaks decoded, components
// joined by spaces, control characters dropped, at most 500 bytes.
func unescape(b []byte, fs, cs, esc byte) string {
	var out strings.Builder
	for i := 0; i < len(b) && out.Len() < 500; i++ {
		c := b[i]
		switch {
		case c == esc:
			j := bytes.IndexByte(b[i+1:], esc)
			if j < 0 {
				continue
			}
			switch seq := string(b[i+1 : i+1+j]); seq {
			case "F":
				out.WriteByte(fs)
			case "S":
				out.WriteByte(cs)
			case "T":
				out.WriteByte('&')
			case "R":
				out.WriteByte('~')
			case "E":
				out.WriteByte(esc)
			case ".br":
				out.WriteByte(' ')
			}
			i += j + 1
		case c == cs:
			out.WriteByte(' ')
		case c < 0x20 || c == 0x7f:
		default:
			out.WriteByte(c)
		}
	}
	return strings.TrimSpace(out.String())
}

// mshField returns field n of a message's MSH segment (MSH-1 is the field
// separator).
func mshField(msg []byte, n int) string {
	seg, _, _ := bytes.Cut(msg, []byte{'\r'})
	if len(seg) < 4 || string(seg[:3]) != "MSH" || n < 2 {
		return ""
	}
	f := bytes.Split(seg, seg[3:4])
	if n-1 < len(f) {
		return string(f[n-1])
	}
	return ""
}

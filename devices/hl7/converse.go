package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/pumpside/pumpside/devices"
)

// AckTimeout is how long a sender waits for the receiver's acknowledgement
// of a message before it gives up (the common MLLP interface setting).
const AckTimeout = 30 * time.Second

// ErrNotAcknowledged wraps what Converse reports when the receiver did not
// accept the message: an AE/AR/CE/CR acknowledgement, one for another
// message, or none in time.
var ErrNotAcknowledged = fmt.Errorf("hl7: message not acknowledged: %w", devices.ErrNotAccepted)

var _ devices.Conversant = (*Driver)(nil)

// Converse sends msg, one MLLP block from AppendFrame, over c as an
// analyser's interface does, and waits for the receiver's ACK: MSA-1 AA
// (or CA) for this message's control ID (MSH-10) is accepted; anything
// else, or nothing within AckTimeout (Driver.AckTimeout if set), is an
// error wrapping ErrNotAcknowledged.
func (d *Driver) Converse(c devices.Conn, msg []byte) error {
	if len(msg) < 3 || msg[0] != VT || !bytes.HasSuffix(msg, []byte{FS, CR}) {
		return errors.New("hl7: converse: not one MLLP block")
	}
	ctrl := mshField(msg[1:], 10)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	timeout := d.AckTimeout
	if timeout <= 0 {
		timeout = AckTimeout
	}
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	var buf []byte
	var tmp [512]byte
	for {
		n, err := c.Read(tmp[:])
		buf = append(buf, tmp[:n]...)
		if end := bytes.Index(buf, []byte{FS, CR}); end >= 0 {
			return checkAck(buf[:end], ctrl)
		}
		if len(buf) > MaxMessage {
			return fmt.Errorf("%w: the answer exceeds %d bytes without an end", ErrNotAcknowledged, MaxMessage)
		}
		if err != nil {
			if isTimeout(err) {
				return fmt.Errorf("%w: no ACK within %v", ErrNotAcknowledged, timeout)
			}
			return err
		}
	}
}

// checkAck reads an acknowledgement block (VT … without FS CR): MSA-1
// must be AA or CA, and MSA-2 the control ID sent.
func checkAck(block []byte, ctrl string) error {
	if i := bytes.IndexByte(block, VT); i >= 0 {
		block = block[i+1:]
	}
	for seg := range bytes.SplitSeq(block, []byte{CR}) {
		if !bytes.HasPrefix(seg, []byte("MSA|")) {
			continue
		}
		f := bytes.Split(seg, []byte{'|'})
		code, id, text := field(f, 1), field(f, 2), field(f, 3)
		switch {
		case code != "AA" && code != "CA":
			return fmt.Errorf("%w: MSA-1 %s %s", ErrNotAcknowledged, code, text)
		case ctrl != "" && id != ctrl:
			return fmt.Errorf("%w: the ACK is for message %q, not %q", ErrNotAcknowledged, id, ctrl)
		}
		return nil
	}
	return fmt.Errorf("%w: the answer has no MSA segment", ErrNotAcknowledged)
}

// mshField returns field n of the message's MSH segment (MSH-1 is the
// field separator itself, so MSH-n is the n−1th piece after splitting).
func mshField(msg []byte, n int) string {
	seg, _, _ := bytes.Cut(msg, []byte{CR})
	if !bytes.HasPrefix(seg, []byte("MSH")) || len(seg) < 4 {
		return ""
	}
	return field(bytes.Split(seg, seg[3:4]), n-1)
}

func field(f [][]byte, i int) string {
	if i < len(f) {
		return string(f[i])
	}
	return ""
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

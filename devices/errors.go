package devices

import (
	"errors"
	"fmt"
	"strconv"
)

// Reason classifies a bad frame. Counters are kept per reason.
type Reason uint8

// The reasons a frame is bad.
const (
	// ReasonSyntax: the frame does not have the protocol's shape.
	ReasonSyntax Reason = iota
	// ReasonField: a field is missing, repeated or has an unreadable value.
	ReasonField
	// ReasonChecksum: the frame's checksum does not match.
	ReasonChecksum
	// ReasonOversize: the frame is longer than the protocol allows; it was
	// discarded without being buffered.
	ReasonOversize
	// ReasonTruncated: the stream ended inside a frame.
	ReasonTruncated
	// ReasonSequence: a frame out of order (sequence number, handshake).
	ReasonSequence
	// NumReasons is the number of reasons, for tables indexed by Reason.
	NumReasons
)

var reasonNames = [NumReasons]string{"syntax", "field", "checksum", "oversize", "truncated", "sequence"}

// String returns the reason's name as printed by `pumpside decode`.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// ParseReason is the inverse of String.
func ParseReason(s string) (Reason, error) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), nil
		}
	}
	return 0, fmt.Errorf("devices: unknown frame reason %q", s)
}

// MaxRaw is how many bytes of a bad frame a FrameError keeps.
const MaxRaw = 96

// FrameError describes one bad frame: which driver, where in the stream, why,
// which field, and the frame's first bytes.
type FrameError struct {
	Driver string
	// Offset is the byte offset of the frame's first byte in the stream.
	Offset int64
	// Size is the frame's length in bytes (for oversize frames, as far as
	// known when reported).
	Size   int64
	Reason Reason
	// Field names the offending field, if any.
	Field string
	// Raw holds up to MaxRaw bytes from the frame's start. It may alias the
	// driver's buffer: see Events.FrameBad.
	Raw []byte
	// Err is the underlying cause, if any.
	Err error
}

func (e *FrameError) Error() string {
	s := e.Driver + ": bad frame at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason.String()
	if e.Field != "" {
		s += " in " + e.Field
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if len(e.Raw) > 0 {
		s += ": " + strconv.QuoteToASCII(string(e.Raw))
	}
	return s
}

// Unwrap returns the cause.
func (e *FrameError) Unwrap() error { return e.Err }

// Clone returns a copy that owns its Raw bytes.
func (e *FrameError) Clone() *FrameError {
	c := *e
	c.Raw = append([]byte(nil), e.Raw...)
	return &c
}

// Is makes errors.Is(err, ErrBadFrame) true for any FrameError.
func (e *FrameError) Is(target error) bool { return target == ErrBadFrame }

// ErrBadFrame matches every *FrameError with errors.Is.
var ErrBadFrame = errors.New("bad frame")

// RawHead returns at most MaxRaw bytes of b.
func RawHead(b []byte) []byte {
	if len(b) > MaxRaw {
		return b[:MaxRaw]
	}
	return b
}

// ErrConfig marks configuration errors: the Supervisor does not retry them
// and the commands exit with status 2. Wrap it with %w.
var ErrConfig = errors.New("configuration error")

package astm

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
)

// replyConn answers each write with the next byte of its script, and then
// nothing (a read past its deadline).
type replyConn struct {
	script []byte
	in     bytes.Buffer
	out    bytes.Buffer
}

func (c *replyConn) Write(p []byte) (int, error) {
	if len(c.script) > 0 {
		c.in.WriteByte(c.script[0])
		c.script = c.script[1:]
	}
	return c.out.Write(p)
}

func (c *replyConn) Read(p []byte) (int, error) {
	if c.in.Len() == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	return c.in.Read(p)
}

func (c *replyConn) SetReadDeadline(time.Time) error { return nil }

func transfer() []byte {
	msg := []byte{ENQ}
	msg = AppendLowFrame(msg, '1', []byte("H|\\^&|||A\r"), true)
	msg = AppendLowFrame(msg, '2', []byte("L|1|N\r"), true)
	return append(msg, EOT)
}

func TestConverseScript(t *testing.T) {
	d := &Driver{}
	for _, tc := range []struct {
		name   string
		script []byte
		want   error
		frames int // frames written
	}{
		{"accepted", []byte{ACK, ACK, ACK}, nil, 2},
		{"a frame NAKed once", []byte{ACK, NAK, ACK, ACK}, nil, 3},
		{"busy", []byte{NAK}, ErrRefused, 0},
		{"six NAKs", []byte{ACK, NAK, NAK, NAK, NAK, NAK, NAK}, ErrRetries, 6},
		{"silent after ENQ", nil, ErrNoReply, 0},
		{"silent after a frame", []byte{ACK}, ErrNoReply, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &replyConn{script: tc.script}
			err := d.Converse(c, transfer())
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
				require.ErrorIs(t, err, devices.ErrNotAccepted)
			}
			out := c.out.Bytes()
			assert.Equal(t, byte(ENQ), out[0])
			assert.Equal(t, tc.frames, bytes.Count(out, []byte{LF}))
			if !errors.Is(err, ErrRefused) {
				assert.Equal(t, byte(EOT), out[len(out)-1], "a transfer ends with EOT")
			}
		})
	}
	assert.Error(t, d.Converse(&replyConn{}, []byte("not a transfer")))
}

// FuzzConverse: whatever the receiver answers, Converse ends (accepted or
// an error) without panicking, and never writes more than ENQ, six tries of
// each frame and EOT.
func FuzzConverse(f *testing.F) {
	f.Add([]byte{ACK, ACK, ACK})
	f.Add([]byte{ACK, NAK, ACK, ACK})
	f.Add([]byte{NAK})
	f.Add([]byte{EOT, 'x', ACK})
	f.Fuzz(func(t *testing.T, script []byte) {
		c := &replyConn{script: script}
		_ = (&Driver{}).Converse(c, transfer())
		if n := bytes.Count(c.out.Bytes(), []byte{LF}); n > 12 {
			t.Fatalf("%d frames written for a two-frame transfer", n)
		}
	})
}

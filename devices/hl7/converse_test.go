package hl7

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
)

// scriptedConn answers every write with the next reply, and then nothing
// (a read past its deadline).
type scriptedConn struct {
	replies [][]byte
	in      bytes.Buffer
	out     bytes.Buffer
}

func (c *scriptedConn) Write(p []byte) (int, error) {
	if len(c.replies) > 0 {
		c.in.Write(c.replies[0])
		c.replies = c.replies[1:]
	}
	return c.out.Write(p)
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	if c.in.Len() == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	return c.in.Read(p)
}

func (c *scriptedConn) SetReadDeadline(time.Time) error { return nil }

var _ devices.Conn = (*scriptedConn)(nil)

const testMsg = "\x0bMSH|^~\\&|ANALYSER||LIS||20260302080000||ORU^R01|C42|P|2.5.1\rPID|1\r\x1c\r"

func ack(code, ctrl, text string) []byte {
	return []byte("\x0bMSH|^~\\&|LIS||||20260302||ACK^R01|" + ctrl + "|P|2.5.1\rMSA|" + code + "|" + ctrl + "|" + text + "\r\x1c\r")
}

func TestConverseReadsTheAck(t *testing.T) {
	d := &Driver{}
	for _, tc := range []struct {
		name  string
		reply []byte
		want  string // "" for accepted
	}{
		{"AA", ack("AA", "C42", ""), ""},
		{"CA", ack("CA", "C42", ""), ""},
		{"AE", ack("AE", "C42", "bad OBX"), "MSA-1 AE bad OBX"},
		{"AR", ack("AR", "C42", "no such test"), "MSA-1 AR no such test"},
		{"another message", ack("AA", "C41", ""), `for message "C41", not "C42"`},
		{"no MSA", []byte("\x0bMSH|^~\\&|LIS\r\x1c\r"), "no MSA segment"},
		{"silence", nil, "no ACK within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &scriptedConn{replies: [][]byte{tc.reply}}
			err := d.Converse(c, []byte(testMsg))
			assert.Equal(t, testMsg, c.out.String(), "the message goes out as it is")
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, devices.ErrNotAccepted)
			require.ErrorIs(t, err, ErrNotAcknowledged)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	// A broken connection is the connection's error, not a refusal.
	err := d.Converse(brokenConn{}, []byte(testMsg))
	require.Error(t, err)
	assert.False(t, errors.Is(err, devices.ErrNotAccepted))
	assert.Error(t, d.Converse(&scriptedConn{}, []byte("MSH|no framing")))
}

type brokenConn struct{ net.Conn }

func (brokenConn) Write([]byte) (int, error)       { return 0, io.ErrClosedPipe }
func (brokenConn) SetReadDeadline(time.Time) error { return nil }

// FuzzConverse: whatever a receiver answers, Converse returns (accepted
// or an error) and never panics.
func FuzzConverse(f *testing.F) {
	f.Add(ack("AA", "C42", ""))
	f.Add(ack("AE", "C42", "x"))
	f.Add([]byte("\x0b\x1c\r"))
	f.Add([]byte("MSA|AA"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		d := &Driver{}
		_ = d.Converse(&scriptedConn{replies: [][]byte{reply}}, []byte(testMsg))
		_ = mshField(reply, 10)
	})
}

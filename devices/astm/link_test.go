package astm_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
)

// linkLog records what a Receiver hands its Handler.
type linkLog struct {
	replies []byte
	frames  []string
	ends    []bool
	bad     []devices.Reason
}

func (l *linkLog) Reply(b byte) { l.replies = append(l.replies, b) }
func (l *linkLog) Start(int64)  {}
func (l *linkLog) Frame(text []byte, end bool, _ int64) {
	l.frames = append(l.frames, string(text))
}
func (l *linkLog) End(_ int64, interrupted bool) { l.ends = append(l.ends, interrupted) }
func (l *linkLog) Bad(err *devices.FrameError)   { l.bad = append(l.bad, err.Reason) }
func feed(r *astm.Receiver, in []byte, off int64) {
	for i, c := range in {
		r.Feed(c, off+int64(i))
	}
}

func TestReceiverHandshake(t *testing.T) {
	f1 := astm.AppendLowFrame(nil, '1', []byte("H|\\^&\r"), true)
	f2 := astm.AppendLowFrame(nil, '2', []byte("L|1|"), false)
	f2b := astm.AppendLowFrame(nil, '2', []byte("N\r"), true)
	bad := bytes.Clone(f2)
	bad[3] ^= 0x01 // one bit of the text
	f3 := astm.AppendLowFrame(nil, '3', []byte("L|1|N\r"), true)
	var in []byte
	in = append(in, astm.ENQ)
	in = append(in, f1...)
	in = append(in, bad...) // NAK
	in = append(in, f2...)  // ACK (the retransmission)
	in = append(in, f2...)  // ACK again, ignored (our ACK was lost)
	in = append(in, f2b...) // wrong number (2 again but new text is not a repeat we can tell): NAK
	in = append(in, f3...)  // ACK
	in = append(in, astm.EOT)
	l := &linkLog{}
	r := astm.NewReceiver(l, "astm")
	feed(r, in, 0)
	assert.Equal(t, []byte{astm.ACK, astm.ACK, astm.NAK, astm.ACK, astm.ACK, astm.ACK, astm.ACK}, l.replies)
	assert.Equal(t, []string{"H|\\^&\r", "L|1|", "L|1|N\r"}, l.frames)
	assert.Equal(t, []devices.Reason{devices.ReasonChecksum}, l.bad)
	assert.Equal(t, []bool{false}, l.ends)
}

func TestReceiverFrameNumbersCycle(t *testing.T) {
	l := &linkLog{}
	r := astm.NewReceiver(l, "astm")
	in := []byte{astm.ENQ}
	fn := byte('1')
	for i := range 17 {
		in = astm.AppendLowFrame(in, fn, []byte{'C', '|', byte('a' + i)}, i == 16)
		fn = '0' + (fn-'0'+1)%8
	}
	in = append(in, astm.AppendLowFrame(nil, '5', []byte("x"), true)...) // 2 expected
	in = append(in, astm.EOT)
	feed(r, in, 0)
	assert.Len(t, l.frames, 17, "1..7, 0, 1..7, 0, 1")
	assert.Equal(t, []devices.Reason{devices.ReasonSequence}, l.bad)
	assert.Equal(t, byte(astm.NAK), l.replies[len(l.replies)-1])
}

func TestReceiverDamage(t *testing.T) {
	good := astm.AppendLowFrame(nil, '1', []byte("R|1\r"), true)
	for _, c := range []struct {
		name    string
		in      []byte
		bad     []devices.Reason
		replies []byte
		frames  int
	}{
		{"no ENQ", good, []devices.Reason{devices.ReasonSequence}, nil, 0},
		{"repeated ENQ", append([]byte{astm.ENQ, astm.ENQ}, good...), []devices.Reason{devices.ReasonSequence}, []byte{astm.ACK, astm.ACK, astm.ACK}, 1},
		{"junk to LF", append([]byte{astm.ENQ}, "zz\r\n"...), []devices.Reason{devices.ReasonSyntax}, []byte{astm.ACK, astm.NAK}, 0},
		{"no CR", append([]byte{astm.ENQ}, bytes.Replace(good, []byte("\r\n"), []byte("x\n"), 1)...), []devices.Reason{devices.ReasonSyntax}, []byte{astm.ACK, astm.NAK}, 0},
		{"lower-case checksum", append([]byte{astm.ENQ}, bytes.ToLower(good)...), []devices.Reason{devices.ReasonChecksum}, []byte{astm.ACK, astm.NAK}, 0},
		{"STX inside", append(append([]byte{astm.ENQ}, good[:4]...), good...), []devices.Reason{devices.ReasonSyntax}, []byte{astm.ACK, astm.ACK}, 1},
		{"oversize", append(append([]byte{astm.ENQ, astm.STX, '1'}, bytes.Repeat([]byte("A"), astm.MaxText+1)...), "\x0300\r\n"...), []devices.Reason{devices.ReasonOversize}, []byte{astm.ACK, astm.NAK}, 0},
		{"max text", append([]byte{astm.ENQ}, astm.AppendLowFrame(nil, '1', bytes.Repeat([]byte("A"), astm.MaxText), true)...), nil, []byte{astm.ACK, astm.ACK}, 1},
	} {
		l := &linkLog{}
		r := astm.NewReceiver(l, "astm")
		feed(r, c.in, 0)
		assert.Equal(t, c.bad, l.bad, c.name)
		assert.Equal(t, c.replies, l.replies, c.name)
		assert.Len(t, l.frames, c.frames, c.name)
	}
}

// FuzzReceiver checks the link layer alone: whatever the input, every
// accepted frame fits the bound and was acknowledged, every reply is ACK or
// NAK, and feeding the bytes again after Reset gives the same.
func FuzzReceiver(f *testing.F) {
	f.Add(append([]byte{astm.ENQ}, append(astm.AppendLowFrame(nil, '1', []byte("H|\\^&\r"), true), astm.EOT)...))
	f.Add([]byte("\x05\x021R|1\x17AB\r\n\x04"))
	f.Add([]byte("\x05\x05\x02\x02\x03\r\n\x04\x04"))
	f.Fuzz(func(t *testing.T, in []byte) {
		l := &linkLog{}
		r := astm.NewReceiver(l, "astm")
		feed(r, in, 0)
		r.Flush(int64(len(in)))
		acks := 0
		for _, b := range l.replies {
			if b != astm.ACK && b != astm.NAK {
				t.Fatalf("reply %#x", b)
			}
			if b == astm.ACK {
				acks++
			}
		}
		if acks < len(l.frames) {
			t.Fatalf("%d frames accepted, %d ACKs", len(l.frames), acks)
		}
		for _, fr := range l.frames {
			if len(fr) > astm.MaxText || strings.ContainsAny(fr, "\x02\x04\x05\n") {
				t.Fatalf("frame %q", fr)
			}
		}
		l2 := &linkLog{}
		r2 := astm.NewReceiver(l2, "astm")
		feed(r2, in, 0)
		r2.Flush(int64(len(in)))
		if len(l2.frames) != len(l.frames) || !bytes.Equal(l2.replies, l.replies) {
			t.Fatal("not deterministic")
		}
	})
}

// FuzzRecord checks the record parser: header delimiters, fields,
// components, escapes and times never panic, and escaping round-trips.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`H|\^&|||ABL800|||||||P|LIS2-A2|20260302074700`), []byte("R|1|^^^pCO2|5.33|kPa||N||F||||20260302074630"))
	f.Add([]byte(`H#~!$#`), []byte("R#1#!!!K$S$#4.1"))
	f.Add([]byte("H"), []byte("O|1|S1||^^^BG|R||20260231120000||||||||BLD^arterial"))
	f.Fuzz(func(t *testing.T, h, rec []byte) {
		d, err := astm.ParseHeader(h)
		if err != nil {
			d = astm.DefaultDelimiters
		}
		for n := range 20 {
			fl := d.Field(rec, n)
			if len(fl) > len(rec) {
				t.Fatal("field longer than the record")
			}
			for c := range 5 {
				_ = d.Component(fl, c)
			}
			esc := d.Escape(nil, fl)
			if back := d.Unescape(nil, esc); !bytes.Equal(back, fl) {
				t.Fatalf("escape %q -> %q -> %q", fl, esc, back)
			}
			if tm, ok := astm.ParseTime(fl, time.UTC); ok {
				if got := astm.AppendTime(nil, tm, time.UTC); !bytes.Equal(got, fl) && len(fl) == 14 {
					t.Fatalf("time %q -> %q", fl, got)
				}
			}
		}
	})
}

// TestReceiverGivesUpAfterSixRefusals: a frame lost for good (refused, not
// sent again, as on a line that drops bytes) is followed by frames whose
// numbers are out of sequence; eight frames on, the numbers come round and
// one would match. A sender gives a frame up after six attempts (E1381),
// so after six refusals in a row the receiver accepts nothing more of the
// transfer: the record that matched would belong elsewhere.
func TestReceiverGivesUpAfterSixRefusals(t *testing.T) {
	in := []byte{astm.ENQ}
	in = append(in, astm.AppendLowFrame(nil, '1', []byte("H|\\^&\r"), true)...)
	lost := astm.AppendLowFrame(nil, '2', []byte("O|1||||||||||||||arterial\r"), true)
	lost[5] ^= 0x01
	in = append(in, lost...)
	fn := byte('3')
	for i := range 9 {
		in = append(in, astm.AppendLowFrame(nil, fn, []byte("R|"+string(rune('1'+i))+"|^^^pH|7.40\r"), true)...)
		fn = '0' + (fn-'0'+1)%8
	}
	l := &linkLog{}
	r := astm.NewReceiver(l, "astm")
	feed(r, in, 0)
	assert.Equal(t, []string{"H|\\^&\r"}, l.frames, "the frame numbered 2 again, eight frames on, must not be taken")
	assert.Equal(t, devices.ReasonChecksum, l.bad[0])
	assert.Len(t, l.bad, 10)
	assert.Equal(t, byte(astm.NAK), l.replies[len(l.replies)-1])
}

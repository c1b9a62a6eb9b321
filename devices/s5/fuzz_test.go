package s5

import (
	"bytes"
	"context"
	"io"
	"math"
	"testing"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// FuzzDeframe feeds bytes to the framer: no panic; frames and bad stretches
// lie inside the input, in order, without overlapping; a frame never holds
// more than the largest record; and every frame found, escaped again,
// decodes to the same bytes.
func FuzzDeframe(f *testing.F) {
	for _, c := range cases(f) {
		if !bytes.HasPrefix(c, []byte("PUMPSIDE")) {
			f.Add(c)
		}
	}
	f.Add([]byte{0x7E, 0x7E, 0x7E})
	f.Add([]byte{0x7E, 0x7D, 0x7E, 0x7D})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDeframer(maxRecord + 1)
		end := int64(-1) // where the latest event ended
		check := func(ev frameEvent, at int64) {
			if ev == evNone {
				return
			}
			if d.off < 0 || d.size <= 0 || d.off+d.size > int64(len(data)) || d.off+d.size > at+1 {
				t.Fatalf("event at %d+%d outside the input (%d bytes, byte %d)", d.off, d.size, len(data), at)
			}
			// A frame's closing flag may be the next one's opening flag:
			// events may share that one byte, no more.
			if d.off < end-1 {
				t.Fatalf("event at %d overlaps the previous one, which ended at %d", d.off, end)
			}
			end = d.off + d.size
			if ev == evFrame {
				fr := d.frame()
				if len(fr) == 0 || len(fr) > maxRecord+1 {
					t.Fatalf("frame of %d bytes", len(fr))
				}
				again := newDeframer(maxRecord + 1)
				var got []byte
				esc := append(appendEscapedRaw(nil, fr), flag)
				for i, b := range esc {
					if again.push(b, int64(i)) == evFrame {
						got = bytes.Clone(again.frame())
					}
				}
				if !bytes.Equal(got, fr) {
					t.Fatalf("frame %x escaped and read again gives %x", fr, got)
				}
			}
		}
		for i, b := range data {
			check(d.push(b, int64(i)), int64(i))
		}
		check(d.end(int64(len(data))), int64(len(data))-1)
	})
}

// appendEscapedRaw appends flag and the escaped bytes of b, no checksum.
func appendEscapedRaw(dst, b []byte) []byte {
	dst = append(dst, flag)
	for _, c := range b {
		dst = appendByte(dst, c)
	}
	return dst
}

// FuzzRecord checks and decodes one record (the bytes of a frame, checksum
// last) the way Decode does: no panic, nothing emitted from a record that
// fails its checks, every sample on a channel Describe lists, OK samples in
// range and finite, a value whenever the quality is OK.
func FuzzRecord(f *testing.F) {
	for _, c := range cases(f) {
		if bytes.HasPrefix(c, []byte("PUMPSIDE")) {
			continue
		}
		d := newDeframer(maxRecord + 1)
		for i, b := range c {
			if d.push(b, int64(i)) == evFrame {
				f.Add(bytes.Clone(d.frame()))
			}
		}
	}
	allowed := map[channel.ID]bool{}
	for _, cs := range New().Describe().Channels {
		allowed[cs.ID] = true
	}
	f.Fuzz(func(t *testing.T, fr []byte) {
		d := New()
		var got []monitor.Sample
		d.env = devices.Env{Sink: devices.SinkFunc(func(s monitor.Sample) bool { got = append(got, s); return true })}.WithDefaults()
		_, _, err := d.check(fr)
		if err == nil {
			d.emit(fr[:len(fr)-1])
		}
		if err != nil && len(got) > 0 {
			t.Fatalf("samples from a record that failed its checks: %v", err)
		}
		for _, s := range got {
			if !allowed[s.Channel] {
				t.Fatalf("sample on %v, which Describe does not list", s.Channel)
			}
			if s.Quality == channel.OK && (math.IsNaN(s.Value) || !channel.Get(s.Channel).InRange(s.Value)) {
				t.Fatalf("%v = %v OK", s.Channel, s.Value)
			}
		}
	})
}

// FuzzRequest feeds frames to the emulated monitor's request reader: no
// panic; what it reads from a frame AppendRequest wrote is what was asked.
func FuzzRequest(f *testing.F) {
	f.Add(byte(phDispl), int16(1), uint32(RequestClasses), []byte(nil))
	f.Add(byte(phDispl), int16(-1), uint32(0), []byte{0x7E})
	f.Add(byte(ph60sTrend), int16(60), uint32(0x0E), []byte{0x31, 0x00})
	f.Fuzz(func(t *testing.T, typ byte, ival int16, classes uint32, junk []byte) {
		d := newDeframer(maxRecord + 1)
		in := append(AppendRequest(nil, typ, ival, classes), junk...)
		n := 0
		for i, b := range in {
			if d.push(b, int64(i)) != evFrame {
				continue
			}
			gt, gi, gc, ok := parseRequest(d.frame())
			if n == 0 && (!ok || gt != typ || gi != ival || gc != classes) {
				t.Fatalf("asked %d %d %#x, read %d %d %#x %v", typ, ival, classes, gt, gi, gc, ok)
			}
			n++
		}
		parseRequest(junk) // any bytes: no panic
		if n == 0 {
			t.Fatal("the request was not framed")
		}
	})
}

// TestDecodeWritesOnlyWhenLive: on a stream without read deadlines (a
// capture, a file) the driver only reads.
func TestDecodeWritesOnlyWhenLive(t *testing.T) {
	var wrote bytes.Buffer
	err := New().Decode(context.Background(), struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(cases(t)["basic"]), &wrote}, devices.Env{})
	if err != io.EOF {
		t.Fatal(err)
	}
	if wrote.Len() != 0 {
		t.Fatalf("wrote %d bytes to a stream without deadlines", wrote.Len())
	}
}

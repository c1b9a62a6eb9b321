package hl7_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"

	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/hl7"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, hl7.Name, devicetest.Options{
		ZeroAllocs:   true,
		OversizeHead: []byte{hl7.VT},
		OversizeTail: []byte{hl7.FS, hl7.CR},
	})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, hl7.Name, "testdata") }

const (
	msh = `MSH|^~\&|ABL90|ICU|LIS|HOSP|20260302074700||ORU^R01^ORU_R01|%s|P|2.5.1`
	pid = "PID|1||123456^^^HOSP^MR||Doe^John||19600101|M"
)

func message(ctrl string, segs ...string) []byte {
	b := []byte{hl7.VT}
	b = append(b, fmt.Sprintf(msh, ctrl)+"\r"...)
	for _, s := range segs {
		b = append(b, s+"\r"...)
	}
	return append(b, hl7.FS, hl7.CR)
}

// recordRW records what the driver writes.
type recordRW struct {
	io.Reader
	out bytes.Buffer
}

func (r *recordRW) Write(p []byte) (int, error) { return r.out.Write(p) }

// acks splits the driver's output into ACK messages.
func acks(t *testing.T, out []byte) []string {
	t.Helper()
	var got []string
	for len(out) > 0 {
		require.Equal(t, byte(hl7.VT), out[0])
		end := bytes.Index(out, []byte{hl7.FS, hl7.CR})
		require.Positive(t, end)
		got = append(got, string(out[1:end]))
		out = out[end+2:]
	}
	return got
}

func TestACKs(t *testing.T) {
	in := bytes.Join([][]byte{
		message("A1", pid, "OBR|1", "SPM|1|||BLDA", "OBX|1|NM|11558-4^pH^LN||7.40|[pH]|||||F"),
		message("A2", pid, "OBR|1", "SPM|1|||BLDA", "OBX|1|NM|11558-4^pH^LN||seven|[pH]|||||F"),
		[]byte("\vMSH|^~\\&|X|Y|||20260302||ADT^A01|A3|P|2.5\rPID|1||1\r\x1c\r"),
		message("A4", pid, "OBR|1", "SPM|1|||BLDC", "OBX|1|NM|11558-4^pH^LN||7.40|[pH]|||||F"),
	}, nil)
	rw := &recordRW{Reader: bytes.NewReader(in)}
	rec := &devicetest.Recorder{}
	err := hl7.New().Decode(context.Background(), rw, devices.Env{Sink: rec, Events: rec, Clock: devicetest.NewStepClock()})
	require.ErrorIs(t, err, io.EOF)
	got := acks(t, rw.out.Bytes())
	require.Len(t, got, 4)
	for i, want := range []string{"MSA|AA|A1", "MSA|AE|A2|OBX-5 is not a number", "MSA|AR|A3|not an ORU^R01 message", "MSA|AA|A4"} {
		assert.Contains(t, strings.ReplaceAll(got[i], `\S\`, "^"), "\r"+want, "ACK %d: %q", i, got[i])
		assert.Contains(t, got[i], "|ACK^R01|")
		assert.True(t, strings.HasPrefix(got[i], "MSH|^~\\&|PUMPSIDE||ABL90|ICU|") || i == 2, got[i])
	}
	assert.Contains(t, got[1], "\rERR||OBX^1^5|102^OBX-5 is not a number^HL70357|E")
	assert.Contains(t, got[2], "\rERR||MSH^1^9|200^")
	for i, g := range got {
		assert.NotContains(t, g, "Doe", "ACK %d", i)
		assert.NotContains(t, g, "123456", "ACK %d", i)
	}
	require.Len(t, rec.Samples, 2)
	assert.Equal(t, channel.ABGPH, rec.Samples[0].Channel)
	assert.Equal(t, channel.BGPH, rec.Samples[1].Channel, "a capillary sample is neither arterial nor venous: bg.*, never dropped")
	assert.Equal(t, 2, rec.OK)
	require.Len(t, rec.Bad, 2)
	for _, b := range rec.Bad {
		assert.NotContains(t, b.Error(), "Doe")
		assert.NotContains(t, b.Error(), "123456")
	}
}

func TestCustomDelimitersAndMapping(t *testing.T) {
	d := hl7.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"Europe/Paris\"\n[[tests]]\ncode = \"PCO2\"\nanalyte = \"pco2\"\nunit = \"kPa\"\n[[tests]]\ncode = \"ACT\"\nchannel = \"act.seconds\"\n[sites]\nunspecified = [\"BLD\"]\ndefault = \"venous\"\n"))))
	in := "\vMSH#!*%$#LAB####202603020850##ORU!R01#Z1#P#2.4\rOBR#1" + strings.Repeat("#", 14) + "BLD\r" +
		"OBX#1#NM#LOCAL1!local!L!PCO2!pCO2!99LOCAL##6.2######F###20260302084500\r" + // alternate identifier
		"OBX#2#NM#ACT!!L##150#s#####F\r" +
		"OBX#3#NM#2947-0!!LN##140.0#mmol/L#####F###20260302094500+0200\r\x1c\r"
	rec, err := devicetest.Decode(d, strings.NewReader(in))
	require.NoError(t, err)
	require.Empty(t, rec.Bad)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, channel.VBGPCO2, rec.Samples[0].Channel)
	assert.InDelta(t, 6.2*7.50062, rec.Samples[0].Value, 1e-9)
	assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), rec.Samples[0].Time, "CET is UTC+1")
	assert.Equal(t, channel.ACTSeconds, rec.Samples[1].Channel)
	assert.Equal(t, devicetest.T0, rec.Samples[1].Time, "no time in the message: receive time")
	assert.Equal(t, channel.VBGNa, rec.Samples[2].Channel)
	assert.Equal(t, 140.0, rec.Samples[2].Value)
	assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), rec.Samples[2].Time, "an explicit offset wins")
}

func TestEncodeRoundTrip(t *testing.T) {
	d := hl7.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	t0 := devicetest.T0 - int64(5*time.Minute)
	in := []monitor.Sample{
		{Time: t0, Channel: channel.ABGPCO2, Value: 40},
		{Time: t0, Channel: channel.VBGGlucose, Value: 6.1},
		{Time: t0, Channel: channel.ABGHb, Value: 9.8},
		{Time: t0, Channel: channel.ABGK, Value: 12, Quality: channel.OutOfRange},
		{Time: t0, Channel: channel.VBGNa, Quality: channel.Unavailable},
		{Time: t0, Channel: channel.ABGLactate, Value: 2, Quality: channel.Questionable},
		{Time: t0, Channel: channel.CVBGSO2, Value: 70},
		{Time: t0, Channel: channel.BGHct, Value: 30},
		{Time: t0, Channel: channel.ABGHct, Value: 31},
	}
	wire, err := d.AppendFrame(nil, in)
	require.NoError(t, err)
	assert.Contains(t, string(wire), "|2019-8^^LN||40|mm[Hg]^^UCUM|", "a sited code when there is one")
	assert.Contains(t, string(wire), "\rOBR|2|||24338-6^Gas panel - Blood^LN|||20260302075500+0000\rOBX|7|", "bg.*: a panel that names no site, and no SPM")
	assert.Contains(t, string(wire), "OBR|3|||24336-0^Gas panel - Arterial blood^LN|", "an arterial Hct: a panel that says so")
	assert.Contains(t, string(wire), "SPM|3|||BLDA^^HL70487|", "and a specimen")
	assert.Contains(t, string(wire), "SPM|4|||^central venous|", "central venous: text, table 0487 has no code")
	assert.NotContains(t, string(wire), "PID|1|")
	rec, err := devicetest.Decode(d, bytes.NewReader(wire))
	require.NoError(t, err)
	require.Equal(t, 1, rec.OK, "%q", wire)
	require.Len(t, rec.Samples, len(in))
	for _, s := range in {
		var got monitor.Sample
		for _, g := range rec.Samples {
			if g.Channel == s.Channel {
				got = g
			}
		}
		assert.Equal(t, s.Channel, got.Channel)
		assert.Equal(t, s.Quality, got.Quality, "%v", s.Channel)
		if s.Quality == channel.OK {
			assert.InDelta(t, s.Value, got.Value, 1e-9)
		} else {
			assert.Zero(t, got.Value)
		}
		assert.Equal(t, t0, got.Time)
	}
	_, err = d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PumpFlow, Value: 4}})
	assert.Error(t, err)
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"202603020745":             time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC),
		"20260302074512":           time.Date(2026, 3, 2, 7, 45, 12, 0, time.UTC),
		"20260302074512.25":        time.Date(2026, 3, 2, 7, 45, 12, 250e6, time.UTC),
		"20260302074512-0500":      time.Date(2026, 3, 2, 12, 45, 12, 0, time.UTC),
		"20260302074512.1234+0530": time.Date(2026, 3, 2, 2, 15, 12, 123400000, time.UTC),
	} {
		got, ok := hl7.ParseTime([]byte(in), time.UTC)
		assert.True(t, ok, in)
		assert.Equal(t, want, time.Unix(0, got).UTC(), in)
	}
	for _, in := range []string{"", "20260302", "2026030207", "20260230120000", "20260302074512+05", "2026030207451x", "20260302074512."} {
		_, ok := hl7.ParseTime([]byte(in), time.UTC)
		assert.False(t, ok, in)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, conf := range []string{`time_zone = "Nowhere/Else"`, `time = "soon"`, `application = "A|B"`,
		"[[tests]]\ncode = \"1\"\nanalyte = \"ph\"\nunit = \"kPa\"", "[sites]\ndefault = \"cord\"", `port = 2575`} {
		assert.ErrorIs(t, devices.Configure(hl7.New(), devices.TOMLDecoder([]byte(conf))), devices.ErrConfig, conf)
	}
}

// FuzzFramer checks MLLP framing alone: messages never exceed the bound
// and never contain the framing bytes; bad blocks come at increasing
// offsets.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\vMSH|^~\\&|A\r\x1c\r"))
	f.Add([]byte("junk\v\v\x1cx\x1c\r\r\n\vabc"))
	f.Fuzz(func(t *testing.T, in []byte) {
		last := int64(-1)
		n := 0
		fr := hl7.NewFramer("hl7", func(msg []byte, off int64) {
			n++
			if len(msg) > hl7.MaxMessage || bytes.IndexByte(msg, hl7.VT) >= 0 || bytes.IndexByte(msg, hl7.FS) >= 0 {
				t.Fatalf("message %q", msg)
			}
			if in[off] != hl7.VT {
				t.Fatalf("message at %d does not start with VT", off)
			}
		}, func(e *devices.FrameError) {
			if e.Offset <= last || e.Offset >= int64(len(in)) {
				t.Fatalf("bad block at %d after %d", e.Offset, last)
			}
			last = e.Offset
		})
		for i, c := range in {
			fr.Feed(c, int64(i))
		}
		fr.Flush()
		if n > bytes.Count(in, []byte{hl7.FS, hl7.CR}) {
			t.Fatalf("%d messages from %d FS CR", n, bytes.Count(in, []byte{hl7.FS, hl7.CR}))
		}
	})
}

// FuzzMessage checks the message parser: MSH delimiters, segments, fields,
// components, escapes and times never panic; escaping round-trips.
func FuzzMessage(f *testing.F) {
	f.Add([]byte("MSH|^~\\&|ABL|ICU|||20260302074700||ORU^R01|1|P|2.5.1\rOBX|1|SN|11558-4^pH^LN||>^7.9|[pH]|||||F|||20260302074500+0100\r"))
	f.Add([]byte("MSH#!*%$#\rOBR#1###############BLD$T$x\n\nSPM"))
	f.Add([]byte("MSH|^~\\|A\r"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		d, err := hl7.ParseMSH(msg)
		if err != nil {
			d = hl7.DefaultDelimiters
		}
		var split [30][]byte
		hl7.Segments(msg, func(seg []byte) bool {
			if bytes.ContainsAny(seg, "\r\n") || len(seg) == 0 {
				t.Fatalf("segment %q", seg)
			}
			if len(seg) >= 3 && string(seg[:3]) != "MSH" {
				d.SplitFields(seg, split[:])
				for n := 1; n < len(split); n++ {
					if !bytes.Equal(split[n], d.Field(seg, n)) {
						t.Fatalf("field %d of %q: split %q, Field %q", n, seg, split[n], d.Field(seg, n))
					}
				}
			}
			for n := range 20 {
				fl := d.Field(seg, n)
				for c := range 4 {
					_ = d.Component(fl, c, true)
				}
				esc := d.Escape(nil, fl)
				if back := d.Unescape(nil, esc); !bytes.Equal(back, fl) {
					t.Fatalf("escape %q -> %q -> %q", fl, esc, back)
				}
				hl7.ParseTime(fl, time.UTC)
			}
			return true
		})
	})
}

// BenchmarkDecode measures decoding a stream of ORU^R01 messages, ACKs
// included. The 9600-baud line rate is 960 B/s; the target is 1000 times
// that, about 1 MB/s.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("testdata/oru/input")
	require.NoError(b, err)
	data = bytes.Repeat(data, 200)
	d := hl7.New()
	rd := bytes.NewReader(data)
	rw := devicetest.NewReadWriter(rd)
	samples := 0
	env := devices.Env{Sink: devices.SinkFunc(func(monitor.Sample) bool { samples++; return true }), Clock: devices.ClockFunc(func() int64 { return devicetest.T0 })}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(data)
		if err := d.Decode(context.Background(), rw, env); err != io.EOF {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(b.N*len(data))/b.Elapsed().Seconds()/960, "x-line-rate")
}

// BenchmarkBaseline is the floor BenchmarkDecode compares with: finding the
// MLLP block ends alone.
func BenchmarkBaseline(b *testing.B) {
	data, err := os.ReadFile("testdata/oru/input")
	require.NoError(b, err)
	data = bytes.Repeat(data, 200)
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		n += bytes.Count(data, []byte{hl7.FS, hl7.CR})
	}
	_ = n
}

func TestOversizeThenGood(t *testing.T) {
	in := append([]byte{hl7.VT}, fmt.Sprintf(msh, "BIG")+"\rOBX|"+strings.Repeat("A", hl7.MaxMessage+10)...)
	in = append(in, hl7.FS, hl7.CR)
	good := message("G", "OBR|1", "SPM|1|||BLDV", "OBX|1|NM|11558-4^pH^LN||7.35|[pH]|||||F")
	in = append(in, good...)
	rw := &recordRW{Reader: bytes.NewReader(in)}
	rec := &devicetest.Recorder{}
	err := hl7.New().Decode(context.Background(), rw, devices.Env{Sink: rec, Events: rec})
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, rec.Bad, 1)
	assert.Equal(t, devices.ReasonOversize, rec.Bad[0].Reason)
	assert.Zero(t, rec.Bad[0].Offset)
	require.Len(t, rec.Samples, 1)
	assert.Equal(t, channel.VBGPH, rec.Samples[0].Channel)
	got := acks(t, rw.out.Bytes())
	require.Len(t, got, 2)
	assert.Contains(t, got[0], "\rMSA|AR|BIG|message longer than the receiver accepts\r", "the sender is told, with the control ID from the head")
	assert.Contains(t, got[1], "\rMSA|AA|G\r")
}

// TestDamageIsNoValue: line noise that HL7 cannot detect by a checksum
// still breaks the message's syntax, and a message that breaks it gives no
// value at all (AR or AE, nothing used). The first case is the one seen
// under 1 % byte noise (issue 22): a CR in place of a decimal point cut
// "13.3" kPa into "13" and an OBX without a unit, read as 13 mmHg.
func TestDamageIsNoValue(t *testing.T) {
	const good = "OBX|1|NM|11556-8^pO2^LN||13.3|kPa^^UCUM|||||F|||20260302074500"
	for _, c := range []struct{ name, from, to string }{
		{"CR for a decimal point", "13.3", "13\r3"},
		{"segment name", "OBX|1|", "OBZ|1|"},
		{"control character in the value", "13.3", "1\x013.3"},
		{"unit", "kPa", "kPb"},
		{"exponent", "13.3", "1.3E1"},
		{"space", "13.3", "13 3"},
		{"status", "|F|||", "|G|||"},
		{"set ID", "OBX|1|", "OBX|I|"},
		{"value type", "|NM|", "|NN|"},
		{"time", "20260302074500", "2026030207450O"},
		{"two segments run together", "|20260302074500", "|20260302074500OBX|2|NM|11557-6^^LN||5.33|kPa^^UCUM|||||F|||20260302074500|||||||||||"},
	} {
		in := message("D1", "OBR|1|||24336-0^Gas panel^LN", "SPM|1|||BLDA", strings.Replace(good, c.from, c.to, 1), "OBX|2|NM|2744-1^pH^LN||7.40|[pH]|||||F")
		rw := &recordRW{Reader: bytes.NewReader(in)}
		rec := &devicetest.Recorder{}
		require.ErrorIs(t, hl7.New().Decode(context.Background(), rw, devices.Env{Sink: rec, Events: rec}), io.EOF)
		for _, s := range rec.Samples {
			assert.NotEqual(t, channel.OK, s.Quality, "%s: %v = %v", c.name, s.Channel, s.Value)
		}
		require.Len(t, rec.Bad, 1, c.name)
		got := acks(t, rw.out.Bytes())
		require.Len(t, got, 1)
		assert.NotContains(t, got[0], "MSA|AA|", "%s: the sender must know", c.name)
	}
	// The same message undamaged gives both values.
	rec, err := devicetest.Decode(hl7.New(), bytes.NewReader(message("D1", "OBR|1|||24336-0^Gas panel^LN", "SPM|1|||BLDA", good, "OBX|2|NM|2744-1^pH^LN||7.40|[pH]|||||F")))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 2)
	assert.InDelta(t, 13.3*7.50062, rec.Samples[0].Value, 1e-9)

	// A well-formed OBX without a unit (the sender's doing, not noise: no
	// byte flip removes a field) is refused alone: 13.3 could be kPa or
	// mmHg. The ACK says so; the other results are used.
	rw := &recordRW{Reader: bytes.NewReader(message("D2", "OBR|1|||24336-0^Gas panel^LN", "SPM|1|||BLDA", strings.Replace(good, "|kPa^^UCUM|", "||", 1), "OBX|2|NM|2744-1^pH^LN||7.40|[pH]|||||F"))}
	rec = &devicetest.Recorder{}
	require.ErrorIs(t, hl7.New().Decode(context.Background(), rw, devices.Env{Sink: rec, Events: rec}), io.EOF)
	require.Len(t, rec.Samples, 1)
	assert.Equal(t, channel.ABGPH, rec.Samples[0].Channel)
	assert.Contains(t, acks(t, rw.out.Bytes())[0], "\rMSA|AE|D2|OBX-6 is empty and no unit is configured for the code: not guessed\r")
}

package s5_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/monitor"
)

// TestConformance runs the driver kit on the cases under testdata/ (written
// by gen_test.go from the documents' layouts). Rewrite the expected files
// with DEVICETEST_UPDATE=1 go test -run Conformance, and read the diff.
func TestConformance(t *testing.T) {
	devicetest.Check(t, s5.Name, devicetest.Options{
		Checksummed:  true,
		ZeroAllocs:   true,
		OversizeHead: []byte{0x7E},
		OversizeTail: []byte{0x7E},
	})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, s5.Name, "testdata") }

// BenchmarkDecode decodes the basic case's records over and over: bytes/s
// against the line rate (19200 baud, 8E1: 11 bits a byte, 1745 B/s), and
// allocations per sample. The baseline is a plain copy of the same bytes.
func BenchmarkDecode(b *testing.B) {
	cases, err := devicetest.Cases("testdata")
	if err != nil {
		b.Fatal(err)
	}
	var one []byte
	for _, c := range cases {
		if c.Name == "basic" {
			one = c.Payload()
		}
	}
	data := bytes.Repeat(one, 64)
	const lineRate = 19200.0 / 11
	b.Run("decode", func(b *testing.B) {
		d := s5.New()
		rd := bytes.NewReader(data)
		rw := &devicetest.ReadWriter{Reader: rd, Writer: io.Discard}
		var n int
		env := devices.Env{Sink: devices.SinkFunc(func(monitor.Sample) bool { n++; return true }), Events: devices.Discard, Clock: devices.ClockFunc(func() int64 { return devicetest.T0 })}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			rd.Reset(data)
			if err := d.Decode(context.Background(), rw, env); err != io.EOF {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		secs := b.Elapsed().Seconds()
		b.ReportMetric(float64(n)/secs, "samples/s")
		b.ReportMetric(float64(len(data))*float64(b.N)/secs/lineRate, "x_line_rate")
	})
	b.Run("baseline-sum", func(b *testing.B) {
		// The least a decoder must do: read every byte and add it up.
		rd := bytes.NewReader(data)
		buf := make([]byte, 4096)
		var sum byte
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rd.Reset(data)
			for {
				n, err := rd.Read(buf)
				for _, c := range buf[:n] {
					sum += c
				}
				if err != nil {
					break
				}
			}
		}
		b.ReportMetric(float64(sum&1), "checksum_bit") // keeps the sum alive
	})
}

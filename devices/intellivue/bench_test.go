package intellivue_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/intellivue"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// benchFrame is one poll result as the monitor sends it each second: the
// arterial, pulmonary and central venous pressures, HR, SpO2, pulse, EtCO2,
// RR, BIS and three temperatures, in a serial frame.
func benchFrame(b *testing.B) []byte {
	var ss []monitor.Sample
	for _, c := range []struct {
		id channel.ID
		v  float64
	}{
		{channel.PatientSys, 118}, {channel.PatientDia, 62}, {channel.PatientMAP, 80},
		{channel.PatientPAPSys, 30}, {channel.PatientPAPDia, 12}, {channel.PatientPAPMean, 19},
		{channel.PatientCVP, 8}, {channel.PatientHR, 72}, {channel.PatientSpO2, 98}, {channel.PatientPulse, 72},
		{channel.PatientEtCO2, 35}, {channel.PatientRR, 12}, {channel.PatientBIS, 45},
		{channel.TempNasopharyngeal, 36.51}, {channel.TempBladder, 36.42}, {channel.TempOesophageal, 36.3},
	} {
		ss = append(ss, monitor.Sample{Channel: c.id, Value: c.v, Quality: channel.OK})
	}
	f, err := intellivue.New().AppendFrame(nil, ss)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkDecode decodes a stream of serial frames. The line rate it is
// compared with: 115200 baud, 10 bits a byte. The baseline is the same
// bytes only read through: what framing and parsing cost on top.
func BenchmarkDecode(b *testing.B) {
	frame := benchFrame(b)
	data := bytes.Repeat(frame, 1000)
	var n int
	env := devices.Env{Sink: devices.SinkFunc(func(monitor.Sample) bool { n++; return true }), Events: devices.Discard,
		Clock: devices.ClockFunc(func() int64 { return devicetest.T0 })}
	rd := bytes.NewReader(data)
	rw := &devicetest.ReadWriter{Reader: rd, Writer: io.Discard}
	drv := intellivue.New()
	b.Run("baseline-read", func(b *testing.B) {
		buf := make([]byte, 4096)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rd.Reset(data)
			for {
				if _, err := rd.Read(buf); err != nil {
					break
				}
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		n = 0
		start := time.Now()
		for b.Loop() {
			rd.Reset(data)
			if err := drv.Decode(context.Background(), rw, env); err != io.EOF {
				b.Fatal(err)
			}
		}
		el := time.Since(start).Seconds()
		lineBytesPerSec := 115200.0 / 10
		b.ReportMetric(float64(n)/el, "samples/s")
		b.ReportMetric(float64(b.N)*float64(len(data))/el/lineBytesPerSec, "x-line-rate")
		b.ReportMetric(el*1e9/float64(b.N*1000), "ns/frame")
	})
}

package nonin_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/nonin"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, nonin.Name, devicetest.Options{ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, nonin.Name, "testdata") }

const (
	pulseLine    = "SPO2=097 HR=072\r\n"
	regionalLine = "Ch1=1 Ch2=1 |2026-03-02T08:00:00|rSO2= 66, 64,---,---|HbI= 1.2, 1.1,---,---|AUC=   0,   0,---,---|REF= 68, 66,---,---|HI_LIM= 90, 90,---,---|LOW_LIM= 50, 50,---,---|ALM=0,0,0,0|SIG_QUAL_ALM=0,0,0,0|\r\n"
)

func TestDocumentedLines(t *testing.T) {
	rec, err := devicetest.Decode(nonin.New(), bytes.NewReader([]byte(pulseLine+regionalLine)))
	require.NoError(t, err)
	t1 := devicetest.T0 + 1e9
	assert.Equal(t, []monitor.Sample{
		{Time: devicetest.T0, Channel: channel.PatientSpO2, Value: 97, Source: 1},
		{Time: devicetest.T0, Channel: channel.PatientHR, Value: 72, Source: 1},
		{Time: t1, Channel: channel.NIRSLeft, Value: 66, Source: 1},
		{Time: t1, Channel: channel.NIRSRight, Value: 64, Source: 1},
	}, rec.Samples)
	assert.Equal(t, 2, rec.OK)
}

func TestConfigErrors(t *testing.T) {
	for _, conf := range []string{`rso2 = ["patient.hr"]`, `rso2 = ["a","b","c","d","e"]`, `rso2 = ["nirs.left", "nirs.left"]`, `rso2 = "nirs.left"`, `stop_bits = 2`} {
		assert.ErrorIs(t, devices.Configure(nonin.New(), devices.TOMLDecoder([]byte(conf))), devices.ErrConfig, conf)
	}
}

// BenchmarkDecode measures decoding throughput, pulse and 7600 lines mixed
// 4:1. The 9600-baud line rate is 960 B/s; the target is 1000 times that.
func BenchmarkDecode(b *testing.B) {
	data := bytes.Repeat([]byte(pulseLine+pulseLine+pulseLine+pulseLine+regionalLine), 5000)
	d := nonin.New()
	rd := bytes.NewReader(data)
	rw := devicetest.NewReadWriter(rd)
	samples := 0
	env := devices.Env{Sink: devices.SinkFunc(func(monitor.Sample) bool { samples++; return true }), Clock: devices.ClockFunc(func() int64 { return 1 })}
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

// TestLineNoise runs line noise through 30 minutes of the emulated device's
// output (docs/drivers.md, "Line noise"): with 1 % of the bytes flipped, a
// made-up value may come out ok only where digits alone were changed into
// other digits, which no syntax can see: the Nonin text outputs have no checksum.
func TestLineNoise(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clean, err := emulate.Stream(nonin.Name, sim.New(start, 1), start.Add(30*time.Minute))
	require.NoError(t, err)
	devicetest.CheckFlips(t, func() devices.Driver { d, _ := devices.New(nonin.Name); return d }, clean, devicetest.FlipOptions{})
}

package masimo_test

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/masimo"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, masimo.Name, devicetest.Options{ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, masimo.Name, "testdata") }

const line = "03/02/26 08:00:01 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"

func TestDocumentedLine(t *testing.T) {
	rec, err := devicetest.Decode(masimo.New(), bytes.NewReader([]byte(line)))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, monitor.Sample{Time: devicetest.T0, Channel: channel.PatientSpO2, Value: 98, Source: 1, Quality: channel.OK}, rec.Samples[0])
	assert.Equal(t, monitor.Sample{Time: devicetest.T0, Channel: channel.PatientHR, Value: 97, Source: 1, Quality: channel.OK}, rec.Samples[1])
	assert.Equal(t, monitor.Sample{Time: devicetest.T0, Channel: channel.PatientPI, Value: 3.6, Source: 1, Quality: channel.OK}, rec.Samples[2])
	assert.Equal(t, 1, rec.OK)
}

func TestPerfusionIndexAndPVI(t *testing.T) {
	const pvi = "03/02/26 08:00:01 SPO2=098% BPM=097 PI=00.42% PVI=014 ALARM=0000 EXC=000800\r\n" +
		"03/02/26 08:00:02 SPO2=098% BPM=097 PI=--.--% PVI=--- ALARM=0000 EXC=000800\r\n" +
		"03/02/26 08:00:03 SPO2=098% BPM=097 PI=21.00% PVI=015 ALARM=0000 EXC=000004\r\n" +
		"03/02/26 08:00:04 SPO2=098% BPM=097 ALARM=0000 EXC=000800\r\n"
	rec, err := devicetest.Decode(masimo.New(), bytes.NewReader([]byte(pvi)))
	require.NoError(t, err)
	type got struct {
		id channel.ID
		v  float64
		q  channel.Quality
	}
	var pis []got
	for _, s := range rec.Samples {
		if s.Channel == channel.PatientPI || s.Channel == channel.PatientPVI {
			if s.Quality != channel.OK {
				s.Value = 0
			}
			pis = append(pis, got{s.Channel, s.Value, s.Quality})
		}
	}
	assert.Equal(t, []got{
		{channel.PatientPI, 0.42, channel.OK}, {channel.PatientPVI, 14, channel.OK},
		{channel.PatientPI, 0, channel.Unavailable}, {channel.PatientPVI, 0, channel.Unavailable},
		// EXC 004 (low perfusion) makes both questionable, not out of range.
		{channel.PatientPI, 0, channel.Questionable}, {channel.PatientPVI, 0, channel.Questionable},
	}, pis, "a line without PI or PVI emits neither")
	assert.Equal(t, 4, rec.OK)

	// PI 21 % is above the channel's plausible range.
	rec, err = devicetest.Decode(masimo.New(), bytes.NewReader([]byte("03/02/26 08:00:01 SPO2=098% BPM=097 PI=21.00% ALARM=0000 EXC=000800\r\n")))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, channel.OutOfRange, rec.Samples[2].Quality)
}

func TestEncodePIAndPVI(t *testing.T) {
	d := masimo.New()
	f, err := d.AppendFrame(nil, []monitor.Sample{
		{Time: devicetest.T0, Channel: channel.PatientSpO2, Value: 97},
		{Time: devicetest.T0, Channel: channel.PatientPI, Value: 1.234},
		{Time: devicetest.T0, Channel: channel.PatientPVI, Value: 9},
	})
	require.NoError(t, err)
	assert.Contains(t, string(f), " PI=01.23% ")
	assert.Contains(t, string(f), " PVI=009 ")
	f, err = d.AppendFrame(nil, []monitor.Sample{{Time: devicetest.T0, Channel: channel.PatientSpO2, Value: 97}})
	require.NoError(t, err)
	assert.Contains(t, string(f), " PI=--.--% ")
	assert.NotContains(t, string(f), "PVI")
	_, err = d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PatientPI, Value: 100}})
	assert.Error(t, err)
}

func TestExcQuality(t *testing.T) {
	cases := map[uint32]channel.Quality{
		0x000: channel.OK, 0x800: channel.OK,
		0x001: channel.Unavailable, 0x002: channel.Unavailable, 0x020: channel.Unavailable, 0x080: channel.Unavailable,
		0x824: channel.Unavailable, // unavailable wins over questionable
		0x004: channel.Questionable, 0x008: channel.Questionable, 0x010: channel.Questionable,
		0x040: channel.Questionable, 0x400: channel.Questionable, 0x100: channel.Questionable, 0x10000: channel.Questionable,
	}
	for exc, want := range cases {
		assert.Equal(t, want, masimo.ExcQuality(exc), "EXC %06X", exc)
	}
}

func TestExcIgnore(t *testing.T) {
	d := masimo.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`exc_ignore = "100"`))))
	rec, err := devicetest.Decode(d, bytes.NewReader([]byte(`03/02/26 08:00:01 SPO2=098% BPM=097 ALARM=0000 EXC=000900`+"\r\n")))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 2)
	assert.Equal(t, channel.OK, rec.Samples[0].Quality)
}

func TestConfigErrors(t *testing.T) {
	for _, conf := range []string{`exc_ignore = "xyz"`, `so2_1 = "patient.hr"`, `so2_2 = "nirs.middle"`, `baud = 9600`} {
		err := devices.Configure(masimo.New(), devices.TOMLDecoder([]byte(conf)))
		assert.ErrorIs(t, err, devices.ErrConfig, conf)
	}
}

func TestBadFrameError(t *testing.T) {
	var bad []*devices.FrameError
	ev := badEvents(func(e *devices.FrameError) { bad = append(bad, e.Clone()) })
	in := line + "03/02/26 08:00:02 SPO2=9X% BPM=097 EXC=000800\r\n"
	err := masimo.New().Decode(context.Background(), devicetest.NewReadWriter(bytes.NewReader([]byte(in))), devices.Env{Events: ev})
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, bad, 1)
	assert.ErrorIs(t, bad[0], devices.ErrBadFrame)
	assert.Equal(t, int64(len(line)), bad[0].Offset)
	assert.Equal(t, "SPO2", bad[0].Field)
	assert.Equal(t, devices.ReasonField, bad[0].Reason)
	assert.Contains(t, bad[0].Error(), "masimo: bad frame at byte "+strconv.Itoa(len(line))+": field in SPO2")
}

type badEvents func(*devices.FrameError)

func (badEvents) FrameOK(int64, int)               {}
func (f badEvents) FrameBad(e *devices.FrameError) { f(e) }

// BenchmarkDecode measures decoding throughput. The 9600-baud line rate is
// 960 B/s; the target is 1000 times that, about 1 MB/s.
func BenchmarkDecode(b *testing.B) {
	data := bytes.Repeat([]byte(line), 10000)
	d := masimo.New()
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
// other digits, which no syntax can see: ASCII 1 has no checksum.
func TestLineNoise(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clean, err := emulate.Stream(masimo.Name, sim.New(start, 1), start.Add(30*time.Minute))
	require.NoError(t, err)
	devicetest.CheckFlips(t, func() devices.Driver { d, _ := devices.New(masimo.Name); return d }, clean, devicetest.FlipOptions{})
}

// With time = "device" samples carry the line's date and time in the
// device's zone; a time ahead of the receive time, or not after the
// previous line's, gives way to the receive time.
func TestDeviceTime(t *testing.T) {
	d := masimo.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time = \"device\"\nzone = \"Europe/Paris\""))))
	line := func(clock string) string {
		return "03/02/26 " + clock + " SN=0000056661 SPO2=097% BPM=070 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"
	}
	// The kit's clock: 08:00:00 UTC (09:00:00 in Paris), 1 s per line.
	rec, err := devicetest.Decode(d, strings.NewReader(line("08:59:58")+line("08:59:58")+line("09:00:40")+line("09:00:01")))
	require.NoError(t, err)
	var got []string
	for _, s := range rec.Samples {
		if s.Channel == channel.PatientSpO2 {
			got = append(got, time.Unix(0, s.Time).UTC().Format(time.TimeOnly))
		}
	}
	assert.Equal(t, []string{"07:59:58", "08:00:01", "08:00:02", "08:00:03"}, got,
		"device time; repeated: receive time; 40 s ahead: receive time; before the last time given: receive time")

	for _, conf := range []string{`time = "clock"`, `zone = "UTC"`, "time = \"device\"\nzone = \"Mars/Olympus\""} {
		assert.ErrorIs(t, devices.Configure(masimo.New(), devices.TOMLDecoder([]byte(conf))), devices.ErrConfig, conf)
	}
}

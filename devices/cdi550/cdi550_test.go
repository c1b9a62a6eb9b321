package cdi550_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, cdi550.Name, devicetest.Options{Dir: "testdata/ascii", Frames: asciiFrames(t), ZeroAllocs: true})
}

// asciiFrames are the lines of the basic case, the kit's frames for the
// stream checks. The kit's own encoder round trip would decode with the
// default options, under which the gases are withheld until the
// temperature mode is declared (TestEncodeRoundTrip does it declared).
func asciiFrames(t *testing.T) [][]byte {
	in, err := os.ReadFile("testdata/ascii/basic/input")
	require.NoError(t, err)
	var frames [][]byte
	for _, l := range bytes.SplitAfter(in, []byte{'\r'}) {
		if len(l) > 0 {
			frames = append(frames, l)
		}
	}
	return frames
}

// TestEncodeRoundTrip: the encoder's lines decode back to the samples, gases
// included, on a driver that declares the device's mode.
func TestEncodeRoundTrip(t *testing.T) {
	d := cdi550.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`temp_mode = "37C"`))))
	ss := []monitor.Sample{
		{Time: devicetest.T0, Channel: channel.InlineArtPH, Value: 7.41},
		{Time: devicetest.T0, Channel: channel.InlineArtPCO2, Value: 39},
		{Time: devicetest.T0, Channel: channel.InlineVenPO2, Value: 41},
		{Time: devicetest.T0, Channel: channel.InlineHct, Value: 27},
	}
	f, err := d.AppendFrame(nil, ss)
	require.NoError(t, err)
	rec, err := devicetest.Decode(d, bytes.NewReader(f))
	require.NoError(t, err)
	for _, s := range ss {
		i := slices.IndexFunc(rec.Samples, func(o monitor.Sample) bool { return o.Channel == s.Channel })
		require.GreaterOrEqual(t, i, 0, s.Channel.String())
		assert.Equal(t, channel.OK, rec.Samples[i].Quality, s.Channel.String())
		assert.InDelta(t, s.Value, rec.Samples[i].Value, 1e-9, s.Channel.String())
	}
}

// TestConformancePacket runs the kit on packet mode: every frame carries a
// CRC, so any changed byte must make its packet bad. The stream checks run
// on the packets of the basic case, written from the manual's layout.
func TestConformancePacket(t *testing.T) {
	devicetest.Check(t, cdi550.PacketName, devicetest.Options{Dir: "testdata/packet", Frames: manualPackets(t), Checksummed: true, ZeroAllocs: true,
		OversizeHead: []byte{0x02}, OversizeTail: []byte{0x03}})
}

// manualPackets returns the packets (STX to ETX) of testdata/packet/basic.
func manualPackets(t *testing.T) [][]byte {
	data, err := os.ReadFile("testdata/packet/basic/input")
	require.NoError(t, err)
	var out [][]byte
	for {
		i, j := bytes.IndexByte(data, 0x02), bytes.IndexByte(data, 0x03)
		if i < 0 || j < i {
			return out
		}
		out = append(out, data[i:j+1])
		data = data[j+1:]
	}
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, cdi550.Name, "testdata/ascii") }

func FuzzDecodePacket(f *testing.F) { devicetest.FuzzDecode(f, cdi550.PacketName, "testdata/packet") }

const (
	header = "Time\tpH\tpCO2\tpO2\tTemp\tHCO3\tBE\tSO2\tK+\tVO2\tQ\tBSA\tpH\tpCO2\tpO2\tTemp\tSvO2\tHct\tHb\r"
	report = "08:00:00\t7.38\t41\t245\t36.2\t24.1\t-0.5\t100\t4.3\t142\t4.50\t1.92\t7.33\t47\t42\t35.8\t74\t28\t9.3\r"
)

// values returns the OK samples by channel name, and the others' qualities.
func values(ss []monitor.Sample) (map[string]float64, map[string]channel.Quality) {
	ok, q := map[string]float64{}, map[string]channel.Quality{}
	for _, s := range ss {
		if s.Quality == channel.OK {
			ok[s.Channel.String()] = s.Value
		} else {
			q[s.Channel.String()] = s.Quality
		}
	}
	return ok, q
}

func TestDocumentedColumns(t *testing.T) {
	rec, err := devicetest.Decode(declared(t, cdi550.New()), strings.NewReader(header+report))
	require.NoError(t, err)
	assert.Equal(t, 2, rec.OK, "the header and the report")
	got, bad := values(rec.Samples)
	assert.Empty(t, bad)
	assert.Equal(t, map[string]float64{
		"inline.art_ph": 7.38, "inline.art_pco2": 41, "inline.art_po2": 245, "inline.art_temp": 36.2,
		"inline.art_hco3": 24.1, "inline.art_be": -0.5, "inline.art_so2": 100, "inline.k": 4.3, "pump.flow": 4.5,
		"inline.ven_ph": 7.33, "inline.ven_pco2": 47, "inline.ven_po2": 42, "inline.ven_temp": 35.8, "inline.ven_so2": 74,
		"inline.hct": 28, "inline.hb": 9.3,
	}, got)
	for _, s := range rec.Samples {
		assert.Equal(t, devicetest.T0, s.Time, "one receive time per report")
	}
}

func TestHeaderMapsByName(t *testing.T) {
	// Columns swapped and Q missing: the header decides, not the offsets.
	in := "Time\tHb\tHct\tpH\tSvO2\tpH\r08:00:00\t9.1\t27\t7.41\t70\t7.30\r"
	rec, err := devicetest.Decode(declared(t, cdi550.New()), strings.NewReader(in))
	require.NoError(t, err)
	got, _ := values(rec.Samples)
	assert.Equal(t, map[string]float64{"inline.hb": 9.1, "inline.hct": 27, "inline.art_ph": 7.41, "inline.ven_so2": 70, "inline.ven_ph": 7.30}, got)
}

func TestTempMode(t *testing.T) {
	d := cdi550.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`temp_mode = "37C"`+"\n"+`require_temp_mode = "patient"`))))
	var modes []cdi550.TempMode
	var phQ []channel.Quality
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.InlineArtPH {
			modes = append(modes, d.TempMode())
			phQ = append(phQ, s.Quality)
		}
		if s.Channel == channel.InlineArtSO2 {
			assert.Equal(t, channel.OK, s.Quality, "saturation does not depend on the mode")
		}
		return true
	})
	in := report + "@ Temp Data\r" + report + " 37C Temp Data \r" + report
	err := d.Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(in)), devices.Env{Sink: sink})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, []cdi550.TempMode{cdi550.Temp37, cdi550.TempPatient, cdi550.Temp37}, modes)
	assert.Equal(t, []channel.Quality{channel.Questionable, channel.OK, channel.Questionable}, phQ)
	// A new connection starts from the configured mode again.
	err = d.Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(report)), devices.Env{Sink: sink})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, cdi550.Temp37, modes[len(modes)-1])
}

// rw records what Decode writes.
type rw struct {
	io.Reader
	out bytes.Buffer
}

func (r *rw) Write(p []byte) (int, error) { return r.out.Write(p) }

func TestRequest(t *testing.T) {
	d := cdi550.New()
	assert.Zero(t, d.PollInterval())
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("request_on_connect = true\npoll_interval = \"6s\""))))
	assert.Equal(t, 6*time.Second, d.PollInterval())
	assert.Equal(t, "<X08Z36>", string(d.AppendPoll(nil)))
	s := &rw{Reader: strings.NewReader(report)}
	rec := &devicetest.Recorder{}
	require.ErrorIs(t, d.Decode(context.Background(), s, devices.Env{Sink: rec, Events: rec}), io.EOF)
	assert.Equal(t, "<X08Z36>", s.out.String(), "sent once on connect, before reading")
	assert.Equal(t, 1, rec.OK)
	var b bytes.Buffer
	require.NoError(t, d.Request(&b))
	assert.Equal(t, "<X08Z36>", b.String())

	// Without request_on_connect nothing is written.
	s = &rw{Reader: strings.NewReader(report)}
	require.ErrorIs(t, cdi550.New().Decode(context.Background(), s, devices.Env{}), io.EOF)
	assert.Zero(t, s.out.Len())
}

func TestConfigErrors(t *testing.T) {
	for conf, want := range map[string]string{
		`temp_mode = "body"`:                  "temp_mode",
		`require_temp_mode = "30C"`:           "require_temp_mode",
		`poll_interval = "-1s"`:               "poll_interval",
		`poll_interval = "soon"`:              "soon",
		`columns = ["Time", "9x"]`:            "columns[1]",
		`columns = ["Time", "VO2"]`:           "map no channel",
		"[fields]\n\"pH\" = \"inline.ph\"":    `fields."pH"`,
		"[fields]\n\"Flow\" = \"pump.flow\"":  "both map to pump.flow",
		"[fields]\n\"VO2\" = \"derived.vo2\"": "not a measured channel",
		"[fields]\n\"1x\" = \"inline.k\"":     "not a header name",
		"[units]\n\"pH\" = \"kPa\"":           `units."pH"`,
		"[units]\n\"VO2\" = \"mL/min\"":       "names no mapped field",
		`baud = 9600`:                         "unknown option",
	} {
		err := devices.Configure(cdi550.New(), devices.TOMLDecoder([]byte(conf)))
		if assert.ErrorIs(t, err, devices.ErrConfig, conf) {
			assert.Contains(t, err.Error(), want, conf)
		}
	}
}

func TestFieldsMergeWithDefaults(t *testing.T) {
	d := cdi550.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("[fields]\n\"Q\" = \"\"\n\"BSA\" = \"patient.height\""))))
	ids := map[channel.ID]bool{}
	for _, c := range d.Describe().Channels {
		ids[c.ID] = true
	}
	assert.False(t, ids[channel.PumpFlow], "Q unmapped")
	assert.True(t, ids[channel.PatientHeight], "a new entry")
	assert.True(t, ids[channel.InlineArtPH], "the defaults stay")
	assert.Len(t, cdi550.New().Describe().Channels, 16, "a fresh driver has the defaults")
}

func TestEncode(t *testing.T) {
	d := cdi550.New()
	h, err := d.AppendHeader(nil)
	require.NoError(t, err)
	assert.Equal(t, header, string(h))
	f, err := d.AppendFrame(nil, []monitor.Sample{
		{Time: devicetest.T0 + 5e9, Channel: channel.InlineArtPH, Value: 7.4},
		{Time: devicetest.T0 + 5e9, Channel: channel.PumpFlow, Value: 4.5},
		{Time: devicetest.T0 + 5e9, Channel: channel.InlineArtPO2, Value: 251.25},
		{Time: devicetest.T0 + 5e9, Channel: channel.InlineHb, Quality: channel.OutOfRange},
		{Time: devicetest.T0 + 5e9, Channel: channel.InlineHct, Quality: channel.Unavailable},
	})
	require.NoError(t, err)
	assert.Equal(t, "08:00:05\t7.40\t\t251.25\t\t\t\t\t\t---\t4.50\t---\t\t\t\t\t\t\t---\r", string(f))
	assert.Equal(t, "37C Temp Data\r@ Temp Data\r", string(cdi550.AppendTempMode(cdi550.AppendTempMode(nil, cdi550.Temp37), cdi550.TempPatient)))
	_, err = d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PatientHR, Value: 60}})
	assert.Error(t, err)
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("columns = []"))))
	_, err = d.AppendFrame(nil, nil)
	assert.Error(t, err)
}

func TestBadFrameError(t *testing.T) {
	var bad []*devices.FrameError
	rec := &devicetest.Recorder{}
	in := header + strings.Replace(report, "\t4.50\t", "\t4.5O\t", 1)
	require.ErrorIs(t, cdi550.New().Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(in)), devices.Env{Sink: rec, Events: rec}), io.EOF)
	bad = rec.Bad
	require.Len(t, bad, 1)
	assert.Equal(t, int64(len(header)), bad[0].Offset)
	assert.Equal(t, devices.ReasonField, bad[0].Reason)
	assert.Equal(t, "Q", bad[0].Field)
	assert.Empty(t, rec.Samples, "a bad field drops the whole report")
}

// BenchmarkDecode measures decoding throughput, ASCII and packet mode,
// against a baseline that only splits the lines. The 9600-baud line rate
// is 960 B/s; the target is 1000 times that, about 1 MB/s, and no
// allocation per sample.
func BenchmarkDecode(b *testing.B) {
	var ascii, pkts []byte
	for i := range 10000 {
		if i%50 == 0 {
			ascii = append(ascii, header...)
		}
		ascii = append(ascii, report...)
		pkts = append(pkts, packet(uint8(i), "A0", "1234 08:00:00\t00007.38\t010041\t0200245\t030036.2\t0400100\t050024.1\t0600-0.5\t07004.3\t0800142\t09007.33\t0A0047\t0B0042\t0C0035.8\t0D0074\t0E0024.5\t0F00-1.0\t100028\t11009.3\t")...)
	}
	run := func(b *testing.B, d devices.Driver, data []byte) {
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
	b.Run("ascii", func(b *testing.B) { run(b, declared(b, cdi550.New()), ascii) })
	b.Run("packet", func(b *testing.B) { run(b, declared(b, cdi550.NewPacket()), pkts) })
	b.Run("baseline-split", func(b *testing.B) {
		b.SetBytes(int64(len(ascii)))
		n := 0
		for b.Loop() {
			n += len(bytes.Split(ascii, []byte("\r")))
		}
		_ = n
	})
}

package generic_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/generic"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// pumpFrames are the lines of testdata/pump/input, for the stream checks:
// the kit's stream checks run the default driver (the simulator's pump).
func pumpFrames(t testing.TB) [][]byte {
	data, err := os.ReadFile("testdata/pump/input")
	require.NoError(t, err)
	var frames [][]byte
	for l := range bytes.Lines(data) {
		frames = append(frames, l)
	}
	require.Len(t, frames, 6)
	return frames
}

func TestConformance(t *testing.T) {
	devicetest.Check(t, generic.Name, devicetest.Options{Frames: pumpFrames(t), Checksummed: true, ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, generic.Name, "testdata") }

// FuzzExamples decodes any input with every example config: no panic, no
// error but the end, bad frames in order inside the input, OK values in
// range.
func FuzzExamples(f *testing.F) {
	cases, err := devicetest.Cases("testdata")
	require.NoError(f, err)
	for _, c := range cases {
		f.Add(c.Payload())
	}
	var drivers []*generic.Driver
	for _, p := range examples(f) {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		d, err := generic.Load(data)
		require.NoError(f, err, p)
		drivers = append(drivers, d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range drivers {
			rec, err := devicetest.Decode(d, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			last := int64(-1)
			for _, b := range rec.Bad {
				if b.Offset < last || b.Offset >= int64(len(data)) {
					t.Fatalf("bad frame at %d after %d in %d bytes", b.Offset, last, len(data))
				}
				last = b.Offset
			}
			for _, s := range rec.Samples {
				if s.Quality == channel.OK && !channel.Get(s.Channel).InRange(s.Value) {
					t.Fatalf("%v = %v OK but out of range", s.Channel, s.Value)
				}
			}
			one, err := devicetest.Decode(d, iotest.OneByteReader(bytes.NewReader(data)))
			if err != nil {
				t.Fatal(err)
			}
			if one.JSONL("x") != rec.JSONL("x") || one.Frames() != rec.Frames() {
				t.Fatalf("one byte a read differs:\n%s\n%s", rec.Frames(), one.Frames())
			}
		}
	})
}

func examples(t testing.TB) []string {
	ps, err := filepath.Glob("examples/*.toml")
	require.NoError(t, err)
	require.Len(t, ps, 4)
	return ps
}

// TestCheckValues checks every algorithm against the check value of the
// ASCII bytes "123456789" in Greg Cook's "Catalogue of parametrised CRC
// algorithms" (CRC-16/IBM-3740 is CCITT-FALSE), and the 8-bit ones by hand.
func TestCheckValues(t *testing.T) {
	want := map[string]uint16{
		"crc16-ccitt-false": 0x29B1,
		"crc16-xmodem":      0x31C3,
		"crc16-modbus":      0x4B37,
		"crc16-kermit":      0x2189,
		"sum8":              0xDD, // 0x31+…+0x39 = 477 = 0x1DD
		"xor8":              0x31, // 1^2^…^9 = 1, plus 0x30 nine times
	}
	require.Len(t, generic.Checks, len(want))
	for name, c := range generic.Checks {
		assert.Equal(t, want[name], c.Sum([]byte("123456789")), "%s: %#04x", name, c.Sum([]byte("123456789")))
		assert.Equal(t, name, c.Name())
	}
	assert.Equal(t, uint16(0xFFFF), generic.Checks["crc16-ccitt-false"].Sum(nil), "empty input: the initial value")
}

func TestSimPumpLine(t *testing.T) {
	line := "PUMP,flow=4.40,rpm=2450,line=180,cpg=---,sweep=2.5,fio2=60,tart=36.5,tven=35.2,level=1200*65\r\n"
	rec, err := devicetest.Decode(generic.New(), strings.NewReader(line))
	require.NoError(t, err)
	require.Equal(t, 1, rec.OK, rec.Frames())
	got := map[channel.ID]monitor.Sample{}
	for _, s := range rec.Samples {
		got[s.Channel] = s
	}
	assert.Len(t, got, 9)
	assert.Equal(t, 4.40, got[channel.PumpFlow].Value)
	assert.Equal(t, 2450.0, got[channel.PumpSpeed].Value)
	assert.Equal(t, channel.Unavailable, got[channel.PumpCardioplegiaPressure].Quality)
	assert.Equal(t, 1200.0, got[channel.ReservoirLevel].Value)
	assert.Equal(t, channel.OK, got[channel.TempVenousInlet].Quality)

	// The encoder writes the same line, alone and through AppendPump.
	var ss []monitor.Sample
	for _, s := range rec.Samples {
		ss = append(ss, s)
	}
	out, err := generic.AppendPump(nil, ss)
	require.NoError(t, err)
	assert.Equal(t, line, string(out))
	_, err = generic.AppendPump(nil, []monitor.Sample{{Channel: channel.PatientSpO2, Value: 97}})
	assert.Error(t, err, "not a pump channel")
	out, err = generic.AppendPump(nil, []monitor.Sample{{Channel: channel.PumpFlow, Value: 9, Quality: channel.OutOfRange}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(out), "PUMP,flow=OVR,rpm=---,"), "%q", out)
	assert.NotContains(t, string(out), "level", "an optional field without a sample is left out")
}

// TestSimPumpOxygenatorPressures: a pump with pre- and post-oxygenator
// transducers adds pre= and post= (docs/format/sim-pump.md); the check
// worked by hand over the bytes before '*' is 0x15.
func TestSimPumpOxygenatorPressures(t *testing.T) {
	line := "PUMP,flow=4.40,rpm=2450,line=180,cpg=---,sweep=2.5,fio2=60,tart=36.5,tven=35.2,level=1200,pre=226,post=180*15\r\n"
	rec, err := devicetest.Decode(generic.New(), strings.NewReader(line))
	require.NoError(t, err)
	require.Equal(t, 1, rec.OK, rec.Frames())
	got := map[channel.ID]monitor.Sample{}
	for _, s := range rec.Samples {
		got[s.Channel] = s
	}
	assert.Len(t, got, 11)
	assert.Equal(t, 226.0, got[channel.PumpPreOxyPressure].Value)
	assert.Equal(t, 180.0, got[channel.PumpPostOxyPressure].Value)
	assert.Equal(t, channel.OK, got[channel.PumpPreOxyPressure].Quality)
	out, err := generic.AppendPump(nil, rec.Samples)
	require.NoError(t, err)
	assert.Equal(t, line, string(out))
	// A damaged check makes the whole line bad: no pressure from it.
	rec, err = devicetest.Decode(generic.New(), strings.NewReader(strings.Replace(line, "*15", "*16", 1)))
	require.NoError(t, err)
	assert.Zero(t, rec.OK)
	assert.Empty(t, rec.Samples)
}

// TestSimPumpInletPressure: an ECMO circuit's pump adds its inlet
// (drainage) pressure, negative, as inlet= (docs/format/sim-pump.md); it
// has no reservoir (no level=) and no cardioplegia line (cpg=---). The
// XOR of the bytes before '*' is 0x0B.
func TestSimPumpInletPressure(t *testing.T) {
	line := "PUMP,flow=4.50,rpm=3300,line=172,cpg=---,sweep=3.0,fio2=100,tart=36.8,tven=36.7,pre=217,post=172,inlet=-51*0B\r\n"
	rec, err := devicetest.Decode(generic.New(), strings.NewReader(line))
	require.NoError(t, err)
	require.Equal(t, 1, rec.OK, rec.Frames())
	got := map[channel.ID]monitor.Sample{}
	for _, s := range rec.Samples {
		got[s.Channel] = s
	}
	assert.Len(t, got, 11)
	assert.Equal(t, -51.0, got[channel.PumpInletPressure].Value)
	assert.Equal(t, channel.OK, got[channel.PumpInletPressure].Quality)
	assert.NotContains(t, got, channel.ReservoirLevel)
	out, err := generic.AppendPump(nil, rec.Samples)
	require.NoError(t, err)
	assert.Equal(t, line, string(out))
}

// The annotated sample.conf and examples/sim-pump.toml describe the same
// device: they encode and decode alike.
func TestSampleConfigIsSimPump(t *testing.T) {
	a, err := generic.Load([]byte(generic.SimPumpConfig))
	require.NoError(t, err)
	b := generic.New()
	data, err := os.ReadFile("testdata/pump/input")
	require.NoError(t, err)
	ra, err := devicetest.Decode(a, bytes.NewReader(data))
	require.NoError(t, err)
	rb, err := devicetest.Decode(b, bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, rb.JSONL("x"), ra.JSONL("x"))
	assert.Equal(t, 6, ra.OK)
	fa, err := a.AppendFrame(nil, ra.Samples[:9])
	require.NoError(t, err)
	fb, err := b.AppendFrame(nil, ra.Samples[:9])
	require.NoError(t, err)
	assert.Equal(t, string(fb), string(fa))
	assert.Equal(t, b.Describe().Channels, a.Describe().Channels)
}

// Every example config is a test case's config.toml, byte for byte.
func TestExamplesAreCases(t *testing.T) {
	for _, p := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(p), ".toml")
		if name == "sim-pump" {
			continue // the default: testdata/pump has no config.toml
		}
		ex, err := os.ReadFile(p)
		require.NoError(t, err)
		c, err := os.ReadFile(filepath.Join("testdata", name, "config.toml"))
		require.NoError(t, err, "example %s needs a test case", name)
		assert.Equal(t, string(ex), string(c), "testdata/%s/config.toml must be a copy of %s", name, p)
	}
}

// Every example encodes what it decodes (but regex, which has no encoder).
func TestExamplesRoundTrip(t *testing.T) {
	for _, name := range []string{"stx-modbus", "delimited-header"} {
		data, err := os.ReadFile(filepath.Join("examples", name+".toml"))
		require.NoError(t, err)
		d, err := generic.Load(data)
		require.NoError(t, err)
		in := []monitor.Sample{
			{Channel: channel.PumpFlow, Value: 4.52},
			{Channel: channel.PumpLinePressure, Value: 182},
			{Channel: channel.TempArterialOutlet, Value: 36.8},
		}
		frame, err := d.AppendFrame(nil, in)
		require.NoError(t, err)
		if name == "delimited-header" {
			h, err := d.AppendHeader(nil)
			require.NoError(t, err)
			assert.Equal(t, "Fluss;Druck art;Temp art;Temp ven\r\n", string(h))
			assert.Equal(t, "4,52;182;36,8;\r\n", string(frame), "an optional field without a sample is left empty")
			frame = append(h, frame...)
		}
		rec, err := devicetest.Decode(d, bytes.NewReader(frame))
		require.NoError(t, err)
		require.Empty(t, rec.Bad, "%s: %q", name, frame)
		for _, s := range in {
			found := false
			for _, o := range rec.Samples {
				if o.Channel == s.Channel {
					found = true
					assert.Equal(t, channel.OK, o.Quality)
					assert.InDelta(t, s.Value, o.Value, 1e-9, "%s %v", name, s.Channel)
				}
			}
			assert.True(t, found, "%s: %v lost", name, s.Channel)
		}
	}
	data, err := os.ReadFile("examples/regex.toml")
	require.NoError(t, err)
	d, err := generic.Load(data)
	require.NoError(t, err)
	_, err = d.AppendFrame(nil, nil)
	assert.Error(t, err)
}

// An escaped byte in a binary check: the encoder escapes it, the framer
// unescapes it.
func TestEscapedCheck(t *testing.T) {
	data, err := os.ReadFile("examples/stx-modbus.toml")
	require.NoError(t, err)
	d, err := generic.Load(data)
	require.NoError(t, err)
	escaped := 0
	for flow := 4000; flow < 6000; flow++ {
		in := []monitor.Sample{{Channel: channel.PumpFlow, Value: float64(flow) / 1000}, {Channel: channel.PumpLinePressure, Value: 180}, {Channel: channel.TempArterialOutlet, Value: 37}}
		f, err := d.AppendFrame(nil, in)
		require.NoError(t, err)
		require.Equal(t, byte(0x02), f[0])
		require.Equal(t, byte(0x03), f[len(f)-1])
		body := f[1 : len(f)-1]
		if !bytes.Contains(body, []byte{0x10}) {
			continue
		}
		escaped++
		assert.NotContains(t, string(body), "\x02", "start byte escaped")
		assert.NotContains(t, string(body), "\x03", "end byte escaped")
		rec, err := devicetest.Decode(d, bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 1, rec.OK, "%q: %s", f, rec.Frames())
		assert.InDelta(t, float64(flow)/1000, rec.Samples[0].Value, 1e-12)
	}
	assert.Greater(t, escaped, 10, "about 1 in 40 CRCs holds an 02, 03 or 10 byte")
}

func TestConfigErrors(t *testing.T) {
	base := "[parse]\ntype = \"keyvalue\"\ndelimiter = \",\"\nseparator = \"=\"\n[[field]]\nname = \"f\"\nchannel = \"pump.flow\"\n"
	for conf, want := range map[string]string{
		"":                                    "parse.type",
		base + "max_frame = 0\n":              "max_frame",
		base + "[framing]\ntype = \"slip\"\n": "framing.type",
		base + "[framing]\ntype = \"stx_etx\"\nstart = \"2\"\nend = \"03\"\n":        "framing.start",
		base + "[framing]\ntype = \"stx_etx\"\nstart = \"02\"\nend = \"02\"\n":       "the same byte",
		base + "[checksum]\ntype = \"crc32\"\n":                                      "checksum.type",
		base + "[checksum]\ntype = \"sum8\"\nencoding = \"binary\"\n":                "checksum.encoding",
		base + "[checksum]\ntype = \"sum8\"\nposition = \"after_end\"\n":             "checksum.position",
		base + "[poll]\ninterval = \"1s\"\n":                                         "poll.bytes",
		base + "[poll]\nbytes = \"zz\"\n":                                            "poll.bytes",
		base + "[[field]]\nname = \"f\"\nchannel = \"pump.speed\"\n":                 "field[1].name",
		base + "[[field]]\nname = \"g\"\nchannel = \"pump.flw\"\n":                   "field[1].channel",
		base + "[[field]]\nname = \"g\"\nchannel = \"pump.flow\"\n":                  "field[1].channel",
		base + "[[field]]\nname = \"g\"\nchannel = \"derived.do2\"\n":                "not a measured channel",
		base + "[[field]]\nname = \"g\"\nchannel = \"pump.speed\"\nunit = \"kPa\"\n": "field[1].unit",
		base + "[[field]]\nname = \"g\"\nchannel = \"pump.speed\"\ncolumn = 2\n":     "field[1].column",
		base + "[[field]]\nname = \"g\"\nchannel = \"pump.speed\"\ndecimals = 12\n":  "field[1].decimals",
		base + "baud = 9600\n": "unknown option",
		"[parse]\ntype = \"regex\"\npattern = \"(\"\n[[field]]\nname = \"f\"\nchannel = \"pump.flow\"\n":                "parse.pattern",
		"[parse]\ntype = \"regex\"\npattern = \"(?P<g>.*)\"\n[[field]]\nname = \"f\"\nchannel = \"pump.flow\"\n":        "not a named group",
		"[parse]\ntype = \"delimited\"\ndelimiter = \";\"\n[[field]]\nname = \"f\"\nchannel = \"pump.flow\"\n":          "field[0].column",
		"[parse]\ntype = \"delimited\"\ndelimiter = \";\"\ncount = 1\n[[field]]\ncolumn = 2\nchannel = \"pump.flow\"\n": "parse.count",
		"[parse]\ntype = \"keyvalue\"\ndelimiter = \",\"\nseparator = \"=\"\n":                                          "no [[field]]",
	} {
		_, err := generic.Load([]byte(conf))
		if assert.ErrorIs(t, err, devices.ErrConfig, conf) {
			assert.Contains(t, err.Error(), want, conf)
		}
	}
}

// A config replaces the default protocol entirely: no pump field remains.
func TestConfigReplacesDefault(t *testing.T) {
	d := generic.New()
	data, err := os.ReadFile("examples/regex.toml")
	require.NoError(t, err)
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder(data)))
	var ids []channel.ID
	for _, c := range d.Describe().Channels {
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []channel.ID{channel.TempNasopharyngeal, channel.TempBladder, channel.PumpFlow}, ids)
}

// rw records what Decode writes.
type rw struct {
	io.Reader
	out bytes.Buffer
}

func (r *rw) Write(p []byte) (int, error) { return r.out.Write(p) }

func TestPoll(t *testing.T) {
	conf := "[poll]\nbytes = \"3F 0D\"\non_connect = true\ninterval = \"2s\"\n" +
		"[parse]\ntype = \"keyvalue\"\ndelimiter = \",\"\nseparator = \"=\"\n[[field]]\nname = \"f\"\nchannel = \"pump.flow\"\n"
	d, err := generic.Load([]byte(conf))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, d.PollInterval())
	assert.Equal(t, "?\r", string(d.AppendPoll(nil)))
	s := &rw{Reader: strings.NewReader("f=4.5\r\n")}
	rec := &devicetest.Recorder{}
	require.ErrorIs(t, d.Decode(context.Background(), s, devices.Env{Sink: rec, Events: rec}), io.EOF)
	assert.Equal(t, "?\r", s.out.String(), "sent on connect")
	require.Len(t, rec.Samples, 1)
	assert.Equal(t, 4.5, rec.Samples[0].Value)
	assert.Zero(t, generic.New().PollInterval())
}

func TestBadFrames(t *testing.T) {
	data, err := os.ReadFile("testdata/pump-damaged/input")
	require.NoError(t, err)
	rec, err := devicetest.Decode(generic.New(), bytes.NewReader(data))
	require.NoError(t, err)
	var got []string
	for _, b := range rec.Bad {
		got = append(got, b.Reason.String()+" "+b.Field)
	}
	assert.Equal(t, []string{
		"checksum checksum", // opened mid-line: "*11" is not its check
		"syntax checksum",   // binary noise: no hex check at its end
		"checksum checksum",
		"field flow",
		"field rpm",
		"field rpm",
		"field spo2",
		"syntax prefix",
		"syntax ",
		"truncated ",
	}, got)
}

// BenchmarkDecode measures the simulator pump format; the baseline is the
// same bytes through bytes.Split on lines, the least any line driver does.
// 9600 baud is 960 B/s; the target is 1000 times that.
func BenchmarkDecode(b *testing.B) {
	data := bytes.Repeat(bytes.Join(pumpFrames(b), nil), 2000)
	b.Run("generic", func(b *testing.B) {
		d := generic.New()
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
	})
	b.Run("baseline-split", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		n := 0
		for b.Loop() {
			n += len(bytes.Split(data, []byte("\r\n")))
		}
		_ = n
	})
}

// filler reads n bytes of b.
type filler struct {
	n     int64
	b     byte
	block []byte
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), f.n))
	if len(f.block) == 0 {
		f.block = bytes.Repeat([]byte{f.b}, 64<<10)
	}
	k = copy(p[:k], f.block)
	f.n -= int64(k)
	return k, nil
}

// An STX/ETX config bounds memory too: 100 MB inside a frame, or outside
// any frame, are each one bad frame, and the frames around them decode.
func TestSTXOversize(t *testing.T) {
	data, err := os.ReadFile("examples/stx-modbus.toml")
	require.NoError(t, err)
	good := "\x02S5;4520;182;368\x23\xfa\x03" // CRC-16/MODBUS 0xFA23, low byte first
	d, err := generic.Load(data)
	require.NoError(t, err)
	ok, err := devicetest.Decode(d, strings.NewReader(good))
	require.NoError(t, err)
	require.Equal(t, 1, ok.OK, "the reference frame: %s", ok.Frames())
	for _, tc := range []struct {
		name   string
		head   string
		reason devices.Reason
	}{{"inside a frame", "\x02", devices.ReasonOversize}, {"outside frames", "", devices.ReasonOversize}} {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := io.MultiReader(strings.NewReader(good+tc.head), &filler{n: 100 << 20, b: 'A'}, strings.NewReader("\x03"+good))
		rec, err := devicetest.Decode(d, r)
		require.NoError(t, err)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		assert.Equal(t, 2, rec.OK, "%s: %s", tc.name, rec.Frames())
		if assert.Len(t, rec.Bad, 1, "%s: %s", tc.name, rec.Frames()) {
			assert.Equal(t, tc.reason, rec.Bad[0].Reason, tc.name)
			assert.Equal(t, int64(len(good)), rec.Bad[0].Offset, tc.name)
		}
		assert.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(16<<20), tc.name)
	}
}

// TestLineNoise runs line noise through 30 minutes of the emulated device's
// output (docs/drivers.md, "Line noise"): with 1 % of the bytes flipped, a
// made-up value may come out ok only where digits alone were changed into
// other digits, which no syntax can see: the simulator's pump format carries an XOR-8 check, which misses any two flips in one bit position.
func TestLineNoise(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clean, err := emulate.Stream(generic.Name, sim.New(start, 1), start.Add(30*time.Minute))
	require.NoError(t, err)
	devicetest.CheckFlips(t, func() devices.Driver { d, _ := devices.New(generic.Name); return d }, clean, devicetest.FlipOptions{Check: devicetest.WeakCheck})
}

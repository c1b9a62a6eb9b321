package astm_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"

	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/devicetest"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, astm.Name, devicetest.Options{
		Checksummed: true,
		ZeroAllocs:  true,
		// The over-long frame: STX, frame number, 100 MB of text, CR LF.
		OversizeHead: []byte{astm.STX, '1'},
	})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, astm.Name, "testdata") }

// session builds one transfer from records, one end frame each.
func session(records ...string) []byte {
	out := []byte{astm.ENQ}
	fn := byte('1')
	for _, r := range records {
		out = astm.AppendLowFrame(out, fn, []byte(r+"\r"), true)
		fn = '0' + (fn-'0'+1)%8
	}
	return append(out, astm.EOT)
}

const header = `H|\^&|||ABL800|||||||P|LIS2-A2|20260302074700`

func TestKPaConverted(t *testing.T) {
	in := session(header, "P|1", "O|1|S1||^^^BG|R||20260302074500||||||||arterial",
		"R|1|^^^pCO2|5.33|kPa||||F", "R|2|^^^pO2|13.3|KPA||||F", "R|3|^^^pCO2|40|mmHg||||F", "L|1|N")
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	rec, err := devicetest.Decode(d, bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, channel.ABGPCO2, rec.Samples[0].Channel)
	assert.InDelta(t, 5.33*7.50062, rec.Samples[0].Value, 1e-9, "1 kPa = 7.50062 mmHg")
	assert.InDelta(t, 99.758, rec.Samples[1].Value, 1e-3)
	assert.Equal(t, channel.ABGPO2, rec.Samples[1].Channel)
	assert.Equal(t, 40.0, rec.Samples[2].Value)
	for _, s := range rec.Samples {
		assert.Equal(t, channel.OK, s.Quality)
		assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), s.Time, "collection time from O.8")
	}
}

func TestSampleTime(t *testing.T) {
	in := func(o8, r13 string) []byte {
		return session(header, "O|1|S1||^^^BG|R||"+o8+"||||||||venous", "R|1|^^^pH|7.35|||||F||||"+r13, "L|1|N")
	}
	for _, c := range []struct {
		conf, o8, r13 string
		want          int64
	}{
		{`time_zone = "UTC"`, "20260302074500", "20260302074630", time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano()},
		{`time_zone = "UTC"`, "", "20260302074630", time.Date(2026, 3, 2, 7, 46, 30, 0, time.UTC).UnixNano()},
		{"time_zone = \"UTC\"\ntime = \"result\"", "20260302074500", "20260302074630", time.Date(2026, 3, 2, 7, 46, 30, 0, time.UTC).UnixNano()},
		{"time_zone = \"UTC\"\ntime = \"receive\"", "20260302074500", "20260302074630", devicetest.T0},
		{`time_zone = "UTC"`, "", "", devicetest.T0},
		{`time_zone = "UTC"`, "20260302091500", "", devicetest.T0}, // the analyser's clock is 75 min ahead
		{`time_zone = "Europe/London"`, "20260702084500", "", devicetest.T0},
		{`time_zone = "Europe/London"`, "20260302074500", "", time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano()},
		{`time_zone = "Europe/Paris"`, "20260302084500", "", time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano()},
	} {
		d := astm.New()
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(c.conf))))
		rec, err := devicetest.Decode(d, bytes.NewReader(in(c.o8, c.r13)))
		require.NoError(t, err)
		require.Len(t, rec.Samples, 1, c.conf)
		assert.Equal(t, channel.VBGPH, rec.Samples[0].Channel)
		assert.Equal(t, time.Unix(0, c.want).UTC(), time.Unix(0, rec.Samples[0].Time).UTC(), "%s O.8 %s R.13 %s", c.conf, c.o8, c.r13)
	}
}

func TestFixedChannelAndSiteFromConfig(t *testing.T) {
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"UTC\"\n[[tests]]\ncode = \"ACT\"\nchannel = \"act.seconds\"\n[sites]\nunspecified = [\"BLD\"]\ndefault = \"venous\"\n"))))
	in := session(header, "O|1|S1||^^^BG|R||||||||||BLD", "R|1|^^^ACT|2000|s||||F", "R|2|^^^K+|4.2|mmol/L||||F", "O|2|S2||^^^BG|R", "R|1|^^^Na+|141|mmol/L||||F", "L|1|N")
	rec, err := devicetest.Decode(d, bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, channel.ACTSeconds, rec.Samples[0].Channel)
	assert.Equal(t, channel.OutOfRange, rec.Samples[0].Quality, "2000 s is beyond act.seconds' plausible range")
	assert.Zero(t, rec.Samples[0].Value, "never a number when not OK")
	assert.Equal(t, channel.VBGK, rec.Samples[1].Channel)
	assert.Equal(t, channel.VBGNa, rec.Samples[2].Channel, "an empty O.16 gives the default site")

	// Without a default, a result whose site nothing states goes to bg.*:
	// never dropped, never guessed.
	rec, err = devicetest.Decode(astm.New(), bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 2, "ACT is not mapped by default")
	assert.Equal(t, channel.BGK, rec.Samples[0].Channel)
	assert.Equal(t, channel.BGNa, rec.Samples[1].Channel)
	assert.Empty(t, rec.Bad)
}

func TestPatientDataNeverReported(t *testing.T) {
	const name = "Doe^Jane"
	// A patient record with a bad checksum, and one outside a message.
	bad := astm.AppendLowFrame(nil, '2', []byte("P|1||PID77||"+name+"||19600101|F\r"), true)
	bad[len(bad)-4] ^= 1
	in := append([]byte{astm.ENQ}, astm.AppendLowFrame(nil, '1', []byte("P|1||PID77||"+name+"\r"), true)...)
	in = append(in, bad...)
	in = append(in, astm.EOT)
	rec, err := devicetest.Decode(astm.New(), bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Bad, 2)
	for _, b := range rec.Bad {
		assert.NotContains(t, b.Error(), "Doe")
		assert.NotContains(t, b.Error(), "PID77")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"UTC\"\n[[tests]]\ncode = \"pCO2\"\nanalyte = \"pco2\"\nunit = \"kPa\"\n"))))
	t0 := devicetest.T0 - int64(10*time.Minute)
	in := []monitor.Sample{
		{Time: t0, Channel: channel.ABGPCO2, Value: 40, Quality: channel.OK},
		{Time: t0, Channel: channel.ABGPH, Value: 7.4, Quality: channel.OK},
		{Time: t0, Channel: channel.VBGSO2, Value: 70, Quality: channel.OK},
		{Time: t0, Channel: channel.ABGK, Value: 12, Quality: channel.OutOfRange},
		{Time: t0, Channel: channel.ABGNa, Quality: channel.Unavailable},
		{Time: t0, Channel: channel.ABGLactate, Value: 2, Quality: channel.Questionable},
		{Time: t0, Channel: channel.CVBGPH, Value: 7.33, Quality: channel.OK},
		{Time: t0, Channel: channel.BGHct, Value: 30, Quality: channel.OK},
	}
	frames, err := d.Frames(in)
	require.NoError(t, err)
	var text []byte
	for _, f := range frames {
		text = append(text, f...)
	}
	assert.Contains(t, string(text), "|^^^pCO2|5.332892", "pCO2 goes out in the configured unit")
	assert.Contains(t, string(text), "|kPa|")
	assert.Contains(t, string(text), "||||||||central venous\r", "a central venous sample says so in O.16")
	wire, err := d.AppendFrame(nil, in)
	require.NoError(t, err)
	rec, err := devicetest.Decode(d, bytes.NewReader(wire))
	require.NoError(t, err)
	require.Equal(t, 1, rec.OK)
	require.Empty(t, rec.Bad)
	require.Len(t, rec.Samples, len(in))
	for _, s := range in {
		var got *monitor.Sample
		for i := range rec.Samples {
			if rec.Samples[i].Channel == s.Channel {
				got = &rec.Samples[i]
			}
		}
		require.NotNil(t, got, "%v", s.Channel)
		assert.Equal(t, s.Quality, got.Quality, "%v", s.Channel)
		assert.InDelta(t, s.Value*boolF(s.Quality == channel.OK), got.Value, 1e-9, "%v", s.Channel)
		assert.Equal(t, t0, got.Time)
	}
	_, err = d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PumpFlow, Value: 4}})
	assert.Error(t, err)
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestConfigErrors(t *testing.T) {
	for _, conf := range []string{
		`time_zone = "Mars/Olympus"`, `time = "whenever"`, `code_component = 0`,
		"[[tests]]\ncode = \"X\"\nanalyte = \"phh\"", "[[tests]]\ncode = \"X\"\nanalyte = \"pco2\"\nunit = \"bar\"",
		"[sites]\ndefault = \"capillary\"", `baud = 9600`,
	} {
		assert.ErrorIs(t, devices.Configure(astm.New(), devices.TOMLDecoder([]byte(conf))), devices.ErrConfig, conf)
	}
}

// BenchmarkDecode measures decoding a stream of transfers. The 9600-baud
// line rate is 960 B/s; the target is 1000 times that, about 1 MB/s.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("testdata/basic/input")
	require.NoError(b, err)
	data = bytes.Repeat(data, 500)
	d := astm.New()
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

// BenchmarkBaseline is the floor BenchmarkDecode compares with: the same
// bytes only summed, as a checksum pass would.
func BenchmarkBaseline(b *testing.B) {
	data, err := os.ReadFile("testdata/basic/input")
	require.NoError(b, err)
	data = bytes.Repeat(data, 500)
	b.SetBytes(int64(len(data)))
	var s byte
	for b.Loop() {
		s += astm.Checksum(data)
	}
	_ = s
}

func TestConfigReplacesLists(t *testing.T) {
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"UTC\"\ndefault_tests = false\n[[tests]]\ncode = \"PH\"\nanalyte = \"ph\"\n[sites]\narterial = [\"ART\"]\nvenous = [\"VEN\"]\n"))))
	in := session(header, "O|1|S1||^^^BG|R||||||||||ART", "R|1|^^^PH|7.35", "R|2|^^^pH|7.36",
		"O|2|S1||^^^BG|R||||||||||arterial", "R|1|^^^PH|7.37", "L|1|N")
	rec, err := devicetest.Decode(d, bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 2, "only the configured code")
	assert.Equal(t, channel.ABGPH, rec.Samples[0].Channel)
	assert.Equal(t, 7.35, rec.Samples[0].Value)
	assert.Equal(t, channel.BGPH, rec.Samples[1].Channel, "only the configured specimen words: the others are not guessed")
	assert.Equal(t, 7.37, rec.Samples[1].Value)
	assert.Empty(t, rec.Bad)
	assert.Len(t, d.Describe().Channels, 4, "abg.ph, vbg.ph, cvbg.ph, bg.ph")
}

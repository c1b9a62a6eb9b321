package cdi550_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// crcBitwise is the CRC of the manual's table computed one bit at a time
// from its definition: reflected polynomial 0xA1, initial value 0.
func crcBitwise(b []byte) uint8 {
	var c uint8
	for _, x := range b {
		c ^= x
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA1
			} else {
				c >>= 1
			}
		}
	}
	return c
}

func TestCRC8MatchesItsDefinition(t *testing.T) {
	for _, s := range []string{"", "X", "\x02X2000AEA0", "123456789", strings.Repeat("\xff\x00\x55", 40)} {
		assert.Equal(t, crcBitwise([]byte(s)), cdi550.CRC8([]byte(s)), "%q", s)
	}
	// A CRC with a non-zero constant term sees every single changed byte.
	base := []byte("\x02X2000AEA008:00:00\t00007.38\t")
	for i := range base {
		for _, r := range []byte{0x00, 0xff, base[i] ^ 1, base[i] ^ 0x80} {
			if r == base[i] {
				continue
			}
			bad := bytes.Clone(base)
			bad[i] = r
			assert.NotEqual(t, cdi550.CRC8(base), cdi550.CRC8(bad), "byte %d = %#x", i, r)
		}
	}
}

// packet builds a packet as appendix C lays it out.
func packet(seq uint8, cmd string, data string) []byte {
	n := 13 + len(data)
	body := fmt.Sprintf("\x02X%02X%04X%s%s", seq, n, cmd, data)
	return []byte(fmt.Sprintf("%s%02X\x03", body, cdi550.CRC8([]byte(body))))
}

const analyteData = "08:00:00\t00007.38\t010041\t0200245\t030036.2\t0D0074\t100028\t11009.3\t"

func TestPacketValuesAndBadCRC(t *testing.T) {
	good := packet(1, "A0", analyteData)
	bad := bytes.Clone(packet(2, "A0", strings.Replace(analyteData, "7.38", "7.10", 1)))
	bad[len(bad)-2] ^= 0x01 // the CRC's last digit
	in := append(append(append([]byte{}, good...), bad...), good...)
	rec, err := devicetest.Decode(declared(t, cdi550.NewPacket()), bytes.NewReader(in))
	require.NoError(t, err)
	require.Len(t, rec.Bad, 1)
	assert.Equal(t, devices.ReasonChecksum, rec.Bad[0].Reason)
	assert.Equal(t, int64(len(good)), rec.Bad[0].Offset)
	got, q := values(rec.Samples)
	assert.Empty(t, q)
	assert.Equal(t, map[string]float64{"inline.art_ph": 7.38, "inline.art_pco2": 41, "inline.art_po2": 245, "inline.art_temp": 36.2,
		"inline.ven_so2": 74, "inline.hct": 28, "inline.hb": 9.3}, got)
	for _, s := range rec.Samples {
		assert.NotEqual(t, 7.10, s.Value, "a packet with a bad CRC gives nothing")
	}
	assert.Equal(t, 2, rec.OK)
}

func TestPacketModeFromConfig(t *testing.T) {
	d := cdi550.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`mode = "packet"`))))
	assert.Equal(t, cdi550.ModePacket, d.Mode())
	rec, err := devicetest.Decode(d, bytes.NewReader(packet(0, "A0", analyteData)))
	require.NoError(t, err)
	assert.Equal(t, 1, rec.OK)
	assert.Len(t, rec.Samples, 7)
	err = devices.Configure(cdi550.New(), devices.TOMLDecoder([]byte(`mode = "binary"`)))
	assert.ErrorIs(t, err, devices.ErrConfig)
	err = devices.Configure(cdi550.NewPacket(), devices.TOMLDecoder([]byte("[codes]\n\"0G\" = \"pH\"")))
	assert.ErrorContains(t, err, "0G")
	// A packet without a single mapped code is a config error, as a
	// header without one is.
	noneMapped := "[codes]\n"
	for c := range 0x12 {
		noneMapped += fmt.Sprintf("%q = \"\"\n", fmt.Sprintf("%02X", c))
	}
	err = devices.Configure(cdi550.NewPacket(), devices.TOMLDecoder([]byte(noneMapped)))
	assert.ErrorContains(t, err, "map no channel")
}

// TestPacketTempRule: packet mode has no mode lines; the configured mode
// decides, by the same rule as ASCII mode.
func TestPacketTempRule(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want channel.Quality
	}{
		{"", channel.Questionable}, // the mode is not declared: withheld
		{`temp_mode = "37C"`, channel.OK},
		{`require_temp_mode = "37C"`, channel.Questionable},
		{`temp_mode = "37C"` + "\n" + `require_temp_mode = "37C"`, channel.OK},
		{`temp_mode = "patient"` + "\n" + `require_temp_mode = "37C"`, channel.Questionable},
	} {
		d := cdi550.NewPacket()
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(tc.conf))))
		rec, err := devicetest.Decode(d, bytes.NewReader(packet(0, "A0", analyteData)))
		require.NoError(t, err)
		for _, s := range rec.Samples {
			switch s.Channel {
			case channel.InlineArtPH, channel.InlineArtPCO2, channel.InlineArtPO2:
				assert.Equal(t, tc.want, s.Quality, "%q: %v", tc.conf, s.Channel)
			default:
				assert.Equal(t, channel.OK, s.Quality, "%q: %v does not depend on the mode", tc.conf, s.Channel)
			}
		}
	}
}

func TestPacketRequest(t *testing.T) {
	d := cdi550.NewPacket()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("request_on_connect = true\npoll_interval = \"6s\""))))
	s := &rw{Reader: bytes.NewReader(packet(0, "A0", analyteData))}
	require.ErrorIs(t, d.Decode(context.Background(), s, devices.Env{}), io.EOF)
	assert.Equal(t, cdi550.RequestPacket, s.out.String())
	assert.Equal(t, cdi550.RequestPacket, string(d.AppendPoll(nil)))
}

// TestPacketEncoder: the encoder's packets have the manual's layout (the
// length, the sequence, the CRC) and decode back.
func TestPacketEncoder(t *testing.T) {
	d := cdi550.NewPacket()
	ss := []monitor.Sample{
		{Time: devicetest.T0, Channel: channel.InlineArtPH, Value: 7.4},
		{Time: devicetest.T0, Channel: channel.InlineHb, Value: 9.25},
		{Time: devicetest.T0, Channel: channel.InlineHct, Quality: channel.OutOfRange},
	}
	var stream []byte
	for i := range 300 {
		var err error
		n := len(stream)
		stream, err = d.AppendFrame(stream, ss)
		require.NoError(t, err)
		p := stream[n:]
		assert.Equal(t, fmt.Sprintf("%02X", uint8(i)), string(p[2:4]), "sequence")
		assert.Equal(t, fmt.Sprintf("%04X", len(p)), string(p[4:8]), "length")
		assert.Equal(t, fmt.Sprintf("%02X", cdi550.CRC8(p[:len(p)-3])), string(p[len(p)-3:len(p)-1]), "CRC")
	}
	_, err := d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PumpFlow, Value: 4}})
	assert.Error(t, err, "packet mode carries no flow")
	rec, err := devicetest.Decode(declared(t, cdi550.NewPacket()), bytes.NewReader(stream))
	require.NoError(t, err)
	assert.Empty(t, rec.Bad)
	assert.Equal(t, 300, rec.OK)
	got, q := values(rec.Samples)
	assert.Equal(t, 7.4, got["inline.art_ph"])
	assert.Equal(t, 9.25, got["inline.hb"])
	assert.Equal(t, channel.OutOfRange, q["inline.hct"])
	assert.Equal(t, channel.Unavailable, q["inline.art_po2"], "a channel the samples lack is sent empty")
}

// TestHeaderEvery50: the ASCII encoder repeats the header before every
// 51st line, as the device does; the emulated stream therefore exercises
// the header path.
func TestHeaderEvery50(t *testing.T) {
	d := cdi550.New()
	var stream []byte
	for range 160 {
		var err error
		stream, err = d.AppendFrame(stream, []monitor.Sample{{Time: devicetest.T0, Channel: channel.PumpFlow, Value: 4.5}})
		require.NoError(t, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(stream), "\r"), "\r")
	require.Len(t, lines, 163)
	var at []int
	for i, l := range lines {
		if strings.HasPrefix(l, "Time\t") {
			at = append(at, i)
		}
	}
	assert.Equal(t, []int{50, 101, 152}, at, "a header after every 50 data lines")
	rec, err := devicetest.Decode(cdi550.New(), strings.NewReader(string(stream)))
	require.NoError(t, err)
	assert.Empty(t, rec.Bad)
	assert.Equal(t, 163, rec.OK)
}

// TestValueSyntax: only the device's value forms pass; everything else
// makes the line bad.
func TestValueSyntax(t *testing.T) {
	for _, tc := range []struct {
		v    string
		ok   bool
		want channel.Quality
	}{
		{"4.50", true, channel.OK}, {"4", true, channel.OK}, {"-0.5", true, channel.OutOfRange}, {"1234.567", false, 0},
		{"", true, channel.Unavailable}, {"---", true, channel.OutOfRange}, {"--.--", true, channel.OutOfRange},
		{"-", false, 0}, {"+4.5", false, 0}, {"4.", false, 0}, {".5", false, 0}, {"4,5", false, 0}, {"4.5e0", false, 0},
		{" 4.5", false, 0}, {"4.5 ", false, 0}, {"12345", false, 0}, {"4.5555", false, 0}, {"-.-.-", false, 0}, {"0x10", false, 0},
	} {
		line := strings.Replace(report, "\t4.50\t", "\t"+tc.v+"\t", 1)
		rec, err := devicetest.Decode(cdi550.New(), strings.NewReader(header+line))
		require.NoError(t, err)
		if !tc.ok {
			assert.Len(t, rec.Bad, 1, "%q must be refused", tc.v)
			assert.Empty(t, rec.Samples, "%q: nothing from a bad line", tc.v)
			continue
		}
		require.Empty(t, rec.Bad, "%q", tc.v)
		for _, s := range rec.Samples {
			if s.Channel == channel.PumpFlow {
				assert.Equal(t, tc.want, s.Quality, "%q", tc.v)
			}
		}
	}
}

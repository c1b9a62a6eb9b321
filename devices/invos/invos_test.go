package invos_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/invos"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestConformance runs the kit on the captures written from the manual's
// layouts (testdata/<case>/source.md says which); the stream checks run on
// the lines of the PC LINK 1 and PC LINK 2 captures.
func TestConformance(t *testing.T) {
	devicetest.Check(t, invos.Name, devicetest.Options{Frames: captureLines(t, "testdata/pclink1/input", "testdata/pclink2/input"), ZeroAllocs: true})
}

func captureLines(t *testing.T, paths ...string) [][]byte {
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, l := range bytes.SplitAfter(data, []byte("\r\n")) {
			if len(l) > 0 {
				out = append(out, l)
			}
		}
	}
	return out
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, invos.Name, "testdata") }

// Captures of the manual's layouts.
const (
	sp    = "  "
	off1  = "0  0  0  0  0  0  0  0  0.0000  0.0000  0  0  0"
	off2  = "0  0  0  0.0000  0.0000  0  0"
	left1 = "L  68  0  0  68  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345"
	right = "R  66  0  0  66  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345"
	line1 = "03/02/26  08:00:00  " + left1 + sp + right + sp + off1 + sp + off1 + "\r\n"
	line2 = "1.2.34.56/1/1  03/02/26  08:00:05  70  0  0  0.0000  0.0000  0  SAFB-SM-A12345  69  0  0  0.0000  0.0000  0  SAFB-SM-A12345  " + off2 + sp + off2 + "\r\n"
)

func byChannel(ss []monitor.Sample) map[channel.ID][]monitor.Sample {
	m := map[channel.ID][]monitor.Sample{}
	for _, s := range ss {
		m[s.Channel] = append(m[s.Channel], s)
	}
	return m
}

func TestBothFormats(t *testing.T) {
	rec, err := devicetest.Decode(invos.New(), strings.NewReader(line1+line2))
	require.NoError(t, err)
	require.Empty(t, rec.Bad)
	m := byChannel(rec.Samples)
	require.Len(t, m[channel.NIRSLeft], 2)
	assert.Equal(t, 68.0, m[channel.NIRSLeft][0].Value)
	assert.Equal(t, 70.0, m[channel.NIRSLeft][1].Value)
	assert.Equal(t, 69.0, m[channel.NIRSRight][1].Value)
	require.Len(t, m[channel.NIRSLeftBaseline], 1, "PC LINK 2 carries no baseline")
	assert.Equal(t, 68.0, m[channel.NIRSLeftBaseline][0].Value)
	assert.Equal(t, 66.0, m[channel.NIRSRightBaseline][0].Value)
	assert.Empty(t, m[channel.NIRSRenal], "channels 3 and 4 are unmapped by default")
}

// TestInactiveIsNoValue: a channel the device reports as not active (rSO2
// 0), or whose status withholds or invalidates its value, is never a
// number.
func TestInactiveIsNoValue(t *testing.T) {
	d := invos.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("[status]\n\"7\" = \"invalid\""))))
	in := strings.Replace(line2, "70  0  0  0.0000", "70  0  7  0.0000", 1) + // channel 1: status 7, invalid
		strings.Replace(strings.Replace(line2, "69  0  0  0.0000  0.0000  0  SAFB-SM-A12345", off2, 1), "70  0  0", "70  0  4", 1) // channel 2 off, channel 1 status 4
	rec, err := devicetest.Decode(d, strings.NewReader(in))
	require.NoError(t, err)
	require.Empty(t, rec.Bad)
	m := byChannel(rec.Samples)
	assert.Equal(t, []channel.Quality{channel.Unavailable, channel.Questionable}, qualities(m[channel.NIRSLeft]))
	assert.Equal(t, []channel.Quality{channel.OK, channel.Unavailable}, qualities(m[channel.NIRSRight]))
	for _, s := range rec.Samples {
		if s.Quality != channel.OK {
			assert.Equal(t, channel.NoValue, channel.Get(s.Channel).Format(s.Value, s.Quality), "%v %v", s.Channel, s.Quality)
		}
	}
}

func qualities(ss []monitor.Sample) []channel.Quality {
	var q []channel.Quality
	for _, s := range ss {
		q = append(q, s.Quality)
	}
	return q
}

// notesRec is a Recorder that keeps notes.
type notesRec struct {
	devicetest.Recorder
	notes map[string]int
}

func (n *notesRec) Note(s string) { n.notes[s]++ }

func TestEventsAndBaselineNotes(t *testing.T) {
	rec := &notesRec{notes: map[string]int{}}
	in := line1 + strings.Replace(line1, "L  68  0  0  68", "L  62  12  0  62", 1) + strings.Replace(line1, "L  68  0  0  68", "L  62  0  0  62", 1)
	err := invos.New().Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(in)), devices.Env{Sink: rec, Events: rec})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, map[string]int{
		"invos: baseline set on channel 1":    2, // on connect, then changed
		"invos: baseline set on channel 2":    1,
		"invos: event 12 marked on channel 1": 1,
	}, rec.notes)
}

func TestConfigErrors(t *testing.T) {
	for conf, want := range map[string]string{
		`format = "pclink3"`:                         "pclink3",
		`spacing = "tabs"`:                           "spacing",
		"[channels]\n\"5\" = \"nirs.left\"":          `"5"`,
		"[channels]\n\"01\" = \"nirs.left\"":         `"01"`,
		"[channels]\n\"3\" = \"patient.spo2\"":       "not nirs.left",
		"[channels]\n\"3\" = \"nirs.left\"":          "both map",
		"[channels]\n\"3\" = \"nirs.left_baseline\"": "not nirs.left",
		"[status]\n\"22\" = \"ok\"":                  `"22"`,
		"[status]\n\"2\" = \"fine\"":                 "fine",
		`baud = 9600`:                                "unknown option",
	} {
		err := devices.Configure(invos.New(), devices.TOMLDecoder([]byte(conf)))
		if assert.ErrorIs(t, err, devices.ErrConfig, conf) {
			assert.Contains(t, err.Error(), want, conf)
		}
	}
}

func TestEncoderFormats(t *testing.T) {
	ss := []monitor.Sample{
		{Time: devicetest.T0, Channel: channel.NIRSLeft, Value: 67.6},
		{Time: devicetest.T0, Channel: channel.NIRSRight, Value: 70, Quality: channel.Questionable},
		{Time: devicetest.T0, Channel: channel.NIRSLeftBaseline, Value: 66},
	}
	b, err := invos.New().AppendFrame(nil, ss)
	require.NoError(t, err)
	assert.Equal(t, "03/02/26  08:00:00  L  68  0  0  66  0  90  50  0.0000  0.0000  0  0  SN000000000001  R  70  0  1  0  0  90  50  0.0000  0.0000  0  0  SN000000000002  "+off1+sp+off1+"\r\n", string(b))
	d2, err := devices.New(invos.PCLink2Name)
	require.NoError(t, err)
	_, err = d2.(devices.Encoder).AppendFrame(nil, ss)
	assert.Error(t, err, "PC LINK 2 carries no baseline")
	b, err = d2.(devices.Encoder).AppendFrame(nil, ss[:2])
	require.NoError(t, err)
	assert.Equal(t, "1.0.0.0/1/1  03/02/26  08:00:00  68  0  0  0.0000  0.0000  0  SN000000000001  70  0  1  0.0000  0.0000  0  SN000000000002  "+off2+sp+off2+"\r\n", string(b))
	_, err = invos.New().AppendFrame(nil, []monitor.Sample{{Channel: channel.NIRSRenal, Value: 70}})
	assert.Error(t, err, "an unmapped channel")
	_, err = invos.New().AppendFrame(nil, []monitor.Sample{{Channel: channel.NIRSLeft, Value: 99}})
	assert.Error(t, err, "outside the device's range")
}

func TestHistoryLine(t *testing.T) {
	d := invos.New()
	loc := time.FixedZone("CET", 3600)
	h, err := d.ParseHistory([]byte("1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0"), loc)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 2, 8, 15, 30, 0, time.UTC), h.Time.UTC())
	assert.Equal(t, invos.HistoryChannel{RSO2: 68, Event: 12}, h.Ch[0])
	assert.Equal(t, invos.HistoryChannel{RSO2: 66, Status: 4}, h.Ch[1])
	assert.Equal(t, string(invos.AppendHistory(nil, h)), "1.0.0.0/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0\n")
	for line, field := range map[string]string{
		"1.2.34.56/1/1  02/30/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0":  "Date",
		"1.2.34.56/1/1  03/02/26  09:15:30  68  12  20  0  66  0  4  0  0  0  0  0  0  0  0  0": "Ch 1 Status",
		"1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  1  66  0  4  0  0  0  0  0  0  0  0  0":  "Ch 1 Rsvd",
		"1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  6  0  4  0  0  0  0  0  0  0  0  0":   "Ch 2 rSO2",
		"1.2.34.56  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0":      "Version",
		"1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0":     "",
	} {
		_, err := d.ParseHistory([]byte(line), loc)
		var he *invos.HistoryError
		if assert.ErrorAs(t, err, &he, line) {
			assert.Equal(t, field, he.Field, line)
		}
	}
}

// FuzzHistory: any line either parses into a reading within the manual's
// ranges, or is a HistoryError; a parsed line written back parses the same.
func FuzzHistory(f *testing.F) {
	f.Add([]byte("1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0"))
	f.Add([]byte("1.2.34.56/1/1  12/31/99  23:59:59  95  254  19  0  15  160  0  0  0  0  0  0  0  0  0  0"))
	f.Fuzz(func(t *testing.T, line []byte) {
		d := invos.New()
		h, err := d.ParseHistory(line, time.UTC)
		if err != nil {
			var he *invos.HistoryError
			require.ErrorAs(t, err, &he)
			return
		}
		for _, c := range h.Ch {
			if c.RSO2 != 0 && (c.RSO2 < invos.MinRSO2 || c.RSO2 > invos.MaxRSO2) || c.Status > invos.MaxHistoryStatus {
				t.Fatalf("out of the manual's ranges: %+v", c)
			}
		}
		back := invos.AppendHistory(nil, h)
		h2, err := d.ParseHistory(bytes.TrimSuffix(back, []byte("\n")), time.UTC)
		require.NoError(t, err, "%q", back)
		require.Equal(t, h, h2)
	})
}

// BenchmarkDecode: PC LINK 1 lines of four active channels against a
// baseline that only splits the lines. The target is 1000 times the
// 9600-baud line rate (960 B/s) and no allocation per sample.
func BenchmarkDecode(b *testing.B) {
	four := "03/02/26  08:00:00  L  68  0  0  68  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345  R  66  0  0  66  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345  S1  80  0  0  81  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345  S2  75  0  0  74  0  90  50  0.0000  0.0000  0  0  SAFB-SM-A12345\r\n"
	var data []byte
	for range 10000 {
		data = append(data, four...)
	}
	d := invos.New()
	if err := devices.Configure(d, devices.TOMLDecoder([]byte("[channels]\n\"3\" = \"nirs.somatic\"\n\"4\" = \"nirs.renal\""))); err != nil {
		b.Fatal(err)
	}
	b.Run("pclink1", func(b *testing.B) {
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

func TestHistoryReader(t *testing.T) {
	in := "1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0\r\n" +
		"\n" +
		"1.2.34.56/1/1  03/02/26  09:15:35  99  0  0  0  66  0  0  0  0  0  0  0  0  0  0  0\n" +
		strings.Repeat("x", 600) + "\n" +
		"1.2.34.56/1/1  03/02/26  09:15:40  67  0  0  0  66  0  0  0  0  0  0  0  0  0  0  0"
	hr := invos.New().NewHistoryReader(strings.NewReader(in), time.UTC)
	var got []int
	var bad []string
	for {
		h, err := hr.Next()
		if err == io.EOF {
			break
		}
		var le *invos.LineError
		if errors.As(err, &le) {
			bad = append(bad, le.Error())
			continue
		}
		require.NoError(t, err)
		got = append(got, h.Ch[0].RSO2)
	}
	assert.Equal(t, []int{68, 67}, got, "a CR LF ending and a last line without LF read")
	assert.Equal(t, []string{"line 2: empty line", "line 3: Ch 1 rSO2: not 0 (not active) or an integer 15 to 95", "line 4: longer than 512 bytes"}, bad)
}

// FuzzHistoryReader: any download reads to its end; line numbers only grow;
// every reading is within the manual's ranges.
func FuzzHistoryReader(f *testing.F) {
	f.Add([]byte("1.2.34.56/1/1  03/02/26  09:15:30  68  12  0  0  66  0  4  0  0  0  0  0  0  0  0  0\r\n\n" + strings.Repeat("y", 700)))
	f.Fuzz(func(t *testing.T, data []byte) {
		hr := invos.New().NewHistoryReader(bytes.NewReader(data), time.UTC)
		last := 0
		for range len(data) + 2 {
			h, err := hr.Next()
			if err == io.EOF {
				return
			}
			if hr.Line() <= last {
				t.Fatalf("line %d after %d", hr.Line(), last)
			}
			last = hr.Line()
			var le *invos.LineError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("not a line error: %v", err)
			}
			for _, c := range h.Ch {
				if c.RSO2 != 0 && (c.RSO2 < invos.MinRSO2 || c.RSO2 > invos.MaxRSO2) {
					t.Fatalf("rSO2 %d", c.RSO2)
				}
			}
		}
		t.Fatal("more readings than lines")
	})
}

package external_test

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/external"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

func TestConformance(t *testing.T) {
	devicetest.Check(t, external.Name, devicetest.Options{ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, external.Name, "testdata") }

func TestBadLines(t *testing.T) {
	rec, err := devicetest.Decode(external.New(), strings.NewReader(
		"pump flw=4.4\nderived do2=400\npump flow=\"4.4\"\npump flow=4.4,flow=4.5\npump,quality=stale flow=1\n"))
	require.NoError(t, err)
	var got []string
	for _, b := range rec.Bad {
		got = append(got, b.Reason.String()+" "+b.Field+": "+b.Err.Error())
	}
	assert.Equal(t, []string{
		"field pump.flw: unknown channel",
		"field derived.do2: derived channels are computed by Pumpside, not read",
		"field flow: field value is not a number",
		"field flow: field repeated in the line",
		"field quality: quality tag is not ok, unavailable, out_of_range or questionable",
	}, got)
	assert.Empty(t, rec.Samples)
}

// A damaged tag never leaves the values ok: quality is the only tag.
func TestUnknownTag(t *testing.T) {
	rec, err := devicetest.Decode(external.New(), strings.NewReader("gas,qualitY=unavailable exhaust_co2=0\npump,site=or3 flow=4.4\n"))
	require.NoError(t, err)
	assert.Empty(t, rec.Samples)
	require.Len(t, rec.Bad, 2)
	for _, b := range rec.Bad {
		assert.Equal(t, "tags", b.Field)
		assert.ErrorContains(t, b.Err, "unknown tag")
	}
}

// With time = "line" a line's timestamp is the samples' time; a line
// without one gets the receive time. A channel's times must increase (two
// samples of a channel at one time: InfluxDB keeps one), and a clock more
// than 2 s ahead of the receive time is refused.
func TestLineTime(t *testing.T) {
	d := external.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time = "line"`))))
	t0 := devicetest.T0
	ts := func(d time.Duration) string { return strconv.FormatInt(t0+int64(d), 10) }
	rec, err := devicetest.Decode(d, strings.NewReader(
		"pump flow=4.4 "+ts(-3*time.Second)+"\n"+ // measured 3 s before the receive time
			"pump flow=4.5 "+ts(-3*time.Second)+"\n"+ // the same time again: bad
			"pump flow=4.6,speed=2400 "+ts(-2*time.Second)+"\n"+
			"pump flow=4.7\n"+ // no timestamp: the receive time
			"pump flow=4.8 "+ts(time.Hour)+"\n")) // an hour ahead: bad
	require.NoError(t, err)
	var got []string
	for _, s := range rec.Samples {
		got = append(got, channel.Get(s.Channel).Name+" "+time.Duration(s.Time-t0).String())
	}
	// The kit's clock steps 1 s per reading: the fourth line is read at 3 s.
	assert.Equal(t, []string{"pump.flow -3s", "pump.flow -2s", "pump.speed -2s", "pump.flow 3s"}, got)
	var bad []string
	for _, b := range rec.Bad {
		bad = append(bad, b.Reason.String()+" "+b.Field)
	}
	assert.Equal(t, []string{"sequence timestamp", "field timestamp"}, bad)

	err = devices.Configure(external.New(), devices.TOMLDecoder([]byte(`time = "device"`)))
	assert.ErrorIs(t, err, devices.ErrConfig)
}

func TestDeclaredChannels(t *testing.T) {
	d := external.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`channels = ["pump.flow"]`))))
	rec, err := devicetest.Decode(d, strings.NewReader("pump flow=4.4\npump speed=2000\n"))
	require.NoError(t, err)
	require.Len(t, rec.Samples, 1)
	require.Len(t, rec.Bad, 1)
	assert.Equal(t, "pump.speed", rec.Bad[0].Field)
	assert.Len(t, d.Describe().Channels, 1)
	for conf, want := range map[string]string{
		`channels = ["pump.flw"]`:    "channels[0]",
		`channels = ["derived.do2"]`: "channels[0]",
		`interval = "-1s"`:           "interval",
		`command = "x"`:              "unknown option",
	} {
		err := devices.Configure(external.New(), devices.TOMLDecoder([]byte(conf)))
		if assert.ErrorIs(t, err, devices.ErrConfig, conf) {
			assert.Contains(t, err.Error(), want, conf)
		}
	}
}

func TestEncode(t *testing.T) {
	d := external.New()
	f, err := d.AppendFrame(nil, []monitor.Sample{
		{Time: 1772438400000000000, Channel: channel.PumpFlow, Value: 4.4},
		{Time: 1772438400000000000, Channel: channel.PumpSpeed, Value: 2450},
	})
	require.NoError(t, err)
	assert.Equal(t, "pump flow=4.4,speed=2450 1772438400000000000\n", string(f))
	f, err = d.AppendFrame(nil, []monitor.Sample{{Time: 5, Channel: channel.PatientSpO2, Quality: channel.Unavailable}})
	require.NoError(t, err)
	assert.Equal(t, "patient,quality=unavailable spo2=0 5\n", string(f))
	_, err = d.AppendFrame(nil, []monitor.Sample{{Channel: channel.PumpFlow}, {Channel: channel.PatientHR}})
	assert.Error(t, err, "two groups")
}

// sh is the child in the process tests: POSIX sh is on every machine we
// build on.
func sh(t *testing.T) string {
	p, err := exec.LookPath("sh")
	require.NoError(t, err)
	return p
}

// TestChildUnderSupervisor runs a real child process under the Supervisor:
// its lines become samples, and when it exits it is started again.
func TestChildUnderSupervisor(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	var n atomic.Int64
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.PumpFlow && s.Quality == channel.OK && s.Value == 4.4 {
			n.Add(1)
		}
		return true
	})
	cmd := &external.Command{Path: sh(t), Args: []string{"-c", `printf 'pump flow=4.4,speed=2450\npump flw=1\n'; echo "sensor gone" >&2; exit 3`}}
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "ext", Driver: external.New(), Transport: cmd, Source: 3, Sink: sink}},
		devices.SupervisorOptions{BackoffMin: 20 * time.Millisecond, BackoffMax: 40 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	require.Eventually(t, func() bool { return n.Load() >= 3 && sup.Status()[0].Connects >= 3 }, 10*time.Second, 10*time.Millisecond,
		"samples from three runs of the child")
	st := sup.Status()[0]
	assert.Contains(t, st.LastError, "exit status 3")
	assert.Contains(t, st.LastError, "sensor gone", "the end of the child's stderr")
	assert.GreaterOrEqual(t, st.FramesBad[devices.ReasonField], uint64(2), "pump.flw is an unknown channel")
	assert.Equal(t, "exec "+sh(t)+" -c "+cmd.Args[1], st.Transport)
	cancel()
	require.NoError(t, <-done)
}

// TestCloseKillsChild: a child that never ends is killed (with its own
// children) when the Supervisor stops.
func TestCloseKillsChild(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	var n atomic.Int64
	sink := devices.SinkFunc(func(monitor.Sample) bool { n.Add(1); return true })
	cmd := &external.Command{Path: sh(t), Args: []string{"-c", `while :; do echo "temp bladder=36.5"; sleep 0.02; done`}}
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "ext", Driver: external.New(), Transport: cmd, Sink: sink}}, devices.SupervisorOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	require.Eventually(t, func() bool { return n.Load() >= 3 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, devices.Running, sup.Status()[0].State)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the supervisor did not stop the child")
	}
	assert.Equal(t, uint64(1), sup.Status()[0].Connects)
}

func TestCommandNotFound(t *testing.T) {
	_, err := (&external.Command{Path: "pumpside-no-such-driver"}).Open(context.Background())
	assert.ErrorIs(t, err, devices.ErrConfig)
	_, err = (&external.Command{}).Open(context.Background())
	assert.ErrorIs(t, err, devices.ErrConfig)
}

// TestStdin: what the driver writes reaches the child's stdin.
func TestStdin(t *testing.T) {
	rwc, err := (&external.Command{Path: sh(t), Args: []string{"-c", `read x; echo "got $x"`}}).Open(context.Background())
	require.NoError(t, err)
	defer rwc.Close()
	_, err = rwc.Write([]byte("hello\n"))
	require.NoError(t, err)
	out, err := io.ReadAll(rwc)
	assert.ErrorIs(t, err, io.EOF)
	var ee *external.ExitError
	require.ErrorAs(t, err, &ee)
	assert.NoError(t, ee.Err)
	assert.Equal(t, "got hello\n", string(out))
}

// BenchmarkDecode: line protocol in MB/s against a baseline that only
// splits lines.
func BenchmarkDecode(b *testing.B) {
	data := bytes.Repeat([]byte("pump flow=4.4,speed=2450,line_pressure=182\ntemp arterial_outlet=36.5,venous_inlet=35.2\n"), 5000)
	b.Run("external", func(b *testing.B) {
		d := external.New()
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
	})
	b.Run("baseline-split", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		n := 0
		for b.Loop() {
			n += len(bytes.Split(data, []byte("\n")))
		}
		_ = n
	})
}

// TestLineNoise runs line noise through 30 minutes of the emulated device's
// output (docs/drivers.md, "Line noise"): with 1 % of the bytes flipped, a
// made-up value may come out ok only where digits alone were changed into
// other digits, which no syntax can see: line protocol has no checksum (and a child's pipe no line noise).
func TestLineNoise(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clean, err := emulate.Stream(external.Name, sim.New(start, 1), start.Add(30*time.Minute))
	require.NoError(t, err)
	// Values are free numbers and names any channel's: "14.9" for "1439",
	// "6i" for "61", "1E0" for "100" are numbers, and "rr" for "hr"
	// another channel. Only what lies between them can be checked.
	free := func(a, b byte) bool {
		const number, name = "0123456789.-ieE", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
		in := func(set string) bool { return strings.IndexByte(set, a) >= 0 && strings.IndexByte(set, b) >= 0 }
		return in(number) || in(name)
	}
	devicetest.CheckFlips(t, func() devices.Driver { d, _ := devices.New(external.Name); return d }, clean, devicetest.FlipOptions{Invisible: free})
}

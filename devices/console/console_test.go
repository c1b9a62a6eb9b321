package console_test

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	_ "github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/devices/external"
	"github.com/pumpside/pumpside/devices/generic"
	_ "github.com/pumpside/pumpside/devices/invos"
	_ "github.com/pumpside/pumpside/devices/masimo"
	_ "github.com/pumpside/pumpside/devices/nonin"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

const example = "../../docs/format/console-example.toml"

func TestLoadExample(t *testing.T) {
	c, err := console.Load(example)
	require.NoError(t, err)
	var names, drivers, transports []string
	for i, d := range c.Devices {
		names = append(names, d.Name)
		drivers = append(drivers, d.DriverName)
		transports = append(transports, d.Opener.String())
		assert.Equal(t, monitor.SourceID(i+1), d.Source)
	}
	assert.Equal(t, []string{"pump", "oximeter", "cdi", "nirs", "urimeter", "oximeter2"}, names)
	assert.Equal(t, []string{"generic", "masimo", "cdi550", "invos", "external", "nonin"}, drivers)
	assert.Equal(t, []string{
		"tcp 127.0.0.1:4001", "serial /dev/ttyUSB0", "serial /dev/ttyUSB1, polled every 6s",
		"serial /dev/ttyUSB2", "exec urimeter-reader --port /dev/ttyUSB3", "tcp-listen 127.0.0.1:4002",
	}, transports)
	assert.Equal(t, 6*time.Second, c.Devices[2].Interval)
	// Options reached the drivers.
	var nirs []channel.ID
	for _, ch := range devices.Describe(c.Devices[3].Driver).Channels {
		nirs = append(nirs, ch.ID)
	}
	assert.Contains(t, nirs, channel.NIRSRenal, "invos: channel 3 mapped to the renal site")
	assert.Len(t, devices.Describe(c.Devices[4].Driver).Channels, 1, "external: channels declared")
	assert.Len(t, devices.Describe(c.Devices[1].Driver).Channels, 4, "masimo without O3")
	_, ok := c.Devices[4].Opener.(*external.Command)
	assert.True(t, ok)
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad-pump.toml"), []byte("[parse]\ntype = \"csv\"\n"), 0o644))
	dev := func(s string) string { return "[[device]]\nname = \"a\"\ndriver = \"masimo\"\n" + s }
	tcp := "[device.transport]\ntype = \"tcp\"\naddr = \"127.0.0.1:1\"\n"
	for conf, want := range map[string]string{
		"":                       "device: no [[device]]",
		"speed = 2\n" + dev(tcp): "speed: unknown key",
		dev(tcp) + "[[device]]\nname = \"b\"\ndriver = \"masimo\"\ncolour = 1\n" + tcp:                                `device 2 ("b"): colour: unknown key`,
		dev(tcp) + "[[device]]\nname = \"b\"\ndriver = \"masimo\"\n[device.transport]\ntype = \"tcp\"\nadr = \"x\"\n": `device 2 ("b"): transport.adr: unknown key`,
		dev(tcp) + dev(tcp):                                                                              `device 2 ("a"): name: "a" is also device 1's`,
		"[[device]]\ndriver = \"masimo\"\n" + tcp:                                                        "device 1: name: missing",
		"[[device]]\nname = \"a b\"\ndriver = \"masimo\"\n" + tcp:                                        `name: "a b" is not`,
		"[[device]]\nname = \"a\"\ndriver = \"masimmo\"\n" + tcp:                                         `device 1 ("a"): driver: devices: unknown driver "masimmo"`,
		dev("[device.options]\nexc_ignore = \"zz\"\n" + tcp):                                             `device 1 ("a"): options:`,
		dev("[device.options]\nbaud = 9600\n" + tcp):                                                     "options: configuration error: unknown option(s) baud",
		dev("interval = \"-1s\"\n" + tcp):                                                                "interval",
		dev("[device.transport]\ntype = \"tcp\"\n"):                                                      "transport: transport tcp: addr is required",
		dev("[device.transport]\ntype = \"serial\"\nbaud = 9600\n"):                                      "transport: port is missing",
		dev("[device.transport]\ntype = \"serial\"\nport = \"x\"\nbaud = 9600\nparity = \"evn\"\n"):      "transport:",
		dev("[device.transport]\ntype = \"tcp\"\naddr = \"h:1\"\nbaud = 9600\n"):                         `are for type "serial"`,
		dev("[device.transport]\ntype = \"exec\"\n"):                                                     "transport: command is missing",
		dev("[device.transport]\ntype = \"exec\"\ncommand = \"x\"\nenv = [\"novalue\"]\n"):               "env[0]",
		dev("[device.transport]\ntype = \"pigeon\"\n"):                                                   `unknown type "pigeon"`,
		dev("[device.transport]\n"):                                                                      "transport: type is missing",
		"[[device]]\nname = \"p\"\ndriver = \"generic\"\noptions_file = \"bad-pump.toml\"\n" + tcp:       "options_file bad-pump.toml: configuration error: generic: parse.type",
		"[[device]]\nname = \"p\"\ndriver = \"generic\"\noptions_file = \"nothere.toml\"\n" + tcp:        "options_file: open",
		"[[device]]\nname = \"p\"\ndriver = \"generic\"\noptions_file = \"x\"\n[device.options]\n" + tcp: "not both",
	} {
		_, err := console.Parse([]byte(conf), filepath.Join(dir, "console.toml"))
		if assert.ErrorIs(t, err, devices.ErrConfig, conf) {
			assert.Contains(t, err.Error(), want, conf)
			var ce *console.Error
			assert.True(t, errors.As(err, &ce))
		}
	}
}

// Generic options inline, with arrays of tables, reach the driver.
func TestInlineGenericOptions(t *testing.T) {
	pump, err := os.ReadFile("../generic/examples/regex.toml")
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("[[device]]\nname = \"t\"\ndriver = \"generic\"\n[device.transport]\ntype = \"tcp\"\naddr = \"127.0.0.1:1\"\n")
	// Nest the example's tables under device.options.
	for l := range strings.Lines(string(pump)) {
		switch {
		case strings.HasPrefix(l, "[["):
			l = "[[device.options." + strings.TrimPrefix(l, "[[")
		case strings.HasPrefix(l, "["):
			l = "[device.options." + strings.TrimPrefix(l, "[")
		}
		b.WriteString(l)
	}
	conf := strings.Replace(b.String(), "summary =", "[device.options]\nsummary =", 1)
	c, err := console.Parse([]byte(conf), "console.toml")
	require.NoError(t, err, conf)
	var ids []channel.ID
	for _, ch := range devices.Describe(c.Devices[0].Driver).Channels {
		ids = append(ids, ch.ID)
	}
	assert.Equal(t, []channel.ID{channel.TempNasopharyngeal, channel.TempBladder, channel.PumpFlow}, ids)
}

// TestOptionsSubTableOnly: a device whose options are only a sub-table
// ([device.options.channels], no [device.options] of its own) gets them:
// they were once dropped without a word, since the parent table is
// implicit.
func TestOptionsSubTableOnly(t *testing.T) {
	conf := `
[[device]]
name = "somatic"
driver = "invos"
[device.options.channels]
"1" = "nirs.renal"
"2" = "nirs.somatic"
[device.transport]
type = "tcp"
addr = "127.0.0.1:1"
`
	c, err := console.Parse([]byte(conf), "console.toml")
	require.NoError(t, err)
	var ids []channel.ID
	for _, ch := range devices.Describe(c.Devices[0].Driver).Channels {
		ids = append(ids, ch.ID)
	}
	assert.Contains(t, ids, channel.NIRSRenal)
	assert.Contains(t, ids, channel.NIRSSomatic)
	assert.NotContains(t, ids, channel.NIRSLeft)
}

// TestRunExampleOverTCP loads the example, points its pump at a stand-in
// for the simulator's pump on a loopback socket, and runs it: samples flow
// with the device's source, the state is running and the counters move.
func TestRunExampleOverTCP(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); ln.Close(); wg.Wait() })
	wg.Go(func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			line, err := generic.AppendPump(nil, []monitor.Sample{
				{Channel: channel.PumpFlow, Value: 4.4}, {Channel: channel.PumpSpeed, Value: 2450 + float64(i%10)},
			})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := conn.Write(line); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	data, err := os.ReadFile(example)
	require.NoError(t, err)
	conf := strings.Replace(string(data), `addr = "127.0.0.1:4001"`, `addr = "`+ln.Addr().String()+`"`, 1)
	c, err := console.Parse([]byte(conf), example)
	require.NoError(t, err)
	c.Devices = c.Devices[:1] // the pump only: the example's serial ports are not on this machine
	var flows atomic.Int64
	var badSource atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := c.Start(ctx, func(d *console.Device) devices.Sink {
		return devices.SinkFunc(func(s monitor.Sample) bool {
			if s.Source != d.Source {
				badSource.Store(true)
			}
			if s.Channel == channel.PumpFlow && s.Quality == channel.OK && s.Value == 4.4 {
				flows.Add(1)
			}
			return true
		})
	}, devices.SupervisorOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return flows.Load() >= 5 }, 10*time.Second, 10*time.Millisecond)
	st := run.Status()[0]
	assert.Equal(t, "pump", st.Name)
	assert.Equal(t, devices.Running, st.State)
	assert.Positive(t, st.Bytes)
	assert.GreaterOrEqual(t, st.FramesOK, uint64(5))
	assert.Zero(t, st.BadFrames())
	assert.False(t, badSource.Load())
	_, err = c.Supervisor(func(*console.Device) devices.Sink { return devices.SinkFunc(func(monitor.Sample) bool { return true }) }, devices.SupervisorOptions{})
	assert.Error(t, err, "one Supervisor per Config")
	cancel()
	require.NoError(t, run.Wait())
	assert.Equal(t, devices.Stopped, run.Status()[0].State)
}

// A tcp-listen address without a host binds the loopback interface only.
func TestListenDefaultsToLoopback(t *testing.T) {
	c, err := console.Parse([]byte("[[device]]\nname = \"a\"\ndriver = \"masimo\"\n[device.transport]\ntype = \"tcp-listen\"\naddr = \":0\"\n"), "console.toml")
	require.NoError(t, err)
	srv, ok := c.Devices[0].Opener.(*transport.TCPServer)
	require.True(t, ok)
	require.NoError(t, srv.Listen())
	defer srv.Close()
	addr, ok := srv.ListenAddr().(*net.TCPAddr)
	require.True(t, ok)
	assert.True(t, addr.IP.IsLoopback(), "%v", addr)
}

func TestPipelineAndDisplay(t *testing.T) {
	dev := "[[device]]\nname = \"pump\"\ndriver = \"generic\"\n[device.transport]\ntype = \"tcp\"\naddr = \"127.0.0.1:1\"\n"
	cfg, err := console.Parse([]byte(`
[pipeline]
room_temp_c = 19
barometric_mmhg = 700
[[pipeline.source_priority]]
channels = "patient.map"
sources = ["pump", "*"]

[display]
blood_gas = "ph-stat"
analyser_family = "custom"
[display.gas_coefficients]
ph_slope = 0.0147
ph_buffer = 0.0065
pco2_exp = 0.019
po2_model = "constant"
po2_exp = 0.031
`+dev), "console.toml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := cfg.Pipeline.Settings(monitor.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if set.RoomTempC != 19 || set.BarometricMmHg != 700 || len(set.SourcePriority) != 1 || set.SourcePriority[0].Sources[0] != "pump" {
		t.Fatalf("settings %+v", set)
	}
	s, g, err := cfg.Display.Gas()
	if err != nil || s != physio.PHStat || g.PO2Model != physio.PO2Constant || g.PO2Exp != 0.031 || g.Family != "custom" {
		t.Fatalf("display %v %+v %v", s, g, err)
	}
	for name, bad := range map[string]string{
		"room":             "[pipeline]\nroom_temp_c = 70\n",
		"priority channel": "[[pipeline.source_priority]]\nchannels = \"patient.mapp\"\nsources = [\"s5\"]\n",
		"strategy":         "[display]\nblood_gas = \"beta-stat\"\n",
		"family":           "[display]\nanalyser_family = \"abl800\"\n",
		"custom without":   "[display]\nanalyser_family = \"custom\"\n",
		"coefficients":     "[display]\nanalyser_family = \"custom\"\n[display.gas_coefficients]\nph_slope = 0.147\npco2_exp = 0.019\n",
		"unknown key":      "[display]\nblod_gas = \"ph-stat\"\n",
	} {
		if _, err := console.Parse([]byte(bad+dev), "console.toml"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	off, err := console.Parse([]byte("[pipeline]\nvco2_at_stpd = false\n"+dev), "console.toml")
	if err != nil {
		t.Fatal(err)
	}
	if set, _ := off.Pipeline.Settings(monitor.DefaultSettings()); !math.IsNaN(set.RoomTempC) {
		t.Fatalf("vco2_at_stpd = false: room %v", set.RoomTempC)
	}
}

package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/external"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Config is a loaded console config.
type Config struct {
	// Devices in file order.
	Devices []*Device
	// Pipeline is the [pipeline] table: the settings of the monitoring
	// pipeline a site changes (Settings applies them).
	Pipeline Pipeline
	// Display is the [display] table.
	Display Display
	// Run is the [run] table.
	Run  Run
	used bool
}

// Pipeline is the [pipeline] table: pointers are "not set" (the default
// stays).
type Pipeline struct {
	// RoomTempC and BarometricMmHg are the theatre's air, for VCO2 at
	// STPD; ExhaustBTPS: the exhaust capnometer reports a water-vapour-
	// corrected reading. VCO2AtSTPD = false turns the correction off.
	RoomTempC      *float64 `toml:"room_temp_c"`
	BarometricMmHg *float64 `toml:"barometric_mmhg"`
	ExhaustBTPS    *bool    `toml:"exhaust_btps"`
	VCO2AtSTPD     *bool    `toml:"vco2_at_stpd"`
	// SourcePriority replaces the default rules when given
	// ([[pipeline.source_priority]] tables).
	SourcePriority []monitor.SourcePriority `toml:"source_priority"`
}

// Settings returns base with the [pipeline] table applied, validated.
func (p *Pipeline) Settings(base monitor.Settings) (monitor.Settings, error) {
	if p.RoomTempC != nil {
		base.RoomTempC = *p.RoomTempC
	}
	if p.BarometricMmHg != nil {
		base.BarometricMmHg = *p.BarometricMmHg
	}
	if p.ExhaustBTPS != nil {
		base.ExhaustBTPS = *p.ExhaustBTPS
	}
	if p.VCO2AtSTPD != nil && !*p.VCO2AtSTPD {
		base.RoomTempC = math.NaN()
	}
	if p.SourcePriority != nil {
		base.SourcePriority = p.SourcePriority
	}
	return base, base.Validate()
}

// Display is the [display] table.
type Display struct {
	// BloodGas is the acid-base strategy of the blood gas shown while the
	// patient is cooled: "alpha-stat" (default) or "ph-stat".
	BloodGas string `toml:"blood_gas"`
	// AnalyserFamily is the blood-gas analyser's temperature correction
	// (physio.GasFamilies): "clsi" (default), "radiometer-abl3", "corning"
	// or "custom" with GasCoefficients.
	AnalyserFamily  string                `toml:"analyser_family"`
	GasCoefficients *physio.GasCorrection `toml:"gas_coefficients"`
}

// Gas returns the strategy and the coefficients of the display.
func (d *Display) Gas() (physio.GasStrategy, physio.GasCorrection, error) {
	s, err := physio.ParseGasStrategy(d.BloodGas)
	if err != nil {
		return 0, physio.GasCorrection{}, err
	}
	switch {
	case strings.EqualFold(d.AnalyserFamily, "custom"):
		if d.GasCoefficients == nil {
			return 0, physio.GasCorrection{}, errors.New("analyser_family \"custom\" needs [display.gas_coefficients] (ph_slope, ph_buffer, pco2_exp, po2_model, po2_exp) from the analyser's manual")
		}
		g := *d.GasCoefficients
		g.Family, g.Source = "custom", "site-set from the analyser's manual"
		return s, g, g.Validate()
	case d.GasCoefficients != nil:
		return 0, physio.GasCorrection{}, errors.New("gas_coefficients are for analyser_family \"custom\"")
	case d.AnalyserFamily == "":
		return s, physio.DefaultGasCorrection(), nil
	}
	g, err := physio.GasFamily(d.AnalyserFamily)
	return s, g, err
}

// Device is one [[device]] table, validated, with its driver configured
// and its transport built.
type Device struct {
	// Name identifies the device in status, conditions and samples.
	Name string
	// DriverName is the registered driver.
	DriverName string
	// Source is the device's number, 1 for the first [[device]]: stamped
	// on its samples.
	Source monitor.SourceID
	// Interval overrides the driver's nominal frame interval for the
	// watchdog; 0 keeps the driver's.
	Interval time.Duration
	// Transport is the transport table as written (paths resolved).
	Transport Transport

	Driver devices.Driver
	Opener devices.Opener
}

// Duration is a time.Duration written as "6s".
type Duration struct{ time.Duration }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// Transport is a device's [device.transport] table: transport.Config's
// fields plus the external command's.
type Transport struct {
	// Type: serial, tcp, tcp-listen, udp, capture or exec.
	Type     string `toml:"type"`
	Port     string `toml:"port"`
	Baud     int    `toml:"baud"`
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`
	StopBits string `toml:"stop_bits"`
	Flow     string `toml:"flow"`
	Addr     string `toml:"addr"`
	Remote   string `toml:"remote"`
	File     string `toml:"file"`
	Realtime bool   `toml:"realtime"`
	// exec: the external driver's program, arguments, working directory
	// and extra environment (KEY=value).
	Command string   `toml:"command"`
	Args    []string `toml:"args"`
	Dir     string   `toml:"dir"`
	Env     []string `toml:"env"`
}

// file is the TOML layout.
type file struct {
	Devices  []rawDevice `toml:"device"`
	Pipeline Pipeline    `toml:"pipeline"`
	Display  Display     `toml:"display"`
	Run      Run         `toml:"run"`
}

// Run is the [run] table: the kind of run the console is for
// (docs/ecmo.md). Flags of `pumpside run` override it.
type Run struct {
	// Mode is "bypass" (default) or "ecmo": a long run (ECMO, ECCO2R)
	// recorded in daily segments.
	Mode string `toml:"mode"`
	// Segment is the case time per record segment of a long run, as a Go
	// duration ("24h", the default).
	Segment string `toml:"segment"`
}

type rawDevice struct {
	Name        string         `toml:"name"`
	Driver      string         `toml:"driver"`
	Interval    Duration       `toml:"interval"`
	OptionsFile string         `toml:"options_file"`
	Options     toml.Primitive `toml:"options"`
	Transport   Transport      `toml:"transport"`
}

// Error is a config error: which device (by position and name) and which
// field. It wraps devices.ErrConfig.
type Error struct {
	File   string
	Device int // 1-based; 0 for the file as a whole
	Name   string
	Field  string
	Err    error
}

func (e *Error) Error() string {
	s := e.File + ": "
	if e.Device > 0 {
		s += fmt.Sprintf("device %d", e.Device)
		if e.Name != "" {
			s += fmt.Sprintf(" (%q)", e.Name)
		}
		s += ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the cause and devices.ErrConfig.
func (e *Error) Unwrap() []error { return []error{e.Err, devices.ErrConfig} }

// Load reads and validates the config file at path. Relative paths in it
// (options_file, capture files, exec commands and dirs) are relative to the
// file's directory. Errors are *Error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return Parse(data, path)
}

// Parse validates a config read from path (used in errors and to resolve
// relative paths).
func Parse(data []byte, path string) (*Config, error) {
	dir := filepath.Dir(path)
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	// Attribute every key to its [[device]] by file order: md.Keys lists
	// "device" once per table of the array.
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	hasOptions := make([]bool, len(f.Devices))
	idx := -1
	for _, k := range md.Keys() {
		s := k.String()
		switch {
		case s == "device":
			idx++
		case s == "device.options", strings.HasPrefix(s, "device.options."):
			// A sub-table alone ([device.options.channels]) is options
			// too: the parent table is implicit and not among the keys.
			hasOptions[idx] = true
		case undecoded[s]:
			e := &Error{File: path, Field: s, Err: errors.New("unknown key")}
			if strings.HasPrefix(s, "device.") && idx >= 0 {
				e.Device, e.Name, e.Field = idx+1, f.Devices[idx].Name, strings.TrimPrefix(s, "device.")
			}
			return nil, e
		}
	}
	if len(f.Devices) == 0 {
		return nil, &Error{File: path, Field: "device", Err: errors.New("no [[device]]")}
	}
	if len(f.Devices) > 1<<15 {
		return nil, &Error{File: path, Field: "device", Err: errors.New("too many devices")}
	}
	c := &Config{Pipeline: f.Pipeline, Display: f.Display, Run: f.Run}
	switch f.Run.Mode {
	case "", "bypass", "ecmo":
	default:
		return nil, &Error{File: path, Field: "run.mode", Err: fmt.Errorf("%q: want bypass or ecmo", f.Run.Mode)}
	}
	if f.Run.Segment != "" {
		if d, err := time.ParseDuration(f.Run.Segment); err != nil || d < time.Second {
			return nil, &Error{File: path, Field: "run.segment", Err: fmt.Errorf("%q: want a duration of at least 1s", f.Run.Segment)}
		}
	}
	if _, err := c.Pipeline.Settings(monitor.DefaultSettings()); err != nil {
		return nil, &Error{File: path, Field: "pipeline", Err: err}
	}
	if _, _, err := c.Display.Gas(); err != nil {
		return nil, &Error{File: path, Field: "display", Err: err}
	}
	names := map[string]int{}
	for i, rd := range f.Devices {
		fail := func(field string, err error) error {
			return &Error{File: path, Device: i + 1, Name: rd.Name, Field: field, Err: err}
		}
		switch {
		case rd.Name == "":
			return nil, fail("name", errors.New("missing"))
		case !validName(rd.Name):
			return nil, fail("name", fmt.Errorf("%q is not letters, digits, '-' and '_'", rd.Name))
		}
		if j, dup := names[rd.Name]; dup {
			return nil, fail("name", fmt.Errorf("%q is also device %d's", rd.Name, j))
		}
		names[rd.Name] = i + 1
		if rd.Driver == "" {
			return nil, fail("driver", errors.New("missing"))
		}
		drv, err := devices.New(rd.Driver)
		if err != nil {
			return nil, fail("driver", err)
		}
		if rd.Interval.Duration < 0 {
			return nil, fail("interval", fmt.Errorf("%v is negative", rd.Interval.Duration))
		}
		var opts []byte
		switch {
		case rd.OptionsFile != "" && hasOptions[i]:
			return nil, fail("options", errors.New("give options or options_file, not both"))
		case rd.OptionsFile != "":
			if opts, err = os.ReadFile(resolve(dir, rd.OptionsFile)); err != nil {
				return nil, fail("options_file", err)
			}
		case hasOptions[i]:
			var m map[string]any
			if err := md.PrimitiveDecode(rd.Options, &m); err != nil {
				return nil, fail("options", err)
			}
			var buf bytes.Buffer
			if err := toml.NewEncoder(&buf).Encode(m); err != nil {
				return nil, fail("options", err)
			}
			opts = buf.Bytes()
		}
		var decode func(any) error
		if opts != nil {
			decode = devices.TOMLDecoder(opts)
		}
		if err := devices.Configure(drv, decode); err != nil {
			field := "options"
			if rd.OptionsFile != "" {
				field = "options_file " + rd.OptionsFile
			}
			return nil, fail(field, err)
		}
		tr := rd.Transport
		opener, err := tr.opener(dir)
		if err != nil {
			return nil, fail("transport", err)
		}
		if p, ok := drv.(devices.Poller); ok && p.PollInterval() > 0 {
			opener = devices.WithPolling(opener, p)
		}
		c.Devices = append(c.Devices, &Device{
			Name: rd.Name, DriverName: rd.Driver, Source: monitor.SourceID(i + 1), Interval: rd.Interval.Duration,
			Transport: tr, Driver: drv, Opener: opener,
		})
	}
	return c, nil
}

func validName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// opener builds the transport; t's relative paths are resolved in place.
func (t *Transport) opener(dir string) (devices.Opener, error) {
	serialOnly := t.Port != "" || t.Baud != 0 || t.DataBits != 0 || t.Parity != "" || t.StopBits != "" || t.Flow != ""
	execOnly := t.Command != "" || len(t.Args) > 0 || t.Dir != "" || len(t.Env) > 0
	switch {
	case t.Type == "":
		return nil, errors.New("type is missing (serial, tcp, tcp-listen, udp, capture or exec)")
	case serialOnly && t.Type != "serial":
		return nil, fmt.Errorf("port, baud, data_bits, parity, stop_bits and flow are for type \"serial\", not %q", t.Type)
	case execOnly && t.Type != "exec":
		return nil, fmt.Errorf("command, args, dir and env are for type \"exec\", not %q", t.Type)
	case (t.File != "" || t.Realtime) && t.Type != "capture":
		return nil, fmt.Errorf("file and realtime are for type \"capture\", not %q", t.Type)
	case t.Remote != "" && t.Type != "udp":
		return nil, fmt.Errorf("remote is for type \"udp\", not %q", t.Type)
	case t.Addr != "" && (t.Type == "serial" || t.Type == "capture" || t.Type == "exec"):
		return nil, fmt.Errorf("addr is for types tcp, tcp-listen and udp, not %q", t.Type)
	}
	switch t.Type {
	case "exec":
		if t.Command == "" {
			return nil, errors.New("command is missing")
		}
		if strings.ContainsRune(t.Command, filepath.Separator) {
			t.Command = resolve(dir, t.Command)
		}
		if t.Dir != "" {
			t.Dir = resolve(dir, t.Dir)
		}
		for i, e := range t.Env {
			if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
				return nil, fmt.Errorf("env[%d] = %q is not KEY=value", i, e)
			}
		}
		return &external.Command{Path: t.Command, Args: t.Args, Dir: t.Dir, Env: t.Env}, nil
	case "serial":
		if t.Port == "" {
			return nil, errors.New("port is missing")
		}
		if t.Baud == 0 {
			return nil, errors.New("baud is missing")
		}
	case "capture":
		if t.File == "" {
			return nil, errors.New("file is missing")
		}
		t.File = resolve(dir, t.File)
	}
	return transport.New(transport.Config{
		Type: t.Type, Port: t.Port, Baud: t.Baud, DataBits: t.DataBits, Parity: t.Parity, StopBits: t.StopBits, Flow: t.Flow,
		Addr: t.Addr, Remote: t.Remote, File: t.File, Realtime: t.Realtime,
	})
}

// SinkFor returns the sink of a device's samples. It is called once per
// device, in file order, before anything runs.
type SinkFor func(d *Device) devices.Sink

// Supervisor returns a Supervisor for every device, each putting its
// samples to sinkFor(device). Run it with Run(ctx); read states and
// counters with Status or AppendStatus (lock-free, any goroutine). A Config
// makes one Supervisor: its drivers and transports are not shared.
func (c *Config) Supervisor(sinkFor SinkFor, opts devices.SupervisorOptions) (*devices.Supervisor, error) {
	if c.used {
		return nil, errors.New("console: the config's devices already run under a Supervisor")
	}
	devs := make([]devices.Device, len(c.Devices))
	for i, d := range c.Devices {
		sink := sinkFor(d)
		if sink == nil {
			return nil, fmt.Errorf("console: no sink for device %q: %w", d.Name, devices.ErrConfig)
		}
		devs[i] = devices.Device{Name: d.Name, Driver: d.Driver, Transport: d.Opener, Source: d.Source, Sink: sink, Interval: d.Interval}
	}
	sup, err := devices.NewSupervisor(devs, opts)
	if err != nil {
		return nil, err
	}
	c.used = true
	return sup, nil
}

// Running is a Supervisor started by Start.
type Running struct {
	sup  *devices.Supervisor
	done chan struct{}
	err  error
}

// Status returns every device's status in file order: lock-free, from any
// goroutine.
func (r *Running) Status() []devices.DeviceStatus { return r.sup.Status() }

// AppendStatus appends every device's status to dst without allocating
// when dst has room: for the GUI's frame loop.
func (r *Running) AppendStatus(dst []devices.DeviceStatus) []devices.DeviceStatus {
	return r.sup.AppendStatus(dst)
}

// Start makes the Supervisor and runs it on a goroutine until ctx is done.
func (c *Config) Start(ctx context.Context, sinkFor SinkFor, opts devices.SupervisorOptions) (*Running, error) {
	sup, err := c.Supervisor(sinkFor, opts)
	if err != nil {
		return nil, err
	}
	r := &Running{sup: sup, done: make(chan struct{})}
	go func() { r.err = sup.Run(ctx); close(r.done) }()
	return r, nil
}

// Wait waits until the Supervisor has stopped (ctx done and every device
// closed) and returns Run's error.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

package template

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name: the real model's, in lower case.
const Name = "template"

// MaxLine bounds a line; input longer than this is "oversize".
const MaxLine = 128

//go:embed sample.conf
var sampleConfig string

// Registration only: no hardware access in init.
func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// Config holds the options of sample.conf.
type Config struct {
	T1 string `toml:"t1"`
	T2 string `toml:"t2"`
}

// Driver decodes the ACME T2 protocol.
type Driver struct {
	cfg   Config
	ids   [2]channel.ID
	lines *framing.Lines
	bad   devices.FrameError
	vals  [2]value
	fault bool
}

// Compile-time checks of the interfaces the driver implements.
var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
)

// New returns a driver with default options.
func New() *Driver {
	d := &Driver{cfg: Config{T1: "temp.nasopharyngeal", T2: "temp.bladder"}}
	if err := d.Init(); err != nil {
		panic(err)
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	for i, name := range []string{d.cfg.T1, d.cfg.T2} {
		d.ids[i] = channel.Invalid
		if name == "" {
			continue
		}
		id, ok := channel.Lookup(name)
		if !ok || channel.Get(id).Unit != channel.Celsius {
			return fmt.Errorf("template: t%d = %q is not a °C channel of the vocabulary", i+1, name)
		}
		d.ids[i] = id
	}
	return nil
}

// Describe tells what the driver emits.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:      "ACME T2 thermometer (template for new drivers)",
		Interval:     time.Second,
		MaxFrame:     MaxLine,
		Port:         devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		SampleConfig: sampleConfig,
	}
	for i, id := range d.ids {
		if id != channel.Invalid {
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: "T" + strconv.Itoa(i+1), Interval: time.Second})
		}
	}
	return ds
}

// Decode reads lines until rw fails or ctx is done. The shape is the same in
// every line driver: frame, parse, report, emit; never block, sleep or
// allocate per frame.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	if d.lines == nil {
		d.lines = framing.NewLines(rw, Name, MaxLine)
	} else {
		d.lines.Reset(rw)
	}
	for {
		line, off, err := d.lines.Read(ctx, env.Events)
		if err != nil {
			return err // ctx's, io.EOF, or the transport's
		}
		if field, cause := d.parse(line); cause != nil {
			d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(len(line)), Reason: devices.ReasonField, Field: field, Raw: devices.RawHead(line), Err: cause}
			if field == "" {
				d.bad.Reason = devices.ReasonSyntax
			}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(line))
		t := env.Clock.Now() // the receive time: never time.Now() here
		q := channel.OK
		if d.fault {
			q = channel.Unavailable
		}
		for i, id := range d.ids {
			if id == channel.Invalid {
				continue
			}
			s := monitor.Sample{Time: t, Channel: id, Source: env.Source, Value: d.vals[i].v, Quality: channel.Unavailable}
			if !d.vals[i].dash {
				s.Quality = channel.Get(id).Classify(s.Value, q) // out of range -> out_of_range
			}
			env.Sink.Put(s)
		}
	}
}

type value struct {
	v    float64
	dash bool
}

var (
	errShape   = errors.New("want T1=dd.d T2=dd.d ST=hh")
	errNumber  = errors.New("not dd.d or --.-")
	errStatus  = errors.New("not two hex digits")
	errMissing = errors.New("field missing")
)

var fields = [...]string{"T1", "T2", "ST"}

// parse reads "T1=36.8 T2=35.1 ST=00". Every field is required once, in
// order, one space apart, each in its documented form (a temperature is
// two digits, a point and a digit, or --.-): a line with any byte out of
// place is a bad frame, so that line noise, a truncated or a merged line
// never yields a value. Only a digit changed into another digit gets
// through: the protocol has no checksum to catch it.
func (d *Driver) parse(line []byte) (string, error) {
	for i, name := range fields {
		var tok []byte
		tok, line, _ = bytes.Cut(line, []byte(" "))
		val, ok := bytes.CutPrefix(tok, []byte(name+"="))
		if !ok {
			if len(tok) == 0 {
				return name, errMissing
			}
			return "", errShape
		}
		if name == "ST" {
			if len(val) != 2 || !isHex(val[0]) || !isHex(val[1]) {
				return name, errStatus
			}
			d.fault = unhex(val[1])&0x01 != 0
			continue
		}
		if string(val) == "--.-" {
			d.vals[i] = value{dash: true}
			continue
		}
		if len(val) != 4 || !isDigit(val[0]) || !isDigit(val[1]) || val[2] != '.' || !isDigit(val[3]) {
			return name, errNumber
		}
		v, _ := framing.ParseDecimal(val)
		d.vals[i] = value{v: v}
	}
	if len(line) > 0 {
		return "", errShape
	}
	return "", nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c - 'A' + 10
}

// AppendFrame encodes one line for the simulator and tests.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	vals := [2]value{{dash: true}, {dash: true}}
	for _, s := range samples {
		i := -1
		for j, id := range d.ids {
			if id == s.Channel && id != channel.Invalid {
				i = j
			}
		}
		if i < 0 {
			return dst, fmt.Errorf("template: cannot encode %v", s.Channel)
		}
		if !(s.Value >= 0 && s.Value < 99.95) {
			return dst, fmt.Errorf("template: cannot encode %v as dd.d", s.Value)
		}
		vals[i] = value{v: s.Value, dash: s.Quality != channel.OK && s.Quality != channel.OutOfRange}
	}
	for i, v := range vals {
		dst = append(dst, fields[i]...)
		dst = append(dst, '=')
		if v.dash {
			dst = append(dst, "--.-"...)
		} else {
			if v.v < 9.95 {
				dst = append(dst, '0')
			}
			dst = strconv.AppendFloat(dst, v.v, 'f', 1, 64)
		}
		dst = append(dst, ' ')
	}
	return append(dst, "ST=00\r\n"...), nil
}

package external

import (
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

// Name is the driver's registry name.
const Name = "external"

// MaxLine is the longest line accepted, in bytes.
const MaxLine = 4096

//go:embed sample.conf
var sampleConfig string

func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// Duration is a time.Duration written in config as "1s".
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

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config holds the driver's options (sample.conf).
type Config struct {
	// Channels restricts what the child may send; empty: any measured
	// channel of the vocabulary.
	Channels []string `toml:"channels"`
	// Interval is how often the child prints, for the watchdog.
	Interval Duration `toml:"interval"`
	// Time is "receive" (default: samples carry the time the line was
	// read) or "line": a line's timestamp, for a child that knows when
	// its device measured; lines without one get the receive time.
	Time string `toml:"time"`
}

// maxAhead is how far a line's timestamp may be ahead of its receive
// time with time = "line" (the pipeline's own future limit).
const maxAhead = int64(2 * time.Second)

// measured maps every measured channel's name to its ID: a map indexed
// by string(bytes) does not allocate.
var measured = func() map[string]channel.ID {
	m := map[string]channel.ID{}
	for _, c := range channel.All() {
		if id, ok := channel.Lookup(c.Name); ok && !c.Derived() {
			m[c.Name] = id
		}
	}
	return m
}()

// Driver decodes InfluxDB line protocol with Pumpside's channel names.
type Driver struct {
	cfg     Config
	allowed map[string]channel.ID
	lines   *framing.Lines
	p       point
	name    []byte
	ids     [maxFields]channel.ID
	bad     devices.FrameError
	// last is each channel's latest timestamp from a line (time =
	// "line"): a channel's times must increase.
	last [channel.Count]int64
}

var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
)

// New returns a driver accepting any measured channel, a line a second.
func New() *Driver {
	d := &Driver{cfg: Config{Interval: Duration{time.Second}}}
	if err := d.Init(); err != nil {
		panic(err)
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	if d.cfg.Interval.Duration < 0 {
		return fmt.Errorf("external: interval %v is negative", d.cfg.Interval)
	}
	switch d.cfg.Time {
	case "", "receive", "line":
	default:
		return fmt.Errorf("external: time = %q is not \"receive\" or \"line\"", d.cfg.Time)
	}
	if len(d.cfg.Channels) == 0 {
		d.allowed = measured
		return nil
	}
	d.allowed = map[string]channel.ID{}
	for i, n := range d.cfg.Channels {
		id, ok := measured[n]
		if !ok {
			return fmt.Errorf("external: channels[%d] = %q is not a measured channel of the vocabulary", i, n)
		}
		d.allowed[n] = id
	}
	return nil
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:      "external driver: a child process printing InfluxDB line protocol on stdout",
		Interval:     d.cfg.Interval.Duration,
		MaxFrame:     MaxLine,
		SampleConfig: sampleConfig,
	}
	note := "if the child sends it; restrict with channels"
	if len(d.cfg.Channels) > 0 {
		note = "declared in channels"
	}
	for _, c := range channel.All() {
		if id, ok := d.allowed[c.Name]; ok {
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: c.Name, Interval: d.cfg.Interval.Duration, Note: note})
		}
	}
	return ds
}

// Decode reads lines from rw until it fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	if d.lines == nil {
		d.lines = framing.NewLines(rw, Name, MaxLine)
		d.name = make([]byte, 0, 128)
	} else {
		d.lines.Reset(rw)
	}
	for {
		line, off, err := d.lines.Read(ctx, env.Events)
		if err != nil {
			return err // ctx's, io.EOF, or the transport's
		}
		if line[0] == '#' {
			continue // a comment
		}
		reason, field, cause := d.line(line)
		own := cause == nil && d.cfg.Time == "line" && d.p.hasTime
		var t int64
		if own {
			t = env.Clock.Now()
			reason, field, cause = d.lineTime(t)
		}
		if cause != nil {
			d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(len(line)), Reason: reason, Field: field, Raw: devices.RawHead(line), Err: cause}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(line))
		if own {
			t = d.p.time
			for i := range d.p.n {
				d.last[d.ids[i]] = t
			}
		} else {
			t = env.Clock.Now()
		}
		for i := range d.p.n {
			id := d.ids[i]
			v, q := d.p.values[i], d.p.quality
			if q != channel.OK {
				v = 0
			}
			q = channel.Get(id).Classify(v, q)
			if q != channel.OK {
				v = 0
			}
			env.Sink.Put(monitor.Sample{Time: t, Channel: id, Source: env.Source, Value: v, Quality: q})
		}
	}
}

// line parses a line and resolves its channels into d.ids.
func (d *Driver) line(line []byte) (devices.Reason, string, error) {
	if field, err := parse(line, &d.p); err != nil {
		r := devices.ReasonSyntax
		if field != "" {
			r = devices.ReasonField
		}
		return r, field, err
	}
	for i := range d.p.n {
		d.name = append(append(append(d.name[:0], d.p.measurement...), '.'), d.p.names[i]...)
		id, ok := d.allowed[string(d.name)]
		if !ok {
			cause := errUnknown
			if _, known := channel.Lookup(string(d.name)); known {
				cause = errDerived
				if len(d.cfg.Channels) > 0 && !channel.Get(mustLookup(string(d.name))).Derived() {
					cause = errUndeclared
				}
			}
			return devices.ReasonField, string(d.name), cause
		}
		d.ids[i] = id
	}
	return 0, "", nil
}

var (
	errUndeclared = errors.New("channel not declared in channels")
	errAhead      = errors.New("timestamp more than 2 s ahead of the receive time")
	errNotAfter   = errors.New("timestamp not after the channel's previous one")
)

// lineTime checks a line's own time (time = "line") against its receive
// time and its channels' previous times: no two samples of a channel may
// share a time (InfluxDB would keep one), nor may a clock far ahead pin a
// value.
func (d *Driver) lineTime(received int64) (devices.Reason, string, error) {
	if d.p.time > received+maxAhead {
		return devices.ReasonField, "timestamp", errAhead
	}
	for i := range d.p.n {
		if d.p.time <= d.last[d.ids[i]] {
			return devices.ReasonSequence, "timestamp", errNotAfter
		}
	}
	return 0, "", nil
}

func mustLookup(name string) channel.ID { id, _ := channel.Lookup(name); return id }

// AppendFrame appends one line carrying samples, all of one channel group
// and one time: `group name=value,… timestamp`. Samples that are not OK go
// on a line of their own with a quality tag; mixing OK and other samples,
// or groups, in one call is an error.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	if len(samples) == 0 {
		return dst, errors.New("external: no samples")
	}
	group := ""
	q := samples[0].Quality
	for i, s := range samples {
		c := channel.Get(s.Channel)
		if !s.Channel.Valid() || c.Derived() {
			return dst, fmt.Errorf("external: cannot encode channel %v", s.Channel)
		}
		if _, ok := d.allowed[c.Name]; !ok {
			return dst, fmt.Errorf("external: channel %s not in channels", c.Name)
		}
		g, _, _ := cut(c.Name)
		if i == 0 {
			group = g
		} else if g != group || s.Quality != q {
			return dst, errors.New("external: samples of one frame must share group and quality")
		}
	}
	dst = append(dst, group...)
	if q != channel.OK {
		dst = append(dst, ",quality="...)
		dst = append(dst, q.String()...)
	}
	dst = append(dst, ' ')
	for i, s := range samples {
		if i > 0 {
			dst = append(dst, ',')
		}
		_, name, _ := cut(channel.Get(s.Channel).Name)
		dst = append(dst, name...)
		dst = append(dst, '=')
		v := s.Value
		if q != channel.OK {
			v = 0
		}
		dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, samples[0].Time, 10)
	return append(dst, '\n'), nil
}

func cut(name string) (group, field string, ok bool) {
	for i := range len(name) {
		if name[i] == '.' {
			return name[:i], name[i+1:], true
		}
	}
	return name, "", false
}

package nonin

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "nonin"

// MaxLine is the longest line accepted, in bytes; a 7600 line with four
// sensors is about 250.
const MaxLine = 1024

// Sensors is the number of rSO2 positions of a 7600 line.
const Sensors = 4

//go:embed sample.conf
var sampleConfig string

func init() {
	devices.Register(Name, func() devices.Driver { return New() })
}

// Config holds the driver's options (sample.conf).
type Config struct {
	// RSO2 names the channel of each 7600 sensor position.
	RSO2 []string `toml:"rso2"`
}

// Driver decodes Nonin text output.
type Driver struct {
	cfg   Config
	rso2  [Sensors]channel.ID
	lines *framing.Lines
	f     frame
	bad   devices.FrameError
}

var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
)

// New returns a driver with default options.
func New() *Driver {
	d := &Driver{cfg: Config{RSO2: []string{"nirs.left", "nirs.right"}}}
	if err := d.Init(); err != nil {
		panic(err)
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	if len(d.cfg.RSO2) > Sensors {
		return fmt.Errorf("nonin: rso2 has %d entries; the 7600 has %d sensor positions", len(d.cfg.RSO2), Sensors)
	}
	d.rso2 = [Sensors]channel.ID{}
	for i, name := range d.cfg.RSO2 {
		if name == "" {
			continue
		}
		id, ok := channel.Lookup(name)
		if !ok || channel.Get(id).Unit != channel.Percent {
			return fmt.Errorf("nonin: rso2[%d] = %q is not a %% channel of the vocabulary", i, name)
		}
		for j := range i {
			if d.rso2[j] == id {
				return fmt.Errorf("nonin: rso2 maps two sensors to %s", name)
			}
		}
		d.rso2[i] = id
	}
	return nil
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:  "Nonin real-time ASCII (SpO2, pulse rate) and 7600 / X-100 regional oximetry text (rSO2)",
		Interval: time.Second,
		MaxFrame: MaxLine,
		Port:     devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		Channels: []devices.ChannelSpec{
			{ID: channel.PatientSpO2, Field: "SPO2", Interval: time.Second},
			{ID: channel.PatientHR, Field: "HR", Interval: time.Second},
		},
		SampleConfig: sampleConfig,
	}
	for i, id := range d.rso2 {
		if id != channel.Invalid {
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: "rSO2[" + strconv.Itoa(i+1) + "]", Note: "7600 / X-100; output interval unconfirmed"})
		}
	}
	return ds
}

// Decode reads lines from rw until it fails or ctx is done.
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
		if field, cause := d.f.parse(line); cause != nil {
			d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(len(line)), Reason: devices.ReasonSyntax, Field: field, Raw: devices.RawHead(line), Err: cause}
			if field != "" {
				d.bad.Reason = devices.ReasonField
			}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(line))
		d.emit(env, env.Clock.Now())
	}
}

func (d *Driver) emit(env devices.Env, t int64) {
	put := func(id channel.ID, v value, q channel.Quality) {
		s := monitor.Sample{Time: t, Channel: id, Source: env.Source, Value: v.v, Quality: channel.Unavailable}
		if !v.dash {
			s.Quality = channel.Get(id).Classify(v.v, q)
		}
		env.Sink.Put(s)
	}
	if !d.f.regional {
		put(channel.PatientSpO2, d.f.spo2, channel.OK)
		put(channel.PatientHR, d.f.hr, channel.OK)
		return
	}
	for i := range d.f.n {
		if id := d.rso2[i]; id != channel.Invalid {
			q := channel.OK
			if d.f.sigAlarm[i] {
				q = channel.Questionable
			}
			put(id, d.f.rso2[i], q)
		}
	}
}

type value struct {
	v    float64
	dash bool
}

// frame is one decoded line of either kind.
type frame struct {
	regional bool
	spo2, hr value
	fast     bool
	marker   bool
	n        int // rSO2 values present
	rso2     [Sensors]value
	sigAlarm [Sensors]bool
}

var (
	errShape     = errors.New("neither SPO2=XXX HR=YYY nor a 7600 line")
	errDuplicate = errors.New("field repeated")
	errNumber    = errors.New("not a number or ---")
	errMissing   = errors.New("required field missing")
	errStamp     = errors.New("want |yyyy-mm-ddThh:mm:ss|")
	errEnd       = errors.New("line does not end with |")
	errItems     = errors.New("want 1 to 4 comma-separated items, each --- or a number")
	errUnknown   = errors.New("unknown field")
)

func (f *frame) parse(line []byte) (field string, err error) {
	*f = frame{}
	if bytes.HasPrefix(line, []byte("Ch1=")) {
		f.regional = true
		return f.parseRegional(line)
	}
	return f.parsePulse(line)
}

// parsePulse reads "[HH:MM:SS ]SPO2=XXX HR=YYY[ F][*| *]": single spaces,
// three digits or "---" each.
func (f *frame) parsePulse(line []byte) (string, error) {
	if len(line) >= 9 && isClock(line[:8]) && line[8] == ' ' {
		line = line[9:]
	}
	rest, ok := bytes.CutPrefix(line, []byte("SPO2="))
	if !ok {
		if bytes.Contains(line, []byte("HR=")) {
			return "SPO2", errMissing
		}
		return "", errShape
	}
	if len(rest) < 3 || !parseInt(rest[:3], &f.spo2) {
		return "SPO2", errNumber
	}
	rest, ok = bytes.CutPrefix(rest[3:], []byte(" HR="))
	if !ok {
		if len(rest) == 0 || bytes.HasPrefix(rest, []byte(" F")) || bytes.HasPrefix(rest, []byte(" *")) || rest[0] == '*' {
			return "HR", errMissing
		}
		return "", errShape
	}
	if len(rest) < 3 || !parseInt(rest[:3], &f.hr) {
		return "HR", errNumber
	}
	rest = rest[3:]
	if r, ok := bytes.CutPrefix(rest, []byte(" F")); ok {
		rest, f.fast = r, true
	}
	switch string(rest) {
	case "":
	case "*", " *":
		f.marker = true
	default:
		return "", errShape
	}
	return "", nil
}

// parseRegional reads "Ch1=n Ch2=n |stamp|rSO2=…|HbI=…|…|SIG_QUAL_ALM=…|":
// known fields only, each at most once, each a list of one to four
// comma-separated items ("---", or digits and a decimal point, leading
// zeros blanked as spaces), the rSO2 items three characters wide.
func (f *frame) parseRegional(line []byte) (string, error) {
	if line[len(line)-1] != '|' {
		return "", errEnd
	}
	head, line, ok := bytes.Cut(line, []byte(" |"))
	if !ok || !isChannels(head) {
		return "", errShape
	}
	if len(line) == 0 {
		return "", errStamp // "Ch1=… Ch2=… |": no stamp, no fields
	}
	line = line[:len(line)-1]
	j := bytes.IndexByte(line, '|')
	if j < 0 || !isStamp(line[:j]) {
		return "", errStamp
	}
	line = line[j+1:]
	var seen [len(regionalFields)]bool
	var sig []byte
	for len(line) > 0 {
		seg := line
		if k := bytes.IndexByte(line, '|'); k >= 0 {
			seg, line = line[:k], line[k+1:]
		} else {
			line = nil
		}
		key, val, ok := bytes.Cut(seg, []byte("="))
		if !ok {
			return "", errShape
		}
		i := slices.IndexFunc(regionalFields[:], func(n string) bool { return string(key) == n })
		if i < 0 {
			return "", errUnknown
		}
		name := regionalFields[i]
		if seen[i] {
			return name, errDuplicate
		}
		seen[i] = true
		if !isItems(val, i == 0) {
			if i == 0 {
				return name, errNumber
			}
			return name, errItems
		}
		switch name {
		case "rSO2":
			n := 0
			for item := range bytes.SplitSeq(val, []byte(",")) {
				parseInt(bytes.TrimLeft(item, " "), &f.rso2[n])
				n++
			}
			f.n = n
		case "SIG_QUAL_ALM":
			sig = val
		}
	}
	if !seen[0] {
		return "rSO2", errMissing
	}
	// SIG_QUAL_ALM marks a sensor's value questionable only when it reads as
	// one number per rSO2 value; its meaning is unconfirmed, so another
	// count of items is ignored rather than failing the line.
	var alarms [Sensors]bool
	n := 0
	for item := range bytes.SplitSeq(sig, []byte(",")) {
		var v value
		if len(sig) == 0 || n == Sensors || !parseInt(bytes.TrimLeft(item, " "), &v) || v.dash {
			n = -1
			break
		}
		alarms[n] = v.v != 0
		n++
	}
	if n == f.n {
		f.sigAlarm = alarms
	}
	return "", nil
}

// regionalFields are the fields of a 7600 line, rSO2 first.
var regionalFields = [...]string{"rSO2", "HbI", "AUC", "REF", "HI_LIM", "LOW_LIM", "ALM", "SIG_QUAL_ALM"}

// isChannels checks "Ch1=n Ch2=n".
func isChannels(b []byte) bool {
	a, c, ok := bytes.Cut(b, []byte(" "))
	return ok && isDigitsAfter(a, "Ch1=") && isDigitsAfter(c, "Ch2=")
}

func isDigitsAfter(b []byte, prefix string) bool {
	v, ok := bytes.CutPrefix(b, []byte(prefix))
	return ok && len(v) > 0 && len(v) <= 3 && digits(v, 0, 999)
}

// isItems checks a 7600 field's value: one to four comma-separated items,
// each "---" or a number (digits, at most one decimal point) after
// blanking spaces; rSO2's items are three characters wide.
func isItems(v []byte, rso2 bool) bool {
	n := 0
	for item := range bytes.SplitSeq(v, []byte(",")) {
		n++
		if n > Sensors || len(item) == 0 || rso2 && len(item) != 3 {
			return false
		}
		num := bytes.TrimLeft(item, " ")
		if string(num) == "---" {
			continue
		}
		if len(num) == 0 || num[0] == '.' || num[len(num)-1] == '.' || bytes.Count(num, []byte(".")) > 1 || rso2 && bytes.IndexByte(num, '.') >= 0 {
			return false
		}
		for _, c := range num {
			if (c < '0' || c > '9') && c != '.' {
				return false
			}
		}
	}
	return true
}

// parseInt reads up to three digits or "---".
func parseInt(b []byte, dst *value) bool {
	if string(b) == "---" {
		dst.dash = true
		return true
	}
	if len(b) == 0 || len(b) > 3 {
		return false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	dst.v = float64(n)
	return true
}

func isClock(b []byte) bool {
	return len(b) == 8 && b[2] == ':' && b[5] == ':' && digits(b[0:2], 0, 23) && digits(b[3:5], 0, 59) && digits(b[6:8], 0, 60)
}

// isStamp checks yyyy-mm-ddThh:mm:ss.
func isStamp(b []byte) bool {
	return len(b) == 19 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && digits(b[0:4], 0, 9999) &&
		digits(b[5:7], 1, 12) && digits(b[8:10], 1, 31) && isClock(b[11:])
}

func digits(b []byte, lo, hi int) bool {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= lo && n <= hi
}

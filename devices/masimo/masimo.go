package masimo

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

// Name is the driver's registry name.
const Name = "masimo"

// MaxLine is the longest line accepted, in bytes. A full ASCII 1 line with
// every optional field is under 200.
const MaxLine = 512

//go:embed sample.conf
var sampleConfig string

func init() {
	devices.Register(Name, func() devices.Driver { return New() })
}

// The EXC bits as Masimo documents them for its serial output. That ASCII 1
// uses the same bits is unconfirmed.
const (
	ExcNoSensor      = 0x001
	ExcDefective     = 0x002
	ExcLowPerfusion  = 0x004
	ExcPulseSearch   = 0x008
	ExcInterference  = 0x010
	ExcSensorOff     = 0x020
	ExcAmbientLight  = 0x040
	ExcUnrecognised  = 0x080
	ExcLowSignalIQ   = 0x400
	ExcSETMode       = 0x800
	unavailableBits  = ExcNoSensor | ExcDefective | ExcSensorOff | ExcUnrecognised
	questionableBits = ExcLowPerfusion | ExcPulseSearch | ExcInterference | ExcAmbientLight | ExcLowSignalIQ
	knownBits        = unavailableBits | questionableBits | ExcSETMode
)

// ExcQuality maps an EXC bit field (after the ignored bits are removed) to
// the quality of SpO2, pulse rate and PI: no sensor, defective, sensor off or
// unrecognised sensor make them unavailable; low perfusion, pulse search,
// interference, ambient light, low signal IQ and any bit not listed here make
// them questionable; SET mode (0x800) is normal operation.
func ExcQuality(exc uint32) channel.Quality {
	switch {
	case exc&unavailableBits != 0:
		return channel.Unavailable
	case exc&^(knownBits&^questionableBits) != 0:
		return channel.Questionable
	}
	return channel.OK
}

// Config holds the driver's options (sample.conf).
type Config struct {
	EXCIgnore string `toml:"exc_ignore"`
	SO2_1     string `toml:"so2_1"`
	SO2_2     string `toml:"so2_2"`
	// Time is "receive" (default: samples carry the time the line was
	// read) or "device": the line's own date and time, read in Zone.
	Time string `toml:"time"`
	// Zone is the device clock's time zone (an IANA name such as
	// "Europe/Paris", "UTC", or "Local", the default: this machine's).
	Zone string `toml:"zone"`
}

// maxAhead is how far a line's device time may be ahead of its receive
// time (the pipeline's own future limit).
const maxAhead = int64(2 * time.Second)

// Driver decodes Masimo ASCII 1.
type Driver struct {
	cfg       Config
	excIgnore uint32
	so2       [2]channel.ID
	zone      *time.Location // nil: receive times
	last      int64          // the latest time used with time = "device"
	lines     *framing.Lines
	f         frame
	bad       devices.FrameError
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
	d := &Driver{cfg: Config{EXCIgnore: "000000", SO2_1: "nirs.left", SO2_2: "nirs.right"}}
	if err := d.Init(); err != nil {
		panic(err) // the defaults are valid
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	v, err := strconv.ParseUint(d.cfg.EXCIgnore, 16, 32)
	if err != nil && d.cfg.EXCIgnore != "" {
		return fmt.Errorf("masimo: exc_ignore %q is not hex", d.cfg.EXCIgnore)
	}
	d.excIgnore = uint32(v)
	d.zone = nil
	switch d.cfg.Time {
	case "", "receive":
		if d.cfg.Zone != "" {
			return fmt.Errorf("masimo: zone is for time = \"device\"")
		}
	case "device":
		d.zone = time.Local
		if d.cfg.Zone != "" && d.cfg.Zone != "Local" {
			if d.zone, err = time.LoadLocation(d.cfg.Zone); err != nil {
				return fmt.Errorf("masimo: zone %q: %w", d.cfg.Zone, err)
			}
		}
	default:
		return fmt.Errorf("masimo: time = %q is not \"receive\" or \"device\"", d.cfg.Time)
	}
	for i, name := range []string{d.cfg.SO2_1, d.cfg.SO2_2} {
		d.so2[i] = channel.Invalid
		if name == "" {
			continue
		}
		id, ok := channel.Lookup(name)
		if !ok || channel.Get(id).Unit != channel.Percent {
			return fmt.Errorf("masimo: so2_%d = %q is not a %% channel of the vocabulary", i+1, name)
		}
		d.so2[i] = id
	}
	return nil
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:  "Masimo ASCII 1 (Radical-7, Rad-8, Rad-87, Root): SpO2, pulse rate, PI, PVI, O3 rSO2",
		Interval: time.Second,
		MaxFrame: MaxLine,
		Port:     devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		Channels: []devices.ChannelSpec{
			{ID: channel.PatientSpO2, Field: "SPO2", Interval: time.Second, Note: "quality from EXC bits"},
			{ID: channel.PatientHR, Field: "BPM", Interval: time.Second, Note: "quality from EXC bits"},
			{ID: channel.PatientPI, Field: "PI", Interval: time.Second, Note: "quality from EXC bits"},
			{ID: channel.PatientPVI, Field: "PVI", Interval: time.Second, Note: "models with PVI only; quality from EXC bits"},
		},
		SampleConfig: sampleConfig,
	}
	for i, id := range d.so2 {
		if id != channel.Invalid {
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: "SO2_" + strconv.Itoa(i+1), Interval: time.Second, Note: "Root with O3 only; field name unconfirmed"})
		}
	}
	return ds
}

// Decode reads ASCII 1 lines from rw until it fails or ctx is done.
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
		t := env.Clock.Now()
		if d.zone != nil {
			t = d.deviceTime(line, t, env.Events)
		}
		d.emit(env, t)
	}
}

// deviceTime returns the time the line's date and time say, in the
// device's zone, or received when that time is more than 2 s ahead of it
// or not after the previous line's (a clock set back, a change of hour):
// no two lines share a time, and a clock ahead never pins a value.
func (d *Driver) deviceTime(line []byte, received int64, ev devices.Events) int64 {
	n := func(i int) int { return int(line[i]-'0')*10 + int(line[i+1]-'0') }
	t := time.Date(2000+n(6), time.Month(n(0)), n(3), n(9), n(12), n(15), 0, d.zone).UnixNano()
	switch {
	case t > received+maxAhead:
		devices.Note(ev, "device clock ahead of the receive time: receive time used")
		t = received
	case t <= d.last:
		devices.Note(ev, "device time not after the previous line's: receive time used")
		t = received
	}
	d.last = max(d.last, t)
	return t
}

func (d *Driver) emit(env devices.Env, t int64) {
	q := ExcQuality(d.f.exc &^ d.excIgnore)
	put := func(id channel.ID, v value, q channel.Quality) {
		s := monitor.Sample{Time: t, Channel: id, Source: env.Source, Value: v.v}
		switch {
		case v.dash:
			s.Quality = channel.Unavailable
		default:
			s.Quality = channel.Get(id).Classify(v.v, q)
		}
		env.Sink.Put(s)
	}
	put(channel.PatientSpO2, d.f.spo2, q)
	put(channel.PatientHR, d.f.bpm, q)
	// PI and PVI come from the same pulse oximetry sensor as SpO2, so EXC
	// sets their quality too. Both are optional fields: a line without them
	// emits neither.
	if d.f.pi.present {
		put(channel.PatientPI, d.f.pi, q)
	}
	if d.f.pvi.present {
		put(channel.PatientPVI, d.f.pvi, q)
	}
	for i, id := range d.so2 {
		if id != channel.Invalid && d.f.so2[i].present {
			// EXC describes the SET pulse oximetry sensor, not the O3 sensors.
			put(id, d.f.so2[i], channel.OK)
		}
	}
}

// value is one decoded field.
type value struct {
	v       float64
	present bool
	dash    bool // the device said "no value"
}

// frame is one decoded line.
type frame struct {
	spo2, bpm, pi, pvi value
	so2                [2]value
	alarm, exc         uint32
	seen               uint32 // bit i: fields[i] was in the line
}

var (
	errDate      = errors.New("want MM/DD/YY HH:MM:SS first")
	errToken     = errors.New("want one space, then KEY=VALUE")
	errUnknown   = errors.New("unknown field")
	errDuplicate = errors.New("field repeated")
	errShape     = errors.New("value not in the field's documented form")
	errMissing   = errors.New("required field missing")
)

// The fields of an ASCII 1 line.
const (
	fSN = iota
	fSPO2
	fBPM
	fPI
	fSPCO
	fSPMET
	fSPHB
	fDESAT
	fPIDELTA
	fPVI
	fSO2_1
	fSO2_2
	fALARM
	fEXC
)

// fields gives each field's name and the form of its value: 'd' a digit,
// 'h' a hex digit, 's' a sign; anything else stands for itself. The form
// with every 'd' a dash is "no value" (SPO2=---%, PI=--.--%, PIDELTA=+--).
// Every field is checked, emitted or not, so that a line with a byte out of
// place is bad rather than a wrong number.
var fields = [...]struct{ name, form string }{
	fSN:      {"SN", "dddddddddd"},
	fSPO2:    {"SPO2", "ddd%"},
	fBPM:     {"BPM", "ddd"},
	fPI:      {"PI", "dd.dd%"},
	fSPCO:    {"SPCO", "dd.d%"},
	fSPMET:   {"SPMET", "dd.d%"},
	fSPHB:    {"SPHB", "dd.d"},
	fDESAT:   {"DESAT", "dd"},
	fPIDELTA: {"PIDELTA", "sdd"},
	fPVI:     {"PVI", "ddd"},
	fSO2_1:   {"SO2_1", "ddd%"},
	fSO2_2:   {"SO2_2", "ddd%"},
	fALARM:   {"ALARM", "hhhh"},
	fEXC:     {"EXC", "hhhhhh"},
}

// parse decodes one line into f: the device's date and time, then fields
// each after exactly one space, each known, at most once, in its form;
// SPO2, BPM and EXC are required. It returns the offending field's name
// ("" for the line's shape) and the cause.
func (f *frame) parse(line []byte) (field string, err error) {
	*f = frame{}
	if len(line) < 17 || !isDate(line[:8]) || line[8] != ' ' || !isClock(line[9:17]) {
		return "", errDate
	}
	rest := line[17:]
	for len(rest) > 0 {
		if rest[0] != ' ' {
			return "", errToken
		}
		tok := rest[1:]
		rest = nil
		if i := bytes.IndexByte(tok, ' '); i >= 0 {
			tok, rest = tok[:i], tok[i:]
		}
		k := bytes.IndexByte(tok, '=')
		if k <= 0 {
			return "", errToken
		}
		key, val := tok[:k], tok[k+1:]
		i := lookup(key)
		if i < 0 {
			return "", errUnknown
		}
		name := fields[i].name
		if f.seen&(1<<i) != 0 {
			return name, errDuplicate
		}
		f.seen |= 1 << i
		dash, ok := inForm(val, fields[i].form)
		if !ok {
			return name, errShape
		}
		var dst *value
		switch i {
		case fSPO2:
			dst = &f.spo2
		case fBPM:
			dst = &f.bpm
		case fPI:
			dst = &f.pi
		case fPVI:
			dst = &f.pvi
		case fSO2_1:
			dst = &f.so2[0]
		case fSO2_2:
			dst = &f.so2[1]
		case fALARM:
			f.alarm = parseHex(val)
		case fEXC:
			f.exc = parseHex(val)
		}
		if dst == nil {
			continue
		}
		*dst = value{present: true, dash: dash}
		if !dash {
			dst.v, _ = framing.ParseDecimal(bytes.TrimSuffix(val, []byte("%")))
		}
	}
	for _, i := range [...]int{fSPO2, fBPM, fEXC} {
		if f.seen&(1<<i) == 0 {
			return fields[i].name, errMissing
		}
	}
	return "", nil
}

func lookup(key []byte) int {
	for i, fd := range fields {
		if string(key) == fd.name {
			return i
		}
	}
	return -1
}

// inForm reports whether v is in form (see fields), and whether it is the
// form's "no value".
func inForm(v []byte, form string) (dash, ok bool) {
	if len(v) != len(form) {
		return false, false
	}
	digits, dashes := 0, 0
	for i := range len(form) {
		c := v[i]
		switch form[i] {
		case 'd':
			switch {
			case c >= '0' && c <= '9':
				digits++
			case c == '-':
				dashes++
			default:
				return false, false
			}
		case 'h':
			if _, ok := unhex(c); !ok {
				return false, false
			}
		case 's':
			if c != '+' && c != '-' {
				return false, false
			}
		default:
			if c != form[i] {
				return false, false
			}
		}
	}
	if digits > 0 && dashes > 0 {
		return false, false // "0-8": neither a number nor no value
	}
	return dashes > 0, true
}

func isDate(b []byte) bool {
	return len(b) == 8 && b[2] == '/' && b[5] == '/' && digits(b[0:2], 1, 12) && digits(b[3:5], 1, 31) && digits(b[6:8], 0, 99)
}

func isClock(b []byte) bool {
	return len(b) == 8 && b[2] == ':' && b[5] == ':' && digits(b[0:2], 0, 23) && digits(b[3:5], 0, 59) && digits(b[6:8], 0, 60)
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

// parseHex reads hex digits inForm has checked.
func parseHex(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		d, _ := unhex(c)
		v = v<<4 | uint32(d)
	}
	return v
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

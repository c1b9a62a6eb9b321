package generic

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "generic"

// sampleConfig is the annotated config of the simulator's pump, the
// driver's default.
//
//go:embed sample.conf
var sampleConfig string

// SimPumpConfig is examples/sim-pump.toml: the line format the simulator's
// pump speaks (docs/format/sim-pump.md), the same device as sample.conf
// without the comments.
//
//go:embed examples/sim-pump.toml
var SimPumpConfig string

func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// Driver decodes a protocol described by a Config. With no config it
// decodes the simulator's pump format.
type Driver struct {
	cfg Config
	k   *compiled
	fr  *framer

	raw   [][]byte // per configured field: its text in the current frame
	seen  []bool
	out   []monitor.Sample // per configured field: its value in the current frame
	cols  [][]byte         // delimited: the current frame's columns
	colOf []int            // delimited: per field, its 0-based column; -1 unknown
	// delimited with header: the last header adopted and whether it maps
	// every required field.
	header   []byte
	hdrOK    bool
	sawHdr   bool
	num      []byte // a value with its decimal comma replaced
	ckBuf    []byte // start byte + content + end byte, when the check covers them
	bad      devices.FrameError
	emitting bool
}

var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
	_ devices.Poller       = (*Driver)(nil)
)

// New returns a driver for the simulator's pump format (sample.conf).
func New() *Driver {
	d, err := Load([]byte(sampleConfig))
	if err != nil {
		panic(err) // the embedded default is valid: a test keeps it so
	}
	return d
}

// Load returns a driver for the config in TOML; errors name the option and
// wrap devices.ErrConfig.
func Load(toml []byte) (*Driver, error) {
	d := &Driver{}
	if err := devices.Configure(d, devices.TOMLDecoder(toml)); err != nil {
		return nil, fmt.Errorf("generic: %w", err)
	}
	return d, nil
}

// simPump encodes for AppendPump.
var simPump = New()

// AppendPump appends one line of the simulator's pump format
// (examples/sim-pump.toml) carrying samples, all of one time, to dst. It is
// safe for concurrent use. Channels the pump format does not carry are an
// error; pump channels samples lack are sent as "---".
func AppendPump(dst []byte, samples []monitor.Sample) ([]byte, error) {
	return simPump.AppendFrame(dst, samples)
}

// Config starts the options over from the neutral baseline, not from the
// current protocol: a config file describes the whole device. The caller
// fills the result and calls Init.
func (d *Driver) Config() any {
	d.cfg = baseline()
	return &d.cfg
}

// Init validates the options and prepares the decoder. Errors name the
// option, e.g. "field[2].channel".
func (d *Driver) Init() error {
	k, err := compile(&d.cfg)
	if err != nil {
		return fmt.Errorf("generic: %w", err)
	}
	d.k = k
	n := len(k.fields)
	d.raw, d.seen, d.colOf, d.out = make([][]byte, n), make([]bool, n), make([]int, n), make([]monitor.Sample, n)
	d.cols = make([][]byte, 0, MaxFields)
	d.num = make([]byte, 0, 32)
	d.ckBuf = make([]byte, 0, d.cfg.MaxFrame+2)
	d.fr = nil
	return nil
}

// PollInterval implements devices.Poller: poll.interval.
func (d *Driver) PollInterval() time.Duration { return d.cfg.Poll.Interval.Duration }

// AppendPoll implements devices.Poller: poll.bytes.
func (d *Driver) AppendPoll(dst []byte) []byte { return append(dst, d.k.poll...) }

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	sum := d.cfg.Summary
	if sum == "" {
		sum = "configurable driver"
	}
	ds := devices.Description{
		Summary:      sum,
		Interval:     d.cfg.Interval.Duration,
		MaxFrame:     d.cfg.MaxFrame,
		Port:         d.cfg.Port.settings(),
		SampleConfig: sampleConfig,
	}
	for i, f := range d.k.fields {
		name := d.cfg.Fields[i].Name
		if name == "" {
			name = fmt.Sprintf("column %d", f.column+1)
		}
		var notes []string
		if f.optional {
			notes = append(notes, "optional")
		}
		if u := d.cfg.Fields[i].Unit; u != "" {
			notes = append(notes, "converted from "+u)
		}
		if f.scale != 1 || f.offset != 0 {
			notes = append(notes, fmt.Sprintf("raw × %g + %g", f.scale, f.offset))
		}
		ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: f.id, Field: name, Interval: d.cfg.Interval.Duration, Note: strings.Join(notes, "; ")})
	}
	return ds
}

// Decode reads frames from rw until it fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	if d.k == nil {
		if err := d.Init(); err != nil {
			return err
		}
	}
	if d.fr == nil {
		d.fr = newFramer(d.k, d.cfg.MaxFrame, rw)
	}
	d.fr.reset(rw)
	d.sawHdr, d.hdrOK = false, false
	if d.cfg.Poll.OnConnect {
		if _, err := rw.Write(d.k.poll); err != nil {
			return err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		content, trailer, off, size, err := d.fr.next()
		if err != nil {
			if fe, ok := err.(*devices.FrameError); ok {
				env.Events.FrameBad(fe)
				continue
			}
			return err
		}
		reason, field, cause := d.frame(content, trailer)
		if cause != nil {
			d.bad = devices.FrameError{Driver: Name, Offset: off, Size: size, Reason: reason, Field: field, Raw: devices.RawHead(content), Err: cause}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, int(size))
		if d.emitting {
			d.emit(env, env.Clock.Now())
		}
	}
}

var (
	errCheck      = errors.New("check does not match")
	errCheckShape = errors.New("check missing or not hex")
	errPrefix     = errors.New("frame does not start with parse.prefix")
	errNoMatch    = errors.New("frame does not match parse.pattern")
	errPair       = errors.New("no key/value separator")
	errRepeated   = errors.New("repeated")
	errUnknownKey = errors.New("unknown key")
	errMissing    = errors.New("required field missing")
	errNumber     = errors.New("not a number or a configured marker")
	errColumns    = errors.New("too many columns")
	errCount      = errors.New("column count differs")
	errNoHeader   = errors.New("no usable header yet")
	errHeader     = errors.New("header lacks a required field")
	errBinary     = errors.New("control or non-ASCII byte in a text frame")
)

// frame checks and parses one frame. On success d.emitting says whether it
// was a data frame (a header is not).
func (d *Driver) frame(content, trailer []byte) (devices.Reason, string, error) {
	k := d.k
	d.emitting = false
	data := content
	if k.check != nil {
		var ok bool
		var err error
		if data, ok, err = d.verify(content, trailer); err != nil {
			return devices.ReasonSyntax, "checksum", err
		} else if !ok {
			return devices.ReasonChecksum, "checksum", errCheck
		}
	}
	for _, c := range data {
		if c < ' ' && c != '\t' || c == 0x7f {
			return devices.ReasonSyntax, "", errBinary
		}
	}
	if !bytes.HasPrefix(data, k.prefix) {
		return devices.ReasonSyntax, "prefix", errPrefix
	}
	data = data[len(k.prefix):]
	clear(d.seen)
	var reason devices.Reason
	var field string
	var err error
	switch k.kind {
	case parseKeyValue:
		reason, field, err = d.keyValue(data)
	case parseDelimited:
		reason, field, err = d.delimited(data)
		if err == nil && !d.emitting {
			return 0, "", nil // a header
		}
	case parseRegex:
		reason, field, err = d.regex(data)
	}
	if err != nil {
		return reason, field, err
	}
	for i := range k.fields {
		f := &k.fields[i]
		if !d.seen[i] {
			if !f.optional {
				return devices.ReasonField, d.fieldName(i), errMissing
			}
			continue
		}
		s, ok := d.value(f, d.raw[i])
		if !ok {
			return devices.ReasonField, d.fieldName(i), errNumber
		}
		d.out[i] = s
	}
	d.emitting = true
	return 0, "", nil
}

func (d *Driver) fieldName(i int) string {
	if n := d.cfg.Fields[i].Name; n != "" {
		return n
	}
	return d.cfg.Fields[i].colName()
}

func (fc Field) colName() string { return fmt.Sprintf("column %d", fc.Column) }

// verify checks content (and the trailer after the end byte) and returns
// the data without the check.
func (d *Driver) verify(content, trailer []byte) ([]byte, bool, error) {
	k := d.k
	w := k.check.Width()
	n := w
	if k.hexCheck {
		n *= 2
	}
	data, code := content, trailer
	if !k.afterEnd {
		if len(content) < n+len(k.sep) {
			return nil, false, errCheckShape
		}
		data, code = content[:len(content)-n], content[len(content)-n:]
		if !bytes.HasSuffix(data, k.sep) {
			return nil, false, errCheckShape
		}
		data = data[:len(data)-len(k.sep)]
	}
	var got uint16
	if k.hexCheck {
		for _, c := range code {
			v, ok := unhex(c)
			if !ok {
				return nil, false, errCheckShape
			}
			got = got<<4 | uint16(v)
		}
		if k.little && w == 2 {
			got = got>>8 | got<<8
		}
	} else {
		if len(code) != w {
			return nil, false, errCheckShape
		}
		if w == 1 {
			got = uint16(code[0])
		} else if k.little {
			got = uint16(code[0]) | uint16(code[1])<<8
		} else {
			got = uint16(code[0])<<8 | uint16(code[1])
		}
	}
	if len(data) < k.skip {
		return nil, false, errCheckShape
	}
	covered := data[k.skip:]
	if k.inclStart || k.inclEnd {
		d.ckBuf = d.ckBuf[:0]
		if k.inclStart && k.skip == 0 {
			d.ckBuf = append(d.ckBuf, k.start)
		}
		d.ckBuf = append(d.ckBuf, covered...)
		if k.inclEnd {
			d.ckBuf = append(d.ckBuf, k.end)
		}
		covered = d.ckBuf
	}
	return data, k.check.Sum(covered) == got, nil
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

// keyValue splits data into key/value pairs.
func (d *Driver) keyValue(data []byte) (devices.Reason, string, error) {
	k := d.k
	for len(data) > 0 {
		var part []byte
		if i := bytes.Index(data, k.delim); i >= 0 {
			part, data = data[:i], data[i+len(k.delim):]
		} else {
			part, data = data, nil
		}
		if len(bytes.TrimSpace(part)) == 0 {
			continue
		}
		j := bytes.Index(part, k.kvSep)
		if j < 0 {
			return devices.ReasonSyntax, "", errPair
		}
		key, val := bytes.TrimSpace(part[:j]), part[j+len(k.kvSep):]
		found := -1
		for i := range k.fields {
			if bytes.Equal(k.fields[i].name, key) {
				found = i
				break
			}
		}
		if found < 0 {
			if k.strictKeys {
				return devices.ReasonField, string(key), errUnknownKey
			}
			continue
		}
		if d.seen[found] {
			return devices.ReasonField, d.cfg.Fields[found].Name, errRepeated
		}
		d.seen[found], d.raw[found] = true, val
	}
	return 0, "", nil
}

// delimited splits data into columns; a header line (when parse.header)
// maps names to columns.
func (d *Driver) delimited(data []byte) (devices.Reason, string, error) {
	k := d.k
	d.cols = d.cols[:0]
	for {
		if len(d.cols) == MaxFields {
			return devices.ReasonSyntax, "", errColumns
		}
		i := bytes.Index(data, k.delim)
		if i < 0 {
			d.cols = append(d.cols, data)
			break
		}
		d.cols = append(d.cols, data[:i])
		data = data[i+len(k.delim):]
	}
	if k.header && isHeader(d.cols) {
		return d.adopt()
	}
	if d.cfg.Parse.Count != 0 && len(d.cols) != d.cfg.Parse.Count {
		return devices.ReasonSyntax, "", errCount
	}
	if d.sawHdr {
		if !d.hdrOK {
			return devices.ReasonSequence, "", errNoHeader
		}
		if len(d.cols) != d.hdrCount() {
			return devices.ReasonSyntax, "", errCount
		}
	}
	for i := range k.fields {
		c := k.fields[i].column
		if d.sawHdr {
			c = d.colOf[i]
		}
		if c < 0 {
			if k.header && !d.sawHdr && !k.fields[i].optional {
				return devices.ReasonSequence, "", errNoHeader
			}
			continue
		}
		if c < len(d.cols) {
			d.seen[i], d.raw[i] = true, d.cols[c]
		}
	}
	d.emitting = true
	return 0, "", nil
}

func (d *Driver) hdrCount() int { return bytes.Count(d.header, d.k.delim) + 1 }

// adopt makes the columns in d.cols the header. It allocates only when the
// header changes.
func (d *Driver) adopt() (devices.Reason, string, error) {
	k := d.k
	d.sawHdr = true
	if d.header == nil || !sameHeader(d.header, d.cols, k.delim) {
		d.header = bytes.Join(d.cols, k.delim)
		for i := range k.fields {
			d.colOf[i] = -1
			for j, c := range d.cols {
				if len(k.fields[i].name) > 0 && bytes.Equal(bytes.TrimSpace(c), k.fields[i].name) {
					d.colOf[i] = j
					break
				}
			}
		}
	}
	d.hdrOK = true
	for i := range k.fields {
		if d.colOf[i] < 0 && !k.fields[i].optional {
			d.hdrOK = false
			return devices.ReasonField, d.fieldName(i), errHeader
		}
	}
	return 0, "", nil
}

func sameHeader(h []byte, cols [][]byte, delim []byte) bool {
	for i, c := range cols {
		if i > 0 {
			if !bytes.HasPrefix(h, delim) {
				return false
			}
			h = h[len(delim):]
		}
		if !bytes.HasPrefix(h, c) {
			return false
		}
		h = h[len(c):]
	}
	return len(h) == 0
}

// isHeader: every column is a name, and there are at least two.
func isHeader(cols [][]byte) bool {
	if len(cols) < 2 {
		return false
	}
	for _, c := range cols {
		if !isName(bytes.TrimSpace(c)) {
			return false
		}
	}
	return true
}

// isName: a letter, then printable ASCII.
func isName(b []byte) bool {
	if len(b) == 0 || !(b[0] >= 'A' && b[0] <= 'Z' || b[0] >= 'a' && b[0] <= 'z') {
		return false
	}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// regex matches the whole pattern and takes the named groups. Go's regexp
// allocates its match indexes: regex configs are not allocation-free.
func (d *Driver) regex(data []byte) (devices.Reason, string, error) {
	k := d.k
	m := k.re.FindSubmatchIndex(data)
	if m == nil {
		return devices.ReasonSyntax, "", errNoMatch
	}
	for i, g := range k.groups {
		if m[2*g] >= 0 {
			d.seen[i], d.raw[i] = true, data[m[2*g]:m[2*g+1]]
		}
	}
	d.emitting = true
	return 0, "", nil
}

// value reads a field's text: a marker's quality, or the number scaled and
// converted to the channel's unit.
func (d *Driver) value(f *field, raw []byte) (monitor.Sample, bool) {
	k := d.k
	raw = bytes.TrimSpace(raw)
	for _, m := range k.missing {
		if bytes.Equal(raw, m) {
			return monitor.Sample{Channel: f.id, Quality: channel.Unavailable}, true
		}
	}
	for _, m := range k.oor {
		if bytes.Equal(raw, m) {
			return monitor.Sample{Channel: f.id, Quality: channel.OutOfRange}, true
		}
	}
	if d.cfg.Parse.DecimalComma {
		d.num = append(d.num[:0], raw...)
		for i, c := range d.num {
			if c == ',' {
				d.num[i] = '.'
			}
		}
		raw = d.num
	}
	v, ok := framing.ParseDecimal(raw)
	if !ok {
		return monitor.Sample{}, false
	}
	// Scale and unit factors leave binary noise (4520 × 0.001 =
	// 4.5200000000000005): round it off at 1e-9, far below any channel's
	// precision.
	v = math.Round(f.conv.Apply(v*f.scale+f.offset)*1e9) / 1e9
	return monitor.Sample{Channel: f.id, Value: v, Quality: channel.Get(f.id).Classify(v, channel.OK)}, true
}

func (d *Driver) emit(env devices.Env, t int64) {
	for i := range d.k.fields {
		if !d.seen[i] {
			continue
		}
		s := d.out[i]
		s.Time, s.Source = t, env.Source
		if s.Quality != channel.OK {
			s.Value = 0
		}
		env.Sink.Put(s)
	}
}

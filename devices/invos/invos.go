package invos

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name: the format from the config, detected
// per line by default.
const Name = "invos"

// PCLink2Name is the registry name of the same driver held to PC LINK 2,
// so that the simulator can emulate that format (`--emit
// invos-pclink2=...`) and a site can name it without a config file.
const PCLink2Name = "invos-pclink2"

// MaxLine bounds a line: a PC LINK 1 line of four active channels is about
// 300 bytes.
const MaxLine = 512

// Channels is the number of INVOS channels.
const Channels = 4

//go:embed sample.conf
var sampleConfig string

func init() {
	devices.Register(Name, func() devices.Driver { return New() })
	devices.Register(PCLink2Name, func() devices.Driver { return newDriver(PCLink2Name, "pclink2") })
}

// Format is one of the device's serial output formats.
type Format uint8

// The formats. Auto detects each line's: a PC LINK 2 line starts with the
// version field, a PC LINK 1 line with the date.
const (
	Auto Format = iota
	PCLink1
	PCLink2
)

func (f Format) String() string {
	switch f {
	case PCLink1:
		return "pclink1"
	case PCLink2:
		return "pclink2"
	}
	return "auto"
}

// ParseFormat reads "auto", "pclink1" or "pclink2".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "pclink1":
		return PCLink1, nil
	case "pclink2":
		return PCLink2, nil
	}
	return Auto, fmt.Errorf("format %q is not \"auto\", \"pclink1\" or \"pclink2\"", s)
}

// Config holds the driver's options (sample.conf).
type Config struct {
	// Format is "auto" (each line's own), "pclink1" or "pclink2"; a line
	// of the other format is then a bad frame.
	Format string `toml:"format"`
	// Channels maps the INVOS channel numbers "1" to "4" to NIRS channels
	// of the vocabulary: nirs.left and nirs.right (cerebral), nirs.renal
	// and nirs.somatic (the sites of somatic sensors). "" leaves a channel
	// unmapped: decoded and checked, not emitted.
	Channels map[string]string `toml:"channels"`
	// Status maps the device's status codes (0 to 21) to what they do to
	// the channel's value: "ok" (shown), "questionable" (withheld, shown
	// as questionable) or "invalid" (no value). A code not listed is
	// "questionable": see the README.
	Status map[string]string `toml:"status"`
	// Spacing is "exact" (fields separated by exactly two spaces, as the
	// manual gives the download format) or "any" (one or more spaces).
	Spacing string `toml:"spacing"`
}

// DefaultChannels is the channel mapping before configuration: the two
// cerebral channels on INVOS channels 1 (left) and 2 (right), channels 3
// and 4 (somatic sites) unmapped until a site says which site is which.
func DefaultChannels() map[string]string {
	return map[string]string{"1": "nirs.left", "2": "nirs.right", "3": "", "4": ""}
}

// baselineOf is the baseline channel of each NIRS channel.
var baselineOf = map[channel.ID]channel.ID{
	channel.NIRSLeft:    channel.NIRSLeftBaseline,
	channel.NIRSRight:   channel.NIRSRightBaseline,
	channel.NIRSRenal:   channel.NIRSRenalBaseline,
	channel.NIRSSomatic: channel.NIRSSomaticBaseline,
}

// The limits of the fields (operator's manual, "Case Data Downloads (PC
// LINK 1 and PC LINK 2) - Data Fields").
const (
	MinRSO2, MaxRSO2     = 15, 95 // 0: channel not active
	MaxStatus            = 21     // serial; 19 in the case history download
	MaxEvent             = 160    // and 252 to 254
	MaxAUC               = 9999
	MinUAL, MaxUAL       = 20, 95
	MinLAL, MaxLAL       = 15, 90
	SensorIDLen          = 14
	pclink1Fields        = 2 + Channels*pclink1PerChannel
	pclink1PerChannel    = 13
	pclink2Fields        = 3 + Channels*pclink2PerChannel
	pclink2PerChannel    = 7
	maxFields            = pclink1Fields
	statusOK, statusQ    = 0, 1
	statusInvalid        = 2
	defaultStatusQuality = statusQ
)

// Driver decodes the INVOS PC LINK 1 and PC LINK 2 streams.
type Driver struct {
	name   string
	cfg    Config
	format Format
	anySp  bool
	ids    [Channels]channel.ID // channel.Invalid when unmapped
	bases  [Channels]channel.ID
	status [MaxStatus + 1]uint8 // statusOK, statusQ or statusInvalid
	notes  notes
	lines  *framing.Lines
	fs     [maxFields][]byte
	ch     [Channels]reading
	base   [Channels]int // last baseline of this connection, 0 none
	bad    devices.FrameError
}

// reading is one channel of one line.
type reading struct {
	label    []byte // PC LINK 1; nil in PC LINK 2
	rso2     int    // 0: not active
	event    int
	status   int
	baseline int // PC LINK 1; 0: none
	sensor   bool
}

// notes are the texts of every finding, built once so that noting
// allocates nothing.
type notes struct {
	status   [Channels][MaxStatus + 1]string
	event    [Channels][255]string
	baseline [Channels]string
	label    [Channels]string
	unmapped [Channels]string
	start    string
}

var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
)

// New returns a driver with default options.
func New() *Driver { return newDriver(Name, "auto") }

func newDriver(name, format string) *Driver {
	d := &Driver{name: name, cfg: Config{Format: format, Channels: DefaultChannels(), Status: map[string]string{"0": "ok"}, Spacing: "exact"}}
	if err := d.Init(); err != nil {
		panic(err) // the defaults are valid
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	var err error
	if d.format, err = ParseFormat(d.cfg.Format); err != nil {
		return fmt.Errorf("invos: %w", err)
	}
	switch d.cfg.Spacing {
	case "exact", "":
		d.anySp = false
	case "any":
		d.anySp = true
	default:
		return fmt.Errorf("invos: spacing %q is not \"exact\" or \"any\"", d.cfg.Spacing)
	}
	used := map[channel.ID]string{}
	for k, v := range d.cfg.Channels {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > Channels || strconv.Itoa(n) != k {
			return fmt.Errorf("invos: channels: %q is not an INVOS channel number 1 to 4", k)
		}
		if v == "" {
			continue
		}
		id, ok := channel.Lookup(v)
		if _, nirs := baselineOf[id]; !ok || !nirs {
			return fmt.Errorf("invos: channels.%q = %q is not nirs.left, nirs.right, nirs.renal or nirs.somatic", k, v)
		}
		if prev, dup := used[id]; dup {
			return fmt.Errorf("invos: channels.%q and channels.%q both map to %s", prev, k, v)
		}
		used[id] = k
	}
	for i := range Channels {
		d.ids[i], d.bases[i] = channel.Invalid, channel.Invalid
		if v := d.cfg.Channels[strconv.Itoa(i+1)]; v != "" {
			id, _ := channel.Lookup(v)
			d.ids[i], d.bases[i] = id, baselineOf[id]
		}
	}
	for i := range d.status {
		d.status[i] = defaultStatusQuality
	}
	for k, v := range d.cfg.Status {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n > MaxStatus || strconv.Itoa(n) != k {
			return fmt.Errorf("invos: status: %q is not a status code 0 to %d", k, MaxStatus)
		}
		switch v {
		case "ok":
			d.status[n] = statusOK
		case "questionable":
			d.status[n] = statusQ
		case "invalid":
			d.status[n] = statusInvalid
		default:
			return fmt.Errorf("invos: status.%q = %q is not \"ok\", \"questionable\" or \"invalid\"", k, v)
		}
	}
	d.buildNotes()
	return nil
}

func (d *Driver) buildNotes() {
	for c := range Channels {
		n := strconv.Itoa(c + 1)
		for s := range MaxStatus + 1 {
			switch d.status[s] {
			case statusOK:
				if s != 0 {
					d.notes.status[c][s] = "invos: channel " + n + " status " + strconv.Itoa(s) + " (ok per [status])"
				}
			case statusQ:
				d.notes.status[c][s] = "invos: channel " + n + " status " + strconv.Itoa(s) + ": value withheld (questionable; map the code in [status])"
			case statusInvalid:
				d.notes.status[c][s] = "invos: channel " + n + " status " + strconv.Itoa(s) + ": no value (invalid per [status])"
			}
		}
		for e := range 255 {
			if e > 0 && (e <= MaxEvent || e >= 252) {
				d.notes.event[c][e] = "invos: event " + strconv.Itoa(e) + " marked on channel " + n
			}
		}
		d.notes.baseline[c] = "invos: baseline set on channel " + n
		d.notes.label[c] = "invos: channel " + n + " is labelled for the other side than [channels] maps it: value withheld"
		d.notes.unmapped[c] = "invos: channel " + n + " is active but not mapped in [channels] (decoded, not emitted)"
	}
	d.notes.start = "invos: start marker (0xFF 0xFF) before a line: the monitor started"
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:      "Medtronic (Somanetics) INVOS 5100C cerebral/somatic oximeter, PC LINK 1 and PC LINK 2 serial streams",
		Interval:     5 * time.Second,
		MaxFrame:     MaxLine,
		Port:         devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "rts/cts"},
		SampleConfig: sampleConfig,
	}
	if d.format == PCLink2 {
		ds.Summary = "Medtronic (Somanetics) INVOS 5100C cerebral/somatic oximeter, PC LINK 2 serial stream"
		ds.SampleConfig = replaceOnce(sampleConfig, `format = "auto"`, `format = "pclink2"`)
	}
	for i, id := range d.ids {
		if id == channel.Invalid {
			continue
		}
		n := strconv.Itoa(i + 1)
		ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: "Ch " + n + " rSO2", Interval: 5 * time.Second,
			Note: "0 (not active) and withholding status codes are no value; interval unconfirmed"})
		if d.format != PCLink2 {
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: d.bases[i], Field: "Ch " + n + " Baseline", Interval: 5 * time.Second,
				Note: "PC LINK 1 only"})
		}
	}
	return ds
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// Decode reads lines until rw fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	if d.lines == nil {
		d.lines = framing.NewLines(rw, d.name, MaxLine)
	} else {
		d.lines.Reset(rw)
	}
	d.base = [Channels]int{}
	for {
		line, off, err := d.lines.Read(ctx, env.Events)
		if err != nil {
			return err // ctx's, io.EOF, or the transport's
		}
		if len(line) >= 2 && line[0] == 0xFF && line[1] == 0xFF {
			// An open reader saw two 0xFF bytes when the monitor starts.
			devices.Note(env.Events, d.notes.start)
			line, off = line[2:], off+2
			if len(line) == 0 {
				continue
			}
		}
		f, reason, field, cause := d.parse(line)
		if cause != nil {
			d.bad = devices.FrameError{Driver: d.name, Offset: off, Size: int64(len(line)), Reason: reason, Field: field, Raw: devices.RawHead(line), Err: cause}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(line))
		d.emit(env, f, env.Clock.Now())
	}
}

// emit puts the samples of the line just parsed.
func (d *Driver) emit(env devices.Env, f Format, t int64) {
	for i := range Channels {
		r := &d.ch[i]
		if r.event != 0 {
			devices.Note(env.Events, d.notes.event[i][r.event])
		}
		if r.status != 0 && d.notes.status[i][r.status] != "" {
			devices.Note(env.Events, d.notes.status[i][r.status])
		}
		id := d.ids[i]
		if id == channel.Invalid {
			if r.rso2 != 0 {
				devices.Note(env.Events, d.notes.unmapped[i])
			}
			continue
		}
		s := monitor.Sample{Time: t, Channel: id, Source: env.Source, Value: math.NaN(), Quality: channel.Unavailable}
		if r.rso2 != 0 {
			s.Value, s.Quality = float64(r.rso2), channel.OK
			switch d.status[r.status] {
			case statusQ:
				s.Quality = channel.Questionable
			case statusInvalid:
				s.Value, s.Quality = math.NaN(), channel.Unavailable
			}
			if s.Quality == channel.OK && wrongSide(id, r.label) {
				s.Quality = channel.Questionable
				devices.Note(env.Events, d.notes.label[i])
			}
			s.Quality = channel.Get(id).Classify(s.Value, s.Quality)
		}
		env.Sink.Put(s)
		if f != PCLink1 {
			continue
		}
		b := monitor.Sample{Time: t, Channel: d.bases[i], Source: env.Source, Value: math.NaN(), Quality: channel.Unavailable}
		if r.baseline != 0 && r.rso2 != 0 {
			b.Value, b.Quality = float64(r.baseline), channel.OK
			if d.base[i] != r.baseline {
				devices.Note(env.Events, d.notes.baseline[i])
				d.base[i] = r.baseline
			}
		}
		env.Sink.Put(b)
	}
}

// wrongSide reports a cerebral channel whose label names the other side:
// the device's L and R labels are the cerebral sides (operator's manual:
// "L: left cerebral, R: right cerebral").
func wrongSide(id channel.ID, label []byte) bool {
	if len(label) != 1 {
		return false
	}
	return id == channel.NIRSLeft && label[0] == 'R' || id == channel.NIRSRight && label[0] == 'L'
}

var (
	errFields   = errors.New("field count is not that of PC LINK 1 (54) or PC LINK 2 (31)")
	errSpacing  = errors.New("fields are not separated by two spaces")
	errFormat   = errors.New("a line of the other PC LINK format than the configured one")
	errVersion  = errors.New("not <major>.<minor>.<patch>.<build>/<event list>/<output format>")
	errDate     = errors.New("not MM/DD/YY")
	errTime     = errors.New("not HH:MM:SS")
	errLabel    = errors.New("not a channel label: A to Z, S1 to S4, or 0")
	errRSO2     = errors.New("not 0 (not active) or an integer 15 to 95")
	errEvent    = errors.New("not an event code: 0 to 160 or 252 to 254")
	errStatus   = errors.New("not a status code 0 to 21")
	errBaseline = errors.New("not a baseline: 0 or 15 to 95")
	errAUC      = errors.New("not an area under the curve 0 to 9999")
	errLimit    = errors.New("not an alarm limit (upper 20 to 95, lower 15 to 90, or 0)")
	errFixed    = errors.New("not the fixed backward-compatibility value (0 or 0.0000)")
	errSensor   = errors.New("not a sensor ID: 0 (no sensor) or 14 characters")
	errInactive = errors.New("channel label or sensor says not active, yet it has a value")
)

// split cuts line into fields at runs of two spaces (exact) or of spaces
// (any). It returns the number of fields, or -1 when the spacing is wrong
// or there are too many.
func (d *Driver) split(line []byte) int {
	n := 0
	for len(line) > 0 {
		if n == maxFields {
			return -1
		}
		i := 0
		for i < len(line) && !(line[i] == ' ' && (d.anySp || i+1 < len(line) && line[i+1] == ' ')) {
			i++
		}
		if i == 0 {
			return -1 // a separator at the start, or three spaces
		}
		d.fs[n] = line[:i]
		n++
		if i == len(line) {
			return n
		}
		j := i
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if !d.anySp && j-i != 2 || j == len(line) {
			return -1 // not exactly two spaces, or trailing spaces
		}
		line = line[j:]
	}
	return n
}

// parse checks one line and fills d.ch. It returns the line's format.
func (d *Driver) parse(line []byte) (Format, devices.Reason, string, error) {
	n := d.split(line)
	if n < 0 {
		return 0, devices.ReasonSyntax, "", errSpacing
	}
	var f Format
	switch {
	case n == pclink1Fields:
		f = PCLink1
	case n == pclink2Fields:
		f = PCLink2
	default:
		return 0, devices.ReasonSyntax, "", errFields
	}
	if d.format != Auto && d.format != f {
		return 0, devices.ReasonSyntax, "", errFormat
	}
	fs := d.fs[:n]
	if f == PCLink2 {
		if !isVersion(fs[0]) {
			return 0, devices.ReasonField, "Version", errVersion
		}
		fs = fs[1:]
	}
	if !isDate(fs[0]) {
		return 0, devices.ReasonField, "Date", errDate
	}
	if !isTime(fs[1]) {
		return 0, devices.ReasonField, "Time", errTime
	}
	fs = fs[2:]
	per := pclink2PerChannel
	if f == PCLink1 {
		per = pclink1PerChannel
	}
	for i := range Channels {
		if field, err := d.channel(&d.ch[i], f, fs[i*per:(i+1)*per]); err != nil {
			return 0, devices.ReasonField, channelField(i, field), err
		}
	}
	return f, 0, "", nil
}

// channelField names a field of channel i for FrameError, without
// allocating: the names are constants.
func channelField(i int, field string) string { return fieldNames[field][i] }

var fieldNames = func() map[string][Channels]string {
	m := map[string][Channels]string{}
	for _, f := range []string{"label", "rSO2", "Event", "Status", "Baseline", "AUC", "UAL", "LAL", "A", "B", "C", "Rsvd", "sensor ID"} {
		var names [Channels]string
		for i := range names {
			names[i] = "Ch " + strconv.Itoa(i+1) + " " + f
		}
		m[f] = names
	}
	return m
}()

// channel checks one channel's fields: PC LINK 1 label, rSO2, Event,
// Status, Baseline, AUC, UAL, LAL, A, B, C, Rsvd, sensor ID; PC LINK 2
// rSO2, Event, Status, A, B, Rsvd, sensor ID.
func (d *Driver) channel(r *reading, f Format, fs [][]byte) (string, error) {
	*r = reading{}
	if f == PCLink1 {
		if !isLabel(fs[0]) {
			return "label", errLabel
		}
		r.label = fs[0]
		fs = fs[1:]
	}
	var ok bool
	if r.rso2, ok = uintField(fs[0], 2); !ok || r.rso2 != 0 && (r.rso2 < MinRSO2 || r.rso2 > MaxRSO2) {
		return "rSO2", errRSO2
	}
	if r.event, ok = uintField(fs[1], 3); !ok || r.event > MaxEvent && (r.event < 252 || r.event > 254) {
		return "Event", errEvent
	}
	if r.status, ok = uintField(fs[2], 2); !ok || r.status > MaxStatus {
		return "Status", errStatus
	}
	fs = fs[3:]
	if f == PCLink1 {
		if r.baseline, ok = uintField(fs[0], 2); !ok || r.baseline != 0 && (r.baseline < MinRSO2 || r.baseline > MaxRSO2) {
			return "Baseline", errBaseline
		}
		if v, ok := uintField(fs[1], 4); !ok || v > MaxAUC {
			return "AUC", errAUC
		}
		if v, ok := uintField(fs[2], 2); !ok || v != 0 && (v < MinUAL || v > MaxUAL) {
			return "UAL", errLimit
		}
		if v, ok := uintField(fs[3], 2); !ok || v != 0 && (v < MinLAL || v > MaxLAL) {
			return "LAL", errLimit
		}
		fs = fs[4:]
	}
	if !isFixed4(fs[0]) {
		return "A", errFixed
	}
	if !isFixed4(fs[1]) {
		return "B", errFixed
	}
	fs = fs[2:]
	if f == PCLink1 {
		if string(fs[0]) != "0" {
			return "C", errFixed
		}
		fs = fs[1:]
	}
	if string(fs[0]) != "0" {
		return "Rsvd", errFixed
	}
	switch {
	case string(fs[1]) == "0":
	case len(fs[1]) == SensorIDLen && printable(fs[1]):
		r.sensor = true
	default:
		return "sensor ID", errSensor
	}
	if r.rso2 != 0 && (!r.sensor || f == PCLink1 && string(r.label) == "0") {
		return "rSO2", errInactive
	}
	return "", nil
}

// uintField reads an unsigned integer of 1 to max digits, without a
// leading zero unless it is "0".
func uintField(b []byte, max int) (int, bool) {
	if len(b) == 0 || len(b) > max || len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// isFixed4 accepts "0.0000", the format of the fields A and B (zero, kept
// for backward compatibility).
func isFixed4(b []byte) bool { return string(b) == "0.0000" }

func isLabel(b []byte) bool {
	switch len(b) {
	case 1:
		return b[0] == '0' || b[0] >= 'A' && b[0] <= 'Z'
	case 2:
		return b[0] == 'S' && b[1] >= '1' && b[1] <= '4'
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func two(b []byte) int { return int(b[0]-'0')*10 + int(b[1]-'0') }

// isDate accepts MM/DD/YY with a month 01 to 12 and a day 01 to 31.
func isDate(b []byte) bool {
	if len(b) != 8 || b[2] != '/' || b[5] != '/' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4, 6, 7} {
		if !isDigit(b[i]) {
			return false
		}
	}
	m, dd := two(b[0:2]), two(b[3:5])
	return m >= 1 && m <= 12 && dd >= 1 && dd <= 31
}

// isTime accepts HH:MM:SS, 24-hour.
func isTime(b []byte) bool {
	if len(b) != 8 || b[2] != ':' || b[5] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4, 6, 7} {
		if !isDigit(b[i]) {
			return false
		}
	}
	return two(b[0:2]) <= 23 && two(b[3:5]) <= 59 && two(b[6:8]) <= 59
}

// isVersion accepts <major>.<minor>.<patch>.<build>/<event list
// version>/<output format version>, each part 1 to 4 digits.
func isVersion(b []byte) bool {
	parts := 0
	digits := 0
	for i, c := range b {
		switch {
		case isDigit(c):
			digits++
			if digits > 4 {
				return false
			}
			continue
		case c == '.' && parts < 3, c == '/' && parts >= 3 && parts < 5:
		default:
			return false
		}
		if digits == 0 || i == len(b)-1 {
			return false
		}
		parts++
		digits = 0
	}
	return parts == 5 && digits > 0
}

func printable(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

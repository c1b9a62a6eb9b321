package cdi550

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name: ASCII mode by default (mode in the
// config chooses).
const Name = "cdi550"

// PacketName is the registry name of the same driver in packet mode, so
// that a site, `pumpside devices` and the simulator's emulation
// (`--emit cdi550-packet=...`) can name packet mode without a config file.
const PacketName = "cdi550-packet"

// MinHeaderColumns is the fewest columns a header may have: the device's
// header names every parameter it reports (about 19), so a shorter
// "header" is line noise (issue 22: "F<TAB>Q").
const MinHeaderColumns = 5

// MaxLine is the longest line accepted, in bytes: a report of 20 columns is
// about 120.
const MaxLine = 512

// MaxColumns bounds the columns of a header or data line.
const MaxColumns = 64

// RequestPacket asks the device for a report (operator's manual, appendix
// C).
const RequestPacket = "<X08Z36>"

//go:embed sample.conf
var sampleConfig string

func init() {
	devices.Register(Name, func() devices.Driver { return New() })
	devices.Register(PacketName, func() devices.Driver { return NewPacket() })
}

// DefaultColumns is the column order assumed before the first header line
// arrives, and the order the encoder writes. It is Pumpside's design, built
// from the fields an open reader shows (arterial block, then venous block,
// then Hct and Hb), and unconfirmed.
var DefaultColumns = []string{
	"Time",
	"pH", "pCO2", "pO2", "Temp", "HCO3", "BE", "SO2", "K+", "VO2", "Q", "BSA",
	"pH", "pCO2", "pO2", "Temp", "SvO2",
	"Hct", "Hb",
}

// DefaultFields maps header names to channels. A name that a header holds
// more than once is addressed as "name#2", "name#3", … for its later
// occurrences: the arterial block comes first, so "pH" is arterial and
// "pH#2" venous. VO2 and BSA are not mapped: the pipeline derives them.
func DefaultFields() map[string]string {
	return map[string]string{
		"pH": "inline.art_ph", "pCO2": "inline.art_pco2", "pO2": "inline.art_po2", "Temp": "inline.art_temp",
		"HCO3": "inline.art_hco3", "BE": "inline.art_be", "SO2": "inline.art_so2", "K+": "inline.k",
		"Q":    "pump.flow",
		"pH#2": "inline.ven_ph", "pCO2#2": "inline.ven_pco2", "pO2#2": "inline.ven_po2", "Temp#2": "inline.ven_temp",
		"SvO2": "inline.ven_so2",
		"Hct":  "inline.hct", "Hb": "inline.hb",
	}
}

// TempMode is the device's temperature display mode for blood gases.
type TempMode uint8

// The temperature modes.
const (
	// TempUnknown: no mode line seen and none configured.
	TempUnknown TempMode = iota
	// Temp37: gases displayed at 37 °C ("37C Temp Data").
	Temp37
	// TempPatient: gases displayed at the patient's (sensor) temperature
	// ("@ Temp Data").
	TempPatient
)

func (m TempMode) String() string {
	switch m {
	case Temp37:
		return "37C"
	case TempPatient:
		return "patient"
	}
	return ""
}

func parseTempMode(s string) (TempMode, error) {
	switch s {
	case "":
		return TempUnknown, nil
	case "37C":
		return Temp37, nil
	case "patient":
		return TempPatient, nil
	}
	return TempUnknown, fmt.Errorf("%q is not \"37C\", \"patient\" or \"\"", s)
}

// Duration is a time.Duration written in config as "6s", "1m".
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
	// Columns is the column order assumed until a header line arrives;
	// empty: data lines before the first header are dropped (reported as
	// bad frames, reason sequence).
	Columns []string `toml:"columns"`
	// Fields maps header names to channels; entries merge with
	// DefaultFields, and "" unmaps a name.
	Fields map[string]string `toml:"fields"`
	// Units gives the unit of a column whose values are not in its
	// channel's unit, e.g. "pCO2" = "kPa".
	Units map[string]string `toml:"units"`
	// TempMode is the temperature mode assumed until the device announces
	// one: "37C", "patient" or "" (unknown).
	TempMode string `toml:"temp_mode"`
	// RequireTempMode declares the temperature the gas channels
	// (inline.*_ph, *_pco2, *_po2) hold: "37C" (the default: the values
	// the analyser measures, the alpha-stat view; the console's pH-stat
	// display corrects them) or "patient". pH, pCO2 and pO2 are
	// "questionable" (withheld, never a number) unless the device is known
	// to display them in this mode, so values of the two modes never mix
	// on one channel. It must be declared: "" is refused.
	RequireTempMode string `toml:"require_temp_mode"`
	// RequestOnConnect sends RequestPacket when decoding starts.
	RequestOnConnect bool `toml:"request_on_connect"`
	// PollInterval is how often a caller that owns a timer should send
	// RequestPacket (devices.WithPolling); 0 never.
	PollInterval Duration `toml:"poll_interval"`
	// Mode is the device's output mode: "ascii" (tab-delimited lines) or
	// "packet" (STX ... CRC ETX packets, appendix C).
	Mode string `toml:"mode"`
	// Codes maps a packet-mode parameter code (two hex digits) to the
	// header name whose [fields] entry, [units] entry and temperature rule
	// apply to it; entries merge with DefaultCodes, "" ignores a code.
	Codes map[string]string `toml:"codes"`
	// CRCSkipSTX computes the packet CRC from the byte after STX instead
	// of from STX (the manual says "the entire packet up to the CRC";
	// whether that includes STX is unconfirmed).
	CRCSkipSTX bool `toml:"crc_skip_stx"`
}

// Mode is the device's output mode.
type Mode uint8

// The output modes.
const (
	ModeASCII Mode = iota
	ModePacket
)

func (m Mode) String() string {
	if m == ModePacket {
		return "packet"
	}
	return "ascii"
}

// DefaultCodes maps packet-mode parameter codes to header names: the
// order an open reader of the device uses (arterial pH, pCO2, pO2, Temp,
// SO2, HCO3, BE, K+, VO2; venous pH, pCO2, pO2, Temp, SO2, HCO3, BE; Hct,
// Hb). Unconfirmed by the manual; see the README.
func DefaultCodes() map[string]string {
	return map[string]string{
		"00": "pH", "01": "pCO2", "02": "pO2", "03": "Temp", "04": "SO2", "05": "HCO3", "06": "BE", "07": "K+", "08": "VO2",
		"09": "pH#2", "0A": "pCO2#2", "0B": "pO2#2", "0C": "Temp#2", "0D": "SvO2", "0E": "HCO3#2", "0F": "BE#2",
		"10": "Hct", "11": "Hb",
	}
}

// mapping is a header name's channel and unit conversion.
type mapping struct {
	id   channel.ID
	conv analyte.Conversion
}

const (
	colOpaque = iota // known to the device but not mapped: value syntax, not emitted
	colTime          // HH:MM or HH:MM:SS, checked, not used
	colChannel
)

// column is one column of the current header, or one packet code.
type column struct {
	name string // with its occurrence suffix, e.g. "pH#2"
	kind uint8
	m    mapping
	gas  bool // pH, pCO2 or pO2: shown at 37 °C or at the patient's temperature
}

// value is one decoded field.
type value struct {
	v float64
	q channel.Quality
}

// Driver decodes CDI 550 output, ASCII or packet mode.
type Driver struct {
	name     string
	cfg      Config
	mode     Mode
	fields   map[string]mapping // by lower-case header name with suffix
	known    map[string]bool    // lower-case header names the device may send
	defaults []column
	initMode TempMode
	want     TempMode

	cols      []column
	sawHeader bool     // this connection has sent a header: cols are its
	header    []byte   // the last header line adopted, kept across connections
	hdrCols   []column // its columns
	pending   []byte   // a well-formed header with unknown names, seen once
	temp      TempMode
	lines     *framing.Lines
	fs        [][]byte
	vals      []value
	bad       devices.FrameError

	// Packet mode.
	codes [256]column // by code; name "" when the code is not in [codes]
	// unmapped is the note of a code [codes] names but [fields] maps to
	// no channel (the device's VO2, venous HCO3 and BE by default).
	unmapped [256]string
	pk       *packets
	emitted  []int // codes of the current packet's values, in order

	// Encoder state: lines since the last header (ASCII), packet
	// sequence (packet mode).
	encLines int
	encSeq   uint8
}

var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
	_ devices.Poller       = (*Driver)(nil)
)

// New returns a driver with default options: ASCII mode.
func New() *Driver { return newDriver(Name, "ascii") }

// NewPacket returns a driver in packet mode, registered as PacketName.
func NewPacket() *Driver { return newDriver(PacketName, "packet") }

func newDriver(name, mode string) *Driver {
	d := &Driver{name: name, cfg: Config{Columns: slices.Clone(DefaultColumns), Fields: DefaultFields(), Units: map[string]string{},
		Mode: mode, Codes: DefaultCodes(), RequireTempMode: "37C"}}
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
	switch d.cfg.Mode {
	case "ascii", "":
		d.mode = ModeASCII
	case "packet":
		d.mode = ModePacket
	default:
		return fmt.Errorf("cdi550: mode %q is not \"ascii\" or \"packet\"", d.cfg.Mode)
	}
	if d.initMode, err = parseTempMode(d.cfg.TempMode); err != nil {
		return fmt.Errorf("cdi550: temp_mode: %w", err)
	}
	if d.want, err = parseTempMode(d.cfg.RequireTempMode); err != nil {
		return fmt.Errorf("cdi550: require_temp_mode: %w", err)
	}
	if d.want == TempUnknown {
		return fmt.Errorf("cdi550: require_temp_mode must be declared, \"37C\" or \"patient\": the temperature the gas channels hold; " +
			"values displayed at 37 °C and at the patient's temperature must never share a channel")
	}
	if d.cfg.PollInterval.Duration < 0 {
		return fmt.Errorf("cdi550: poll_interval %v is negative", d.cfg.PollInterval)
	}
	d.fields = map[string]mapping{}
	d.known = map[string]bool{"time": true}
	for _, c := range DefaultColumns {
		d.known[strings.ToLower(c)] = true
	}
	used := map[channel.ID]string{}
	for _, name := range sortedKeys(d.cfg.Fields) {
		ch := d.cfg.Fields[name]
		if !isName([]byte(baseName(name))) {
			return fmt.Errorf("cdi550: fields: %q is not a header name (a letter, then printable ASCII, optionally #N)", name)
		}
		d.known[strings.ToLower(baseName(name))] = true
		if ch == "" {
			continue
		}
		id, ok := channel.Lookup(ch)
		if !ok || channel.Get(id).Derived() {
			return fmt.Errorf("cdi550: fields.%q = %q is not a measured channel of the vocabulary", name, ch)
		}
		if prev, dup := used[id]; dup {
			return fmt.Errorf("cdi550: fields.%q and fields.%q both map to %s", prev, name, ch)
		}
		used[id] = name
		conv, ok := analyte.ConvertString(id, d.cfg.Units[name])
		if !ok {
			return fmt.Errorf("cdi550: units.%q = %q cannot be converted to %s (%s)", name, d.cfg.Units[name], ch, channel.Get(id).Unit)
		}
		key := strings.ToLower(name)
		if _, dup := d.fields[key]; dup {
			return fmt.Errorf("cdi550: fields.%q is repeated (names ignore case)", name)
		}
		d.fields[key] = mapping{id, conv}
	}
	for name := range d.cfg.Units {
		if d.cfg.Fields[name] == "" {
			return fmt.Errorf("cdi550: units.%q names no mapped field", name)
		}
	}
	if len(d.cfg.Columns) > MaxColumns {
		return fmt.Errorf("cdi550: columns has %d entries, at most %d", len(d.cfg.Columns), MaxColumns)
	}
	names := make([][]byte, len(d.cfg.Columns))
	for i, c := range d.cfg.Columns {
		if !isName([]byte(c)) {
			return fmt.Errorf("cdi550: columns[%d] = %q is not a header name", i, c)
		}
		names[i] = []byte(c)
		d.known[strings.ToLower(c)] = true
	}
	d.defaults = d.columns(names)
	if d.mode == ModeASCII && len(d.cfg.Columns) > 0 && !mapsAny(d.defaults) {
		return fmt.Errorf("cdi550: columns map no channel through fields")
	}
	if err := d.initCodes(); err != nil {
		return err
	}
	d.header, d.hdrCols, d.pending = nil, nil, nil
	return nil
}

// initCodes builds the packet-mode code table from [codes] and [fields].
func (d *Driver) initCodes() error {
	d.codes = [256]column{}
	d.unmapped = [256]string{}
	any := false
	for _, code := range sortedKeys(d.cfg.Codes) {
		name := d.cfg.Codes[code]
		c, ok := parseHex2([]byte(code))
		if !ok || len(code) != 2 {
			return fmt.Errorf("cdi550: codes: %q is not a two-digit hex code", code)
		}
		if name == "" {
			continue
		}
		if !isName([]byte(baseName(name))) {
			return fmt.Errorf("cdi550: codes.%q = %q is not a header name", code, name)
		}
		if d.codes[c].name != "" {
			return fmt.Errorf("cdi550: codes.%q is repeated (hex digits ignore case)", code)
		}
		d.codes[c] = d.column(name)
		any = any || d.codes[c].kind == colChannel
		if d.codes[c].kind == colOpaque {
			d.unmapped[c] = fmt.Sprintf("cdi550: packet parameter code %02X (%s) maps to no channel in [fields] (decoded, not emitted)", c, name)
		}
	}
	if d.mode == ModePacket && !any {
		return fmt.Errorf("cdi550: codes map no channel through fields")
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// baseName strips an occurrence suffix "#N".
func baseName(name string) string {
	if i := strings.LastIndexByte(name, '#'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// column maps one header name, with its occurrence suffix, to a column.
func (d *Driver) column(name string) column {
	c := column{name: name}
	lower := strings.ToLower(name)
	if m, ok := d.fields[lower]; ok {
		c.kind = colChannel
		c.m = m
		switch m.id {
		case channel.InlineArtPH, channel.InlineArtPCO2, channel.InlineArtPO2, channel.InlineVenPH, channel.InlineVenPCO2, channel.InlineVenPO2:
			c.gas = true
		}
	} else if lower == "time" {
		c.kind = colTime
	}
	return c
}

// columns maps header names to columns. It allocates: headers come every
// 50 lines, and an unchanged header is not mapped again.
func (d *Driver) columns(names [][]byte) []column {
	cols := make([]column, len(names))
	seen := map[string]int{}
	for i, n := range names {
		name := string(n)
		lower := strings.ToLower(name)
		seen[lower]++
		if k := seen[lower]; k > 1 {
			name += "#" + strconv.Itoa(k)
		}
		cols[i] = d.column(name)
	}
	return cols
}

func mapsAny(cols []column) bool {
	return slices.ContainsFunc(cols, func(c column) bool { return c.kind == colChannel })
}

// PollInterval implements devices.Poller: the configured poll_interval.
func (d *Driver) PollInterval() time.Duration { return d.cfg.PollInterval.Duration }

// AppendPoll implements devices.Poller: it appends RequestPacket.
func (d *Driver) AppendPoll(dst []byte) []byte { return append(dst, RequestPacket...) }

// Request writes RequestPacket to w, the stream Decode is reading, to ask
// the device for a report now. It may be called from another goroutine
// while Decode runs if w allows concurrent writers (a stream from
// devices.WithPolling does).
func (d *Driver) Request(w io.Writer) error {
	_, err := io.WriteString(w, RequestPacket)
	return err
}

// setTemp follows a mode line, and says so when the gases start or stop
// being withheld.
func (d *Driver) setTemp(m TempMode, ev devices.Events) {
	if m == d.temp {
		return
	}
	was := d.temp
	d.temp = m
	switch {
	case m != d.want:
		devices.Note(ev, d.modeNote())
	case was == TempUnknown:
		devices.Note(ev, "cdi550: the device displays gases at "+d.want.label()+", as require_temp_mode declares: pH, pCO2 and pO2 are shown")
	case was != d.want:
		devices.Note(ev, "cdi550: the device displays gases at "+d.want.label()+" again, as require_temp_mode declares: pH, pCO2 and pO2 are shown")
	}
}

// modeNote says why the gases are withheld.
func (d *Driver) modeNote() string {
	if d.temp == TempUnknown {
		return "cdi550: the device's temperature mode is not known (temp_mode not set, no mode line yet): pH, pCO2 and pO2 are " +
			"questionable until it is; set temp_mode to the mode the device is set to"
	}
	return "cdi550: the device displays gases at " + d.temp.label() + ", require_temp_mode declares " + d.want.label() +
		": pH, pCO2 and pO2 are questionable (withheld) until it displays them at " + d.want.label()
}

func (m TempMode) label() string {
	switch m {
	case Temp37:
		return "37 °C"
	case TempPatient:
		return "the patient's temperature"
	}
	return "an unknown temperature"
}

// TempMode returns the temperature mode in force for the lines being
// decoded. It is for the decoding goroutine (and tests).
func (d *Driver) TempMode() TempMode { return d.temp }

// Mode returns the configured output mode.
func (d *Driver) Mode() Mode { return d.mode }

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:      "Terumo CDI 550 in-line blood parameter monitor, ASCII mode (tab-delimited lines, header every 50)",
		Interval:     6 * time.Second,
		MaxFrame:     MaxLine,
		Port:         devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		SampleConfig: sampleConfig,
	}
	if d.mode == ModePacket {
		ds.Summary = "Terumo CDI 550 in-line blood parameter monitor, packet mode (STX ... CRC-8 ETX, appendix C)"
		ds.MaxFrame = MaxPacket
		ds.SampleConfig = strings.Replace(sampleConfig, `mode = "ascii"`, `mode = "packet"`, 1)
		for c := range d.codes {
			col := d.codes[c]
			if col.kind != colChannel {
				continue
			}
			note := "code " + hex2(uint8(c)) + " (" + col.name + "); code unconfirmed"
			if col.m.conv != analyte.Identity {
				note = "converted from " + d.cfg.Units[col.name] + "; " + note
			}
			ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: col.m.id, Field: col.name, Interval: 6 * time.Second, Note: note})
		}
		slices.SortFunc(ds.Channels, func(a, b devices.ChannelSpec) int { return int(a.ID) - int(b.ID) })
		return ds
	}
	for _, name := range sortedKeys(d.cfg.Fields) {
		m, ok := d.fields[strings.ToLower(name)]
		if !ok {
			continue
		}
		note := "header name unconfirmed"
		switch {
		case m.id == channel.PumpFlow:
			note = "when the Q column is present; " + note
		case m.conv != analyte.Identity:
			note = "converted from " + d.cfg.Units[name] + "; " + note
		}
		ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: m.id, Field: name, Interval: 6 * time.Second, Note: note})
	}
	slices.SortFunc(ds.Channels, func(a, b devices.ChannelSpec) int { return int(a.ID) - int(b.ID) })
	return ds
}

// Decode reads lines (ASCII mode) or packets (packet mode) from rw until
// it fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	d.temp = d.initMode
	if d.temp != d.want {
		devices.Note(env.Events, d.modeNote())
	}
	if d.cfg.RequestOnConnect {
		if err := d.Request(rw); err != nil {
			return err
		}
	}
	if d.mode == ModePacket {
		return d.decodePackets(ctx, rw, env)
	}
	if d.lines == nil {
		d.lines = framing.NewLines(rw, d.name, MaxLine)
		d.fs = make([][]byte, 0, MaxColumns)
		d.vals = make([]value, MaxColumns)
	} else {
		d.lines.Reset(rw)
	}
	d.cols, d.sawHeader = d.defaults, false
	for {
		line, off, err := d.lines.Read(ctx, env.Events)
		if err != nil {
			return err // ctx's, io.EOF, or the transport's
		}
		reason, field, cause := d.line(line, env.Events)
		if cause != nil {
			d.bad = devices.FrameError{Driver: d.name, Offset: off, Size: int64(len(line)), Reason: reason, Field: field, Raw: devices.RawHead(line), Err: cause}
			env.Events.FrameBad(&d.bad)
			continue
		}
		env.Events.FrameOK(off, len(line))
		if len(d.fs) > 0 {
			d.emit(env, env.Clock.Now())
		}
	}
}

var (
	errLine      = errors.New("not a data line, a header or a temperature mode line")
	errColumns   = errors.New("too many columns")
	errCount     = errors.New("field count differs from the header's")
	errNumber    = errors.New("not a number, dashes or empty as the device writes them")
	errTime      = errors.New("not HH:MM or HH:MM:SS")
	errNoHeader  = errors.New("no header yet, and no default columns")
	errUnusable  = errors.New("the last header maps no column to a channel")
	errNoMapping = errors.New("header maps no column to a channel")
	errHdrShort  = errors.New("header-shaped line with too few columns: not a header (the column map is kept)")
	errHdrNames  = errors.New("header with names the device does not send: not adopted (the column map is kept)")
	errHdrRepeat = errors.New("the device repeats a header with unknown names: data dropped until a header of known names (add the names to [fields])")
)

// line decodes one line. On success d.fs holds the fields of a data line
// (parsed into d.vals), or is empty for a header or mode line.
func (d *Driver) line(line []byte, ev devices.Events) (devices.Reason, string, error) {
	d.fs = d.fs[:0]
	if bytes.IndexByte(line, '\t') < 0 {
		switch string(bytes.TrimSpace(line)) {
		case "@ Temp Data":
			d.setTemp(TempPatient, ev)
			return 0, "", nil
		case "37C Temp Data":
			d.setTemp(Temp37, ev)
			return 0, "", nil
		}
		return devices.ReasonSyntax, "", errLine
	}
	fs := d.fs
	for {
		if len(fs) == MaxColumns {
			return devices.ReasonSyntax, "", errColumns
		}
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			fs = append(fs, line) // after a trailing tab: an empty last field
			break
		}
		fs = append(fs, line[:i])
		line = line[i+1:]
	}
	if headerShaped(fs) {
		return d.headerLine(fs, ev)
	}
	switch {
	case len(d.cols) == 0 && !d.sawHeader:
		return devices.ReasonSequence, "", errNoHeader
	case !mapsAny(d.cols):
		return devices.ReasonSequence, "", errUnusable
	case len(fs) != len(d.cols):
		return devices.ReasonSyntax, "", errCount
	}
	for i, f := range fs {
		c := &d.cols[i]
		if c.kind == colTime {
			if !isClock(f) {
				return devices.ReasonField, c.name, errTime
			}
			continue
		}
		v, ok := parseValue(f)
		if !ok {
			return devices.ReasonField, c.name, errNumber
		}
		if c.kind == colChannel {
			if v.q == channel.OK {
				v.v = c.m.conv.Apply(v.v)
			}
			d.vals[i] = v
		}
	}
	d.fs = fs
	return 0, "", nil
}

// headerLine decides whether a header-shaped line is the device's header.
// Only a header of names the device sends ([fields], columns and the
// default column names), with at least MinHeaderColumns columns, replaces
// the column map: line noise that happens to look like a header ("F<TAB>Q")
// never does. A well-formed header with unknown names is refused; if the
// device sends the same one again (it repeats its header every 50 lines,
// noise does not repeat), the old map no longer describes the data: data
// lines are then dropped until a header of known names arrives.
func (d *Driver) headerLine(fs [][]byte, ev devices.Events) (devices.Reason, string, error) {
	if len(fs) < MinHeaderColumns {
		return devices.ReasonField, "header", errHdrShort
	}
	for _, f := range fs {
		if !d.isKnown(f) {
			if d.pending != nil && sameHeader(d.pending, fs) {
				d.cols, d.sawHeader = nil, true
				devices.Note(ev, "cdi550: the device repeats a header with names not in [fields]; data dropped until a known header")
				return devices.ReasonField, "header", errHdrRepeat
			}
			d.pending = bytes.Join(fs, []byte{'\t'})
			return devices.ReasonField, "header", errHdrNames
		}
	}
	d.pending = nil
	return d.adopt(fs)
}

// isKnown reports whether f, in any case, is a name the device sends. The
// lower-case copy lives on the stack and the map lookup converts it without
// allocating.
func (d *Driver) isKnown(f []byte) bool {
	var buf [64]byte
	if len(f) > len(buf) {
		return false
	}
	for i, c := range f {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return d.known[string(buf[:len(f)])]
}

// adopt makes a header line the current column map.
func (d *Driver) adopt(fs [][]byte) (devices.Reason, string, error) {
	if d.header == nil || !sameHeader(d.header, fs) {
		d.header = bytes.Join(fs, []byte{'\t'})
		d.hdrCols = d.columns(fs)
	}
	d.cols, d.sawHeader = d.hdrCols, true
	if !mapsAny(d.cols) {
		return devices.ReasonField, "header", errNoMapping
	}
	return 0, "", nil
}

func sameHeader(h []byte, fs [][]byte) bool {
	for i, f := range fs {
		if i > 0 {
			if len(h) == 0 || h[0] != '\t' {
				return false
			}
			h = h[1:]
		}
		if !bytes.HasPrefix(h, f) {
			return false
		}
		h = h[len(f):]
	}
	return len(h) == 0
}

func (d *Driver) emit(env devices.Env, t int64) {
	for i := range d.fs {
		c := &d.cols[i]
		if c.kind != colChannel {
			continue
		}
		d.put(env, t, c, d.vals[i])
	}
}

// put emits one value of column c, applying the temperature rule.
func (d *Driver) put(env devices.Env, t int64, c *column, v value) {
	q := v.q
	if q == channel.OK && c.gas && d.temp != d.want {
		q = channel.Questionable
	}
	env.Sink.Put(monitor.Sample{Time: t, Channel: c.m.id, Source: env.Source, Value: v.v, Quality: channel.Get(c.m.id).Classify(v.v, q)})
}

// headerShaped reports whether every field is a name: at least two fields,
// each starting with a letter. A data line always holds numbers, dashes,
// empty fields or a time.
func headerShaped(fs [][]byte) bool {
	if len(fs) < 2 {
		return false
	}
	for _, f := range fs {
		if !isName(f) {
			return false
		}
	}
	return true
}

func isName(b []byte) bool {
	if len(b) == 0 || !(b[0] >= 'A' && b[0] <= 'Z' || b[0] >= 'a' && b[0] <= 'z') {
		return false
	}
	return printable(b)
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// MaxValueWidth is the widest value field: "-1234.5", "---.--".
const MaxValueWidth = 7

// parseValue reads one value field as the device writes it (appendix C):
// empty (not available), dashes (outside the range set on the device:
// "---", "--.-", "-.--") or a decimal number with an optional minus sign,
// 1 to 4 integer digits and 0 to 3 decimals, at most MaxValueWidth
// characters. Anything else (a plus sign, a lone dot, a space, a comma,
// an exponent, a lone "-") is not the device's syntax.
func parseValue(b []byte) (value, bool) {
	if len(b) == 0 {
		return value{v: math.NaN(), q: channel.Unavailable}, true
	}
	if len(b) > MaxValueWidth {
		return value{}, false
	}
	if n, dots, ok := dashForm(b); ok {
		if n < 2 || dots > 1 {
			return value{}, false
		}
		// The device prints dashes for a value outside its measuring
		// range (manual, appendix C).
		return value{v: math.NaN(), q: channel.OutOfRange}, true
	}
	digits := b
	if digits[0] == '-' {
		digits = digits[1:]
	}
	intPart, frac, hasDot := bytes.Cut(digits, []byte{'.'})
	if len(intPart) < 1 || len(intPart) > 4 || !allDigits(intPart) || (hasDot && (len(frac) < 1 || len(frac) > 3 || !allDigits(frac))) {
		return value{}, false
	}
	v, ok := framing.ParseDecimal(b)
	if !ok {
		return value{}, false
	}
	return value{v: v, q: channel.OK}, true
}

// dashForm reports whether b holds only dashes and dots, and how many of
// each.
func dashForm(b []byte) (dashes, dots int, ok bool) {
	for _, c := range b {
		switch c {
		case '-':
			dashes++
		case '.':
			dots++
		default:
			return 0, 0, false
		}
	}
	return dashes, dots, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isClock accepts HH:MM and HH:MM:SS.
func isClock(b []byte) bool {
	two := func(b []byte, hi int) bool {
		return b[0] >= '0' && b[0] <= '9' && b[1] >= '0' && b[1] <= '9' && int(b[0]-'0')*10+int(b[1]-'0') <= hi
	}
	switch len(b) {
	case 5:
		return two(b[0:2], 23) && b[2] == ':' && two(b[3:5], 59)
	case 8:
		return two(b[0:2], 23) && b[2] == ':' && two(b[3:5], 59) && b[5] == ':' && two(b[6:8], 60)
	}
	return false
}

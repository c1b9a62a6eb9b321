package generic

import (
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Config describes a device's protocol. A config file describes it
// completely: nothing is inherited from the built-in default (the
// simulator's pump format).
type Config struct {
	// Summary is what `pumpside devices` says about the device.
	Summary string `toml:"summary"`
	// Interval is the nominal time between frames, for the watchdog.
	Interval Duration `toml:"interval"`
	// MaxFrame is the longest frame in bytes, terminator excluded.
	MaxFrame int      `toml:"max_frame"`
	Port     Port     `toml:"port"`
	Framing  Framing  `toml:"framing"`
	Checksum Checksum `toml:"checksum"`
	Parse    Parse    `toml:"parse"`
	Poll     Poll     `toml:"poll"`
	Fields   []Field  `toml:"field"`
}

// Port holds the device's serial settings, for `pumpside devices`.
type Port struct {
	Baud     int    `toml:"baud"`
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`
	StopBits string `toml:"stop_bits"`
	Flow     string `toml:"flow"`
}

// Framing says where frames begin and end.
type Framing struct {
	// Type is "line" (frames end with Terminator) or "stx_etx" (frames
	// run from Start to End).
	Type string `toml:"type"`
	// Terminator ends a line; "" means CR, LF or CR LF (empty lines are
	// skipped). Written with TOML escapes, e.g. "\r\n".
	Terminator string `toml:"terminator"`
	// Start, End and Escape are single bytes in hex, e.g. "02", "03",
	// "10". After Escape the next byte is data, XORed with EscapeXOR.
	Start     string `toml:"start"`
	End       string `toml:"end"`
	Escape    string `toml:"escape"`
	EscapeXOR string `toml:"escape_xor"`
}

// Checksum says how frames are checked.
type Checksum struct {
	// Type is none, sum8, xor8, crc16-ccitt-false, crc16-xmodem,
	// crc16-modbus or crc16-kermit.
	Type string `toml:"type"`
	// Encoding is "hex" (ASCII hex digits, either case) or "binary".
	Encoding string `toml:"encoding"`
	// ByteOrder of a binary or hex 16-bit check: "big" or "little".
	ByteOrder string `toml:"byte_order"`
	// Separator is text between the data and the check, e.g. "*".
	Separator string `toml:"separator"`
	// Position is "end" (the check is the last bytes of the frame) or
	// "after_end" (stx_etx: the check follows the end byte).
	Position string `toml:"position"`
	// Skip is how many bytes at the start of the frame the check does not
	// cover.
	Skip int `toml:"skip"`
	// IncludeStart and IncludeEnd add the start and end bytes (stx_etx)
	// to what the check covers.
	IncludeStart bool `toml:"include_start"`
	IncludeEnd   bool `toml:"include_end"`
}

// Parse says how a frame's data is split into fields.
type Parse struct {
	// Type is "keyvalue", "delimited" or "regex".
	Type string `toml:"type"`
	// Prefix is text every frame starts with; it is checked and skipped.
	Prefix string `toml:"prefix"`
	// Delimiter separates fields (keyvalue, delimited), e.g. ";", "\t".
	Delimiter string `toml:"delimiter"`
	// Separator separates a key from its value (keyvalue), e.g. "=".
	Separator string `toml:"separator"`
	// UnknownKeys is "ignore" (default) or "error" (keyvalue).
	UnknownKeys string `toml:"unknown_keys"`
	// Header: a frame whose fields all start with a letter names the
	// columns (delimited); fields are then found by name.
	Header bool `toml:"header"`
	// Count is the exact number of fields of a delimited frame; 0 checks
	// only that every configured column is there.
	Count int `toml:"count"`
	// Pattern is a regular expression (Go syntax) whose named groups are
	// the fields (regex). Anchor it with ^ and $ to match whole frames.
	Pattern string `toml:"pattern"`
	// Missing lists the values that mean "no value" (unavailable).
	Missing []string `toml:"missing"`
	// OutOfRange lists the values that mean the device's own "out of
	// range" (out_of_range).
	OutOfRange []string `toml:"out_of_range"`
	// DecimalComma reads "4,52" as 4.52.
	DecimalComma bool `toml:"decimal_comma"`
}

// Poll describes request bytes the device needs to send data.
type Poll struct {
	// Bytes in hex, e.g. "05" or "3F 0D"; "" sends nothing.
	Bytes string `toml:"bytes"`
	// OnConnect sends Bytes when decoding starts.
	OnConnect bool `toml:"on_connect"`
	// Interval is how often a caller that owns a timer should send Bytes
	// (devices.WithPolling); 0 never.
	Interval Duration `toml:"interval"`
}

// Field maps one field of the frame to a channel: value = raw × Scale +
// Offset, in Unit, converted to the channel's unit.
type Field struct {
	// Name is the key (keyvalue), the header name (delimited with a
	// header) or the group name (regex).
	Name string `toml:"name"`
	// Column is the field's 1-based position (delimited without a header,
	// or before the first header).
	Column  int    `toml:"column"`
	Channel string `toml:"channel"`
	// Scale multiplies the raw value; 0 means 1.
	Scale  float64 `toml:"scale"`
	Offset float64 `toml:"offset"`
	// Unit of the value after scale and offset; "" is the channel's own.
	Unit string `toml:"unit"`
	// Optional fields may be absent from a frame; others make it bad.
	Optional bool `toml:"optional"`
	// Decimals the encoder writes; absent: the channel's precision.
	Decimals *int `toml:"decimals"`
}

// Duration is a time.Duration written as "1s", "500ms".
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

// baseline is what a config file starts from: the neutral value of every
// option.
func baseline() Config {
	return Config{
		Interval: Duration{time.Second},
		MaxFrame: 256,
		Framing:  Framing{Type: "line"},
		Checksum: Checksum{Type: "none", Encoding: "hex", ByteOrder: "big", Position: "end"},
		Parse:    Parse{UnknownKeys: "ignore"},
	}
}

// MaxFrameLimit bounds max_frame.
const MaxFrameLimit = 64 << 10

// MaxFields bounds the fields of a config and the columns of a frame.
const MaxFields = 128

// compiled is a validated Config.
type compiled struct {
	line                 bool
	term                 []byte
	start, end, esc, xor byte
	hasEsc               bool
	check                *Check
	hexCheck             bool
	little               bool
	sep                  []byte
	afterEnd             bool
	skip                 int
	inclStart, inclEnd   bool
	kind                 int // parseKeyValue, parseDelimited, parseRegex
	prefix, delim, kvSep []byte
	strictKeys           bool
	header               bool
	re                   *regexp.Regexp
	groups               []int // regex: field index -> submatch index
	missing, oor         [][]byte
	poll                 []byte
	fields               []field
	maxColumn            int
}

const (
	parseKeyValue = iota
	parseDelimited
	parseRegex
)

type field struct {
	name     []byte
	column   int // 0-based; -1 none
	id       channel.ID
	scale    float64
	offset   float64
	conv     analyte.Conversion
	optional bool
	decimals int
}

func parseByte(what, s string) (byte, error) {
	b, err := hexBytes(s)
	if err != nil || len(b) != 1 {
		return 0, fmt.Errorf("%s = %q is not one byte in hex, e.g. \"02\"", what, s)
	}
	return b[0], nil
}

func hexBytes(s string) ([]byte, error) {
	return hex.DecodeString(strings.ReplaceAll(s, " ", ""))
}

// compile validates c. Errors name the option.
func compile(c *Config) (*compiled, error) {
	k := &compiled{}
	if c.MaxFrame < 1 || c.MaxFrame > MaxFrameLimit {
		return nil, fmt.Errorf("max_frame = %d is not 1 to %d", c.MaxFrame, MaxFrameLimit)
	}
	if c.Interval.Duration < 0 {
		return nil, fmt.Errorf("interval = %v is negative", c.Interval)
	}
	switch c.Port.Parity {
	case "", "none", "odd", "even", "mark", "space":
	default:
		return nil, fmt.Errorf("port.parity = %q is not none, odd, even, mark or space", c.Port.Parity)
	}

	f := &c.Framing
	switch f.Type {
	case "line":
		k.line = true
		if len(f.Terminator) > 8 {
			return nil, fmt.Errorf("framing.terminator %q is longer than 8 bytes", f.Terminator)
		}
		k.term = []byte(f.Terminator)
		if f.Start != "" || f.End != "" || f.Escape != "" {
			return nil, fmt.Errorf("framing.start, end and escape are for type \"stx_etx\"")
		}
	case "stx_etx":
		var err error
		if k.start, err = parseByte("framing.start", f.Start); err != nil {
			return nil, err
		}
		if k.end, err = parseByte("framing.end", f.End); err != nil {
			return nil, err
		}
		if k.start == k.end {
			return nil, fmt.Errorf("framing.start and framing.end are the same byte")
		}
		if f.Escape != "" {
			if k.esc, err = parseByte("framing.escape", f.Escape); err != nil {
				return nil, err
			}
			if k.esc == k.start || k.esc == k.end {
				return nil, fmt.Errorf("framing.escape is the start or end byte")
			}
			k.hasEsc = true
		}
		if f.EscapeXOR != "" {
			if k.xor, err = parseByte("framing.escape_xor", f.EscapeXOR); err != nil {
				return nil, err
			}
			if !k.hasEsc {
				return nil, fmt.Errorf("framing.escape_xor needs framing.escape")
			}
		}
		if f.Terminator != "" {
			return nil, fmt.Errorf("framing.terminator is for type \"line\"")
		}
	default:
		return nil, fmt.Errorf("framing.type = %q is not \"line\" or \"stx_etx\"", f.Type)
	}

	ck := &c.Checksum
	if ck.Type != "none" && ck.Type != "" {
		var err error
		if k.check, err = lookupCheck(ck.Type); err != nil {
			return nil, fmt.Errorf("checksum.type = %w", err)
		}
		switch ck.Encoding {
		case "hex":
			k.hexCheck = true
		case "binary":
			if k.line {
				return nil, fmt.Errorf("checksum.encoding = \"binary\" needs framing.type = \"stx_etx\": a binary check can hold a line terminator")
			}
		default:
			return nil, fmt.Errorf("checksum.encoding = %q is not \"hex\" or \"binary\"", ck.Encoding)
		}
		switch ck.ByteOrder {
		case "big", "":
		case "little":
			k.little = true
		default:
			return nil, fmt.Errorf("checksum.byte_order = %q is not \"big\" or \"little\"", ck.ByteOrder)
		}
		switch ck.Position {
		case "end", "":
		case "after_end":
			if k.line {
				return nil, fmt.Errorf("checksum.position = \"after_end\" needs framing.type = \"stx_etx\"")
			}
			k.afterEnd = true
		default:
			return nil, fmt.Errorf("checksum.position = %q is not \"end\" or \"after_end\"", ck.Position)
		}
		if ck.Skip < 0 || ck.Skip >= c.MaxFrame {
			return nil, fmt.Errorf("checksum.skip = %d is not 0 to max_frame-1", ck.Skip)
		}
		if (ck.IncludeStart || ck.IncludeEnd) && k.line {
			return nil, fmt.Errorf("checksum.include_start and include_end need framing.type = \"stx_etx\"")
		}
		if ck.IncludeEnd && !k.afterEnd {
			return nil, fmt.Errorf("checksum.include_end needs checksum.position = \"after_end\"")
		}
		k.sep, k.skip, k.inclStart, k.inclEnd = []byte(ck.Separator), ck.Skip, ck.IncludeStart, ck.IncludeEnd
		if k.afterEnd && len(k.sep) > 0 {
			return nil, fmt.Errorf("checksum.separator is for position \"end\"")
		}
	} else if ck.Separator != "" || ck.Skip != 0 || ck.IncludeStart || ck.IncludeEnd {
		return nil, fmt.Errorf("checksum options given with checksum.type = \"none\"")
	}

	p := &c.Parse
	k.prefix, k.delim, k.kvSep = []byte(p.Prefix), []byte(p.Delimiter), []byte(p.Separator)
	switch p.Type {
	case "keyvalue":
		k.kind = parseKeyValue
		if p.Delimiter == "" || p.Separator == "" {
			return nil, fmt.Errorf("parse.type = \"keyvalue\" needs parse.delimiter and parse.separator")
		}
		if strings.Contains(p.Delimiter, p.Separator) || strings.Contains(p.Separator, p.Delimiter) {
			return nil, fmt.Errorf("parse.delimiter and parse.separator overlap")
		}
		switch p.UnknownKeys {
		case "ignore", "":
		case "error":
			k.strictKeys = true
		default:
			return nil, fmt.Errorf("parse.unknown_keys = %q is not \"ignore\" or \"error\"", p.UnknownKeys)
		}
	case "delimited":
		k.kind = parseDelimited
		if p.Delimiter == "" {
			return nil, fmt.Errorf("parse.type = \"delimited\" needs parse.delimiter")
		}
		if p.Count < 0 || p.Count > MaxFields {
			return nil, fmt.Errorf("parse.count = %d is not 0 to %d", p.Count, MaxFields)
		}
	case "regex":
		k.kind = parseRegex
		var err error
		if k.re, err = regexp.Compile(p.Pattern); err != nil {
			return nil, fmt.Errorf("parse.pattern: %w", err)
		}
	default:
		return nil, fmt.Errorf("parse.type = %q is not \"keyvalue\", \"delimited\" or \"regex\"", p.Type)
	}
	k.header = p.Header
	if p.Header && k.kind != parseDelimited {
		return nil, fmt.Errorf("parse.header is for parse.type = \"delimited\"")
	}
	if p.Count != 0 && k.kind != parseDelimited {
		return nil, fmt.Errorf("parse.count is for parse.type = \"delimited\"")
	}
	if p.Pattern != "" && k.kind != parseRegex {
		return nil, fmt.Errorf("parse.pattern is for parse.type = \"regex\"")
	}
	for _, m := range p.Missing {
		k.missing = append(k.missing, []byte(m))
	}
	for i, m := range p.OutOfRange {
		if m == "" {
			return nil, fmt.Errorf("parse.out_of_range[%d] is empty", i)
		}
		for _, n := range p.Missing {
			if n == m {
				return nil, fmt.Errorf("parse.out_of_range[%d] = %q is also in parse.missing", i, m)
			}
		}
		k.oor = append(k.oor, []byte(m))
	}

	if c.Poll.Bytes != "" {
		var err error
		if k.poll, err = hexBytes(c.Poll.Bytes); err != nil || len(k.poll) == 0 {
			return nil, fmt.Errorf("poll.bytes = %q is not hex bytes, e.g. \"05\" or \"3F 0D\"", c.Poll.Bytes)
		}
	}
	if c.Poll.Interval.Duration < 0 {
		return nil, fmt.Errorf("poll.interval = %v is negative", c.Poll.Interval)
	}
	if (c.Poll.OnConnect || c.Poll.Interval.Duration > 0) && k.poll == nil {
		return nil, fmt.Errorf("poll.on_connect and poll.interval need poll.bytes")
	}

	if len(c.Fields) == 0 {
		return nil, fmt.Errorf("no [[field]]: the device would emit nothing")
	}
	if len(c.Fields) > MaxFields {
		return nil, fmt.Errorf("%d fields, at most %d", len(c.Fields), MaxFields)
	}
	names := map[string]bool{}
	ids := map[channel.ID]int{}
	cols := map[int]int{}
	for i, fc := range c.Fields {
		at := func(opt string) string { return fmt.Sprintf("field[%d].%s", i, opt) }
		fd := field{name: []byte(fc.Name), column: fc.Column - 1, scale: fc.Scale, offset: fc.Offset, optional: fc.Optional}
		switch {
		case k.kind == parseDelimited && !p.Header && fc.Column < 1:
			return nil, fmt.Errorf("%s = %d: a delimited frame without a header needs columns from 1", at("column"), fc.Column)
		case fc.Column < 0 || fc.Column > MaxFields:
			return nil, fmt.Errorf("%s = %d is not 1 to %d", at("column"), fc.Column, MaxFields)
		case fc.Column != 0 && k.kind != parseDelimited:
			return nil, fmt.Errorf("%s is for parse.type = \"delimited\"", at("column"))
		case fc.Name == "" && (k.kind != parseDelimited || p.Header):
			return nil, fmt.Errorf("%s is empty", at("name"))
		case fc.Name != "" && names[fc.Name]:
			return nil, fmt.Errorf("%s = %q is repeated", at("name"), fc.Name)
		}
		if fc.Column > 0 {
			if j, dup := cols[fc.Column]; dup {
				return nil, fmt.Errorf("%s = %d is also field[%d]'s", at("column"), fc.Column, j)
			}
			cols[fc.Column] = i
			k.maxColumn = max(k.maxColumn, fc.Column)
		}
		if k.kind == parseDelimited && p.Header && fc.Name != "" && !isName([]byte(fc.Name)) {
			return nil, fmt.Errorf("%s = %q cannot be a header name: it must start with a letter", at("name"), fc.Name)
		}
		if k.kind == parseKeyValue && (strings.Contains(fc.Name, p.Delimiter) || strings.Contains(fc.Name, p.Separator)) {
			return nil, fmt.Errorf("%s = %q holds the delimiter or the separator", at("name"), fc.Name)
		}
		names[fc.Name] = true
		id, ok := channel.Lookup(fc.Channel)
		if !ok || channel.Get(id).Derived() {
			return nil, fmt.Errorf("%s = %q is not a measured channel of the vocabulary", at("channel"), fc.Channel)
		}
		if j, dup := ids[id]; dup {
			return nil, fmt.Errorf("%s = %q is also field[%d]'s", at("channel"), fc.Channel, j)
		}
		ids[id] = i
		fd.id = id
		if fd.scale == 0 {
			fd.scale = 1
		}
		if math.IsNaN(fd.scale) || math.IsInf(fd.scale, 0) || math.IsNaN(fd.offset) || math.IsInf(fd.offset, 0) {
			return nil, fmt.Errorf("%s: scale and offset must be finite", at("scale"))
		}
		if fd.conv, ok = analyte.ConvertString(id, fc.Unit); !ok {
			return nil, fmt.Errorf("%s = %q cannot be converted to %s (%s)", at("unit"), fc.Unit, fc.Channel, channel.Get(id).Unit)
		}
		fd.decimals = channel.Get(id).Precision
		if fc.Decimals != nil {
			if *fc.Decimals < -1 || *fc.Decimals > 9 {
				return nil, fmt.Errorf("%s = %d is not -1 (shortest exact) to 9", at("decimals"), *fc.Decimals)
			}
			fd.decimals = *fc.Decimals
		}
		if k.kind == parseRegex {
			g := k.re.SubexpIndex(fc.Name)
			if g < 0 {
				return nil, fmt.Errorf("%s = %q is not a named group of parse.pattern", at("name"), fc.Name)
			}
			k.groups = append(k.groups, g)
		}
		k.fields = append(k.fields, fd)
	}
	if p.Count != 0 && k.maxColumn > p.Count {
		return nil, fmt.Errorf("parse.count = %d is less than column %d", p.Count, k.maxColumn)
	}
	return k, nil
}

// portSettings converts the config's port to the Description's.
func (p Port) settings() devices.PortSettings {
	return devices.PortSettings{Baud: p.Baud, DataBits: p.DataBits, Parity: p.Parity, StopBits: p.StopBits, Flow: p.Flow}
}

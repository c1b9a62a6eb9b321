package astm

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "astm"

// MaxRecord bounds one record joined from intermediate (ETB) frames and
// end frame; a longer record is dropped and reported as oversize.
const MaxRecord = 8192

// MaxResults bounds the results kept for one message, and MaxOrders its
// orders; further ones are reported and dropped.
const (
	MaxResults = 128
	MaxOrders  = 32
)

// maxArena bounds the bytes a message's orders keep (specimen
// descriptions and codes); longer ones are cut.
const maxArena = 2048

// maxAhead is how far a record's time may lie after the receive time before
// it is taken to be a wrong analyser clock and the receive time used.
const maxAhead = int64(10 * time.Minute)

//go:embed sample.conf
var sampleConfig string

func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// DefaultTests are the test codes mapped out of the box: the spellings of
// Radiometer ABL, Werfen GEM Premier, Siemens epoc (through its data
// manager) and Nova analysers seen in public interface documents and
// example messages (unconfirmed per model: check the codes of the
// analyser on site and add them in the config). Radiometer's sO2 comes as
// a fraction without a unit; a unit in the message wins.
var DefaultTests = []analyte.Test{
	{Code: "pH", Analyte: "ph"},
	{Code: "pCO2", Analyte: "pco2"}, {Code: "PCO2", Analyte: "pco2"},
	{Code: "pO2", Analyte: "po2"}, {Code: "PO2", Analyte: "po2"},
	{Code: "sO2", Analyte: "so2", Unit: "fraction"}, {Code: "SO2", Analyte: "so2"}, {Code: "SO2c", Analyte: "so2"}, {Code: "O2SAT", Analyte: "so2"},
	{Code: "SaO2", Analyte: "so2", Site: "arterial"}, {Code: "SvO2", Analyte: "so2", Site: "venous"},
	{Code: "ctHb", Analyte: "hb"}, {Code: "tHb", Analyte: "hb"}, {Code: "THb", Analyte: "hb"}, {Code: "Hb", Analyte: "hb"}, {Code: "cHgb", Analyte: "hb"},
	{Code: "Hct", Analyte: "hct"}, {Code: "HCT", Analyte: "hct"},
	{Code: "K+", Analyte: "k"}, {Code: "cK+", Analyte: "k"}, {Code: "K", Analyte: "k"},
	{Code: "Na+", Analyte: "na"}, {Code: "cNa+", Analyte: "na"}, {Code: "Na", Analyte: "na"},
	{Code: "Ca++", Analyte: "ica"}, {Code: "Ca2+", Analyte: "ica"}, {Code: "cCa2+", Analyte: "ica"}, {Code: "iCa", Analyte: "ica"},
	{Code: "Glu", Analyte: "glucose"}, {Code: "cGlu", Analyte: "glucose"}, {Code: "GLU", Analyte: "glucose"}, {Code: "Glucose", Analyte: "glucose"},
	{Code: "Lac", Analyte: "lactate"}, {Code: "cLac", Analyte: "lactate"}, {Code: "LAC", Analyte: "lactate"}, {Code: "Lactate", Analyte: "lactate"}, {Code: "Lact", Analyte: "lactate"},
	{Code: "BE", Analyte: "be"}, {Code: "BEecf", Analyte: "be"}, {Code: "BE(ecf)", Analyte: "be"}, {Code: "cBase(Ecf)", Analyte: "be"}, {Code: "SBE", Analyte: "be"},
	{Code: "HCO3", Analyte: "hco3"}, {Code: "HCO3-", Analyte: "hco3"}, {Code: "cHCO3-", Analyte: "hco3"}, {Code: "cHCO3-(P)", Analyte: "hco3"}, {Code: "HCO3-act", Analyte: "hco3"},
}

// DefaultSpecimenTests are result codes whose value is the specimen
// description: the Siemens epoc data manager sends the sample type as a
// result, "Sample type" (unconfirmed for other versions).
var DefaultSpecimenTests = []string{"Sample type"}

// Config holds the driver's options (sample.conf).
type Config struct {
	// TimeZone of the analyser's clock, an IANA name or "Local" (the
	// machine's zone, the default) or "UTC". E1394 times carry no zone.
	TimeZone string `toml:"time_zone"`
	// Time chooses the sample time: "collection" (O.8, else the result's
	// time, else receive time; the default), "result" (R.13 test
	// completed, else R.12 started, else receive time) or "receive".
	Time string `toml:"time"`
	// CodeComponent is the component of R.3 (universal test ID) holding the
	// analyser's test code: 4, the manufacturer's local code, by default.
	CodeComponent int `toml:"code_component"`
	// DefaultTests adds DefaultTests after Tests (codes in Tests win).
	DefaultTests bool `toml:"default_tests"`
	// Tests maps the analyser's test codes to channels.
	Tests []analyte.Test `toml:"tests"`
	// Sites tells the site of a sample from its specimen description
	// (O.16, the specimen descriptor, type^source), and holds the site's
	// default and override.
	Sites analyte.Sites `toml:"sites"`
	// Panels maps order codes (O.5, the universal test ID, in
	// code_component) to the site they name.
	Panels []analyte.Panel `toml:"panels"`
	// SpecimenTests are result codes whose value is the specimen
	// description, read after O.16 (DefaultSpecimenTests).
	SpecimenTests []string `toml:"specimen_tests"`
}

// Driver receives ASTM E1381 transfers and decodes their E1394 messages.
type Driver struct {
	// ReplyTimeout, if set, replaces the standard's 15 s reply timer in
	// Converse (tests).
	ReplyTimeout time.Duration

	cfg    Config
	table  *analyte.Table
	loc    *time.Location
	sites  analyte.Sites
	panels *analyte.Panels

	rx    *Receiver
	rw    io.ReadWriter
	env   devices.Env
	werr  error
	reply [1]byte
	buf   [4096]byte

	// The record being joined from frames.
	rec      []byte
	recOff   int64 // stream offset of the record's first byte
	recLost  bool
	frameOff int64 // STX of the frame being handled
	scratch  []byte

	// The message (H ... L) being received.
	inMsg   bool
	msgOff  int64
	delims  Delimiters
	orders  []order
	results []result
	// arena holds the bytes orders keep from their records until the L
	// record: their specimen descriptions and codes.
	arena []byte
	// Inference, per order at the L record.
	parts    [3]analyte.Part
	panel    [1]analyte.Part
	siblings []*analyte.Entry
	noter    devices.Noter
	note     []byte

	// The transfer.
	sessOff   int64
	sessClean bool
	lastBad   int64
	bad       devices.FrameError
}

// order is an O record: what it says of the specimen, its time.
type order struct {
	specType, specSource []byte // O.16 components, in arena
	sampleType           []byte // a specimen test's value, in arena
	code                 []byte // O.5 in code_component, in arena
	time                 int64
	bad                  bool // broke the syntax: its results are not used
}

// result is an R record that decoded, waiting for the L record and the
// site of its order.
type result struct {
	e     *analyte.Entry
	order int
	v     float64
	q     channel.Quality
	conv  analyte.Conversion
	rt    int64 // the record's own time (R.13, else R.12); 0 if none
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
	d := &Driver{cfg: Config{TimeZone: "Local", Time: "collection", CodeComponent: 4, DefaultTests: true, Sites: analyte.DefaultSites(),
		SpecimenTests: append([]string(nil), DefaultSpecimenTests...)}}
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
	if d.loc, err = time.LoadLocation(d.cfg.TimeZone); err != nil {
		return fmt.Errorf("astm: time_zone: %w", err)
	}
	switch d.cfg.Time {
	case "collection", "result", "receive":
	default:
		return fmt.Errorf("astm: time = %q: want collection, result or receive", d.cfg.Time)
	}
	if d.cfg.CodeComponent < 1 || d.cfg.CodeComponent > 9 {
		return fmt.Errorf("astm: code_component = %d: want 1 to 9", d.cfg.CodeComponent)
	}
	tests := d.cfg.Tests
	if d.cfg.DefaultTests {
		tests = analyte.WithDefaults(tests, DefaultTests)
	}
	if d.table, err = analyte.NewTable(tests, "tests"); err != nil {
		return fmt.Errorf("astm: %w", err)
	}
	d.sites = d.cfg.Sites
	if err := d.sites.Init("sites"); err != nil {
		return fmt.Errorf("astm: %w", err)
	}
	if d.panels, err = analyte.NewPanels(d.cfg.Panels, "panels"); err != nil {
		return fmt.Errorf("astm: %w", err)
	}
	for i, c := range d.cfg.SpecimenTests {
		if c == "" {
			return fmt.Errorf("astm: specimen_tests[%d] is empty", i)
		}
		if _, mapped := d.table.Lookup([]byte(c)); mapped {
			return fmt.Errorf("astm: specimen_tests[%d] = %q is also a test code", i, c)
		}
	}
	return nil
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	return devices.Description{
		Summary:      "ASTM E1381/LIS01-A2 receiver with E1394/LIS02-A2 records: blood-gas analysers (Radiometer ABL, GEM Premier, Nova) over serial or TCP",
		Channels:     d.table.Specs(),
		Interval:     10 * time.Minute,
		Sporadic:     true, // results come when a sample is analysed
		MaxFrame:     2 + MaxText + 5,
		Port:         devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		SampleConfig: sampleConfig,
	}
}

// Decode receives transfers from rw, answering the analyser on rw, until a
// read or a write fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	d.env, d.rw, d.werr = env.WithDefaults(), rw, nil
	if d.rx == nil {
		d.rx = NewReceiver((*handler)(d), Name)
		d.rec = make([]byte, 0, MaxRecord)
		d.results = make([]result, 0, MaxResults)
		d.orders = make([]order, 0, MaxOrders)
		d.siblings = make([]*analyte.Entry, 0, MaxResults)
		d.arena = make([]byte, 0, maxArena)
	}
	d.noter, _ = d.env.Events.(devices.Noter)
	d.rx.Reset()
	d.resetMessage()
	d.rec, d.recLost = d.rec[:0], false
	d.lastBad = -1
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := rw.Read(d.buf[:])
		for i, c := range d.buf[:n] {
			d.rx.Feed(c, off+int64(i))
		}
		off += int64(n)
		if d.werr != nil {
			return d.werr
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.rx.Flush(off)
			}
			return err
		}
	}
}

func (d *Driver) resetMessage() {
	d.inMsg = false
	d.orders, d.results, d.arena = d.orders[:0], d.results[:0], d.arena[:0]
}

// handler is the Driver as the Receiver's Handler.
type handler Driver

func (h *handler) Reply(b byte) {
	d := (*Driver)(h)
	if d.werr != nil {
		return
	}
	d.reply[0] = b
	if _, err := d.rw.Write(d.reply[:]); err != nil {
		d.werr = fmt.Errorf("astm: reply: %w", err)
	}
}

func (h *handler) Start(off int64) {
	d := (*Driver)(h)
	d.sessOff, d.sessClean = off, true
	d.rec, d.recLost = d.rec[:0], false
}

func (h *handler) Bad(err *devices.FrameError) {
	d := (*Driver)(h)
	d.sessClean = false
	d.lastBad = err.Offset
	d.env.Events.FrameBad(err)
}

func (h *handler) End(off int64, interrupted bool) {
	d := (*Driver)(h)
	if interrupted || d.inMsg || len(d.rec) > 0 {
		// The transfer ended without EOT, or inside a message: what was
		// not completed by an L record is dropped.
		if d.sessClean && d.sessOff > d.lastBad {
			d.report(devices.ReasonTruncated, d.sessOff, "", ErrInterrupted, nil)
		}
	}
	d.rec, d.recLost = d.rec[:0], false
	d.resetMessage()
}

func (h *handler) Frame(text []byte, end bool, off int64) {
	d := (*Driver)(h)
	d.frameOff = off
	if len(d.rec) == 0 && !d.recLost {
		d.recOff = off + 2
	}
	switch {
	case d.recLost:
	case len(d.rec)+len(text) > MaxRecord:
		d.recLost = true
		d.report(devices.ReasonOversize, d.recOff, "", ErrRecordLength, nil)
	default:
		d.rec = append(d.rec, text...)
	}
	if !end {
		return
	}
	if !d.recLost {
		// An end frame holds one record, or several separated by CR.
		rec, recOff := d.rec, d.recOff
		for len(rec) > 0 {
			i := 0
			for i < len(rec) && rec[i] != CR {
				i++
			}
			if i > 0 {
				d.record(rec[:i], recOff)
			}
			if i < len(rec) {
				i++
			}
			rec, recOff = rec[i:], recOff+int64(i)
		}
	}
	d.rec, d.recLost = d.rec[:0], false
}

// report sends a FrameError about a record or message. The offset is moved
// to the frame being handled when an earlier report already lies beyond it,
// so that offsets only increase.
func (d *Driver) report(reason devices.Reason, off int64, field string, err error, raw []byte) {
	if off <= d.lastBad {
		off = d.frameOff
		if off <= d.lastBad {
			return // already reported in this frame
		}
	}
	d.bad = devices.FrameError{Driver: Name, Offset: off, Reason: reason, Field: field, Raw: raw, Err: err}
	(*handler)(d).Bad(&d.bad)
}

// rawRecord is what a FrameError may show of a record: header, result and
// terminator records in full (up to devices.MaxRaw), of others only the
// type, as they carry patient and specimen identifiers.
func rawRecord(rec []byte) []byte {
	switch rec[0] {
	case 'H', 'R', 'L':
		return devices.RawHead(rec)
	}
	return rec[:1]
}

// maxFields is the number of fields of each record type in E1394 /
// LIS02-A2; a record with more is damaged.
var maxFields = [256]uint8{'H': 14, 'P': 35, 'O': 31, 'R': 14, 'C': 5, 'L': 3, 'Q': 13, 'M': 255, 'S': 255}

// Record errors of the message layer.
var (
	ErrFields   = errors.New("more fields than the record type has")
	ErrSequence = errors.New("sequence number (field 2) is not a number")
	ErrNoOrder  = errors.New("result record before any order record")
	ErrTime     = errors.New("not a date and time (YYYYMMDD[HHMM[SS]])")
)

// record handles one E1394 record found at off.
func (d *Driver) record(rec []byte, off int64) {
	typ := rec[0]
	if typ == 'H' {
		delims, err := ParseHeader(rec)
		if err == nil && bytes.Count(rec[5:], []byte{delims.FieldSep})+2 > int(maxFields['H']) {
			err = ErrFields
		}
		if err != nil {
			d.report(devices.ReasonSyntax, off, "H.2", err, rawRecord(rec))
			d.resetMessage()
			return
		}
		if d.inMsg {
			d.report(devices.ReasonTruncated, off, "", ErrNoL, nil)
		}
		d.resetMessage()
		d.inMsg, d.msgOff, d.delims = true, off, delims
		return
	}
	if !d.inMsg {
		d.report(devices.ReasonSequence, off, "", ErrNoHeader, rawRecord(rec))
		return
	}
	if len(rec) > 1 && rec[1] != d.delims.FieldSep {
		d.report(devices.ReasonSyntax, off, "", ErrNoField, rawRecord(rec))
		return
	}
	if maxFields[typ] == 0 {
		d.report(devices.ReasonSyntax, off, "", ErrRecordType, rawRecord(rec))
		return
	}
	if fieldCount(rec, d.delims.FieldSep) > int(maxFields[typ]) {
		d.report(devices.ReasonSyntax, off, "", ErrFields, rawRecord(rec))
		return
	}
	switch typ {
	case 'P', 'O', 'R', 'C', 'L':
		if !digits(d.delims.Field(rec, 2), 6) {
			d.report(devices.ReasonSyntax, off, string(typ)+".2", ErrSequence, rawRecord(rec))
			return
		}
	}
	switch typ {
	case 'O':
		d.order(rec, off)
	case 'R':
		d.result(rec, off)
	case 'L':
		d.finish(off, len(rec))
	}
	// P records are skipped unread (identifiers); comments, manufacturer,
	// request and scientific records carry nothing mapped.
}

// fieldCount returns the number of fields of rec.
func fieldCount(rec []byte, sep byte) int { return bytes.Count(rec, []byte{sep}) + 1 }

// digits reports whether b is 1 to max ASCII digits.
func digits(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// keep copies b into the message's arena, cut when the arena is full, and
// returns the copy.
func (d *Driver) keep(b []byte) []byte {
	n := min(len(b), cap(d.arena)-len(d.arena))
	start := len(d.arena)
	d.arena = append(d.arena, b[:n]...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// recordTime reads a time field: ok is false for a field that is neither
// empty nor a date and time; t is 0 for an empty field or a date alone.
func (d *Driver) recordTime(f []byte) (t int64, ok bool) {
	switch len(f) {
	case 0:
		return 0, true
	case 8:
		if _, ok := ParseTime(append(append(d.scratch[:0], f...), "0000"...), d.loc); ok {
			return 0, true
		}
		return 0, false
	}
	return ParseTime(f, d.loc)
}

func (d *Driver) order(rec []byte, off int64) {
	if len(d.orders) == cap(d.orders) {
		d.report(devices.ReasonField, off, "O", ErrFull, nil)
		return
	}
	dl := d.delims
	spec := dl.Field(rec, 16)
	o := order{specType: d.keep(dl.Component(spec, 1)), specSource: d.keep(dl.Component(spec, 2))}
	d.scratch = dl.Unescape(d.scratch[:0], dl.Component(dl.Field(rec, 5), d.cfg.CodeComponent))
	o.code = d.keep(d.scratch)
	t, ok := d.recordTime(dl.Field(rec, 8))
	if !ok {
		// Reported once here; the order's results are not used.
		d.report(devices.ReasonField, off, "O.8", ErrTime, nil)
		o.bad = true
	}
	o.time = t
	d.orders = append(d.orders, o)
}

// Errors of result records.
var (
	ErrValue  = errors.New("result value is not a number")
	ErrUnit   = errors.New("unit cannot be converted to the channel's")
	ErrNoUnit = errors.New("result without a unit, and none configured: not guessed")
	ErrStatus = errors.New("result status is not one of LIS02-A2's")
	ErrFull   = errors.New("too many orders or results in one message")
	ErrNoL    = errors.New("message without L record")
)

func (d *Driver) result(rec []byte, off int64) {
	dl := d.delims
	test := dl.Field(rec, 3)
	code := dl.Component(test, d.cfg.CodeComponent)
	if len(code) == 0 {
		// Some analysers put the code elsewhere: take the last component
		// that has one.
		for n := 1; n <= 9; n++ {
			if c := dl.Component(test, n); len(c) > 0 {
				code = c
			}
		}
	}
	d.scratch = dl.Unescape(d.scratch[:0], code)
	e, ok := d.table.Lookup(d.scratch)
	if !ok {
		if d.specimenTest(d.scratch) && len(d.orders) > 0 {
			d.scratch = dl.Unescape(d.scratch[:0], dl.Component(dl.Field(rec, 4), 1))
			d.orders[len(d.orders)-1].sampleType = d.keep(d.scratch)
		}
		return // a test the table does not map
	}
	if len(d.orders) == 0 {
		d.report(devices.ReasonSequence, off, "R", ErrNoOrder, rawRecord(rec))
		return
	}
	if d.orders[len(d.orders)-1].bad {
		return
	}
	if len(d.results) == cap(d.results) {
		d.report(devices.ReasonField, off, "R", ErrFull, nil)
		return
	}
	r := result{e: e, order: len(d.orders) - 1}
	r.v, r.q, ok = analyte.ParseValue(dl.Component(dl.Field(rec, 4), 1))
	if !ok {
		d.report(devices.ReasonField, off, "R.4", ErrValue, rawRecord(rec))
		return
	}
	status := dl.Field(rec, 9)
	if !validStatus(status) {
		d.report(devices.ReasonField, off, "R.9", ErrStatus, rawRecord(rec))
		return
	}
	if r.q != channel.Unavailable {
		// The unit of an analyte is the same on every site's channel.
		proto := e.Channel(analyte.Arterial)
		d.scratch = dl.Unescape(d.scratch[:0], dl.Component(dl.Field(rec, 5), 1))
		if r.conv, ok = e.Convert(proto, d.scratch); !ok {
			err := ErrUnit
			if len(bytes.TrimSpace(d.scratch)) == 0 {
				err = ErrNoUnit
			}
			d.report(devices.ReasonField, off, "R.5", err, rawRecord(rec))
			return
		}
		r.q = flagQuality(dl.Field(rec, 7), r.q)
		r.q = statusQuality(status, r.q)
	}
	rt, okT := d.recordTime(dl.Field(rec, 13))
	if okT && rt == 0 {
		rt, okT = d.recordTime(dl.Field(rec, 12))
	}
	if !okT {
		d.report(devices.ReasonField, off, "R.13", ErrTime, rawRecord(rec))
		return
	}
	r.rt = rt
	d.results = append(d.results, r)
}

// specimenTest reports whether code is one of specimen_tests.
func (d *Driver) specimenTest(code []byte) bool {
	for _, c := range d.cfg.SpecimenTests {
		if string(code) == c {
			return true
		}
	}
	return false
}

// validStatus reports whether f is empty or a result status of LIS02-A2
// (C, P, F, X, I, S, M, R, N, Q, V, W).
func validStatus(f []byte) bool {
	if len(f) == 0 {
		return true
	}
	return len(f) == 1 && bytes.IndexByte([]byte("CPFXISMRNQVW"), f[0]) >= 0
}

// flagQuality applies R.7, the abnormal flags: "<" and ">" mean below or
// above the analyser's measuring range. The others (L, H, LL, HH, N, A...)
// are clinical flags, not quality.
func flagQuality(f []byte, q channel.Quality) channel.Quality {
	if len(f) == 1 && (f[0] == '<' || f[0] == '>') && q == channel.OK {
		return channel.OutOfRange
	}
	return q
}

// statusQuality applies R.9, the result status of LIS02-A2: X (cannot be
// done) is unavailable; P preliminary, S partial, W warning, I pending, N
// needs more information, M MIC level are questionable; F final, C
// correction, R repeated, V verified, Q query response and empty are as
// they are.
func statusQuality(f []byte, q channel.Quality) channel.Quality {
	if len(f) != 1 || q != channel.OK {
		return q
	}
	switch f[0] {
	case 'X':
		return channel.Unavailable
	case 'P', 'S', 'W', 'I', 'N', 'M':
		return channel.Questionable
	}
	return q
}

// finish ends the message at its L record: the site of each order's
// results is inferred (Sites.Infer, each inference noted), then the
// results are emitted.
func (d *Driver) finish(off int64, size int) {
	now := d.env.Clock.Now()
	d.env.Events.FrameOK(d.msgOff, int(off-d.msgOff)+size)
	var inf analyte.Inference
	for i := range d.orders {
		o := &d.orders[i]
		d.siblings = d.siblings[:0]
		follows := false
		for _, r := range d.results {
			if r.order == i {
				d.siblings = append(d.siblings, r.e)
				follows = follows || !r.e.Fixed() && r.e.Site() == analyte.Unknown
			}
		}
		if len(d.siblings) == 0 {
			continue
		}
		t := d.sampleTime(i)
		d.parts = [3]analyte.Part{{Field: "O.16", Text: o.specType}, {Field: "O.16", Text: o.specSource}, {Field: "specimen test", Text: o.sampleType}}
		d.panel[0] = analyte.Part{Field: "O.5", Text: o.code}
		inf = d.sites.Infer(&analyte.Evidence{Specimen: d.parts[:], Panels: d.panel[:], Siblings: d.siblings}, d.panels)
		if d.noter != nil && follows {
			d.note = inf.AppendNote(d.note[:0])
			d.noter.Note(string(d.note))
		}
		for _, r := range d.results {
			if r.order != i {
				continue
			}
			rt := t
			if d.cfg.Time == "result" && r.rt != 0 {
				rt = r.rt
			}
			if rt == 0 || rt > now+maxAhead {
				rt = now // no time in the records, or the analyser's clock is ahead
			}
			d.emit(&r, &inf, rt)
		}
	}
	d.resetMessage()
}

// sampleTime returns the time of order i's sample (0 if no record gives
// one): for "collection", O.8, else the first result record's time; for
// "result", the first result record's time (each result with its own
// keeps it); for "receive", 0. Analysers write the time on some records
// only (Radiometer on the first result), and one order is one sample.
func (d *Driver) sampleTime(i int) int64 {
	if d.cfg.Time == "receive" {
		return 0
	}
	if o := &d.orders[i]; d.cfg.Time == "collection" && o.time != 0 {
		return o.time
	}
	for _, r := range d.results {
		if r.order == i && r.rt != 0 {
			return r.rt
		}
	}
	return 0
}

// emit puts one result of an order inferred as inf, at time t.
func (d *Driver) emit(r *result, inf *analyte.Inference, t int64) {
	id := r.e.Channel(inf.Site)
	if _, conflict := analyte.ResultSite(r.e.Site(), inf); conflict && d.noter != nil && !r.e.Fixed() {
		d.note = analyte.AppendConflictNote(d.note[:0], r.e, inf)
		d.noter.Note(string(d.note))
	}
	v, q := r.v, r.q
	if q != channel.Unavailable {
		v = r.conv.Apply(v)
		q = channel.Get(id).Classify(v, q)
	}
	if q != channel.OK {
		v = 0
	}
	d.env.Sink.Put(monitor.Sample{Time: t, Value: v, Channel: id, Source: d.env.Source, Quality: q})
}

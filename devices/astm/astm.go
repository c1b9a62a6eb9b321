package astm

import (
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

// MaxResults bounds the results kept for one message; further results are
// reported and dropped.
const MaxResults = 128

// maxAhead is how far a record's time may lie after the receive time before
// it is taken to be a wrong analyser clock and the receive time used.
const maxAhead = int64(10 * time.Minute)

//go:embed sample.conf
var sampleConfig string

func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// DefaultTests are the test codes mapped out of the box: the spellings of
// Radiometer ABL, Werfen GEM Premier and Nova analysers seen in public
// interface documents (unconfirmed per model: check the codes of the
// analyser on site and add them in the config).
var DefaultTests = []analyte.Test{
	{Code: "pH", Analyte: "ph"},
	{Code: "pCO2", Analyte: "pco2"}, {Code: "PCO2", Analyte: "pco2"},
	{Code: "pO2", Analyte: "po2"}, {Code: "PO2", Analyte: "po2"},
	{Code: "sO2", Analyte: "so2"}, {Code: "SO2", Analyte: "so2"},
	{Code: "SaO2", Analyte: "so2", Site: "arterial"}, {Code: "SvO2", Analyte: "so2", Site: "venous"},
	{Code: "ctHb", Analyte: "hb"}, {Code: "tHb", Analyte: "hb"}, {Code: "THb", Analyte: "hb"}, {Code: "Hb", Analyte: "hb"},
	{Code: "Hct", Analyte: "hct"}, {Code: "HCT", Analyte: "hct"},
	{Code: "K+", Analyte: "k"}, {Code: "cK+", Analyte: "k"}, {Code: "K", Analyte: "k"},
	{Code: "Na+", Analyte: "na"}, {Code: "cNa+", Analyte: "na"}, {Code: "Na", Analyte: "na"},
	{Code: "Ca++", Analyte: "ica"}, {Code: "Ca2+", Analyte: "ica"}, {Code: "cCa2+", Analyte: "ica"}, {Code: "iCa", Analyte: "ica"},
	{Code: "Glu", Analyte: "glucose"}, {Code: "cGlu", Analyte: "glucose"}, {Code: "GLU", Analyte: "glucose"}, {Code: "Glucose", Analyte: "glucose"},
	{Code: "Lac", Analyte: "lactate"}, {Code: "cLac", Analyte: "lactate"}, {Code: "LAC", Analyte: "lactate"}, {Code: "Lactate", Analyte: "lactate"},
	{Code: "BE", Analyte: "be"}, {Code: "BEecf", Analyte: "be"}, {Code: "BE(ecf)", Analyte: "be"}, {Code: "cBase(Ecf)", Analyte: "be"},
	{Code: "HCO3", Analyte: "hco3"}, {Code: "HCO3-", Analyte: "hco3"}, {Code: "cHCO3-", Analyte: "hco3"}, {Code: "cHCO3-(P)", Analyte: "hco3"},
}

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
	// Sites tells arterial from venous samples by O.16, the specimen
	// descriptor (type^source).
	Sites analyte.Sites `toml:"sites"`
}

// Driver receives ASTM E1381 transfers and decodes their E1394 messages.
type Driver struct {
	// ReplyTimeout, if set, replaces the standard's 15 s reply timer in
	// Converse (tests).
	ReplyTimeout time.Duration

	cfg   Config
	table *analyte.Table
	loc   *time.Location
	sites analyte.Sites

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
	inMsg     bool
	msgOff    int64
	delims    Delimiters
	site      analyte.Site
	siteKnown bool
	// siteReported: a result was dropped for want of a site, and reported.
	siteReported bool
	orderTime    int64
	results      []result

	// The transfer.
	sessOff   int64
	sessClean bool
	lastBad   int64
	bad       devices.FrameError
}

type result struct {
	id      channel.ID
	v       float64
	q       channel.Quality
	t       int64
	recTime bool // t came from a record
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
	d := &Driver{cfg: Config{TimeZone: "Local", Time: "collection", CodeComponent: 4, DefaultTests: true, Sites: analyte.DefaultSites()}}
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
	}
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
	d.site, d.siteKnown, d.orderTime = analyte.Unknown, false, 0
	d.results = d.results[:0]
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

// record handles one E1394 record found at off.
func (d *Driver) record(rec []byte, off int64) {
	typ := rec[0]
	if typ == 'H' {
		delims, err := ParseHeader(rec)
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
	switch typ {
	case 'P':
		// A new patient: nothing of it is kept (identifiers).
		d.site, d.siteKnown, d.orderTime, d.siteReported = analyte.Unknown, false, 0, false
	case 'O':
		d.order(rec, off)
	case 'R':
		d.result(rec, off)
	case 'L':
		d.finish(off, len(rec))
	case 'C', 'M', 'Q', 'S':
		// Comments, manufacturer, request and scientific records carry
		// nothing mapped.
	default:
		d.report(devices.ReasonSyntax, off, "", ErrRecordType, rawRecord(rec))
	}
}

func (d *Driver) order(rec []byte, off int64) {
	dl := d.delims
	spec := dl.Field(rec, 16)
	d.site, d.siteKnown = d.sites.ClassifyParts(dl.Component(spec, 1), dl.Component(spec, 2))
	d.siteReported = false
	d.orderTime = 0
	if t, ok := ParseTime(dl.Field(rec, 8), d.loc); ok {
		d.orderTime = t
	}
}

// Errors of result records.
var (
	ErrValue = errors.New("result value is not a number")
	ErrUnit  = errors.New("unit cannot be converted to the channel's")
	ErrFull  = errors.New("too many results in one message")
	ErrSite  = errors.New("specimen (O.16) says neither arterial nor venous and sites.default is empty: the order's results are dropped")
	ErrNoL   = errors.New("message without L record")
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
		return // a test the table does not map
	}
	id, ok := e.Channel(d.site, d.siteKnown)
	if !ok {
		if !d.siteReported {
			d.siteReported = true
			d.report(devices.ReasonField, off, "O.16", ErrSite, nil)
		}
		return
	}
	if len(d.results) == cap(d.results) {
		d.report(devices.ReasonField, off, "R", ErrFull, nil)
		return
	}
	v, q, ok := analyte.ParseValue(dl.Component(dl.Field(rec, 4), 1))
	if !ok {
		d.report(devices.ReasonField, off, "R.4", ErrValue, rawRecord(rec))
		return
	}
	if q != channel.Unavailable {
		d.scratch = dl.Unescape(d.scratch[:0], dl.Component(dl.Field(rec, 5), 1))
		conv, ok := e.Convert(id, d.scratch)
		if !ok {
			d.report(devices.ReasonField, off, "R.5", ErrUnit, rawRecord(rec))
			return
		}
		v = conv.Apply(v)
		q = flagQuality(dl.Field(rec, 7), q)
		q = statusQuality(dl.Field(rec, 9), q)
		q = channel.Get(id).Classify(v, q)
	}
	if q != channel.OK {
		v = 0
	}
	r := result{id: id, v: v, q: q}
	rt, okR := ParseTime(dl.Field(rec, 13), d.loc)
	if !okR {
		rt, okR = ParseTime(dl.Field(rec, 12), d.loc)
	}
	switch d.cfg.Time {
	case "collection":
		switch {
		case d.orderTime != 0:
			r.t, r.recTime = d.orderTime, true
		case okR:
			r.t, r.recTime = rt, true
		}
	case "result":
		r.t, r.recTime = rt, okR
	}
	d.results = append(d.results, r)
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

// finish ends the message at its L record: the results are emitted.
func (d *Driver) finish(off int64, size int) {
	now := d.env.Clock.Now()
	d.env.Events.FrameOK(d.msgOff, int(off-d.msgOff)+size)
	for _, r := range d.results {
		t := r.t
		if !r.recTime || t > now+maxAhead {
			t = now // no time in the record, or the analyser's clock is ahead
		}
		d.env.Sink.Put(monitor.Sample{Time: t, Value: r.v, Channel: r.id, Source: d.env.Source, Quality: r.q})
	}
	d.resetMessage()
}

package hl7

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "hl7"

// Bounds on one message.
const (
	MaxResults = 256
	MaxOrders  = 32
)

// maxAhead is how far a message's time may lie after its receipt before it
// is taken to be a wrong sender clock.
const maxAhead = int64(10 * time.Minute)

//go:embed sample.conf
var sampleConfig string

func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// DefaultTests map the LOINC codes of the blood-gas panel. Codes with a site
// in their LOINC system (Arterial blood, Venous blood) fix it; the "Blood"
// codes follow the specimen (SPM-4 or OBR-15). Checked against public
// LOINC-based value sets (DICOM CID 3524, 3526, 3527, 3528 and laboratory
// value sets), except 2339-0 and 15074-8 (glucose in blood), which are as
// LOINC publishes them to our knowledge but were not cross-checked here.
var DefaultTests = []analyte.Test{
	{Code: "2744-1", Analyte: "ph", Site: "arterial"}, {Code: "2746-6", Analyte: "ph", Site: "venous"}, {Code: "11558-4", Analyte: "ph"},
	{Code: "2019-8", Analyte: "pco2", Site: "arterial"}, {Code: "2021-4", Analyte: "pco2", Site: "venous"}, {Code: "11557-6", Analyte: "pco2"},
	{Code: "2703-7", Analyte: "po2", Site: "arterial"}, {Code: "2705-2", Analyte: "po2", Site: "venous"}, {Code: "11556-8", Analyte: "po2"},
	{Code: "2708-6", Analyte: "so2", Site: "arterial"}, {Code: "2711-0", Analyte: "so2", Site: "venous"}, {Code: "20564-1", Analyte: "so2"},
	{Code: "718-7", Analyte: "hb"},
	{Code: "20570-8", Analyte: "hct"},
	{Code: "32713-0", Analyte: "k", Site: "arterial"}, {Code: "39789-3", Analyte: "k", Site: "venous"}, {Code: "6298-4", Analyte: "k"},
	{Code: "32717-1", Analyte: "na", Site: "arterial"}, {Code: "39791-9", Analyte: "na", Site: "venous"}, {Code: "2947-0", Analyte: "na"},
	{Code: "1994-3", Analyte: "ica"},
	{Code: "15074-8", Analyte: "glucose"}, {Code: "2339-0", Analyte: "glucose", Unit: "mg/dL"},
	{Code: "32693-4", Analyte: "lactate"},
	{Code: "1925-7", Analyte: "be", Site: "arterial"}, {Code: "1927-3", Analyte: "be", Site: "venous"}, {Code: "11555-0", Analyte: "be"},
	{Code: "1960-4", Analyte: "hco3", Site: "arterial"}, {Code: "14627-4", Analyte: "hco3", Site: "venous"}, {Code: "1959-6", Analyte: "hco3"},
}

// Config holds the driver's options (sample.conf).
type Config struct {
	// TimeZone for times without an offset: an IANA name, "Local" (the
	// default) or "UTC".
	TimeZone string `toml:"time_zone"`
	// Time chooses the sample time: "observation" (OBX-14, else SPM-17,
	// else OBR-7, else receive time; the default) or "receive".
	Time string `toml:"time"`
	// Application is MSH-3 of our ACKs.
	Application string `toml:"application"`
	// DefaultTests adds DefaultTests after Tests (codes in Tests win).
	DefaultTests bool           `toml:"default_tests"`
	Tests        []analyte.Test `toml:"tests"`
	// Sites tells arterial from venous by SPM-4 (specimen type) or
	// OBR-15 (specimen source).
	Sites analyte.Sites `toml:"sites"`
}

// Driver receives HL7 v2 ORU^R01 messages over MLLP and acknowledges each.
type Driver struct {
	// AckTimeout, if set, replaces AckTimeout in Converse (tests).
	AckTimeout time.Duration

	cfg   Config
	table *analyte.Table
	loc   *time.Location
	sites analyte.Sites

	framer *Framer
	rw     io.ReadWriter
	env    devices.Env
	werr   error
	buf    [4096]byte
	ack    []byte
	bad    devices.FrameError
	seq    uint64 // encoder's message counter

	// The message being handled.
	d       Delimiters
	orders  []order
	results []result
	scratch []byte
	fail    failure
}

type order struct {
	siteA, siteB []byte // SPM-4 or OBR-15 parts, valid during the message
	spm          bool   // siteA/B came from SPM, which wins over OBR-15
	time         int64
}

type result struct {
	e     *analyte.Entry
	order int
	v     float64
	q     channel.Quality
	t     int64
	conv  analyte.Conversion
}

// failure is the first error of a message: what its ACK says.
type failure struct {
	code   string // AE or AR
	err    error
	loc    string // ERR-2, e.g. "OBX^3^5"
	hl7err string // table 0357 code
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
	sites := analyte.DefaultSites()
	d := &Driver{cfg: Config{TimeZone: "Local", Time: "observation", Application: "PUMPSIDE", DefaultTests: true, Sites: sites}}
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
		return fmt.Errorf("hl7: time_zone: %w", err)
	}
	switch d.cfg.Time {
	case "observation", "receive":
	default:
		return fmt.Errorf("hl7: time = %q: want observation or receive", d.cfg.Time)
	}
	if strings.ContainsAny(d.cfg.Application, "|^~\\&\r\n") {
		return fmt.Errorf("hl7: application %q contains a delimiter", d.cfg.Application)
	}
	tests := d.cfg.Tests
	if d.cfg.DefaultTests {
		tests = analyte.WithDefaults(tests, DefaultTests)
	}
	if d.table, err = analyte.NewTable(tests, "tests"); err != nil {
		return fmt.Errorf("hl7: %w", err)
	}
	d.sites = d.cfg.Sites
	if err := d.sites.Init("sites"); err != nil {
		return fmt.Errorf("hl7: %w", err)
	}
	return nil
}

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	return devices.Description{
		Summary:      "HL7 v2 ORU^R01 over MLLP (TCP server): blood-gas results from analysers and data managers, acknowledged AA/AE/AR",
		Channels:     d.table.Specs(),
		Interval:     10 * time.Minute,
		Sporadic:     true, // results come when a sample is analysed
		MaxFrame:     MaxMessage + 3,
		SampleConfig: sampleConfig,
	}
}

// Decode reads MLLP blocks from rw and answers each message with an ACK on
// rw, until a read or write fails or ctx is done.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	d.env, d.rw, d.werr = env.WithDefaults(), rw, nil
	if d.framer == nil {
		d.framer = NewFramer(Name, d.message, d.frameBad)
		d.framer.TooLong = d.tooLong
		d.orders = make([]order, 0, MaxOrders)
		d.results = make([]result, 0, MaxResults)
	}
	d.framer.Reset()
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := rw.Read(d.buf[:])
		for i, c := range d.buf[:n] {
			d.framer.Feed(c, off+int64(i))
		}
		off += int64(n)
		if d.werr != nil {
			return d.werr
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				d.framer.Flush()
			}
			return err
		}
	}
}

func (d *Driver) frameBad(e *devices.FrameError) { d.env.Events.FrameBad(e) }

// Errors a message's ACK carries.
var (
	ErrType       = errors.New("not an ORU^R01 message")
	ErrControlID  = errors.New("MSH-10 message control ID is empty")
	ErrProcessing = errors.New("MSH-11 processing ID is not P (production): results not used")
	ErrValue      = errors.New("OBX-5 is not a number")
	ErrUnit       = errors.New("OBX-6 unit cannot be converted to the channel's")
	ErrSite       = errors.New("specimen (SPM-4 / OBR-15) is neither arterial nor venous: result dropped")
	ErrFull       = errors.New("too many orders or results in one message")
	ErrSegment    = errors.New("OBX before any OBR")
)

// message handles one complete message found at off.
func (d *Driver) message(msg []byte, off int64) {
	d.orders, d.results, d.fail = d.orders[:0], d.results[:0], failure{}
	var err error
	d.d, err = ParseMSH(msg)
	var msh []byte
	if err == nil {
		Segments(msg, func(seg []byte) bool { msh = seg; return false })
	}
	ctrl := d.d.Field(msh, 10)
	switch {
	case err != nil:
		d.d = DefaultDelimiters
		d.setFail("AR", err, "MSH^1", "100")
	case !bytes.Equal(d.d.Component(d.d.Field(msh, 9), 1, true), []byte("ORU")) ||
		!bytes.Equal(d.d.Component(d.d.Field(msh, 9), 2, true), []byte("R01")):
		d.setFail("AR", ErrType, "MSH^1^9", "200")
	case len(ctrl) == 0:
		d.setFail("AR", ErrControlID, "MSH^1^10", "101")
	default:
		switch p := d.d.Component(d.d.Field(msh, 11), 1, true); {
		case len(p) == 0 || bytes.Equal(p, []byte("P")):
			d.parse(msg)
		default:
			d.setFail("AR", ErrProcessing, "MSH^1^11", "202")
		}
	}
	now := d.env.Clock.Now()
	d.reply(msh, ctrl, now)
	if d.fail.err != nil {
		reason := devices.ReasonField
		if d.fail.code == "AR" {
			reason = devices.ReasonSyntax
		}
		d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(len(msg)), Reason: reason, Field: d.fail.loc, Raw: head(msg), Err: d.fail.err}
		d.env.Events.FrameBad(&d.bad)
	} else {
		d.env.Events.FrameOK(off, len(msg)+3)
	}
	d.emit(now)
}

// tooLong answers an oversize message (already reported by the Framer)
// with AR, using the control ID from its head when it has one.
func (d *Driver) tooLong(head []byte, _ int64) {
	d.orders, d.results, d.fail = d.orders[:0], d.results[:0], failure{}
	var err error
	var msh []byte
	if d.d, err = ParseMSH(head); err != nil {
		d.d = DefaultDelimiters
	} else {
		Segments(head, func(seg []byte) bool { msh = seg; return false })
	}
	d.setFail("AR", ErrOversize, "MSH^1", "207")
	d.reply(msh, d.d.Field(msh, 10), d.env.Clock.Now())
}

func (d *Driver) setFail(code string, err error, loc, hl7err string) {
	if d.fail.err == nil {
		d.fail = failure{code: code, err: err, loc: loc, hl7err: hl7err}
	}
}

// parse reads the segments after MSH. PID and every other segment that
// may carry identifiers is skipped unread.
func (d *Driver) parse(msg []byte) {
	dl := d.d
	obx := 0
	Segments(msg, func(seg []byte) bool {
		if len(seg) < 3 || len(seg) > 3 && seg[3] != dl.FieldSep {
			return true // not a segment we read
		}
		switch string(seg[:3]) {
		case "OBR":
			if len(d.orders) == cap(d.orders) {
				d.setFail("AE", ErrFull, "OBR", "207")
				return false
			}
			o := order{}
			src := dl.Field(seg, 15)
			o.siteA, o.siteB = dl.Component(src, 1, true), dl.Component(src, 2, false)
			o.time, _ = ParseTime(dl.Component(dl.Field(seg, 7), 1, false), d.loc)
			d.orders = append(d.orders, o)
		case "SPM":
			if len(d.orders) == 0 {
				return true
			}
			o := &d.orders[len(d.orders)-1]
			typ := dl.Field(seg, 4)
			o.siteA, o.siteB, o.spm = dl.Component(typ, 1, false), dl.Component(typ, 2, false), true
			if t, ok := ParseTime(dl.Component(dl.Field(seg, 17), 1, false), d.loc); ok {
				o.time = t
			}
		case "OBX":
			obx++
			d.observation(seg, obx)
		}
		return true
	})
}

// observation reads one OBX, the obx-th of the message.
func (d *Driver) observation(seg []byte, obx int) {
	dl := d.d
	id := dl.Field(seg, 3)
	d.scratch = dl.Unescape(d.scratch[:0], dl.Component(id, 1, false))
	e, ok := d.table.Lookup(d.scratch)
	if !ok {
		d.scratch = dl.Unescape(d.scratch[:0], dl.Component(id, 4, false))
		if e, ok = d.table.Lookup(d.scratch); !ok {
			return // an observation the table does not map
		}
	}
	if len(d.orders) == 0 {
		d.setFail("AE", ErrSegment, "OBX", "100")
		return
	}
	if len(d.results) == cap(d.results) {
		d.setFail("AE", ErrFull, "OBX", "207")
		return
	}
	r := result{e: e, order: len(d.orders) - 1}
	// The channel's unit does not depend on the site: use either to check
	// the conversion now.
	proto, _ := e.Channel(analyte.Arterial, true)
	val := dl.Field(seg, 5)
	if string(dl.Component(dl.Field(seg, 2), 1, false)) == "SN" {
		// Structured numeric: comparator^number.
		cmp, num := dl.Component(val, 1, false), dl.Component(val, 2, false)
		r.v, r.q, ok = analyte.ParseValue(num)
		if ok && len(cmp) > 0 && r.q == channel.OK {
			switch string(cmp) {
			case "<", ">", "<=", ">=":
				r.q = channel.OutOfRange
			case "=":
			default:
				ok = false
			}
		}
	} else {
		r.v, r.q, ok = analyte.ParseValue(dl.Component(val, 1, false))
	}
	if !ok {
		d.setFail("AE", ErrValue, location(obx, 5), "102")
		return
	}
	if r.q != channel.Unavailable {
		units := dl.Field(seg, 6)
		d.scratch = dl.Unescape(d.scratch[:0], dl.Component(units, 1, false))
		if r.conv, ok = e.Convert(proto, d.scratch); !ok {
			d.scratch = dl.Unescape(d.scratch[:0], dl.Component(units, 2, false))
			if r.conv, ok = e.Convert(proto, d.scratch); !ok || len(d.scratch) == 0 {
				d.setFail("AE", ErrUnit, location(obx, 6), "103")
				return
			}
		}
	}
	r.q = flagQuality(dl.Field(seg, 8), r.q)
	r.q = statusQuality(dl.Field(seg, 11), r.q)
	r.t, _ = ParseTime(dl.Component(dl.Field(seg, 14), 1, false), d.loc)
	d.results = append(d.results, r)
}

// location renders ERR-2 for field f of the n-th OBX, e.g. "OBX^3^5".
func location(n, f int) string { return fmt.Sprintf("OBX^%d^%d", n, f) }

// flagQuality applies OBX-8: "<" and ">" (below or above the absolute
// range) make a value out of range; L, H, LL, HH, A, N are clinical flags.
func flagQuality(f []byte, q channel.Quality) channel.Quality {
	if q == channel.OK && (bytes.Equal(f, []byte("<")) || bytes.Equal(f, []byte(">"))) {
		return channel.OutOfRange
	}
	return q
}

// statusQuality applies OBX-11 (HL7 table 0085): X (cannot be obtained), D
// (deleted), W (wrong, replaced) and I (pending) are unavailable; P
// (preliminary), R (not verified) and S (partial) questionable; F, C, U and
// empty as they are.
func statusQuality(f []byte, q channel.Quality) channel.Quality {
	if len(f) != 1 {
		return q
	}
	switch f[0] {
	case 'X', 'D', 'W', 'I':
		return channel.Unavailable
	case 'P', 'R', 'S':
		if q == channel.OK {
			return channel.Questionable
		}
	}
	return q
}

// emit puts the results of a message that was processed (AA, or AE for the
// results that decoded). A result whose site is unknown is dropped.
func (d *Driver) emit(now int64) {
	for _, r := range d.results {
		o := &d.orders[r.order]
		site, known := d.sites.ClassifyParts(o.siteA, o.siteB)
		id, ok := r.e.Channel(site, known)
		if !ok {
			continue // the ACK said so (see siteCheck)
		}
		v, q := r.v, r.q
		if q != channel.Unavailable {
			v = r.conv.Apply(v)
			q = channel.Get(id).Classify(v, q)
		}
		if q != channel.OK {
			v = 0
		}
		t := now
		if d.cfg.Time == "observation" {
			switch {
			case r.t != 0:
				t = r.t
			case o.time != 0:
				t = o.time
			}
			if t > now+maxAhead {
				t = now
			}
		}
		d.env.Sink.Put(monitor.Sample{Time: t, Value: v, Channel: id, Source: d.env.Source, Quality: q})
	}
}

// siteCheck fails the message when a mapped result has no site.
func (d *Driver) siteCheck() {
	for _, r := range d.results {
		o := &d.orders[r.order]
		site, known := d.sites.ClassifyParts(o.siteA, o.siteB)
		if _, ok := r.e.Channel(site, known); !ok {
			d.setFail("AE", ErrSite, "SPM^1^4", "103")
			return
		}
	}
}

// reply writes the ACK of the message whose MSH is msh: MSA-1 AA, or AE/AR
// with MSA-3 and an ERR segment giving the reason.
func (d *Driver) reply(msh, ctrl []byte, now int64) {
	if d.fail.err == nil {
		d.siteCheck()
	}
	dl := d.d
	code := "AA"
	if d.fail.err != nil {
		code = d.fail.code
	}
	a := append(d.ack[:0], VT)
	a = append(a, "MSH"...)
	a = append(a, dl.FieldSep, dl.ComponentSep, dl.RepeatSep, dl.EscapeChar)
	if dl.SubSep != 0 {
		a = append(a, dl.SubSep)
	}
	f := func(b []byte) { a = append(a, dl.FieldSep); a = append(a, b...) }
	f([]byte(d.cfg.Application))                             // MSH-3 sending application: us
	f(nil)                                                   // MSH-4
	f(d.d.Field(msh, 3))                                     // MSH-5: the sender's application
	f(d.d.Field(msh, 4))                                     // MSH-6: the sender's facility
	a = append(a, dl.FieldSep)                               // MSH-7: now
	a = AppendTime(a, now, d.loc)                            //
	f(nil)                                                   // MSH-8
	f([]byte{'A', 'C', 'K', dl.ComponentSep, 'R', '0', '1'}) // MSH-9
	f(ctrl)                                                  // MSH-10: our control ID is theirs
	f([]byte("P"))                                           // MSH-11
	ver := d.d.Field(msh, 12)
	if len(ver) == 0 {
		ver = []byte("2.5.1")
	}
	f(ver) // MSH-12
	a = append(a, CR)
	a = append(a, "MSA"...)
	f([]byte(code))
	f(ctrl)
	if d.fail.err != nil {
		f(dl.Escape(nil, []byte(d.fail.err.Error()))) // MSA-3 text (deprecated, widely read)
		a = append(a, CR)
		a = append(a, "ERR"...)
		f(nil)                                                                  // ERR-1
		f([]byte(strings.ReplaceAll(d.fail.loc, "^", string(dl.ComponentSep)))) // ERR-2 location
		a = append(a, dl.FieldSep)                                              // ERR-3 code^text^HL70357
		a = append(a, d.fail.hl7err...)                                         //
		a = append(a, dl.ComponentSep)                                          //
		a = dl.Escape(a, []byte(d.fail.err.Error()))                            //
		a = append(a, dl.ComponentSep)                                          //
		a = append(a, "HL70357"...)                                             //
		f([]byte("E"))                                                          // ERR-4 severity
	}
	a = append(a, CR, FS, CR)
	d.ack = a
	if d.werr == nil {
		if _, err := d.rw.Write(a); err != nil {
			d.werr = fmt.Errorf("hl7: ACK: %w", err)
		}
	}
}

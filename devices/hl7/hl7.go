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

// DefaultTests map the LOINC codes of the blood-gas panel. A code whose
// LOINC system axis names the specimen fixes the site: BldA (arterial
// blood) abg.*, BldV (venous blood) and BldMV (mixed venous blood) vbg.*.
// The "in Blood" codes (system Bld) follow the specimen of their order
// (analyte.Sites.Infer). Checked against public LOINC-based value sets
// (DICOM CID 3524, 3526, 3527, 3528; laboratory and research value sets
// that list each code with its long name), except 2339-0 and 15074-8
// (glucose in blood), which are as LOINC publishes them to our knowledge
// but were not cross-checked here.
var DefaultTests = []analyte.Test{
	{Code: "2744-1", Analyte: "ph", Site: "arterial"}, {Code: "2746-6", Analyte: "ph", Site: "venous"}, {Code: "11558-4", Analyte: "ph"},
	{Code: "2019-8", Analyte: "pco2", Site: "arterial"}, {Code: "2021-4", Analyte: "pco2", Site: "venous"}, {Code: "11557-6", Analyte: "pco2"},
	{Code: "2703-7", Analyte: "po2", Site: "arterial"}, {Code: "2705-2", Analyte: "po2", Site: "venous"}, {Code: "11556-8", Analyte: "po2"},
	{Code: "2708-6", Analyte: "so2", Site: "arterial"}, {Code: "2711-0", Analyte: "so2", Site: "venous"}, {Code: "20564-1", Analyte: "so2"},
	{Code: "718-7", Analyte: "hb"}, {Code: "30313-1", Analyte: "hb", Site: "arterial"}, {Code: "30350-3", Analyte: "hb", Site: "venous"}, {Code: "30351-1", Analyte: "hb", Site: "venous"},
	{Code: "20570-8", Analyte: "hct"},
	{Code: "32713-0", Analyte: "k", Site: "arterial"}, {Code: "39789-3", Analyte: "k", Site: "venous"}, {Code: "6298-4", Analyte: "k"},
	{Code: "32717-1", Analyte: "na", Site: "arterial"}, {Code: "39791-9", Analyte: "na", Site: "venous"}, {Code: "2947-0", Analyte: "na"},
	{Code: "1994-3", Analyte: "ica"},
	{Code: "15074-8", Analyte: "glucose"}, {Code: "2339-0", Analyte: "glucose", Unit: "mg/dL"}, {Code: "100746-7", Analyte: "glucose", Site: "venous"},
	{Code: "32693-4", Analyte: "lactate"}, {Code: "2518-9", Analyte: "lactate", Site: "arterial"}, {Code: "2519-7", Analyte: "lactate", Site: "venous"}, {Code: "19240-1", Analyte: "lactate", Site: "venous"},
	{Code: "1925-7", Analyte: "be", Site: "arterial"}, {Code: "1927-3", Analyte: "be", Site: "venous"}, {Code: "11555-0", Analyte: "be"},
	{Code: "1960-4", Analyte: "hco3", Site: "arterial"}, {Code: "14627-4", Analyte: "hco3", Site: "venous"}, {Code: "1959-6", Analyte: "hco3"},
}

// DefaultPanels are the LOINC blood-gas panels: 24336-0 "Gas panel -
// Arterial blood", 24339-4 "Gas panel - Venous blood", and 24338-6 "Gas
// panel - Blood", which names no site.
var DefaultPanels = []analyte.Panel{{Code: "24336-0", Site: "arterial"}, {Code: "24339-4", Site: "venous"}, {Code: "24338-6"}}

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
	// Sites tells the site of a sample from SPM-4 (specimen type) or
	// OBR-15 (specimen source), and holds the site's default and
	// override.
	Sites analyte.Sites `toml:"sites"`
	// Panels maps OBR-4 codes to the site they name; DefaultPanels follow
	// when default_tests is true.
	Panels []analyte.Panel `toml:"panels"`
}

// Driver receives HL7 v2 ORU^R01 messages over MLLP and acknowledges each.
type Driver struct {
	// AckTimeout, if set, replaces AckTimeout in Converse (tests).
	AckTimeout time.Duration

	cfg    Config
	table  *analyte.Table
	loc    *time.Location
	sites  analyte.Sites
	panels *analyte.Panels

	framer *Framer
	rw     io.ReadWriter
	env    devices.Env
	werr   error
	buf    [4096]byte
	ack    []byte
	bad    devices.FrameError
	seq    uint64 // encoder's message counter

	// The message being handled.
	d        Delimiters
	orders   []order
	results  []result
	scratch  []byte
	fail     failure
	siblings []*analyte.Entry
	noter    devices.Noter
	note     []byte
	f        [26][]byte // the fields of the segment being read
}

// order is an OBR and its SPM: what they say of the specimen, and the
// time. Slices are into the message, valid while it is handled.
type order struct {
	spm    [4][]byte // SPM-4 identifier, text, alternate identifier and text
	obr15  [3][]byte // OBR-15 source code, its text, free text
	panel  [2][]byte // OBR-4 identifier and alternate identifier
	time   int64
	parts  [7]analyte.Part
	panels [2]analyte.Part
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
	// whole: the message is damaged or breaks the syntax, so none of its
	// results is used; otherwise only the failing result is left out.
	whole bool
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
	panels := d.cfg.Panels
	if d.cfg.DefaultTests {
		panels = analyte.WithDefaultPanels(panels, DefaultPanels)
	}
	if d.panels, err = analyte.NewPanels(panels, "panels"); err != nil {
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
		d.siblings = make([]*analyte.Entry, 0, MaxResults)
	}
	d.noter, _ = d.env.Events.(devices.Noter)
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
	ErrNoUnit     = errors.New("OBX-6 is empty and no unit is configured for the code: not guessed")
	ErrFull       = errors.New("too many orders or results in one message")
	ErrSegment    = errors.New("OBX before any OBR")
	// Syntax: the message is not used at all.
	ErrControl     = errors.New("control character inside the message")
	ErrSegmentName = errors.New("segment name is not one of ORU^R01's")
	ErrFields      = errors.New("more fields than the segment has")
	ErrSetID       = errors.New("set ID is not a number")
	ErrTime        = errors.New("not an HL7 date and time (YYYYMMDDHHMM[SS[.S]][+/-ZZZZ])")
	ErrVersion     = errors.New("MSH-12 is not an HL7 v2 version")
	ErrValueType   = errors.New("OBX-2 is not a value type of HL7 table 0125")
	ErrStatus      = errors.New("OBX-11 is not a result status of HL7 table 0085")
	ErrUnitSyntax  = errors.New("OBX-6 is not a unit this receiver knows")
	ErrCode        = errors.New("OBX-3 observation identifier is empty")
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
			d.syntax(msg, msh)
			if d.fail.err == nil {
				d.parse(msg)
			}
		default:
			d.setFail("AR", ErrProcessing, "MSH^1^11", "202")
		}
	}
	now := d.env.Clock.Now()
	d.reply(msh, ctrl, now)
	if d.fail.err != nil {
		reason := devices.ReasonField
		if d.fail.whole {
			reason = devices.ReasonSyntax
		}
		d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(len(msg)), Reason: reason, Field: d.fail.loc, Raw: head(msg), Err: d.fail.err}
		d.env.Events.FrameBad(&d.bad)
	} else {
		d.env.Events.FrameOK(off, len(msg)+3)
	}
	if !d.fail.whole {
		d.emit(now)
	}
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

// setFail records the first error of a message: what its ACK says.
// Failures with code AR, and those of syntax (failWhole), leave all the
// message's results unused.
func (d *Driver) setFail(code string, err error, loc, hl7err string) {
	if d.fail.err == nil {
		d.fail = failure{code: code, err: err, loc: loc, hl7err: hl7err, whole: code == "AR"}
	}
}

// failWhole records an error of syntax or content that makes the whole
// message doubtful: damage in transit, or a sender that does not follow
// the standard. None of its results is used.
func (d *Driver) failWhole(err error, loc, hl7err string) {
	if d.fail.err == nil {
		d.fail = failure{code: "AE", err: err, loc: loc, hl7err: hl7err, whole: true}
	}
}

// segmentFields is the number of fields of each segment an ORU^R01 may
// hold, in the largest HL7 v2 version that defines it (2.8); Z segments
// are site-defined and not counted. A segment with more fields, or a name
// not in the list, is damaged.
var segmentFields = map[string]int{
	"MSH": 25, "SFT": 6, "UAC": 2, "PID": 39, "PD1": 21, "NTE": 4, "NK1": 41,
	"PV1": 52, "PV2": 50, "ORC": 35, "OBR": 50, "TQ1": 14, "TQ2": 10,
	"CTD": 7, "OBX": 25, "FT1": 55, "CTI": 3, "SPM": 35, "DSC": 2,
	"PRT": 24, "ARV": 7, "ROL": 12, "DG1": 26, "AL1": 6, "IN1": 53,
}

// syntax checks the parts of a message that no value depends on and that
// a sender never gets wrong: no control characters, known segment names,
// no more fields than each segment has, MSH-7 and MSH-12. Damage in
// transit (HL7 has no checksum) shows there first. PID and the other
// identifying segments are checked for shape only, never read.
func (d *Driver) syntax(msg, msh []byte) {
	for _, c := range msg {
		if c < ' ' && c != CR && c != LF || c == 0x7f {
			d.setFail("AR", ErrControl, "MSH^1", "100")
			return
		}
	}
	Segments(msg, func(seg []byte) bool {
		name := seg[:min(3, len(seg))]
		max, known := segmentFields[string(name)]
		switch {
		case len(seg) < 3 || !segmentName(name) || len(seg) > 3 && seg[3] != d.d.FieldSep:
			d.setFail("AR", ErrSegmentName, "", "100")
			return false
		case !known && name[0] != 'Z':
			d.setFail("AR", ErrSegmentName, string(name), "100")
			return false
		case known && fields(seg, d.d.FieldSep) > max:
			d.setFail("AR", ErrFields, string(name), "100")
			return false
		}
		return true
	})
	if d.fail.err != nil {
		return
	}
	if _, ok := ParseTime(d.d.Component(d.d.Field(msh, 7), 1, false), d.loc); !ok {
		d.setFail("AR", ErrTime, "MSH^1^7", "102")
		return
	}
	if !version(d.d.Component(d.d.Field(msh, 12), 1, false)) {
		d.setFail("AR", ErrVersion, "MSH^1^12", "203")
	}
}

// segmentName reports whether b is a segment name: a capital letter and
// two capitals or digits.
func segmentName(b []byte) bool {
	if len(b) != 3 || b[0] < 'A' || b[0] > 'Z' {
		return false
	}
	for _, c := range b[1:] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// fields returns the number of fields of seg after its name (MSH-1, the
// separator itself, counted).
func fields(seg []byte, sep byte) int {
	n := bytes.Count(seg, []byte{sep})
	if string(seg[:3]) == "MSH" {
		n++
	}
	return n
}

// version reports whether b is an HL7 v2 version ID: 2.n or 2.n.n.
func version(b []byte) bool {
	if len(b) != 3 && len(b) != 5 || b[0] != '2' || b[1] != '.' || b[2] < '1' || b[2] > '9' {
		return false
	}
	return len(b) == 3 || b[3] == '.' && b[4] >= '0' && b[4] <= '9'
}

// setID reports whether a set ID (OBR-1, SPM-1, OBX-1) is a number: 1 to
// 4 digits, or empty.
func setID(b []byte) bool { return len(b) <= 4 && digits(b) }

// digits reports whether b holds ASCII digits only.
func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// timeField reads a TS field's first component: ok is false for one that
// is neither empty nor a date and time to the minute at least (a date
// alone, YYYYMMDD, is accepted and gives no time).
func (d *Driver) timeField(f []byte) (t int64, ok bool) {
	ts := d.d.Component(f, 1, false)
	switch {
	case len(ts) == 0:
		return 0, true
	case len(ts) == 8:
		var day [12]byte // the date at midnight: a real date, or not a time
		copy(day[:], ts)
		copy(day[8:], "0000")
		_, ok := ParseTime(day[:], d.loc)
		return 0, ok
	}
	return ParseTime(ts, d.loc)
}

// parse reads the segments after MSH. PID and every other segment that
// may carry identifiers is skipped unread.
func (d *Driver) parse(msg []byte) {
	dl := d.d
	obx := 0
	Segments(msg, func(seg []byte) bool {
		switch string(seg[:3]) {
		case "OBR":
			if len(d.orders) == cap(d.orders) {
				d.setFail("AE", ErrFull, "OBR", "207")
				return false
			}
			f := d.f[:]
			dl.SplitFields(seg, f)
			o := order{}
			if !setID(f[1]) {
				d.failWhole(ErrSetID, "OBR^1^1", "102")
				return false
			}
			src := f[15]
			o.obr15 = [3][]byte{dl.Component(src, 1, true), sub(dl, dl.Component(src, 1, false), 2), dl.Component(src, 3, false)}
			svc := f[4]
			o.panel = [2][]byte{dl.Component(svc, 1, false), dl.Component(svc, 4, false)}
			t, ok := d.timeField(f[7])
			if !ok {
				d.failWhole(ErrTime, "OBR^1^7", "102")
				return false
			}
			o.time = t
			d.orders = append(d.orders, o)
		case "SPM":
			f := d.f[:]
			dl.SplitFields(seg, f)
			if !setID(f[1]) {
				d.failWhole(ErrSetID, "SPM^1^1", "102")
				return false
			}
			t, ok := d.timeField(f[17])
			if !ok {
				d.failWhole(ErrTime, "SPM^1^17", "102")
				return false
			}
			if len(d.orders) == 0 {
				return true
			}
			o := &d.orders[len(d.orders)-1]
			typ := f[4]
			o.spm = [4][]byte{dl.Component(typ, 1, false), dl.Component(typ, 2, false), dl.Component(typ, 4, false), dl.Component(typ, 5, false)}
			if t != 0 {
				o.time = t
			}
		case "OBX":
			obx++
			d.observation(seg, obx)
		}
		return !d.fail.whole
	})
}

// sub returns subcomponent n (from 1) of c.
func sub(dl Delimiters, c []byte, n int) []byte {
	if dl.SubSep == 0 {
		if n == 1 {
			return c
		}
		return nil
	}
	return nth(c, dl.SubSep, n-1)
}

// valueTypes are HL7 table 0125's value types (OBX-2).
var valueTypes = [...]string{"AD", "CE", "CF", "CK", "CN", "CP", "CWE", "CX", "DT", "DTM", "ED", "FT", "ID", "IS", "MO", "NA", "NM", "PN", "RP", "SN", "ST", "TM", "TN", "TS", "TX", "XAD", "XCN", "XON", "XPN", "XTN", "CNE", "DR", "NR"}

func valueType(b []byte) bool {
	for _, v := range valueTypes {
		if string(b) == v {
			return true
		}
	}
	return false
}

// observation reads one OBX, the obx-th of the message. Its shape is
// checked whether or not its code is mapped: damage anywhere in a message
// makes all its values doubtful.
func (d *Driver) observation(seg []byte, obx int) {
	dl := d.d
	f := d.f[:]
	dl.SplitFields(seg, f)
	if !setID(f[1]) {
		d.failWhole(ErrSetID, location(obx, 1), "102")
		return
	}
	typ := f[2]
	val := f[5]
	if len(typ) > 0 && !valueType(typ) || len(typ) == 0 && len(val) > 0 {
		d.failWhole(ErrValueType, location(obx, 2), "102")
		return
	}
	status := f[11]
	if len(status) != 1 || bytes.IndexByte([]byte("CDFIPRSUWXNA"), status[0]) < 0 {
		d.failWhole(ErrStatus, location(obx, 11), "102")
		return
	}
	t, ok := d.timeField(f[14])
	if !ok {
		d.failWhole(ErrTime, location(obx, 14), "102")
		return
	}
	id := f[3]
	if len(dl.Component(id, 1, false)) == 0 && len(dl.Component(id, 4, false)) == 0 {
		d.failWhole(ErrCode, location(obx, 3), "101")
		return
	}
	var r result
	switch string(typ) {
	case "NM":
		r.v, r.q, ok = parseNM(val)
	case "SN":
		r.v, r.q, ok = parseSN(dl, val)
	default:
		ok = true
	}
	if !ok {
		d.failWhole(ErrValue, location(obx, 5), "102")
		return
	}
	d.scratch = dl.Unescape(d.scratch[:0], dl.Component(id, 1, false))
	e, mapped := d.table.Lookup(d.scratch)
	if !mapped {
		d.scratch = dl.Unescape(d.scratch[:0], dl.Component(id, 4, false))
		if e, mapped = d.table.Lookup(d.scratch); !mapped {
			return // an observation the table does not map
		}
	}
	switch string(typ) {
	case "NM", "SN":
	case "":
		r.q = channel.Unavailable // no value, e.g. status X
	default:
		d.failWhole(ErrValue, location(obx, 2), "102")
		return
	}
	if len(d.orders) == 0 {
		d.failWhole(ErrSegment, "OBX", "100")
		return
	}
	if len(d.results) == cap(d.results) {
		d.setFail("AE", ErrFull, "OBX", "207")
		return
	}
	r.e, r.order, r.t = e, len(d.orders)-1, t
	if r.q != channel.Unavailable {
		// The channel's unit does not depend on the site.
		proto := e.Channel(analyte.Arterial)
		units := f[6]
		code, text := dl.Unescape(d.scratch[:0], dl.Component(units, 1, false)), []byte(nil)
		d.scratch = code
		if len(code) > 0 && !analyte.KnownUnit(code) {
			d.failWhole(ErrUnitSyntax, location(obx, 6), "102")
			return
		}
		if r.conv, ok = e.Convert(proto, code); !ok && len(code) == 0 {
			// No identifier: the text component, as older senders write.
			text = dl.Unescape(d.scratch[len(d.scratch):], dl.Component(units, 2, false))
			if len(text) > 0 && analyte.KnownUnit(text) {
				r.conv, ok = e.Convert(proto, text)
			}
		}
		if !ok {
			if len(code) == 0 && len(text) == 0 {
				d.setFail("AE", ErrNoUnit, location(obx, 6), "103")
			} else {
				d.setFail("AE", ErrUnit, location(obx, 6), "103")
			}
			return
		}
	}
	r.q = flagQuality(f[8], r.q)
	r.q = statusQuality(status, r.q)
	d.results = append(d.results, r)
}

// parseNM reads an NM value as HL7 defines it: an optional sign, digits
// and an optional decimal point, nothing else (no exponent, no spaces).
// Two tolerances, which can only make a value not OK: a leading '<' or '>'
// (a limit, some senders' way of writing an SN) gives out_of_range, and an
// empty value unavailable.
func parseNM(b []byte) (float64, channel.Quality, bool) {
	if len(b) == 0 {
		return 0, channel.Unavailable, true
	}
	q := channel.OK
	if b[0] == '<' || b[0] == '>' {
		q, b = channel.OutOfRange, b[1:]
		if len(b) > 0 && b[0] == '=' {
			b = b[1:]
		}
	}
	if !numeric(b) {
		return 0, q, false
	}
	v, ok := analyte.Number(b)
	return v, q, ok
}

// numeric reports whether b is [+-]digits[.digits] with at least one digit.
func numeric(b []byte) bool {
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	digits, dot := 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// parseSN reads a structured numeric: comparator^number (the forms with a
// separator or a second number, ranges and ratios, are not a value).
func parseSN(dl Delimiters, val []byte) (float64, channel.Quality, bool) {
	if len(val) == 0 {
		return 0, channel.Unavailable, true
	}
	cmp, num := dl.Component(val, 1, false), dl.Component(val, 2, false)
	if len(dl.Component(val, 3, false)) > 0 || len(dl.Component(val, 4, false)) > 0 || !numeric(num) {
		return 0, channel.OK, false
	}
	v, ok := analyte.Number(num)
	q := channel.OK
	switch string(cmp) {
	case "<", ">", "<=", ">=":
		q = channel.OutOfRange
	case "", "=":
	default:
		return 0, q, false
	}
	return v, q, ok
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
// (deleted), W (wrong, replaced), I (pending), N (not asked) and A
// (amended: the corrected result follows) are unavailable; P
// (preliminary), R (not verified) and S (partial) questionable; F, C and U
// as they are.
func statusQuality(f []byte, q channel.Quality) channel.Quality {
	if len(f) != 1 {
		return q
	}
	switch f[0] {
	case 'X', 'D', 'W', 'I', 'N', 'A':
		return channel.Unavailable
	case 'P', 'R', 'S':
		if q == channel.OK {
			return channel.Questionable
		}
	}
	return q
}

// emit puts the results of a message that was processed (AA, or AE for the
// results that decoded): the site of each order's results is inferred
// (analyte.Sites.Infer) and noted.
func (d *Driver) emit(now int64) {
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
		o.parts = [7]analyte.Part{
			{Field: "SPM-4", Text: o.spm[0]}, {Field: "SPM-4", Text: o.spm[1]}, {Field: "SPM-4", Text: o.spm[2]}, {Field: "SPM-4", Text: o.spm[3]},
			{Field: "OBR-15", Text: o.obr15[0]}, {Field: "OBR-15", Text: o.obr15[1]}, {Field: "OBR-15", Text: o.obr15[2]},
		}
		o.panels = [2]analyte.Part{{Field: "OBR-4", Text: o.panel[0]}, {Field: "OBR-4", Text: o.panel[1]}}
		inf = d.sites.Infer(&analyte.Evidence{Specimen: o.parts[:], Panels: o.panels[:], Siblings: d.siblings}, d.panels)
		if d.noter != nil && follows {
			d.note = inf.AppendNote(d.note[:0])
			d.noter.Note(string(d.note))
		}
		for j := range d.results {
			if r := &d.results[j]; r.order == i {
				d.put(r, o, &inf, now)
			}
		}
	}
}

// put emits one result of order o, inferred as inf.
func (d *Driver) put(r *result, o *order, inf *analyte.Inference, now int64) {
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

// reply writes the ACK of the message whose MSH is msh: MSA-1 AA, or AE/AR
// with MSA-3 and an ERR segment giving the reason.
func (d *Driver) reply(msh, ctrl []byte, now int64) {
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

package intellivue

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "intellivue"

//go:embed sample.conf
var sampleConfig string

// Registration only: no hardware access in init.
func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// Duration is a time.Duration written in config as "2.5s".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config holds the options of sample.conf.
type Config struct {
	// Link is the framing: "lan" (UDP), "serial" (MIB/RS232), or "" to
	// find it from what the monitor sends (the association request then
	// goes out in both framings until the monitor answers).
	Link string `toml:"link"`
	// LostAfter is how long a monitor may say nothing, once associated,
	// before the driver gives it up and returns (the Supervisor then
	// reconnects). Default 2.5 s; at least 1.5 s.
	LostAfter Duration `toml:"lost_after"`
	// Labels adds or overrides label mappings: label code -> channel.
	Labels map[string]string `toml:"labels"`
}

// Timing of the dialogue. The guide's limits: association control at most
// one message a second, one poll per object type a second (plus one for
// numeric observed values), association timeout 10 s for a minimum poll
// period under 3.3 s.
const (
	assocEvery     = 2 * time.Second
	mdsWait        = 10 * time.Second
	pollPeriod     = 20 * time.Second // active period of the extended polls
	renewEvery     = 15 * time.Second
	labelsEvery    = 10 * time.Second
	keepAliveIdle  = 4 * time.Second // we have sent nothing for this long
	probeQuiet     = 1500 * time.Millisecond
	defaultLost    = 2500 * time.Millisecond
	maxTick        = 250 * time.Millisecond
	ownerHold      = 3 * time.Second
	minPollTicks   = ticksPerSecond // asked minimum poll period: 1 s
	clientMTURx    = 1364
	clientMTUTx    = 1000
	maxHandles     = 512
	kPaToMMHg      = 7.50061683
	invalidPhysio  = 0xFFFF
	singlePollEach = time.Second
	// maxChannelID bounds the channel IDs the driver emits (all built in).
	maxChannelID = 256
	noRank       = 0xFFFF
)

// ErrMonitorLost is returned by Decode when an associated monitor stopped
// answering.
var ErrMonitorLost = errors.New("intellivue: the monitor stopped answering")

// state is where the dialogue is.
type state uint8

const (
	stAssociating state = iota // sending association requests
	stWaitMDS                  // accepted; waiting for the MDS create event
	stPolling                  // polls running
)

type handleInfo struct {
	label uint32
	str   [16]byte
	strN  uint8
}

type owner struct {
	rank uint16
	time int64
	set  bool
}

type noteKey struct {
	kind   uint8
	label  uint32
	physio uint16
	ch     channel.ID
}

// Driver decodes the IntelliVue Data Export protocol and holds its dialogue.
// A Driver is used by one goroutine.
type Driver struct {
	cfg       Config
	link      link
	lostAfter time.Duration
	labels    map[uint32]meaning
	carried   map[channel.ID]bool

	fr      *framer
	w       *walker
	env     devices.Env
	rw      io.Writer
	live    bool
	handles map[uint32]handleInfo
	owners  [maxChannelID]owner
	best    [maxChannelID]uint16 // per message; noRank when none
	notes   map[noteKey]string
	bad     devices.FrameError
	out     []byte
	msg     []byte
	rbuf    []byte

	// dialogue
	st          state
	ext         bool // extended polls negotiated
	invoke      uint16
	pollNo      uint16
	since       time.Time // entered the state
	lastRx      time.Time
	lastTx      time.Time
	nextAssoc   time.Time
	attempts    int
	abortNext   bool
	nextRenew   time.Time
	nextLabels  time.Time
	nextPoll    time.Time
	lastProbe   time.Time
	extInvoke   uint16
	unlabelled  bool
	lastLabelRq time.Time
}

// Compile-time checks of the interfaces the driver implements.
var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
	_ devices.Responder    = (*Driver)(nil)
)

// New returns a driver with default options.
func New() *Driver {
	d := &Driver{}
	if err := d.Init(); err != nil {
		panic(err)
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Init validates the options.
func (d *Driver) Init() error {
	switch strings.ToLower(d.cfg.Link) {
	case "", "auto":
		d.link = linkUnknown
	case "lan", "udp":
		d.link = linkLAN
	case "serial", "rs232", "mib":
		d.link = linkSerial
	default:
		return fmt.Errorf("intellivue: link = %q: want \"lan\", \"serial\" or \"\" (find it)", d.cfg.Link)
	}
	d.lostAfter = d.cfg.LostAfter.Duration
	if d.lostAfter == 0 {
		d.lostAfter = defaultLost
	}
	if d.lostAfter < probeQuiet {
		return fmt.Errorf("intellivue: lost_after = %v: at least %v (the keep-alive probe goes out after %v of silence)", d.lostAfter, probeQuiet, probeQuiet)
	}
	d.labels = make(map[uint32]meaning, len(defaultLabels)+len(d.cfg.Labels))
	for k, v := range defaultLabels {
		d.labels[k] = v
	}
	keys := make([]string, 0, len(d.cfg.Labels))
	for k := range d.cfg.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		code, err := parseLabel(k)
		if err != nil {
			return fmt.Errorf("intellivue: labels: %w", err)
		}
		name := d.cfg.Labels[k]
		id, ok := channel.Lookup(name)
		if !ok {
			return fmt.Errorf("intellivue: labels: %s = %q is not a channel of the vocabulary", k, name)
		}
		m, ok := meaningOf(id)
		if !ok {
			return fmt.Errorf("intellivue: labels: %s = %q: the driver maps labels to pressures, temperatures, HR, SpO2, pulse, EtCO2, RR and BIS only", k, name)
		}
		m.rank = uint16(200 + i)
		m.name = "label " + k
		if def, ok := defaultLabels[code]; ok {
			m.rank = def.rank // a site's override keeps the label's priority
			m.name = def.name
		}
		d.labels[code] = m
	}
	d.carried = map[channel.ID]bool{}
	for _, m := range d.labels {
		for _, c := range []comp{compOne, compSys, compDia, compMean, compET} {
			if id := channelFor(m.fam, m.site, c); id != channel.Invalid {
				d.carried[id] = true
			}
		}
	}
	return nil
}

// Describe tells what the driver emits.
func (d *Driver) Describe() devices.Description {
	ds := devices.Description{
		Summary:      "Philips IntelliVue MP/MX/X2 Data Export (LAN UDP 24105, or MIB/RS232): numerics by label",
		Interval:     time.Second,
		MaxFrame:     MaxFrame,
		Port:         devices.PortSettings{Baud: 115200, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"},
		SampleConfig: sampleConfig,
	}
	ids := make([]channel.ID, 0, len(d.carried))
	for id := range d.carried {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		var names []string
		for code, m := range d.labels {
			for _, c := range []comp{compOne, compSys, compDia, compMean, compET} {
				if channelFor(m.fam, m.site, c) == id && !slices.Contains(names, m.name) {
					names = append(names, m.name)
					_ = code
				}
			}
		}
		sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
		cs := devices.ChannelSpec{ID: id, Field: strings.Join(names, ", "), Interval: time.Second}
		switch id {
		case channel.PatientSys, channel.PatientDia, channel.PatientMAP:
			cs.Note = "invasive arterial pressure; ABP before ART before Ao when several"
		case channel.PatientPulse:
			cs.Note = "pulse from SpO2; pulses from pressures by [labels] only"
		case channel.PatientRR:
			cs.Note = "airway RR (CO2); impedance RR by [labels] only"
		case channel.PatientEtCO2:
			cs.Note = "mmHg or kPa; a CO2 in % is no value"
		}
		ds.Channels = append(ds.Channels, cs)
	}
	return ds
}

// Decode reads the monitor until rw fails or ctx is done. On a stream with
// read deadlines (a UDP socket, a serial port) it holds the dialogue:
// association, MDS create result, polls renewed before they expire,
// keep-alives; it returns ErrMonitorLost when an associated monitor stops
// answering, and says goodbye (a release, best effort) when ctx is done.
// On any other stream (a capture, a file) it only reads.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	d.env = env.WithDefaults()
	d.rw = rw
	if d.fr == nil {
		d.fr = newFramer()
		d.w = newWalker()
		d.handles = make(map[uint32]handleInfo, 64)
		d.notes = make(map[noteKey]string, 16)
		d.rbuf = make([]byte, 4096)
		d.out = make([]byte, 0, MaxFrame)
		d.msg = make([]byte, 0, MaxMessage)
	}
	dl, live := rw.(devices.Deadliner)
	d.live = live
	d.fr.reset(d.link, live)
	clear(d.handles)
	d.owners = [maxChannelID]owner{}
	if live {
		now := time.Now()
		d.lastRx, d.lastTx = now, time.Time{}
		d.enter(stAssociating, now)
		d.attempts, d.abortNext = 0, false
		d.nextAssoc = now
		if err := d.timers(now); err != nil {
			return err
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			d.goodbye()
			return err
		}
		if live {
			dl.SetReadDeadline(time.Now().Add(d.untilNext(time.Now())))
		}
		n, err := rw.Read(d.rbuf)
		if n > 0 {
			d.fr.feed(d.rbuf[:n], d)
		}
		if err != nil {
			// A monitor that is not there yet answers nothing, or (UDP) a
			// "connection refused": both are silence to the dialogue.
			if live && (errors.Is(err, os.ErrDeadlineExceeded) || refused(err)) {
				if terr := d.timers(time.Now()); terr != nil {
					return terr
				}
				continue
			}
			if cerr := ctx.Err(); cerr != nil {
				d.goodbye()
				return cerr
			}
			if err == io.EOF {
				d.fr.flush(d)
			}
			return err
		}
		if live {
			if terr := d.timers(time.Now()); terr != nil {
				return terr
			}
		}
	}
}

func (d *Driver) enter(s state, now time.Time) { d.st, d.since = s, now }

// untilNext is how long the next read may wait: until the next timer, at
// most maxTick (ctx is checked between reads).
func (d *Driver) untilNext(now time.Time) time.Duration {
	next := now.Add(maxTick)
	consider := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	switch d.st {
	case stAssociating:
		consider(d.nextAssoc)
	case stPolling:
		consider(d.nextRenew)
		consider(d.nextLabels)
		if !d.ext {
			consider(d.nextPoll)
		}
	}
	w := next.Sub(now)
	return max(w, time.Millisecond)
}

// timers does what is due at now.
func (d *Driver) timers(now time.Time) error {
	switch d.st {
	case stAssociating:
		if now.Before(d.nextAssoc) {
			return nil
		}
		d.nextAssoc = now.Add(assocEvery)
		// Two requests unanswered, or a refusal: an association of ours
		// may still be open at the monitor (a previous run on the same
		// port or line). An abort ends it; the next request then goes
		// through. The monitor takes one association message a second.
		if d.abortNext || d.attempts >= 2 {
			d.abortNext, d.attempts = false, 0
			d.send(abortMsg)
			return nil
		}
		d.attempts++
		d.msg = appendAssoc(d.msg[:0], userInfo{minPollPeriod: minPollTicks, mtuRx: clientMTURx, mtuTx: clientMTUTx, extOptions: pollExtPeriodNu1s}, true)
		d.send(d.msg)
	case stWaitMDS:
		if now.Sub(d.since) > mdsWait {
			devices.Note(d.env.Events, "no MDS create event after the association: aborted and associating again")
			d.send(abortMsg)
			d.restart(now)
		}
	case stPolling:
		quiet := now.Sub(d.lastRx)
		if quiet >= d.lostAfter {
			d.send(abortMsg) // best effort: the monitor may be there and deaf
			return fmt.Errorf("%w: nothing for %v", ErrMonitorLost, quiet.Round(time.Millisecond))
		}
		if !now.Before(d.nextRenew) {
			d.startPolls(now)
		}
		if !d.ext && !now.Before(d.nextPoll) {
			d.nextPoll = now.Add(singlePollEach)
			d.poll(mocVMOMetricNu, grpMetricObs, false)
		}
		if !now.Before(d.nextLabels) || (d.unlabelled && now.Sub(d.lastLabelRq) >= 2*time.Second) {
			d.pollLabels(now)
		}
		if quiet >= probeQuiet && now.Sub(d.lastProbe) >= time.Second || now.Sub(d.lastTx) >= keepAliveIdle {
			// The guide's keep-alive: a short poll of the alert monitor's
			// static context. Its answer also tells a quiet monitor from
			// a gone one.
			d.lastProbe = now
			d.poll(mocVMOAlMon, grpVMOStatic, false)
		}
	}
	return nil
}

func (d *Driver) restart(now time.Time) {
	d.enter(stAssociating, now)
	d.nextAssoc = now.Add(time.Second)
	d.attempts = 0
}

// startPolls (re)sends the extended polls: numerics' observed values and
// the alert monitor, for pollPeriod.
func (d *Driver) startPolls(now time.Time) {
	d.nextRenew = now.Add(renewEvery)
	if d.ext {
		d.extInvoke = d.poll(mocVMOMetricNu, grpMetricObs, true)
	}
	d.poll(mocVMOAlMon, grpAlMon, true)
}

func (d *Driver) pollLabels(now time.Time) {
	d.nextLabels = now.Add(labelsEvery)
	d.lastLabelRq = now
	d.unlabelled = false
	d.poll(mocVMOMetricNu, grpVMODynamic, false)
}

func (d *Driver) poll(objType, grp uint16, ext bool) uint16 {
	d.invoke++
	d.pollNo++
	period := uint32(0)
	if ext {
		period = uint32(pollPeriod / time.Second * ticksPerSecond)
	}
	d.msg = appendPoll(d.msg[:0], d.invoke, d.pollNo, objType, grp, ext, period)
	d.send(d.msg)
	return d.invoke
}

// send writes one message in the link's framing, or in both while the
// framing is unknown. A failed write is noted: the dialogue's timers
// notice a monitor that does not answer.
func (d *Driver) send(msg []byte) {
	if !d.live {
		return
	}
	d.lastTx = time.Now()
	mode := d.fr.mode
	var err error
	if mode != linkSerial {
		_, err = d.rw.Write(msg)
	}
	if mode != linkLAN {
		d.out = appendSerial(d.out[:0], msg)
		if _, e := d.rw.Write(d.out); e != nil {
			err = e
		}
	}
	if err != nil {
		devices.Note(d.env.Events, "a message to the monitor could not be sent")
	}
}

// goodbye releases an association when Decode stops, best effort.
func (d *Driver) goodbye() {
	if d.live && d.st != stAssociating {
		d.send(releaseRequestMsg)
	}
}

// message handles one delimited message (framer handler).
func (d *Driver) message(m []byte, off int64, size int) {
	now := time.Time{}
	if d.live {
		now = time.Now()
		d.lastRx = now
	}
	if m[0] != sessionData {
		d.sessionMessage(m, off, size, now)
		return
	}
	msg, err := parseData(m)
	if err != nil {
		d.badMessage(m, off, size, err)
		return
	}
	switch {
	case msg.ro == roIV && msg.cmd == cmdConfirmedEventReport:
		ev, err := parseEvent(msg)
		if err != nil {
			d.badMessage(m, off, size, err)
			return
		}
		d.env.Events.FrameOK(off, size)
		if ev.event == notiMDSCreate && d.live {
			d.msg = appendMDSCreateResult(d.msg[:0], msg.invoke, ev.obj, uint32(now.UnixMilli()*8))
			d.send(d.msg)
			if d.st == stWaitMDS {
				d.enter(stPolling, now)
				d.startPolls(now)
				d.pollLabels(now)
				d.nextPoll = now
			}
		}
	case (msg.ro == roRS || msg.ro == roLRS) && msg.cmd == cmdConfirmedAction:
		p, err := parsePollReply(msg)
		if err == nil && (p.action == actPoll || p.action == actPollExt) {
			err = d.w.walkPoll(p.list)
		}
		if err != nil {
			d.badMessage(m, off, size, err)
			return
		}
		d.env.Events.FrameOK(off, size)
		if p.objType == mocVMOMetricNu && (p.action == actPoll || p.action == actPollExt) {
			d.numerics()
		}
	case msg.ro == roER:
		d.env.Events.FrameOK(off, size)
		devices.Note(d.env.Events, "the monitor answered a request with a remote operation error")
		if d.live && d.ext && msg.invoke == d.extInvoke {
			devices.Note(d.env.Events, "the extended poll of numerics was refused: polling once a second instead")
			d.ext = false
		}
	default:
		d.env.Events.FrameOK(off, size)
	}
}

func (d *Driver) sessionMessage(m []byte, off int64, size int, now time.Time) {
	switch m[0] {
	case spduAC:
		u, err := parseUserInfo(m)
		if err != nil {
			d.badMessage(m, off, size, err)
			return
		}
		d.env.Events.FrameOK(off, size)
		if !d.live || d.st != stAssociating {
			return
		}
		d.ext = u.hasExt && u.extOptions&pollExtPeriodNu1s != 0
		if !d.ext {
			devices.Note(d.env.Events, "the monitor did not grant extended polls of real-time numerics: polling once a second")
		}
		d.enter(stWaitMDS, now)
	case spduRF:
		d.env.Events.FrameOK(off, size)
		devices.Note(d.env.Events, "the monitor refused the association (another client, or an old association still open)")
		if d.live && d.st == stAssociating {
			d.abortNext = true
		}
	case spduAB, spduDN:
		d.env.Events.FrameOK(off, size)
		if m[0] == spduAB {
			devices.Note(d.env.Events, "the monitor aborted the association")
		}
		if d.live && d.st != stAssociating {
			d.enter(stAssociating, now)
			d.nextAssoc, d.attempts = now.Add(time.Second), 0
		}
	default: // a client's request, in a capture of both directions
		d.env.Events.FrameOK(off, size)
	}
}

func (d *Driver) badMessage(m []byte, off int64, size int, err error) {
	field := ""
	var pe *parseError
	if errors.As(err, &pe) {
		field = pe.field
	}
	d.bad = devices.FrameError{Driver: Name, Offset: off, Size: int64(size), Reason: devices.ReasonField, Field: field, Raw: devices.RawHead(m), Err: err}
	d.env.Events.FrameBad(&d.bad)
}

// badFrame passes the framer's bad frames on (framer handler).
func (d *Driver) badFrame(e *devices.FrameError) { d.env.Events.FrameBad(e) }

// numerics emits the values of the poll result the walker holds. Where
// several numerics feed one channel, the label of highest priority in the
// message wins, and keeps the channel for ownerHold.
func (d *Driver) numerics() {
	t := d.env.Clock.Now()
	for i := range d.best {
		d.best[i] = noRank
	}
	for pass := range 2 {
		for i := range d.w.obs {
			o := &d.w.obs[i]
			key := uint32(o.ctx)<<16 | uint32(o.handle)
			if pass == 0 && o.hasLabel {
				if _, ok := d.handles[key]; !ok && len(d.handles) >= maxHandles {
					clear(d.handles)
				}
				h := handleInfo{label: o.label, strN: o.labelStrN, str: o.labelStr}
				if old, ok := d.handles[key]; ok && old.label == o.label && o.labelStrN == 0 {
					h.str, h.strN = old.str, old.strN
				}
				d.handles[key] = h
			}
			h, known := d.handles[key]
			for _, v := range d.w.vals[o.first : o.first+o.n] {
				ch, rank := d.resolve(h, known, v, pass == 1)
				if ch == channel.Invalid || ch >= maxChannelID {
					continue
				}
				if pass == 0 {
					d.best[ch] = min(d.best[ch], rank)
					continue
				}
				d.emit(t, ch, rank, h, v)
			}
			if pass == 1 && !known && o.n > 0 {
				d.unlabelled = true
			}
		}
	}
}

const (
	noteUnknownLabel uint8 = iota
	noteUnknownPhysio
	noteDisagree
	noteWaitLabel
	noteUnit
	noteDemo
	noteSecond
)

// resolve finds the channel of a value and the rank of what names it;
// channel.Invalid for a value not emitted (noted when note is set).
func (d *Driver) resolve(h handleInfo, known bool, v obsValue, note bool) (channel.ID, uint16) {
	pm, pok := physio[v.physio]
	if known {
		lm, lok := d.labels[h.label]
		switch {
		case !lok:
			if note {
				d.note(noteKey{kind: noteUnknownLabel, label: h.label, physio: v.physio}, h)
			}
			return channel.Invalid, 0
		case !pok:
			if note {
				d.note(noteKey{kind: noteUnknownPhysio, label: h.label, physio: v.physio}, h)
			}
			return channel.Invalid, 0
		case !agrees(lm, pm):
			if note {
				d.note(noteKey{kind: noteDisagree, label: h.label, physio: v.physio}, h)
			}
			return channel.Invalid, 0
		}
		// Known and not carried (CVP systolic, inspired CO2) is Invalid.
		return channelFor(lm.fam, lm.site, pm.comp), lm.rank
	}
	switch {
	case !pok:
		if note {
			d.note(noteKey{kind: noteUnknownPhysio, physio: v.physio}, h)
		}
		return channel.Invalid, 0
	case pm.site == siteAny:
		if note {
			d.note(noteKey{kind: noteWaitLabel, physio: v.physio}, h)
		}
		return channel.Invalid, 0
	}
	return channelFor(pm.fam, pm.site, pm.comp), pm.rank
}

func (d *Driver) emit(t int64, ch channel.ID, rank uint16, h handleInfo, v obsValue) {
	o := d.owners[ch]
	if rank > d.best[ch] || (o.set && rank > o.rank && t-o.time < int64(ownerHold)) {
		d.note(noteKey{kind: noteSecond, label: h.label, physio: v.physio, ch: ch}, h)
		return
	}
	d.owners[ch] = owner{rank: rank, time: t, set: true}
	val, q := d.convert(ch, v, h)
	d.env.Sink.Put(monitor.Sample{Time: t, Channel: ch, Source: d.env.Source, Value: val, Quality: q})
}

// convert applies the measurement state and the unit.
func (d *Driver) convert(ch channel.ID, v obsValue, h handleInfo) (float64, channel.Quality) {
	nan := math.NaN()
	q := channel.OK
	if s := v.state; s&0xFF00 != 0 {
		switch {
		case s&(msTestData|msDemoData) != 0:
			d.note(noteKey{kind: noteDemo, ch: ch}, h)
			return nan, channel.Unavailable
		case s&(msInvalid|msUnavailable|msCalibration) != 0:
			return nan, channel.Unavailable
		case s == s&(msQuestionable|0x00FF):
			q = channel.Questionable
		default:
			return nan, channel.Unavailable // a state bit the guide does not define
		}
	}
	x := v.value
	if math.IsNaN(x) {
		return nan, channel.Unavailable
	}
	if math.IsInf(x, 0) {
		return nan, channel.OutOfRange
	}
	c := channel.Get(ch)
	ok := true
	switch c.Unit {
	case channel.MMHg:
		switch v.unit {
		case dimMMHg:
		case dimKPa:
			x = math.Round(x*kPaToMMHg*100) / 100 // 0.01 mmHg: finer than any monitor shows
		default:
			ok = false
		}
	case channel.Celsius:
		switch v.unit {
		case dimDegC:
		case dimFahr:
			x = math.Round((x-32)*5/9*100) / 100
		default:
			ok = false
		}
	case channel.PerMin:
		ok = v.unit == dimBPM || v.unit == dimRPM
	case channel.Percent:
		ok = v.unit == dimPercent
	case channel.Index:
		ok = v.unit == dimDimless
	default:
		ok = false
	}
	if !ok {
		d.note(noteKey{kind: noteUnit, physio: v.unit, ch: ch}, h)
		return nan, channel.Unavailable
	}
	return x, c.Classify(x, q)
}

// note reports a finding once per occurrence, with a text made once.
func (d *Driver) note(k noteKey, h handleInfo) {
	text, ok := d.notes[k]
	if !ok {
		if len(d.notes) >= 256 {
			clear(d.notes)
		}
		text = noteText(k, h)
		d.notes[k] = text
	}
	devices.Note(d.env.Events, text)
}

func noteText(k noteKey, h handleInfo) string {
	label := fmt.Sprintf("0x%08X", k.label)
	if h.strN > 0 && h.label == k.label {
		label += fmt.Sprintf(" %q", string(h.str[:h.strN]))
	}
	switch k.kind {
	case noteUnknownLabel:
		return fmt.Sprintf("unknown label %s (value 0x%04X): counted, not emitted; map it under [labels]", label, k.physio)
	case noteUnknownPhysio:
		if k.label == 0 {
			return fmt.Sprintf("unknown value code 0x%04X without a label: counted, not emitted", k.physio)
		}
		return fmt.Sprintf("label %s carries unknown value code 0x%04X: counted, not emitted", label, k.physio)
	case noteDisagree:
		return fmt.Sprintf("label %s and its value code 0x%04X (%s) disagree: not emitted", label, k.physio, physio[k.physio].name)
	case noteWaitLabel:
		return fmt.Sprintf("value code 0x%04X (%s) names no site: not emitted until its label is known", k.physio, physio[k.physio].name)
	case noteUnit:
		return fmt.Sprintf("%s in unit code 0x%04X cannot be converted to %s: no value", k.ch, k.physio, channel.Get(k.ch).Unit)
	case noteDemo:
		return fmt.Sprintf("%s: the monitor sends demo or test data, not a patient's: no value", k.ch)
	case noteSecond:
		return fmt.Sprintf("%s: label %s not used while a label of higher priority feeds it", k.ch, label)
	}
	return "intellivue note"
}

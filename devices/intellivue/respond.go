package intellivue

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
)

// The emulated monitor's side of the dialogue, as the guide describes the
// monitor: it answers an association request with a response and its MDS
// create event (resent every 3 s, three times, until confirmed), ignores
// polls before that, answers polls with the newest values, sends periodic
// results for an extended poll's active period only, and aborts an
// association that hears nothing from its client for 10 s. It holds one
// association: a request while one is open is ignored, as the monitor
// ignores a second request from its client's port; a release or an abort
// ends it. Unlike the monitor, it cannot tell clients apart by their port.

const (
	monitorTimeout  = 10 * time.Second
	mdsResend       = 3 * time.Second
	resultPeriod    = time.Second
	monitorTick     = 50 * time.Millisecond
	errNoSuchObject = 0 // NO_SUCH_OBJECT_CLASS
	alertHandle     = 0x0001
)

type extPoll struct {
	active           bool
	until, next      time.Time
	invoke, pollNo   uint16
	grp              uint16
	seq              uint16
	objType          uint16
	startedAtRequest time.Time
}

type monitorSide struct {
	fr       *framer
	c        devices.Conn
	latest   func([]monitor.Sample) []monitor.Sample
	samples  []monitor.Sample
	assoc    bool
	ext      bool
	lastRx   time.Time
	mdsSent  time.Time
	mdsTries int
	mdsDone  bool
	nu, al   extPoll
	msg, out []byte
	err      error
	start    time.Time
}

// Respond holds the monitor's side of one connection (devices.Responder)
// until ctx is done or c fails.
func (d *Driver) Respond(ctx context.Context, c devices.Conn, latest func([]monitor.Sample) []monitor.Sample) error {
	m := &monitorSide{fr: newFramer(), c: c, latest: latest, start: time.Now(),
		msg: make([]byte, 0, MaxMessage), out: make([]byte, 0, MaxFrame)}
	m.fr.reset(d.link, true)
	buf := make([]byte, 4096)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(monitorTick))
		n, err := c.Read(buf)
		if n > 0 {
			m.fr.feed(buf[:n], m)
		}
		if m.err != nil {
			return m.err
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !refused(err) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if err := m.timers(time.Now()); err != nil {
			return err
		}
	}
}

// rel is the monitor's relative time: 1/8 ms since the dialogue began.
func (m *monitorSide) rel(now time.Time) uint32 {
	return uint32(now.Sub(m.start) / (time.Second / ticksPerSecond))
}

func (m *monitorSide) send(msg []byte) {
	if m.fr.mode == linkSerial {
		m.out = appendSerial(m.out[:0], msg)
		msg = m.out
	}
	// A datagram to a client that went away comes back as "connection
	// refused"; the monitor does not care. A closed port ends the dialogue.
	if _, err := m.c.Write(msg); err != nil && m.err == nil && !refused(err) {
		m.err = err
	}
}

func (m *monitorSide) badFrame(*devices.FrameError) {}

func (m *monitorSide) message(b []byte, _ int64, _ int) {
	now := time.Now()
	switch b[0] {
	case spduCN:
		if m.assoc {
			return // the monitor ignores a second request of its client
		}
		req, err := parseUserInfo(b)
		if err != nil || req.systemType&systClient == 0 || req.protocol&mddlVersion1 == 0 {
			m.send(refuseMsg)
			return
		}
		resp := userInfo{minPollPeriod: max(req.minPollPeriod, ticksPerSecond), mtuRx: min(req.mtuRx, 1364), mtuTx: min(req.mtuTx, 1364)}
		if req.hasExt && req.extOptions&pollExtPeriodNu1s != 0 {
			resp.extOptions = pollExtPeriodNu1s
		}
		m.ext = resp.extOptions != 0
		m.assoc, m.mdsDone, m.mdsTries = true, false, 0
		m.nu, m.al = extPoll{}, extPoll{}
		m.lastRx = now
		m.msg = appendAssoc(m.msg[:0], resp, false)
		m.send(m.msg)
		m.sendMDS(now)
		return
	case spduFN:
		if m.assoc {
			m.send(releaseResponseMsg)
			m.assoc = false
		}
		return
	case spduAB:
		m.assoc = false
		return
	case sessionData:
	default:
		return
	}
	if !m.assoc {
		return // no association: nothing is answered
	}
	msg, err := parseData(b)
	if err != nil {
		return
	}
	m.lastRx = now
	switch {
	case msg.ro == roRS && msg.cmd == cmdConfirmedEventReport:
		if ev, err := parseEvent(msg); err == nil && ev.event == notiMDSCreate {
			m.mdsDone = true
		}
	case msg.ro == roIV && msg.cmd == cmdConfirmedAction && m.mdsDone:
		m.pollRequest(msg, now)
	}
}

func (m *monitorSide) sendMDS(now time.Time) {
	m.mdsSent = now
	m.mdsTries++
	m.msg = appendMDSCreateEvent(m.msg[:0], 1, m.rel(now))
	m.send(m.msg)
}

func (m *monitorSide) pollRequest(msg dataMsg, now time.Time) {
	r := msg.body
	r.object()
	r.u32() // scope
	action := r.u16()
	data := r.take(int(r.u16()))
	pollNo := data.u16()
	data.u16() // partition
	objType := data.u16()
	grp := data.u16()
	if !r.ok || !data.ok || (action != actPoll && action != actPollExt) {
		m.msg = appendROError(m.msg[:0], msg.invoke, errNoSuchObject)
		m.send(m.msg)
		return
	}
	if objType != mocVMOMetricNu && objType != mocVMOAlMon {
		m.msg = appendROError(m.msg[:0], msg.invoke, errNoSuchObject)
		m.send(m.msg)
		return
	}
	if action == actPoll {
		m.result(msg.invoke, actPoll, pollNo, 0, objType, grp, now)
		return
	}
	if !m.ext && objType == mocVMOMetricNu {
		m.msg = appendROError(m.msg[:0], msg.invoke, errNoSuchObject)
		m.send(m.msg)
		return
	}
	period := time.Duration(0)
	count := int(data.u16())
	attrs := data.take(int(data.u16()))
	for range count {
		id := attrs.u16()
		v := attrs.take(int(attrs.u16()))
		if id == attrTimePdPoll {
			period = time.Duration(v.u32()) * time.Second / ticksPerSecond
		}
	}
	p := &m.nu
	if objType == mocVMOAlMon {
		p = &m.al
	}
	// A renewal keeps the basic period of the replies (guide, Figure 2);
	// the first result of every request goes at once, sequence 0.
	keep := p.active
	*p = extPoll{active: period > 0, until: now.Add(period), invoke: msg.invoke, pollNo: pollNo, grp: grp, objType: objType, next: p.next, seq: p.seq}
	if !keep {
		p.next = now.Add(resultPeriod)
		p.seq = 0
	}
	m.result(msg.invoke, actPollExt, pollNo, 0, objType, grp, now)
}

// result sends one poll result with the newest values.
func (m *monitorSide) result(invoke, action, pollNo, seq, objType, grp uint16, now time.Time) {
	var p pollResult
	p.begin(m.msg[:0], invoke, action, pollNo, seq, m.rel(now), objType, grp)
	if objType == mocVMOMetricNu {
		m.samples = m.latest(m.samples[:0])
		labels := grp == grpAll || grp == grpVMODynamic
		values := grp == grpAll || grp == grpMetricObs
		if labels || values {
			appendObjects(&p, m.samples, labels, values)
		}
	} else {
		at := p.obj(alertHandle)
		p.attrEnd(at, 0)
	}
	m.msg = p.end()
	m.send(m.msg)
}

func (m *monitorSide) timers(now time.Time) error {
	if !m.assoc {
		return nil
	}
	if now.Sub(m.lastRx) > monitorTimeout {
		m.send(abortMsg)
		m.assoc = false
		return nil
	}
	if !m.mdsDone && now.Sub(m.mdsSent) >= mdsResend {
		if m.mdsTries >= 3 {
			m.send(abortMsg)
			m.assoc = false
			return nil
		}
		m.sendMDS(now)
	}
	for _, p := range []*extPoll{&m.nu, &m.al} {
		if !p.active {
			continue
		}
		if now.After(p.until) {
			p.active = false
			continue
		}
		if !now.Before(p.next) {
			p.next = p.next.Add(resultPeriod)
			if p.next.Before(now) {
				p.next = now.Add(resultPeriod)
			}
			p.seq++
			m.result(p.invoke, actPollExt, p.pollNo, p.seq, p.objType, p.grp, now)
		}
	}
	return m.err
}

// refused reports an ICMP "port unreachable" from a UDP peer that went away.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

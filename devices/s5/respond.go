package s5

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
)

// Respond is the monitor's side of the computer interface, for the
// simulator: it sends nothing until asked, then displayed values at the
// interval of the request (taken from latest, the newest simulated
// values), in the classes asked for, until a request with interval 0 stops
// it or c fails. A single transmission (-1) is sent once, and ignored
// within 5 s of the previous one, as the document says. What the document
// leaves open, the emulator decides and the README lists: the first record
// goes at once, intervals below 5 s are honoured (as public recordings of
// a CARESCAPE monitor show), and a rebooted monitor (a new connection) has
// forgotten the request. It may be called for several connections at once.
func (d *Driver) Respond(ctx context.Context, c devices.Conn, latest func(dst []monitor.Sample) []monitor.Sample) error {
	e := emulated{d: d, fr: newDeframer(maxRecord + 1)}
	buf := make([]byte, 2048)
	var off int64
	for {
		now := time.Now()
		if e.every > 0 && !now.Before(e.next) {
			if err := e.send(c, latest); err != nil {
				return err
			}
			e.next = e.next.Add(e.every)
			if e.next.Before(now) {
				e.next = now.Add(e.every)
			}
		}
		deadline := now.Add(200 * time.Millisecond)
		if e.every > 0 && e.next.Before(deadline) {
			deadline = e.next
		}
		c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for i, b := range buf[:n] {
			if e.fr.push(b, off+int64(i)) == evFrame {
				e.request(time.Now(), e.fr.frame())
			}
		}
		off += int64(n)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		if e.once {
			e.once = false
			if err := e.send(c, latest); err != nil {
				return err
			}
		}
	}
}

// emulated is one connection's state of the emulated monitor.
type emulated struct {
	d       *Driver
	fr      *deframer
	every   time.Duration // the requested interval; 0: not sending
	next    time.Time
	classes uint32
	once    bool      // a single transmission is due
	single  time.Time // the latest single transmission accepted
	nbr     byte
	rec     []byte
	out     []byte
	samples []monitor.Sample
}

// request acts on a frame from the receiver; anything but a valid request
// for displayed values is ignored, as the monitor does.
func (e *emulated) request(now time.Time, f []byte) {
	typ, ival, classes, ok := parseRequest(f)
	if !ok || typ != phDispl {
		return
	}
	switch {
	case ival > 0:
		e.every, e.classes, e.next = time.Duration(ival)*time.Second, classes, now
	case ival == 0:
		e.every = 0
	case ival == -1:
		if e.single.IsZero() || now.Sub(e.single) >= DocumentedMinInterval {
			e.single, e.once, e.classes = now, true, classes
		}
	}
}

// send writes one displayed-values record of the newest values.
func (e *emulated) send(c devices.Conn, latest func([]monitor.Sample) []monitor.Sample) error {
	e.samples = latest(e.samples[:0])
	size := recordSize(e.classes)
	if cap(e.rec) < size {
		e.rec = make([]byte, size)
	}
	e.rec = e.rec[:size]
	clear(e.rec)
	e.d.fillRecord(e.rec, e.samples, e.nbr, e.classes, true)
	e.nbr++
	e.out = appendEscaped(e.out[:0], e.rec)
	_, err := c.Write(e.out)
	return err
}

// parseRequest reads a physiological data transmission request from the
// unescaped bytes of a frame (record and checksum): the first subrecord of
// type 0 of a valid DRI_MT_PHDB record.
func parseRequest(f []byte) (rcrdType byte, txIval int16, classes uint32, ok bool) {
	if len(f) < headerSize+1 {
		return 0, 0, 0, false
	}
	rec := f[:len(f)-1]
	if checksum(rec) != f[len(f)-1] || int(int16(le16(rec, hdrLen))) != len(rec) || int16(le16(rec, hdrMainType)) != mainPHDB {
		return 0, 0, 0, false
	}
	for i := range numDesc {
		typ := rec[hdrDesc+descSize*i+2]
		if typ == eolSubrecords {
			break
		}
		off := int(int16(le16(rec, hdrDesc+descSize*i)))
		if typ != phRequest || off < 0 || headerSize+off+requestSize > len(rec) {
			continue
		}
		req := rec[headerSize+off:]
		return req[0], int16(binary.LittleEndian.Uint16(req[1:])), binary.LittleEndian.Uint32(req[3:]), true
	}
	return 0, 0, 0, false
}

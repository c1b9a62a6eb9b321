package intellivue

import (
	"bytes"
	"testing"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
)

// fuzzSeeds are messages of every kind, bare and in serial frames.
func fuzzSeeds() [][]byte {
	var p pollResult
	p.begin(nil, 1, actPollExt, 1, 0, 0, mocVMOMetricNu, grpAll)
	appendObjects(&p, latestFixed(nil), true, true)
	poll := p.end()
	msgs := [][]byte{
		appendAssoc(nil, userInfo{minPollPeriod: ticksPerSecond, mtuRx: 1364, mtuTx: 1000, extOptions: pollExtPeriodNu1s}, true),
		appendAssoc(nil, userInfo{minPollPeriod: ticksPerSecond, mtuRx: 1364, mtuTx: 1000, extOptions: pollExtPeriodNu1s}, false),
		appendMDSCreateEvent(nil, 1, 5),
		appendMDSCreateResult(nil, 1, managedObject{class: mocVMSMDS}, 5),
		appendPoll(nil, 2, 2, mocVMOMetricNu, grpMetricObs, true, 160000),
		appendPoll(nil, 3, 3, mocVMOAlMon, grpVMOStatic, false, 0),
		appendROError(nil, 4, 0),
		poll, abortMsg, releaseRequestMsg, releaseResponseMsg, refuseMsg,
	}
	seeds := [][]byte{bytes.Join(msgs, nil)}
	var ser []byte
	for _, m := range msgs {
		seeds = append(seeds, m)
		ser = appendSerial(ser, m)
	}
	return append(seeds, ser)
}

// FuzzFramer: on any bytes, the framer delimits only messages that check,
// reports bad frames at increasing offsets inside the input, and gives
// the same result one byte a read.
func FuzzFramer(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		run := func(step int) collect {
			fr := newFramer()
			fr.reset(linkUnknown, false)
			var c collect
			for i := 0; i < len(data); i += step {
				fr.feed(data[i:min(i+step, len(data))], &c)
			}
			fr.flush(&c)
			return c
		}
		all, one := run(max(1, len(data))), run(1)
		if len(all.msgs) != len(one.msgs) || len(all.bad) != len(one.bad) {
			t.Fatalf("one byte a read: %d messages %d bad, not %d and %d", len(one.msgs), len(one.bad), len(all.msgs), len(all.bad))
		}
		last := int64(-1)
		for _, b := range all.bad {
			if b.Offset <= last || b.Offset >= int64(len(data)) {
				t.Fatalf("bad frame at %d after %d in %d bytes", b.Offset, last, len(data))
			}
			last = b.Offset
		}
		for i, m := range all.msgs {
			if n, st := checkLAN(m); st != lanValid || n != len(m) {
				t.Fatalf("message %d at %d does not check: %x", i, all.offs[i], m)
			}
		}
	})
}

// FuzzUserInfo: the association user data parser never panics.
func FuzzUserInfo(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { parseUserInfo(data) })
}

// discardConn is a devices.Conn that keeps nothing.
type discardConn struct{}

func (discardConn) Read([]byte) (int, error)        { return 0, nil }
func (discardConn) Write(p []byte) (int, error)     { return len(p), nil }
func (discardConn) SetReadDeadline(time.Time) error { return nil }

var _ devices.Conn = discardConn{}

// FuzzMonitorSide: the emulated monitor's parsing of a client's requests
// never panics, whatever comes, associated or not.
func FuzzMonitorSide(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := &monitorSide{fr: newFramer(), c: discardConn{}, latest: func(d []monitor.Sample) []monitor.Sample { return latestFixed(d) }, start: time.Now()}
		m.fr.reset(linkUnknown, true)
		m.message(assocReq, 0, len(assocReq)) // associated, MDS pending
		m.fr.feed(data, m)
		m.mdsDone = true
		m.fr.feed(data, m)
		m.fr.flush(m)
		m.timers(time.Now().Add(2 * time.Second))
	})
}

package intellivue

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// fakeMonitorConn runs Respond on a UDP socket for a raw client socket.
type client struct {
	t  *testing.T
	c  *net.UDPConn
	fr *framer
	h  collect
}

func startResponder(t *testing.T, latest func([]monitor.Sample) []monitor.Sample) (addr string, stop func()) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		New().Respond(ctx, &udpPeer{pc: pc.(*net.UDPConn)}, latest)
	}()
	return pc.LocalAddr().String(), func() { cancel(); pc.Close(); <-done }
}

// udpPeer answers whoever sent last, as the simulator's UDP target does.
type udpPeer struct {
	pc   *net.UDPConn
	peer *net.UDPAddr
}

func (u *udpPeer) Read(p []byte) (int, error) {
	n, a, err := u.pc.ReadFromUDP(p)
	if a != nil {
		u.peer = a
	}
	return n, err
}
func (u *udpPeer) Write(p []byte) (int, error) {
	if u.peer == nil {
		return 0, transport.ErrNoPeer
	}
	return u.pc.WriteToUDP(p, u.peer)
}
func (u *udpPeer) SetReadDeadline(t time.Time) error { return u.pc.SetReadDeadline(t) }

func dial(t *testing.T, addr string) *client {
	ra, err := net.ResolveUDPAddr("udp", addr)
	require.NoError(t, err)
	c, err := net.DialUDP("udp", nil, ra)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	f := newFramer()
	f.reset(linkLAN, true)
	return &client{t: t, c: c, fr: f}
}

func (c *client) send(m []byte) {
	_, err := c.c.Write(m)
	require.NoError(c.t, err)
}

// read returns the messages that arrive within d.
func (c *client) read(d time.Duration) [][]byte {
	c.h = collect{}
	buf := make([]byte, 4096)
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		c.c.SetReadDeadline(end)
		n, err := c.c.Read(buf)
		if err != nil {
			break
		}
		c.fr.feed(buf[:n], &c.h)
	}
	return c.h.msgs
}

func kinds(msgs [][]byte) string {
	var b strings.Builder
	for _, m := range msgs {
		switch {
		case m[0] == spduAC:
			b.WriteString("AC ")
		case m[0] == spduRF:
			b.WriteString("RF ")
		case m[0] == spduDN:
			b.WriteString("DN ")
		case m[0] == spduAB:
			b.WriteString("AB ")
		case m[0] == sessionData:
			d, err := parseData(m)
			if err != nil {
				b.WriteString("bad ")
				continue
			}
			switch {
			case d.ro == roIV && d.cmd == cmdConfirmedEventReport:
				b.WriteString("MDS ")
			case d.ro == roRS && d.cmd == cmdConfirmedAction:
				b.WriteString("RS ")
			case d.ro == roER:
				b.WriteString("ER ")
			default:
				b.WriteString("? ")
			}
		}
	}
	return strings.TrimSpace(b.String())
}

func latestFixed(dst []monitor.Sample) []monitor.Sample {
	return append(dst, monitor.Sample{Channel: channel.PatientMAP, Value: 70, Quality: channel.OK})
}

var assocReq = appendAssoc(nil, userInfo{minPollPeriod: ticksPerSecond, mtuRx: 1364, mtuTx: 1000, extOptions: pollExtPeriodNu1s}, true)

// The emulated monitor holds the dialogue as the guide has the monitor do:
// nothing before an association, its MDS create event until confirmed,
// polls answered only then, periodic results for the active period only,
// one association at a time, a new one after a release.
func TestEmulatedMonitorDialogue(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	addr, stop := startResponder(t, latestFixed)
	defer stop()
	c := dial(t, addr)

	c.send(appendPoll(nil, 1, 1, mocVMOMetricNu, grpMetricObs, false, 0))
	assert.Empty(t, kinds(c.read(300*time.Millisecond)), "a poll before the association is ignored")

	c.send(assocReq)
	assert.Equal(t, "AC MDS", kinds(c.read(300*time.Millisecond)))
	c.send(appendPoll(nil, 2, 2, mocVMOMetricNu, grpMetricObs, false, 0))
	assert.Empty(t, kinds(c.read(300*time.Millisecond)), "a poll before the MDS create result is ignored")

	c.send(appendMDSCreateResult(nil, 1, managedObject{class: mocVMSMDS}, 0))
	c.send(appendPoll(nil, 3, 3, mocVMOMetricNu, grpMetricObs, false, 0))
	msgs := c.read(300 * time.Millisecond)
	require.Equal(t, "RS", kinds(msgs))

	// An extended poll for 2.5 s: results at once and then every second,
	// and none once the period is over.
	c.send(appendPoll(nil, 4, 4, mocVMOMetricNu, grpMetricObs, true, 5*ticksPerSecond/2))
	assert.Equal(t, "RS RS RS", kinds(c.read(2800*time.Millisecond)))
	assert.Empty(t, kinds(c.read(1200*time.Millisecond)), "no renewal: no more results")

	// A second client while associated: ignored.
	other := dial(t, addr)
	other.send(assocReq)
	assert.Empty(t, kinds(other.read(300*time.Millisecond)))

	// Released: a new association is accepted.
	c.send(releaseRequestMsg)
	assert.Equal(t, "DN", kinds(c.read(300*time.Millisecond)))
	other.send(assocReq)
	assert.Equal(t, "AC MDS", kinds(other.read(300*time.Millisecond)))
}

// Without a message from its client for 10 s, the monitor aborts.
func TestEmulatedMonitorTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("11 s")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	addr, stop := startResponder(t, latestFixed)
	defer stop()
	c := dial(t, addr)
	c.send(assocReq)
	require.Equal(t, "AC MDS", kinds(c.read(300*time.Millisecond)))
	c.send(appendMDSCreateResult(nil, 1, managedObject{class: mocVMSMDS}, 0))
	assert.Equal(t, "AB", kinds(c.read(11*time.Second)))
}

// Decode releases the association when it stops: another client is then
// accepted at once (the monitor holds one association and ignores a
// request while it is open).
func TestDecodeReleasesOnStop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	addr, stop := startResponder(t, latestFixed)
	defer stop()
	u := &transport.UDP{Addr: "127.0.0.1:0", Remote: addr}
	rwc, err := u.Open(context.Background())
	require.NoError(t, err)
	defer rwc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := false
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.PatientMAP && s.Quality == channel.OK {
			seen = true
			cancel()
		}
		return true
	})
	err = New().Decode(ctx, rwc, devices.Env{Source: 1, Sink: sink})
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, seen)
	other := dial(t, addr)
	other.send(assocReq)
	assert.Equal(t, "AC MDS", kinds(other.read(300*time.Millisecond)), "the first client released its association")
}

package emulate

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/devices/masimo"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// analyserOverTCP emulates driver name on a loopback listener and returns
// the device and the console side of one connection to it.
func analyserOverTCP(t *testing.T, name string) (*Device, net.Conn) {
	t.Helper()
	dev, err := New(name, nil)
	require.NoError(t, err)
	require.NotNil(t, dev.conv, "%s converses", name)
	w, err := Open(dev, "tcp:127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	b := w.(*Broadcaster)
	dev.SetWriter(w)
	cn, err := net.Dial("tcp", b.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { cn.Close() })
	require.Eventually(t, func() bool { return b.Clients() == 1 }, 5*time.Second, 5*time.Millisecond)
	return dev, cn
}

// bloodGas feeds dev the minute of the simulated case that holds a
// blood-gas result, flushing every second as Run does.
func bloodGas(t *testing.T, dev *Device) {
	t.Helper()
	c := sim.New(t0, 2)
	c.AdvanceTo(t0.Add(56*time.Minute-time.Second), func(sim.Source, monitor.Sample) {})
	for d := 56 * time.Minute; d <= 57*time.Minute; d += time.Second {
		c.AdvanceTo(t0.Add(d), func(_ sim.Source, s monitor.Sample) { dev.Put(s) })
		require.NoError(t, dev.Flush())
	}
}

// The real receivers answer the emulated analysers: the ASTM driver ACKs
// ENQ and every frame, the HL7 driver sends MSA AA for the message's
// control ID; each message counts as sent, and the results arrive.
func TestAnalysersConverseWithTheRealDrivers(t *testing.T) {
	for _, name := range []string{astm.Name, hl7.Name} {
		t.Run(name, func(t *testing.T) {
			dev, cn := analyserOverTCP(t, name)
			drv, err := devices.New(name)
			require.NoError(t, err)
			got := &sampleLog{}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() {
				defer close(done)
				drv.Decode(ctx, cn, devices.Env{Sink: got})
			}()
			bloodGas(t, dev)
			cancel()
			cn.Close()
			<-done
			st := dev.Conversation()
			assert.Positive(t, st.Sent, "%+v", st)
			assert.Zero(t, st.Refused, "%+v", st)
			assert.NotEmpty(t, only(got.get(), channel.ABGPH), "the blood gas arrived")
		})
	}
}

// astmReceiver plays a receiver on cn: it ACKs ENQ; it NAKs the first
// frame and ACKs the others, or answers no frame at all when silent. It
// records the frames and whether EOT came.
type astmReceiver struct {
	mu     sync.Mutex
	frames [][]byte
	eot    bool
}

func (a *astmReceiver) run(cn net.Conn, silent bool) {
	r := bufio.NewReader(cn)
	naked := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		switch b {
		case astm.ENQ:
			cn.Write([]byte{astm.ACK})
		case astm.EOT:
			a.mu.Lock()
			a.eot = true
			a.mu.Unlock()
		case astm.STX:
			rest, err := r.ReadBytes(astm.LF)
			if err != nil {
				return
			}
			a.mu.Lock()
			a.frames = append(a.frames, append([]byte{astm.STX}, rest...))
			a.mu.Unlock()
			switch {
			case silent:
			case !naked:
				naked = true
				cn.Write([]byte{astm.NAK})
			default:
				cn.Write([]byte{astm.ACK})
			}
		}
	}
}

func (a *astmReceiver) gotEOT() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.eot
}

// An ASTM receiver that NAKs a frame gets it again, and the transfer ends
// with EOT.
func TestASTMSenderRetriesANAKedFrame(t *testing.T) {
	dev, cn := analyserOverTCP(t, astm.Name)
	rx := &astmReceiver{}
	go rx.run(cn, false)
	bloodGas(t, dev)
	st := dev.Conversation()
	require.Positive(t, st.Sent, "%+v", st)
	assert.Zero(t, st.Refused, "%+v", st)
	require.Eventually(t, rx.gotEOT, 5*time.Second, 5*time.Millisecond)
	rx.mu.Lock()
	defer rx.mu.Unlock()
	require.GreaterOrEqual(t, len(rx.frames), 2)
	assert.Equal(t, rx.frames[0], rx.frames[1], "the NAKed frame was sent again")
}

// A receiver that stops answering gets EOT after the reply time; the
// analyser counts the message as refused and goes on.
func TestASTMSenderGivesUpOnASilentReceiver(t *testing.T) {
	dev, cn := analyserOverTCP(t, astm.Name)
	dev.conv.(*astm.Driver).ReplyTimeout = 300 * time.Millisecond
	rx := &astmReceiver{}
	go rx.run(cn, true)
	bloodGas(t, dev)
	st := dev.Conversation()
	require.Positive(t, st.Refused, "%+v", st)
	assert.Zero(t, st.Sent, "%+v", st)
	assert.ErrorIs(t, st.Last, devices.ErrNotAccepted)
	assert.ErrorIs(t, st.Last, astm.ErrNoReply)
	require.Eventually(t, rx.gotEOT, 5*time.Second, 5*time.Millisecond, "the sender ends an unanswered transfer with EOT")
}

// An HL7 receiver that answers AE refuses the message: counted, with the
// receiver's reason.
func TestHL7SenderReadsTheRefusal(t *testing.T) {
	dev, cn := analyserOverTCP(t, hl7.Name)
	go func() {
		r := bufio.NewReader(cn)
		for {
			msg, err := r.ReadBytes(hl7.FS)
			if err != nil {
				return
			}
			r.ReadByte() // CR
			msh, _, _ := bytes.Cut(msg[bytes.IndexByte(msg, hl7.VT)+1:], []byte{hl7.CR})
			ctrl := bytes.Split(msh, []byte("|"))[9]
			ack := []byte{hl7.VT}
			ack = append(ack, "MSH|^~\\&|LIS||||20260302||ACK^R01|"...)
			ack = append(ack, ctrl...)
			ack = append(ack, "|P|2.5.1\rMSA|AE|"...)
			ack = append(ack, ctrl...)
			ack = append(ack, "|unknown specimen\r"...)
			ack = append(ack, hl7.FS, hl7.CR)
			cn.Write(ack)
		}
	}()
	bloodGas(t, dev)
	st := dev.Conversation()
	require.Positive(t, st.Refused, "%+v", st)
	assert.Zero(t, st.Sent)
	assert.ErrorIs(t, st.Last, hl7.ErrNotAcknowledged)
	assert.ErrorContains(t, st.Last, "MSA-1 AE unknown specimen")
}

// With no console connected, a message is unheard, not refused.
func TestConversationWithNobody(t *testing.T) {
	dev, err := New(astm.Name, nil)
	require.NoError(t, err)
	w, err := Open(dev, "tcp:127.0.0.1:0")
	require.NoError(t, err)
	defer w.Close()
	dev.SetWriter(w)
	bloodGas(t, dev)
	st := dev.Conversation()
	assert.Positive(t, st.Unheard, "%+v", st)
	assert.Zero(t, st.Sent+st.Refused)
}

// Under Run, an analyser's conversations run on their own goroutine: a
// receiver that never answers holds back neither the pump's frames nor the
// end of Run, and the analyser that does answer delivers its results.
func TestRunConversesOnItsOwn(t *testing.T) {
	slow, slowConn := analyserOverTCP(t, astm.Name)
	slow.conv.(*astm.Driver).ReplyTimeout = time.Hour // never within the test
	go (&astmReceiver{}).run(slowConn, true)
	good, goodConn := analyserOverTCP(t, hl7.Name)
	drv, err := devices.New(hl7.Name)
	require.NoError(t, err)
	got := &sampleLog{}
	decoded := make(chan struct{})
	go func() {
		defer close(decoded)
		drv.Decode(t.Context(), goodConn, devices.Env{Sink: got})
	}()
	pump, err := New(masimo.Name, nil)
	require.NoError(t, err)
	var n countW
	pump.SetWriter(&n)

	clk := clock.NewManual(t0)
	c := sim.New(t0, 2)
	ctx, cancel := context.WithCancel(t.Context())
	until := t0.Add(57 * time.Minute)
	go func() {
		for clk.Now().Before(until) {
			time.Sleep(time.Millisecond)
			clk.Advance(30 * time.Second)
		}
		// The slow analyser's transfer is still waiting: only a cancel
		// ends Run now.
		assert.Eventually(t, func() bool { return good.Conversation().Sent > 0 }, 10*time.Second, 5*time.Millisecond)
		cancel()
	}()
	require.NoError(t, Run(ctx, c, []*Device{slow, good, pump}, clk, 1, time.Millisecond, time.Time{}))
	assert.Positive(t, n.n, "the pump kept sending")
	assert.NotEmpty(t, only(got.get(), channel.ABGPH), "the answering analyser's results arrived")
	slowConn.Close() // ends the transfer left waiting
	goodConn.Close()
	<-decoded
	slow.Wait()
	good.Wait()
}

package hl7_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestTCPACK serves the driver under the Supervisor on a TCP server socket;
// a real client connects, sends MLLP-framed ORU^R01 messages, good and bad,
// and reads each ACK back; the good results arrive as samples.
func TestTCPACK(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := hl7.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	srv := &transport.TCPServer{Addr: "127.0.0.1:0"}
	require.NoError(t, srv.Listen())
	samples := make(chan monitor.Sample, 64)
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		select {
		case samples <- s:
			return true
		default:
			return false
		}
	})
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "abl-hl7", Driver: d, Transport: srv, Source: 3, Sink: sink}}, devices.SupervisorOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("supervisor did not stop")
		}
	}()

	conn, err := net.Dial("tcp", srv.ListenAddr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	rd := bufio.NewReader(conn)
	ack := func() string {
		t.Helper()
		b, err := rd.ReadBytes(hl7.FS)
		require.NoError(t, err)
		cr, err := rd.ReadByte()
		require.NoError(t, err)
		require.Equal(t, byte(hl7.CR), cr)
		require.Equal(t, byte(hl7.VT), b[0])
		return string(b[1 : len(b)-1])
	}
	send := func(b []byte) {
		t.Helper()
		_, err := conn.Write(b)
		require.NoError(t, err)
	}

	good := message("G1", pid, "OBR|1|||24336-0^Gas panel^LN|||20260302074400", "SPM|1|||BLDA^Blood arterial^HL70487",
		"OBX|1|NM|11557-6^pCO2^LN||5.33|kPa|||||F|||20260302074500", "OBX|2|NM|11558-4^pH^LN||7.38|[pH]|||||F|||20260302074500",
		"OBX|3|NM|6298-4^K^LN||11.2|mmol/L|||||F|||20260302074500")
	// Sent in two writes, split inside a segment.
	send(good[:40])
	send(good[40:])
	a := ack()
	assert.Contains(t, a, "\rMSA|AA|G1\r")
	assert.True(t, strings.HasPrefix(a, "MSH|^~\\&|PUMPSIDE||ABL90|ICU|"), a)

	send(message("B1", pid, "OBR|1", "SPM|1|||BLDA", "OBX|1|NM|11558-4^pH^LN||7..4|[pH]|||||F"))
	a = ack()
	assert.Contains(t, a, "\rMSA|AE|B1|OBX-5 is not a number\r")
	assert.Contains(t, a, "\rERR||OBX^1^5|102^")

	send([]byte("\vMSH|^~\\&|ADT|H|||20260302||ADT^A01|B2|P|2.5\r\x1c\r"))
	assert.Contains(t, ack(), "\rMSA|AR|B2|not an ORU\\S\\R01 message", "the reason, with the component separator escaped")

	want := map[channel.ID]float64{channel.ABGPCO2: 5.33 * 7.50062, channel.ABGPH: 7.38, channel.ABGK: 0}
	for range want {
		select {
		case s := <-samples:
			v, ok := want[s.Channel]
			require.True(t, ok, "unexpected %v", s.Channel)
			assert.InDelta(t, v, s.Value, 1e-9, "%v", s.Channel)
			assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), s.Time)
			assert.Equal(t, monitor.SourceID(3), s.Source)
			if s.Channel == channel.ABGK {
				assert.Equal(t, channel.OutOfRange, s.Quality, "K+ 11.2 mmol/L is outside the plausible range")
			} else {
				assert.Equal(t, channel.OK, s.Quality)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("samples did not arrive")
		}
	}
	select {
	case s := <-samples:
		t.Fatalf("a bad message gave a sample: %v", s)
	default:
	}
	// The driver acknowledges a message before it reports the frame: the
	// counters follow the ACK shortly.
	assert.Eventually(t, func() bool {
		st := sup.Status()[0]
		return st.FramesOK == 1 && st.BadFrames() == 2
	}, 5*time.Second, 10*time.Millisecond, "frames ok 1, bad 2: %+v", sup.Status()[0])
}

package astm_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestTCPSession runs the driver under the Supervisor on a TCP server
// socket and plays an analyser on a real client connection: the handshake,
// a frame with a bad checksum that must be NAKed and then ACKed when sent
// again, EOT; the samples must arrive converted.
func TestTCPSession(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := astm.New()
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
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "abl", Driver: d, Transport: srv, Source: 7, Sink: sink}}, devices.SupervisorOptions{})
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
	reply := func() byte {
		t.Helper()
		var b [1]byte
		_, err := conn.Read(b[:])
		require.NoError(t, err)
		return b[0]
	}
	send := func(b []byte) {
		t.Helper()
		_, err := conn.Write(b)
		require.NoError(t, err)
	}
	records := []string{header, "P|1||PID1||Doe^John", "O|1|S1||^^^BG|R||20260302074500||||||||arterial",
		"R|1|^^^pH|7.38|||||F", "R|2|^^^pCO2|5.33|kPa||||F", "R|3|^^^pO2|13.3|kPa||||F", "R|4|^^^K+|11.5|mmol/L||||F", "L|1|N"}

	send([]byte{astm.ENQ})
	require.Equal(t, byte(astm.ACK), reply(), "ENQ -> ACK")
	fn := byte('1')
	for i, r := range records {
		f := astm.AppendLowFrame(nil, fn, []byte(r+"\r"), true)
		if i == 4 {
			bad := append([]byte(nil), f...)
			bad[len(bad)-4]++ // the checksum's second digit
			send(bad)
			require.Equal(t, byte(astm.NAK), reply(), "a bad checksum -> NAK")
		}
		send(f)
		require.Equal(t, byte(astm.ACK), reply(), "frame %d -> ACK", i)
		fn = '0' + (fn-'0'+1)%8
	}
	// A frame with the wrong number is NAKed too.
	send(astm.AppendLowFrame(nil, '5', []byte("C|1|x\r"), true))
	require.Equal(t, byte(astm.NAK), reply())
	send([]byte{astm.EOT})

	want := map[channel.ID]float64{channel.ABGPH: 7.38, channel.ABGPCO2: 5.33 * 7.50062, channel.ABGPO2: 13.3 * 7.50062, channel.ABGK: 0}
	for range want {
		select {
		case s := <-samples:
			v, ok := want[s.Channel]
			require.True(t, ok, "unexpected %v", s.Channel)
			assert.InDelta(t, v, s.Value, 1e-9, "%v", s.Channel)
			assert.Equal(t, monitor.SourceID(7), s.Source)
			assert.Equal(t, time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano(), s.Time)
			if s.Channel == channel.ABGK {
				assert.Equal(t, channel.OutOfRange, s.Quality, "K+ 11.5 is beyond the plausible range")
			} else {
				assert.Equal(t, channel.OK, s.Quality, "%v", s.Channel)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("samples did not arrive")
		}
	}

	// A second transfer from the encoder through Send, the sender helper.
	frames, err := d.Frames([]monitor.Sample{{Time: time.Date(2026, 3, 2, 7, 50, 0, 0, time.UTC).UnixNano(), Channel: channel.VBGSO2, Value: 68}})
	require.NoError(t, err)
	require.NoError(t, astm.Send(conn, frames))
	select {
	case s := <-samples:
		assert.Equal(t, channel.VBGSO2, s.Channel)
		assert.Equal(t, 68.0, s.Value)
	case <-time.After(5 * time.Second):
		t.Fatal("the encoded transfer did not arrive")
	}

	// Samples are put before their frame is reported: the counters follow.
	assert.Eventually(t, func() bool {
		st := sup.Status()[0]
		return st.FramesOK == 2 && st.FramesBad[devices.ReasonChecksum] == 1 && st.FramesBad[devices.ReasonSequence] == 1
	}, 5*time.Second, 10*time.Millisecond, "two messages, one bad checksum, one bad frame number: %+v", sup.Status()[0])
}

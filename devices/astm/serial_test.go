package astm_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestSerialSession runs a transfer over a real pseudo-terminal pair: the
// driver reads and answers on the serial port, the test plays the analyser
// on the peer with Send, which waits for every ACK.
func TestSerialSession(t *testing.T) {
	pair := devicetest.StartPtyPair(t)
	port, err := transport.OpenSerial(transport.Serial{Port: pair.Device, Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Flow: "none"})
	require.NoError(t, err)
	peer := pair.OpenPeer()
	defer peer.Close()

	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	var mu sync.Mutex
	var got []monitor.Sample
	arrived := make(chan struct{}, 8)
	env := devices.Env{Sink: devices.SinkFunc(func(s monitor.Sample) bool {
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		arrived <- struct{}{}
		return true
	})}
	done := make(chan error, 1)
	go func() { done <- d.Decode(context.Background(), port, env) }()

	t0 := time.Date(2026, 3, 2, 7, 45, 0, 0, time.UTC).UnixNano()
	frames, err := d.Frames([]monitor.Sample{
		{Time: t0, Channel: channel.ABGPO2, Value: 250},
		{Time: t0, Channel: channel.ABGHct, Value: 24},
	})
	require.NoError(t, err)
	require.NoError(t, peer.SetDeadline(time.Now().Add(10*time.Second)))
	require.NoError(t, astm.Send(peer, frames), "every frame must be ACKed")
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Fatal("samples did not arrive")
		}
	}
	port.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Decode did not return after the port was closed")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2)
	assert.Equal(t, monitor.Sample{Time: t0, Channel: channel.ABGPO2, Value: 250}, got[0])
	assert.Equal(t, monitor.Sample{Time: t0, Channel: channel.ABGHct, Value: 24}, got[1])
}

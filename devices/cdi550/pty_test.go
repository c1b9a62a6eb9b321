package cdi550_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestPacketModeOnPty runs packet mode under the Supervisor on a socat pty
// pair, polled: the stand-in device answers each request packet with an
// analyte packet, and one answer in four has a damaged CRC. Values come
// only from the intact packets, the damaged ones are counted as checksum
// errors, and killing socat raises device_lost.
func TestPacketModeOnPty(t *testing.T) {
	pty := devicetest.StartPtyPair(t)
	peer := pty.OpenPeer()
	var answered atomic.Int64
	go func() { // the device: it answers requests until its end closes
		req := make([]byte, len(cdi550.RequestPacket))
		for seq := uint8(0); ; seq++ {
			if _, err := io.ReadFull(peer, req); err != nil || string(req) != cdi550.RequestPacket {
				return
			}
			p := packet(seq, "A0", analyteData)
			if seq%4 == 3 {
				p[len(p)-2] ^= 0x01
			}
			if _, err := peer.Write(p); err != nil {
				return
			}
			answered.Add(1)
		}
	}()
	d := declared(t, cdi550.NewPacket())
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("request_on_connect = true\npoll_interval = \"20ms\""))))
	var phs, others atomic.Int64
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.InlineArtPH && s.Quality == channel.OK && s.Value == 7.38 {
			phs.Add(1)
		} else if s.Channel == channel.InlineArtPH {
			others.Add(1)
		}
		return true
	})
	conds := make(chan devices.Condition, 8)
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "cdi", Driver: d, Source: 3, Sink: sink,
		Transport: devices.WithPolling(&transport.Serial{Port: pty.Device, Baud: 9600}, d)}},
		devices.SupervisorOptions{OnCondition: func(c devices.Condition) { conds <- c }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	require.Eventually(t, func() bool { return sup.Status()[0].BadFrames() >= 3 && phs.Load() >= 9 }, 10*time.Second, 10*time.Millisecond)
	st := sup.Status()[0]
	assert.Equal(t, devices.Running, st.State)
	assert.Equal(t, st.BadFrames(), st.FramesBad[devices.ReasonChecksum], "only checksum errors: %+v", st)
	assert.Zero(t, others.Load(), "no value from a damaged packet")
	pty.Kill()
	select {
	case c := <-conds:
		assert.Equal(t, devices.DeviceLost, c.Kind)
		assert.True(t, c.Active)
	case <-time.After(2 * time.Second):
		t.Fatalf("no device_lost after the port went away: %+v", sup.Status()[0])
	}
}

package cdi550_test

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// fakeCDI is a CDI 550 set to output only on request (interval 0): on a
// loopback socket it answers each request packet with one report, and
// sends nothing on its own. It stands in for the physical device only.
func fakeCDI(t *testing.T) (addr string, requests *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	requests = &atomic.Int64{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				if _, err := c.Write([]byte(header)); err != nil {
					return
				}
				req := make([]byte, len(cdi550.RequestPacket))
				for {
					if _, err := io.ReadFull(c, req); err != nil {
						return
					}
					if string(req) != cdi550.RequestPacket {
						t.Errorf("device got %q, want the request packet", req)
						return
					}
					requests.Add(1)
					if _, err := c.Write([]byte(report)); err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String(), requests
}

// TestPolledOverTCP runs the driver under the Supervisor on a transport
// wrapped with devices.WithPolling: a device that only answers requests
// sends a report on connect (request_on_connect) and then one per
// poll_interval.
func TestPolledOverTCP(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // registered first: runs last
	addr, requests := fakeCDI(t)
	d := cdi550.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("request_on_connect = true\npoll_interval = \"50ms\""))))
	var flows atomic.Int64
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.PumpFlow && s.Quality == channel.OK && s.Value == 4.5 {
			flows.Add(1)
		}
		return true
	})
	sup, err := devices.NewSupervisor([]devices.Device{{
		Name: "cdi", Driver: d, Transport: devices.WithPolling(&transport.TCPClient{Addr: addr}, d), Source: 7, Sink: sink,
	}}, devices.SupervisorOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	require.Eventually(t, func() bool { return flows.Load() >= 4 }, 5*time.Second, 10*time.Millisecond, "a report per request")
	st := sup.Status()[0]
	assert.Equal(t, devices.Running, st.State)
	assert.Contains(t, st.Transport, "polled every 50ms")
	cancel()
	require.NoError(t, <-done)
	assert.GreaterOrEqual(t, requests.Load(), int64(4))
	assert.LessOrEqual(t, flows.Load(), requests.Load(), "no report without a request")
}

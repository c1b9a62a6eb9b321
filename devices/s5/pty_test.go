package s5_test

import (
	"context"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// rig is the driver under the Supervisor on one end of a socat pty pair,
// and the simulator's emulated monitor on the other: the real serial
// transport, the real emulation, real time.
type rig struct {
	t     *testing.T
	pty   *devicetest.PtyPair
	dev   *emulate.Device
	mon   io.WriteCloser
	hold  *os.File // keeps the monitor's end open while the monitor is off
	sup   *devices.Supervisor
	conds chan devices.Condition
	mu    sync.Mutex
	maps  int // patient.map samples received
}

func (r *rig) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.maps }

// monitorOn starts the emulated monitor on the pty (a monitor that has just
// booted: it sends nothing until asked).
func (r *rig) monitorOn() {
	r.t.Helper()
	m, err := emulate.Open(r.dev, r.pty.Peer)
	require.NoError(r.t, err)
	r.mon = m
}

// monitorOff stops the emulated monitor; with the cable still in (hold
// open), the line just goes quiet.
func (r *rig) monitorOff() {
	r.t.Helper()
	require.NoError(r.t, r.mon.Close())
	r.mon = nil
}

// cableIn opens the monitor's end of the line, unread, so that it stays
// open while the monitor is off.
func (r *rig) cableIn() {
	r.hold = r.pty.OpenPeer()
}

// forget drops what the console sent while the monitor was off: a monitor
// that was rebooting did not hear it.
func (r *rig) forget() {
	require.NoError(r.t, unix.IoctlSetInt(int(r.hold.Fd()), unix.TCFLSH, unix.TCIFLUSH))
}

// condition waits for the next condition.
func (r *rig) condition(within time.Duration) (devices.Condition, time.Duration) {
	r.t.Helper()
	start := time.Now()
	select {
	case c := <-r.conds:
		return c, time.Since(start)
	case <-time.After(within):
		r.t.Fatalf("no condition within %v: %+v", within, r.sup.Status()[0])
	}
	return devices.Condition{}, 0
}

// flowing waits until the device runs and patient.map samples arrive.
func (r *rig) flowing(within time.Duration) time.Duration {
	r.t.Helper()
	start := time.Now()
	before := r.count()
	for time.Since(start) < within {
		if r.sup.Status()[0].State == devices.Running && r.count() > before {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("no values within %v: %+v", within, r.sup.Status()[0])
	return 0
}

// TestPtyUnplugRebootAndReturn holds the "must hold" on real
// ptys: a monitor unplugged (socat killed: the port goes away) or rebooted
// behind its cable (it falls silent and forgets the request) is detected
// within 3 s with device_lost raised, and found again within 5 s of its
// return with device_lost cleared.
func TestPtyUnplugRebootAndReturn(t *testing.T) {
	if testing.Short() {
		t.Skip("real time: about 25 s")
	}
	r := &rig{t: t, pty: devicetest.StartPtyPair(t), conds: make(chan devices.Condition, 16)}
	var err error
	r.dev, err = emulate.New(s5.Name, nil)
	require.NoError(t, err)
	now := time.Now().UnixNano()
	for _, s := range []monitor.Sample{
		{Time: now, Channel: channel.PatientMAP, Value: 68, Quality: channel.OK},
		{Time: now, Channel: channel.PatientCVP, Value: 7, Quality: channel.OK},
		{Time: now, Channel: channel.TempNasopharyngeal, Value: 34.1, Quality: channel.OK},
	} {
		r.dev.Put(s)
	}
	require.NoError(t, r.dev.Flush())
	r.cableIn()
	r.monitorOn()
	defer func() {
		if r.mon != nil {
			r.mon.Close()
		}
	}()

	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		if s.Channel == channel.PatientMAP && s.Quality == channel.OK && s.Value == 68 {
			r.mu.Lock()
			r.maps++
			r.mu.Unlock()
		}
		return true
	})
	p := s5.New().Describe().Port
	r.sup, err = devices.NewSupervisor([]devices.Device{{
		Name: "monitor", Driver: s5.New(), Source: 1, Sink: sink,
		Transport: &transport.Serial{Port: r.pty.Device, Baud: p.Baud, DataBits: p.DataBits, Parity: p.Parity, StopBits: p.StopBits, Flow: p.Flow},
	}}, devices.SupervisorOptions{OnCondition: func(c devices.Condition) { r.conds <- c }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sup.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	t.Logf("first values %v after start", r.flowing(5*time.Second).Round(time.Millisecond))

	// Unplugged: the port goes away.
	unplugged := time.Now()
	r.pty.Kill()
	r.monitorOff()
	c, _ := r.condition(3 * time.Second)
	took := time.Unix(0, c.Time).Sub(unplugged)
	assert.Equal(t, devices.DeviceLost, c.Kind)
	assert.True(t, c.Active)
	assert.ErrorIs(t, c.Cause, transport.ErrDisconnected)
	t.Logf("unplugged: device_lost %v after", took.Round(time.Millisecond))

	// Plugged back in, 3 s later; the monitor (rebooted) waits to be asked.
	time.Sleep(3 * time.Second)
	r.pty.Start()
	r.cableIn()
	r.monitorOn()
	back := r.flowing(5 * time.Second)
	c, _ = r.condition(time.Second)
	assert.Equal(t, devices.Condition{Device: "monitor", Kind: devices.DeviceLost, Active: false, Time: c.Time}, c)
	t.Logf("plugged in: values again %v after", back.Round(time.Millisecond))

	// Rebooted behind its cable: the line goes quiet, the port stays.
	time.Sleep(2 * time.Second)
	r.monitorOff()
	c, _ = r.condition(4 * time.Second)
	assert.Equal(t, devices.DeviceLost, c.Kind)
	assert.True(t, c.Active)
	assert.ErrorIs(t, c.Cause, s5.ErrNoData)
	silent := time.Unix(0, c.Time).Sub(time.Unix(0, r.sup.Status()[0].LastFrame))
	assert.LessOrEqual(t, silent, 3*time.Second, "device_lost within 3 s of the last values")
	t.Logf("silent: device_lost %v after the last values", silent.Round(time.Millisecond))

	// Back after its reboot, 2 s later.
	time.Sleep(2 * time.Second)
	r.forget()
	r.monitorOn()
	back = r.flowing(6 * time.Second)
	c, _ = r.condition(time.Second)
	assert.False(t, c.Active)
	t.Logf("rebooted: values again %v after it came back", back.Round(time.Millisecond))
	assert.Less(t, back, 5*time.Second, "found again within 5 s of its return")
}

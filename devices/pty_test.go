package devices_test

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/masimo"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
)

const masimoLine = "03/02/26 08:00:01 SN=0000056661 SPO2=098% BPM=097 PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n"

// playDevice writes a Masimo line every 100 ms to path, reopening it after
// socat restarts, until stop is closed.
func playDevice(path string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if f == nil {
			var err error
			if f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0); err != nil {
				f = nil
				continue
			}
		}
		if _, err := f.WriteString(masimoLine); err != nil {
			f.Close()
			f = nil
		}
	}
}

// TestUnplugAndReplug runs the Masimo driver on a real pty: killing socat
// must make the device disconnected within 1 s with device_lost raised, and
// when socat restarts 2 s later samples must flow again within 2 s (the
// device writer itself retries every 100 ms). Longer unplugs are in
// TestReconnectAfterAbsence (fake time) and make chaos (real ptys).
func TestUnplugAndReplug(t *testing.T) {
	pty := devicetest.StartPtyPair(t)
	conds := make(chan devices.Condition, 16)
	var mu sync.Mutex
	samples := 0
	sink := devices.SinkFunc(func(monitor.Sample) bool { mu.Lock(); samples++; mu.Unlock(); return true })
	count := func() int { mu.Lock(); defer mu.Unlock(); return samples }
	sup, err := devices.NewSupervisor([]devices.Device{{
		Name: "spo2", Driver: masimo.New(), Source: 1, Sink: sink,
		Transport: &transport.Serial{Port: pty.Device, Baud: 9600},
	}}, devices.SupervisorOptions{OnCondition: func(c devices.Condition) { conds <- c }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sup.Run(ctx) }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go playDevice(pty.Peer, stop, &wg)
	defer func() {
		close(stop)
		wg.Wait()
		cancel()
		require.NoError(t, <-done)
	}()

	waitRunning := func(within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		before := count()
		for {
			select {
			case <-deadline:
				t.Fatalf("not running within %v: %+v", within, sup.Status()[0])
			case <-time.After(20 * time.Millisecond):
			}
			if sup.Status()[0].State == devices.Running && count() > before {
				return
			}
		}
	}
	waitRunning(3 * time.Second)

	killed := time.Now()
	pty.Kill()
	select {
	case c := <-conds:
		assert.Equal(t, devices.DeviceLost, c.Kind)
		assert.True(t, c.Active)
		assert.ErrorIs(t, c.Cause, transport.ErrDisconnected)
		assert.Less(t, time.Since(killed), time.Second)
	case <-time.After(time.Second):
		t.Fatalf("no device_lost within 1 s of killing socat: %+v", sup.Status()[0])
	}
	st := sup.Status()[0]
	assert.Contains(t, []devices.State{devices.Disconnected, devices.Connecting}, st.State)
	assert.Regexp(t, "disconnected|not present", st.LastError)

	// Unplugged for 2 s: the port's path is gone, the Supervisor polls for
	// it (it does not wait out a back-off).
	time.Sleep(2 * time.Second)
	assert.Contains(t, sup.Status()[0].LastError, "not present")
	pty.Start()
	restarted := time.Now()
	waitRunning(2 * time.Second)
	t.Logf("data again %v after socat restarted", time.Since(restarted).Round(time.Millisecond))
	c := <-conds
	assert.Equal(t, devices.Condition{Device: "spo2", Kind: devices.DeviceLost, Active: false, Time: c.Time}, c)
	assert.Equal(t, uint64(2), sup.Status()[0].Connects)
}

package devices_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// lineDriver emits one sample per line "ok" and a bad frame for any other.
type lineDriver struct{ interval time.Duration }

func (d lineDriver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	l := framing.NewLines(rw, "line", 64)
	for {
		line, off, err := l.Next()
		if fe, ok := err.(*devices.FrameError); ok {
			env.Events.FrameBad(fe)
			continue
		}
		if err != nil {
			return err
		}
		if string(line) != "ok" {
			env.Events.FrameBad(&devices.FrameError{Offset: off, Reason: devices.ReasonSyntax})
			continue
		}
		env.Events.FrameOK(off, len(line))
		env.Sink.Put(monitor.Sample{Time: env.Clock.Now(), Channel: channel.PatientHR, Value: 60, Source: env.Source})
	}
}

func (d lineDriver) Describe() devices.Description { return devices.Description{Interval: d.interval} }

// analyserDriver is lineDriver for a device that sends when it has
// results: Sporadic.
type analyserDriver struct{ lineDriver }

func (d analyserDriver) Describe() devices.Description {
	return devices.Description{Interval: 10 * time.Minute, Sporadic: true}
}

// fakeOpener fails the first fail opens (all when fail < 0), then hands the
// far end of a net.Pipe to the test.
type fakeOpener struct {
	mu       sync.Mutex
	start    time.Time
	attempts []time.Duration
	fail     int
	err      error
	peers    chan net.Conn
}

func newFakeOpener(fail int) *fakeOpener {
	return &fakeOpener{start: time.Now(), fail: fail, err: errors.New("no such device"), peers: make(chan net.Conn, 10)}
}

func (o *fakeOpener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, time.Since(o.start))
	if o.fail < 0 || len(o.attempts) <= o.fail {
		return nil, o.err
	}
	a, b := net.Pipe()
	o.peers <- b
	return a, nil
}

func (o *fakeOpener) Close() error   { return nil }
func (o *fakeOpener) String() string { return "fake" }

func (o *fakeOpener) Attempts() []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Duration(nil), o.attempts...)
}

type conditions struct {
	mu  sync.Mutex
	log []string
}

func (c *conditions) add(cd devices.Condition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, fmt.Sprintf("%s %s %v", cd.Device, cd.Kind, cd.Active))
}

func (c *conditions) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

type countSink struct {
	mu sync.Mutex
	n  int
}

func (s *countSink) Put(monitor.Sample) bool { s.mu.Lock(); s.n++; s.mu.Unlock(); return true }
func (s *countSink) count() int              { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func start(t *testing.T, dev devices.Device, cond *conditions) (*devices.Supervisor, func()) {
	t.Helper()
	sup, err := devices.NewSupervisor([]devices.Device{dev}, devices.SupervisorOptions{OnCondition: cond.add})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sup.Run(ctx) }()
	return sup, func() {
		cancel()
		require.NoError(t, <-done)
		assert.Equal(t, devices.Stopped, sup.Status()[0].State)
	}
}

func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(-1)
		cond := &conditions{}
		sup, stop := start(t, devices.Device{Name: "spo2", Driver: lineDriver{}, Transport: op, Sink: &countSink{}}, cond)
		time.Sleep(200 * time.Second)
		synctest.Wait()
		var want []time.Duration
		for _, s := range []int{0, 1, 3, 7, 15, 31, 61, 91, 121, 151, 181} {
			want = append(want, time.Duration(s)*time.Second)
		}
		assert.Equal(t, want, op.Attempts(), "1 s doubling to 30 s")
		st := sup.Status()[0]
		assert.Equal(t, devices.Disconnected, st.State)
		assert.Equal(t, "no such device", st.LastError)
		assert.Equal(t, []string{"spo2 device_lost true"}, cond.get(), "raised once")
		stop()
	})
}

func TestConfigErrorIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(-1)
		op.err = fmt.Errorf("bad baud: %w", devices.ErrConfig)
		cond := &conditions{}
		sup, stop := start(t, devices.Device{Name: "x", Driver: lineDriver{}, Transport: op, Sink: &countSink{}}, cond)
		time.Sleep(100 * time.Second)
		synctest.Wait()
		assert.Len(t, op.Attempts(), 1)
		assert.Equal(t, devices.Failed, sup.Status()[0].State)
		assert.Equal(t, []string{"x device_lost true"}, cond.get())
		stop()
	})
}

func TestWatchdogAndReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(0)
		cond := &conditions{}
		sink := &countSink{}
		sup, stop := start(t, devices.Device{Name: "spo2", Driver: lineDriver{interval: time.Second}, Transport: op, Sink: sink, Source: 3}, cond)
		state := func() devices.State { synctest.Wait(); return sup.Status()[0].State }
		peer := <-op.peers
		assert.Equal(t, devices.Connecting, state())
		for range 3 {
			_, err := io.WriteString(peer, "ok\r\n")
			require.NoError(t, err)
			assert.Equal(t, devices.Running, state())
			time.Sleep(time.Second)
		}
		_, err := io.WriteString(peer, "garbage\r\n")
		require.NoError(t, err)
		// The last good frame came at 2 s; quiet time is 3 intervals.
		time.Sleep(1900 * time.Millisecond)
		assert.Equal(t, devices.Running, state())
		time.Sleep(200 * time.Millisecond)
		assert.Equal(t, devices.Silent, state())
		st := sup.Status()[0]
		assert.Equal(t, 3*time.Second, st.Quiet)
		assert.Equal(t, uint64(3), st.FramesOK)
		assert.Equal(t, uint64(1), st.FramesBad[devices.ReasonSyntax])
		assert.Equal(t, uint64(3*4+9), st.Bytes)
		assert.Equal(t, 3, sink.count())

		_, err = io.WriteString(peer, "ok\n")
		require.NoError(t, err)
		assert.Equal(t, devices.Running, state())

		// The device hangs up: disconnected at once, reopened after 1 s.
		peer.Close()
		assert.Equal(t, devices.Disconnected, state())
		lost := time.Since(op.start)
		assert.ErrorContains(t, errors.New(sup.Status()[0].LastError), "EOF")
		time.Sleep(999 * time.Millisecond)
		assert.Len(t, op.Attempts(), 1)
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if assert.Len(t, op.Attempts(), 2) {
			assert.Equal(t, lost+time.Second, op.Attempts()[1])
		}
		peer = <-op.peers
		_, err = io.WriteString(peer, "ok\n")
		require.NoError(t, err)
		assert.Equal(t, devices.Running, state())
		assert.Equal(t, uint64(2), sup.Status()[0].Connects)
		assert.Equal(t, []string{
			"spo2 device_silent true", "spo2 device_silent false",
			"spo2 device_lost true", "spo2 device_lost false",
		}, cond.get())
		stop()
		peer.Close()
	})
}

// A sporadic device (an analyser) connected and quiet for an hour is
// running, not silent: no watchdog, no device_silent. Losing the
// connection is still device_lost.
func TestSporadicDeviceIsNeverSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(0)
		cond := &conditions{}
		sup, stop := start(t, devices.Device{Name: "abg", Driver: analyserDriver{}, Transport: op, Sink: &countSink{}, Source: 4}, cond)
		state := func() devices.State { synctest.Wait(); return sup.Status()[0].State }
		peer := <-op.peers
		_, err := io.WriteString(peer, "ok\n")
		require.NoError(t, err)
		assert.Equal(t, devices.Running, state())
		time.Sleep(time.Hour)
		assert.Equal(t, devices.Running, state())
		assert.Zero(t, sup.Status()[0].Quiet)
		peer.Close()
		assert.Equal(t, devices.Disconnected, state())
		assert.Equal(t, []string{"abg device_lost true"}, cond.get())
		stop()
	})
}

func TestQuietTime(t *testing.T) {
	op := newFakeOpener(-1)
	sup, err := devices.NewSupervisor([]devices.Device{
		{Name: "a", Driver: lineDriver{interval: 2 * time.Second}, Transport: op, Sink: &countSink{}},
		{Name: "b", Driver: lineDriver{interval: 20 * time.Second}, Transport: op, Sink: &countSink{}},
		{Name: "c", Driver: lineDriver{}, Transport: op, Sink: &countSink{}},
		{Name: "d", Driver: lineDriver{}, Transport: op, Sink: &countSink{}, Interval: 5 * time.Second},
	}, devices.SupervisorOptions{})
	require.NoError(t, err)
	var quiet []time.Duration
	for _, st := range sup.AppendStatus(make([]devices.DeviceStatus, 0, 4)) {
		quiet = append(quiet, st.Quiet)
	}
	assert.Equal(t, []time.Duration{6 * time.Second, 30 * time.Second, 3 * time.Second, 15 * time.Second}, quiet)

	_, err = devices.NewSupervisor([]devices.Device{{Name: "a", Driver: lineDriver{}, Transport: op, Sink: &countSink{}}, {Name: "a", Driver: lineDriver{}, Transport: op, Sink: &countSink{}}}, devices.SupervisorOptions{})
	assert.ErrorIs(t, err, devices.ErrConfig)
	_, err = devices.NewSupervisor([]devices.Device{{Name: "a", Transport: op, Sink: &countSink{}}}, devices.SupervisorOptions{})
	assert.ErrorIs(t, err, devices.ErrConfig)
}

func TestStatusAllocFree(t *testing.T) {
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "a", Driver: lineDriver{}, Transport: newFakeOpener(-1), Sink: &countSink{}}}, devices.SupervisorOptions{})
	require.NoError(t, err)
	buf := make([]devices.DeviceStatus, 0, 1)
	assert.Zero(t, testing.AllocsPerRun(10, func() { buf = sup.AppendStatus(buf[:0]) }))
}

// monitorDriver is lineDriver for a device that must be found again within
// seconds of its return: Description.MaxBackoff.
type monitorDriver struct{ lineDriver }

func (d monitorDriver) Describe() devices.Description {
	return devices.Description{Interval: time.Second, MaxBackoff: 2 * time.Second}
}

func TestMaxBackoffCapsTheDevicesBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(-1)
		cond := &conditions{}
		_, stop := start(t, devices.Device{Name: "monitor", Driver: monitorDriver{}, Transport: op, Sink: &countSink{}}, cond)
		time.Sleep(12 * time.Second)
		synctest.Wait()
		var want []time.Duration
		for _, s := range []int{0, 1, 3, 5, 7, 9, 11} {
			want = append(want, time.Duration(s)*time.Second)
		}
		assert.Equal(t, want, op.Attempts(), "1 s doubling to the driver's 2 s, not the Supervisor's 30 s")
		stop()
	})
}

// deadlineDriver reports whether the stream it is given keeps read
// deadlines, then reads until the stream fails.
type deadlineDriver struct{ got chan bool }

func (d deadlineDriver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	_, ok := rw.(devices.Deadliner)
	d.got <- ok
	_, err := io.Copy(io.Discard, rw)
	if err == nil {
		err = io.EOF
	}
	return err
}

// TestDeadlinesReachTheDriver: a dialogue driver keeps time with read
// deadlines (devices.Deadliner), so the Supervisor's byte counting must not
// hide them from it; a stream without deadlines stays without.
func TestDeadlinesReachTheDriver(t *testing.T) {
	for _, tc := range []struct {
		name string
		pipe bool
		want bool
	}{{"net.Pipe has deadlines", true, true}, {"a plain stream has none", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			op := newFakeOpener(0)
			var dev devices.Device
			drv := deadlineDriver{got: make(chan bool, 4)}
			dev = devices.Device{Name: "m", Driver: drv, Transport: op, Sink: &countSink{}}
			if !tc.pipe {
				dev.Transport = plainOpener{op}
			}
			_, stop := start(t, dev, &conditions{})
			defer stop()
			select {
			case got := <-drv.got:
				assert.Equal(t, tc.want, got)
			case <-time.After(5 * time.Second):
				t.Fatal("the driver never ran")
			}
		})
	}
}

// plainOpener hides everything of its streams but Read, Write and Close.
type plainOpener struct{ *fakeOpener }

func (o plainOpener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	c, err := o.fakeOpener.Open(ctx)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadWriteCloser }{c}, nil
}

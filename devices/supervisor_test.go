package devices_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
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
		t := env.Clock.Now()
		if at, ok := strings.CutPrefix(string(line), "ok@"); ok { // the device's own time
			if t, err = strconv.ParseInt(at, 10, 64); err != nil {
				line = nil
			}
		} else if string(line) != "ok" {
			line = nil
		}
		if line == nil {
			env.Events.FrameBad(&devices.FrameError{Offset: off, Reason: devices.ReasonSyntax})
			continue
		}
		env.Events.FrameOK(off, len(line))
		env.Sink.Put(monitor.Sample{Time: t, Channel: channel.PatientHR, Value: 60, Source: env.Source})
		env.Sink.Put(monitor.Sample{Time: t, Channel: channel.PatientSpO2, Value: 97, Source: env.Source})
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
		assert.Equal(t, 6, sink.count())

		_, err = io.WriteString(peer, "ok\n")
		require.NoError(t, err)
		assert.Equal(t, devices.Running, state())

		// The device hangs up: disconnected at once, reopened after 1 s
		// (the back-off starts over after a stream that delivered frames).
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

// presenceOpener is a device that can be away: while absent, Open fails
// with an error wrapping devices.ErrAbsent (as transport.Serial's does for
// a missing device path); while present it hands the far end of a pipe to
// the test, and records when.
type presenceOpener struct {
	mu      sync.Mutex
	present bool
	opened  []time.Time
	peers   chan net.Conn
}

func (o *presenceOpener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.present {
		return nil, fmt.Errorf("serial /dev/ttyUSB0: %w: no such file or directory", devices.ErrAbsent)
	}
	o.opened = append(o.opened, time.Now())
	a, b := net.Pipe()
	o.peers <- b
	return a, nil
}

func (o *presenceOpener) set(present bool) { o.mu.Lock(); o.present = present; o.mu.Unlock() }
func (o *presenceOpener) lastOpen() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.opened[len(o.opened)-1]
}
func (o *presenceOpener) Close() error   { return nil }
func (o *presenceOpener) String() string { return "presence" }

// An unplugged device is back within a poll (500 ms) of its return, however
// long it was away: the retry delay does not grow while the port is
// absent. Measured here in fake time for outages of 2 s to 10 min; make
// chaos unplugs real ptys.
func TestReconnectAfterAbsence(t *testing.T) {
	for _, outage := range []time.Duration{2 * time.Second, 5 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second, 10 * time.Minute} {
		t.Run(outage.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				op := &presenceOpener{present: true, peers: make(chan net.Conn, 4)}
				cond := &conditions{}
				sup, stop := start(t, devices.Device{Name: "spo2", Driver: lineDriver{interval: time.Second}, Transport: op, Sink: &countSink{}}, cond)
				peer := <-op.peers
				_, err := io.WriteString(peer, "ok\n")
				require.NoError(t, err)
				synctest.Wait()
				require.Equal(t, devices.Running, sup.Status()[0].State)

				op.set(false) // unplugged: the stream fails, the port is gone
				peer.Close()
				time.Sleep(outage)
				synctest.Wait()
				assert.Equal(t, devices.Disconnected, sup.Status()[0].State)
				assert.Contains(t, sup.Status()[0].LastError, "not present")

				back := time.Now()
				op.set(true)
				peer = <-op.peers
				delay := op.lastOpen().Sub(back)
				t.Logf("reopened %v after the device's return (outage %v)", delay, outage)
				assert.LessOrEqual(t, delay, 500*time.Millisecond)
				_, err = io.WriteString(peer, "ok\n")
				require.NoError(t, err)
				synctest.Wait()
				assert.Equal(t, devices.Running, sup.Status()[0].State)
				stop()
				peer.Close()
			})
		})
	}
}

// While a device is absent it is tried every 500 ms; a port that is there
// but fails (TestBackoff) is backed off.
func TestAbsentIsPolled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(-1)
		op.err = fmt.Errorf("tcp 10.1.1.7:4001: %w: connection refused", devices.ErrAbsent)
		_, stop := start(t, devices.Device{Name: "pump", Driver: lineDriver{}, Transport: op, Sink: &countSink{}}, &conditions{})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		var want []time.Duration
		for i := range 21 {
			want = append(want, time.Duration(i)*500*time.Millisecond)
		}
		assert.Equal(t, want, op.Attempts())
		stop()
	})
}

type sampleLog struct {
	mu sync.Mutex
	ss []monitor.Sample
}

func (l *sampleLog) Put(s monitor.Sample) bool {
	l.mu.Lock()
	l.ss = append(l.ss, s)
	l.mu.Unlock()
	return true
}
func (l *sampleLog) take() []monitor.Sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.ss
	l.ss = nil
	return out
}

// times returns the times of ss's samples on ch, relative to t0.
func times(ss []monitor.Sample, ch channel.ID, t0 time.Time) []time.Duration {
	var out []time.Duration
	for _, s := range ss {
		if s.Channel == ch {
			out = append(out, time.Duration(s.Time-t0.UnixNano()))
		}
	}
	return out
}

func seconds(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

// A device that pauses and then sends its backlog (10 frames in one read)
// gets 10 distinct, increasing times per channel, stepping back from the
// read's time by its interval; where the intervals do not fit after the
// stream opened, the frames are spread evenly in between. InfluxDB keeps
// one point per series and time: with one time for all, nine were lost.
func TestBacklogGetsDistinctTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(0)
		log := &sampleLog{}
		t0 := time.Now()
		_, stop := start(t, devices.Device{Name: "spo2", Driver: lineDriver{interval: time.Second}, Transport: op, Sink: log}, &conditions{})
		peer := <-op.peers
		time.Sleep(20 * time.Second)
		_, err := io.WriteString(peer, strings.Repeat("ok\n", 10)) // one read
		require.NoError(t, err)
		synctest.Wait()
		ss := log.take()
		require.Len(t, ss, 20)
		for _, ch := range []channel.ID{channel.PatientHR, channel.PatientSpO2} {
			assert.Equal(t, seconds(11, 12, 13, 14, 15, 16, 17, 18, 19, 20), times(ss, ch, t0), "%v: one interval apart, the last at the read's time", ch)
		}

		// Half a second later, another backlog of 10: the intervals do not
		// fit after the last time given (20 s), so they share the half
		// second evenly.
		time.Sleep(500 * time.Millisecond)
		_, err = io.WriteString(peer, strings.Repeat("ok\n", 10))
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, seconds(20.05, 20.1, 20.15, 20.2, 20.25, 20.3, 20.35, 20.4, 20.45, 20.5), times(log.take(), channel.PatientHR, t0))

		// One frame a read keeps the read's time; a frame with the
		// device's own time keeps it.
		time.Sleep(time.Second)
		_, err = io.WriteString(peer, "ok\n")
		require.NoError(t, err)
		synctest.Wait()
		_, err = io.WriteString(peer, "ok@"+strconv.FormatInt(t0.UnixNano()+7, 10)+"\n")
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, []time.Duration{21500 * time.Millisecond, 7}, times(log.take(), channel.PatientHR, t0))

		// A stream opened again (after 1 s): its first backlog stays
		// after the opening (no byte is received before the port is open).
		peer.Close()
		peer = <-op.peers
		time.Sleep(2 * time.Second)
		_, err = io.WriteString(peer, strings.Repeat("ok\n", 4))
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, seconds(22.5+0.5, 22.5+1, 22.5+1.5, 22.5+2), times(log.take(), channel.PatientHR, t0))
		stop()
		peer.Close()
	})
}

// deadlineProbe reports whether the stream it is given takes read
// deadlines, then reads until the stream fails.
type deadlineProbe struct{ found chan bool }

func (d deadlineProbe) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	_, ok := rw.(devices.Deadliner)
	d.found <- ok
	_, err := io.Copy(io.Discard, rw)
	return err
}

// A driver that keeps time with read deadlines finds them on the stream
// the Supervisor gives it when the transport has them (net.Pipe does).
func TestDriverSeesReadDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := newFakeOpener(0)
		probe := deadlineProbe{found: make(chan bool, 1)}
		_, stop := start(t, devices.Device{Name: "monitor", Driver: probe, Transport: op, Sink: &countSink{}}, &conditions{})
		peer := <-op.peers
		assert.True(t, <-probe.found)
		stop()
		peer.Close()
	})
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

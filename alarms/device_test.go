package alarms_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/framing"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// A device's supervisor may move it from running to silent while the
// alarm context's State stays DeviceConnected, with a new Since: the
// silence must still count from the last sample. The issue: flagged after
// 6 s at 1 Hz, its value saying 3.05 s.
func TestDeviceLostCountsFromLastData(t *testing.T) {
	r := newRig(t, nil)
	r.ctx.Phase = alarms.Bypass
	r.snap.Sources = []monitor.SourceStatus{{}, {Name: "pump"}}
	t0 := r.now.UnixNano()
	r.ctx.Devices[1] = alarms.Device{State: alarms.DeviceConnected, Essential: true, Interval: time.Second, Since: t0, LastData: t0}
	var flagged time.Duration
	var value float64
	for i := 1; i <= 100 && flagged == 0; i++ {
		if i == 30 { // the supervisor's watchdog: "silent" after 3 intervals
			r.ctx.Devices[1].Since = t0 + int64(3*time.Second)
		}
		for _, tr := range r.eval(100 * time.Millisecond) {
			if tr.Alarm == "device_lost/pump" && tr.State == alarms.Active {
				flagged, value = time.Duration(tr.Time-t0), tr.Value
			}
		}
	}
	assert.Equal(t, 3100*time.Millisecond, flagged, "first evaluation past 3 intervals of silence")
	assert.InDelta(t, 3.1, value, 1e-9, "the value is the true silence")
}

// pulseDriver emits an SpO2 sample for every line.
type pulseDriver struct{}

func (pulseDriver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	l := framing.NewLines(rw, "pulse", 64)
	for {
		_, off, err := l.Read(ctx, env.Events)
		if err != nil {
			return err
		}
		env.Events.FrameOK(off, 2)
		env.Sink.Put(monitor.Sample{Time: env.Clock.Now(), Channel: channel.PatientSpO2, Value: 97, Quality: channel.OK, Source: env.Source})
	}
}

func (pulseDriver) Describe() devices.Description { return devices.Description{Interval: time.Second} }

type pipeOpener struct{ peers chan net.Conn }

func (o pipeOpener) Open(context.Context) (io.ReadWriteCloser, error) {
	a, b := net.Pipe()
	o.peers <- b
	return a, nil
}
func (pipeOpener) Close() error   { return nil }
func (pipeOpener) String() string { return "pipe" }

// The whole path, in fake time: a 1 Hz device under the real Supervisor
// stops sending; the engine, evaluated every 100 ms (alarms/live's
// EvalInterval) on a context filled from the Supervisor's status as the
// console fills it, flags it within 3.3 s, with the true silence as value.
// The Supervisor's own switch to silent comes at 3 intervals.
func TestSilentDeviceFlaggedWithinThreeIntervals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var lastData int64
		sink := devices.SinkFunc(func(s monitor.Sample) bool { mu.Lock(); lastData = max(lastData, s.Time); mu.Unlock(); return true })
		op := pipeOpener{peers: make(chan net.Conn, 1)}
		sup, err := devices.NewSupervisor([]devices.Device{{Name: "oximeter", Driver: pulseDriver{}, Transport: op, Sink: sink, Source: 1}}, devices.SupervisorOptions{})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- sup.Run(ctx) }()
		peer := <-op.peers
		for range 10 {
			_, err := io.WriteString(peer, "ok\n")
			require.NoError(t, err)
			time.Sleep(time.Second)
		}
		synctest.Wait()
		mu.Lock()
		last := lastData
		mu.Unlock()

		eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
		require.NoError(t, err)
		snap := &monitor.Snapshot{Readings: make([]monitor.Reading, channel.Count), Sources: []monitor.SourceStatus{{}, {Name: "oximeter"}}}
		var actx alarms.Context
		actx.Phase = alarms.Bypass
		var silentAt, flagged time.Duration
		var value float64
		for flagged == 0 && time.Since(time.Unix(0, last)) < 10*time.Second {
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
			st := sup.Status()[0]
			if st.State == devices.Silent && silentAt == 0 {
				silentAt = time.Duration(st.Since - last)
			}
			state := alarms.DeviceConnected // running and silent alike: the link is up
			if st.State == devices.Disconnected || st.State == devices.Failed {
				state = alarms.DeviceDisconnected
			}
			actx.Devices[1] = alarms.Device{State: state, Since: st.Since, LastData: last, Interval: st.Quiet / 3}
			for _, tr := range eng.Eval(time.Now(), snap, &actx) {
				if tr.Alarm == "device_lost/oximeter" && tr.State == alarms.Active {
					flagged, value = time.Since(time.Unix(0, last)), tr.Value
				}
			}
		}
		t.Logf("silent (Supervisor) %v and device_lost %v after the last frame, value %.2f s", silentAt, flagged, value)
		assert.Equal(t, 3*time.Second, silentAt, "the Supervisor's watchdog: 3 intervals")
		assert.Positive(t, flagged)
		assert.LessOrEqual(t, flagged, 3300*time.Millisecond)
		assert.InDelta(t, flagged.Seconds(), value, 1e-9, "the alarm's value is the true silence")
		cancel()
		require.NoError(t, <-done)
		peer.Close()
	})
}

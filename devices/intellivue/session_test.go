package intellivue_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/devices/intellivue"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// log keeps samples and conditions from the Supervisor's goroutines.
type log struct {
	mu    sync.Mutex
	s     []monitor.Sample
	conds []devices.Condition
}

func (l *log) Put(s monitor.Sample) bool {
	l.mu.Lock()
	l.s = append(l.s, s)
	l.mu.Unlock()
	return true
}
func (l *log) cond(c devices.Condition) {
	l.mu.Lock()
	l.conds = append(l.conds, c)
	l.mu.Unlock()
}

// last returns the newest OK sample of id received after since.
func (l *log) last(id channel.ID, since time.Time) (monitor.Sample, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.s) - 1; i >= 0; i-- {
		s := l.s[i]
		if s.Channel == id && s.Quality == channel.OK && s.Time >= since.UnixNano() {
			return s, true
		}
	}
	return monitor.Sample{}, false
}

// condition returns the time the condition first became active (or
// cleared) after since.
func (l *log) condition(kind devices.ConditionKind, active bool, since time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conds {
		if c.Kind == kind && c.Active == active && c.Time >= since.UnixNano() {
			return time.Unix(0, c.Time), true
		}
	}
	return time.Time{}, false
}

func startMonitor(t *testing.T, addr string) (*emulate.Device, *emulate.Responding) {
	t.Helper()
	dev, err := emulate.New(intellivue.Name, nil)
	require.NoError(t, err)
	require.True(t, dev.Responds())
	w, err := emulate.Open(dev, "udp:"+addr)
	require.NoError(t, err)
	return dev, w.(*emulate.Responding)
}

func putValues(t *testing.T, dev *emulate.Device, mapValue float64) {
	t.Helper()
	now := time.Now().UnixNano()
	for _, s := range []monitor.Sample{
		{Channel: channel.PatientSys, Value: mapValue + 40, Quality: channel.OK, Time: now},
		{Channel: channel.PatientDia, Value: mapValue - 15, Quality: channel.OK, Time: now},
		{Channel: channel.PatientMAP, Value: mapValue, Quality: channel.OK, Time: now},
		{Channel: channel.PatientCVP, Value: 8, Quality: channel.OK, Time: now},
		{Channel: channel.TempNasopharyngeal, Value: 34.5, Quality: channel.OK, Time: now},
	} {
		dev.Put(s)
	}
	require.NoError(t, dev.Flush())
}

// A real UDP session on the loopback under the Supervisor: the driver
// associates with the emulated monitor and polls it; the monitor is
// stopped (unplugged) and device_lost must be raised within 3 s; it comes
// back on the same port (rebooted) and device_lost must clear, with values
// flowing again, within 5 s.
func TestSupervisedUDPSessionLostAndBack(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dev, mon := startMonitor(t, "127.0.0.1:0")
	addr := strings.TrimPrefix(mon.Addr(), "udp:")
	putValues(t, dev, 71)

	var got log
	sup, err := devices.NewSupervisor([]devices.Device{{
		Name:      "monitor",
		Driver:    intellivue.New(),
		Transport: &transport.UDP{Addr: "127.0.0.1:0", Remote: addr},
		Source:    1,
		Sink:      &got,
	}}, devices.SupervisorOptions{OnCondition: got.cond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	require.Eventually(t, func() bool { s, ok := got.last(channel.PatientMAP, start); return ok && s.Value == 71 },
		5*time.Second, 20*time.Millisecond, "MAP from the emulated monitor")
	t.Logf("first MAP %v after start", time.Since(start).Round(time.Millisecond))
	s, ok := got.last(channel.TempNasopharyngeal, start)
	require.True(t, ok)
	assert.Equal(t, 34.5, s.Value)

	// Unplugged.
	require.NoError(t, mon.Close())
	lost := time.Now()
	var raised time.Time
	require.Eventually(t, func() bool { raised, ok = got.condition(devices.DeviceLost, true, lost); return ok },
		4*time.Second, 10*time.Millisecond, "device_lost after the monitor went away")
	detect := raised.Sub(lost)
	t.Logf("monitor lost: device_lost raised after %v", detect.Round(time.Millisecond))
	assert.Less(t, detect, 3*time.Second)

	// Back (rebooted: a fresh monitor on the same address) after a while.
	time.Sleep(2 * time.Second)
	dev2, mon2 := startMonitor(t, addr)
	defer mon2.Close()
	back := time.Now()
	putValues(t, dev2, 65)
	var cleared time.Time
	require.Eventually(t, func() bool { cleared, ok = got.condition(devices.DeviceLost, false, back); return ok },
		6*time.Second, 10*time.Millisecond, "device_lost cleared after the monitor came back")
	t.Logf("monitor back: device_lost cleared after %v", cleared.Sub(back).Round(time.Millisecond))
	assert.Less(t, cleared.Sub(back), 5*time.Second)
	require.Eventually(t, func() bool { s, ok := got.last(channel.PatientMAP, back); return ok && s.Value == 65 },
		5*time.Second, 20*time.Millisecond, "MAP from the monitor after its return")
	t.Logf("monitor back: values again after %v", time.Since(back).Round(time.Millisecond))
}

// The driver's keep-alive and poll renewals hold a session longer than the
// monitor's 10-s association timeout and the polls' 20-s active period.
func TestSessionOutlivesTimeouts(t *testing.T) {
	if testing.Short() {
		t.Skip("25 s")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dev, mon := startMonitor(t, "127.0.0.1:0")
	defer mon.Close()
	addr := strings.TrimPrefix(mon.Addr(), "udp:")
	putValues(t, dev, 75)
	u := &transport.UDP{Addr: "127.0.0.1:0", Remote: addr}
	rwc, err := u.Open(context.Background())
	require.NoError(t, err)
	defer rwc.Close()
	var got log
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	err = intellivue.New().Decode(ctx, rwc, devices.Env{Source: 1, Sink: &got})
	require.ErrorIs(t, err, context.DeadlineExceeded, "the session must hold: no lost monitor")
	late := time.Now().Add(-3 * time.Second)
	_, ok := got.last(channel.PatientMAP, late)
	assert.True(t, ok, "values still flow after 22 s")
}

// The example console config loads: its options and transport are valid.
func TestConsoleExampleLoads(t *testing.T) {
	cfg, err := console.Load("console-example.toml")
	require.NoError(t, err)
	require.Len(t, cfg.Devices, 1)
	_, ok := cfg.Devices[0].Driver.(*intellivue.Driver)
	assert.True(t, ok, "the device runs the intellivue driver")
}

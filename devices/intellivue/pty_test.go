package intellivue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/intellivue"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor/channel"
)

// The MIB/RS232 transport over a socat pty pair: the emulated monitor on
// one end (serial framing, escaping, FCS), the driver on the other, with
// link = "serial"; then the cable pulled
// (socat killed) and the driver's read failing, as the Supervisor needs.
func TestSerialSessionOverPty(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pty := devicetest.StartPtyPair(t)
	dev, err := emulate.New(intellivue.Name, nil)
	require.NoError(t, err)
	w, err := emulate.Open(dev, pty.Peer)
	require.NoError(t, err)
	defer w.Close()
	putValues(t, dev, 68)

	port, err := transport.OpenSerial(transport.Serial{Port: pty.Device, Baud: 115200, ReadTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	defer port.Close()
	var got log
	rec := &devicetest.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	drv := intellivue.New()
	drv.Config().(*intellivue.Config).Link = "serial"
	require.NoError(t, drv.Init())
	done := make(chan error, 1)
	go func() { done <- drv.Decode(ctx, port, devices.Env{Source: 1, Sink: &got, Events: rec}) }()
	start := time.Now()
	require.Eventually(t, func() bool { s, ok := got.last(channel.PatientMAP, start); return ok && s.Value == 68 },
		5*time.Second, 20*time.Millisecond)
	s, ok := got.last(channel.TempNasopharyngeal, start)
	require.True(t, ok)
	assert.Equal(t, 34.5, s.Value)
	t.Logf("first MAP over the pty after %v", time.Since(start).Round(time.Millisecond))

	pty.Kill()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "the driver must see the line go, not time out")
		assert.Positive(t, rec.OK)
		assert.Empty(t, rec.Bad, "no bad frames on a clean line")
	case <-time.After(5 * time.Second):
		t.Fatal("Decode did not return after the pty went away")
	}
}

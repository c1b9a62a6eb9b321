package devices_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

type nopDriver struct{}

func (nopDriver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error { return io.EOF }

func TestRegister(t *testing.T) {
	devices.Register("test-nop", func() devices.Driver { return nopDriver{} })
	assert.Contains(t, devices.Names(), "test-nop")
	d, err := devices.New("test-nop")
	require.NoError(t, err)
	assert.Equal(t, nopDriver{}, d)
	assert.Panics(t, func() { devices.Register("test-nop", func() devices.Driver { return nopDriver{} }) })
	assert.Panics(t, func() { devices.Register("", func() devices.Driver { return nopDriver{} }) })
	assert.Panics(t, func() { devices.Register("test-nil", nil) })
	_, err = devices.New("no-such")
	assert.ErrorIs(t, err, devices.ErrConfig)
	assert.ErrorIs(t, devices.Configure(d, devices.TOMLDecoder([]byte("a = 1"))), devices.ErrConfig, "a driver without options takes no config")
	assert.NoError(t, devices.Configure(d, nil))
	assert.Equal(t, devices.Description{}, devices.Describe(d))
}

func TestFrameError(t *testing.T) {
	cause := errors.New("boom")
	e := &devices.FrameError{Driver: "x", Offset: 12, Reason: devices.ReasonChecksum, Field: "CS", Raw: []byte("ab\x01"), Err: cause}
	var err error = e
	assert.ErrorIs(t, err, devices.ErrBadFrame)
	assert.ErrorIs(t, err, cause)
	var fe *devices.FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, `x: bad frame at byte 12: checksum in CS: boom: "ab\x01"`, err.Error())
	c := e.Clone()
	e.Raw[0] = 'z'
	assert.Equal(t, "ab\x01", string(c.Raw))
	for r := devices.Reason(0); r < devices.NumReasons; r++ {
		back, err := devices.ParseReason(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, back)
	}
	_, err = devices.ParseReason("nope")
	assert.Error(t, err)
}

func TestSampleJSON(t *testing.T) {
	s := monitor.Sample{Time: 1772438401500000000, Channel: channel.TempBladder, Value: 36.5, Quality: channel.OK}
	assert.Equal(t, `{"time":"2026-03-02T08:00:01.5Z","source":"a\"b\u0001","channel":"temp.bladder","value":36.5,"unit":"°C","quality":"ok"}`,
		string(devices.AppendSampleJSON(nil, s, "a\"b\x01")))
	s.Quality = channel.Questionable
	assert.Contains(t, string(devices.AppendSampleJSON(nil, s, "x")), `"value":null`)
	s.Quality, s.Value = channel.OK, 99 // out of range but marked OK: never printed as a number
	assert.Contains(t, string(devices.AppendSampleJSON(nil, s, "x")), `"value":null`)
}

func TestPortSettings(t *testing.T) {
	assert.Equal(t, "9600 8N1", devices.PortSettings{Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1"}.String())
	assert.Equal(t, "19200 8E1 rts/cts", devices.PortSettings{Baud: 19200, DataBits: 8, Parity: "even", StopBits: "1", Flow: "rts/cts"}.String())
}

// The pipeline's per-source producer is what the Supervisor feeds.
var _ devices.Sink = (*monitor.Producer)(nil)

package s5_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestConsoleExample: the example console config loads, with the port
// settings of the document and the channels it maps.
func TestConsoleExample(t *testing.T) {
	cfg, err := console.Load("console-example.toml")
	require.NoError(t, err)
	require.Len(t, cfg.Devices, 1)
	d := cfg.Devices[0]
	assert.Equal(t, s5.Name, d.DriverName)
	p := s5.New().Describe().Port
	assert.Equal(t, "19200 8E1 rts/cts", p.String())
	tr := d.Transport
	assert.Equal(t, [5]any{p.Baud, p.DataBits, p.Parity, p.StopBits, p.Flow}, [5]any{tr.Baud, tr.DataBits, tr.Parity, tr.StopBits, tr.Flow})
	desc := devices.Describe(d.Driver)
	var ids []channel.ID
	for _, c := range desc.Channels {
		ids = append(ids, c.ID)
	}
	for _, want := range []channel.ID{channel.PatientMAP, channel.PatientCVP, channel.PatientPAPMean, channel.TempNasopharyngeal, channel.TempBladder, channel.TempBlood} {
		assert.Contains(t, ids, want)
	}
	assert.Equal(t, "serial /tmp/s5-console", d.Opener.String())
}

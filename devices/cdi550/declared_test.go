package cdi550_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/monitor/channel"
)

// declared configures d as a site declares its device: gases displayed at
// 37 °C (temp_mode), which the gas channels hold (require_temp_mode's
// default). Without it the gases are withheld (TestTempModeDeclared).
func declared(t testing.TB, d *cdi550.Driver) *cdi550.Driver {
	t.Helper()
	if err := devices.Configure(d, devices.TOMLDecoder([]byte(`temp_mode = "37C"`))); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTempModeDeclared: the temperature the gas channels hold must be
// declared; gases of the other mode, or of a mode not known, are withheld
// (questionable) with a note saying why, never put on the channel as
// numbers: 37 °C and patient-temperature values never share a channel.
func TestTempModeDeclared(t *testing.T) {
	err := devices.Configure(cdi550.New(), devices.TOMLDecoder([]byte(`require_temp_mode = ""`)))
	require.ErrorContains(t, err, "require_temp_mode must be declared")

	// Defaults: the channels hold 37 °C values; the device's mode is not
	// known until it says.
	in := header + report + "37C Temp Data\r" + report + "@ Temp Data\r" + report + "37C Temp Data\r" + report
	rec := &noting{}
	err = cdi550.New().Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(in)), devices.Env{Sink: rec, Events: rec})
	require.ErrorIs(t, err, io.EOF)
	var q []channel.Quality
	for _, s := range rec.Samples {
		switch s.Channel {
		case channel.InlineArtPH:
			q = append(q, s.Quality)
		case channel.InlineHct, channel.InlineArtSO2:
			assert.Equal(t, channel.OK, s.Quality, "%v does not depend on the mode", s.Channel)
		}
	}
	assert.Equal(t, []channel.Quality{channel.Questionable, channel.OK, channel.Questionable, channel.OK}, q)
	require.Len(t, rec.Notes, 4, "%q", rec.Notes)
	assert.Contains(t, rec.Notes[0], "temperature mode is not known")
	assert.Contains(t, rec.Notes[1], "gases at 37 °C, as require_temp_mode declares")
	assert.Contains(t, rec.Notes[2], "the patient's temperature, require_temp_mode declares 37 °C")
	assert.Contains(t, rec.Notes[3], "at 37 °C again")
}

// noting is a Recorder that keeps the driver's notes.
type noting struct {
	devicetest.Recorder
	Notes []string
}

func (n *noting) Note(text string) { n.Notes = append(n.Notes, text) }

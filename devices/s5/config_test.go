package s5_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/monitor/channel"
)

func configure(conf string) (*s5.Driver, error) {
	d := s5.New()
	return d, devices.Configure(d, devices.TOMLDecoder([]byte(conf)))
}

func TestConfigRefusesWhatWouldMislabel(t *testing.T) {
	for _, tc := range []struct{ conf, err string }{
		{"[pressures]\nPA = \"arterial\"", `pressures.PA = "arterial": a pressure labelled PA cannot go to the arterial site`},
		{"[pressures]\nCVP = \"arterial\"", `labelled CVP cannot go to the arterial site`},
		{"[pressures]\nICP = \"cvp\"", `labelled ICP cannot go to the cvp site`},
		{"[pressures]\nART = \"pap\"", `labelled ART cannot go to the pap site`},
		{"[pressures]\nFOO = \"arterial\"", `pressures."FOO": not an invasive pressure label`},
		{"[pressures]\nP1 = \"systemic\"", `want "arterial", "cvp", "pap" or ""`},
		{"[temperatures]\nT1 = \"patient.map\"", `"patient.map" is not a measured °C channel`},
		{"[temperatures]\nT1 = \"temp.bladder\"", `temperatures.BLAD and temperatures.T1 both map to temp.bladder`},
		{"[temperatures]\nSKIN = \"temp.nowhere\"", `"temp.nowhere" is not a measured °C channel`},
		{"[temperatures]\nHEAD = \"temp.bladder\"", `temperatures."HEAD": not a temperature label`},
		{"blood_temperature = \"temp.nasopharyngeal\"", `blood_temperature and temperatures.NASO both map`},
		{"interval = \"0.5s\"", `outside 1s to 10s`},
		{"interval = \"30s\"", `outside 1s to 10s`},
		{"interval = \"1500ms\"", `not whole seconds`},
		{"intervall = \"5s\"", `unknown option(s) intervall`},
	} {
		_, err := configure(tc.conf)
		require.Error(t, err, tc.conf)
		assert.ErrorIs(t, err, devices.ErrConfig, tc.conf)
		assert.Contains(t, err.Error(), tc.err, tc.conf)
	}
}

func TestConfigSiteMap(t *testing.T) {
	d, err := configure("interval = \"5s\"\n[pressures]\nFEM = \"arterial\"\np7 = \"pap\"\nPA = \"\"\n[temperatures]\nCORE = \"temp.oesophageal\"\nESO = \"\"")
	require.NoError(t, err)
	fields := map[channel.ID]string{}
	for _, c := range d.Describe().Channels {
		fields[c.ID] = c.Field
		assert.Equal(t, "5s", c.Interval.String())
	}
	assert.Equal(t, "P1-P8 labelled ART, ABP, FEM (mean)", fields[channel.PatientMAP])
	assert.Equal(t, "P1-P8 labelled P7 (sys)", fields[channel.PatientPAPSys], "PA unmapped, P7 given")
	assert.Equal(t, "T1-T6 labelled CORE", fields[channel.TempOesophageal])
	assert.Equal(t, 5*1e9, float64(d.Describe().Interval))
}

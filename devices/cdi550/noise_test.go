package cdi550_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
)

// emulated returns the bytes the emulated device sends during the first
// hours of the built-in simulated case (seeded).
func emulated(t testing.TB, name string, hours int, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	dev, err := emulate.New(name, &buf)
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	c := sim.New(start, seed)
	for d := time.Minute; d <= time.Duration(hours)*time.Hour; d += time.Minute {
		c.AdvanceTo(start.Add(d), func(_ sim.Source, s monitor.Sample) { dev.Put(s) })
		require.NoError(t, dev.Flush())
	}
	return buf.Bytes()
}

// TestFalseOKUnderLineNoise measures issue 22's figure: 1 % of the bytes
// of a 4-hour emulated stream flipped at random (20 seeds), ok samples
// with a value the clean stream never had. Packet mode's CRC must let
// none through; ASCII mode has no check, and a flipped digit inside a
// well-formed value cannot be told from a real one.
func TestFalseOKUnderLineNoise(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bound float64 // false ok per ok sample
	}{
		{cdi550.Name, 0.01},
		{cdi550.PacketName, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hours, seeds := 4, int64(20)
			if raceEnabled {
				hours, seeds = 1, 3
			}
			clean := emulated(t, tc.name, hours, 1)
			var total devicetest.Noise
			for seed := range seeds {
				total = total.Add(devicetest.FalseOK(t, tc.name, clean, 0.01, seed+1))
			}
			t.Logf("%s, %d h, %d seeds: %v (%.4f %% of ok samples)", tc.name, hours, seeds, total, 100*total.Rate())
			assert.Positive(t, total.OK, "the noisy streams still deliver values")
			assert.LessOrEqual(t, total.Rate(), tc.bound)
			if tc.bound == 0 {
				assert.Zero(t, total.FalseOK)
			}
		})
	}
}

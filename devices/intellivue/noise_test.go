package intellivue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/intellivue"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
)

// recorded returns what the emulated monitor sends the driver during the
// first hours of the built-in simulated case (seeded), with link "serial"
// (MIB/RS232 frames) or "lan" (messages as UDP datagrams carry them): the
// association, the MDS create event and the poll results of a dialogue,
// as a capture of the monitor's side holds them.
func recorded(t *testing.T, link string, hours int, seed uint64) []byte {
	t.Helper()
	linked := func() *intellivue.Driver {
		d := intellivue.New()
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`link = "`+link+`"`))))
		return d
	}
	dev, err := emulate.New(intellivue.Name, nil)
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	c := sim.New(start, seed)
	emit := func(_ sim.Source, s monitor.Sample) { dev.Put(s) }
	return devicetest.Dialogue(t, linked(), linked(), time.Duration(hours)*time.Hour,
		func(elapsed time.Duration, dst []monitor.Sample) []monitor.Sample {
			c.AdvanceTo(start.Add(elapsed), emit)
			assert.NoError(t, dev.Flush()) // on the monitor's goroutine: no FailNow
			return dev.Latest(dst)
		})
}

// TestFalseOKUnderLineNoise measures issue 22's figure: 1 % of the bytes
// of a 4-hour recorded dialogue flipped at random (20 seeds), ok samples
// with a value the clean stream never had, on each link.
//
// MIB/RS232: every message is in a frame whose FCS (RFC 1662's CRC-16)
// covers every byte; a damaged frame that passes it is a 1 in 65,536
// chance, so no false value may come out.
//
// LAN: the messages carry no check of their own; on the wire UDP's
// checksum (and Ethernet's CRC-32) covers each datagram, and a damaged one
// is dropped by the network stack before the driver reads it. Flipped bytes
// reach the driver only in a damaged LAN capture, and what it lets through
// then is measured here to show what the UDP checksum stands for: a
// changed mantissa byte of a FLOAT-Type value is another number, often in
// range, that no field check can tell from a real one.
func TestFalseOKUnderLineNoise(t *testing.T) {
	for _, tc := range []struct {
		link  string
		bound float64 // false ok per ok sample
	}{
		{"serial", 0},
		{"lan", 0.02},
	} {
		t.Run(tc.link, func(t *testing.T) {
			hours, seeds := 4, int64(20)
			if raceEnabled {
				hours, seeds = 1, 3
			}
			clean := recorded(t, tc.link, hours, 1)
			var total devicetest.Noise
			for seed := range seeds {
				total = total.Add(devicetest.FalseOK(t, intellivue.Name, clean, 0.01, seed+1))
			}
			t.Logf("%s %s, %d h, %d seeds: %v (%.4f %% of ok samples)", intellivue.Name, tc.link, hours, seeds, total, 100*total.Rate())
			assert.Positive(t, total.OK, "the noisy streams still deliver values")
			assert.LessOrEqual(t, total.Rate(), tc.bound)
			if tc.bound == 0 {
				assert.Zero(t, total.FalseOK)
			}
		})
	}
}

package template_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/devices/template"
)

// TestConformance runs the driver kit: the cases under testdata/, split
// reads, garbage, truncation, a 100 MB line, corrupted bytes, cancellation,
// allocations and goroutine leaks. Rewrite the expected files with
// DEVICETEST_UPDATE=1 go test -run Conformance, and read the diff.
func TestConformance(t *testing.T) {
	devicetest.Check(t, template.Name, devicetest.Options{ZeroAllocs: true})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, template.Name, "testdata") }

// TestLineNoise runs line noise through 30 minutes of the emulated device's
// output (docs/drivers.md, "Line noise"): with 1 % of the bytes flipped, a
// made-up value may come out ok only where digits alone were changed into
// other digits, which no syntax can see: the T2 line has no checksum.
func TestLineNoise(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clean, err := emulate.Stream(template.Name, sim.New(start, 1), start.Add(30*time.Minute))
	require.NoError(t, err)
	devicetest.CheckFlips(t, func() devices.Driver { d, _ := devices.New(template.Name); return d }, clean, devicetest.FlipOptions{})
}

// Every value in its documented form, or the line is bad: numbers that
// parse but are not dd.d (line noise, a merged or cut line) yield nothing.
func TestStrictLine(t *testing.T) {
	for _, line := range []string{
		"T1=3.5 T2=35.1 ST=00", "T1=36.85 T2=35.1 ST=00", "T1=+6.8 T2=35.1 ST=00", "T1=36. T2=35.1 ST=00",
		"T1=36.8  T2=35.1 ST=00", "T1=36.8 T2=35.1 ST=0", "T1=36.8 T2=35.1 ST=0g", "T1=-6.8 T2=35.1 ST=00",
	} {
		rec, err := devicetest.Decode(template.New(), strings.NewReader(line+"\r\n"))
		require.NoError(t, err)
		assert.Empty(t, rec.Samples, line)
		assert.Len(t, rec.Bad, 1, line)
	}
	rec, err := devicetest.Decode(template.New(), strings.NewReader("T1=09.5 T2=--.- ST=0A\r\n"))
	require.NoError(t, err)
	assert.Len(t, rec.Samples, 2)
}

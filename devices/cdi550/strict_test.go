package cdi550_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestFakeHeaderRejected is issue 22's case: a line "F<TAB>Q" must not be
// taken for a header, "<TAB>5" must never become pump.flow = 5, and the
// good column map must survive both.
func TestFakeHeaderRejected(t *testing.T) {
	in := header + report + "F\tQ\r" + "\t5\r" + report
	rec, err := devicetest.Decode(cdi550.New(), strings.NewReader(in))
	require.NoError(t, err)
	for _, s := range rec.Samples {
		if s.Channel == channel.PumpFlow && s.Quality == channel.OK {
			assert.Equal(t, 4.5, s.Value, "only the reports' flow may come out ok")
		}
	}
	flows := 0
	for _, s := range rec.Samples {
		if s.Channel == channel.PumpFlow {
			flows++
		}
	}
	assert.Equal(t, 2, flows, "both reports decode under the device's header, before and after the noise")
	assert.Equal(t, 3, rec.OK, "the header and the two reports")
	assert.Len(t, rec.Bad, 2, "the fake header and the line after it are bad: %s", rec.Frames())
}

// lineNoise returns n bytes of seeded noise on a text line: letters,
// digits, tabs, dots, dashes and line ends, the characters a CDI stream is
// made of, so that the noise holds header-shaped and data-shaped lines.
func lineNoise(n int, seed uint64) []byte {
	const alphabet = "ABCFHKQTVXZabcdehkmoprtxz0123456789+-.:#\t\t\t\t\r"
	rng := rand.New(rand.NewPCG(seed, 22))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return b
}

// TestLineNoiseKeepsColumnMap is issue 22's second finding: after 1 MB of
// line noise, the good reports that follow decode under the header the
// device sent before the noise (the device repeats it only every 50
// lines).
func TestLineNoiseKeepsColumnMap(t *testing.T) {
	const after = 49
	var in bytes.Buffer
	in.WriteString(header)
	in.WriteString(report)
	in.Write(lineNoise(1<<20, 1))
	in.WriteString("\r")
	for range after {
		in.WriteString(report)
	}
	rec, err := devicetest.Decode(cdi550.New(), bytes.NewReader(in.Bytes()))
	require.NoError(t, err)
	flows := 0
	for _, s := range rec.Samples {
		if s.Channel == channel.PumpFlow && s.Quality == channel.OK && s.Value == 4.5 {
			flows++
		}
	}
	t.Logf("%d bad frames in the noise; %d good flows", len(rec.Bad), flows)
	assert.Equal(t, 1+after, flows, "every report before and after the noise decodes")
}

package hl7_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// flip changes each byte of in with probability p to another value drawn
// uniformly (XOR with a random non-zero byte): line noise as measured in
// issue 22, item 6. It returns the damaged copy and how many bytes changed.
func flip(in []byte, p float64, rng *rand.Rand) ([]byte, int) {
	out := bytes.Clone(in)
	n := 0
	for i := range out {
		if rng.Float64() < p {
			out[i] ^= byte(1 + rng.IntN(255))
			n++
		}
	}
	return out, n
}

// noiseStream is the clean input of the noise measurement: the test cases'
// messages written from the standard, and messages of random blood gases
// written by the encoder, about 1 MB in all.
func noiseStream(t *testing.T) []byte {
	var out []byte
	for _, c := range []string{"oru", "older"} {
		b, err := os.ReadFile("testdata/" + c + "/input")
		require.NoError(t, err)
		out = append(out, bytes.Repeat(b, 50)...)
	}
	d := hl7.New()
	rng := rand.New(rand.NewPCG(7, 7))
	t0 := devicetest.T0 - int64(time.Hour)
	for i := 0; len(out) < 1<<20; i++ {
		var ss []monitor.Sample
		site := analyte.Arterial
		if i%2 == 1 {
			site = analyte.Venous
		}
		for _, name := range analyte.Names {
			id, _ := analyte.Channel(name, site)
			ch := channel.Get(id)
			v := ch.Min + rng.Float64()*(ch.Max-ch.Min)
			v = math.Round(v*math.Pow(10, float64(ch.Precision))) / math.Pow(10, float64(ch.Precision))
			ss = append(ss, monitor.Sample{Time: t0 + int64(i)*int64(time.Minute), Channel: id, Value: v})
		}
		var err error
		out, err = d.AppendFrame(out, ss)
		require.NoError(t, err)
	}
	return out
}

type sampleKey struct {
	ch channel.ID
	v  float64
}

// analyteKey is a value and its analyte, whatever the site.
type analyteKey struct {
	field string
	v     float64
}

func field(id channel.ID) string {
	_, f, _ := strings.Cut(channel.Get(id).Name, ".")
	return f
}

// TestNoiseFalseOK measures how many OK values line noise (1 % of bytes
// changed) makes that the clean stream does not hold: a value the sender
// never sent, or a value on a named site (abg, vbg, cvbg) it was not sent
// for. A value moved to bg.* (its specimen damaged: "not stated") is
// counted apart: it claims no site. HL7 has no checksum: a digit changed
// into another digit inside a value, in a message with no other damage,
// cannot be seen, so the figure is a measurement over these seeds, not a
// bound the format guarantees.
func TestNoiseFalseOK(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	clean := noiseStream(t)
	rec, err := devicetest.Decode(hl7.New(), bytes.NewReader(clean))
	require.NoError(t, err)
	truth := map[sampleKey]bool{}
	values := map[analyteKey]bool{}
	for _, s := range rec.Samples {
		if s.Quality == channel.OK {
			truth[sampleKey{s.Channel, s.Value}] = true
			values[analyteKey{field(s.Channel), s.Value}] = true
		}
	}
	require.NotEmpty(t, truth)
	var okTotal, falseOK, toBG, flipped int
	const seeds = 20
	for seed := range uint64(seeds) {
		noisy, n := flip(clean, 0.01, rand.New(rand.NewPCG(seed, 22)))
		flipped += n
		rec, err := devicetest.Decode(hl7.New(), bytes.NewReader(noisy))
		require.NoError(t, err)
		for _, s := range rec.Samples {
			if s.Quality != channel.OK {
				continue
			}
			okTotal++
			switch {
			case truth[sampleKey{s.Channel, s.Value}]:
			case channel.Get(s.Channel).Group() == "bg" && values[analyteKey{field(s.Channel), s.Value}]:
				toBG++
			default:
				falseOK++
				t.Logf("seed %d: false OK %v = %v", seed, s.Channel, s.Value)
			}
		}
	}
	t.Logf("hl7 under 1%% byte noise: %d seeds × %d bytes (%d changed): %d OK values, %d false OK, %d true values on bg.* (specimen damaged)",
		seeds, len(clean), flipped, okTotal, falseOK, toBG)
	assert.Zero(t, falseOK, "false OK values under 1%% noise (%d seeds)", seeds)
}

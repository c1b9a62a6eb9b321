package devicetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Noise is what FalseOK measured on one stream.
type Noise struct {
	// Bytes is the stream's length, Flipped how many of its bytes the
	// noise changed.
	Bytes, Flipped int
	// CleanOK counts the ok samples of the clean stream, OK those of the
	// noisy one.
	CleanOK, OK int
	// FalseOK counts the noisy stream's ok samples whose value the clean
	// stream never had on that channel: a number the noise made up and the
	// driver let through as good.
	FalseOK int
	// Bad counts the bad frames the driver reported in the noisy stream.
	Bad int
}

// Rate is FalseOK per ok sample of the noisy stream.
func (n Noise) Rate() float64 {
	if n.OK == 0 {
		return 0
	}
	return float64(n.FalseOK) / float64(n.OK)
}

func (n Noise) String() string {
	return fmt.Sprintf("%d of %d bytes flipped: %d false ok of %d ok samples (clean %d), %d bad frames",
		n.Flipped, n.Bytes, n.FalseOK, n.OK, n.CleanOK, n.Bad)
}

// Add sums two measurements (several seeds).
func (n Noise) Add(o Noise) Noise {
	return Noise{Bytes: n.Bytes + o.Bytes, Flipped: n.Flipped + o.Flipped, CleanOK: n.CleanOK + o.CleanOK,
		OK: n.OK + o.OK, FalseOK: n.FalseOK + o.FalseOK, Bad: n.Bad + o.Bad}
}

// Corrupt returns a copy of clean in which each byte, with probability
// rate, is XORed with a random non-zero byte (ByteFlip, so it always
// changes), and how many bytes changed. The same seed gives the same noise
// (the figures of docs/drivers.md's line-noise table are of these seeds).
func Corrupt(clean []byte, rate float64, seed int64) ([]byte, int) {
	return flip(clean, rate, rand.New(rand.NewPCG(uint64(seed), 0x6e6f697365)), ByteFlip) // "noise"
}

// FalseOK measures how much line noise a driver lets through as good
// values: it decodes clean (a stream the driver decodes without a bad
// frame, such as an emulated device's bytes) with the driver registered as
// name and default options, then the same stream with each byte flipped
// with probability rate (Corrupt, seeded), and counts the noisy stream's ok
// samples whose (channel, value) the clean stream never had. A format with
// a checksum over every frame should give 0; a text format without one
// lets through what a flipped digit makes of a well-formed value.
//
// It fails t when the clean stream does not decode cleanly. Use it in a
// test or a benchmark; report Noise, and assert what the format allows.
func FalseOK(t testing.TB, name string, clean []byte, rate float64, seed int64) Noise {
	t.Helper()
	newDriver := func() devices.Driver {
		d, err := devices.New(name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ref, err := Decode(newDriver(), bytes.NewReader(clean))
	if err != nil {
		t.Fatalf("clean stream: %v", err)
	}
	if len(ref.Bad) > 0 {
		t.Fatalf("the clean stream has %d bad frames, the first %v", len(ref.Bad), ref.Bad[0])
	}
	type key struct {
		ch channel.ID
		v  float64
	}
	seen := map[key]bool{}
	n := Noise{Bytes: len(clean)}
	for _, s := range ref.Samples {
		if s.Quality == channel.OK {
			seen[key{s.Channel, s.Value}] = true
			n.CleanOK++
		}
	}
	noisy, flipped := Corrupt(clean, rate, seed)
	n.Flipped = flipped
	rec, err := Decode(newDriver(), bytes.NewReader(noisy))
	if err != nil {
		t.Fatalf("noisy stream: %v", err)
	}
	n.Bad = len(rec.Bad)
	for _, s := range rec.Samples {
		if s.Quality != channel.OK {
			continue
		}
		n.OK++
		if !seen[key{s.Channel, s.Value}] {
			n.FalseOK++
		}
	}
	return n
}

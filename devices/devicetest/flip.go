package devicetest

import (
	"bytes"
	"context"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Flip says how line noise changes a byte.
type Flip int

const (
	// BitFlip flips one of the byte's bits: a serial line's bit error. A
	// digit becomes another digit in about 4 flips of 10.
	BitFlip Flip = iota
	// ByteFlip replaces the byte with another value, each of the 255
	// equally likely.
	ByteFlip
)

func (f Flip) String() string {
	if f == ByteFlip {
		return "byte"
	}
	return "bit"
}

// FlipBytes returns a copy of data in which each byte, with probability
// rate, is changed as how says. The same seed gives the same copy; no byte
// moves, so a frame's offset is the same in both.
func FlipBytes(data []byte, rate float64, seed uint64, how Flip) []byte {
	out, _ := flip(data, rate, rand.New(rand.NewPCG(seed, 0x6c696e65)), how)
	return out
}

// flip changes a copy of data as FlipBytes says, drawing from rng, and
// returns it with the number of bytes changed.
func flip(data []byte, rate float64, rng *rand.Rand, how Flip) ([]byte, int) {
	out := bytes.Clone(data)
	n := 0
	for i := range out {
		if rng.Float64() >= rate {
			continue
		}
		if how == ByteFlip {
			out[i] ^= byte(1 + rng.IntN(255))
		} else {
			out[i] ^= 1 << rng.IntN(8)
		}
		n++
	}
	return out, n
}

// FalseValue is an ok sample that line noise made up: its channel and value
// are those of no ok sample of the clean stream.
type FalseValue struct {
	Sample monitor.Sample
	// Clean and Noisy are the bytes of its frame (as the driver reported
	// it with FrameOK) in the clean and the noisy stream.
	Clean, Noisy []byte
}

// Only reports whether every byte the noise changed in the value's frame
// is a change invisible says the protocol's syntax cannot see.
func (f FalseValue) Only(invisible func(clean, noisy byte) bool) bool {
	if len(f.Noisy) == 0 {
		return false // no frame reported for it
	}
	for j := range f.Noisy {
		if a, b := f.Clean[j], f.Noisy[j]; a != b && !invisible(a, b) {
			return false
		}
	}
	return true
}

// Digits is the change no fixed-width syntax can see: a digit turned into
// another digit.
func Digits(clean, noisy byte) bool { return isDigit(clean) && isDigit(noisy) }

// FlipResult is what line noise made of a clean stream.
type FlipResult struct {
	// OK counts the ok samples decoded from the noisy streams.
	OK     int
	False  []FalseValue
	Frames int // good frames in the clean stream, per noisy copy
}

// Rate returns the false values per ok value decoded.
func (r FlipResult) Rate() float64 {
	if r.OK == 0 {
		return 0
	}
	return float64(len(r.False)) / float64(r.OK)
}

// Beyond returns the false values whose frame had a change invisible
// does not allow: a parser that keeps to its syntax rejects such frames.
func (r FlipResult) Beyond(invisible func(clean, noisy byte) bool) []FalseValue {
	var out []FalseValue
	for _, f := range r.False {
		if !f.Only(invisible) {
			out = append(out, f)
		}
	}
	return out
}

// MeasureFlips decodes clean, and copies of it with FlipBytes(rate, how)
// for seeds 1 to seeds, each with a fresh driver from newDriver, and
// returns the ok values the copies gave, the false ones with their frames.
func MeasureFlips(newDriver func() devices.Driver, clean []byte, rate float64, seeds int, how Flip) (FlipResult, error) {
	ref, err := decodeFrames(newDriver(), clean)
	if err != nil {
		return FlipResult{}, err
	}
	type key struct {
		ch channel.ID
		v  uint64
	}
	known := map[key]bool{}
	for _, s := range ref.samples {
		if s.Quality == channel.OK {
			known[key{s.Channel, math.Float64bits(s.Value)}] = true
		}
	}
	res := FlipResult{Frames: ref.frames}
	for seed := range uint64(seeds) {
		noisy := FlipBytes(clean, rate, seed+1, how)
		rec, err := decodeFrames(newDriver(), noisy)
		if err != nil {
			return res, err
		}
		for i, s := range rec.samples {
			if s.Quality != channel.OK {
				continue
			}
			res.OK++
			if known[key{s.Channel, math.Float64bits(s.Value)}] {
				continue
			}
			f := rec.at[i]
			res.False = append(res.False, FalseValue{Sample: s, Clean: clean[f.off:f.end], Noisy: noisy[f.off:f.end]})
		}
	}
	return res, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

type span struct{ off, end int64 }

// frameRecorder keeps each sample with the frame reported before it.
type frameRecorder struct {
	samples []monitor.Sample
	at      []span
	cur     span
	frames  int
}

func (r *frameRecorder) Put(s monitor.Sample) bool {
	r.samples = append(r.samples, s)
	r.at = append(r.at, r.cur)
	return true
}

func (r *frameRecorder) FrameOK(off int64, size int) {
	r.cur = span{off, off + int64(size)}
	r.frames++
}

func (r *frameRecorder) FrameBad(*devices.FrameError) {}

func decodeFrames(d devices.Driver, data []byte) (*frameRecorder, error) {
	rec := &frameRecorder{}
	err := d.Decode(context.Background(), NewReadWriter(bytes.NewReader(data)), devices.Env{Source: 1, Sink: rec, Events: rec, Clock: NewStepClock()})
	if err == io.EOF {
		err = nil
	}
	for i, s := range rec.at { // a frame reported past the data (a driver's bug) shows as empty
		rec.at[i] = span{min(s.off, int64(len(data))), min(max(s.end, s.off), int64(len(data)))}
	}
	return rec, err
}

// FrameCheck is how strongly a protocol's frames are checked.
type FrameCheck int

const (
	// NoCheck: the frames carry no checksum.
	NoCheck FrameCheck = iota
	// WeakCheck: an 8-bit check (a sum, an XOR, a CRC-8), which sees every
	// changed byte alone but misses some pairs of flipped bits (XOR: any
	// two in the same bit position), and about 1 in 256 frames with more
	// bytes changed: a long frame under heavy noise gets through it.
	WeakCheck
	// StrongCheck: a CRC-16, which sees every two flipped bits.
	StrongCheck
)

// FlipOptions describe a protocol for CheckFlips.
type FlipOptions struct {
	// Seeds is the number of noisy copies; default 10.
	Seeds int
	// Invisible is the change of a byte the protocol's syntax cannot see;
	// default Digits.
	Invisible func(clean, noisy byte) bool
	Check     FrameCheck
}

// CheckFlips runs MeasureFlips at 1 % with both kinds of flip, logs the
// rates, and fails the test for every false value whose frame had a change
// the syntax can see (a parser that keeps to its protocol's documented
// syntax rejects that frame). With a check, any false value fails the test,
// except under BitFlip with a WeakCheck, which cannot see every pair of
// flips.
func CheckFlips(t testing.TB, newDriver func() devices.Driver, clean []byte, o FlipOptions) map[Flip]FlipResult {
	t.Helper()
	if o.Seeds == 0 {
		o.Seeds = 10
	}
	if o.Invisible == nil {
		o.Invisible = Digits
	}
	out := map[Flip]FlipResult{}
	for _, how := range []Flip{BitFlip, ByteFlip} {
		res, err := MeasureFlips(newDriver, clean, 0.01, o.Seeds, how)
		if err != nil {
			t.Fatal(err)
		}
		out[how] = res
		beyond := res.Beyond(o.Invisible)
		t.Logf("1 %% %s flips, %d × %d frames: %d ok values, %d false (%.3g %%), %d of them with a change the syntax can see",
			how, o.Seeds, res.Frames, res.OK, len(res.False), 100*res.Rate(), len(beyond))
		bad := beyond
		switch {
		case o.Check == WeakCheck && how == BitFlip:
			bad = nil
		case o.Check != NoCheck:
			bad = res.False
		}
		for i, f := range bad {
			if i == 5 {
				t.Errorf("… %d more", len(bad)-i)
				break
			}
			t.Errorf("%s flips: %s = %v ok from %q (clean %q)", how, channel.Get(f.Sample.Channel).Name, f.Sample.Value, f.Noisy, f.Clean)
		}
	}
	return out
}

package soundtest

import (
	"errors"
	"math"
	"time"
)

// Pulse is one pulse found in the audio. Times are from the first sample,
// at the half-amplitude points of the envelope; Rise and Fall are the
// 10 %-90 % times divided by 0.8 (the full length of a linear ramp).
type Pulse struct {
	Start, End time.Duration
	Rise, Fall time.Duration
	Peak       float64
}

// Duration is the pulse's duration between half-amplitude points.
func (p Pulse) Duration() time.Duration { return p.End - p.Start }

// Analysis is what the samples say, without knowing how they were made.
type Analysis struct {
	Pulses []Pulse
	// Fundamental is the lowest strong spectral peak of the first pulse,
	// Hz.
	Fundamental float64
	// HarmonicDB[k] is the level of harmonic k+2 relative to the
	// fundamental, dB (NaN beyond the Nyquist frequency).
	HarmonicDB []float64
}

// Gaps returns the silences between consecutive pulses, end to start.
func (a *Analysis) Gaps() []time.Duration {
	var g []time.Duration
	for i := 1; i < len(a.Pulses); i++ {
		g = append(g, a.Pulses[i].Start-a.Pulses[i-1].End)
	}
	return g
}

// Analyze finds the pulses by their envelope and the spectrum of the first
// pulse's plateau.
func Analyze(x []float32, rate int) (*Analysis, error) {
	if len(x) == 0 || rate <= 0 {
		return nil, errors.New("soundtest: no audio")
	}
	// Pass 1: a coarse envelope (window one period of the lowest allowed
	// fundamental, 150 Hz) to find a pulse for the spectrum.
	coarse := findPulses(x, rate, envelope(x, rate/150+1))
	if len(coarse) == 0 {
		return nil, errors.New("soundtest: no pulse")
	}
	a := &Analysis{}
	p := coarse[0]
	// Plateau: skip the ramps generously, keep at least 20 ms.
	i0 := int((p.Start + p.Rise).Seconds() * float64(rate))
	i1 := int((p.End - p.Fall).Seconds() * float64(rate))
	if i1-i0 < rate/50 {
		return nil, errors.New("soundtest: first pulse too short for a spectrum")
	}
	a.Fundamental, a.HarmonicDB = spectrum(x[i0:i1], rate)
	// Pass 2: the envelope over one period of the measured fundamental.
	w := 3
	if a.Fundamental > 0 {
		w = int(float64(rate)/a.Fundamental) + 1
	}
	a.Pulses = findPulses(x, rate, envelope(x, w))
	return a, nil
}

// envelope is the running maximum of |x| over a centred window of w
// samples (monotonic deque: O(n)).
func envelope(x []float32, w int) []float64 {
	env := make([]float64, len(x))
	half := w / 2
	var dq []int
	next := 0
	for i := range x {
		for ; next < len(x) && next <= i+half; next++ {
			v := math.Abs(float64(x[next]))
			for len(dq) > 0 && math.Abs(float64(x[dq[len(dq)-1]])) <= v {
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, next)
		}
		for dq[0] < i-half {
			dq = dq[1:]
		}
		env[i] = math.Abs(float64(x[dq[0]]))
	}
	return env
}

func findPulses(x []float32, rate int, env []float64) []Pulse {
	peak := 0.0
	for _, v := range env {
		peak = max(peak, v)
	}
	if peak == 0 {
		return nil
	}
	at := func(i float64) time.Duration { return time.Duration(i / float64(rate) * float64(time.Second)) }
	// crossing interpolates where env crosses level between i-1 and i.
	crossing := func(i int, level float64) float64 {
		a, b := env[i-1], env[i]
		if a == b {
			return float64(i)
		}
		return float64(i-1) + (level-a)/(b-a)
	}
	half, lo, hi := peak/2, peak/10, peak*0.9
	var out []Pulse
	for i := 1; i < len(env); i++ {
		if !(env[i-1] < half && env[i] >= half) {
			continue
		}
		start := crossing(i, half)
		// Rise: back to 10 %, forward to 90 %.
		j := i
		for j > 1 && env[j-1] >= lo {
			j--
		}
		t10 := crossing(j, lo)
		k := i
		for k < len(env)-1 && env[k] < hi {
			k++
		}
		t90 := crossing(k, hi)
		// End: the next fall through half.
		e := i
		pk := 0.0
		for e < len(env) && env[e] >= half {
			pk = max(pk, env[e])
			e++
		}
		if e == len(env) {
			break
		}
		end := crossing(e, half)
		f := e
		for f > 1 && env[f-1] < hi {
			f--
		}
		f90 := crossing(f, hi)
		g := e
		for g < len(env)-1 && env[g] >= lo {
			g++
		}
		f10 := crossing(g, lo)
		out = append(out, Pulse{
			Start: at(start), End: at(end),
			Rise: at((t90 - t10) / 0.8), Fall: at((f10 - f90) / 0.8),
			Peak: pk,
		})
		i = e
	}
	return out
}

// spectrum returns the fundamental (the lowest local peak within 20 dB of
// the strongest, 50-5000 Hz, 1 Hz steps, Hann window, Goertzel) and the
// levels of harmonics 2..8 relative to it.
func spectrum(x []float32, rate int) (float64, []float64) {
	n := len(x)
	win := make([]float64, n)
	for i := range win {
		win[i] = float64(x[i]) * (0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1)))
	}
	mag := func(f float64) float64 {
		w := 2 * math.Pi * f / float64(rate)
		c := 2 * math.Cos(w)
		var s1, s2 float64
		for _, v := range win {
			s1, s2 = v+c*s1-s2, s1
		}
		return math.Sqrt(s1*s1 + s2*s2 - c*s1*s2)
	}
	const fLo, fHi = 50, 5000
	m := make([]float64, fHi-fLo+1)
	best := 0.0
	for i := range m {
		m[i] = mag(float64(fLo + i))
		best = max(best, m[i])
	}
	f0 := 0.0
	for i := 1; i < len(m)-1; i++ {
		if m[i] >= m[i-1] && m[i] >= m[i+1] && m[i] >= best/10 {
			f0 = refine(mag, float64(fLo+i))
			break
		}
	}
	if f0 == 0 {
		return 0, nil
	}
	ref := mag(f0)
	var h []float64
	for k := 2; k <= 8; k++ {
		f := float64(k) * f0
		if f >= float64(rate)/2 {
			h = append(h, math.NaN())
			continue
		}
		h = append(h, 20*math.Log10(mag(refine(mag, f))/ref))
	}
	return f0, h
}

// refine finds the peak near f to 0.05 Hz by golden-section search within
// +-1.5 Hz.
func refine(mag func(float64) float64, f float64) float64 {
	a, b := f-1.5, f+1.5
	const g = 0.6180339887498949
	for b-a > 0.05 {
		c, d := b-g*(b-a), a+g*(b-a)
		if mag(c) > mag(d) {
			b = d
		} else {
			a = c
		}
	}
	return (a + b) / 2
}

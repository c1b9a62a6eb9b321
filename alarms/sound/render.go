package sound

import (
	"math"
	"time"

	"github.com/pumpside/pumpside/alarms"
)

// Render synthesises the burst as mono float32 samples in [-Level, Level]
// at rate samples per second. Each pulse is the sum of the harmonics with
// a linear rise and fall: no clicks, no continuous tone.
func (s Spec) Render(rate int) []float32 {
	n := int(math.Ceil(s.Duration().Seconds() * float64(rate)))
	out := make([]float32, n)
	sum := 0.0
	for _, a := range s.Harmonics {
		sum += math.Abs(a)
	}
	if sum == 0 {
		return out
	}
	gain := s.Level / sum
	rise := s.Rise * s.Pulse.Seconds()
	td := s.Pulse.Seconds()
	dt := 1 / float64(rate)
	for _, on := range s.Onsets() {
		// The envelope reaches half amplitude at on and at on+td.
		start := on.Seconds() - rise/2
		end := on.Seconds() + td + rise/2
		i0 := max(0, int(math.Floor(start*float64(rate))))
		i1 := min(n, int(math.Ceil(end*float64(rate))))
		for i := i0; i < i1; i++ {
			t := float64(i) * dt
			env := envelope(t-start, end-start, rise)
			if env <= 0 {
				continue
			}
			v := 0.0
			for k, a := range s.Harmonics {
				v += a * math.Sin(2*math.Pi*float64(k+1)*s.Fundamental*t)
			}
			out[i] += float32(gain * env * v)
		}
	}
	return out
}

// envelope is a trapezoid of total length total with linear ramps of
// length rise, at time x from its start.
func envelope(x, total, rise float64) float64 {
	switch {
	case x <= 0 || x >= total:
		return 0
	case rise <= 0:
		return 1
	case x < rise:
		return x / rise
	case x > total-rise:
		return (total - x) / rise
	}
	return 1
}

// Bank holds the rendered burst of each priority, made once at start so
// that starting a burst costs nothing. Read-only after NewBank: safe for
// concurrent use.
type Bank struct {
	bursts [alarms.High + 1][]float32
}

// NewBank renders the bursts for LOW, MEDIUM and HIGH at rate.
func NewBank(rate int) *Bank {
	b := &Bank{}
	for p := alarms.Low; p <= alarms.High; p++ {
		b.bursts[p] = ForPriority(p).Render(rate)
	}
	return b
}

// Burst returns p's rendered burst; nil for NoPriority. Do not modify it.
func (b *Bank) Burst(p alarms.Priority) []float32 {
	if p > alarms.High {
		return nil
	}
	return b.bursts[p]
}

// Silence is a short run of zeros, for testing an output.
func Silence(rate int, d time.Duration) []float32 {
	return make([]float32, int(d.Seconds()*float64(rate)))
}

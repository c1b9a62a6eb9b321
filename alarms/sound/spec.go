package sound

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pumpside/pumpside/alarms"
)

// Spec describes one priority's burst.
type Spec struct {
	Priority alarms.Priority
	// Pulses in the burst: HIGH 10, MEDIUM 3, LOW 1 or 2.
	Pulses int
	// Fundamental frequency of each pulse, Hz.
	Fundamental float64
	// Harmonics are the amplitudes of harmonic 1 (the fundamental), 2, 3,
	// ... relative to the fundamental's.
	Harmonics []float64
	// Pulse is the pulse duration td, between half-amplitude points.
	Pulse time.Duration
	// Spacing is ts: from the end of one pulse to the start of the next.
	Spacing time.Duration
	// GroupGap is HIGH's pause between pulse 5 and pulse 6.
	GroupGap time.Duration
	// Rise is the length of the rise and of the fall, as a fraction of td.
	Rise float64
	// Level is the peak amplitude of the rendered burst, 0..1.
	Level float64
}

// SampleRate is the rate bursts are rendered and played at.
const SampleRate = 48000

// ForPriority returns the burst Pumpside uses for p, inside the windows
// Check enforces with margin on each side.
func ForPriority(p alarms.Priority) Spec {
	s := Spec{
		Priority:  p,
		Harmonics: []float64{1, 0.7, 0.5, 0.35, 0.25}, // harmonic 5 at -12 dB: all within 15 dB
		Rise:      0.15,
		Level:     0.8,
	}
	switch p {
	case alarms.High:
		s.Pulses, s.Fundamental = 10, 523.25 // C5
		s.Pulse, s.Spacing, s.GroupGap = 125*time.Millisecond, 90*time.Millisecond, 600*time.Millisecond
	case alarms.Medium:
		s.Pulses, s.Fundamental = 3, 440 // A4
		s.Pulse, s.Spacing = 180*time.Millisecond, 180*time.Millisecond
	default:
		s.Priority = alarms.Low
		s.Pulses, s.Fundamental = 2, 392 // G4
		s.Pulse, s.Spacing = 180*time.Millisecond, 180*time.Millisecond
	}
	return s
}

// Windows is one priority's allowed ranges, from public summaries of IEC
// 60601-1-8 table 4 (the standard itself is paywalled; docs/alarms.md).
type Windows struct {
	Pulses               [2]int
	Pulse, Spacing       [2]time.Duration
	GroupGap             [2]time.Duration // HIGH only
	Fundamental          [2]float64       // Hz
	HarmonicBand         [2]float64       // Hz: where the harmonics must lie
	MinHarmonics         int              // harmonics (besides the fundamental) in HarmonicBand...
	HarmonicWithinDB     float64          // ...within this many dB of the fundamental
	Rise                 [2]float64       // fraction of td
	RepeatMin, RepeatMax time.Duration    // burst repetition; RepeatMax 0: no upper bound
}

// WindowsFor returns the windows a burst of priority p must meet.
func WindowsFor(p alarms.Priority) Windows {
	w := Windows{
		Fundamental:      [2]float64{150, 1000},
		HarmonicBand:     [2]float64{300, 4000},
		MinHarmonics:     4,
		HarmonicWithinDB: 15,
		Rise:             [2]float64{0.10, 0.20},
	}
	switch p {
	case alarms.High:
		w.Pulses = [2]int{10, 10}
		w.Pulse = [2]time.Duration{75 * time.Millisecond, 200 * time.Millisecond}
		w.Spacing = [2]time.Duration{50 * time.Millisecond, 125 * time.Millisecond}
		w.GroupGap = [2]time.Duration{350 * time.Millisecond, 1300 * time.Millisecond}
		w.RepeatMin, w.RepeatMax = 2500*time.Millisecond, 15*time.Second
	case alarms.Medium:
		w.Pulses = [2]int{3, 3}
		w.Pulse = [2]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}
		w.Spacing = [2]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}
		w.RepeatMin, w.RepeatMax = 2500*time.Millisecond, 30*time.Second
	default:
		w.Pulses = [2]int{1, 2}
		w.Pulse = [2]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}
		w.Spacing = [2]time.Duration{125 * time.Millisecond, 250 * time.Millisecond}
		w.RepeatMin = 15 * time.Second
	}
	return w
}

// Check reports every way s falls outside its priority's windows.
func (s Spec) Check() error {
	w := WindowsFor(s.Priority)
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Pulses < w.Pulses[0] || s.Pulses > w.Pulses[1] {
		bad("%d pulses, want %d..%d", s.Pulses, w.Pulses[0], w.Pulses[1])
	}
	if s.Pulse < w.Pulse[0] || s.Pulse > w.Pulse[1] {
		bad("pulse %v outside %v..%v", s.Pulse, w.Pulse[0], w.Pulse[1])
	}
	if s.Pulses > 1 && (s.Spacing < w.Spacing[0] || s.Spacing > w.Spacing[1]) {
		bad("spacing %v outside %v..%v", s.Spacing, w.Spacing[0], w.Spacing[1])
	}
	if s.Priority == alarms.High && (s.GroupGap < w.GroupGap[0] || s.GroupGap > w.GroupGap[1]) {
		bad("gap between pulses 5 and 6 %v outside %v..%v", s.GroupGap, w.GroupGap[0], w.GroupGap[1])
	}
	if s.Fundamental < w.Fundamental[0] || s.Fundamental > w.Fundamental[1] {
		bad("fundamental %g Hz outside %g..%g", s.Fundamental, w.Fundamental[0], w.Fundamental[1])
	}
	if len(s.Harmonics) == 0 || s.Harmonics[0] <= 0 {
		bad("no fundamental amplitude")
	} else {
		n := 0
		for k := 2; k <= len(s.Harmonics); k++ {
			f := float64(k) * s.Fundamental
			db := 20 * math.Log10(s.Harmonics[k-1]/s.Harmonics[0])
			if f >= w.HarmonicBand[0] && f <= w.HarmonicBand[1] && db >= -w.HarmonicWithinDB && db <= w.HarmonicWithinDB {
				n++
			}
		}
		if n < w.MinHarmonics {
			bad("%d harmonics within %g dB in %g..%g Hz, want %d", n, w.HarmonicWithinDB, w.HarmonicBand[0], w.HarmonicBand[1], w.MinHarmonics)
		}
	}
	if s.Rise < w.Rise[0] || s.Rise > w.Rise[1] {
		bad("rise %g of the pulse outside %g..%g", s.Rise, w.Rise[0], w.Rise[1])
	}
	if s.Level <= 0 || s.Level > 1 {
		bad("level %g outside (0, 1]", s.Level)
	}
	if len(errs) > 0 {
		return fmt.Errorf("sound: %s burst: %w", s.Priority, errors.Join(errs...))
	}
	return nil
}

// gapAfter returns the silence after pulse i (0-based) between
// half-amplitude points. HIGH's pattern, as the standard draws it, is
// x-x-x--x-x, pause, x-x-x--x-x: the gap after the third pulse of each group
// is 2 ts + td.
func (s Spec) gapAfter(i int) time.Duration {
	if s.Priority == alarms.High {
		switch i % 5 {
		case 2:
			return 2*s.Spacing + s.Pulse
		case 4:
			return s.GroupGap
		}
	}
	return s.Spacing
}

// Onsets returns the half-amplitude start of every pulse, from the start of
// the rendered burst.
func (s Spec) Onsets() []time.Duration {
	rise := time.Duration(s.Rise * float64(s.Pulse))
	out := make([]time.Duration, s.Pulses)
	t := rise / 2
	for i := range out {
		out[i] = t
		t += s.Pulse + s.gapAfter(i)
	}
	return out
}

// Duration returns the length of the rendered burst.
func (s Spec) Duration() time.Duration {
	on := s.Onsets()
	if len(on) == 0 {
		return 0
	}
	rise := time.Duration(s.Rise * float64(s.Pulse))
	return on[len(on)-1] + s.Pulse + rise/2
}

package physio

import (
	"math"
	"testing"
)

// The 2015 guideline's band, worked: cooling at −11 °C is outside, −9 is
// not; rewarming at +5 is inside below 30 °C and outside at 30 °C or more;
// +11 is outside at any temperature.
func TestAVGradientOutside(t *testing.T) {
	b := GuidelineAVGradientBand
	for _, c := range []struct {
		g, outlet float64
		out       bool
	}{
		{-11, 25, true}, {-9, 25, false}, {-9, 33, false}, {-11, 33, true},
		{5, 28, false}, {5, 30, true}, {3.9, 36, false}, {11, 20, true}, {math.NaN(), 36, false}, {5, math.NaN(), false},
	} {
		if got := AVGradientOutside(c.g, c.outlet, b); got != c.out {
			t.Errorf("gradient %v at outlet %v: outside %v, want %v", c.g, c.outlet, got, c.out)
		}
	}
}

package physio

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestQ10Factor: the DO2i threshold scaled with the patient's temperature,
// worked from limit × Q10^((T − 37)/10) (docs/physiology.md).
func TestQ10Factor(t *testing.T) {
	for _, tc := range []struct {
		q10, temp, limit, want float64
	}{
		{2, 28, 280, 150.048},   // 280 × 2^(−0.9) = 280 × 0.535887
		{2, 36, 280, 261.249},   // 280 × 2^(−0.1) = 280 × 0.933033
		{2, 32, 280, 197.990},   // 280 × 2^(−0.5) = 280 / √2
		{2, 18, 280, 75.024},    // deep hypothermia: 280 × 2^(−1.9)
		{2.5, 28, 280, 122.747}, // the simulator's Q10: 280 × 2.5^(−0.9)
		{2, 37, 280, 280},       // normothermia: unscaled
		{2, 38.5, 280, 280},     // never raised above the threshold
		{0, 28, 280, 280},       // q10 = 0: off
		{1, 28, 280, 280},       // q10 = 1: no scaling
		{2, math.NaN(), 280, 280},
	} {
		got := Q10Limit(tc.limit, tc.q10, tc.temp)
		assert.InDelta(t, tc.want, got, 0.05, "q10 %v at %v °C", tc.q10, tc.temp)
		assert.InDelta(t, tc.want/tc.limit, Q10Factor(tc.q10, tc.temp), 0.0002)
	}
}

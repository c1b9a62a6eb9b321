package physio

import (
	"math"
	"testing"
)

// FuzzParsePlegiaRatio: any text gives a ratio of two non-negative finite
// parts, not both zero, or an error; never a panic.
func FuzzParsePlegiaRatio(f *testing.F) {
	for _, s := range []string{"4:1", "1:4", "0:1", " 8 : 1 ", "4/1", "0:0", "-1:4", "4", ":", "1e308:1e308", "NaN:1", "Inf:1", "４:１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, c, err := ParsePlegiaRatio(s)
		if err != nil {
			return
		}
		if !(b >= 0 && c >= 0) || b+c == 0 || math.IsInf(b, 0) || math.IsInf(c, 0) {
			t.Fatalf("%q: %v:%v accepted", s, b, c)
		}
		if v := CrystalloidShare(1000, b, c); !(v >= 0 && v <= 1000) {
			t.Fatalf("%q: share %v of 1000 mL", s, v)
		}
	})
}

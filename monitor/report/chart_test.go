package report

import (
	"math"
	"testing"
)

// segments breaks a trace where a value is unusable or went stale, and its
// decimation keeps each bucket's lowest and highest value.
func TestChartSegments(t *testing.T) {
	s := step{hold: 5e9, pts: []Point{
		{T: 0, V: 1}, {T: 1e9, V: 2}, {T: 2e9, V: math.NaN()}, {T: 3e9, V: 3},
		{T: 4e9, V: 4}, {T: 20e9, V: 5}, // 4 → 20 s: stale after 5 s
	}}
	segs := segments(s, 0, 20e9)
	if len(segs) != 3 || len(segs[0]) != 2 || len(segs[1]) != 2 || len(segs[2]) != 1 {
		t.Fatalf("segments %v", segs)
	}
	var pts []Point
	for i := range 100000 {
		v := 50.0
		if i == 77777 {
			v = 1 // a nadir in the middle of a long case
		}
		pts = append(pts, Point{T: int64(i) * 1e9, V: v})
	}
	segs = segments(step{hold: 5e9, pts: pts}, 0, pts[len(pts)-1].T)
	n, low := 0, math.Inf(1)
	for _, sg := range segs {
		n += len(sg)
		for _, p := range sg {
			low = min(low, p.Y)
		}
	}
	if n > 2*maxChartPoints+10 || low != 1 {
		t.Errorf("decimated to %d points, lowest %v: want ≤ %d points keeping the nadir 1", n, low, 2*maxChartPoints+10)
	}
}

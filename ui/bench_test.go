package ui

import (
	"image"
	"testing"
	"time"

	"gioui.org/layout"
	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
)

// changingSnapshots returns n copies of the synthetic snapshot a second
// apart with every value changed, so that each frame shows new text.
func changingSnapshots(n int) []*monitor.Snapshot {
	base, _ := syntheticSnapshot()
	snaps := make([]*monitor.Snapshot, n)
	for i := range snaps {
		s := *base
		d := int64(i) * int64(time.Second)
		s.Time += d
		s.Readings = append([]monitor.Reading(nil), base.Readings...)
		for id := range s.Readings {
			if s.Readings[id].Time != 0 {
				s.Readings[id].Time += d
				s.Readings[id].Value *= 1 + float64(i%10)/50
			}
		}
		snaps[i] = &s
	}
	return snaps
}

// BenchmarkLayout measures laying out a whole frame (no GPU), reusing the
// operation list as the window loop does: with the same snapshot every
// frame, and with every value, age and the case time changing.
func BenchmarkLayout(b *testing.B) {
	steady, now := syntheticSnapshot()
	changing := changingSnapshots(64)
	for _, sz := range []image.Point{{1280, 800}, {1920, 1080}, {3840, 2160}} {
		for _, mode := range []string{"steady", "changing"} {
			b.Run(mode+"/"+sizeName(sz), func(b *testing.B) {
				c := NewConsole(Options{CaseStart: caseStart})
				var ops op.Ops
				gtx := layout.Context{Ops: &ops, Constraints: layout.Exact(sz)}
				frame := func(i int) {
					ops.Reset()
					if mode == "steady" {
						c.Layout(gtx, steady, now)
						return
					}
					s := changing[i%len(changing)]
					c.Layout(gtx, s, time.Unix(0, s.Time))
				}
				for i := range 2 * len(changing) { // shape every glyph and text once
					frame(i)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					frame(i)
					i++
				}
			})
		}
	}
}

// BenchmarkRender measures a whole frame on the GPU (software GL here) with
// read-back, reusing one headless window.
func BenchmarkRender(b *testing.B) {
	snap, now := syntheticSnapshot()
	for _, sz := range []image.Point{{1280, 800}, {1920, 1080}, {3840, 2160}} {
		b.Run(sizeName(sz), func(b *testing.B) {
			r, err := NewRenderer(sz)
			if err != nil {
				b.Skipf("headless rendering unavailable: %v", err)
			}
			defer r.Close()
			c := NewConsole(Options{CaseStart: caseStart})
			if _, err := r.Render(c, snap, now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(c, snap, now); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
		})
	}
}

func sizeName(sz image.Point) string { return itoa(sz.X) + "x" + itoa(sz.Y) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

package ui

import (
	"image"
	"os"
	"runtime"
	"slices"
	"syscall"
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

// BenchmarkFrame is a whole frame of the monitor screen at 1920×1080 with
// every tile, the six short trends (30 min of history each), the timers and
// a banner with flashing alarms: layout, then the headless GPU render with
// read-back (a window does not read back: that makes the figure an upper
// bound). Values, ages and the flash phase change every frame. It reports
// the 50th and 99th percentile frame times and allocations per frame, and,
// as a baseline in the same run, the same renderer drawing an empty frame.
func BenchmarkFrame(b *testing.B) {
	sz := image.Pt(1920, 1080)
	snaps := changingSnapshots(64)
	_, now0 := syntheticSnapshot()
	st := goldenState(now0)
	for _, mode := range []string{"monitor", "baseline-empty"} {
		b.Run(mode, func(b *testing.B) {
			r, err := NewRenderer(sz)
			if err != nil {
				if os.Getenv("CI") == "true" {
					b.Fatalf("headless rendering failed on CI: %v", err)
				}
				b.Skipf("headless rendering unavailable: %v", err)
			}
			defer r.Close()
			c := NewConsole(Options{CaseStart: caseStart})
			c.SetState(func() *State { return st })
			frame := func(i int) {
				if mode == "baseline-empty" {
					r.ops.Reset()
					if err := r.win.Frame(&r.ops); err != nil {
						b.Fatal(err)
					}
					if err := r.win.Screenshot(r.img); err != nil {
						b.Fatal(err)
					}
					return
				}
				s := snaps[i%len(snaps)]
				// Frame times 40 ms apart: the flash phase moves too.
				if _, err := r.Render(c, s, time.Unix(0, s.Time).Add(time.Duration(i%25)*40*time.Millisecond)); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 2 * len(snaps) {
				frame(i)
			}
			durs := make([]time.Duration, 0, 1<<14)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				t0 := time.Now()
				frame(i)
				if len(durs) < cap(durs) {
					durs = append(durs, time.Since(t0))
				}
				i++
			}
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&m1)
			reportPercentiles(b, durs)
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(i), "allocs/frame")
			// CPU time of the whole process (Mesa's threads included) per
			// frame: unlike wall time, it hardly depends on what else the
			// machine runs.
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(i), "cpu-ms/frame")
		})
	}
}

// BenchmarkFrameLayout is BenchmarkFrame's layout alone (no GPU): what the
// window goroutine spends per frame before the driver takes over.
func BenchmarkFrameLayout(b *testing.B) {
	sz := image.Pt(1920, 1080)
	snaps := changingSnapshots(64)
	_, now0 := syntheticSnapshot()
	st := goldenState(now0)
	c := NewConsole(Options{CaseStart: caseStart})
	c.SetState(func() *State { return st })
	var ops op.Ops
	frame := func(i int) {
		ops.Reset()
		s := snaps[i%len(snaps)]
		at := time.Unix(0, s.Time).Add(time.Duration(i%25) * 40 * time.Millisecond)
		gtx := layout.Context{Ops: &ops, Now: at, Constraints: layout.Exact(sz)}
		c.Layout(gtx, s, at)
	}
	for i := range 2 * len(snaps) {
		frame(i)
	}
	durs := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		t0 := time.Now()
		frame(i)
		if len(durs) < cap(durs) {
			durs = append(durs, time.Since(t0))
		}
		i++
	}
	reportPercentiles(b, durs)
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	pct := func(p float64) float64 {
		return float64(durs[min(len(durs)-1, int(p*float64(len(durs))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "ms/frame-p50")
	b.ReportMetric(pct(0.99), "ms/frame-p99")
}

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

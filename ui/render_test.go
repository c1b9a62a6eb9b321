package ui

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/view"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// Golden comparison: a pixel differs when any channel differs by more than
// pixelTolerance; the images match when at most maxDiffFraction of the
// pixels differ. GL output is byte-identical run to run here; the tolerance
// absorbs other drivers (Vulkan, another Mesa) anti-aliasing edges
// differently.
const (
	pixelTolerance  = 24
	maxDiffFraction = 0.002
)

// renderOrSkip renders, skipping the test when headless rendering cannot
// start, except on CI (CI=true), where that is a failure.
func renderOrSkip(t testing.TB, c *Console, snap *monitor.Snapshot, now time.Time, size image.Point) *image.RGBA {
	t.Helper()
	img, err := Render(c, snap, now, size)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("headless rendering failed on CI: %v", err)
		}
		t.Skipf("headless rendering unavailable (needs Mesa EGL and GLES: .ci/install-deps run): %v", err)
	}
	return img
}

func TestGolden(t *testing.T) {
	snap, now := syntheticSnapshot()
	st := goldenState(now)
	replay := *st
	replay.Replay = &ReplayView{Start: caseStart.UnixNano(), End: caseStart.Add(2 * time.Hour).UnixNano(), Position: now.UnixNano(),
		Playing: true, Speed: 8, Bookmarks: []int64{caseStart.Add(20 * time.Minute).UnixNano()}}
	disk := *st // a long run's record on a nearly full disk (docs/ecmo.md)
	disk.Disk = &view.DiskView{RunBytes: 3 * 287 << 20, Segments: 3, Free: 900 << 20, Low: true}
	cases := []struct {
		name   string
		snap   *monitor.Snapshot
		st     *State
		screen Screen
		light  bool
		now    time.Time
		size   image.Point
	}{
		{"monitor-1920x1080", snap, st, view.ScreenMonitor, false, now, image.Pt(1920, 1080)},
		{"monitor-1280x800", snap, st, view.ScreenMonitor, false, now, image.Pt(1280, 800)},
		{"monitor-light-1920x1080", snap, st, view.ScreenMonitor, true, now, image.Pt(1920, 1080)},
		{"quiet-1920x1080", snap, nil, view.ScreenMonitor, false, now, image.Pt(1920, 1080)},
		{"waiting-1280x800", nil, nil, view.ScreenMonitor, false, now, image.Pt(1280, 800)},
		{"stopped-1920x1080", snap, nil, view.ScreenMonitor, false, now.Add(9 * time.Second), image.Pt(1920, 1080)},
		{"trends-1920x1080", snap, st, view.ScreenTrends, false, now, image.Pt(1920, 1080)},
		{"alarms-1920x1080", snap, st, view.ScreenAlarms, false, now, image.Pt(1920, 1080)},
		{"devices-1920x1080", snap, st, view.ScreenDevices, false, now, image.Pt(1920, 1080)},
		{"devices-disk-1920x1080", snap, &disk, view.ScreenDevices, false, now, image.Pt(1920, 1080)},
		{"events-1920x1080", snap, st, view.ScreenEvents, false, now, image.Pt(1920, 1080)},
		{"setup-1920x1080", snap, st, view.ScreenSetup, false, now, image.Pt(1920, 1080)},
		{"replay-1920x1080", snap, &replay, view.ScreenMonitor, false, now, image.Pt(1920, 1080)},
		{"trends-light-1280x800", snap, st, view.ScreenTrends, true, now, image.Pt(1280, 800)},
		// The set-up screen's case record and blood gas pages: a site with
		// a preset, gases in kPa and Hb in g/L (goldenSite).
		{"setup-record-1920x1080", snap, st, view.ScreenSetup, false, now, image.Pt(1920, 1080)},
		{"setup-gas-1280x800", snap, st, view.ScreenSetup, false, now, image.Pt(1280, 800)},
		// The oxygenator's tile group (ECMO, long runs).
		{"monitor-oxygenator-1920x1080", snap, st, view.ScreenMonitor, false, now, image.Pt(1920, 1080)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{CaseStart: caseStart, Zone: time.UTC, Oxygenator: strings.Contains(tc.name, "oxygenator")}
			if tc.light {
				opts.Theme = theme.NewLight()
			}
			tab := view.TabPatient
			switch {
			case strings.HasPrefix(tc.name, "setup-record"):
				tab = view.TabRecord
			case strings.HasPrefix(tc.name, "setup-gas"):
				tab = view.TabBloodGas
			}
			if tab != view.TabPatient {
				site := goldenSite(t)
				opts.Units, opts.Preset = site.Units, site.Preset
			}
			c := NewConsole(opts)
			c.SetState(func() *State { return tc.st })
			c.SetScreen(tc.screen)
			c.Screens().Setup.SetTab(tab)
			img := renderOrSkip(t, c, tc.snap, tc.now, tc.size)
			path := filepath.Join("testdata", tc.name+".png")
			bad := filepath.Join("testdata", tc.name+"-bad.png")
			if *update {
				if err := WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
				_ = os.Remove(bad)
				return
			}
			want, err := readPNG(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if err := compare(img, want); err != nil {
				if werr := WritePNG(bad, img); werr != nil {
					t.Errorf("writing %s: %v", bad, werr)
				}
				t.Fatalf("%s: %v; got %s", path, err, bad)
			}
			_ = os.Remove(bad)
		})
	}
}

// compare returns nil when got matches want within the tolerances.
func compare(got, want image.Image) error {
	if got.Bounds() != want.Bounds() {
		return fmt.Errorf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	b := got.Bounds()
	diff, worst := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := got.At(x, y).RGBA()
			r2, g2, b2, a2 := want.At(x, y).RGBA()
			d := max(absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2), absDiff(a1, a2)) >> 8
			worst = max(worst, d)
			if d > pixelTolerance {
				diff++
			}
		}
	}
	if frac := float64(diff) / float64(b.Dx()*b.Dy()); frac > maxDiffFraction {
		return fmt.Errorf("%d pixels (%.3f%%) differ by more than %d (worst %d); at most %.3f%% may",
			diff, 100*frac, pixelTolerance, worst, 100*maxDiffFraction)
	}
	return nil
}

func absDiff(a, b uint32) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]image.Point{"1920x1080": {1920, 1080}, "1280x800": {1280, 800}, "8192x8192": {8192, 8192}} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1920", "1920x", "x1080", "0x10", "-1x10", "1920X1080", "10000x10", "1920x1080x3"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestRenderBadSize(t *testing.T) {
	c := NewConsole(Options{})
	for _, sz := range []image.Point{{0, 100}, {100, -1}, {MaxRenderSize + 1, 100}} {
		if _, err := Render(c, nil, time.Time{}, sz); err == nil {
			t.Errorf("Render at %v: no error", sz)
		}
	}
}

// goldenSite is the site of the set-up pages' golden images: the example
// site file of docs/site.md.
func goldenSite(t *testing.T) *site.Config {
	t.Helper()
	c, err := site.Load(filepath.Join("..", "monitor", "site", "testdata", "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui"
	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/view"
)

var screens = map[string]ui.Screen{
	"monitor": view.ScreenMonitor, "trends": view.ScreenTrends, "alarms": view.ScreenAlarms,
	"devices": view.ScreenDevices, "events": view.ScreenEvents, "setup": view.ScreenSetup,
}

func init() {
	register(command{name: "screenshot", summary: "render the console at a time of the built-in case to a PNG, without a window", run: runScreenshot})
}

func runScreenshot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("screenshot", "--out FILE.png [--at 45m] [--size 1920x1080]",
		"Renders the console as it looks at a given time of the built-in simulated case into a PNG,\n"+
			"with no window and no display (Gio's headless renderer; Mesa's software GL is enough).", stdout, stderr)
	out := fs.String("out", "", "the PNG file to write (required)")
	at := fs.Duration("at", 45*time.Minute, "time into the built-in case, e.g. 45m or 1h30m")
	size := fs.String("size", "1920x1080", "image size WIDTHxHEIGHT in pixels")
	seed := fs.Uint64("seed", 1, "simulator seed")
	screen := fs.String("screen", "monitor", "screen: monitor, trends, alarms, devices, events or setup")
	light := fs.Bool("light", false, "the light theme (default: the dark theme for theatres)")
	fault := fs.String("fault", "", "inject a fault of the simulator (pumpside sim --list) at --fault-at")
	faultAt := fs.Duration("fault-at", 0, "when the fault starts, e.g. 40m (before --at)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	scr, ok := screens[*screen]
	if !ok {
		fmt.Fprintf(stderr, "pumpside screenshot: unknown --screen %q (monitor, trends, alarms, devices, events, setup)\n", *screen)
		return 2
	}
	if *fault != "" && (*faultAt <= 0 || *faultAt > *at) {
		fmt.Fprintf(stderr, "pumpside screenshot: --fault-at %v must be after the start and before --at %v\n", *faultAt, *at)
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "pumpside screenshot: --out FILE.png is required")
		return 2
	}
	if *at < 0 || *at > 24*time.Hour {
		fmt.Fprintf(stderr, "pumpside screenshot: --at %v is outside 0s–24h\n", *at)
		return 2
	}
	sz, err := ui.ParseSize(*size)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: --size: %v\n", err)
		return 2
	}
	// The whole console, headless: the pipeline, the alarm engine (no
	// sound) and the case's events, stepped a second at a time on a manual
	// clock, so the picture is the same on every run.
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-screenshot", profile: alarms.DefaultProfile(), stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: %v\n", err)
		return 1
	}
	c := sim.New(builtinCaseStart, *seed)
	if *fault != "" {
		if _, ok := sim.ParseFault(*fault); !ok {
			fmt.Fprintf(stderr, "pumpside screenshot: unknown --fault %q (pumpside sim --list)\n", *fault)
			return 2
		}
	}
	feed, err := newSessionSimFeed(s, c)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: %v\n", err)
		return 1
	}
	feed.afterStep = func(t time.Time) {
		if *fault != "" && t.Sub(builtinCaseStart) == *faultAt {
			if err := c.Trigger(*fault); err != nil {
				fmt.Fprintf(stderr, "pumpside screenshot: %v\n", err)
			}
		}
		clk.Set(t)
		s.runner.Step()
	}
	snap := feed.stepTo(*at)
	st := s.viewState(s.runner.Status(), snap)
	console := ui.NewConsole(ui.Options{CaseStart: builtinCaseStart, State: func() *ui.State { return st }})
	if *light {
		console = ui.NewConsole(ui.Options{CaseStart: builtinCaseStart, State: func() *ui.State { return st }, Theme: theme.NewLight()})
	}
	console.SetScreen(scr)
	img, err := ui.Render(console, snap, builtinCaseStart.Add(*at), sz)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: headless rendering failed: %v\n", err)
		return 1
	}
	if err := ui.WritePNG(*out, img); err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%dx%d, %v into the built-in case)\n", *out, sz.X, sz.Y, *at)
	return 0
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"gioui.org/app"
	"gioui.org/io/system"
	"gioui.org/unit"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui"
)

func init() {
	register(command{name: "run", summary: "open the console window (on the built-in simulated case)", run: runRun})
}

// noDisplayHelp is printed when there is no display to open a window on.
const noDisplayHelp = `pumpside run: no display: neither DISPLAY (X11) nor WAYLAND_DISPLAY (Wayland) is set.
The console needs a graphical session. Headless alternatives:
  xvfb-run make run                          the console on a virtual X display
  pumpside screenshot --out console.png      the console rendered to a PNG, no display needed
  pumpside calc --help                       the perfusion calculator on the command line
`

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[--speed N] [--from 14m] [--seed N]",
		"Opens the console window on the built-in simulated case: an adult on bypass with a pump, a\n"+
			"patient monitor, an in-line blood monitor and cerebral oximetry, in real time. No device,\n"+
			"server or configuration is needed.", stdout, stderr)
	speed := fs.Float64("speed", 1, "case speed: 1 is real time, 10 is ten times faster (0.1–100)")
	from := fs.Duration("from", 0, "start this far into the built-in case, e.g. 14m (just before bypass)")
	seed := fs.Uint64("seed", 1, "simulator seed")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *speed < 0.1 || *speed > 100 {
		fmt.Fprintf(stderr, "pumpside run: --speed %g is outside 0.1–100\n", *speed)
		return 2
	}
	if *from < 0 || *from > 24*time.Hour {
		fmt.Fprintf(stderr, "pumpside run: --from %v is outside 0s–24h\n", *from)
		return 2
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprint(stderr, noDisplayHelp)
		return 1
	}

	// The case clock reads now at start-up and runs at --speed; the built-in
	// case began --from earlier.
	clk, err := clock.NewScaled(clock.Wall{}, time.Now(), *speed)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside run: %v\n", err)
		return 2
	}
	start := clk.Now().Add(-*from)

	w := new(app.Window)
	w.Option(app.Title("Pumpside"), app.Size(unit.Dp(1280), unit.Dp(800)))
	invalidate := ui.Throttle(w, ui.DefaultRedrawInterval)
	feed, err := newSimFeed(start, *seed, clk, func(*monitor.Snapshot) { invalidate() })
	if err != nil {
		fmt.Fprintf(stderr, "pumpside run: %v\n", err)
		return 1
	}

	// Catch up with the case's first --from minutes headless, a second at a
	// time, so no ring overflows and the statistics see every second.
	feed.stepTo(*from)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = feed.p.Run(ctx) }()
	go func() { defer wg.Done(); feed.run(ctx, clk) }()
	go func() {
		// Close the window on Ctrl-C or SIGTERM.
		<-ctx.Done()
		w.Perform(system.ActionClose)
	}()
	go func() {
		code := 0
		if err := ui.Run(w, ui.NewConsole(ui.Options{CaseStart: start}), feed.p.Latest, clk.Now); err != nil {
			fmt.Fprintf(stderr, "pumpside run: the window failed: %v\n", err)
			fmt.Fprint(stderr, "If there is no usable display, try: xvfb-run make run, or pumpside screenshot --out console.png\n")
			code = 1
		}
		cancel()
		wg.Wait()
		os.Exit(code)
	}()
	fmt.Fprintf(stdout, "pumpside: console open on the built-in simulated case (speed %g×)\n", *speed)
	app.Main() // never returns: the window goroutine exits the process
	return 0
}

// run feeds the simulated devices in real time (on the case clock) until ctx
// is done. The simulator reports at its devices' own rates; waking five times
// a second keeps every sample within 200 ms of its time.
func (f *simFeed) run(ctx context.Context, clk clock.Clock) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		f.advance(clk.Now())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

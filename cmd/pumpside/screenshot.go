package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/ui"
)

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
	if code, ok := fs.parse(args); !ok {
		return code
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
	feed, err := newSimFeed(builtinCaseStart, *seed, clock.NewManual(builtinCaseStart), nil)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside screenshot: %v\n", err)
		return 1
	}
	snap := feed.stepTo(*at)
	console := ui.NewConsole(ui.Options{CaseStart: builtinCaseStart})
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

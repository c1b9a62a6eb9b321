package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "ship",
		summary: "send the cases of a record directory to InfluxDB up to their end (what a console could not)",
		run:     runShip,
	})
}

func runShip(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ship", "[--timeout 5m] [DIR]",
		"Sends every case file of DIR (default: the console's record directory) whose shipping\n"+
			"cursor is behind its end to InfluxDB, from the cursor to the end, one file after\n"+
			"another: the end of a case a console closed while the server was down, or cases\n"+
			"recorded before InfluxDB was configured. Configuration from PUMPSIDE_INFLUX_URL,\n"+
			"_ORG, _BUCKET, _TOKEN or _TOKEN_FILE, _CA_FILE, as pumpside run. A case a running\n"+
			"console is shipping is left to it. Points carry Pumpside's timestamps: a line sent\n"+
			"twice is stored once.\n"+
			"Exit status: 0 when every case is on the server, 1 when some are not (each is named\n"+
			"with why), 2 on bad usage or no configuration.", stdout, stderr)
	timeout := fs.Duration("timeout", 0, "give up after `DURATION` (0: go on until done or interrupted)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "pumpside ship: one DIR at most, got %d\n", fs.NArg())
		return 2
	}
	dir := defaultCaseDir()
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	cfg, ok, err := record.ConfigFromEnv(os.Getenv, os.ReadFile)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "pumpside ship: InfluxDB: %v\n", err)
		return 2
	case !ok:
		fmt.Fprintf(stderr, "pumpside ship: %s is not set: nowhere to ship to\n", record.EnvURL)
		return 2
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	left := 0
	err = record.ShipDir(ctx, dir, record.ShipperOptions{Config: cfg}, nil, func(r record.DirResult) {
		name := filepath.Base(r.Path)
		if r.UpToDate() {
			fmt.Fprintf(stdout, "%s: %d lines (%d bytes) shipped: on the server up to its end\n", name, r.Lines, r.After-r.Before)
			return
		}
		left++
		if errors.Is(r.Err, record.ErrBusy) {
			fmt.Fprintf(stdout, "%s: a running console is shipping it: left to it\n", name)
			return
		}
		fmt.Fprintf(stdout, "%s: %d lines shipped, %d bytes still to ship: %v\n", name, r.Lines, r.Size-r.After, r.Err)
	})
	if err != nil {
		fmt.Fprintf(stderr, "pumpside ship: %v\n", err)
		return 2
	}
	if left > 0 {
		fmt.Fprintf(stderr, "pumpside ship: %d cases not fully shipped (run it again)\n", left)
		return 1
	}
	fmt.Fprintf(stdout, "every case of %s is on the server (%s)\n", dir, cfg)
	return 0
}

// caseEndDrain bounds how long a closing console waits for the server to
// take the end of its case: within the shutdown grace (stuck.go).
const caseEndDrain = 15 * time.Second

// drainCaseEnd ships the end of the console's case after its record is
// closed, for at most caseEndDrain, and says on stderr what is left when
// the server did not take it all.
func drainCaseEnd(sh *record.Shipper, path string, cfg record.Config, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), caseEndDrain)
	defer cancel()
	err := sh.Drain(ctx)
	cur, size, berr := record.Behind(path)
	if err == nil && berr == nil && cur >= size {
		return
	}
	fmt.Fprintf(stderr, "pumpside: InfluxDB (%s) did not take the end of the case within %s: %d bytes of %s wait on disk (%v);\n"+
		"the next console, or `pumpside ship %s`, sends them\n", cfg, caseEndDrain, size-cur, filepath.Base(path), errors.Join(err, berr), filepath.Dir(path))
}

// catchUpCases ships, in the background, the cases of dir other than the
// console's own whose shipping began (they have a cursor file) and did not
// reach their end: a console that closed while the server was down, or was
// killed. Each is said on stderr.
func catchUpCases(ctx context.Context, dir, own string, opt record.ShipperOptions, stderr io.Writer) {
	want := func(p string) bool {
		if p == own {
			return false
		}
		_, err := os.Stat(record.CursorPath(p))
		return err == nil
	}
	_ = record.ShipDir(ctx, dir, opt, want, func(r record.DirResult) {
		switch {
		case r.UpToDate():
			fmt.Fprintf(stderr, "pumpside: shipped the %d bytes that were left of %s\n", r.After-r.Before, filepath.Base(r.Path))
		case errors.Is(r.Err, record.ErrBusy), ctx.Err() != nil:
		default:
			fmt.Fprintf(stderr, "pumpside: could not ship what is left of %s: %v\n", filepath.Base(r.Path), r.Err)
		}
	})
}

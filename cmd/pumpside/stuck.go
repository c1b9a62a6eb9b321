package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"
)

// shutdownGrace is how long a console window has, after Ctrl-C or SIGTERM,
// to close, finish the case record and exit.
const shutdownGrace = 30 * time.Second

// exitIfStuck makes sure a stop request ends the process: if it is still
// running grace after ctx ended, it writes every goroutine's stack to
// stderr (for the bug report) and exits with status 1. A console that
// ignores Ctrl-C would leave the perfusionist a frozen window. The case
// record loses at most what its last group commit had not yet written
// (under a second).
func exitIfStuck(ctx context.Context, stderr io.Writer, grace time.Duration) {
	go func() {
		<-ctx.Done()
		time.Sleep(grace)
		fmt.Fprintf(stderr, "pumpside: still running %v after the stop request: exiting; where each goroutine was:\n", grace)
		_ = pprof.Lookup("goroutine").WriteTo(stderr, 2)
		os.Exit(1)
	}()
}

package main

import (
	"fmt"
	"time"

	"github.com/pumpside/pumpside/monitor/record"
)

// runMode is what --mode changes in a run (docs/ecmo.md).
type runMode struct {
	name string // "bypass" or "ecmo"
	// segment is the case time per record segment; 0 records one file.
	segment time.Duration
}

// parseRunMode checks --mode and --segment: ecmo records in segments of a
// day unless --segment says otherwise; --segment means nothing for bypass.
func parseRunMode(mode string, segment time.Duration) (runMode, error) {
	switch mode {
	case "", "bypass":
		if segment != 0 {
			return runMode{}, fmt.Errorf("--segment applies to a long run: use it with --mode ecmo")
		}
		return runMode{name: "bypass"}, nil
	case "ecmo":
		if segment == 0 {
			segment = record.DefaultSegment
		}
		if segment < time.Second {
			return runMode{}, fmt.Errorf("--segment %v is under 1s", segment)
		}
		return runMode{name: "ecmo", segment: segment}, nil
	}
	return runMode{}, fmt.Errorf("unknown --mode %q (bypass, ecmo)", mode)
}

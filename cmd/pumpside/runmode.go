package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pumpside/pumpside/alarms"
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

// runProfile returns the alarm profile of a run or a replay: --profile's
// (a built-in profile's name, default or ecmo, when the value has no / and
// no ., else a file), or the mode's built-in (ecmo: the ECMO profile; else
// the default).
func runProfile(arg, mode string) (*alarms.Profile, error) {
	switch {
	case arg == "" && mode == record.ModeECMO:
		return alarms.BuiltinProfile(alarms.ProfileECMO)
	case arg == "":
		return alarms.DefaultProfile(), nil
	case !strings.ContainsAny(arg, "/."):
		return alarms.BuiltinProfile(arg)
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return alarms.LoadProfile(arg, f)
}

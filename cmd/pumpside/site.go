package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/site"
)

// siteFlags are --site-file and --tz: the site file (docs/site.md) with
// the display units, the theatre's zone and the preset, and a zone that
// overrides the file's. Every command that shows a time or a value to a
// person takes them.
type siteFlags struct {
	file, tz *string
}

func addSiteFlags(fl *flagSet) siteFlags {
	return siteFlags{
		file: fl.String("site-file", "", "the site `FILE` (TOML, docs/site.md: units, time zone, preset, sending, quality indicators; default: $"+site.EnvFile+", else pumpside/site.toml in the user's config directory)"),
		tz:   fl.String("tz", "", "the theatre's time `ZONE` for the times shown (IANA name such as Europe/London, UTC, Local; default: the site file's, else the machine's)"),
	}
}

// load reads the site configuration; on an error it says so and ok is
// false (exit 2).
func (f siteFlags) load(cmd string, stderr io.Writer) (*site.Config, bool) {
	file, tz := "", ""
	if f.file != nil {
		file, tz = *f.file, *f.tz
	}
	c, err := site.Resolve(file, tz, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return nil, false
	}
	return c, true
}

// clockAt reads a time of day typed at the pump, "09:15" or "09:15:30", as
// the latest such time in loc that is not more than skew after now: a
// sample drawn at 23:50 and entered at 00:05 is yesterday's.
func clockAt(s string, now time.Time, loc *time.Location, skew time.Duration) (int64, bool) {
	var layout string
	switch strings.Count(s, ":") {
	case 1:
		layout = "15:04"
	case 2:
		layout = "15:04:05"
	default:
		return 0, false
	}
	c, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return 0, false
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
	if t.After(n.Add(skew)) {
		t = t.AddDate(0, 0, -1)
	}
	return t.UnixNano(), true
}

// siteIdentified applies the site's rule to a command's --identify:
// records that leave the machine carry identifiers exactly when the site
// file enables identified sending ([privacy] identified_sending); asking
// without that is refused.
func siteIdentified(cfg *site.Config, asked bool) (bool, error) {
	id, err := exchange.Identified(cfg.Privacy.IdentifiedSending, asked)
	if err != nil && cfg.Path == "" {
		return false, fmt.Errorf("%w; no site file was found (--site-file, $%s, or pumpside/site.toml in the user's config directory)", err, site.EnvFile)
	}
	return id, err
}

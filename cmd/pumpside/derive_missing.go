package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/report"
)

// deriveMissing gives c derived.* series when the file at path has none: a
// case file another tool wrote to the format, or pumpside sim --out. It
// replays the file's samples through the pipeline once per second of case
// time, as pumpside replay does, and records each derived value (NaN when
// it is not ok), so that the summary's DO2i figures exist for any file
// that follows the format. Files with derived lines (Pumpside's recordings)
// are left as they are. It reports whether it derived anything.
func deriveMissing(c *report.Case, path string) (bool, error) {
	for name := range c.Series {
		if strings.HasPrefix(name, "derived.") {
			return false, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	rc, err := replay.Load(bufio.NewReaderSize(f, 1<<20), nil) // bad lines: reported by the first read
	if err != nil {
		return false, fmt.Errorf("deriving values: %w", err)
	}
	n := int(floorSecond(rc.End) - floorSecond(rc.Start) + 1)
	var series [monitor.NumDerived][]report.Point
	for i := range series {
		series[i] = make([]report.Point, 0, n)
	}
	_, err = replaySeconds(context.Background(), rc, func(now time.Time, snap *monitor.Snapshot) error {
		for i := range series {
			v := math.NaN()
			if r := snap.Reading(channel.DerivedBSA + channel.ID(i)); r.OK() {
				v = r.Value
			}
			series[i] = append(series[i], report.Point{T: now.UnixNano(), V: v})
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	for i, pts := range series {
		c.Series[channel.Get(channel.DerivedBSA+channel.ID(i)).Name] = pts
	}
	return true, nil
}

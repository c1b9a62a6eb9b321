package exchange

import (
	"math"
	"sort"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/report"
)

// GridChannels are the observation grid's values, in the order of a paper
// perfusion chart: flows, pressures, temperatures, saturations and blood,
// delivery, gas, cerebral oximetry.
var GridChannels = []string{
	"pump.flow", "derived.flow_index", "patient.map", "patient.cvp", "patient.hr",
	"temp.arterial_outlet", "temp.venous_inlet", "temp.nasopharyngeal", "temp.bladder",
	"inline.art_so2", "inline.ven_so2", "inline.hct", "inline.hb", "derived.do2i",
	"gas.sweep", "gas.fio2", "nirs.left", "nirs.right",
}

// GridRow is the grid at one time: the usable, fresh value of each grid
// channel that had one (absent: no value).
type GridRow struct {
	Time   time.Time
	Values map[string]float64
}

// Grid is the observation grid: one row per interval on bypass.
type Grid struct {
	Interval time.Duration
	Rows     []GridRow
}

// BuildGrid samples the grid channels at every multiple of interval of the
// clock (08:00, 08:15, ...) inside the bypass spans, ends included. A value
// counts at a time when the channel's last point at or before it is usable
// and within its freshness limit (derivedHold for a recorded derived value,
// as the summary counts them); otherwise the cell is empty, never a
// number. Rows without any value are kept: a blank line on the chart says
// nothing was recorded.
//
// This is the grid of the exports until the report's own observation grid
// (issue 17) exists; the two must then be one.
func BuildGrid(c *report.Case, bypass []report.Span, interval, derivedHold time.Duration) Grid {
	g := Grid{Interval: interval}
	if interval <= 0 {
		return g
	}
	if derivedHold <= 0 {
		derivedHold = 2 * time.Second
	}
	holds := make([]int64, len(GridChannels))
	for i, name := range GridChannels {
		holds[i] = int64(derivedHold)
		if id, ok := channel.Lookup(name); ok && channel.Get(id).Freshness > 0 {
			holds[i] = int64(channel.Get(id).Freshness)
		}
	}
	for _, sp := range bypass {
		t := sp.Start.Truncate(interval)
		if t.Before(sp.Start) {
			t = t.Add(interval)
		}
		for ; !t.After(sp.End); t = t.Add(interval) {
			row := GridRow{Time: t, Values: map[string]float64{}}
			for i, name := range GridChannels {
				if v := valueAt(c.Series[name], t.UnixNano(), holds[i]); !math.IsNaN(v) {
					row.Values[name] = v
				}
			}
			g.Rows = append(g.Rows, row)
		}
	}
	return g
}

// valueAt is the value of a channel's points at t: the last point at or
// before t, if usable (not NaN) and younger than hold; NaN otherwise.
func valueAt(pts []report.Point, t, hold int64) float64 {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].T > t }) - 1
	if i < 0 || t >= pts[i].T+hold {
		return math.NaN()
	}
	return pts[i].V
}

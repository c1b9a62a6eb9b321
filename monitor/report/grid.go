package report

import (
	"math"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/site"
)

// GridRow is one parameter of the observation grid: the channel, how the
// report names it, and its value at each of the grid's times in the
// channel's unit (NaN: no usable, fresh value then). Display says how the
// site shows it.
type GridRow struct {
	Channel, Label string
	Display        site.Display
	Values         []float64
}

// ObservationGrid is the paper perfusion chart's grid: key values at every
// Interval of the theatre's clock (09:00, 09:15, ...) while on bypass.
type ObservationGrid struct {
	Interval time.Duration
	Times    []time.Time
	// Rows are the parameters that had a value at one of the times at
	// least, in chart order.
	Rows []GridRow
}

// gridChannels are the grid's parameters, in the order of a paper chart:
// pump, the patient's haemodynamics (heart rate beside the arterial
// pressure, as the patient monitor shows them) and the line pressure,
// temperatures, gas, blood, oxygen delivery, cerebral oximetry, volumes.
var gridChannels = []struct{ channel, label string }{
	{"pump.flow", "Flow"},
	{"derived.flow_index", "Flow index"},
	{"patient.map", "MAP"},
	{"patient.hr", "HR"},
	{"patient.cvp", "CVP"},
	{"pump.line_pressure", "Line pressure"},
	{"temp.arterial_outlet", "Art outlet temp"},
	{"temp.venous_inlet", "Venous inlet temp"},
	{"temp.nasopharyngeal", "Naso temp"},
	{"temp.bladder", "Bladder temp"},
	{"gas.sweep", "Sweep"},
	{"gas.fio2", "FiO2"},
	{"gas.exhaust_co2", "Exhaust CO2"},
	{"inline.art_po2", "Art pO2"},
	{"inline.art_pco2", "Art pCO2"},
	{"inline.art_so2", "SaO2"},
	{"inline.ven_so2", "SvO2"},
	{"inline.hct", "Hct"},
	{"inline.hb", "Hb"},
	{"inline.k", "K+"},
	{"derived.do2i", "DO2i"},
	{"nirs.left", "NIRS L"},
	{"nirs.right", "NIRS R"},
	{"reservoir.level", "Reservoir"},
	{"urine.volume", "Urine (total)"},
}

// GridChannels returns the grid's channels in chart order: the channels a
// row may have (a row is left out when it has no value at any time).
func GridChannels() []string {
	out := make([]string, len(gridChannels))
	for i, gc := range gridChannels {
		out[i] = gc.channel
	}
	return out
}

// gridTimes are the times of the theatre's clock that are multiples of
// interval from its midnight and fall in a bypass span (ends included).
func gridTimes(bypass []span, interval time.Duration, loc *time.Location) []int64 {
	var out []int64
	for _, p := range bypass {
		a := time.Unix(0, p.a).In(loc)
		midnight := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, loc)
		k := (a.Sub(midnight) + interval - 1) / interval
		for t := midnight.Add(k * interval).UnixNano(); t <= p.b; t += int64(interval) {
			if len(out) == 0 || t > out[len(out)-1] {
				out = append(out, t)
			}
		}
	}
	return out
}

// observationGrid is the grid of the bypass spans: each value is the
// channel's value at that instant as the summary reads it (the last usable
// value at or before it, if still fresh).
func observationGrid(c *Case, bypass []span, set Settings) ObservationGrid {
	iv := set.GridInterval
	if iv <= 0 {
		iv = site.DefaultGridInterval
	}
	g := ObservationGrid{Interval: iv}
	times := gridTimes(bypass, iv, set.loc())
	for _, t := range times {
		g.Times = append(g.Times, utc(t))
	}
	for _, gc := range gridChannels {
		st := newStep(c, gc.channel, set)
		row := GridRow{Channel: gc.channel, Label: gc.label, Values: make([]float64, len(times)), Display: set.Units.DisplayName(gc.channel)}
		any := false
		for i, t := range times {
			row.Values[i] = st.at(t)
			any = any || !math.IsNaN(row.Values[i])
		}
		if any {
			if _, ok := channel.Lookup(gc.channel); ok {
				g.Rows = append(g.Rows, row)
			}
		}
	}
	return g
}

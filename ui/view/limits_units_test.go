package view

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/site"
)

// A tile's alarm limits are in the tile's unit: on a g/L site an Hb
// limit of 8.0 g/dL (State.Limits keep the channel's unit, which the
// tile compares with) reads "low 80"; a channel the site does not convert
// keeps its decimals.
func TestTileLimitsInSiteUnits(t *testing.T) {
	now := start.Add(time.Hour)
	st := &State{Limits: []LimitView{{Channel: channel.InlineHb, Low: 8, High: math.NaN()}, {Channel: channel.PatientMAP, Low: 50, High: 80}}}
	h := newHarnessOpts(t, st, now, Options{Zone: time.UTC, Units: site.Units{Hb: site.GPerL}})
	h.snap = snapshot(now)
	h.snap.Readings[channel.InlineHb] = monitor.Reading{Value: 7.5, Time: now.UnixNano(), Source: 1}
	h.frame()
	assert.Equal(t, "low 80", h.s.Monitor.Note(channel.InlineHb))
	assert.Contains(t, h.s.Monitor.Note(channel.PatientMAP), "limits 50–80")
	v, _, _ := h.s.Monitor.Tile(channel.InlineHb).Shown()
	assert.Equal(t, "75", v)
}

package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// TestReplaySeekKeepsWholeRunTrends: in a case longer than the trend
// history, a seek starts its session from a carry hours before the target
// (12 h of history before it), not from the case start; its whole-run
// trend is still the straight replay's, column for column (the trends
// before the carry come from the opening pass, monitor.SeedTrends; the
// carry's own samples, at its time, count once), with the MAP dip of the
// first hour, which lies before the carry.
func TestReplaySeekKeepsWholeRunTrends(t *testing.T) {
	start := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	length := 14 * time.Hour
	dip := start.Add(30 * time.Minute)
	b := replay.NewBuilder()
	name := channel.Get(channel.PatientMAP).Name
	for at := start; at.Before(start.Add(length)); at = at.Add(10 * time.Second) {
		v := 70 + float64(at.Sub(start)/time.Minute%11)
		if !at.Before(dip) && at.Before(dip.Add(30*time.Second)) {
			v = 38
		}
		b.AddSample(name, "monitor", at.UnixNano(), v, channel.OK)
	}
	c, err := b.Case()
	require.NoError(t, err)
	r := newReplayer(c, alarms.DefaultProfile(), io.Discard)
	require.NotNil(t, r.trends, "a case longer than the history keeps the opening pass's trends")
	target := start.Add(length - 10*time.Minute).UnixNano()
	rs, err := r.build(target)
	require.NoError(t, err)
	carry := r.carryFor(target)
	require.NotNil(t, carry)
	require.Greater(t, carry.At, dip.Add(time.Minute).UnixNano(), "the seek's session starts after the dip")
	got := rs.s.p.Latest()
	ref, _ := straightTo(t, c, rs.pos)
	var dg, dr monitor.Decimated
	for _, cols := range []int{450, 900} {
		got.Decimate(channel.PatientMAP, c.Start, rs.pos, cols, &dg)
		ref.Decimate(channel.PatientMAP, c.Start, rs.pos, cols, &dr)
		assert.Equal(t, dr, dg, "%d columns: the seek's whole-run trend is the straight replay's", cols)
		c := dg.Cols[(dip.UnixNano()-dg.Start)/dg.Step]
		assert.Equal(t, float32(38), c.Min, "%d columns: the dip's column %+v", cols, c)
	}
}

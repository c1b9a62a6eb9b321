package replay

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/stretchr/testify/require"
)

const file = `# out of order, two sources, a derived line, an event, a bad line
pump,case=C,source=hlm flow=4.2 1772352002000000000
pump,case=C,source=hlm flow=4.1 1772352001000000000
patient,case=C,source=mon map=310,map_q="out_of_range" 1772352001500000000
patient,case=C,source=mon hr_q="unavailable" 1772352001500000000
site,case=C,source=x thing=1 1772352001000000000
derived,case=C,source=pumpside bsa=1.9 1772352001000000000
event,case=C,kind=on_bypass text="On" 1772352001000000000
pump,case=C,source=hlm flow=oops 1772352003000000000
`

func TestLoad(t *testing.T) {
	var bad []int64
	c, err := Load(strings.NewReader(file), func(e *record.LineError) { bad = append(bad, e.Line) })
	require.NoError(t, err)
	require.Equal(t, []int64{9}, bad)
	require.Equal(t, 1, c.BadLines)
	require.Equal(t, "C", c.ID)
	require.Equal(t, []string{"pump.flow", "patient.map", "patient.hr", "site.thing"}, c.Channels)
	require.Equal(t, []string{"hlm", "mon", "x"}, c.Sources)
	require.Len(t, c.Samples, 5, "derived values are not replayed")
	for i := 1; i < len(c.Samples); i++ {
		require.LessOrEqual(t, c.Samples[i-1].Time, c.Samples[i].Time)
	}
	require.Equal(t, int64(1772352001000000000), c.Start)
	require.Equal(t, int64(1772352002000000000), c.End)
	require.Equal(t, []Event{{1772352001000000000, "on_bypass"}}, c.Events)

	_, err = Load(strings.NewReader("event,case=C,kind=note text=\"x\" 1\n"), nil)
	require.True(t, errors.Is(err, ErrEmpty))
}

func TestPlayerFeedsPipeline(t *testing.T) {
	c, err := Load(strings.NewReader(file), nil)
	require.NoError(t, err)
	start := time.Unix(0, c.Start)
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	pl, err := NewPlayer(c, p)
	require.NoError(t, err)
	pl.PutUntil(c.Start + int64(time.Second) - 1)
	snap := p.Step(time.Unix(0, c.Start+int64(time.Second)-1))
	require.Equal(t, 4.1, snap.Reading(channel.PumpFlow).Value)
	require.Equal(t, "replay:hlm", snap.SourceName(snap.Reading(channel.PumpFlow).Source))
	require.Equal(t, channel.OutOfRange, snap.Reading(channel.PatientMAP).Quality)
	require.Equal(t, channel.Unavailable, snap.Reading(channel.PatientHR).Quality)
	require.True(t, math.IsNaN(snap.Reading(channel.PatientHR).Value))
	require.False(t, pl.Done())
	pl.PutUntil(c.End)
	require.True(t, pl.Done())
	snap = p.Step(time.Unix(0, c.End))
	require.Equal(t, 4.2, snap.Reading(channel.PumpFlow).Value)
	require.Equal(t, uint64(1), pl.Unknown, "site.thing is not in the pipeline's table")
	require.Zero(t, pl.Dropped)
}

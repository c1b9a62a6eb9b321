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
	require.Equal(t, []Event{{Time: 1772352001000000000, Kind: "on_bypass", Text: "On"}}, c.Events)

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

func TestBookmarksAndBuilder(t *testing.T) {
	const f = `bookmark,case=C text="second",author="t" 1772352003000000000
pump,case=C,source=hlm flow=4.2 1772352002000000000
bookmark,case=C text="first" 1772352001000000000
event,case=C,kind=note text="a \"note\"" 1772352001000000000
`
	c, err := Load(strings.NewReader(f), nil)
	require.NoError(t, err)
	want := []Bookmark{{Time: 1772352001000000000, Text: "first"}, {Time: 1772352003000000000, Text: "second", Author: "t"}}
	require.Equal(t, want, c.Bookmarks)
	require.Equal(t, []Event{{Time: 1772352001000000000, Kind: "note", Text: `a "note"`}}, c.Events)
	bms, err := Bookmarks(strings.NewReader(f), nil)
	require.NoError(t, err)
	require.Equal(t, want, bms)

	b := NewBuilder()
	b.AddSample("pump.flow", "", 20, 1, channel.OK)
	b.AddSample("derived.bsa", "pumpside", 10, 2, channel.OK)
	b.AddSample("pump.flow", "hlm", 10, 3, channel.Stale)
	bc, err := b.Case()
	require.NoError(t, err)
	require.Equal(t, []string{"file", "hlm"}, bc.Sources)
	require.Equal(t, []Sample{{Time: 10, Value: 3, Channel: 0, Source: 1, Quality: channel.Stale}, {Time: 20, Value: 1}}, bc.Samples)
	require.Equal(t, int64(10), bc.Start)
	require.Equal(t, int64(20), bc.End)
	_, err = NewBuilder().Case()
	require.ErrorIs(t, err, ErrEmpty)
}

// FuzzLoad: any input either fails cleanly or gives a case whose samples
// are in time order with indices in range, bounded by Start and End.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(file))
	f.Add([]byte("bookmark,case=C text=\"x\" 1772352001000000000\npump,case=C flow=1 2000000000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(strings.NewReader(string(data)), nil)
		if err != nil {
			return
		}
		for i, s := range c.Samples {
			if i > 0 && c.Samples[i-1].Time > s.Time {
				t.Fatal("samples out of order")
			}
			if int(s.Channel) >= len(c.Channels) || int(s.Source) >= len(c.Sources) || s.Time < c.Start || s.Time > c.End {
				t.Fatalf("bad sample %+v", s)
			}
		}
		for i := 1; i < len(c.Bookmarks); i++ {
			if c.Bookmarks[i-1].Time > c.Bookmarks[i].Time {
				t.Fatal("bookmarks out of order")
			}
		}
	})
}

func TestQualityFieldNotString(t *testing.T) {
	var bad []*record.LineError
	c, err := Load(strings.NewReader("pump,case=C flow=1,flow_q=3 2000000000\npump,case=C flow=2 3000000000\n"),
		func(e *record.LineError) { bad = append(bad, e) })
	require.NoError(t, err)
	require.Len(t, bad, 1)
	require.Equal(t, int64(1), bad[0].Line)
	require.ErrorContains(t, bad[0].Err, "a quality is a string")
	require.Equal(t, 1, c.BadLines)
	require.Len(t, c.Samples, 1)
}

func TestMaxSamples(t *testing.T) {
	b := NewBuilder()
	for i := range int64(10) {
		b.AddSample("pump.flow", "a", 1000+i*10, 1, channel.OK) // 10 at 10 ns
		b.AddSample("patient.map", "b", 1000+i*100, 1, channel.OK)
	}
	c, err := b.Case()
	require.NoError(t, err)
	require.Equal(t, 1, c.MaxSamples(0))
	require.Equal(t, 3, c.MaxSamples(20))
	require.Equal(t, 10, c.MaxSamples(1000))
}

// A file that gives the patient's size only as metadata, as the format
// allows (another tool's), replays with a BSA from its first second; a
// recorded patient.weight sample is newer information and wins from its
// time on; the recorded constants are the pipeline's.
func TestMetadataGivesPatientSize(t *testing.T) {
	const meta = `case,case=C height_cm=175i,weight_kg=70,sex="M",bsa_formula="mosteller",hufner=1.36 1772352000000000000
pump,case=C,source=hlm flow=4.2 1772352010000000000
pump,case=C,source=hlm flow=4.1 1772352001000000000
case,case=C weight_kg=80,sex="Q" 1772352005000000000
patient,case=C,source=manual weight=90 1772352020000000000
`
	var problems []string
	c, err := Load(strings.NewReader(meta), func(e *record.LineError) { problems = append(problems, e.Error()) })
	require.NoError(t, err)
	require.Len(t, problems, 1, "the unknown sex code is reported")
	require.Contains(t, problems[0], `sex "Q"`)
	require.Equal(t, 80.0, c.Meta.WeightKg, "the last metadata line wins")
	require.Equal(t, 1.36, c.Settings(monitor.DefaultSettings()).Constants.Hufner)

	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(time.Unix(0, c.Start)), Settings: c.Settings(monitor.DefaultSettings())})
	require.NoError(t, err)
	pl, err := NewPlayer(c, p)
	require.NoError(t, err)
	at := func(t int64) *monitor.Snapshot {
		pl.PutUntil(t)
		return p.Step(time.Unix(0, t))
	}
	snap := at(1772352001000000000)
	require.Equal(t, "replay:"+MetaSource, snap.SourceName(snap.Reading(channel.PatientHeight).Source))
	bsa := snap.Reading(channel.DerivedBSA)
	require.True(t, bsa.OK(), "BSA from the metadata alone")
	require.InDelta(t, math.Sqrt(175*80/3600.0), bsa.Value, 1e-9, "Mosteller, 175 cm, 80 kg (the last line)")
	require.True(t, snap.Reading(channel.DerivedFlowIndex).OK())
	snap = at(1772352020000000000)
	require.InDelta(t, math.Sqrt(175*90/3600.0), snap.Reading(channel.DerivedBSA).Value, 1e-9, "the recorded weight wins from its time")
}

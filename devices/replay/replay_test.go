package replay

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
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
	all := c.AllSamples()
	require.Len(t, all, 5, "derived values are not replayed")
	for i := 1; i < len(all); i++ {
		require.LessOrEqual(t, all[i-1].Time, all[i].Time)
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
	require.Equal(t, []Sample{{Time: 10, Value: 3, Channel: 0, Source: 1, Quality: channel.Stale}, {Time: 20, Value: 1}}, bc.AllSamples())
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
		path := filepath.Join(t.TempDir(), "f.case")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		fc, ferr := Open(path, nil)
		if err != nil {
			require.Error(t, ferr, "Open fails where Load does")
			return
		}
		require.NoError(t, ferr)
		defer fc.Close()
		all := c.AllSamples()
		sameSamples(t, all, fc.AllSamples(), "the file store replays what memory does")
		require.Equal(t, c.Start, fc.Start)
		require.Equal(t, c.End, fc.End)
		for i, s := range all {
			if i > 0 && all[i-1].Time > s.Time {
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
	require.Equal(t, 1, c.NumSamples())
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

// A case longer than many blocks, with stragglers (results stamped minutes
// before they are written), a gap, metadata and derived lines: the file
// store hands out exactly what the memory store does, from the start and
// from any time.
func TestFileStoreMatchesMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString("case,case=L height_cm=170,weight_kg=70 1772352000000000000\n")
	t0 := int64(1772352000000000000)
	for sec := int64(0); sec < 3*3600; sec++ {
		if sec >= 3600 && sec < 5400 {
			continue // half an hour with nothing: a gap
		}
		ts := t0 + sec*1e9
		fmt.Fprintf(&b, "pump,case=L,source=hlm flow=%g,speed=%di %d\n", 4+float64(sec%7)/10, 2000+sec%50, ts)
		fmt.Fprintf(&b, "patient,case=L,source=mon map=%d %d\n", 60+sec%11, ts+int64(sec%3)*1e8)
		if sec%6 == 0 {
			fmt.Fprintf(&b, "inline,case=L,source=cdi hct=%d %d\n", 25+sec%4, ts-4e9) // a few seconds late: in order
		}
		if sec%900 == 0 && sec > 0 {
			fmt.Fprintf(&b, "abg,case=L,source=gem po2=%d,ph=7.4 %d\n", 200+sec%13, ts-10*60e9) // drawn 10 min before
		}
		if sec%60 == 0 {
			fmt.Fprintf(&b, "derived,case=L,source=pumpside do2i=300 %d\n", ts)
		}
	}
	defer func(b int64) { blockBytes = b }(blockBytes)
	blockBytes = 16 << 10
	path := filepath.Join(t.TempDir(), "long.case")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	mem, err := Load(strings.NewReader(b.String()), nil)
	require.NoError(t, err)
	fc, err := Open(path, nil)
	require.NoError(t, err)
	defer fc.Close()
	fs := fc.store.(*fileStore)
	require.Greater(t, len(fs.blocks), 8, "many blocks")
	require.Len(t, fs.extra, 2*9, "the analyser's 9 results are the only stragglers")
	require.Equal(t, mem.NumSamples(), fc.NumSamples())
	all := mem.AllSamples()
	sameSamples(t, all, fc.AllSamples())
	require.Equal(t, mem.Channels, fc.Channels)
	require.Equal(t, mem.Sources, fc.Sources)
	for _, from := range []int64{t0 - 1, t0, t0 + 1234e9, t0 + 3599e9, t0 + 4000e9, t0 + 5400e9, t0 + 3*3600e9, t0 + 4*3600e9} {
		want := all[sort.Search(len(all), func(i int) bool { return all[i].Time >= from }):]
		var got []Sample
		it := fc.store.from(from)
		for s, ok := it.next(); ok; s, ok = it.next() {
			got = append(got, s)
		}
		sameSamples(t, want, got, "from %d", from)
	}
	require.Equal(t, mem.MaxSamples(31e9), fc.MaxSamples(31e9))
}

// sameSamples compares samples bit for bit (a NaN value equals itself).
func sameSamples(t *testing.T, want, got []Sample, msg ...any) {
	t.Helper()
	type bits struct {
		t    int64
		v    uint64
		c, s int32
		q    channel.Quality
	}
	flat := func(ss []Sample) []bits {
		out := make([]bits, len(ss))
		for i, s := range ss {
			out[i] = bits{s.Time, math.Float64bits(s.Value), s.Channel, s.Source, s.Quality}
		}
		return out
	}
	require.Equal(t, flat(want), flat(got), msg...)
}

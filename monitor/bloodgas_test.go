package monitor

import (
	"testing"

	"github.com/pumpside/pumpside/monitor/channel"
)

func TestUnstatedResultAndAssignment(t *testing.T) {
	snap := &Snapshot{Readings: make([]Reading, channel.Count)}
	if _, _, ok := UnstatedResult(snap); ok {
		t.Fatal("no bg.* result yet")
	}
	const t1, t2 = int64(1000), int64(2000)
	put := func(id channel.ID, v float64, at int64, src SourceID) {
		snap.Readings[id] = Reading{Value: v, Time: at, Source: src, Quality: channel.OK}
	}
	put(channel.BGPH, 7.38, t2, 3)
	put(channel.BGPO2, 212.4, t2, 3)
	put(channel.BGK, 4.12, t2, 3)
	put(channel.BGHb, 9.8, t1, 3) // an older result's Hb: not part of the newest
	sample, src, ok := UnstatedResult(snap)
	if !ok || sample != t2 || src != 3 {
		t.Fatalf("got %d %d %v", sample, src, ok)
	}
	got := AppendAssigned(nil, snap, t2, 3, channel.PanelArterial)
	want := map[channel.ID]float64{channel.ABGPH: 7.38, channel.ABGPO2: 212.4, channel.ABGK: 4.12}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for _, s := range got {
		if want[s.Channel] != s.Value || s.Time != t2 || s.Quality != channel.OK {
			t.Errorf("sample %+v", s)
		}
	}
	if n := len(AppendAssigned(nil, snap, t2, 4, channel.PanelVenous)); n != 0 {
		t.Errorf("another source's result: %d samples", n)
	}
	if s := string(AppendResultSummary(nil, snap, t2, 3)); s != "pH 7.38  pO2 212  K+ 4.1" {
		t.Errorf("summary %q", s)
	}
}

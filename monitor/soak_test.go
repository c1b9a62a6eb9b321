package monitor

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// TestSoak runs a 12-hour case through Step in simulated time, publishing
// every 100 ms of case time, at about 3,100 samples/s (the realistic peak of
// a bypass case: the built-in channels at their devices' rates plus 100 site
// channels at 30 Hz), and checks that the Go heap after 12 h of case time is
// within 10 % of the heap after 1 h: history is bounded, snapshots are
// garbage, nothing else grows.
//
// It takes minutes, so it runs only with PUMPSIDE_SOAK=1 (make soak):
//
//	PUMPSIDE_SOAK=1 go test -run=TestSoak -timeout=60m -v ./monitor/
func TestSoak(t *testing.T) {
	if os.Getenv("PUMPSIDE_SOAK") != "1" {
		t.Skip("soak test: set PUMPSIDE_SOAK=1 (make soak) to run a 12-hour case")
	}
	const (
		caseLength = 12 * time.Hour
		step       = 100 * time.Millisecond
		siteChans  = 100
		siteRate   = 30 // Hz
	)
	set := DefaultSettings()
	for i := range siteChans {
		set.ExtraChannels = append(set.ExtraChannels, channel.Channel{Name: fmt.Sprintf("site.ch%03d", i), Min: -2, Max: 2, Freshness: time.Second})
	}
	clk := clock.NewManual(t0)
	p, err := New(Config{Clock: clk, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	type feed struct {
		pr     *Producer
		chans  []channel.ID
		period time.Duration
		next   time.Duration
		base   []float64
	}
	var feeds []*feed
	add := func(name string, period time.Duration, chans ...channel.ID) {
		pr, err := p.AddSource(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		f := &feed{pr: pr, chans: chans, period: period}
		for _, id := range chans {
			c := p.Channels()[id]
			f.base = append(f.base, c.Min+(c.Max-c.Min)*0.4)
		}
		for _, in := range caseInputs { // realistic values where the case has them
			for i, id := range chans {
				if id == in.ch {
					f.base[i] = in.v
				}
			}
		}
		feeds = append(feeds, f)
	}
	add("manual", 12*time.Hour, channel.PatientHeight, channel.PatientWeight)
	add("pump", 100*time.Millisecond, channel.PumpFlow, channel.PumpSpeed, channel.PumpLinePressure, channel.PumpCardioplegiaPressure)
	add("monitor", time.Second, channel.PatientMAP, channel.PatientSys, channel.PatientDia, channel.PatientCVP,
		channel.PatientHR, channel.PatientSpO2, channel.TempNasopharyngeal, channel.TempBladder)
	add("heater", 2*time.Second, channel.TempArterialOutlet, channel.TempVenousInlet)
	add("gas", 5*time.Second, channel.GasSweep, channel.GasFiO2, channel.GasExhaustCO2)
	var inline, bloodGas []channel.ID
	for id := channel.InlineArtPH; id <= channel.InlineVenTemp; id++ {
		inline = append(inline, id)
	}
	for id := channel.ABGPH; id <= channel.VBGHCO3; id++ {
		bloodGas = append(bloodGas, id)
	}
	add("cdi", 6*time.Second, inline...)
	add("analyser", 30*time.Minute, bloodGas...)
	add("nirs", 5*time.Second, channel.NIRSLeft, channel.NIRSRight)
	add("misc", 10*time.Minute, channel.ACTSeconds, channel.ReservoirLevel, channel.UrineVolume)
	var site []channel.ID
	for i := range siteChans {
		site = append(site, channel.ID(channel.Count+i))
	}
	add("site", time.Second/siteRate, site...)

	var samples uint64
	heapAt := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var heap1h uint64
	start := time.Now()
	for at := time.Duration(0); at <= caseLength; at += step {
		for _, f := range feeds {
			for ; f.next <= at; f.next += f.period {
				ts := t0.Add(f.next).UnixNano()
				phase := f.next.Seconds() / 600
				for i, id := range f.chans {
					c := &p.chans[id]
					v := f.base[i] + (c.Max-c.Min)*0.05*math.Sin(phase+float64(i))
					if !f.pr.Put(Sample{Time: ts, Channel: id, Value: v}) {
						t.Fatalf("%s dropped a sample", f.pr.Name())
					}
					samples++
				}
			}
		}
		clk.Set(t0.Add(at))
		s := p.Advance(t0.Add(at)) // read at once: no pin, as the live console
		if at == time.Hour {
			heap1h = heapAt()
			t.Logf("1 h: heap %.1f MiB after %v", float64(heap1h)/(1<<20), time.Since(start).Round(time.Millisecond))
			if !s.Reading(channel.DerivedDO2i).OK() || !s.Reading(channel.DerivedRewarmRate).OK() {
				t.Fatalf("soak case lacks derived values: DO2i %+v, rewarm %+v", s.Reading(channel.DerivedDO2i), s.Reading(channel.DerivedRewarmRate))
			}
		}
	}
	heap12h := heapAt()
	wall := time.Since(start)
	s := p.Latest()
	for _, st := range s.Sources[1:] {
		if st.Dropped != 0 || st.Rejected != 0 {
			t.Errorf("%s: %d dropped, %d rejected", st.Name, st.Dropped, st.Rejected)
		}
	}
	if pts := s.History(channel.PumpFlow, 0, s.Time, nil); len(pts) != int(set.HistoryDuration/time.Second) {
		t.Errorf("pump.flow history: %d points, want %d", len(pts), int(set.HistoryDuration/time.Second))
	}
	t.Logf("12 h: heap %.1f MiB; %d samples (%.0f/s of case time), %d publishes in %v: %.0fx real time",
		float64(heap12h)/(1<<20), samples, float64(samples)/caseLength.Seconds(), s.Seq, wall.Round(time.Millisecond),
		caseLength.Seconds()/wall.Seconds())
	if ratio := float64(heap12h) / float64(heap1h); ratio > 1.10 || ratio < 0.90 {
		t.Fatalf("heap after 12 h is %.2f× the heap after 1 h", ratio)
	}
}

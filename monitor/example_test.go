package monitor_test

import (
	"fmt"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// A headless tool drives the pipeline with Step: put the samples up to a
// moment of the case, then publish at that moment.
func Example() {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	if err != nil {
		panic(err)
	}
	manual, _ := p.AddSource("manual", 0)
	pump, _ := p.AddSource("pump", 0)
	cdi, _ := p.AddSource("cdi", 0)

	at := start.Add(45 * time.Minute)
	put := func(pr *monitor.Producer, t time.Time, ch channel.ID, v float64) {
		pr.Put(monitor.Sample{Time: t.UnixNano(), Channel: ch, Value: v, Quality: channel.OK})
	}
	put(manual, start, channel.PatientHeight, 175)
	put(manual, start, channel.PatientWeight, 80)
	put(pump, at, channel.PumpFlow, 4.5)
	put(cdi, at.Add(-4*time.Second), channel.InlineHb, 9.0)
	put(cdi, at.Add(-4*time.Second), channel.InlineArtSO2, 98)
	put(cdi, at.Add(-4*time.Second), channel.InlineArtPO2, 200)

	s := p.Step(at)
	r := s.Reading(channel.DerivedDO2i)
	c := s.Channel(channel.DerivedDO2i)
	fmt.Println(c.Label, c.Format(r.Value, r.Quality), c.Unit)
	for _, in := range s.Derivation(channel.DerivedDO2i).Inputs() {
		fmt.Printf("  %-6s %-20s from %-6s %v old\n", in.Role, in.Channel, s.SourceName(in.Source), in.Age(s.Time))
	}
	// VO2 needs a venous saturation, which no source has sent.
	vo2 := s.Reading(channel.DerivedVO2)
	fmt.Println("VO2", s.Channel(channel.DerivedVO2).Format(vo2.Value, vo2.Quality), vo2.Quality)
	// Output:
	// DO2i 286 mL/min/m²
	//   flow   pump.flow            from pump   0s old
	//   height patient.height       from manual 45m0s old
	//   weight patient.weight       from manual 45m0s old
	//   hb     inline.hb            from cdi    4s old
	//   sao2   inline.art_so2       from cdi    4s old
	//   pao2   inline.art_po2       from cdi    4s old
	// VO2 --- unavailable
}

// A reader that looks at every publish (the GUI's frame, the alarm
// runner's evaluation) acquires the latest snapshot and releases it when
// done, so that the pipeline can reuse it: publishing then allocates
// nothing.
func ExamplePipeline_Acquire() {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	if err != nil {
		panic(err)
	}
	pump, _ := p.AddSource("pump", 0)
	for sec := range 60 {
		at := start.Add(time.Duration(sec) * time.Second)
		pump.Put(monitor.Sample{Time: at.UnixNano(), Channel: channel.PumpFlow, Value: 4.5, Quality: channel.OK})
		p.Advance(at) // in the console: the pipeline goroutine, Run

		s := p.Acquire() // in the console: another goroutine, each frame
		flow := s.Reading(channel.PumpFlow)
		if sec == 59 {
			fmt.Println(s.Channel(channel.PumpFlow).Format(flow.Value, flow.Quality), "L/min")
		}
		s.Release() // s must not be read after this
	}
	reused, allocated := p.SnapshotCounts()
	fmt.Println(reused, "publishes reused a snapshot,", allocated, "allocated one")
	// Output:
	// 4.50 L/min
	// 58 publishes reused a snapshot, 3 allocated one
}

package main

import (
	"fmt"
	"time"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
)

// builtinCaseStart is the start of the built-in case when its time does not
// matter (screenshots, tests): fixed, so the pictures are reproducible.
var builtinCaseStart = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// simFeed feeds the built-in simulated case into a pipeline, one producer per
// simulated device.
type simFeed struct {
	c     *sim.Case
	p     *monitor.Pipeline
	prods []*monitor.Producer
	emit  func(sim.Source, monitor.Sample)
}

// newSimFeed builds the pipeline and registers the simulated devices.
func newSimFeed(start time.Time, seed uint64, clk clock.Clock, onPublish func(*monitor.Snapshot)) (*simFeed, error) {
	p, err := monitor.New(monitor.Config{Clock: clk, Settings: monitor.DefaultSettings(), OnPublish: onPublish})
	if err != nil {
		return nil, err
	}
	f := &simFeed{c: sim.New(start, seed), p: p}
	for _, name := range sim.Sources() {
		pr, err := p.AddSource(name, 0)
		if err != nil {
			return nil, fmt.Errorf("simulated source %s: %w", name, err)
		}
		f.prods = append(f.prods, pr)
	}
	f.emit = func(src sim.Source, s monitor.Sample) { f.prods[src].Put(s) }
	return f, nil
}

// advance puts every sample of the case due up to t.
func (f *simFeed) advance(t time.Time) { f.c.AdvanceTo(t, f.emit) }

// stepTo runs the case headless from its start to at, publishing once per
// second of case time as the live pipeline would, and returns the last
// snapshot.
func (f *simFeed) stepTo(at time.Duration) *monitor.Snapshot {
	start := f.c.Start()
	var snap *monitor.Snapshot
	for d := time.Duration(0); ; d += time.Second {
		if d > at {
			d = at
		}
		t := start.Add(d)
		f.advance(t)
		snap = f.p.Step(t)
		if d == at {
			return snap
		}
	}
}

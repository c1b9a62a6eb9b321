package main

import (
	"fmt"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
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
	// afterStep, if set, runs after each second stepTo publishes.
	afterStep func(time.Time)
	// idle, if set, runs between seconds when run steps the case (a
	// stepped session's operator actions and alarm sound).
	idle func()
	// stepped is how far stepTo has run the case; begun: a stepped
	// session's feed has published the case's first instant.
	stepped time.Duration
	begun   bool
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

// newSessionSimFeed registers the simulated devices in a console session:
// their samples go to the pipeline and the case record, their events to the
// timeline and the record.
func newSessionSimFeed(s *session, c *sim.Case) (*simFeed, error) {
	f := &simFeed{c: c, p: s.p}
	var sinks []devices.Sink
	for i, name := range sim.Sources() {
		iv := sim.Source(i).Interval()
		w := watch{name: name, kind: monitor.KindSim, transport: "simulated", watched: iv > 0, interval: iv,
			essential: name == "sim.pump" || name == "sim.inline"}
		for _, id := range sim.Source(i).Channels() {
			w.provides.Add(id)
		}
		pr, sink, err := s.addSource(w)
		if err != nil {
			return nil, fmt.Errorf("simulated source %s: %w", name, err)
		}
		f.prods = append(f.prods, pr)
		sinks = append(sinks, sink)
	}
	if err := s.sealSources(f.prods); err != nil {
		return nil, err
	}
	f.emit = func(src sim.Source, smp monitor.Sample) { sinks[src].Put(smp) }
	if s.stepped != nil {
		f.afterStep, f.idle = s.step, func() { s.step(s.stepped.Now()) }
	}
	s.sim = c
	c.OnEvent(func(e sim.Event) {
		s.noteFault(e)
		fields := make([]record.Field, 0, len(e.Fields))
		for _, fl := range e.Fields {
			fields = append(fields, record.Field{Key: fl.Key, Num: fl.Num, Str: fl.Str, IsStr: fl.IsStr})
		}
		s.addEvent(e.Time, e.Kind, e.Text, fields...)
		if e.Kind == entry.KindNIRSBaseline && s.runner != nil {
			en := entry.Entry{Kind: e.Kind, Num: map[string]float64{}}
			for _, fl := range e.Fields {
				if !fl.IsStr {
					en.Num[fl.Key] = fl.Num
				}
			}
			s.setNIRSBaselines(en)
		}
		if e.Kind == entry.KindInlineRecalibration {
			s.p.Recalibrated(e.Time)
			s.drift.Recalibrated(e.Time)
		}
	})
	return f, nil
}

// advance puts every sample of the case due up to t.
func (f *simFeed) advance(t time.Time) { f.c.AdvanceTo(t, f.emit) }

// stepTo runs the case headless from where it last stopped (its start, the
// first time) to at, publishing once per second of case time as the live
// pipeline would, and returns the last snapshot.
func (f *simFeed) stepTo(at time.Duration) *monitor.Snapshot {
	start := f.c.Start()
	if f.idle != nil && !f.begun {
		// A stepped session publishes and evaluates the start too, as a
		// replay of its file does.
		f.begun = true
		f.advance(start)
		f.p.Advance(start)
		f.afterStep(start)
	}
	for d := f.stepped; d < at; {
		d = min(d+time.Second, at)
		t := start.Add(d)
		f.advance(t)
		f.p.Advance(t)
		if f.afterStep != nil {
			f.afterStep(t)
		}
		f.stepped = d
	}
	return f.p.Latest()
}

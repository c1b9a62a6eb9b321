package alarms_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// benchProfile is 100 rules over the channel table, mixing every
// channel-based condition, with phases, gates and escalation, loaded through
// the profile loader like a hospital's file.
func benchProfile(tb testing.TB) *alarms.Profile {
	tb.Helper()
	var b strings.Builder
	chans := channel.All()
	for i := 0; i < 100; i++ {
		c := chans[i%len(chans)]
		mid := (c.Min + c.Max) / 2
		span := c.Max - c.Min
		fmt.Fprintf(&b, "[[rule]]\nid = \"r%03d\"\ninput = %q\npriority = \"medium\"\nmessage = \"m\"\nphases = [\"bypass\"]\n", i, c.Name)
		switch i % 10 {
		case 0, 1, 2, 3:
			fmt.Fprintf(&b, "condition = \"below\"\nlimit = %g\nhysteresis = %g\ndelay = \"10s\"\n", mid-span/10, span/100)
		case 4, 5, 6:
			fmt.Fprintf(&b, "condition = \"above\"\nlimit = %g\nhysteresis = %g\ndelay = \"10s\"\nescalate_after = \"2m\"\nescalate_to = \"high\"\n", mid+span/10, span/100)
		case 7:
			fmt.Fprintf(&b, "condition = \"outside\"\nlow = %g\nhigh = %g\nhysteresis = %g\n", mid-span/5, mid+span/5, span/100)
		case 8:
			fmt.Fprintf(&b, "condition = \"rate_above\"\nlimit = %g\nwindow = \"60s\"\n[rule.when]\ninput = \"temp.arterial_outlet\"\nat_least = 30\n", span/50)
		case 9:
			fmt.Fprintf(&b, "condition = \"fall_pct\"\nlimit = 20\ndelay = \"15s\"\n")
		}
	}
	p, err := alarms.ParseProfile("bench", []byte(b.String()))
	require.NoError(tb, err)
	require.Len(tb, p.Rules, 100)
	return p
}

// benchState is a 200-channel snapshot (more than the built-in table: the
// extra readings stand for channels still to come) whose values move a
// little every step, with some rules' inputs held past their limits.
type benchState struct {
	eng  *alarms.Engine
	snap *monitor.Snapshot
	ctx  alarms.Context
	now  time.Time
	i    int
}

func newBench(tb testing.TB) *benchState {
	s := &benchState{now: scenarioEpoch, snap: &monitor.Snapshot{Readings: make([]monitor.Reading, 200)}}
	var err error
	s.eng, err = alarms.New(benchProfile(tb), alarms.Options{Logger: alarms.NewMemoryLog(1024)})
	require.NoError(tb, err)
	s.ctx.Phase = alarms.Bypass
	for i := 0; i < 8; i++ {
		s.ctx.Devices[i+1] = alarms.Device{State: alarms.DeviceConnected, Interval: time.Second}
	}
	for i := 0; i < 1000; i++ { // steady state: histories full, baselines set
		s.step()
	}
	active := s.eng.AppendStatus(nil, false)
	require.NotEmpty(tb, active, "the benchmark should carry active alarms")
	tb.Logf("%d of %d alarms active or pending", len(active), len(s.eng.AppendStatus(nil, true)))
	return s
}

func (s *benchState) step() {
	s.i++
	s.now = s.now.Add(100 * time.Millisecond)
	t := s.now.UnixNano()
	for id := 1; id < len(s.snap.Readings); id++ {
		c := channel.Get(channel.ID(id))
		v := 0.0
		if c.Name != "" {
			v = (c.Min+c.Max)/2 + (c.Max-c.Min)*0.001*float64(s.i%7)
			if id%9 == 0 {
				v = c.Min + (c.Max-c.Min)*0.05 // past below/outside limits: active alarms
			}
		}
		s.snap.Readings[id] = monitor.Reading{Value: v, Time: t, Quality: channel.OK}
	}
	s.ctx.Devices[1].LastData = t
	s.eng.Eval(s.now, s.snap, &s.ctx)
}

// BenchmarkEval: 100 rules over a 200-channel snapshot. Target < 20 µs and
// 0 allocs per Eval. The baseline sub-benchmark only writes the snapshot the
// way each step does, so Eval's own cost is the difference.
func BenchmarkEval(b *testing.B) {
	b.Run("eval", func(b *testing.B) {
		s := newBench(b)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			s.step()
		}
	})
	b.Run("baseline_snapshot_only", func(b *testing.B) {
		s := newBench(b)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			s.i++
			s.now = s.now.Add(100 * time.Millisecond)
			t := s.now.UnixNano()
			for id := 1; id < len(s.snap.Readings); id++ {
				c := channel.Get(channel.ID(id))
				s.snap.Readings[id] = monitor.Reading{Value: c.Min + float64(s.i%7), Time: t, Quality: channel.OK}
			}
		}
	})
	b.Run("eval_only", func(b *testing.B) {
		s := newBench(b)
		b.ReportAllocs()
		lat := make([]time.Duration, 0, 1<<16)
		b.ResetTimer()
		for b.Loop() {
			s.now = s.now.Add(100 * time.Millisecond)
			t0 := time.Now()
			s.eng.Eval(s.now, s.snap, &s.ctx)
			if len(lat) < 1<<16 {
				lat = append(lat, time.Since(t0))
			}
		}
		b.StopTimer()
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns/eval")
		}
	})
}

package main

import (
	"io"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/ui"
)

// The operator's "in-line recalibrated" entry reaches the pipeline: an
// analyser Hct sampled before it no longer outranks the in-line monitor.
// The sources of a console config carry their driver as kind, so the
// patient monitor's MAP wins the pump's.
func TestRecalibrationEntryAndSourceKinds(t *testing.T) {
	clk := clock.NewManual(builtinCaseStart)
	s, err := newSession(sessionOptions{clk: clk, caseID: "C-test", profile: alarms.DefaultProfile(), stderr: io.Discard})
	require.NoError(t, err)
	cfg, err := console.Parse([]byte(`
[[device]]
name = "bedside"
driver = "intellivue"
[device.transport]
type = "udp"
addr = "127.0.0.1:0"

[[device]]
name = "hlm"
driver = "generic"
[device.transport]
type = "tcp"
addr = "127.0.0.1:1"
`), "console.toml")
	require.NoError(t, err)
	_, prods, err := s.addDevices(cfg)
	require.NoError(t, err)
	require.NoError(t, s.sealSources(prods))

	at := func(d time.Duration) int64 { return builtinCaseStart.Add(d).UnixNano() }
	prods[0].Put(monitor.Sample{Time: at(time.Minute), Channel: channel.PatientMAP, Value: 62})
	prods[1].Put(monitor.Sample{Time: at(time.Minute + time.Second), Channel: channel.PatientMAP, Value: 75})
	prods[1].Put(monitor.Sample{Time: at(time.Minute), Channel: channel.InlineHct, Value: 27})
	s.operator.Put(monitor.Sample{Time: at(30 * time.Second), Channel: channel.ABGHct, Value: 24})
	now := builtinCaseStart.Add(time.Minute + 2*time.Second)
	clk.Set(now)
	snap := s.p.Step(now)
	r := snap.Reading(channel.PatientMAP)
	assert.Equal(t, "bedside", snap.SourceName(r.Source), "the monitor's arterial line wins MAP")
	assert.Equal(t, 62.0, r.Value)
	require.True(t, snap.HctCheck.LabPreferred, "no recalibration yet: the laboratory's Hct is preferred")

	s.onAction(ui.EnterEvent{Kind: viewKinds[entry.KindInlineRecalibration], Time: at(time.Minute), Text: "to the gas, Hct 24 %", Value: math.NaN()})
	require.Empty(t, s.LastError())
	prods[1].Put(monitor.Sample{Time: at(time.Minute + 2*time.Second), Channel: channel.InlineHct, Value: 24})
	snap = s.p.Step(now)
	assert.False(t, snap.HctCheck.LabPreferred, "recalibrated: the in-line monitor is trusted again")
	assert.Equal(t, at(time.Minute), snap.HctCheck.Recalibrated)
}

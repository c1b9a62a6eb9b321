package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
)

// TestSummaryOfSimulatedCase: the summary of the simulator's routine CABG
// (docs/simulator.md: on bypass 15–100 min, cross-clamp 25–85 min, cooled to
// 34 °C) has those times to the second and a lowest temperature near the
// scenario's target.
func TestSummaryOfSimulatedCase(t *testing.T) {
	sc, err := sim.Builtin("routine-cabg")
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, sim.WriteCaseFile(&buf, sim.NewScenario(sc, start, 1), "C-sim", start.Add(2*time.Hour)))
	c, err := report.Load(&buf, func(e *record.LineError) { t.Errorf("bad line: %v", e) })
	require.NoError(t, err)
	s, err := report.Summarize(c, report.DefaultSettings(), report.Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, 85*time.Minute, s.Bypass)
	assert.Equal(t, 60*time.Minute, s.CrossClamp)
	assert.Zero(t, s.Arrest)
	assert.Equal(t, start.Add(15*time.Minute), s.BypassStart.UTC())
	assert.Equal(t, start.Add(100*time.Minute), s.BypassEnd.UTC())
	require.True(t, s.LowestTemp.Valid())
	assert.InDelta(t, 34, s.LowestTemp.Value, 1, "cooled to 34 °C")
}

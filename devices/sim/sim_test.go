package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type rec struct {
	src Source
	s   monitor.Sample
}

func collect(c *Case, until time.Duration, step time.Duration) []rec {
	var out []rec
	for t := t0; !t.After(t0.Add(until)); t = t.Add(step) {
		c.AdvanceTo(t, func(src Source, s monitor.Sample) { out = append(out, rec{src, s}) })
	}
	c.AdvanceTo(t0.Add(until), func(src Source, s monitor.Sample) { out = append(out, rec{src, s}) })
	return out
}

func TestDeterministic(t *testing.T) {
	a := collect(New(t0, 7), 30*time.Minute, time.Second)
	b := collect(New(t0, 7), 30*time.Minute, 7*time.Second) // step size must not matter
	require.Equal(t, a, b)
	c := collect(New(t0, 8), 30*time.Minute, time.Second)
	assert.NotEqual(t, a, c, "a different seed gives different noise")
}

func TestTimeOrderAndRates(t *testing.T) {
	out := collect(New(t0, 1), CaseLength, time.Second)
	var last int64
	perSource := map[Source]map[int64]bool{}
	for _, r := range out {
		require.GreaterOrEqual(t, r.s.Time, last, "samples must come in time order")
		last = r.s.Time
		require.True(t, r.s.Channel.Valid())
		if perSource[r.src] == nil {
			perSource[r.src] = map[int64]bool{}
		}
		perSource[r.src][r.s.Time] = true
		c := channel.Get(r.s.Channel)
		assert.Truef(t, c.InRange(r.s.Value), "%s = %v out of its plausible range at %v", c.Name, r.s.Value, time.Duration(r.s.Time-t0.UnixNano()))
	}
	n := int(CaseLength / time.Second)
	assert.Equal(t, n+1, len(perSource[Pump]), "pump reports every second")
	assert.Equal(t, n/5+1, len(perSource[NIRS]), "NIRS every 5 s")
	// The in-line monitor starts with the circuit, every 6 s.
	assert.Equal(t, int((CaseLength-OnBypass)/(6*time.Second))+1, len(perSource[Inline]))
	assert.Equal(t, 1+len(actChecks), len(perSource[Manual]), "set-up plus the ACT results")
}

func TestPhases(t *testing.T) {
	c := New(t0, 1)
	latest := map[channel.ID]float64{}
	advance := func(d time.Duration) {
		c.AdvanceTo(t0.Add(d), func(_ Source, s monitor.Sample) { latest[s.Channel] = s.Value })
	}
	advance(10 * time.Minute)
	assert.InDelta(t, 0, latest[channel.PumpFlow], 0.1, "no flow before bypass")
	advance(45 * time.Minute)
	assert.InDelta(t, 2.0*1.956, latest[channel.PumpFlow], 0.15, "flow index 2.0 at 32 °C")
	assert.InDelta(t, coolTarget, latest[channel.TempArterialOutlet], 0.2)
	assert.InDelta(t, 28, latest[channel.InlineHct], 1.5, "haemodiluted by the prime")
	advance(OffBypass - 15*time.Minute)
	assert.InDelta(t, normoTemp, latest[channel.TempArterialOutlet], 0.2, "rewarmed before weaning")
	advance(CaseLength)
	assert.InDelta(t, 0, latest[channel.PumpFlow], 0.1, "off bypass")
}

func TestSources(t *testing.T) {
	names := Sources()
	require.Len(t, names, int(numSources))
	seen := map[string]bool{}
	for _, n := range names {
		assert.NotEmpty(t, n)
		assert.False(t, seen[n])
		seen[n] = true
	}
}

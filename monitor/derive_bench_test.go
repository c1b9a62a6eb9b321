package monitor

import (
	"testing"

	"github.com/pumpside/pumpside/monitor/channel"
)

// BenchmarkDerive is the derived values' share of a publish: resolving every
// role's input and computing every derived channel with its provenance, on
// the benchmark case (every derived value OK). derived/op is how many
// channels that is, so that a change of cost can be told from a change of
// count.
func BenchmarkDerive(b *testing.B) {
	p, now := benchCase(b)
	readings := make([]Reading, channel.Count)
	var prov [NumDerived]Derivation
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p.derive(now, readings, &prov)
	}
	b.ReportMetric(float64(NumDerived), "derived/op")
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		if !readings[id].OK() {
			b.Fatalf("%v not OK: %+v", id, readings[id])
		}
	}
}

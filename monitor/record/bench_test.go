package record

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/stretchr/testify/require"
)

// BenchmarkWriter: samples through the queue, encoding and the group commit
// (write + fsync every 500 ms) to a real file, sustained: the producer
// offers a sample again when the queue is full, so the rate is the
// writer's. The baseline
// in the same run writes and fsyncs every sample on its own.
func BenchmarkWriter(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.case")
	w, err := Open(path, Options{Case: "C-bench", Sources: []string{"", "dev"}})
	require.NoError(b, err)
	chans := []channel.ID{channel.PumpFlow, channel.PumpSpeed, channel.PatientMAP, channel.TempArterialOutlet, channel.InlineVenSO2}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		s := monitor.Sample{Time: t0 + int64(i)*int64(time.Millisecond), Channel: chans[i%len(chans)], Source: 1, Value: 4.5 + float64(i%100)/100}
		for !w.Sample(s) {
			runtime.Gosched()
		}
	}
	require.NoError(b, w.Flush())
	el := time.Since(start)
	b.StopTimer()
	st := w.Status()
	require.NoError(b, w.Close())
	// A refused Sample counts as dropped; the loop offered it again, so
	// every sample is in the file.
	require.Equal(b, uint64(b.N), st.Samples)
	rate := float64(b.N) / el.Seconds()
	b.ReportMetric(rate, "samples/s")

	// Baseline: write + fsync per sample, for a fixed 200 samples.
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "naive.case"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	require.NoError(b, err)
	line := []byte("pump,case=C-bench,source=dev flow=4.5 1772352000000000000\n")
	const n = 200
	bs := time.Now()
	for range n {
		_, err := f.Write(line)
		require.NoError(b, err)
		require.NoError(b, f.Sync())
	}
	base := n / time.Since(bs).Seconds()
	f.Close()
	b.ReportMetric(base, "baseline_samples/s")
	b.ReportMetric(rate/base, "x_baseline")
}

// BenchmarkSampleEncode is the writer goroutine's hot path alone: one
// sample line into the buffer, which must not allocate.
func BenchmarkSampleEncode(b *testing.B) {
	w := &Writer{opt: Options{Case: "C-bench"}}
	w.tab = []names{channel.PumpFlow: {group: "pump", field: "flow", fieldQ: "flow_q"}}
	w.srcs = []string{"", "dev"}
	w.enc.SetBuffer(make([]byte, 0, 1<<20))
	s := monitor.Sample{Time: t0, Channel: channel.PumpFlow, Source: 1, Value: 4.5}
	b.ReportAllocs()
	for i := range b.N {
		if i%10000 == 0 {
			w.enc.Reset()
		}
		s.Time += 1000
		w.sample(&s)
	}
	if w.nSamples != uint64(b.N) {
		b.Fatal("not encoded")
	}
}

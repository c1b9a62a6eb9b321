package devices

import (
	"bytes"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// BenchmarkStamper puts frames of 10 samples through the stamper, 10
// frames a read (a backlog), against putting them to the sink directly:
// the cost of distinct times, per sample.
func BenchmarkStamper(b *testing.B) {
	var n int
	sink := SinkFunc(func(monitor.Sample) bool { n++; return true })
	frame := func(put func(monitor.Sample) bool, t int64) {
		for c := range 10 {
			put(monitor.Sample{Time: t, Channel: channel.ID(1 + c), Value: 1, Quality: channel.OK})
		}
	}
	b.Run("direct", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			frame(sink.Put, int64(i))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(10*b.N), "ns/sample")
	})
	b.Run("stamped", func(b *testing.B) {
		st := newStamper(sink, time.Second, false)
		st.open(bytes.NewReader(nil), 1)
		for i := 0; b.Loop(); i++ {
			if i%10 == 0 {
				st.flush()
				st.readAt = int64(i) * int64(time.Second)
			}
			st.frameOK()
			frame(st.Put, st.readAt)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(10*b.N), "ns/sample")
	})
}

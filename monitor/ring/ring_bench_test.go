package ring

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

type sample struct {
	time  int64
	value float64
	ids   uint64
}

// BenchmarkSPSC moves b.N items from a producer goroutine to a consumer
// through a ring, and the same through a buffered Go channel of the same
// capacity as the baseline; x_channel is the ring's throughput over the
// channel's.
func BenchmarkSPSC(b *testing.B) {
	const size = 4096
	r, _ := New[sample](size)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < b.N; {
			if r.Put(sample{time: int64(i)}) {
				i++
			} else {
				runtime.Gosched()
			}
		}
	}()
	buf := make([]sample, 256)
	for got := 0; got < b.N; {
		n := r.Read(buf)
		if n == 0 {
			runtime.Gosched()
		}
		got += n
	}
	wg.Wait()
	ringTime := time.Since(start)
	b.StopTimer()

	ch := make(chan sample, size)
	start = time.Now()
	go func() {
		for i := 0; i < b.N; i++ {
			ch <- sample{time: int64(i)}
		}
	}()
	for i := 0; i < b.N; i++ {
		<-ch
	}
	chanTime := time.Since(start)
	b.ReportMetric(float64(b.N)/ringTime.Seconds(), "items/s")
	b.ReportMetric(chanTime.Seconds()/ringTime.Seconds(), "x_channel")
}

// BenchmarkPutGet is the uncontended cost of one Put and one Get on one
// goroutine.
func BenchmarkPutGet(b *testing.B) {
	r, _ := New[sample](1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Put(sample{time: int64(i)})
		r.Get()
	}
}

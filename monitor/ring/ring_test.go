package ring

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

func TestNewSize(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 3, 6, 1000, MaxSize + 1, MaxSize * 2} {
		if _, err := New[int](n); !errors.Is(err, ErrSize) {
			t.Errorf("New(%d) error = %v, want ErrSize", n, err)
		}
	}
	for _, n := range []int{2, 4, 1024} {
		r, err := New[int](n)
		if err != nil || r.Cap() != n {
			t.Errorf("New(%d) = cap %d, %v", n, r.Cap(), err)
		}
	}
}

func TestIndicesOnOwnCacheLines(t *testing.T) {
	var r Ring[int64]
	head, tail := unsafe.Offsetof(r.head), unsafe.Offsetof(r.tail)
	buf := unsafe.Offsetof(r.buf)
	if tail-head < cacheLinePad || head-buf < cacheLinePad {
		t.Fatalf("offsets buf %d head %d tail %d: want %d bytes apart", buf, head, tail, cacheLinePad)
	}
	if unsafe.Sizeof(r)-tail < cacheLinePad {
		t.Fatalf("tail at %d of %d: the next object may share its line", tail, unsafe.Sizeof(r))
	}
}

func TestFullDropsAndNeverBlocks(t *testing.T) {
	r, _ := New[int](4)
	for i := range 4 {
		if !r.Put(i) {
			t.Fatalf("Put %d into a ring with room failed", i)
		}
	}
	if r.Put(99) {
		t.Fatal("Put into a full ring succeeded")
	}
	if r.Len() != 4 {
		t.Fatalf("Len = %d, want 4", r.Len())
	}
	for i := range 4 {
		v, ok := r.Get()
		if !ok || v != i {
			t.Fatalf("Get = %d, %v; want %d (the dropped item must not appear)", v, ok, i)
		}
	}
	if _, ok := r.Get(); ok {
		t.Fatal("Get from an empty ring succeeded")
	}
}

func TestReadWraps(t *testing.T) {
	r, _ := New[int](8)
	next, want := 0, 0
	dst := make([]int, 5)
	for round := range 50 {
		for range round%7 + 1 {
			if r.Put(next) {
				next++
			}
		}
		n := r.Read(dst[:round%5+1])
		for _, v := range dst[:n] {
			if v != want {
				t.Fatalf("round %d: read %d, want %d", round, v, want)
			}
			want++
		}
	}
	for n := r.Read(dst); n > 0; n = r.Read(dst) {
		for _, v := range dst[:n] {
			if v != want {
				t.Fatalf("drain: read %d, want %d", v, want)
			}
			want++
		}
	}
	if want != next {
		t.Fatalf("read %d items, put %d", want, next)
	}
	if r.Read(nil) != 0 || r.Read(dst) != 0 {
		t.Fatal("Read from an empty ring returned items")
	}
}

// TestConcurrent runs a producer and a consumer on their own goroutines; under
// -race it checks the memory ordering, and the sequence check catches lost,
// repeated or torn items.
func TestConcurrent(t *testing.T) {
	type item struct{ seq, check uint64 }
	const n = 200_000
	r, _ := New[item](64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(0); i < n; {
			if r.Put(item{i, ^i}) {
				i++
			} else {
				runtime.Gosched()
			}
		}
	}()
	buf := make([]item, 16)
	var want uint64
	for want < n {
		k := 0
		if want%2 == 0 {
			k = r.Read(buf)
		} else if v, ok := r.Get(); ok {
			buf[0], k = v, 1
		}
		if k == 0 {
			runtime.Gosched()
		}
		for _, it := range buf[:k] {
			if it.seq != want || it.check != ^want {
				t.Fatalf("got item %d/%x, want %d", it.seq, it.check, want)
			}
			want++
		}
	}
	wg.Wait()
}

func TestPutDoesNotAllocate(t *testing.T) {
	r, _ := New[[3]int64](16)
	allocs := testing.AllocsPerRun(100, func() {
		r.Put([3]int64{1, 2, 3})
		r.Get()
	})
	if allocs != 0 {
		t.Fatalf("Put+Get allocates %v times", allocs)
	}
}

func TestPeekRelease(t *testing.T) {
	r, _ := New[int](8)
	if a, b := r.Peek(); a != nil || b != nil {
		t.Fatal("Peek on an empty ring")
	}
	next, want := 0, 0
	for round := range 40 {
		for range round%6 + 1 {
			if r.Put(next) {
				next++
			}
		}
		a, b := r.Peek()
		if len(a)+len(b) != r.Len() || (len(a) == 0 && len(b) != 0) {
			t.Fatalf("round %d: Peek %v %v, Len %d", round, a, b, r.Len())
		}
		take := min(len(a)+len(b), round%4+1)
		for i, v := range append(append([]int(nil), a...), b...)[:take] {
			if v != want+i {
				t.Fatalf("round %d: item %d = %d, want %d", round, i, v, want+i)
			}
		}
		r.Release(take)
		want += take
	}
	r.Release(0)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Release beyond Peek did not panic")
			}
		}()
		r.Release(r.Len() + 1)
	}()
}

func TestPeekConcurrent(t *testing.T) {
	const n = 100_000
	r, _ := New[uint64](32)
	go func() {
		for i := uint64(0); i < n; {
			if r.Put(i) {
				i++
			} else {
				runtime.Gosched()
			}
		}
	}()
	for want := uint64(0); want < n; {
		a, b := r.Peek()
		if len(a) == 0 {
			runtime.Gosched()
			continue
		}
		for _, s := range [][]uint64{a, b} {
			for _, v := range s {
				if v != want {
					t.Fatalf("got %d, want %d", v, want)
				}
				want++
			}
		}
		r.Release(len(a) + len(b))
	}
}

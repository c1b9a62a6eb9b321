package devicetest

import (
	"bytes"
	"testing"
	"testing/iotest"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor/channel"
)

// FuzzDecode is the body of a driver's FuzzDecode target:
//
//	func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, "masimo", "testdata") }
//
// It seeds the corpus with the device bytes of every case under dir (beside
// the committed corpus in dir/fuzz/FuzzDecode) and checks, on any input: no
// panic and no error but the end of input; OK samples in range; bad frames
// at increasing offsets inside the input; the same result one byte a read.
func FuzzDecode(f *testing.F, name, dir string) {
	cases, err := Cases(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add(c.Payload())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := devices.New(name)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := Decode(d, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		last := int64(-1)
		for _, b := range rec.Bad {
			if b.Offset <= last || b.Offset >= int64(len(data)) {
				t.Fatalf("bad frame at %d after %d in %d bytes", b.Offset, last, len(data))
			}
			last = b.Offset
		}
		for _, s := range rec.Samples {
			if s.Quality == channel.OK && !channel.Get(s.Channel).InRange(s.Value) {
				t.Fatalf("%v = %v OK but out of range", s.Channel, s.Value)
			}
		}
		d2, _ := devices.New(name)
		rec2, err := Decode(d2, iotest.OneByteReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		if rec.JSONL(name) != rec2.JSONL(name) || rec.Frames() != rec2.Frames() {
			t.Fatalf("one byte a read differs:\n%s\n%s", rec.Frames(), rec2.Frames())
		}
	})
}

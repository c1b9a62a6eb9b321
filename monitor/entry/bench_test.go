package entry

import (
	"slices"
	"testing"
	"time"
)

// A 12-hour case: an entry a minute (720) and an edit for one in ten.
func benchCase() []Entry {
	var evs []Entry
	for i := range 720 {
		e := drug("heparin", 1000, "IU")
		e.Time = at(time.Duration(i) * time.Minute)
		evs = append(evs, e)
	}
	for i := 0; i < 720; i += 10 {
		ed := Edit{Target: at(time.Duration(i) * time.Minute), At: at(time.Duration(i)*time.Minute + 30*time.Second), Num: map[string]float64{"dose": 2000}}
		evs = append(evs, fromEvent(ed.Event("edit")))
	}
	return evs
}

// BenchmarkResolve against the baseline of what any reader does anyway:
// copying the entries and sorting them by time.
func BenchmarkResolve(b *testing.B) {
	evs := benchCase()
	b.Run("resolve", func(b *testing.B) {
		for b.Loop() {
			cur, _ := Resolve(evs)
			if len(cur) != 720 {
				b.Fatal(len(cur))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(evs)), "ns/event")
	})
	b.Run("baseline-copy-sort", func(b *testing.B) {
		for b.Loop() {
			c := make([]Entry, len(evs))
			for i, e := range evs {
				c[i] = e.Clone()
			}
			slices.SortStableFunc(c, func(x, y Entry) int { return cmp64(x.Time, y.Time) })
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(evs)), "ns/event")
	})
}

func BenchmarkValidate(b *testing.B) {
	e := drug("heparin", 30000, "IU")
	for b.Loop() {
		if err := Validate(e, caseStart, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/entry")
}

package central

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/central/influxdtest"
	"github.com/pumpside/pumpside/monitor/channel"
)

// The benchmark's department: PUMPSIDE_CENTRAL_BENCH_THEATRES theatres (20)
// of PUMPSIDE_CENTRAL_BENCH_HOURS hours (12) each, at the rate a console
// records: the simulator's samples (every device at its own rate), the
// derived values every second, a live-state line every 5 s. Two theatres
// stopped an hour before the end. The data is built once and kept in
// .cache/central-bench-<T>x<H>h (git-ignored): building it takes minutes.
func benchScale() (theatres, hours int) {
	theatres, hours = 20, 12
	if v, err := strconv.Atoi(os.Getenv("PUMPSIDE_CENTRAL_BENCH_THEATRES")); err == nil && v > 0 {
		theatres = v
	}
	if v, err := strconv.Atoi(os.Getenv("PUMPSIDE_CENTRAL_BENCH_HOURS")); err == nil && v > 0 {
		hours = v
	}
	return theatres, hours
}

type benchData struct {
	srv   *influxdtest.Server
	now   time.Time
	lines int64
}

func repoRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// benchServer starts the server on the department's data, building it the
// first time.
func benchServer(b *testing.B) *benchData {
	b.Helper()
	theatres, hours := benchScale()
	dir := filepath.Join(repoRoot(), ".cache", fmt.Sprintf("central-bench-%dx%dh", theatres, hours))
	marker := filepath.Join(dir, "complete")
	if m, err := os.ReadFile(marker); err == nil {
		f := strings.Fields(string(m))
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		n, _ := strconv.ParseInt(f[1], 10, 64)
		srv := influxdtest.Start(b, "pumpside", influxdtest.Options{Dir: dir})
		return &benchData{srv: srv, now: time.Unix(0, ns), lines: n}
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	srv := influxdtest.Start(b, "pumpside", influxdtest.Options{Dir: dir})
	now := time.Now().Truncate(time.Second)
	start := now.Add(-time.Duration(hours) * time.Hour)
	t0 := time.Now()
	var total int64
	for i := range theatres {
		end := now
		if i >= theatres-2 {
			end = now.Add(-time.Hour) // stopped: "no data"
		}
		n, err := writeTheatre(srv, i, start, end)
		if err != nil {
			b.Fatal(err)
		}
		total += n
		b.Logf("theatre %d/%d: %d lines (%.0f s so far)", i+1, theatres, n, time.Since(t0).Seconds())
	}
	b.Logf("wrote %d lines (%d theatres × %d h) in %.0f s", total, theatres, hours, time.Since(t0).Seconds())
	if err := os.WriteFile(marker, fmt.Appendf(nil, "%d %d\n", now.UnixNano(), total), 0o600); err != nil {
		b.Fatal(err)
	}
	return &benchData{srv: srv, now: now, lines: total}
}

// writeTheatre writes one theatre's case to the server: the simulator's
// case file, the derived values and the live lines a console adds.
func writeTheatre(srv *influxdtest.Server, i int, start, end time.Time) (int64, error) {
	sc, err := sim.Builtin("routine-cabg")
	if err != nil {
		return 0, err
	}
	caseID := fmt.Sprintf("C-bench-%02d", i+1)
	theatre := fmt.Sprintf(`Theatre\ %02d`, i+1)
	var file bytes.Buffer
	if err := sim.WriteCaseFile(&file, sim.NewScenario(sc, start, uint64(i+1)), caseID, end); err != nil {
		return 0, err
	}
	var batch bytes.Buffer
	var n int64
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		err := srv.Write("pumpside", batch.Bytes())
		batch.Reset()
		return err
	}
	add := func(line []byte) error {
		batch.Write(line)
		batch.WriteByte('\n')
		n++
		if batch.Len() > 8<<20 {
			return flush()
		}
		return nil
	}
	// The console's own lines, a second at a time, merged in time order
	// with the simulator's (the server does not care; the batches stay
	// small in time).
	derived := []string{}
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		derived = append(derived, channel.Get(id).Field())
	}
	next := start
	console := func(upTo time.Time) error {
		for ; !next.After(upTo); next = next.Add(time.Second) {
			ts := next.UnixNano()
			sec := int(next.Sub(start) / time.Second)
			for k, f := range derived {
				if err := add(fmt.Appendf(nil, "derived,case=%s,source=pumpside %s=%g %d", caseID, f, 1+float64((sec+k)%97)/10, ts)); err != nil {
					return err
				}
			}
			if sec%5 == 0 {
				line := fmt.Appendf(nil, `live,case=%s,theatre=%s phase="bypass",phase_text="On bypass",clamp=false,case_s=%d,bypass_s=%d,clamp_s=0,arrest_s=0,do2i_threshold=280,highest="none",alarm_count=0i,alarms="[]" %d`,
					caseID, theatre, sec, sec, ts)
				if err := add(line); err != nil {
					return err
				}
			}
		}
		return nil
	}
	sc2 := bufio.NewScanner(&file)
	sc2.Buffer(make([]byte, 1<<20), 1<<20)
	for sc2.Scan() {
		line := sc2.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sp := bytes.LastIndexByte(line, ' ')
		if ts, err := strconv.ParseInt(string(line[sp+1:]), 10, 64); err == nil {
			if err := console(time.Unix(0, ts)); err != nil {
				return n, err
			}
		}
		if err := add(line); err != nil {
			return n, err
		}
	}
	if err := console(end); err != nil {
		return n, err
	}
	return n, flush()
}

// BenchmarkCentral measures the department view's queries against the
// department's data. "refresh" alternates the two kinds of page refresh,
// so that they share the machine's load: the ordinary refresh (the recent
// window, the theatres known) and the refresh that also reads the
// theatres, as one in 15 does (every 30 s: only since the read before,
// less LateLines, one field). "baseline-theatres-12h" is that refresh as
// it was, reading the theatres' whole lines over the whole 12 h (on its
// own: the load it leaves behind would slow the next query). Then a
// theatre's trends, and two more baselines: the cheapest Flux round trip
// this server answers, and the page's query over the whole 12 h instead of
// the recent window.
func BenchmarkCentral(b *testing.B) {
	bench := benchServer(b)
	theatres, hours := benchScale()
	client := influxdb2.NewClientWithOptions(bench.srv.URL(), "", influxdb2.DefaultOptions().SetHTTPRequestTimeout(300))
	defer client.Close()
	qapi := client.QueryAPI("")
	ctx := context.Background()
	newStore := func(o Options) *Store {
		o.Bucket = "pumpside/autogen"
		st, err := NewStore(qapi, o)
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	now := bench.now
	b.Logf("data: %d theatres × %d h, %d lines", theatres, hours, bench.lines)
	// page times one refresh at now, after setup, checking it has every
	// theatre; its JSON is part of the refresh.
	page := func(b *testing.B, st *Store, setup func()) time.Duration {
		setup()
		start := time.Now()
		p, err := st.Page(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		if len(p.Theatres) != theatres {
			b.Fatalf("%d tiles, want %d", len(p.Theatres), theatres)
		}
		return d
	}
	ordinary := func() {}
	report := func(b *testing.B, total, worst time.Duration, unit string) {
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/"+unit)
		b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms/"+unit)
	}

	b.Run("refresh", func(b *testing.B) {
		st := newStore(Options{})
		p, err := st.Page(ctx, now) // reads the whole lookback once
		if err != nil {
			b.Fatal(err)
		}
		running := 0
		for _, tl := range p.Theatres {
			if !tl.NoData {
				running++
			}
		}
		if len(p.Theatres) != theatres || running != theatres-2 {
			b.Fatalf("%d tiles, %d running, want %d and %d", len(p.Theatres), running, theatres, theatres-2)
		}
		theatresDue := func() { st.mu.Lock(); st.seenAt = now.Add(-st.opt.LookbackEvery); st.mu.Unlock() }
		var total, worst [2]time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for k := range 2 {
				k = (k + i) % 2 // each first in turn
				setup := ordinary
				if k == 1 {
					setup = theatresDue
				}
				d := page(b, st, setup)
				total[k] += d
				worst[k] = max(worst[k], d)
			}
		}
		report(b, total[0], worst[0], "refresh")
		report(b, total[1], worst[1], "refresh+theatres")
	})
	b.Run("baseline-theatres-12h", func(b *testing.B) {
		st := newStore(Options{})
		whole := func() { st.mu.Lock(); st.seen = nil; st.mu.Unlock() }
		var total, worst time.Duration
		for i := 0; i < b.N; i++ {
			d := page(b, st, whole)
			total += d
			worst = max(worst, d)
		}
		report(b, total, worst, "refresh+theatres")
	})
	b.Run("trends", func(b *testing.B) {
		st := newStore(Options{})
		if _, err := st.Page(ctx, now); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < b.N; i++ {
			tr, ok, err := st.Trends(ctx, "Theatre 01", now)
			if err != nil || !ok {
				b.Fatal(err, ok)
			}
			if _, err := json.Marshal(tr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/theatre")
	})
	b.Run("baseline-roundtrip", func(b *testing.B) {
		q := fmt.Sprintf(`from(bucket: "pumpside/autogen") |> range(start: %s, stop: %s) |> filter(fn: (r) => r._measurement == "live" and r.case == "C-bench-01" and r._field == "phase") |> last()`,
			fluxTime(now.Add(-10*time.Second)), fluxTime(now.Add(time.Second)))
		start := time.Now()
		for i := 0; i < b.N; i++ {
			res, err := qapi.Query(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			for res.Next() {
			}
			res.Close()
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/query")
	})
	b.Run("baseline-whole-range", func(b *testing.B) {
		st := newStore(Options{Recent: time.Duration(hours) * time.Hour})
		if _, err := st.Page(ctx, now); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := st.Page(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/refresh")
	})
}

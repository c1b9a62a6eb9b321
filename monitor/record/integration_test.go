package record

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/stretchr/testify/require"
)

var simStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func simOpts(caseID string) Options {
	return Options{Case: caseID, Sources: append([]string{""}, sim.Sources()...)}
}

// recordSim records the simulated case up to t, with an event and an alarm
// transition every minute of case time.
func recordSim(t testing.TB, w *Writer, c *sim.Case, to time.Time) {
	t.Helper()
	c.AdvanceTo(to, func(src sim.Source, s monitor.Sample) {
		s.Source = monitor.SourceID(src + 1)
		for !w.Sample(s) {
			time.Sleep(time.Millisecond)
		}
		if s.Channel == channel.PumpFlow && (s.Time/1e9)%60 == 0 { // once a minute, on the pump's flow
			require.NoError(t, w.AddEvent(Event{Time: s.Time, Kind: KindNote, Text: "minute " + strconv.FormatInt(s.Time/6e10, 10), Fields: []Field{Num("flow", s.Value)}}))
			w.LogAlarm(alarms.Entry{Transition: alarms.Transition{Time: s.Time, Alarm: "map_low", State: alarms.Pending, Priority: alarms.Medium, Value: s.Value, Limit: 50}})
		}
	})
}

// filePoints reads every field value of a case file as InfluxDB would
// store it: "measurement|tags|field|time" -> value.
func filePoints(t testing.TB, path string) (map[string]string, int) {
	t.Helper()
	f, err := OpenRun(path) // a long run: all its segments
	require.NoError(t, err)
	defer f.Close()
	r := NewReader(f)
	r.OnBadLine = func(e *LineError) { t.Errorf("bad line: %v", e) }
	pts := map[string]string{}
	lines := 0
	for r.Next() {
		lines++
		e := r.Entry()
		var tags []string
		for _, tg := range e.Tags {
			tags = append(tags, string(tg.Key)+"="+string(tg.Value))
		}
		sort.Strings(tags)
		for _, fv := range e.Fields {
			if strings.HasPrefix(string(fv.Key), IdentPrefix) {
				continue
			}
			k := string(e.Measurement) + "|" + strings.Join(tags, ",") + "|" + string(fv.Key) + "|" + strconv.FormatInt(e.Time, 10)
			var v string
			if fv.Value.Kind() == lineprotocol.String {
				v = "s:" + fv.Value.StringV()
			} else {
				v = strconv.FormatFloat(numeric(fv.Value), 'g', -1, 64)
			}
			if old, dup := pts[k]; dup && old != v {
				t.Fatalf("the file holds two values for %s", k)
			}
			pts[k] = v
		}
	}
	require.NoError(t, r.Err())
	return pts, lines
}

// dbPoints reads every field value of a database back with InfluxQL.
func dbPoints(t testing.TB, s *influxd, db string) map[string]string {
	t.Helper()
	pts := map[string]string{}
	res := s.query(db, `SELECT * FROM /.*/ GROUP BY *`)
	for _, r := range res.Results {
		for _, se := range r.Series {
			var tags []string
			for k, v := range se.Tags {
				if v != "" {
					tags = append(tags, k+"="+v)
				}
			}
			sort.Strings(tags)
			for _, row := range se.Values {
				ts := string(row[0].(json.Number))
				for i, col := range se.Columns[1:] {
					var v string
					switch x := row[i+1].(type) {
					case nil:
						continue
					case json.Number:
						f, err := strconv.ParseFloat(string(x), 64)
						require.NoError(t, err)
						v = strconv.FormatFloat(f, 'g', -1, 64)
					case string:
						v = "s:" + x
					default:
						t.Fatalf("unexpected value %T %v", x, x)
					}
					pts[se.Name+"|"+strings.Join(tags, ",")+"|"+col+"|"+ts] = v
				}
			}
		}
	}
	return pts
}

// comparePoints requires the database to hold exactly the file's points.
func comparePoints(t *testing.T, file, db map[string]string) {
	t.Helper()
	missing, extra, differ := 0, 0, 0
	for k, v := range file {
		dv, ok := db[k]
		switch {
		case !ok:
			if missing < 5 {
				t.Errorf("missing in InfluxDB: %s", k)
			}
			missing++
		case dv != v:
			if differ < 5 {
				t.Errorf("%s: file %s, InfluxDB %s", k, v, dv)
			}
			differ++
		}
	}
	for k := range db {
		if _, ok := file[k]; !ok {
			if extra < 5 {
				t.Errorf("in InfluxDB, not in the file: %s", k)
			}
			extra++
		}
	}
	require.Zero(t, missing+extra+differ, "missing %d, extra %d, different %d of %d", missing, extra, differ, len(file))
}

func shipOpts(s *influxd, db string) ShipperOptions {
	return ShipperOptions{Config: Config{URL: s.URL(), Bucket: db + "/autogen"}, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Poll: 20 * time.Millisecond, Timeout: 5 * time.Second}
}

// runShipper runs a shipper until stop is called.
func runShipper(t *testing.T, path string, opt ShipperOptions) (*Shipper, func()) {
	sh, err := NewShipper(path, opt)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() { defer wg.Done(); runErr = sh.Run(ctx) }()
	stop := func() {
		cancel()
		wg.Wait()
		sh.Close()
		require.NoError(t, runErr)
	}
	return sh, stop
}

func waitShipped(t *testing.T, sh *Shipper, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	deadline := time.Now().Add(60 * time.Second)
	for sh.Status().Cursor != fi.Size() {
		if time.Now().After(deadline) {
			t.Fatalf("not shipped after 60 s: %+v (file %d bytes)", sh.Status(), fi.Size())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestShipSimCaseToInfluxDB(t *testing.T) {
	db := "pumpside"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/sim.case"
	w, err := Open(path, simOpts("C-sim-1"))
	require.NoError(t, err)
	require.NoError(t, w.SetMeta(Meta{Time: simStart.UnixNano(), HeightCm: 175, WeightKg: 80, AgeYears: 64, Sex: "male",
		Constants: physio.DefaultConstants(), Identifiers: map[string]string{"name": "Jane Doe", "hospital_number": "H123"}}))
	recordSim(t, w, sim.New(simStart, 1), simStart.Add(20*time.Minute))
	require.NoError(t, w.Close())

	sh, stop := runShipper(t, path, shipOpts(s, db))
	waitShipped(t, sh, path)
	stop()
	st := sh.Status()
	require.Zero(t, st.Quarantined)
	cur, err := ReadCursor(path)
	require.NoError(t, err)
	require.Equal(t, st.Cursor, cur, "the cursor is persisted")

	file, lines := filePoints(t, path)
	require.Greater(t, len(file), 20000)
	require.Equal(t, uint64(lines), st.Lines, "every line sent once")
	got := dbPoints(t, s, db)
	for k := range got {
		require.NotContains(t, k, "ident_", "identifiers never leave the machine")
	}
	for k := range file {
		if strings.Contains(k, "|ident_") {
			delete(file, k)
		}
	}
	comparePoints(t, file, got)

	// The same through Flux: the count of pump.flow points.
	want := 0
	for k := range file {
		if strings.HasPrefix(k, "pump|") && strings.Contains(k, "|flow|") {
			want++
		}
	}
	csv, err := s.flux(`from(bucket: "` + db + `/autogen") |> range(start: 2026-03-01T00:00:00Z, stop: 2026-03-02T00:00:00Z) |> filter(fn: (r) => r._measurement == "pump" and r._field == "flow") |> count()`)
	require.NoError(t, err)
	require.Contains(t, csv, ","+strconv.Itoa(want)+"\r\n", "Flux count of pump.flow, want %d:\n%s", want, csv)
}

// TestShipAcrossOutage records while the server is down for ten minutes of
// case time, restarts it, and requires the database to hold exactly the
// file: zero lost and zero duplicated points, every line accepted once.
func TestShipAcrossOutage(t *testing.T) {
	db := "outage"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/outage.case"
	w, err := Open(path, simOpts("C-outage"))
	require.NoError(t, err)
	c := sim.New(simStart, 2)
	sh, stop := runShipper(t, path, shipOpts(s, db))

	recordSim(t, w, c, simStart.Add(20*time.Minute))
	require.NoError(t, w.Flush())
	waitShipped(t, sh, path)

	s.stop()
	before := sh.Status()
	recordSim(t, w, c, simStart.Add(30*time.Minute)) // ten minutes of case time with no server
	require.NoError(t, w.Flush())
	waitFor(t, "the shipper to fail", func() bool { return sh.Status().Failures > before.Failures+2 })
	st := sh.Status()
	require.True(t, st.Retrying)
	require.Error(t, st.LastErr)
	require.Less(t, st.Cursor, mustSize(t, path), "the cursor waits for the server")

	s.start()
	recordSim(t, w, c, simStart.Add(40*time.Minute))
	require.NoError(t, w.Close())
	waitShipped(t, sh, path)
	stop()
	st = sh.Status()
	require.False(t, st.Retrying)
	require.Zero(t, st.Quarantined)

	file, lines := filePoints(t, path)
	require.Equal(t, uint64(lines), st.Lines, "every line accepted exactly once: no batch sent twice")
	comparePoints(t, file, dbPoints(t, s, db))
}

func mustSize(t testing.TB, path string) int64 {
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// TestShipQuarantinesRefusedBatch: a batch the server refuses (a field
// type conflict, 400) goes to the quarantine file, is counted, and the
// shipper goes on.
func TestShipQuarantinesRefusedBatch(t *testing.T) {
	db := "refused"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/refused.case"
	ts := simStart.UnixNano()
	first := "pump,case=C,source=a flow=4.5 " + strconv.FormatInt(ts, 10) + "\n"
	bad := `pump,case=C,source=a flow="four" ` + strconv.FormatInt(ts+1, 10) + "\n"
	require.NoError(t, os.WriteFile(path, []byte(first), 0o600))
	opt := shipOpts(s, db)
	sh, stop := runShipper(t, path, opt)
	waitShipped(t, sh, path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(bad)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	waitShipped(t, sh, path)
	_, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	stop()
	st := sh.Status()
	require.Equal(t, uint64(1), st.Quarantined)
	require.Error(t, st.LastErr)
	q, err := os.ReadFile(QuarantinePath(path))
	require.NoError(t, err)
	require.Contains(t, string(q), "# refused with status 400")
	require.True(t, strings.HasSuffix(string(q), bad))
	require.Equal(t, uint64(1), st.Lines)
	got := dbPoints(t, s, db)
	require.Equal(t, map[string]string{"pump|case=C,source=a|flow|" + strconv.FormatInt(ts, 10): "4.5"}, got)
}

// BenchmarkShipperCatchUp ships an hour of the simulated case to a fresh
// database from a zero cursor: the catch-up after an outage.
func BenchmarkShipperCatchUp(b *testing.B) {
	s := startInfluxd(b, "bench0")
	path := b.TempDir() + "/hour.case"
	w, err := Open(path, simOpts("C-bench"))
	require.NoError(b, err)
	const caseLen = time.Hour
	recordSim(b, w, sim.New(simStart, 3), simStart.Add(caseLen))
	require.NoError(b, w.Close())
	size := mustSize(b, path)
	var total time.Duration
	var lines uint64
	b.ResetTimer()
	for i := range b.N {
		db := "bench" + strconv.Itoa(i+1)
		s.query("", "CREATE DATABASE "+db)
		os.Remove(CursorPath(path))
		opt := ShipperOptions{Config: Config{URL: s.URL(), Bucket: db + "/autogen"}, Poll: time.Millisecond}
		sh, err := NewShipper(path, opt)
		require.NoError(b, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start := time.Now()
		go func() { _ = sh.Run(ctx); close(done) }()
		for sh.Status().Cursor != size {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		lines += sh.Status().Lines
		cancel()
		<-done
		sh.Close()
	}
	b.StopTimer()
	sec := total.Seconds() / float64(b.N)
	b.ReportMetric(caseLen.Seconds()/sec, "x_realtime")
	b.ReportMetric(float64(lines)/total.Seconds(), "lines/s")
	b.ReportMetric(math.Round(float64(size)/float64(b.N)), "bytes/case")

}

// TestShipQuarantinesOnMissingDatabase: 404 (no such database) is a 4xx
// other than 429: the shipper sets the batch aside in the quarantine file,
// raises the condition and moves the cursor on. Once the database exists,
// the quarantine file written to the server as it is (comment lines
// included) puts every point in: nothing was lost.
func TestShipQuarantinesOnMissingDatabase(t *testing.T) {
	s := startInfluxd(t, "other")
	path := t.TempDir() + "/late.case"
	lines := "pump,case=C,source=a flow=4.5 1772352000000000000\npump,case=C,source=a flow=4.6 1772352001000000000\n"
	require.NoError(t, os.WriteFile(path, []byte(lines), 0o600))
	sh, stop := runShipper(t, path, shipOpts(s, "late"))
	waitShipped(t, sh, path)
	stop()
	st := sh.Status()
	require.Positive(t, st.Quarantined)
	require.ErrorContains(t, st.LastErr, "database not found")
	require.Zero(t, st.Lines, "nothing reached the server")
	q, err := os.ReadFile(QuarantinePath(path))
	require.NoError(t, err)
	require.Contains(t, string(q), "# refused with status 404")
	require.Contains(t, string(q), lines)

	s.query("", "CREATE DATABASE late")
	resp, err := http.Post(s.URL()+"/write?db=late", "text/plain", bytes.NewReader(q))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Len(t, dbPoints(t, s, "late"), 2)
}

// The end of a case reaches the server: a console stops its following
// shipper, closes its record (the last lines are written only then) and
// drains; everything up to the file's end is on the server (issue 22). A
// second shipper of the same file is refused while one ships it, and a
// drain against a server that is down ends at its deadline with the cursor
// short of the end, for the next drain to finish.
func TestShipDrainTakesTheCaseEnd(t *testing.T) {
	db := "drain"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/drain.case"
	w, err := Open(path, simOpts("C-drain"))
	require.NoError(t, err)
	c := sim.New(simStart, 4)
	sh, stop := runShipper(t, path, shipOpts(s, db))
	recordSim(t, w, c, simStart.Add(10*time.Minute))
	require.NoError(t, w.Flush())
	waitShipped(t, sh, path)

	busy, err := NewShipper(path, shipOpts(s, db))
	require.NoError(t, err)
	require.ErrorIs(t, busy.Drain(context.Background()), ErrBusy, "one shipper per case file")
	busy.Close()

	recordSim(t, w, c, simStart.Add(12*time.Minute))
	stop()                        // the console's Ctrl-C: the following shipper stops first...
	require.NoError(t, w.Close()) // ...the record's last lines are written after it
	cur, size, err := Behind(path)
	require.NoError(t, err)
	require.Less(t, cur, size, "the tail is not on the server yet")

	s.stop()
	down, err := NewShipper(path, shipOpts(s, db))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	require.ErrorIs(t, down.Drain(ctx), context.DeadlineExceeded, "server down: the drain ends at its deadline")
	cancel()
	down.Close()
	cur2, _, err := Behind(path)
	require.NoError(t, err)
	require.Equal(t, cur, cur2, "nothing shipped, nothing lost")

	s.start()
	d, err := NewShipper(path, shipOpts(s, db))
	require.NoError(t, err)
	require.NoError(t, d.Drain(context.Background()))
	d.Close()
	cur, size, err = Behind(path)
	require.NoError(t, err)
	require.Equal(t, size, cur, "drained to the end")
	file, _ := filePoints(t, path)
	comparePoints(t, file, dbPoints(t, s, db))
}

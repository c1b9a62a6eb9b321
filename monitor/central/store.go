package central

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

// Querier runs Flux: an influxdb-client-go QueryAPI.
type Querier interface {
	Query(ctx context.Context, flux string) (*api.QueryTableResult, error)
}

// Options configure a Store.
type Options struct {
	// Bucket is the shipper's bucket ("database/retention-policy" on 1.8).
	Bucket string
	// Recent is the window the page's refresh reads; default 2 min. Every
	// tile value's MaxAge must fit in it.
	Recent time.Duration
	// Lookback is how long a theatre that stopped sending stays on the
	// page (marked no data); default 12 h. It is read whole once, at the
	// first page.
	Lookback time.Duration
	// LookbackEvery is how often the theatres are read again, incrementally:
	// the newest phase of each case since the last read, less LateLines;
	// default 30 s.
	LookbackEvery time.Duration
	// LateLines is how late a live line may reach the database and still
	// be read by the incremental reads (a shipper catching up after an
	// outage sends old lines); default 10 min. A later one is read at the
	// next start.
	LateLines time.Duration
	// NoDataAfter: a theatre with nothing newer is "no data"; default 15 s
	// (three live-state heartbeats).
	NoDataAfter time.Duration
	// Allowance is the transport delay allowed on top of a channel's
	// freshness (the record's group commit, the shipper's poll, the page's
	// refresh); default 5 s.
	Allowance time.Duration
	// Trend is the span of a theatre's trends (default 1 h), Step their
	// resolution (default 10 s).
	Trend, Step time.Duration
}

func (o *Options) defaults() error {
	if o.Bucket == "" {
		return errors.New("central: no bucket")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Recent, 2*time.Minute)
	def(&o.Lookback, 12*time.Hour)
	def(&o.LookbackEvery, 30*time.Second)
	def(&o.LateLines, 10*time.Minute)
	def(&o.NoDataAfter, 15*time.Second)
	def(&o.Allowance, 5*time.Second)
	def(&o.Trend, time.Hour)
	def(&o.Step, 10*time.Second)
	for _, id := range TileChannels {
		if a := maxAge(channel.Get(id), o.Allowance); a > o.Recent {
			return fmt.Errorf("central: the recent window %v is shorter than %s's %v", o.Recent, id, a)
		}
	}
	return nil
}

// Store reads the department view from InfluxDB: see the package
// documentation. Page and Trends are safe for concurrent use.
type Store struct {
	q   Querier
	opt Options

	mu sync.Mutex
	// seen are the live series of the lookback, by case, kept current by
	// every read; seenAt when the theatres were last read (the whole
	// lookback the first time, then since the read before).
	seen   map[string]liveRow
	seenAt time.Time
	// cases maps a tile key to its case, from the last page.
	cases map[string]string
}

// NewStore returns a store reading through q.
func NewStore(q Querier, opt Options) (*Store, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	return &Store{q: q, opt: opt, cases: map[string]string{}}, nil
}

// Options returns the store's options, defaults filled in.
func (s *Store) Options() Options { return s.opt }

// fluxString quotes s as a Flux string literal.
func fluxString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func fluxTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// channelFilter is a Flux predicate for the channels' value and quality
// fields.
func channelFilter(ids []channel.ID) string {
	groups := map[string][]string{}
	var order []string
	for _, id := range ids {
		c := channel.Get(id)
		g, f := c.Group(), c.Field()
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], f)
	}
	var parts []string
	for _, g := range order {
		var fs []string
		for _, f := range groups[g] {
			fs = append(fs, "r._field == "+fluxString(f), "r._field == "+fluxString(f+record.QualitySuffix))
		}
		parts = append(parts, fmt.Sprintf("(r._measurement == %s and (%s))", fluxString(g), strings.Join(fs, " or ")))
	}
	return strings.Join(parts, " or ")
}

// aheadWindow is how far past now the queries read: a console whose clock
// runs ahead is seen, and said so, instead of missing.
const aheadWindow = 24 * time.Hour

// RecentQuery is the Flux of a page refresh: the newest point of every
// tile field and of every live-state field, per series, of the window
// ending at now.
func (s *Store) RecentQuery(now time.Time) string {
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s or %s)
  |> last()
  |> keep(columns: ["_time", "_value", "_field", "_measurement", "case", "source", "theatre"])`,
		fluxString(s.opt.Bucket), fluxTime(now.Add(-s.opt.Recent)), fluxTime(now.Add(aheadWindow)),
		fluxString(record.MeasurementLive), channelFilter(TileChannels))
}

// LookbackQuery is the Flux of the theatres of the lookback, read at the
// first page: the newest live line of each, whole.
func (s *Store) LookbackQuery(now time.Time) string {
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s)
  |> last()
  |> keep(columns: ["_time", "_value", "_field", "_measurement", "case", "theatre"])`,
		fluxString(s.opt.Bucket), fluxTime(now.Add(-s.opt.Lookback)), fluxTime(now.Add(aheadWindow)), fluxString(record.MeasurementLive))
}

// TheatresQuery is the Flux of the theatres seen since start, read every
// LookbackEvery after the first page: the newest live line of each, its
// phase field only. That is all a tile with no data shows (its theatre, its
// case, the time of its last data); a running theatre's whole line comes
// with every refresh. One field is a twelfth of the line's series; it costs
// about the floor round trip (docs/central.md, "Scale").
func (s *Store) TheatresQuery(start, now time.Time) string {
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == %s and r._field == "phase")
  |> last()
  |> keep(columns: ["_time", "_value", "_field", "_measurement", "case", "theatre"])`,
		fluxString(s.opt.Bucket), fluxTime(start), fluxTime(now.Add(aheadWindow)), fluxString(record.MeasurementLive))
}

// theatresDue says whether the page at now reads the theatres, and how:
// whole, the lookback's whole lines (the first page, a clock that went
// back, a last read older than the lookback), else since start, the last
// read less LateLines, every LookbackEvery. Reading the whole 12 h cost a
// refresh several times its own query (docs/central.md, "Scale").
func (s *Store) theatresDue(now time.Time) (start time.Time, whole, due bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	full := now.Add(-s.opt.Lookback)
	switch {
	case s.seen == nil || now.Before(s.seenAt):
		return full, true, true
	case now.Sub(s.seenAt) < s.opt.LookbackEvery:
		return time.Time{}, false, false
	}
	if since := s.seenAt.Add(-s.opt.LateLines); since.After(full) {
		return since, false, true
	}
	return full, true, true
}

// liveRow is the newest live line of a case, as the database returns it
// field by field.
type liveRow struct {
	caseID, theatre string
	t               int64 // ns, the newest field's time
	fields          map[string]any
	times           map[string]int64
}

// line returns the fields of the newest line only: a field whose newest
// point is older belongs to an older line (a console of another version).
func (r *liveRow) line() record.Live {
	get := func(k string) any {
		if r.times[k] == r.t {
			return r.fields[k]
		}
		return nil
	}
	str := func(k string) string { s, _ := get(k).(string); return s }
	num := func(k string) float64 {
		switch v := get(k).(type) {
		case float64:
			return v
		case int64:
			return float64(v)
		case uint64:
			return float64(v)
		}
		return math.NaN()
	}
	l := record.Live{Time: r.t, Theatre: r.theatre, Phase: str("phase"), PhaseText: str("phase_text"), DO2iThreshold: num("do2i_threshold")}
	l.Clamp, _ = get("clamp").(bool)
	secs := func(k string) time.Duration {
		if v := num(k); !math.IsNaN(v) {
			return time.Duration(v * 1e9)
		}
		return 0
	}
	l.Case, l.Bypass, l.ClampTime = secs("case_s"), secs("bypass_s"), secs("clamp_s")
	if as, err := record.ParseLiveAlarms(str("alarms")); err == nil {
		l.Alarms = as
	} else if str("highest") != "" && str("highest") != "none" {
		// The list is unreadable but the console had an alarm: say so
		// rather than show none.
		l.Alarms = []record.LiveAlarm{{ID: "unreadable", Priority: str("highest"), State: "active", Text: "Alarm list unreadable: see the console"}}
	}
	l.AlarmCount = max(len(l.Alarms), int(finiteOr0(num("alarm_count"))))
	return l
}

// result is what a refresh read, by case.
type result struct {
	live   map[string]*liveRow
	points map[string]map[string][]point // case -> channel -> by source
	newest map[string]int64              // case -> newest time of anything
}

func newResult() *result {
	return &result{live: map[string]*liveRow{}, points: map[string]map[string][]point{}, newest: map[string]int64{}}
}

// read runs a query and sorts its records into res.
func (s *Store) read(ctx context.Context, flux string, res *result) error {
	tr, err := s.q.Query(ctx, flux)
	if err != nil {
		return err
	}
	defer tr.Close()
	for tr.Next() {
		rec := tr.Record()
		caseID, _ := rec.ValueByKey(record.TagCase).(string)
		if caseID == "" {
			continue
		}
		t := rec.Time().UnixNano()
		res.newest[caseID] = max(res.newest[caseID], t)
		m, f := rec.Measurement(), rec.Field()
		if m == record.MeasurementLive {
			lr := res.live[caseID]
			if lr == nil {
				lr = &liveRow{caseID: caseID, fields: map[string]any{}, times: map[string]int64{}}
				res.live[caseID] = lr
			}
			if th, _ := rec.ValueByKey(record.TagTheatre).(string); th != "" && t >= lr.t {
				lr.theatre = th
			}
			lr.t = max(lr.t, t)
			if t >= lr.times[f] {
				lr.fields[f], lr.times[f] = rec.Value(), t
			}
			continue
		}
		src, _ := rec.ValueByKey(record.TagSource).(string)
		base, isQ := strings.CutSuffix(f, record.QualitySuffix)
		name := m + "." + base
		chans := res.points[caseID]
		if chans == nil {
			chans = map[string][]point{}
			res.points[caseID] = chans
		}
		ps := chans[name]
		i := -1
		for j := range ps {
			if ps[j].source == src {
				i = j
			}
		}
		if i < 0 {
			ps = append(ps, point{source: src})
			i = len(ps) - 1
		}
		p := &ps[i]
		if isQ {
			if q, _ := rec.Value().(string); t >= p.qt {
				p.qt, p.quality = t, q
			}
		} else if v, ok := num(rec.Value()); ok && t >= p.t {
			p.t, p.v, p.hasV = t, v, true
		}
		chans[name] = ps
	}
	return tr.Err()
}

func num(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

// Page reads the department view at now.
func (s *Store) Page(ctx context.Context, now time.Time) (*Page, error) {
	start := time.Now()
	if since, whole, due := s.theatresDue(now); due {
		q := s.TheatresQuery(since, now)
		if whole {
			q = s.LookbackQuery(now)
		}
		lb := newResult()
		if err := s.read(ctx, q, lb); err != nil {
			return nil, fmt.Errorf("central: theatres since %s: %w", since.UTC().Format(time.RFC3339), err)
		}
		s.mu.Lock()
		if whole {
			s.seen = map[string]liveRow{}
		}
		for id, lr := range lb.live {
			// A newer line read by its phase alone is a line that came
			// late: its time and theatre are what its tile shows.
			if old, ok := s.seen[id]; !ok || lr.t > old.t {
				s.seen[id] = *lr
			}
		}
		s.seenAt = now
		s.mu.Unlock()
	}
	res := newResult()
	if err := s.read(ctx, s.RecentQuery(now), res); err != nil {
		return nil, fmt.Errorf("central: refresh: %w", err)
	}
	p := s.build(now, res)
	p.QueryMS = float64(time.Since(start).Microseconds()) / 1000
	return p, nil
}

// build turns what was read into the page.
func (s *Store) build(now time.Time, res *result) *Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Keep the seen list current: a case that appeared since the lookback;
	// a case whose newest line left the lookback goes.
	for id, lr := range res.live {
		if old, ok := s.seen[id]; !ok || lr.t >= old.t {
			s.seen[id] = *lr
		}
	}
	for id, lr := range s.seen {
		if lr.t < now.Add(-s.opt.Lookback).UnixNano() {
			delete(s.seen, id)
		}
	}
	// One tile per theatre: its newest case.
	byKey := map[string]liveRow{}
	for id, lr := range s.seen {
		key := lr.theatre
		if key == "" {
			key = "case:" + id
		}
		newest := max(lr.t, res.newest[id])
		if cur, ok := byKey[key]; ok && max(cur.t, res.newest[cur.caseID]) >= newest {
			continue
		}
		byKey[key] = lr
	}
	page := &Page{Now: now.UnixMilli(), Theatres: []Tile{}}
	cases := map[string]string{}
	for key, lr := range byKey {
		if r, ok := res.live[lr.caseID]; ok {
			lr = *r
		}
		l := lr.line()
		last := max(lr.t, res.newest[lr.caseID])
		tile := Tile{Key: key, Theatre: lr.theatre, Case: lr.caseID, LastData: last / 1e6,
			NoDataAfter: s.opt.NoDataAfter.Milliseconds(), LiveTime: lr.t / 1e6,
			Phase: l.Phase, PhaseText: l.PhaseText, Clamp: l.Clamp, BypassS: l.Bypass.Seconds(), ClampS: l.ClampTime.Seconds(),
			DO2iThreshold: finiteOr0(l.DO2iThreshold), Alarms: tileAlarms(l.Alarms), AlarmCount: l.AlarmCount}
		if len(tile.Alarms) > 0 {
			tile.Alarm = &tile.Alarms[0]
		}
		if l.Case > 0 {
			tile.CaseStart = (lr.t - l.Case.Nanoseconds()) / 1e6
		}
		tile.NoData = now.UnixNano()-last > s.opt.NoDataAfter.Nanoseconds()
		for _, id := range TileChannels {
			v, ahead := value(id, res.points[lr.caseID][channel.Get(id).Name], now, s.opt.Allowance)
			tile.ClockAhead = tile.ClockAhead || ahead
			if tile.NoData {
				v.Text, v.Num, v.Why = "", 0, "no data"
			}
			tile.Values = append(tile.Values, v)
		}
		if last > now.Add(s.opt.Allowance).UnixNano() {
			tile.ClockAhead = true
		}
		page.Newest = max(page.Newest, last/1e6)
		page.Theatres = append(page.Theatres, tile)
		cases[key] = lr.caseID
	}
	sort.Slice(page.Theatres, func(i, j int) bool { return page.Theatres[i].Key < page.Theatres[j].Key })
	s.cases = cases
	return page
}

// CaseOf returns the case shown on a tile of the last page.
func (s *Store) CaseOf(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cases[key]
	return c, ok
}

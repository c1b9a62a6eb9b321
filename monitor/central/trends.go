package central

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

// TrendChannels are the channels of a theatre's trends.
var TrendChannels = []channel.ID{
	channel.PumpFlow, channel.DerivedFlowIndex, channel.PatientMAP, channel.DerivedDO2i,
	channel.InlineVenSO2, channel.InlineHct, channel.TempArterialOutlet, channel.TempVenousInlet,
	channel.TempNasopharyngeal,
}

// Trends is a theatre's last hour.
type Trends struct {
	Key     string `json:"key"`
	Theatre string `json:"theatre"`
	Case    string `json:"case"`
	// From and To bound the span; Step is the resolution, ms.
	From int64 `json:"from"`
	To   int64 `json:"to"`
	Step int64 `json:"step"`
	// Series are the channels; each point is the mean of the valid
	// samples of its step, null when the step has none (no value: never a
	// line drawn through a gap).
	Series []Series `json:"series"`
	// Events are the case's events of the span (free-text notes without
	// their text: they may name people); Alarms its alarm transitions.
	Events []TrendEvent `json:"events"`
	Alarms []TrendAlarm `json:"alarms"`
	// DO2iThreshold is the console's target at the newest live line; 0
	// unknown.
	DO2iThreshold float64 `json:"do2i_threshold"`
	QueryMS       float64 `json:"query_ms"`
}

// Series is one channel's trend.
type Series struct {
	Channel   string     `json:"channel"`
	Label     string     `json:"label"`
	Unit      string     `json:"unit"`
	Precision int        `json:"precision"`
	Points    []*float64 `json:"points"`
}

// TrendEvent is an event of the case.
type TrendEvent struct {
	T    int64  `json:"t"`
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// TrendAlarm is an alarm transition.
type TrendAlarm struct {
	T        int64  `json:"t"`
	Alarm    string `json:"alarm"`
	Priority string `json:"priority"`
	State    string `json:"state"`
}

// privateKinds are the event kinds whose text is free and may name a
// person: shown by kind only.
var privateKinds = map[string]bool{record.KindNote: true, "edit": true}

// TrendsQuery is the Flux of a case's trends.
func (s *Store) TrendsQuery(caseID string, now time.Time) string {
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r.case == %s)
  |> filter(fn: (r) => %s or (r._measurement == %s and r._field == "text") or (r._measurement == %s and (r._field == "state" or r._field == "priority")))
  |> keep(columns: ["_time", "_value", "_field", "_measurement", "case", "source", "kind", "alarm"])`,
		fluxString(s.opt.Bucket), fluxTime(now.Add(-s.opt.Trend)), fluxTime(now.Add(time.Second)), fluxString(caseID),
		channelFilter(TrendChannels), fluxString(record.MeasurementEvent), fluxString(record.MeasurementAlarm))
}

// Trends reads the trends of the theatre shown on tile key of the last
// page. ok is false when no tile has that key.
func (s *Store) Trends(ctx context.Context, key string, now time.Time) (tr *Trends, ok bool, err error) {
	caseID, ok := s.CaseOf(key)
	if !ok {
		return nil, false, nil
	}
	start := time.Now()
	q, err := s.q.Query(ctx, s.TrendsQuery(caseID, now))
	if err != nil {
		return nil, true, fmt.Errorf("central: trends of %s: %w", key, err)
	}
	defer q.Close()
	from := now.Add(-s.opt.Trend)
	step := s.opt.Step
	n := int(s.opt.Trend / step)
	type acc struct {
		sum []float64
		cnt []int
		bad []bool // a not-ok sample in the step: the step shows no value
	}
	accs := map[string]*acc{}
	for _, id := range TrendChannels {
		accs[channel.Get(id).Name] = &acc{sum: make([]float64, n), cnt: make([]int, n), bad: make([]bool, n)}
	}
	// Values and qualities arrive in separate tables: a value whose
	// quality line says not ok is found by its time.
	type key2 struct {
		ch string
		t  int64
	}
	notOK := map[key2]bool{}
	type val struct {
		ch string
		t  int64
		v  float64
	}
	var vals []val
	alarms := map[key2]*TrendAlarm{}
	tr = &Trends{Key: key, Case: caseID, From: from.UnixMilli(), To: now.UnixMilli(), Step: step.Milliseconds(), Events: []TrendEvent{}, Alarms: []TrendAlarm{}}
	for q.Next() {
		rec := q.Record()
		t := rec.Time().UnixNano()
		m, f := rec.Measurement(), rec.Field()
		switch m {
		case record.MeasurementEvent:
			kind, _ := rec.ValueByKey(record.TagKind).(string)
			text, _ := rec.Value().(string)
			if privateKinds[kind] {
				text = ""
			}
			tr.Events = append(tr.Events, TrendEvent{T: t / 1e6, Kind: kind, Text: text})
		case record.MeasurementAlarm:
			id, _ := rec.ValueByKey(record.TagAlarm).(string)
			a := alarms[key2{id, t}]
			if a == nil {
				a = &TrendAlarm{T: t / 1e6, Alarm: id}
				alarms[key2{id, t}] = a
			}
			s, _ := rec.Value().(string)
			if f == "state" {
				a.State = s
			} else {
				a.Priority = s
			}
		default:
			base, isQ := strings.CutSuffix(f, record.QualitySuffix)
			ch := m + "." + base
			if _, ok := accs[ch]; !ok {
				continue
			}
			if isQ {
				notOK[key2{ch, t}] = true
			} else if v, ok := num(rec.Value()); ok {
				vals = append(vals, val{ch, t, v})
			}
		}
	}
	if err := q.Err(); err != nil {
		return nil, true, fmt.Errorf("central: trends of %s: %w", key, err)
	}
	for _, v := range vals {
		i := int((v.t - from.UnixNano()) / step.Nanoseconds())
		if i < 0 || i >= n {
			continue
		}
		a := accs[v.ch]
		id, _ := channel.Lookup(v.ch)
		if notOK[key2{v.ch, v.t}] || channel.Get(id).Classify(v.v, channel.OK) != channel.OK {
			a.bad[i] = true
			continue
		}
		a.sum[i] += v.v
		a.cnt[i]++
	}
	for k := range notOK { // a quality without a value marks its step too
		if i := int((k.t - from.UnixNano()) / step.Nanoseconds()); i >= 0 && i < n {
			accs[k.ch].bad[i] = true
		}
	}
	for _, id := range TrendChannels {
		c := channel.Get(id)
		a := accs[c.Name]
		s := Series{Channel: c.Name, Label: c.Label, Unit: c.Unit, Precision: c.Precision, Points: make([]*float64, n)}
		for i := range n {
			if a.cnt[i] > 0 && !a.bad[i] {
				m := a.sum[i] / float64(a.cnt[i])
				if !math.IsNaN(m) {
					s.Points[i] = &m
				}
			}
		}
		tr.Series = append(tr.Series, s)
	}
	for _, a := range alarms {
		tr.Alarms = append(tr.Alarms, *a)
	}
	sort.Slice(tr.Events, func(i, j int) bool { return tr.Events[i].T < tr.Events[j].T })
	sort.Slice(tr.Alarms, func(i, j int) bool { return tr.Alarms[i].T < tr.Alarms[j].T })
	s.mu.Lock()
	if lr, ok := s.seen[caseID]; ok {
		tr.Theatre = lr.theatre
		tr.DO2iThreshold = finiteOr0(lr.line().DO2iThreshold)
	}
	s.mu.Unlock()
	tr.QueryMS = float64(time.Since(start).Microseconds()) / 1000
	return tr, true, nil
}

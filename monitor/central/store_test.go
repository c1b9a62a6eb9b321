package central

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/central/influxdtest"
	"github.com/pumpside/pumpside/monitor/record"
)

// lp is a line-protocol builder with times relative to now.
type lp struct {
	now time.Time
	b   strings.Builder
}

func (l *lp) add(line string, ago time.Duration) {
	fmt.Fprintf(&l.b, "%s %d\n", line, l.now.Add(-ago).UnixNano())
}

func liveLine(caseID, theatre, extra string) string {
	tag := ""
	if theatre != "" {
		tag = ",theatre=" + strings.ReplaceAll(theatre, " ", `\ `)
	}
	return fmt.Sprintf(`live,case=%s%s phase="bypass",phase_text="On bypass, clamp on",clamp=true,case_s=3600,bypass_s=1800,clamp_s=900,arrest_s=0,do2i_threshold=280,%s`, caseID, tag, extra)
}

const noAlarms = `highest="none",alarm_count=0i,alarms="[]"`

func startStore(t *testing.T, data string) (*Store, *influxdtest.Server) {
	t.Helper()
	srv := influxdtest.Start(t, "pumpside", influxdtest.Options{})
	require.NoError(t, srv.Write("pumpside", []byte(data)))
	client := influxdb2.NewClient(srv.URL(), "")
	t.Cleanup(client.Close)
	st, err := NewStore(client.QueryAPI(""), Options{Bucket: "pumpside/autogen"})
	require.NoError(t, err)
	return st, srv
}

func tileByKey(t *testing.T, p *Page, key string) Tile {
	t.Helper()
	for _, tl := range p.Theatres {
		if tl.Key == key {
			return tl
		}
	}
	t.Fatalf("no tile %q in %+v", key, p.Theatres)
	return Tile{}
}

func valueOf(t *testing.T, tl Tile, ch string) Value {
	t.Helper()
	for _, v := range tl.Values {
		if v.Channel == ch {
			return v
		}
	}
	t.Fatalf("no value %s on %s", ch, tl.Key)
	return Value{}
}

// TestPageFromInflux writes theatres in every state a department sees to a
// real InfluxDB and checks the page: fresh values as numbers, anything not
// ok, out of range, stale, from a stopped theatre or from a clock running
// ahead as no value; the highest alarm; the newest case of a theatre; no
// identifier anywhere.
func TestPageFromInflux(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	d := &lp{now: now}
	alarmsJSON := record.EncodeLiveAlarms([]record.LiveAlarm{
		{ID: "flow_stopped", Priority: "high", State: "active", Latched: true, Text: "Arterial pump flow stopped", Since: now.Add(-20 * time.Second).UnixNano()},
		{ID: "map_low", Priority: "medium", State: "acknowledged", Text: "MAP low", Since: now.Add(-time.Minute).UnixNano()},
	})
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace
	// OR 1: running, with an alarm.
	d.add(`case,case=C-1 ident_name="Jane Doe",ident_hospital_number="H7654321",height_cm=170`, time.Hour)
	d.add(`pump,case=C-1,source=sim.pump flow=4.2`, 3*time.Second)
	d.add(`pump,case=C-1,source=sim.pump flow=4.31`, 2*time.Second)
	d.add(`derived,case=C-1,source=pumpside flow_index=2.21`, 2*time.Second)
	d.add(`derived,case=C-1,source=pumpside do2i=301.4`, 2*time.Second)
	d.add(`patient,case=C-1,source=sim.monitor map=62`, 4*time.Second)
	d.add(`patient,case=C-1,source=sim.monitor map=310,map_q="out_of_range"`, 2*time.Second) // newest MAP not ok
	d.add(`inline,case=C-1,source=sim.inline hct=27.9`, 40*time.Second)                      // stale (20 s + 5 s)
	d.add(`inline,case=C-1,source=sim.inline ven_so2=74.2`, 3*time.Second)
	d.add(`temp,case=C-1,source=sim.pump arterial_outlet=35.92`, 2*time.Second)
	d.add(`temp,case=C-1,source=sim.pump venous_inlet=99`, 2*time.Second) // implausible, recorded raw
	d.add(`temp,case=C-1,source=sim.monitor nasopharyngeal_q="unavailable"`, 2*time.Second)
	d.add(liveLine("C-1", "OR 1", noAlarms), 6*time.Second)
	d.add(liveLine("C-1", "OR 1", `highest="high",alarm_count=2i,alarms="`+esc(alarmsJSON)+`"`), time.Second)
	d.add(`event,case=C-1,kind=drug text="Heparin 5000 IU iv",who="jd"`, 10*time.Minute)
	d.add(`event,case=C-1,kind=note text="Mr Smith's daughter called"`, 9*time.Minute)
	d.add(`alarm,alarm=flow_stopped,case=C-1 priority="high",state="active",reason="delay_elapsed"`, 20*time.Second)
	// OR 2: stopped 60 s ago; its old case of this morning is older still.
	d.add(`pump,case=C-2,source=sim.pump flow=3.9`, 61*time.Second)
	d.add(liveLine("C-2", "OR 2", noAlarms), 60*time.Second)
	d.add(liveLine("C-2old", "OR 2", noAlarms), 5*time.Hour)
	// OR 3: stopped three hours ago.
	d.add(liveLine("C-3", "OR 3", noAlarms), 3*time.Hour)
	// No theatre name configured.
	d.add(`pump,case=C-5,source=sim.pump flow=5.01`, time.Second)
	d.add(liveLine("C-5", "", noAlarms), time.Second)
	// A console whose clock runs a minute ahead.
	d.add(`pump,case=C-4,source=sim.pump flow=4.4`, -time.Minute)
	d.add(liveLine("C-4", "OR 4", noAlarms), -time.Minute)
	// Beyond the lookback: gone.
	d.add(liveLine("C-6", "OR 6", noAlarms), 13*time.Hour)

	st, _ := startStore(t, d.b.String())
	p, err := st.Page(context.Background(), now)
	require.NoError(t, err)
	var keys []string
	for _, tl := range p.Theatres {
		keys = append(keys, tl.Key)
	}
	assert.Equal(t, []string{"OR 1", "OR 2", "OR 3", "OR 4", "case:C-5"}, keys)

	or1 := tileByKey(t, p, "OR 1")
	assert.False(t, or1.NoData)
	assert.Equal(t, "C-1", or1.Case)
	assert.Equal(t, "On bypass, clamp on", or1.PhaseText)
	assert.Equal(t, now.Add(-time.Second).Add(-time.Hour).UnixMilli(), or1.CaseStart)
	assert.Equal(t, 280.0, or1.DO2iThreshold)
	require.NotNil(t, or1.Alarm)
	assert.Equal(t, "flow_stopped", or1.Alarm.ID)
	assert.Equal(t, "high", or1.Alarm.Priority)
	assert.True(t, or1.Alarm.Latched)
	assert.Equal(t, 2, or1.AlarmCount)
	assert.Equal(t, "4.31", valueOf(t, or1, "pump.flow").Text)
	assert.Equal(t, now.Add(-2*time.Second).UnixMilli(), valueOf(t, or1, "pump.flow").T)
	assert.Equal(t, "2.21", valueOf(t, or1, "derived.flow_index").Text)
	assert.Equal(t, "301", valueOf(t, or1, "derived.do2i").Text)
	assert.Equal(t, "74", valueOf(t, or1, "inline.ven_so2").Text)
	assert.Equal(t, "35.9", valueOf(t, or1, "temp.arterial_outlet").Text)
	for ch, why := range map[string]string{"patient.map": "out_of_range", "inline.hct": "stale", "temp.venous_inlet": "out_of_range", "temp.nasopharyngeal": "unavailable"} {
		v := valueOf(t, or1, ch)
		assert.Empty(t, v.Text, ch)
		assert.Equal(t, why, v.Why, ch)
	}
	assert.Equal(t, now.Add(-time.Second).UnixMilli(), or1.LastData)

	or2 := tileByKey(t, p, "OR 2")
	assert.True(t, or2.NoData)
	assert.Equal(t, "C-2", or2.Case, "the theatre's newest case")
	assert.Empty(t, valueOf(t, or2, "pump.flow").Text, "no data: no value, even a number of a minute ago")
	or3 := tileByKey(t, p, "OR 3")
	assert.True(t, or3.NoData)
	assert.Equal(t, now.Add(-3*time.Hour).UnixMilli(), or3.LastData)
	or4 := tileByKey(t, p, "OR 4")
	assert.True(t, or4.ClockAhead)
	assert.Empty(t, valueOf(t, or4, "pump.flow").Text)
	c5 := tileByKey(t, p, "case:C-5")
	assert.Equal(t, "5.01", valueOf(t, c5, "pump.flow").Text)
	assert.Equal(t, now.Add(time.Minute).UnixMilli(), p.Newest, "the newest data, clock ahead included")

	tr, ok, err := st.Trends(context.Background(), "OR 1", now)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "OR 1", tr.Theatre)
	require.Len(t, tr.Series, len(TrendChannels))
	flow := tr.Series[0]
	assert.Equal(t, "pump.flow", flow.Channel)
	last := flow.Points[len(flow.Points)-1]
	require.NotNil(t, last, "the last step holds 4.2 and 4.31")
	assert.InDelta(t, 4.255, *last, 1e-9)
	mapS := tr.Series[2]
	assert.Nil(t, mapS.Points[len(mapS.Points)-1], "a not-ok sample blanks its step")
	require.Len(t, tr.Events, 2)
	assert.Equal(t, "Heparin 5000 IU iv", tr.Events[0].Text)
	assert.Equal(t, "note", tr.Events[1].Kind)
	assert.Empty(t, tr.Events[1].Text, "free text is not shown")
	require.Len(t, tr.Alarms, 1)
	assert.Equal(t, TrendAlarm{T: now.Add(-20 * time.Second).UnixMilli(), Alarm: "flow_stopped", Priority: "high", State: "active"}, tr.Alarms[0])
	_, ok, err = st.Trends(context.Background(), "OR 99", now)
	require.NoError(t, err)
	assert.False(t, ok)

	for _, v := range []any{p, tr} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		for _, secret := range []string{"Jane", "H7654321", "Smith", "jd"} {
			assert.NotContains(t, string(b), secret, "an identifier reached the page")
		}
	}
}

// TestPageLookbackCached: the lookback is read once per LookbackEvery; a
// theatre that appears in between is on the next page all the same.
func TestPageLookbackCached(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	d := &lp{now: now}
	d.add(liveLine("C-1", "OR 1", noAlarms), time.Second)
	st, srv := startStore(t, d.b.String())
	p, err := st.Page(context.Background(), now)
	require.NoError(t, err)
	require.Len(t, p.Theatres, 1)
	d2 := &lp{now: now}
	d2.add(liveLine("C-2", "OR 2", noAlarms), 0)
	require.NoError(t, srv.Write("pumpside", []byte(d2.b.String())))
	p, err = st.Page(context.Background(), now.Add(2*time.Second))
	require.NoError(t, err)
	assert.Len(t, p.Theatres, 2)
}

// queryLog is a Querier that keeps the queries it passes on.
type queryLog struct {
	q       Querier
	queries []string
}

func (l *queryLog) Query(ctx context.Context, flux string) (*api.QueryTableResult, error) {
	l.queries = append(l.queries, flux)
	return l.q.Query(ctx, flux)
}

// TestTheatresIncremental: the theatres are read over the whole lookback
// at the first page only; then every LookbackEvery only since the read
// before, less LateLines, and only the phase field, so that no refresh
// reads 12 h. A line that reached the database late is read all the same,
// and a theatre whose newest line left the lookback goes.
func TestTheatresIncremental(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	d := &lp{now: now}
	d.add(liveLine("C-1", "OR 1", noAlarms), time.Second)
	d.add(liveLine("C-9", "OR 9", noAlarms), 12*time.Hour-20*time.Second)
	st, srv := startStore(t, d.b.String())
	ql := &queryLog{q: st.q}
	st.q = ql
	keys := func(p *Page) []string {
		var ks []string
		for _, tl := range p.Theatres {
			ks = append(ks, tl.Key)
		}
		return ks
	}
	lookbacks := func() []string {
		var qs []string
		for _, q := range ql.queries {
			if !strings.Contains(q, `r._measurement == "live" or`) { // not the refresh's
				qs = append(qs, q)
			}
		}
		ql.queries = nil
		return qs
	}
	ctx := context.Background()

	p, err := st.Page(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, []string{"OR 1", "OR 9"}, keys(p))
	lb := lookbacks()
	require.Len(t, lb, 1)
	assert.Contains(t, lb[0], "range(start: "+fluxTime(now.Add(-12*time.Hour))+",", "the first page reads the whole lookback")

	// A console's line reaches the database 5 min late: older than the
	// refresh's window, inside LateLines.
	late := &lp{now: now}
	late.add(liveLine("C-2", "OR 2", noAlarms), 5*time.Minute)
	require.NoError(t, srv.Write("pumpside", []byte(late.b.String())))
	p, err = st.Page(ctx, now.Add(2*time.Second))
	require.NoError(t, err)
	assert.Empty(t, lookbacks(), "no theatre read between two LookbackEvery")
	assert.Equal(t, []string{"OR 1", "OR 9"}, keys(p))

	p, err = st.Page(ctx, now.Add(30*time.Second))
	require.NoError(t, err)
	lb = lookbacks()
	require.Len(t, lb, 1)
	assert.Contains(t, lb[0], "range(start: "+fluxTime(now.Add(-10*time.Minute))+",", "since the last read less LateLines")
	assert.Contains(t, lb[0], `r._field == "phase"`, "one field of the live lines")
	assert.Equal(t, []string{"OR 1", "OR 2"}, keys(p), "the late line is read; OR 9 left the lookback")
	assert.Equal(t, now.Add(-5*time.Minute).UnixMilli(), tileByKey(t, p, "OR 2").LastData)

	// A clock that went back reads the whole lookback again.
	_, err = st.Page(ctx, now.Add(10*time.Second))
	require.NoError(t, err)
	lb = lookbacks()
	require.Len(t, lb, 1)
	assert.Contains(t, lb[0], "range(start: "+fluxTime(now.Add(10*time.Second-12*time.Hour))+",")
}

func TestOptions(t *testing.T) {
	_, err := NewStore(nil, Options{})
	require.Error(t, err)
	_, err = NewStore(nil, Options{Bucket: "b", Recent: 10 * time.Second})
	require.ErrorContains(t, err, "shorter than")
}

// TestReadOnlyUserIsEnough: the department view reads with a user that may
// only read the database (InfluxDB 1.8's "user:password" token; a 2.x
// read-only token is the same to the client), and that user cannot write.
func TestReadOnlyUserIsEnough(t *testing.T) {
	srv := influxdtest.Start(t, "pumpside", influxdtest.Options{Auth: true})
	srv.Query("", `CREATE USER viewer WITH PASSWORD 'viewer-password'`)
	srv.Query("", `GRANT READ ON "pumpside" TO viewer`)
	now := time.Now().Truncate(time.Millisecond)
	d := &lp{now: now}
	d.add(`pump,case=C-1,source=sim.pump flow=4.31`, time.Second)
	d.add(liveLine("C-1", "OR 1", noAlarms), time.Second)
	require.NoError(t, srv.Write("pumpside", []byte(d.b.String())))

	viewer := influxdb2.NewClient(srv.URL(), "viewer:viewer-password")
	defer viewer.Close()
	st, err := NewStore(viewer.QueryAPI(""), Options{Bucket: "pumpside/autogen"})
	require.NoError(t, err)
	p, err := st.Page(context.Background(), now)
	require.NoError(t, err)
	require.Len(t, p.Theatres, 1)
	assert.Equal(t, "4.31", valueOf(t, p.Theatres[0], "pump.flow").Text)

	err = viewer.WriteAPIBlocking("", "pumpside/autogen").WriteRecord(context.Background(), "pump,case=C-1,source=x flow=1")
	require.Error(t, err, "a read-only user cannot write")
	assert.Contains(t, err.Error(), "not authorized")

	anonymous := influxdb2.NewClient(srv.URL(), "")
	defer anonymous.Close()
	st2, err := NewStore(anonymous.QueryAPI(""), Options{Bucket: "pumpside/autogen"})
	require.NoError(t, err)
	_, err = st2.Page(context.Background(), now)
	require.Error(t, err, "no credentials, no page")
}

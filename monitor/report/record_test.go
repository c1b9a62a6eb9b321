package report

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
	"github.com/pumpside/pumpside/monitor/site"
)

// simCase writes a built-in scenario's case file from 08:00 UTC on
// 2026-01-05 for d and returns its bytes.
func simCase(t *testing.T, scenario string, d time.Duration) []byte {
	t.Helper()
	sc, err := sim.Builtin(scenario)
	require.NoError(t, err)
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, sim.WriteCaseFile(&buf, sim.NewScenario(sc, start, 1), "C-sim", start.Add(d)))
	return buf.Bytes()
}

// rawSample is a sample as the file has it, read without this package.
type rawSample struct {
	t  int64
	v  float64
	ok bool
}

// rawSeries reads every channel's samples of a case file with the record
// reader alone, judging each the way the pipeline does (quality ok, in the
// channel's plausible range).
func rawSeries(t *testing.T, data []byte) map[string][]rawSample {
	t.Helper()
	out := map[string][]rawSample{}
	rd := record.NewReader(bytes.NewReader(data))
	var smp []record.ChannelSample
	for rd.Next() {
		smp = rd.Entry().Samples(smp[:0])
		for _, s := range smp {
			ok := s.Quality == channel.OK && !math.IsNaN(s.Value)
			if id, known := channel.Lookup(s.Channel); known {
				ok = ok && channel.Get(id).InRange(s.Value)
			}
			out[s.Channel] = append(out[s.Channel], rawSample{s.Time, s.Value, ok})
		}
	}
	require.NoError(t, rd.Err())
	return out
}

// TestObservationGridOfTwoHourCase: the grid of the simulator's 2-hour
// CABG (on bypass 08:15–09:40 UTC) at the site's 10-minute interval, in
// Paris time (UTC+1): columns 09:20 to 10:40 Paris, and every cell the
// sample at or before that instant when it is usable and still fresh,
// found here by a plain scan of the file; an empty cell exactly when there
// is none.
func TestObservationGridOfTwoHourCase(t *testing.T) {
	data := simCase(t, "routine-cabg", 2*time.Hour)
	c, err := Load(bytes.NewReader(data), nil)
	require.NoError(t, err)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	set := DefaultSettings()
	set.Zone, set.GridInterval = paris, 10*time.Minute
	set.Units = site.Units{Gas: site.KPa, Hb: site.GPerL, Glucose: site.MmolPerL}
	s, err := Summarize(c, set, Privacy{Identify: true})
	require.NoError(t, err)

	g := s.Grid
	require.Equal(t, 10*time.Minute, g.Interval)
	var want []time.Time
	for tm := time.Date(2026, 1, 5, 8, 20, 0, 0, time.UTC); !tm.After(time.Date(2026, 1, 5, 9, 40, 0, 0, time.UTC)); tm = tm.Add(10 * time.Minute) {
		want = append(want, tm)
	}
	require.Len(t, g.Times, len(want))
	for i := range want {
		assert.True(t, want[i].Equal(g.Times[i]), "time %d: %v, want %v", i, g.Times[i], want[i])
	}
	assert.Equal(t, []string{"09:20", "09:30", "09:40", "09:50", "10:00", "10:10", "10:20", "10:30", "10:40"}, s.GridHeader())

	raw := rawSeries(t, data)
	rows := map[string]bool{}
	for ri, row := range g.Rows {
		rows[row.Channel] = true
		id, ok := channel.Lookup(row.Channel)
		require.True(t, ok)
		fresh := channel.Get(id).Freshness
		for i, tm := range g.Times {
			at := tm.UnixNano()
			exp := math.NaN()
			var last *rawSample
			for k := range raw[row.Channel] {
				if p := &raw[row.Channel][k]; p.t <= at {
					last = p
				}
			}
			if last != nil && last.ok && at-last.t < int64(fresh) {
				exp = last.v
			}
			got := row.Values[i]
			if math.IsNaN(exp) {
				assert.True(t, math.IsNaN(got), "%s at %s: %v, want no value", row.Channel, s.GridHeader()[i], got)
				assert.Equal(t, "", g.Cell(ri, i))
				continue
			}
			assert.Equal(t, exp, got, "%s at %s", row.Channel, s.GridHeader()[i])
			assert.Equal(t, row.Display.Format(exp), g.Cell(ri, i))
		}
	}
	// The scenario's devices at 1 Hz and every 5–6 s: these have a value in
	// every column; the in-line pCO2 is shown in kPa and Hb in g/L.
	for _, ch := range []string{"pump.flow", "patient.map", "patient.hr", "temp.arterial_outlet", "temp.nasopharyngeal", "gas.sweep", "inline.ven_so2", "inline.hct", "nirs.left"} {
		assert.True(t, rows[ch], "%s has a row", ch)
	}
	assert.False(t, rows["derived.do2i"], "the file has no derived values (the commands compute them first)")
	for _, r := range g.Rows {
		switch r.Channel {
		case "inline.art_pco2":
			assert.Equal(t, "kPa", r.Display.Unit)
		case "inline.hb":
			assert.Equal(t, "g/L", r.Display.Unit)
		case "pump.flow":
			// 10:00 Paris: the flow at 09:00:00 UTC, exactly the 1 Hz sample.
			assert.Equal(t, r.Display.Format(raw["pump.flow"][3600].v), g.Cell(0, 4))
			require.Equal(t, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixNano(), raw["pump.flow"][3600].t)
		}
	}

	// 15 minutes, UTC: 08:15 is itself a multiple; 08:15 to 09:30.
	set.Zone, set.GridInterval = nil, 15*time.Minute
	s, err = Summarize(c, set, Privacy{Identify: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"08:15", "08:30", "08:45", "09:00", "09:15", "09:30"}, s.GridHeader())
}

// TestObservationGridHeartRate: the heart rate is a row of the grid, just
// after MAP, in the PDF's and HTML's blocks too: the quality case's monitor
// gives 78/min until the cross-clamp (08:15), nothing while the heart is
// arrested, 92/min from the clamp's release (09:30), so its cells are 78,
// four empty ones and 92 twice.
func TestObservationGridHeartRate(t *testing.T) {
	c := loadString(t, reporttest.QualityCase())
	s, err := Summarize(c, DefaultSettings(), Privacy{Secret: []byte(testSecret)})
	require.NoError(t, err)
	require.Equal(t, []string{"08:15", "08:30", "08:45", "09:00", "09:15", "09:30", "09:45"}, s.GridHeader())
	var chans []string
	for _, r := range s.Grid.Rows {
		chans = append(chans, r.Channel)
	}
	i := slices.Index(chans, "patient.map")
	require.True(t, i >= 0 && i+1 < len(chans), "rows %v", chans)
	require.Equal(t, "patient.hr", chans[i+1], "rows %v", chans)
	hr := s.Grid.Rows[i+1]
	assert.Equal(t, "HR", hr.Label)
	assert.Equal(t, "/min", hr.Display.Unit)
	var cells []string
	for k := range s.Grid.Times {
		cells = append(cells, s.Grid.Cell(i+1, k))
	}
	assert.Equal(t, []string{"78", "", "", "", "", "92", "92"}, cells)
	blocks := s.gridBlocks()
	require.Len(t, blocks, 1)
	assert.Equal(t, append([]string{"HR", "/min"}, cells...), blocks[0].Rows[i+1])
}

// A zone half an hour off UTC: the grid follows the theatre's clock.
func TestGridTimesFollowTheTheatreClock(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata") // UTC+05:30
	require.NoError(t, err)
	a := time.Date(2026, 1, 5, 8, 20, 0, 0, time.UTC).UnixNano() // 13:50 local
	b := time.Date(2026, 1, 5, 8, 50, 0, 0, time.UTC).UnixNano() // 14:20 local
	var got []string
	for _, ns := range gridTimes([]span{{a, b}}, 15*time.Minute, kolkata) {
		got = append(got, time.Unix(0, ns).In(kolkata).Format("15:04"))
	}
	assert.Equal(t, []string{"14:00", "14:15"}, got)
	// Two runs of bypass: each has its own columns, none twice.
	c := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixNano()
	d := time.Date(2026, 1, 5, 9, 10, 0, 0, time.UTC).UnixNano()
	assert.Len(t, gridTimes([]span{{a, b}, {c, d}}, 10*time.Minute, time.UTC), 4+2, "08:20 to 08:50, 09:00 and 09:10")
}

// TestACPOfArchCase: the aortic arch scenario's antegrade cerebral
// perfusion (its acp event at 09:36 to the arrest's end at 10:10 UTC):
// 34 min to the second, and its mean pump flow and nasopharyngeal
// temperature equal to the means of the 1 Hz samples over it (each holds
// exactly one second), read here without this package.
func TestACPOfArchCase(t *testing.T) {
	data := simCase(t, "aortic-arch-dhca", 4*time.Hour)
	c, err := Load(bytes.NewReader(data), nil)
	require.NoError(t, err)
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
	require.NoError(t, err)
	a := time.Date(2026, 1, 5, 9, 36, 0, 0, time.UTC).UnixNano()
	b := time.Date(2026, 1, 5, 10, 10, 0, 0, time.UTC).UnixNano()
	assert.Equal(t, 34*time.Minute, s.ACP)
	raw := rawSeries(t, data)
	mean := func(ch string) float64 {
		var sum float64
		n := 0
		for _, p := range raw[ch] {
			if p.t >= a && p.t < b {
				require.True(t, p.ok, "%s at %d", ch, p.t)
				sum += p.v
				n++
			}
		}
		require.Equal(t, 2040, n, "%s: one sample a second", ch)
		return sum / float64(n)
	}
	assert.InDelta(t, mean("pump.flow"), s.ACPFlowLMin, 1e-9)
	assert.InDelta(t, mean("pump.flow")*1000/s.WeightKg, s.ACPFlowMLKgMin, 1e-9)
	assert.InDelta(t, mean("temp.nasopharyngeal"), s.ACPTempC, 1e-9)
	assert.InDelta(t, 10, s.ACPFlowMLKgMin, 1, "the scenario's 10 mL/kg/min, as the pump follows it")
	var b2 bytes.Buffer
	require.NoError(t, WriteSummaryCSV(&b2, s))
	assert.Contains(t, b2.String(), ",34.00,")
}

// manualGasCase is a case with a manual arterial gas (its results from the
// operator's source at the entry's time) and edits of it after.
const manualGasCase = `event,case=M,kind=on_bypass text="On bypass" 1000000000000
event,case=M,kind=blood_gas text="Blood gas arterial 4.1",sample="arterial",k=4.1,lactate=1.2,who="ap" 1600000000000
abg,case=M,source=operator k=4.1 1600000000000
abg,case=M,source=operator lactate=1.2 1600000000000
event,case=M,kind=blood_gas text="Blood gas arterial 6.8",sample="arterial",k=6.8,who="ap" 1700000000000
abg,case=M,source=operator k=6.8 1700000000000
abg,case=M,source=sim.analyser k=4.4 1800000000000
abg,case=M,source=operator k=5.0 1850000000000
event,case=M,kind=off_bypass text="Off bypass" 2000000000000
`

// A manual gas is an entry: its results in the report follow its edits
// and a voided one's count for nothing, while an analyser's results and
// an operator result without its own entry (a specimen assignment) stay.
func TestManualGasFollowsItsEntry(t *testing.T) {
	load := func(extra string) *CaseSummary {
		c, err := Load(strings.NewReader(manualGasCase+extra), func(e *record.LineError) { t.Errorf("bad line: %v", e) })
		require.NoError(t, err)
		s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
		require.NoError(t, err)
		return s
	}
	s := load("")
	assert.Equal(t, 6.8, s.PotassiumMax.Value)
	assert.Equal(t, int64(1700000000000), s.PotassiumMax.Time.UnixNano())
	assert.Equal(t, 1.2, s.LactateMax.Value)

	// The 6.8 was a haemolysed sample: voided, the analyser's 4.4 ... and
	// the specimen-assigned 5.0 remain.
	s = load(`event,case=M,kind=edit text="void",target="1700000000000",void="true",who="ap" 1900000000000` + "\n")
	assert.Equal(t, 5.0, s.PotassiumMax.Value)
	for _, g := range s.BloodGases {
		assert.NotEqual(t, int64(1700000000000), g.Time.UnixNano(), "the voided gas is not in the table")
	}
	// The first gas's K+ corrected to 7.1 and its time moved: its results
	// follow.
	s = load(`event,case=M,kind=edit text="k",target="1600000000000",k=7.1,event_time="1650000000000",who="ap" 1900000000000` + "\n")
	assert.Equal(t, 7.1, s.PotassiumMax.Value)
	assert.Equal(t, int64(1650000000000), s.PotassiumMax.Time.UnixNano())
	assert.Equal(t, 1.2, s.LactateMax.Value)
	assert.Equal(t, int64(1650000000000), s.LactateMax.Time.UnixNano())
	// Corrected to venous: its results leave abg for vbg.
	s = load(`event,case=M,kind=edit text="venous",target="1600000000000",sample="venous",who="ap" 1900000000000` + "\n")
	var vbg bool
	for _, g := range s.BloodGases {
		if g.Time.UnixNano() == 1600000000000 {
			assert.Equal(t, "VBG", g.Sample)
			vbg = true
		}
	}
	assert.True(t, vbg)
}

// The record without any of its entries: every figure "not recorded"
// (NaN, empty), never 0, and the missing items say what is missing.
func TestRecordNotRecordedIsNotZero(t *testing.T) {
	c, err := Load(strings.NewReader("event,case=X,kind=on_bypass text=\"\" 1000000000000\npump,case=X,source=p flow=4 1000000000000\nevent,case=X,kind=off_bypass text=\"\" 2000000000000\n"), nil)
	require.NoError(t, err)
	s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
	require.NoError(t, err)
	for name, v := range map[string]float64{"prime": s.PrimeML, "rap": s.RAPML, "net prime": s.NetPrimeML, "heparin": s.HeparinIU,
		"protamine": s.ProtamineMg, "ratio": s.ProtamineRatio, "acp flow": s.ACPFlowLMin} {
		assert.True(t, math.IsNaN(v), "%s: %v", name, v)
	}
	for name, n := range map[string]Nadir{"hb": s.HbBaseline, "lactate": s.LactateMax, "act": s.ACTBaseline} {
		assert.False(t, n.Valid(), name)
	}
	miss := strings.Join(s.Missing, "\n")
	for _, want := range []string{"no heparin dose recorded", "no ACT before going on bypass", "no protamine dose recorded", "record not signed off"} {
		assert.Contains(t, miss, want)
	}
	var b bytes.Buffer
	require.NoError(t, WriteSummaryCSV(&b, s))
	assert.NotContains(t, b.String(), ",NaN")
	assert.Contains(t, s.SignOffText(), "UNSIGNED")
}

// An ECMO run's configuration, recorded as an ecmo_config entry (the
// simulator's VV scenario records its own), is one line of the header,
// before the record's state; a bypass case has none.
func TestHeaderECMOConfiguration(t *testing.T) {
	header := func(scenario string) [][2]string {
		c, err := Load(bytes.NewReader(simCase(t, scenario, 20*time.Minute)), nil)
		require.NoError(t, err)
		s, err := Summarize(c, DefaultSettings(), Privacy{Identify: true})
		require.NoError(t, err)
		return s.Header()
	}
	h := header("ecmo-vv")
	i := slices.Index(h, [2]string{"ECMO", "VV, femoral vein → jugular vein"})
	require.GreaterOrEqual(t, i, 0, "%v", h)
	assert.Equal(t, "Record", h[i+1][0])
	for _, row := range header("routine-cabg") {
		assert.NotEqual(t, "ECMO", row[0])
	}
	assert.Equal(t, "VAV, femoral vein → femoral artery + jugular vein",
		ECMOConfig{Mode: "vav", Drainage: "femoral_vein", Return: "femoral_artery", Return2: "jugular_vein"}.String())
	assert.Equal(t, "VA", ECMOConfig{Mode: "va"}.String(), "the mode alone")
	assert.Equal(t, "", ECMOConfig{Drainage: "femoral_vein"}.String(), "no mode, no line")
}

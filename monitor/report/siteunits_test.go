package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/site"
)

// TestCSVInSiteUnits: the summary CSV and the registry worksheet, tables
// a person reads, give Hb and glucose in the site's units and say so in
// the column's name; every other column is as at a site of the channels'
// units. The simulator's routine CABG: lowest Hb 10.35 g/dL (in-line, at
// 08:48:54), highest glucose 8.12 mmol/L (09:26:30).
func TestCSVInSiteUnits(t *testing.T) {
	sc, err := sim.Builtin("routine-cabg")
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, sim.WriteCaseFile(&buf, sim.NewScenario(sc, start, 1), "C-sim", start.Add(2*time.Hour)))
	c, err := report.Load(&buf, func(e *record.LineError) { t.Errorf("bad line: %v", e) })
	require.NoError(t, err)
	type tables struct{ summary, registry map[string]string }
	export := func(u site.Units) tables {
		set := report.DefaultSettings()
		set.Units = u
		s, err := report.Summarize(c, set, report.Privacy{Identify: true})
		require.NoError(t, err)
		var out tables
		read := func(b *bytes.Buffer) map[string]string {
			recs, err := csv.NewReader(b).ReadAll()
			require.NoError(t, err)
			require.Len(t, recs, 2)
			row := map[string]string{}
			for i, k := range recs[0] {
				row[k] = recs[1][i]
			}
			return row
		}
		var b bytes.Buffer
		require.NoError(t, report.WriteSummaryCSV(&b, s))
		require.True(t, strings.HasPrefix(b.String(), strings.Join(report.SummaryHeader(u), ",")+"\n"))
		out.summary = read(&b)
		require.NoError(t, report.WriteRegistryCSV(&b, "perform", []report.RegistryCase{{Case: c, Summary: s, Quality: report.EvaluateQuality(c, s, nil)}}))
		out.registry = read(&b)
		return out
	}
	stored := export(site.Units{})
	si := site.Units{Gas: site.KPa, Hb: site.GPerL, Glucose: site.MgPerDL}
	shown := export(si)

	assert.Equal(t, "10.3", stored.summary["hb_lowest_g_dl"])
	assert.Equal(t, "8.1", stored.summary["glucose_max_mmol_l"])
	assert.Equal(t, "8.1", stored.registry["max_glucose_mmol_l"])
	renamed := map[string]string{"hb_baseline_g_dl": "hb_baseline_g_l", "hb_lowest_g_dl": "hb_lowest_g_l", "glucose_max_mmol_l": "glucose_max_mg_dl"}
	for k, v := range map[string]string{"hb_baseline_g_l": "", "hb_lowest_g_l": "104", "glucose_max_mg_dl": "146"} {
		got, ok := shown.summary[k]
		assert.True(t, ok, "summary column %s", k)
		assert.Equal(t, v, got, k)
	}
	for k, v := range stored.summary {
		if _, ok := renamed[k]; !ok {
			assert.Equal(t, v, shown.summary[k], "summary column %s does not change with the units", k)
		}
	}
	assert.Equal(t, "146", shown.registry["max_glucose_mg_dl"], "8.12 mmol/L × 18.0156")
	assert.NotContains(t, shown.registry, "max_glucose_mmol_l")
	assert.Equal(t, len(stored.registry), len(shown.registry))

	// No column of a site's table keeps a unit the site converts.
	for _, h := range report.SummaryHeader(si) {
		assert.False(t, strings.HasSuffix(h, "_g_dl") || strings.HasSuffix(h, "_mmhg") ||
			strings.Contains(h, "glucose") && strings.HasSuffix(h, "_mmol_l"), "column %s at a kPa, g/L, mg/dL site", h)
	}
	assert.Equal(t, report.SummaryColumns, report.SummaryHeader(site.Units{}))
	assert.Equal(t, report.SummaryColumns, report.SummaryHeader(site.Default().Units))
}

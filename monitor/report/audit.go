package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Audit is the practice audit over many cases (issue 9 §4): blood use,
// goal-directed perfusion compliance, temperature management, alarm burden
// and record completeness.
type Audit struct {
	Cases []*CaseSummary
	Rows  [][2]string // aggregate figures, label and value
}

// NewAudit aggregates the summaries (in the order given).
func NewAudit(cases []*CaseSummary) *Audit {
	a := &Audit{Cases: cases}
	n := len(cases)
	var bypass, below, outletHigh, rewarm, gradWarm, alarmBypass time.Duration
	var units, transfused, anyBelow, anyOutlet, withMissing, noAlarmLog int
	var bloodML float64
	var lowest, compl, bypassMin []float64
	alarms := map[string]int{}
	for _, s := range cases {
		bypass += s.Bypass
		bypassMin = append(bypassMin, s.Bypass.Minutes())
		below += s.DO2iBelow
		outletHigh += s.OutletHigh
		rewarm += s.RewarmRateHigh
		gradWarm += s.AVGradientWarmHigh
		units += s.BloodUnits()
		bloodML += s.bloodML()
		if s.BloodUnits() > 0 {
			transfused++
		}
		if s.DO2iBelow > 0 {
			anyBelow++
		}
		if s.OutletHigh > 0 {
			anyOutlet++
		}
		if len(s.Missing) > 0 {
			withMissing++
		}
		if s.LowestTemp.Valid() {
			lowest = append(lowest, s.LowestTemp.Value)
		}
		if c := s.MinCompleteness(); !math.IsNaN(c) {
			compl = append(compl, 100*c)
		}
		if s.AlarmLog == AlarmLogNone {
			noAlarmLog++ // not recorded: left out of the alarm burden, not counted as none
			continue
		}
		alarmBypass += s.Bypass
		for p, k := range s.AlarmsByPriority {
			alarms[p] += k
		}
	}
	pct := func(k int) string {
		if n == 0 {
			return none
		}
		return fmt.Sprintf("%d of %d (%.0f %%)", k, n, 100*float64(k)/float64(n))
	}
	share := func(d time.Duration) string {
		if bypass <= 0 {
			return none
		}
		return fmt.Sprintf("%.1f min (%.2f %% of bypass time)", d.Minutes(), 100*float64(d)/float64(bypass))
	}
	perHour := func(k int) string {
		if alarmBypass <= 0 {
			return none
		}
		t := fmt.Sprintf("%d (%.2f per bypass hour)", k, float64(k)/alarmBypass.Hours())
		if noAlarmLog > 0 {
			t += fmt.Sprintf("; %d cases without an alarm log left out", noAlarmLog)
		}
		return t
	}
	a.Rows = [][2]string{
		{"Cases", fmt.Sprint(n)},
		{"Bypass time, median", num(median(bypassMin), 0, "min")},
		{"Blood use: cases transfused", pct(transfused)},
		{"Blood use: product entries / volume", fmt.Sprintf("%d / %s", units, num(bloodML, 0, "mL"))},
		{"GDP: time with DO2i below target", share(below)},
		{"GDP: cases with any time below target", pct(anyBelow)},
		{"Temperature: lowest, median", num(median(lowest), 1, "°C")},
		{"Temperature: arterial outlet >= limit", share(outletHigh)},
		{"Temperature: cases with outlet >= limit", pct(anyOutlet)},
		{"Temperature: rewarming rate over limit", share(rewarm)},
		{"Temperature: A–V gradient over warm limit", share(gradWarm)},
		{"Alarm activations, high", perHour(alarms["high"])},
		{"Alarm activations, medium", perHour(alarms["medium"])},
		{"Alarm activations, low", perHour(alarms["low"])},
		{"Record: fresh data on the worst key channel, median", num(median(compl), 1, "%")},
		{"Record: cases with missing items", pct(withMissing)},
	}
	return a
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// chartPNG draws two bar charts, one bar per case: the share of bypass
// time below the DO2i target, and alarm activations per bypass hour.
func (a *Audit) chartPNG(w, h vg.Length, dpi int) ([]byte, error) {
	below := make(plotter.Values, len(a.Cases))
	burden := make(plotter.Values, len(a.Cases))
	names := make([]string, len(a.Cases))
	for i, s := range a.Cases {
		names[i] = fmt.Sprint(i + 1)
		if s.Bypass > 0 {
			below[i] = 100 * float64(s.DO2iBelow) / float64(s.Bypass)
		}
		if s.Bypass > 0 && s.AlarmLog != AlarmLogNone {
			k := 0
			for _, v := range s.AlarmsByPriority {
				k += v
			}
			burden[i] = float64(k) / s.Bypass.Hours()
		}
	}
	mk := func(title string, v plotter.Values, c color.Color) (*plot.Plot, error) {
		p := plot.New()
		p.Y.Label.Text = title
		p.X.Label.Text = "case (row number of the table)"
		bw := max(vg.Points(2), (w-vg.Points(60))/vg.Length(max(len(v), 1))*0.7)
		b, err := plotter.NewBarChart(v, bw)
		if err != nil {
			return nil, err
		}
		b.Color, b.LineStyle.Width = c, 0
		p.Add(plotter.NewGrid(), b)
		if len(names) <= 40 {
			p.NominalX(names...)
		}
		return p, nil
	}
	p1, err := mk("bypass time DO2i < target (%)", below, colGreen)
	if err != nil {
		return nil, fmt.Errorf("report: audit chart: %w", err)
	}
	p2, err := mk("alarm activations per bypass hour", burden, colOrange)
	if err != nil {
		return nil, fmt.Errorf("report: audit chart: %w", err)
	}
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	rows := [][]*plot.Plot{{p1}, {p2}}
	cv := plot.Align(rows, draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Points(4), PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}, dc)
	p1.Draw(cv[0][0])
	p2.Draw(cv[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: audit chart: %w", err)
	}
	return buf.Bytes(), nil
}

var auditFuncs = template.FuncMap{
	"inc":   func(i int) int { return i + 1 },
	"mins":  func(d time.Duration) string { return mins(d) },
	"area":  func(v float64) string { return num(v, 1, "mL/min/m² × min") },
	"temp":  func(n Nadir) string { return num(n.Value, 1, "°C") },
	"compl": func(s *CaseSummary) string { return num(100*s.MinCompleteness(), 1, "%") },
}

var auditHTML = template.Must(template.New("audit").Funcs(auditFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pumpside perfusion audit</title>
<style>
body{font-family:sans-serif;font-size:13px;margin:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#eee}img{max-width:100%}
</style></head><body>
<h1>Perfusion audit</h1>
<section id="aggregate"><h2>Across {{len .A.Cases}} cases</h2>
<table>{{range .A.Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></section>
<section id="chart"><h2>By case</h2><img alt="DO2i below target and alarm burden by case" src="{{.Chart}}"></section>
<section id="cases"><h2>Cases</h2>
<table><tr><th>#</th><th>case</th><th>bypass</th><th>DO2i &lt; target</th><th>DO2i area</th><th>lowest temp</th><th>outlet &ge; limit</th><th>blood entries</th><th>alarms h/m/l</th><th>fresh data (worst channel)</th><th>missing items</th><th>in-line checks passed/failed/not compared</th></tr>
{{range $i, $s := .A.Cases}}<tr><td>{{inc $i}}</td><td>{{$s.Label}}</td><td>{{mins $s.Bypass}} min</td><td>{{mins $s.DO2iBelow}} min</td><td>{{area $s.DO2iAreaBelow}}</td><td>{{temp $s.LowestTemp}}</td><td>{{mins $s.OutletHigh}} min</td><td>{{$s.BloodUnits}}</td><td>{{if eq $s.AlarmLog 0}}not recorded{{else}}{{index $s.AlarmsByPriority "high"}}/{{index $s.AlarmsByPriority "medium"}}/{{index $s.AlarmsByPriority "low"}}{{end}}</td><td>{{compl $s}}</td><td>{{len $s.Missing}}</td><td>{{if eq $s.InlineChecksFrom 0}}none recorded{{else}}{{$s.InlinePassed}}/{{$s.InlineFailed}}/{{$s.InlineNotCompared}}{{end}}</td></tr>
{{end}}</table></section>
<section id="inline-checks"><h2>In-line monitor checks</h2>
<p>Every analyser result compared with the in-line monitor at its draw time (docs/qc.md); difference = in-line − analyser.</p>
{{if .Checks}}<table><tr><th>#</th><th>case</th>{{range .CheckCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Checks}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{else}}<p>none recorded</p>{{end}}</section>
</body></html>
`))

// WriteAuditHTML writes the audit as one self-contained HTML page with the
// aggregate table, a chart by case, and one row per case.
func WriteAuditHTML(w io.Writer, a *Audit) error {
	png, err := a.chartPNG(vg.Millimeter*180, vg.Millimeter*140, 110)
	if err != nil {
		return err
	}
	var checks [][]string
	for i, s := range a.Cases {
		for _, r := range s.InlineChecks {
			checks = append(checks, append([]string{strconv.Itoa(i + 1), s.Label}, s.InlineCheckCells(r)...))
		}
	}
	err = auditHTML.Execute(w, map[string]any{
		"Checks":    checks,
		"CheckCols": InlineCheckColumns,
		"A":         a,
		"Chart":     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	})
	if err != nil {
		return fmt.Errorf("report: audit html: %w", err)
	}
	return nil
}

// WriteAuditCSV writes the audit's cases with WriteSummaryCSV (one row per
// case; the aggregates are for the HTML page).
func WriteAuditCSV(w io.Writer, a *Audit) error { return WriteSummaryCSV(w, a.Cases...) }

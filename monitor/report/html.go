package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"

	"gonum.org/v1/plot/vg"
)

var caseHTML = template.Must(template.New("case").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Perfusion record {{.S.Label}}</title>
<style>
body{font-family:sans-serif;font-size:13px;margin:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}
th{background:#eee}img{max-width:100%}
</style></head><body>
<header id="header"><h1>Perfusion record</h1>
<table>{{range .S.Header}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></header>
<section id="chart"><h2>Timeline</h2>
<img alt="timeline of flow, MAP, DO2i, temperatures, SvO2 and Hct with events and alarms" src="{{.Chart}}">
<p>Grey dashed lines: events. Red lines: alarm activations. Gaps: no usable, fresh value.</p></section>
<section id="quality"><h2>Quality indicators on bypass</h2>
<table><tr><th>status</th><th>indicator</th><th>measured</th><th>source</th></tr>{{range .Quality}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td><td>{{index . 3}}</td></tr>{{end}}</table></section>
<section id="summary"><h2>Summary</h2>
<table>{{range .S.Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></section>
<section id="missing"><h2>Missing record items</h2>
<ul>{{range .S.Missing}}<li>{{.}}</li>{{else}}<li>none</li>{{end}}</ul></section>
<section id="blood-gases"><h2>Blood gases</h2>
<table><tr><th>time</th><th>sample</th>{{range .GasCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Gases}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></section>
<section id="log"><h2>Event and drug log</h2>
<table><tr><th>time</th><th>kind</th><th>text</th><th>who</th></tr>
{{range .S.Log}}<tr><td>{{.Time.Format "15:04:05"}}</td><td>{{.Kind}}</td><td>{{.Text}}</td><td>{{.Who}}</td></tr>{{end}}</table></section>
</body></html>
`))

// WriteHTML writes the case report as one self-contained HTML page (the
// chart embedded as a PNG data URL), with sections header, chart, summary,
// missing, blood-gases and log.
func WriteHTML(w io.Writer, c *Case, s *CaseSummary) error {
	png, err := TimelinePNG(c, s.Settings, s.DO2iThreshold, vg.Millimeter*vg.Length(ChartW), vg.Millimeter*vg.Length(ChartH), 110)
	if err != nil {
		return err
	}
	var cols []string
	for _, g := range gasColumns {
		if g.unit != "" {
			cols = append(cols, g.label+" ("+g.unit+")")
		} else {
			cols = append(cols, g.label)
		}
	}
	var gases [][]string
	for _, g := range s.BloodGases {
		row := []string{g.Time.Format("15:04:05"), g.Sample}
		for _, col := range gasColumns {
			row = append(row, gasCell(g, col.key))
		}
		gases = append(gases, row)
	}
	err = caseHTML.Execute(w, map[string]any{
		"S":       s,
		"Chart":   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"GasCols": cols,
		"Gases":   gases,
		"Quality": qualityRows(c, s),
	})
	if err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

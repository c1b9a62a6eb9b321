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
#observations td{text-align:right}#observations table{margin-bottom:1em}
.unsigned{color:#b00;font-weight:bold}
</style></head><body>
<header id="header"><h1>Perfusion record</h1>
<table>{{range .S.Header}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
{{if not .S.SignOff.Signed}}<p class="unsigned">UNSIGNED: this record has not been signed off by the perfusionist.</p>{{end}}</header>
<section id="chart"><h2>Timeline</h2>
<img alt="timeline of flow, MAP, DO2i, temperatures, SvO2 and Hct with events and alarms" src="{{.Chart}}">
<p>Grey dashed lines: events. Red lines: alarm activations. Gaps: no usable, fresh value. Times: {{.S.ZoneText}}.</p></section>
<section id="quality"><h2>Quality indicators on bypass</h2>
<table><tr><th>status</th><th>indicator</th><th>measured</th><th>source</th></tr>{{range .Quality}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td><td>{{index . 2}}</td><td>{{index . 3}}</td></tr>{{end}}</table></section>
<section id="observations"><h2>Observations</h2>
<p>{{.S.GridTitle}}: each value is the channel's last usable value at that minute, if still fresh; empty: none.</p>
{{range .Grid}}<table><tr><th>parameter</th><th>unit</th>{{range .Times}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td>{{range slice . 2}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{else}}<p>none: no time on bypass</p>{{end}}</section>
<section id="summary"><h2>Summary</h2>
<table>{{range .S.Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></section>
<section id="setup"><h2>Case set-up</h2>
<table>{{range .S.SetupRows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
<h3>Disposables</h3>
<table><tr>{{range .DispCols}}<th>{{.}}</th>{{end}}</tr>
{{range .S.DisposableRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{else}}<tr><td colspan="5">none recorded</td></tr>{{end}}</table></section>
<section id="missing"><h2>Missing record items</h2>
<ul>{{range .S.Missing}}<li>{{.}}</li>{{else}}<li>none</li>{{end}}</ul></section>
<section id="blood-gases"><h2>Blood gases</h2>
<table><tr><th>time</th><th>sample</th>{{range .GasCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Gases}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></section>
<section id="inline-checks"><h2>In-line monitor checks</h2>
<p>{{.S.InlineCheckText}}</p>
{{if .Checks}}<table><tr>{{range .CheckCols}}<th>{{.}}</th>{{end}}</tr>
{{range .Checks}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}</section>
<section id="log"><h2>Event and drug log</h2>
<table><tr><th>time</th><th>kind</th><th>text</th><th>who</th></tr>
{{range .Log}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></section>
</body></html>
`))

// gridBlock is a part of the observation grid that fits a page: its times
// and, per row, the label, the unit and the cells.
type gridBlock struct {
	Times []string
	Rows  [][]string
}

// gridColumns is how many times a block of the grid shows.
const gridColumns = 12

// gridBlocks cuts the grid into blocks of gridColumns times.
func (s *CaseSummary) gridBlocks() []gridBlock {
	head := s.GridHeader()
	var out []gridBlock
	for i := 0; i < len(head); i += gridColumns {
		j := min(i+gridColumns, len(head))
		b := gridBlock{Times: head[i:j]}
		for ri, r := range s.Grid.Rows {
			row := []string{r.Label, r.Display.Unit}
			for k := i; k < j; k++ {
				row = append(row, s.Grid.Cell(ri, k))
			}
			b.Rows = append(b.Rows, row)
		}
		out = append(out, b)
	}
	return out
}

// WriteHTML writes the case report as one self-contained HTML page (the
// chart embedded as a PNG data URL), with sections header, chart,
// observations, summary, setup, missing, blood-gases and log. Every time
// is in the summary's zone, which the header and the chart name.
func WriteHTML(w io.Writer, c *Case, s *CaseSummary) error {
	png, err := TimelinePNG(c, s.Settings, s.DO2iThreshold, vg.Millimeter*vg.Length(ChartW), vg.Millimeter*vg.Length(ChartH), 110)
	if err != nil {
		return err
	}
	var cols []string
	for i, g := range gasColumns {
		if u := s.gasUnit(i); u != "" {
			cols = append(cols, g.label+" ("+u+")")
		} else {
			cols = append(cols, g.label)
		}
	}
	var gases [][]string
	for _, g := range s.BloodGases {
		row := []string{s.hms(g.Time), g.Sample}
		for _, col := range gasColumns {
			row = append(row, s.gasCell(g, col.key))
		}
		gases = append(gases, row)
	}
	var checks [][]string
	for _, r := range s.InlineChecks {
		checks = append(checks, s.InlineCheckCells(r))
	}
	var log [][]string
	for _, l := range s.Log {
		log = append(log, []string{s.hms(l.Time), l.Kind, l.Text, l.Who})
	}
	err = caseHTML.Execute(w, map[string]any{
		"S":         s,
		"Chart":     template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"GasCols":   cols,
		"Gases":     gases,
		"Grid":      s.gridBlocks(),
		"DispCols":  DisposableColumns,
		"Log":       log,
		"Quality":   qualityRows(c, s),
		"Checks":    checks,
		"CheckCols": InlineCheckColumns,
	})
	if err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

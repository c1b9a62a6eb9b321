package report

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// BenchmarkCase is one case of a team benchmark: its summary (with the
// team, CaseSummary.Team) and quality results.
type BenchmarkCase struct {
	Summary *CaseSummary
	Quality []IndicatorResult
}

// Rate is how one group did on one indicator.
type Rate struct {
	Evaluated, Failed int
}

// Share is the failed share of the evaluated cases, 0..1; NaN when none
// was evaluated.
func (r Rate) Share() float64 {
	if r.Evaluated == 0 {
		return nanF
	}
	return float64(r.Failed) / float64(r.Evaluated)
}

var nanF = math.NaN()

// BenchmarkRow is a group of cases: the department, or one perfusionist's.
type BenchmarkRow struct {
	Label         string
	Cases         int
	MedianBypass  float64 // min; NaN without bypass
	Rates         []Rate  // by indicator, in Benchmark.Indicators order
	FailedAnyCase int     // cases that failed at least one indicator
}

// Benchmark compares each perfusionist with the department over a period,
// indicator by indicator.
type Benchmark struct {
	From, To   time.Time
	Indicators []Indicator
	Department BenchmarkRow
	People     []BenchmarkRow
	// Unattributed counts cases whose record names no perfusionist (in
	// the department's figures, in nobody's).
	Unattributed int
}

// MinCasesToCompare: a group with fewer cases is shown, but marked as too
// few to compare with the department.
const MinCasesToCompare = 10

// NewBenchmark groups the cases by their perfusionist in charge
// (the summary's Team.Perfusionist, compared without case), each named by label(name):
// the name itself, or a keyed pseudonym (PerfusionistLabel).
func NewBenchmark(cases []BenchmarkCase, inds []Indicator, label func(name string) string) *Benchmark {
	b := &Benchmark{Indicators: inds}
	groups := map[string][]BenchmarkCase{}
	names := map[string]string{}
	for _, c := range cases {
		p := strings.TrimSpace(c.Summary.Team.Perfusionist)
		if p == "" {
			b.Unattributed++
			continue
		}
		k := strings.ToLower(p)
		groups[k] = append(groups[k], c)
		if _, ok := names[k]; !ok {
			names[k] = p
		}
	}
	b.Department = benchRow("Department", cases, inds)
	for k, g := range groups {
		b.People = append(b.People, benchRow(label(names[k]), g, inds))
	}
	slices.SortFunc(b.People, func(x, y BenchmarkRow) int { return strings.Compare(x.Label, y.Label) })
	return b
}

func benchRow(label string, cases []BenchmarkCase, inds []Indicator) BenchmarkRow {
	r := BenchmarkRow{Label: label, Cases: len(cases), Rates: make([]Rate, len(inds))}
	var bypass []float64
	for _, c := range cases {
		if c.Summary.Bypass > 0 {
			bypass = append(bypass, c.Summary.Bypass.Minutes())
		}
		failed := false
		for _, q := range c.Quality {
			i := slices.IndexFunc(inds, func(ind Indicator) bool { return ind.ID == q.Indicator.ID })
			if i < 0 || !q.Evaluated {
				continue
			}
			r.Rates[i].Evaluated++
			if !q.Pass {
				r.Rates[i].Failed++
				failed = true
			}
		}
		if failed {
			r.FailedAnyCase++
		}
	}
	r.MedianBypass = median(bypass)
	return r
}

// PerfusionistLabel returns how the benchmark names a perfusionist: the
// name with identify, else "Perfusionist " and a keyed pseudonym of the
// name (stable for a site, different between sites).
func PerfusionistLabel(p Privacy, name string) string {
	if p.Identify {
		return name
	}
	if len(p.Secret) < MinSecretLen {
		return "Perfusionist (no site secret)"
	}
	return "Perfusionist " + Pseudonym(p.Secret, "perfusionist:"+strings.ToLower(strings.TrimSpace(name)))[2:10]
}

func rateText(r Rate) string {
	if r.Evaluated == 0 {
		return none
	}
	return fmt.Sprintf("%d/%d (%.0f %%)", r.Failed, r.Evaluated, 100*r.Share())
}

var benchHTML = template.Must(template.New("bench").Funcs(template.FuncMap{
	"rate": rateText,
	"min1": func(v float64) string { return num(v, 0, "min") },
	"few":  func(n int) bool { return n < MinCasesToCompare },
	"diff": func(p, d Rate) string {
		if p.Evaluated == 0 || d.Evaluated == 0 {
			return ""
		}
		return fmt.Sprintf("%+.0f points", 100*(p.Share()-d.Share()))
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pumpside perfusion benchmark</title>
<style>
body{font-family:sans-serif;font-size:13px;margin:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eee}.few{color:#777}.diff{font-size:11px;color:#555}
</style></head><body>
<h1>Quality indicators by perfusionist</h1>
<p>{{.Period}}. Each cell: cases failing the indicator / cases it could be judged on. A perfusionist with fewer
than {{.Min}} cases is shown in grey: too few to compare with the department. {{if .B.Unattributed}}{{.B.Unattributed}} cases name no perfusionist: they count in the department only.{{end}}</p>
<table id="benchmark"><tr><th>group</th><th>cases</th><th>median bypass</th><th>cases failing any</th>{{range .B.Indicators}}<th>{{.Name}}</th>{{end}}</tr>
<tr><th>{{.B.Department.Label}}</th><td>{{.B.Department.Cases}}</td><td>{{min1 .B.Department.MedianBypass}}</td><td>{{.B.Department.FailedAnyCase}}</td>{{range .B.Department.Rates}}<td>{{rate .}}</td>{{end}}</tr>
{{range $p := .B.People}}<tr{{if few $p.Cases}} class="few"{{end}}><td>{{$p.Label}}</td><td>{{$p.Cases}}</td><td>{{min1 $p.MedianBypass}}</td><td>{{$p.FailedAnyCase}}</td>{{range $i, $r := $p.Rates}}<td>{{rate $r}}<br><span class="diff">{{diff $r (index $.B.Department.Rates $i)}}</span></td>{{end}}</tr>
{{end}}</table>
<h2>Indicators</h2><ul>{{range .B.Indicators}}<li><b>{{.Name}}</b>: {{.Source}}</li>{{end}}</ul>
</body></html>
`))

func (b *Benchmark) period() string {
	switch {
	case !b.From.IsZero() && !b.To.IsZero():
		return "Cases from " + b.From.Format(time.DateOnly) + " to " + b.To.Format(time.DateOnly)
	case !b.From.IsZero():
		return "Cases from " + b.From.Format(time.DateOnly)
	case !b.To.IsZero():
		return "Cases to " + b.To.Format(time.DateOnly)
	}
	return "All cases"
}

// WriteBenchmarkHTML writes the benchmark as one HTML page.
func WriteBenchmarkHTML(w io.Writer, b *Benchmark) error {
	if err := benchHTML.Execute(w, map[string]any{"B": b, "Period": b.period(), "Min": MinCasesToCompare}); err != nil {
		return fmt.Errorf("report: benchmark html: %w", err)
	}
	return nil
}

// WriteBenchmarkCSV writes one row per group and indicator: group, cases,
// indicator, evaluated, failed, failed_pct, department_failed_pct.
func WriteBenchmarkCSV(w io.Writer, b *Benchmark) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "cases", "indicator", "evaluated", "failed", "failed_pct", "department_failed_pct"})
	for _, row := range append([]BenchmarkRow{b.Department}, b.People...) {
		for i, ind := range b.Indicators {
			r, d := row.Rates[i], b.Department.Rates[i]
			cw.Write([]string{row.Label, strconv.Itoa(row.Cases), ind.ID, strconv.Itoa(r.Evaluated), strconv.Itoa(r.Failed),
				f(100*r.Share(), 1), f(100*d.Share(), 1)})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: benchmark csv: %w", err)
	}
	return nil
}

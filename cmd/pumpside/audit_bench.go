package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/report"
)

// auditBenchmarkRequested reports whether audit's arguments ask for the
// per-perfusionist benchmark, which audit_bench.go answers.
func auditBenchmarkRequested(args []string) bool {
	return slices.Contains(args, "--benchmark") || slices.Contains(args, "-benchmark")
}

func runAuditBenchmark(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("audit", "DIR --benchmark [--from DATE] [--to DATE] --out bench.html|bench.csv [--identify]",
		"Benchmarks each perfusionist against the department over a period: for every quality\n"+
			"indicator of the site (docs/report.md, \"Quality indicators\"), the cases that failed it\n"+
			"out of those it could judge, for the department and for each perfusionist in charge\n"+
			"(the case's perfusionist), with the difference from the department. Perfusionists are\n"+
			"named by a keyed pseudonym unless --identify; fewer than 10 cases are marked too few to\n"+
			"compare. Cases are chosen by the day their recording started, in the theatre's zone\n"+
			"(--tz, else the site file's, else the machine's).\n"+
			"Exit status: 0 when written, 1 on a write error, 2 on bad usage, no site secret or no\n"+
			"usable case file.", stdout, stderr)
	fl.Bool("benchmark", true, "the per-perfusionist benchmark")
	format := fl.String("format", "", "output `FORMAT`: html or csv (default: from --out's extension, else html)")
	out := fl.String("out", "", "output `FILE` (default: stdout)")
	from := fl.String("from", "", "first `DATE` (YYYY-MM-DD, a day of the theatre's zone)")
	to := fl.String("to", "", "last `DATE` (YYYY-MM-DD, a day of the theatre's zone)")
	pf := addPrivacyFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside audit: "+format+"\n", a...)
		return code
	}
	if len(pos) != 1 {
		return fail(2, "one DIR is required, got %d", len(pos))
	}
	if *format == "" {
		*format = "html"
		if strings.EqualFold(filepath.Ext(*out), ".csv") {
			*format = "csv"
		}
	}
	if *format != "html" && *format != "csv" {
		return fail(2, "unknown --format %q (html, csv)", *format)
	}
	priv, ok := pf.privacy("audit", stderr)
	if !ok {
		return 2
	}
	fromT, err := parseDay(*from, false, pf.cfg.Location())
	if err != nil {
		return fail(2, "--from: %v", err)
	}
	toT, err := parseDay(*to, true, pf.cfg.Location())
	if err != nil {
		return fail(2, "--to: %v", err)
	}
	paths, err := caseFiles(pos[0])
	if err != nil {
		return fail(2, "%v", err)
	}
	set := pf.settings(nil) // the quality indicators; each case's own below
	inds := set.Quality
	if inds == nil {
		inds = report.DefaultIndicators()
	}
	var cases []report.BenchmarkCase
	for _, p := range paths {
		if ctx.Err() != nil {
			return fail(1, "%v", ctx.Err())
		}
		c, ok := loadCaseFile("audit", p, stderr)
		if !ok {
			continue
		}
		start := time.Unix(0, c.Start)
		if !fromT.IsZero() && start.Before(fromT) || !toT.IsZero() && !start.Before(toT) {
			continue
		}
		s, err := report.Summarize(c, pf.settings(c), priv)
		if err != nil {
			return fail(2, "%v", err)
		}
		cases = append(cases, report.BenchmarkCase{Summary: s, Quality: report.EvaluateQuality(c, s, inds)})
	}
	if len(cases) == 0 {
		return fail(2, "%s: no usable case file (*.case) in the period", pos[0])
	}
	b := report.NewBenchmark(cases, inds, func(n string) string { return report.PerfusionistLabel(priv, n) })
	b.From = fromT
	if !toT.IsZero() {
		b.To = toT.AddDate(0, 0, -1)
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	if *format == "csv" {
		err = report.WriteBenchmarkCSV(w, b)
	} else {
		err = report.WriteBenchmarkHTML(w, b)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

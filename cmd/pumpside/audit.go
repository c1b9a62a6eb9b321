package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pumpside/pumpside/monitor/report"
)

func init() {
	register(command{
		name:    "audit",
		summary: "audit many case files: blood use, DO2i compliance, temperature, alarms, completeness; --benchmark: each perfusionist against the department",
		run:     runAudit,
	})
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if auditBenchmarkRequested(args) { // audit_bench.go
		return runAuditBenchmark(ctx, args, stdout, stderr)
	}
	fl := newFlagSet("audit", "DIR --out audit.html|audit.csv [--identify] [--secret-file FILE]",
		"Reads every *.case file under DIR and writes the practice audit: blood use,\n"+
			"goal-directed perfusion compliance (time below the DO2i target), temperature\n"+
			"management, alarm burden and record completeness. HTML has the aggregates, a chart\n"+
			"and one row per case; CSV has one row per case (columns in docs/export.md). Cases\n"+
			"are pseudonymised as in \"pumpside report\". A file that is empty or unreadable is\n"+
			"reported and left out; bad lines are reported with their line numbers.\n"+
			"Exit status: 0 when written, 1 on a write error, 2 on bad usage, no site secret or\n"+
			"no usable case file.", stdout, stderr)
	format := fl.String("format", "", "output `FORMAT`: html or csv (default: from --out's extension, else html)")
	out := fl.String("out", "", "output `FILE` (default: stdout)")
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
	var paths []string
	err := filepath.WalkDir(pos[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".case") && isFirstSegment(p) {
			paths = append(paths, p) // a long run once, by its first segment
		}
		return nil
	})
	if err != nil {
		return fail(2, "%v", err)
	}
	slices.Sort(paths)
	var sums []*report.CaseSummary
	for _, p := range paths {
		if ctx.Err() != nil {
			return fail(1, "%v", ctx.Err())
		}
		c, ok := loadCaseFile("audit", p, stderr)
		if !ok {
			continue // reported; the audit goes on without it
		}
		s, err := report.Summarize(c, pf.settings(c), priv)
		if err != nil {
			return fail(2, "%v", err)
		}
		sums = append(sums, s)
	}
	if len(sums) == 0 {
		return fail(2, "%s: no usable case file (*.case)", pos[0])
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	a := report.NewAudit(sums)
	if *format == "csv" {
		err = report.WriteAuditCSV(w, a)
	} else {
		err = report.WriteAuditHTML(w, a)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

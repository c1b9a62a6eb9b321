package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "export",
		summary: "export a case file: --format csv (one row per second), summary-csv (one row per case), fhir (a FHIR R4 Bundle), registry-csv",
		run:     runExport,
	})
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if h := exportFormatHandler(args); h != nil { // fhir, registry-csv: export_more.go
		return h(ctx, args, stdout, stderr)
	}
	fl := newFlagSet("export", "CASEFILE --format csv|summary-csv [--out FILE]",
		"Writes a case file as CSV: one row per second of case time, from the first sample to\n"+
			"the last; column time (RFC 3339, UTC), then one column per channel in the file\n"+
			"(vocabulary order, derived.* included). A cell holds the channel's latest value at\n"+
			"that second when it is ok (quality ok, in its plausible range, within its freshness\n"+
			"limit), and is empty otherwise. A channel the site shows in another unit (--site-file:\n"+
			"kPa, g/L, mg/dL) is written in that unit, named in its header (\"abg.pco2 (kPa)\").\n"+
			"Bad lines are reported on stderr with their line numbers and skipped.\n"+
			"--format summary-csv writes one row for the case instead: the case summary of\n"+
			"docs/export.md, pseudonymised unless --identify is given, Hb and glucose in the site's\n"+
			"units (the column names say which).\n"+
			"Exit status: 0 when written, 1 on a write or read error, 2 on bad usage or a\n"+
			"missing, unreadable or empty case file.", stdout, stderr)
	format := fl.String("format", "", "output `FORMAT`: csv or summary-csv")
	out := fl.String("out", "", "output `FILE` (default: stdout)")
	pf := addPrivacyFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside export: "+format+"\n", a...)
		return code
	}
	switch {
	case len(pos) != 1:
		return fail(2, "one CASEFILE is required, got %d", len(pos))
	case *format == "":
		return fail(2, "--format is required (csv or summary-csv)")
	case *format != "csv" && *format != "summary-csv":
		return fail(2, "unknown --format %q (csv or summary-csv)", *format)
	}
	path := pos[0]
	if *format == "summary-csv" {
		w := stdout
		if *out != "" {
			of, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fail(1, "%v", err)
			}
			defer of.Close()
			w = of
		}
		return writeCaseSummaryCSV("export", path, pf, w, stderr)
	}
	cfg, ok := pf.site.load("export", stderr)
	if !ok {
		return 2
	}
	f, ok := openCase("export", path, stderr)
	if !ok {
		return 2
	}
	defer f.Close()
	w := stdout
	var of *os.File
	if *out != "" {
		var err error
		// Owner-only: an export holds patient data like the case file.
		of, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fail(1, "%v", err)
		}
		w = of
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bad := 0
	rows, err := record.ExportCSVDisplay(bw, bufio.NewReaderSize(f, 1<<20), func(e *record.LineError) {
		bad++
		fmt.Fprintf(stderr, "%s:%d: %v\n", path, e.Line, e.Err)
	}, func(ch string) record.ColumnDisplay {
		h, d := cfg.Units.Column(ch)
		if !d.Converted() {
			return record.ColumnDisplay{}
		}
		return record.ColumnDisplay{Header: h, Factor: d.Factor, Precision: d.Precision}
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if of != nil {
		if cerr := of.Close(); err == nil {
			err = cerr
		}
	}
	switch {
	case errors.Is(err, record.ErrFormat):
		return fail(2, "%s: %v", path, err)
	case err != nil:
		return fail(1, "%v", err)
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "pumpside export: %d rows; %d bad lines skipped\n", rows, bad)
	}
	_ = ctx
	return 0
}

// parseInterspersed parses flags before and after positional arguments
// ("export CASEFILE --format csv") and returns the positional ones.
func parseInterspersed(fl *flagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if code, ok := fl.parse(args); !ok {
			return nil, code, false
		}
		if fl.NArg() == 0 {
			return pos, 0, true
		}
		pos = append(pos, fl.Arg(0))
		args = fl.Args()[1:]
	}
}

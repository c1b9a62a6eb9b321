package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/report"
)

func init() {
	register(command{
		name:    "casebook",
		summary: "a trainee's casebook: every case a perfusionist took part in, as CSV or a logbook PDF",
		run:     runCasebook,
	})
}

// parseDay reads a --from/--to date (YYYY-MM-DD, a day of the theatre's
// zone loc); to is inclusive, so its end is the next midnight.
func parseDay(s string, end bool, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// caseFiles lists the *.case files under dir, sorted.
func caseFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".case") {
			paths = append(paths, p)
		}
		return nil
	})
	slices.Sort(paths)
	return paths, err
}

func runCasebook(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("casebook", "DIR --perfusionist NAME [--out casebook.pdf|casebook.csv] [--from DATE] [--to DATE]",
		"Lists every case under DIR (*.case) in which NAME took part (as perfusionist, trainee,\n"+
			"assistant or supervisor, compared without case): date, procedure, role (primary,\n"+
			"supervised, assisting, supervising), supervisor, bypass, cross-clamp and arrest times,\n"+
			"techniques (DHCA, ACP, RCP, ECMO, haemofiltration, cell salvage). CSV, or a printable\n"+
			"PDF in a training logbook's layout with a column for the supervisor's signature and the\n"+
			"totals by role and technique. Cases appear under their pseudonym (--identify: their\n"+
			"case tag); the team's names are the record's. The team is read from the case's\n"+
			"metadata and team events (docs/export.md, \"Casebook\").\n"+
			"Exit status: 0 when written (even with no case), 1 on a write error, 2 on bad usage,\n"+
			"no site secret, or a directory that cannot be read.", stdout, stderr)
	name := fl.String("perfusionist", "", "the person's `NAME` as the records give it")
	format := fl.String("format", "", "output `FORMAT`: pdf or csv (default: from --out's extension, else csv)")
	out := fl.String("out", "", "output `FILE` (default: stdout)")
	from := fl.String("from", "", "first `DATE` (YYYY-MM-DD, a day of the theatre's zone: --tz, else the site file's, else the machine's) of the period")
	to := fl.String("to", "", "last `DATE` (YYYY-MM-DD, a day of the theatre's zone) of the period")
	pf := addPrivacyFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside casebook: "+format+"\n", a...)
		return code
	}
	switch {
	case len(pos) != 1:
		return fail(2, "one DIR is required, got %d", len(pos))
	case strings.TrimSpace(*name) == "":
		return fail(2, "--perfusionist NAME is required")
	}
	if *format == "" {
		*format = "csv"
		if strings.EqualFold(filepath.Ext(*out), ".pdf") {
			*format = "pdf"
		}
	}
	if *format != "csv" && *format != "pdf" {
		return fail(2, "unknown --format %q (csv, pdf)", *format)
	}
	priv, ok := pf.privacy("casebook", stderr)
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
	cb := &report.Casebook{Name: strings.TrimSpace(*name), From: fromT}
	if !toT.IsZero() {
		cb.To = toT.AddDate(0, 0, -1)
	}
	for _, p := range paths {
		if ctx.Err() != nil {
			return fail(1, "%v", ctx.Err())
		}
		c, ok := loadCaseFile("casebook", p, stderr)
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
		if e, ok := report.CasebookEntryFor(c, s, cb.Name); ok {
			cb.Entries = append(cb.Entries, e)
		}
	}
	cb.Sort()
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	if *format == "pdf" {
		err = report.WriteCasebookPDF(w, cb, time.Now().In(pf.cfg.Location()).Truncate(time.Second))
	} else {
		err = report.WriteCasebookCSV(w, cb)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	roles, techs := cb.ByRole(), cb.ByTechnique()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(roles)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, roles[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(techs)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, techs[k]))
	}
	fmt.Fprintf(stderr, "pumpside casebook: %d cases of %s (%s)\n", len(cb.Entries), cb.Name, strings.Join(parts, ", "))
	return 0
}

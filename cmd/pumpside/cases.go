package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "cases",
		summary: "list the recorded cases in a directory: date, duration, size, events",
		run:     runCases,
	})
}

func runCases(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("cases", "[DIR]",
		"Lists the case files (*.case, docs/format/case.md) in DIR (default: the current\n"+
			"directory), oldest first: file, case id, start (in the theatre's zone: --tz, else\n"+
			"the site file's, else the machine's), duration, size, events,\n"+
			"alarm transitions, bookmarks, and bad lines if any.\n"+
			"Exit status: 0 when the directory was read (even with no case in it), 1 when a\n"+
			"case file cannot be read, 2 on bad usage or a directory that cannot be listed.", stdout, stderr)
	sf := addSiteFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	cfg, ok := sf.load("cases", stderr)
	if !ok {
		return 2
	}
	loc := cfg.Location()
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "pumpside cases: one directory at most, got %d\n", len(pos))
		return 2
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside cases: %v\n", err)
		return 2
	}
	type row struct {
		name string
		size int64
		sum  record.Summary
	}
	var rows []row
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".case") {
			continue
		}
		if ctx.Err() != nil {
			return 1
		}
		path := filepath.Join(dir, e.Name())
		if !isFirstSegment(path) {
			continue // a later segment of a long run: listed with its first
		}
		sum, size, err := summarize(path)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside cases: %v\n", err)
			code = 1
			continue
		}
		rows = append(rows, row{e.Name(), size, sum})
	}
	if len(rows) == 0 {
		if code == 0 {
			fmt.Fprintf(stdout, "no case files in %s\n", dir)
		}
		return code
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].sum.Start < rows[j].sum.Start })
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tCASE\tSTART\tDURATION\tSIZE\tEVENTS\tALARMS\tBOOKMARKS\tBAD LINES")
	for _, r := range rows {
		start := "-"
		if r.sum.Lines > 0 {
			start = time.Unix(0, r.sum.Start).In(loc).Format("2006-01-02 15:04:05 MST")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", r.name, or(r.sum.Case, "-"), start,
			r.sum.Duration().Round(time.Second), humanBytes(r.size), r.sum.Events, r.sum.Alarms, r.sum.Bookmarks, r.sum.BadLines)
	}
	tw.Flush()
	return code
}

// summarize reads a case file (a long run: all its segments) for the list.
func summarize(path string) (record.Summary, int64, error) {
	f, err := record.OpenRun(path)
	if err != nil {
		return record.Summary{}, 0, err
	}
	defer f.Close()
	sum, err := record.Summarize(f, nil)
	if err != nil {
		return sum, 0, fmt.Errorf("%s: %w", path, err)
	}
	return sum, f.Size(), nil
}

// isFirstSegment reports whether path is a case file or the first segment
// of a long run, not one of its later segments (docs/format/case.md).
func isFirstSegment(path string) bool {
	first, _ := record.FirstSegment(path)
	return first == path
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}

// openCase opens a case file for a subcommand: a missing, unreadable or
// empty file is bad input (exit 2) with a clear message. A long run's
// segments are read as one file (record.OpenRun; path: any segment).
func openCase(cmd, path string, stderr io.Writer) (*record.RunFile, bool) {
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		err = &fs.PathError{Op: "open", Path: path, Err: errors.New("is a directory")}
	}
	var f *record.RunFile
	if err == nil {
		f, err = record.OpenRun(path)
	}
	if err == nil && f.Size() == 0 {
		f.Close()
		err = &fs.PathError{Op: "open", Path: path, Err: errors.New("empty file: not a case")}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return nil, false
	}
	return f, true
}

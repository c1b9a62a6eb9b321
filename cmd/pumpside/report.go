package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/site"
)

func init() {
	register(command{
		name:    "report",
		summary: "the perfusion record of a case file as PDF or HTML: summary, timeline chart, gases, log",
		run:     runReport,
	})
}

// siteSecretEnv names the environment variable holding the site secret
// that keys case pseudonyms (docs/report.md).
const siteSecretEnv = "PUMPSIDE_SITE_SECRET"

// privacyFlags are the flags every command that writes case data out
// shares: --identify and --secret-file, plus the summary's thresholds.
type privacyFlags struct {
	identify   *bool
	secretFile *string
	do2i       *float64
	mapLow     *float64
	svo2Low    *float64
	outletHigh *float64
	profile    *string
	site       siteFlags
	// cfg is the site configuration, read by privacy; prof the --profile
	// alarm profile, nil without one.
	cfg  *site.Config
	prof *alarms.Profile
}

func addPrivacyFlags(fl *flagSet) *privacyFlags {
	def := report.DefaultSettings()
	return &privacyFlags{
		identify:   fl.Bool("identify", false, "show the case id and patient identifiers (default: a keyed pseudonym, identifiers left out)"),
		secretFile: fl.String("secret-file", "", "`FILE` holding the site secret for pseudonyms (default: $"+siteSecretEnv+")"),
		do2i:       fl.Float64("do2i-threshold", 0, "DO2i threshold, mL/min/m² (default: the case file's do2i_threshold, else 280)"),
		mapLow:     fl.Float64("map-low", def.Limits.MAPLow, "MAP limit, mmHg: time below it is counted"),
		svo2Low:    fl.Float64("svo2-low", def.Limits.SvO2Low, "SvO2 limit, %: time below it is counted"),
		outletHigh: fl.Float64("outlet-high", def.Limits.OutletHigh, "arterial outlet limit, °C: time at or above it is counted"),
		profile: fl.String("profile", "", "alarm profile the DO2i threshold scales with the temperature by (do2i_low's q10): a TOML file, or a built-in's name; "+
			"default: the built-in of the run's recorded mode, as replay uses (docs/report.md)"),
		site: addSiteFlags(fl),
	}
}

// settings are the summary's settings for c: the flags', the site file's,
// and the DO2i threshold's scaling with the temperature from the alarm
// profile (--profile, else the built-in of c's recorded mode, the profile
// replay uses: the default's do2i_low scales with q10 = 2), so that the time
// below the threshold is judged by the limit the alarm judged by. nil c:
// the default profile's.
func (p *privacyFlags) settings(c *report.Case) report.Settings {
	s := siteSettings(p.cfg)
	s.DO2iThreshold = *p.do2i
	s.Limits.MAPLow, s.Limits.SvO2Low, s.Limits.OutletHigh = *p.mapLow, *p.svo2Low, *p.outletHigh
	return withDO2iScaling(s, p.prof, c)
}

// withDO2iScaling sets the summary's scaling of the DO2i threshold with the
// temperature from prof's do2i_low (q10, q10_inputs), or, nil prof, from
// the built-in profile of c's recorded mode (nil c: the default profile).
func withDO2iScaling(s report.Settings, prof *alarms.Profile, c *report.Case) report.Settings {
	if prof == nil {
		prof = alarms.DefaultProfile()
		if c != nil && c.Meta.Mode == record.ModeECMO {
			prof = alarms.ECMOProfile()
		}
	}
	s.DO2iQ10, s.DO2iQ10Inputs = prof.Q10Of(channel.Get(channel.DerivedDO2i).Name)
	return s
}

// siteSettings are the summary's default settings with the site file's
// zone, units, grid interval, cardioplegia solutions and quality
// indicators (nil cfg: the defaults of a site without a file).
func siteSettings(cfg *site.Config) report.Settings {
	if cfg == nil {
		cfg = site.Default()
	}
	s := report.DefaultSettings()
	s.Zone, s.Units, s.GridInterval, s.Solutions = cfg.Location(), cfg.Units, cfg.GridInterval, cfg.Solutions
	s.Quality = cfg.Quality
	return s
}

// privacy reads the site file (--site-file, --tz) unless the command has
// read it already, and resolves the site secret: --secret-file, else the
// environment, else the site secret file under the user's config
// directory, created on first use (siteSecret; docs/report.md).
func (p *privacyFlags) privacy(cmd string, stderr io.Writer) (report.Privacy, bool) {
	pr := report.Privacy{Identify: *p.identify}
	if p.profile != nil && *p.profile != "" && p.prof == nil {
		prof, err := runProfile(*p.profile, "")
		if err != nil {
			fmt.Fprintf(stderr, "pumpside %s: --profile: %v\n", cmd, err)
			return pr, false
		}
		p.prof = prof
	}
	if p.cfg == nil {
		cfg, ok := p.site.load(cmd, stderr)
		if !ok {
			return pr, false
		}
		p.cfg = cfg
	}
	if *p.secretFile != "" {
		b, err := os.ReadFile(*p.secretFile)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside %s: site secret: %v\n", cmd, err)
			return pr, false
		}
		pr.Secret = bytes.TrimRight(b, "\r\n")
	} else if s := os.Getenv(siteSecretEnv); s != "" {
		pr.Secret = []byte(s)
	} else if !pr.Identify {
		b, err := siteSecret(stderr)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside %s: site secret: %v (set %s or --secret-file, or ask for --identify)\n", cmd, err, siteSecretEnv)
			return pr, false
		}
		pr.Secret = b
	}
	if _, err := pr.Label("check"); err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return pr, false
	}
	return pr, true
}

// loadCaseFile reads a case file for report, audit and export: each bad
// line on stderr with its number, the rest used. ok is false (exit 2) for a
// missing, unreadable or empty file, after a clear message.
func loadCaseFile(cmd, path string, stderr io.Writer) (*report.Case, bool) {
	f, ok := openCase(cmd, path, stderr)
	if !ok {
		return nil, false
	}
	defer f.Close()
	bad := 0
	c, err := report.Load(bufio.NewReaderSize(f, 1<<20), func(e *record.LineError) {
		bad++
		fmt.Fprintf(stderr, "%s:%d: %v\n", path, e.Line, e.Err)
	})
	switch {
	case errors.Is(err, report.ErrEmpty):
		fmt.Fprintf(stderr, "pumpside %s: %s: not a case file: no line follows the format (%d bad lines)\n", cmd, path, bad)
		return nil, false
	case err != nil:
		fmt.Fprintf(stderr, "pumpside %s: %s: %v\n", cmd, path, err)
		return nil, false
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "pumpside %s: %s: %d bad lines skipped\n", cmd, path, bad)
	}
	derived, computed, err := completeFromReplay(c, path)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %s: %v\n", cmd, path, err)
		return nil, false
	}
	if derived {
		fmt.Fprintf(stderr, "pumpside %s: %s has no derived values: computed from its samples, as replay does\n", cmd, path)
	}
	if computed {
		fmt.Fprintf(stderr, "pumpside %s: %s has no alarm log: alarms computed from its samples with the default profile, as replay does\n", cmd, path)
	}
	return c, true
}

// createOutput opens --out owner-only (an output holds patient data like
// the case file), or returns stdout.
func createOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	return bw, func() error {
		err := bw.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("report", "CASEFILE [--out case.pdf] [--format pdf|html] [--identify] [--secret-file FILE]",
		"Writes the perfusion record of a case file: a header with patient size and the case\n"+
			"pseudonym, the summary (bypass, cross-clamp and arrest times, nadirs, time and area\n"+
			"below the DO2i threshold, MAP, SvO2 and temperature excursions, fluids, blood, drugs,\n"+
			"alarms, data completeness, missing record items), a timeline chart, the blood gases\n"+
			"and the event and drug log. The case id is pseudonymised with HMAC-SHA256 keyed by the\n"+
			"site secret ($"+siteSecretEnv+" or --secret-file); without a secret the command\n"+
			"refuses unless --identify is given. Bad lines are reported on stderr with their line\n"+
			"numbers and skipped.\n"+
			"Exit status: 0 when written, 1 on a write error, 2 on bad usage, no site secret, or a\n"+
			"missing, unreadable or empty case file.", stdout, stderr)
	format := fl.String("format", "", "output `FORMAT`: pdf or html (default: from --out's extension, else pdf)")
	out := fl.String("out", "", "output `FILE` (default: stdout)")
	pf := addPrivacyFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside report: "+format+"\n", a...)
		return code
	}
	if len(pos) != 1 {
		return fail(2, "one CASEFILE is required, got %d", len(pos))
	}
	if *format == "" {
		*format = "pdf"
		if ext := strings.ToLower(filepath.Ext(*out)); ext == ".html" || ext == ".htm" {
			*format = "html"
		}
	}
	if *format != "pdf" && *format != "html" {
		return fail(2, "unknown --format %q (pdf, html)", *format)
	}
	priv, ok := pf.privacy("report", stderr)
	if !ok {
		return 2
	}
	c, ok := loadCaseFile("report", pos[0], stderr)
	if !ok {
		return 2
	}
	s, err := report.Summarize(c, pf.settings(c), priv)
	if err != nil {
		return fail(2, "%v", err)
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	if *format == "pdf" {
		err = report.WritePDF(w, c, s)
	} else {
		err = report.WriteHTML(w, c, s)
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	_ = ctx
	return 0
}

// writeCaseSummaryCSV writes the summary CSV (docs/export.md) of one case
// file to w and returns the exit status. It is the hook for "pumpside export
// CASEFILE --format summary-csv": register pf := addPrivacyFlags(fl) before
// parsing the flags, then call writeCaseSummaryCSV("export", path, pf, w,
// stderr). Bad lines go to stderr with their numbers; a missing, unreadable
// or empty file, or no site secret without --identify, is exit 2.
func writeCaseSummaryCSV(cmd, path string, pf *privacyFlags, w, stderr io.Writer) int {
	priv, ok := pf.privacy(cmd, stderr)
	if !ok {
		return 2
	}
	c, ok := loadCaseFile(cmd, path, stderr)
	if !ok {
		return 2
	}
	s, err := report.Summarize(c, pf.settings(c), priv)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return 2
	}
	if err := report.WriteSummaryCSV(w, s); err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"github.com/pumpside/pumpside/monitor/timeline"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "replay",
		summary: "replay a recorded case in the console (play, speed, seek, bookmarks) or headless",
		run:     runReplay,
	})
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("replay", "CASEFILE [--speed N|max] [--at 1h20m|--bookmark N] | CASEFILE --bookmarks | "+
		"CASEFILE --headless --speed max [--derived-out FILE.csv] [--alarms-out FILE.jsonl] | --from-influx CASEID [--range FROM,TO] ...",
		"Replays a case file (docs/format/case.md) through the same pipeline and alarm engine\n"+
			"(the default profile; the ECMO profile for a run recorded with --mode ecmo) as live data.\n\n"+
			"Without --headless it opens the console on the case, marked REPLAY, with play/pause,\n"+
			"speed (0.5× to 60×, or max: as fast as possible) and seek on the replay bar. A bookmark\n"+
			"(or note) entered during the replay is appended to the case file as measurement\n"+
			"bookmark; recorded lines are never changed. --bookmarks lists the bookmarks.\n\n"+
			"--headless replays as fast as possible, stepping once per second of case time from\n"+
			"the first sample to the last. --derived-out writes one CSV row per second: time\n"+
			"(RFC 3339, UTC), then one column per derived.* channel, empty when not ok.\n"+
			"--alarms-out writes the alarm transitions as JSON lines\n"+
			`  {"time","alarm","priority","state","value","limit"}`+"\n"+
			"The case's events set the phase (on_bypass, off_bypass, arrest_start, arrest_end),\n"+
			"the cross-clamp, and the last cardioplegia and ACT. Bad lines are reported on stderr\n"+
			"with their line numbers and skipped.\n\n"+
			"--from-influx CASEID reads the case from InfluxDB instead of a file (configuration from\n"+
			"PUMPSIDE_INFLUX_URL, _ORG, _BUCKET, _TOKEN or _TOKEN_FILE, _CA_FILE), optionally only\n"+
			"--range FROM,TO (RFC 3339).\n"+
			"Exit status: 0 when replayed, 1 on a write error or no display, 2 on bad usage or a\n"+
			"missing, unreadable or empty case.", stdout, stderr)
	headless := fl.Bool("headless", false, "replay without the console, as fast as possible")
	speed := fl.String("speed", "", "`SPEED`: 0.5 to 60 (times real time) or max (default: 1 in the console, max headless)")
	derivedOut := fl.String("derived-out", "", "write derived values per second to `FILE` (CSV)")
	alarmsOut := fl.String("alarms-out", "", "write alarm transitions to `FILE` (JSON lines)")
	listBookmarks := fl.Bool("bookmarks", false, "list the case's bookmarks (time, elapsed, text) and exit")
	at := fl.Duration("at", 0, "open the console this far into the case, e.g. 1h20m")
	atBookmark := fl.Int("bookmark", 0, "open the console at bookmark `N` (1 is the first --bookmarks lists)")
	fromInflux := fl.Bool("from-influx", false, "CASEID instead of CASEFILE: read the case from InfluxDB")
	influxRange := fl.String("range", "", "with --from-influx: `FROM,TO` in RFC 3339 (default: all of the case)")
	paused := fl.Bool("paused", false, "open the console paused (default: playing)")
	quiet := fl.Bool("no-sound", false, "do not open the sound card (audio_unavailable is then shown)")
	sf := addSiteFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	siteCfg, ok := sf.load("replay", stderr)
	if !ok {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside replay: "+format+"\n", a...)
		return code
	}
	switch {
	case len(pos) != 1:
		return fail(2, "one CASEFILE is required, got %d", len(pos))
	case *headless && *speed != "" && *speed != "max":
		return fail(2, "headless replay runs at --speed max only, got %q", *speed)
	case *influxRange != "" && !*fromInflux:
		return fail(2, "--range applies to --from-influx only")
	}
	guiSpeed := 1.0
	if !*headless && *speed != "" {
		var err error
		if *speed == "max" {
			guiSpeed = replaySpeedMax
		} else if guiSpeed, err = strconv.ParseFloat(*speed, 64); err != nil || guiSpeed < 0.5 || guiSpeed > 60 {
			return fail(2, "--speed %q: want 0.5 to 60 or max", *speed)
		}
	}
	path := pos[0]
	var c *replay.Case
	var influx *record.Config
	if *fromInflux {
		cfg, ok, err := record.ConfigFromEnv(os.Getenv, os.ReadFile)
		switch {
		case err != nil:
			return fail(2, "InfluxDB: %v", err)
		case !ok:
			return fail(2, "--from-influx: PUMPSIDE_INFLUX_URL is not set")
		}
		from, to, err := parseRange(*influxRange)
		if err != nil {
			return fail(2, "--range: %v", err)
		}
		c, err = loadFromInflux(ctx, cfg, path, from, to)
		if err != nil {
			return fail(2, "%v", err)
		}
		influx = &cfg
	} else {
		f, ok := openCase("replay", path, stderr) // says clearly why a path is no case file
		if !ok {
			return 2
		}
		f.Close()
		var err error
		c, err = replay.Open(path, func(e *record.LineError) {
			fmt.Fprintf(stderr, "%s:%d: %v\n", path, e.Line, e.Err)
		})
		if err != nil {
			return fail(2, "%s: %v", path, err)
		}
		defer c.Close()
	}
	if *listBookmarks {
		printBookmarks(stdout, c)
		return 0
	}
	if !*headless {
		start := c.Start + int64(*at)
		if *atBookmark != 0 {
			if *atBookmark < 1 || *atBookmark > len(c.Bookmarks) {
				return fail(2, "--bookmark %d: the case has %d bookmarks", *atBookmark, len(c.Bookmarks))
			}
			start = c.Bookmarks[*atBookmark-1].Time
		}
		caseFile := path
		if *fromInflux {
			caseFile = ""
		}
		return replayConsole(ctx, c, caseFile, replayOptions{at: start, speed: guiSpeed, audio: !*quiet, playing: !*paused, influx: influx, site: siteCfg}, stdout, stderr)
	}

	var outs []*os.File
	create := func(name string) (*bufio.Writer, error) {
		if name == "" {
			return bufio.NewWriter(io.Discard), nil
		}
		of, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, err
		}
		outs = append(outs, of)
		return bufio.NewWriterSize(of, 64<<10), nil
	}
	defer func() {
		for _, of := range outs {
			of.Close()
		}
	}()
	dw, err := create(*derivedOut)
	if err != nil {
		return fail(1, "%v", err)
	}
	aw, err := create(*alarmsOut)
	if err != nil {
		return fail(1, "%v", err)
	}
	st, err := headlessReplay(ctx, c, siteTolerances(siteCfg), dw, aw)
	if err == nil {
		err = dw.Flush()
	}
	if err == nil {
		err = aw.Flush()
	}
	for _, of := range outs {
		if cerr := of.Close(); err == nil {
			err = cerr
		}
	}
	outs = nil
	if err != nil {
		return fail(1, "%v", err)
	}
	fmt.Fprintf(stderr, "replayed %s: %s of case time, %d samples, %d alarm transitions, %d bad lines",
		or(c.ID, path), time.Duration(c.End-c.Start).Round(time.Second), c.NumSamples(), st.transitions, c.BadLines)
	if st.unknown > 0 {
		fmt.Fprintf(stderr, ", %d samples of unknown channels skipped", st.unknown)
	}
	fmt.Fprintln(stderr)
	for _, err := range st.settingErrs {
		fmt.Fprintf(stderr, "pumpside replay: recorded setting not applied: %v\n", err)
	}
	return 0
}

type replayStats struct {
	transitions int
	unknown     uint64
	// settingErrs are the recorded settings (limit changes, NIRS
	// baselines) the replay could not apply.
	settingErrs []error
	// checks are the in-line monitor checks the replay made (monitor/qc),
	// the newest maxReplayChecks.
	checks []qc.Check
}

// maxReplayChecks bounds the checks a replay keeps: a blood gas every 10
// minutes for a month, both sides.
const maxReplayChecks = 10000

// headlessReplay steps the pipeline once per second of case time.
func headlessReplay(ctx context.Context, c *replay.Case, tol qc.Tolerances, dw, aw io.Writer) (replayStats, error) {
	jl := alarms.NewJSONLines(aw)
	line := []byte("time")
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		line = append(line, ',')
		line = append(line, channel.Get(id).Name...)
	}
	line = append(line, '\n')
	if _, err := dw.Write(line); err != nil {
		return replayStats{}, err
	}
	st, err := replayWithAlarms(ctx, c, jl, tol, func(now time.Time, snap *monitor.Snapshot) error {
		line = now.UTC().AppendFormat(line[:0], time.RFC3339)
		for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
			line = append(line, ',')
			if r := snap.Reading(id); r.OK() {
				line = strconv.AppendFloat(line, r.Value, 'g', -1, 64)
			}
		}
		line = append(line, '\n')
		_, err := dw.Write(line)
		return err
	})
	if err != nil {
		return st, err
	}
	return st, jl.Err()
}

// caseProfile is the alarm profile a replay of c uses: the built-in of the
// run's recorded mode (the ECMO profile for a long run, docs/ecmo.md),
// else the default.
func caseProfile(c *replay.Case) *alarms.Profile {
	if c.Meta.Mode == record.ModeECMO {
		return alarms.ECMOProfile()
	}
	return alarms.DefaultProfile()
}

// replayWithAlarms replays c once per second of case time (replaySeconds)
// through its alarm profile (caseProfile), its events setting the phase, the
// cross-clamp and the last cardioplegia and ACT, as a console would. The
// alarm log goes to log; each is called after each evaluation.
func replayWithAlarms(ctx context.Context, c *replay.Case, log alarms.Logger, tol qc.Tolerances, each func(now time.Time, snap *monitor.Snapshot) error) (replayStats, error) {
	var st replayStats
	prof := caseProfile(c)
	eng, err := alarms.New(prof, alarms.Options{Logger: log})
	if err != nil {
		return st, err
	}
	tl := timeline.New(len(c.Events) + 1)
	for _, e := range c.Events {
		if err := tl.Add(timeline.Event{Time: e.Time, Kind: e.Kind, Tag: e.Tag}); err != nil {
			return st, err
		}
	}
	pc := newPhaseContext(prof, c.Settings(monitor.DefaultSettings()).Constants)
	actx := alarms.Context{Unprovided: c.Unprovided()}
	// inline_drift: from the checks the console recorded (at the times
	// the results reached it) and the recalibrations; a file without any
	// recorded check (pumpside sim --out) has them recomputed.
	drift := &qc.Drift{}
	var checker *qc.Checker
	if !recordedChecks(c) {
		checker = qc.New(tol)
	}
	var checks []qc.Check
	next := 0 // the next event whose settings to apply
	st.unknown, err = replaySeconds(ctx, c, func(now time.Time, snap *monitor.Snapshot) error {
		for ; next < len(c.Events) && c.Events[next].Time <= now.UnixNano(); next++ {
			e := &c.Events[next]
			for _, err := range applyRecorded(e.Kind, e.Num, e.Str, engineAt{eng, now}) {
				st.settingErrs = append(st.settingErrs, fmt.Errorf("%s at %s: %w", e.Kind, time.Unix(0, e.Time).UTC().Format(time.RFC3339), err))
			}
			feedDrift(drift, e, checker == nil)
		}
		tst := tl.At(now.UnixNano())
		pc.apply(tst, now.UnixNano(), snap, &actx)
		if checker != nil {
			checker.SetECMO(onECMO(c.Meta.Mode == record.ModeECMO, tst))
			n := len(checks)
			checks = checker.Check(checks, snap)
			for i := n; i < len(checks); i++ {
				drift.Checked(&checks[i])
			}
		}
		if len(checks) > maxReplayChecks {
			checks = checks[:copy(checks, checks[len(checks)-maxReplayChecks:])]
		}
		actx.InlineDrift = drift.Active()
		st.transitions += len(eng.Eval(now, snap, &actx))
		return each(now, snap)
	})
	st.checks = checks
	return st, err
}

// replaySeconds replays c through a pipeline of its own, publishing once
// per second of case time from the first whole second to the last, and
// calls each with the snapshot (valid during the call only). It returns
// the number of samples of channels the pipeline does not know.
func replaySeconds(ctx context.Context, c *replay.Case, each func(now time.Time, snap *monitor.Snapshot) error) (unknown uint64, err error) {
	start := floorSecond(c.Start)
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(time.Unix(start, 0)), Settings: c.Settings(monitor.DefaultSettings())})
	if err != nil {
		return 0, err
	}
	pl, err := replay.NewPlayer(c, p)
	if err != nil {
		return 0, err
	}
	end := floorSecond(c.End)
	// The in-line monitor's recalibrations, told to the pipeline when the
	// replay reaches them, as the console was.
	var recal []int64
	for _, e := range c.Events {
		if e.Kind == entry.KindInlineRecalibration {
			recal = append(recal, e.Time)
		}
	}
	slices.Sort(recal)
	for sec := start; sec <= end; sec++ {
		if sec%3600 == 0 && ctx.Err() != nil {
			return pl.Unknown, ctx.Err()
		}
		for len(recal) > 0 && recal[0] <= sec*int64(time.Second) {
			p.Recalibrated(recal[0])
			recal = recal[1:]
		}
		pl.PutUntil(sec * int64(time.Second))
		now := time.Unix(sec, 0)
		if err := each(now, p.Advance(now)); err != nil {
			return pl.Unknown, err
		}
	}
	return pl.Unknown, nil
}

func floorSecond(t int64) int64 {
	s := t / int64(time.Second)
	if t < 0 && t%int64(time.Second) != 0 {
		s--
	}
	return s
}

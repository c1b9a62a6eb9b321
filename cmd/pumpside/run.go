package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gioui.org/app"
	"gioui.org/unit"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/livestate"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/ui"
)

func init() {
	register(command{name: "run", summary: "open the console window (on the built-in simulated case, or on devices)", run: runRun})
}

// noDisplayHelp is printed when there is no display to open a window on.
const noDisplayHelp = `pumpside run: no display: neither DISPLAY (X11) nor WAYLAND_DISPLAY (Wayland) is set.
The console needs a graphical session. Headless alternatives:
  xvfb-run make run                          the console on a virtual X display
  pumpside screenshot --out console.png      the console rendered to a PNG, no display needed
  pumpside sim --out case.lp                 the simulated case written to a case file
  pumpside calc --help                       the perfusion calculator on the command line
`

// defaultCaseDir is where cases are recorded unless --record says otherwise:
// $XDG_DATA_HOME/pumpside/cases, else ~/.local/share/pumpside/cases.
func defaultCaseDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "pumpside", "cases")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "pumpside", "cases")
	}
	return "cases"
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "[--config FILE] [--scenario NAME] [--speed N] [--from 14m] [--seed N] [--record DIR]",
		"Opens the console window. Without --config it runs the built-in simulated case: an adult on\n"+
			"bypass with a pump, a patient monitor, an in-line blood monitor, a pulse oximeter, cerebral\n"+
			"oximetry and a blood gas analyser, in real time; no device, server or configuration is needed,\n"+
			"and an instructor can inject faults live with 'pumpside sim trigger NAME'. With --config it\n"+
			"reads the devices the file describes (docs/format/console.md).\n\n"+
			"The case is recorded to a case file (docs/format/case.md) in the --record directory, and\n"+
			"shipped to InfluxDB when PUMPSIDE_INFLUX_URL is set (see README).", stdout, stderr)
	cfgPath := fs.String("config", "", "run on the devices of this console config (TOML) instead of the simulator")
	scenario := fs.String("scenario", "routine-cabg", "built-in scenario of the simulated case (pumpside sim --list)")
	speed := fs.Float64("speed", 1, "simulated case speed: 1 is real time, 10 is ten times faster (0.1–100)")
	from := fs.Duration("from", 0, "start this far into the simulated case, e.g. 14m (just before bypass)")
	seed := fs.Uint64("seed", 1, "simulator seed")
	control := fs.String("control", sim.DefaultControlAddr, "instructor control address of the simulated case (\"\" for none)")
	profilePath := fs.String("profile", "", "alarm profile: a TOML file, or a built-in's name (default, ecmo); default: the mode's built-in (docs/alarms.md)")
	recordDir := fs.String("record", defaultCaseDir(), "directory for the case record (\"\" records nothing)")
	resume := fs.String("resume", "", "with --config: continue the case of this case file after a restart (its events, timers and record)")
	quiet := fs.Bool("no-sound", false, "do not open the sound card (audio_unavailable is then shown)")
	mode := fs.String("mode", "", "`MODE` of the run: bypass (a case of hours) or ecmo (ECMO, ECCO2R: days, recorded in daily segments, docs/ecmo.md); default: the console config's mode, else bypass")
	segment := fs.Duration("segment", 0, "with --mode ecmo: case time per record segment (default 24h; shorter for tests and drills, at least 1s)")
	sf := addSiteFlags(fs)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	siteCfg, ok := sf.load("run", stderr)
	if !ok {
		return 2
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside run: "+format+"\n", a...)
		return code
	}
	if *speed < 0.1 || *speed > 100 {
		return fail(2, "--speed %g is outside 0.1–100", *speed)
	}
	if *from < 0 || *from > 24*time.Hour {
		return fail(2, "--from %v is outside 0s–24h", *from)
	}
	if *cfgPath != "" && (*speed != 1 || *from != 0) {
		return fail(2, "--speed and --from apply to the simulated case, not to real devices (--config)")
	}
	if *resume != "" && *cfgPath == "" {
		return fail(2, "--resume continues a case on real devices: it needs --config")
	}
	var cfg *console.Config
	var sc *sim.Scenario
	var err error
	if *cfgPath != "" {
		if cfg, err = console.Load(*cfgPath); err != nil {
			return fail(2, "%v", err)
		}
	} else if sc, err = sim.Builtin(*scenario); err != nil {
		return fail(2, "%v", err)
	}
	if cfg != nil && *mode == "" {
		*mode = cfg.Run.Mode
	}
	if sc != nil && sc.ECMO != nil && *mode == "" {
		*mode = "ecmo" // an ECMO scenario is a long run (docs/ecmo.md)
	}
	if cfg != nil && *segment == 0 && cfg.Run.Segment != "" && *mode == "ecmo" {
		*segment, _ = time.ParseDuration(cfg.Run.Segment) // checked by console.Load
	}
	rm, err := parseRunMode(*mode, *segment)
	if err != nil {
		return fail(2, "%v", err)
	}
	// The alarm profile: --profile's, else the mode's built-in (docs/ecmo.md).
	profile, err := runProfile(*profilePath, rm.name)
	if err != nil {
		return fail(2, "%v", err)
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprint(stderr, noDisplayHelp)
		return 1
	}

	// The case clock reads now at start-up and runs at --speed; the
	// simulated case began --from earlier.
	clk, err := clock.NewScaled(clock.Wall{}, time.Now(), *speed)
	if err != nil {
		return fail(2, "%v", err)
	}
	// The built-in case starts on a whole second and is stepped a second at
	// a time (sessionOptions.stepped), as its replay is.
	start := clk.Now().Add(-*from)
	// The theatre on the department view: PUMPSIDE_THEATRE, else the site
	// file's (docs/site.md).
	theatre, err := livestate.Theatre(siteCfg.Theatre, os.Getenv)
	if err != nil {
		return fail(2, "%v", err)
	}
	if cfg == nil {
		start = start.Truncate(time.Second)
	}
	set := monitor.DefaultSettings()
	// A long run shows its timers, ECMO entries and the oxygenator's tiles.
	uiOpts := ui.Options{CaseStart: start, ECMO: rm.name == record.ModeECMO, Oxygenator: rm.name == record.ModeECMO}
	uiOpts.DO2iQ10, uiOpts.DO2iQ10Inputs = do2iScaling(profile)
	if cfg != nil {
		if set, err = cfg.Pipeline.Settings(set); err != nil {
			return fail(2, "%v", err)
		}
		gs, gc, err := cfg.Display.Gas()
		if err != nil {
			return fail(2, "%v", err)
		}
		uiOpts.GasStrategy, uiOpts.GasCorrection = gs, &gc
	}
	s, err := newSession(sessionOptions{clk: clk, recordDir: *recordDir, resume: *resume, caseStart: start, caseID: newCaseID(start),
		theatre: theatre, profile: profile, audio: !*quiet, stderr: stderr, stepped: cfg == nil, settings: &set, site: siteCfg,
		segment: rm.segment, ecmo: rm.name == record.ModeECMO, ecmoStartFed: sc != nil && sc.ECMO != nil})
	if err != nil {
		return fail(1, "%v", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The site file's sign-off sender: a signoff entry on the set-up
	// screen sends the case to the interface engine (docs/integration.md);
	// what earlier consoles left in the record directory's outboxes goes
	// first.
	if s.rec != nil {
		if s.sender, err = startSignOffSender(ctx, siteCfg, *recordDir, stderr); err != nil {
			return fail(2, "%v", err)
		}
	}
	var feeders sync.WaitGroup
	if cfg != nil {
		sinks, prods, err := s.addDevices(cfg)
		if err != nil {
			return fail(1, "%v", err)
		}
		if err := s.sealSources(prods); err != nil {
			return fail(1, "%v", err)
		}
		s.running, err = cfg.Start(ctx, func(d *console.Device) devices.Sink { return sinks[d.Name] }, devices.SupervisorOptions{})
		if err != nil {
			return fail(1, "%v", err)
		}
	} else {
		feed, err := newSessionSimFeed(s, sim.NewScenario(sc, start, *seed))
		if err != nil {
			return fail(1, "%v", err)
		}
		// Catch up with the case's first --from minutes headless, a second
		// at a time, so no ring overflows and the statistics see every
		// second.
		feed.stepTo(*from)
		feeders.Go(func() { feed.run(ctx, clk) })
		if *control != "" {
			if ln, err := sim.ListenControl(*control); err != nil {
				fmt.Fprintf(stderr, "pumpside run: no instructor control: %v\n", err)
			} else {
				feeders.Go(func() { _ = sim.ServeControl(ctx, ln, feed.c) })
				fmt.Fprintf(stdout, "pumpside: instructor control on %s (pumpside sim trigger NAME)\n", ln.Addr())
			}
		}
	}
	// The shipper follows the case file until the console closes; the end
	// of the case, written when the record closes, is drained after that
	// (drainCaseEnd), and cases other consoles left behind are caught up.
	var drain func()
	if cfgShip, ok, err := record.ConfigFromEnv(os.Getenv, os.ReadFile); err != nil {
		return fail(2, "InfluxDB: %v", err)
	} else if ok && s.rec != nil {
		sh, err := record.NewShipper(s.rec.Path(), record.ShipperOptions{Config: cfgShip})
		if err != nil {
			return fail(2, "InfluxDB: %v", err)
		}
		defer sh.Close()
		s.shipper = sh
		path := s.rec.Path()
		feeders.Go(func() {
			if err := sh.Run(ctx); err != nil {
				fmt.Fprintf(stderr, "pumpside: shipping the case: %v\n", err)
			}
		})
		feeders.Go(func() { catchUpCases(ctx, filepath.Dir(path), path, record.ShipperOptions{Config: cfgShip}, stderr) })
		drain = func() { drainCaseEnd(sh, path, cfgShip, stderr) }
		fmt.Fprintf(stdout, "pumpside: shipping the case to %s\n", cfgShip)
	}

	w := new(app.Window)
	w.Option(app.Title("Pumpside"), app.Size(unit.Dp(1280), unit.Dp(800)))
	s.redraw = w.Invalidate
	s.onSnap = ui.Throttle(w, ui.DefaultRedrawInterval)
	wait := s.start(ctx)
	exitIfStuck(ctx, stderr, shutdownGrace)
	uiOpts.State, uiOpts.OnAction = s.state.Load, s.onAction
	uiOpts.Zone, uiOpts.Units, uiOpts.Preset = siteCfg.Location(), siteCfg.Units, siteCfg.Preset
	c := ui.NewConsole(uiOpts)
	go func() {
		code := 0
		if err := ui.Run(ctx, w, c, s.p.Acquire, clk.Now); err != nil {
			fmt.Fprintf(stderr, "pumpside run: the window failed: %v\n", err)
			fmt.Fprint(stderr, "If there is no usable display, try: xvfb-run make run, or pumpside screenshot --out console.png\n")
			code = 1
		}
		cancel()
		feeders.Wait()
		wait()
		if s.running != nil {
			if err := s.running.Wait(); err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(stderr, "pumpside run: devices: %v\n", err)
			}
		}
		if drain != nil {
			drain() // the record is closed: ship its end
		}
		os.Exit(code)
	}()
	if s.rec != nil {
		fmt.Fprintf(stdout, "pumpside: recording the case to %s\n", s.rec.Path())
	}
	if cfg != nil {
		fmt.Fprintf(stdout, "pumpside: console open on %d devices from %s\n", len(cfg.Devices), *cfgPath)
	} else {
		fmt.Fprintf(stdout, "pumpside: console open on the simulated case %q (speed %g×)\n", sc.Name, *speed)
	}
	app.Main() // never returns: the window goroutine exits the process
	return 0
}

// run feeds the simulated devices on the case clock until ctx is done. With
// a stepped session (idle set) it steps the case a whole second of case
// time at a time as the clock reaches it, publishing and evaluating the
// alarms at each (stepTo, afterStep), none skipped however fast the clock
// runs; otherwise it only puts the samples due and the pipeline publishes
// on its own. Waking every 50 ms of real time keeps every sample within
// 50 ms of its time at 1×.
func (f *simFeed) run(ctx context.Context, clk clock.Clock) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if f.idle != nil {
			f.stepTo(clk.Now().Sub(f.c.Start()).Truncate(time.Second))
			f.idle()
		} else {
			f.advance(clk.Now())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

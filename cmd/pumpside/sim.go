package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	// The analyser drivers, so that "sim --emit astm=… / hl7=…" finds them
	// (the other drivers are registered by devices_cmd.go).
	_ "github.com/pumpside/pumpside/devices/astm"
	_ "github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor/clock"
)

func init() {
	register(command{name: "sim", summary: "simulated bypass case: list scenarios, generate a case file, emulate devices, trigger faults", run: runSim})
}

// builtinSimStart is the start of headless cases: fixed, so that files are
// reproducible.
var builtinSimStart = builtinCaseStart

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "trigger", "clear":
			return runSimControl(ctx, args[0], args[1:], stdout, stderr)
		}
	}
	fs := newFlagSet("sim", "[--list] | [--scenario NAME | --scenario-file FILE] [--seed N] [--duration 4h] --out FILE | [--emit DRIVER=TARGET …]\n       pumpside sim trigger|clear NAME [--addr ADDR]",
		"Runs the physiological bypass-case simulator.\n"+
			"  --list                      names the scenarios and faults\n"+
			"  --out FILE                  writes the case headless, as fast as possible, as a case file\n"+
			"                              (docs/format/case.md; \"-\" is stdout)\n"+
			"  --emit DRIVER=TARGET        makes the simulated devices speak their wire format in real time\n"+
			"                              (TARGET a serial path or tcp:HOST:PORT; a patient monitor also\n"+
			"                              udp:HOST:PORT), serving --control\n"+
			"  trigger NAME / clear NAME   sends a fault or action to a running case's control address", stdout, stderr)
	list := fs.Bool("list", false, "list the built-in scenarios and the faults")
	scenario := fs.String("scenario", sim.DefaultScenario, "built-in scenario name")
	scenarioFile := fs.String("scenario-file", "", "scenario TOML file (instead of --scenario)")
	seed := fs.Uint64("seed", 1, "simulator seed")
	duration := fs.Duration("duration", 0, "case length to generate (default: the scenario's)")
	out := fs.String("out", "", "case file to write, docs/format/case.md (\"-\" for stdout)")
	caseID := fs.String("case", "", "case id tag of the file (default sim-SCENARIO-SEED)")
	var emits multiFlag
	fs.Var(&emits, "emit", "DRIVER=TARGET: emulate a device on a serial path, tcp:HOST:PORT or (a monitor) udp:HOST:PORT (repeatable)")
	control := fs.String("control", sim.DefaultControlAddr, "instructor control address while emulating (\"\" disables)")
	speed := fs.Float64("speed", 1, "case seconds per real second while emulating")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pumpside sim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *list {
		simList(stdout)
		return 0
	}
	sc, err := loadScenario(*scenario, *scenarioFile)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside sim: %v\n", err)
		return 2
	}
	switch {
	case *out != "" && len(emits) > 0:
		fmt.Fprintln(stderr, "pumpside sim: --out and --emit exclude each other")
		return 2
	case *out != "":
		return simGenerate(sc, *seed, *duration, *out, *caseID, stdout, stderr)
	case len(emits) > 0:
		return simEmulate(ctx, sc, *seed, emits, *control, *speed, stdout, stderr)
	}
	fmt.Fprintln(stderr, "pumpside sim: nothing to do: give --list, --out FILE or --emit DRIVER=TARGET")
	return 2
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func loadScenario(name, file string) (*sim.Scenario, error) {
	if file == "" {
		return sim.Builtin(name)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return sim.ParseScenario(file, data)
}

func simList(w io.Writer) {
	fmt.Fprintln(w, "Scenarios:")
	for _, n := range sim.BuiltinNames() {
		sc, err := sim.Builtin(n)
		if err != nil {
			fmt.Fprintf(w, "  %-18s (does not load: %v)\n", n, err)
			continue
		}
		def := ""
		if n == sim.DefaultScenario {
			def = " (default)"
		}
		fmt.Fprintf(w, "  %-18s %s, %v%s\n", n, sc.Title, sc.Duration, def)
	}
	fmt.Fprintln(w, "\nFaults (scenario \"fault\" events, or pumpside sim trigger NAME):")
	for _, f := range sim.Faults() {
		fmt.Fprintf(w, "  %-18s %s\n", f, f.About())
	}
	fmt.Fprintf(w, "\nLive actions: %s\n", strings.Join(sim.LiveActions(), ", "))
	fmt.Fprintf(w, "Emulated drivers: %s\n", strings.Join(emulatedDrivers(), ", "))
}

// maxSimDuration bounds a generated case: an ECMO run of a month.
const maxSimDuration = 31 * 24 * time.Hour

func simGenerate(sc *sim.Scenario, seed uint64, d time.Duration, out, caseID string, stdout, stderr io.Writer) int {
	if d == 0 {
		d = sc.Duration
	}
	if d < 0 || d > maxSimDuration {
		fmt.Fprintf(stderr, "pumpside sim: --duration %v is outside 0–%v\n", d, maxSimDuration)
		return 2
	}
	var w io.Writer = stdout
	var f *os.File
	if out != "-" {
		var err error
		f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // case files are 0600 (case.md)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside sim: %v\n", err)
			return 1
		}
		w = f
	}
	c := sim.NewScenario(sc, builtinSimStart, seed)
	id := caseID
	if id == "" {
		id = fmt.Sprintf("sim-%s-%d", sc.Name, seed)
	}
	err := sim.WriteCaseFile(w, c, id, builtinSimStart.Add(d))
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pumpside sim: %v\n", err)
		return 1
	}
	if f != nil {
		fmt.Fprintf(stdout, "wrote %s: scenario %s, seed %d, %v of case\n", out, sc.Name, seed, d)
	}
	return 0
}

func runSimControl(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sim "+verb, "NAME [--addr ADDR]",
		"Sends \""+verb+" NAME\" to a running simulated case (pumpside sim --emit, or the console\n"+
			"when it serves the simulator's control). NAME is a fault or a live action (pumpside sim --list).", stdout, stderr)
	addr := fs.String("addr", sim.DefaultControlAddr, "control address: HOST:PORT, tcp:HOST:PORT or unix:PATH")
	// Accept the name before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		fmt.Fprintf(stderr, "pumpside sim %s: give exactly one NAME\n", verb)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ans, err := sim.SendControl(ctx, *addr, verb+" "+name)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside sim %s: %v\n", verb, err)
		if errors.Is(err, sim.ErrControl) {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stdout, ans)
	return 0
}

func emulatedDrivers() []string { return emulate.Drivers() }

// simEmulate runs the case in real time (× speed) and makes each device
// named in emits speak its wire format on its target, serving the
// instructor control on control, until ctx is done.
func simEmulate(ctx context.Context, sc *sim.Scenario, seed uint64, emits []string, control string, speed float64, stdout, stderr io.Writer) int {
	if !(speed > 0 && speed <= 1000) {
		fmt.Fprintf(stderr, "pumpside sim: --speed %g is outside (0, 1000]\n", speed)
		return 2
	}
	var devs []*emulate.Device
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for _, e := range emits {
		drv, target, ok := strings.Cut(e, "=")
		if !ok || drv == "" || target == "" {
			fmt.Fprintf(stderr, "pumpside sim: --emit %q: want DRIVER=TARGET (emulated drivers: %s)\n", e, strings.Join(emulate.Drivers(), ", "))
			return 2
		}
		d, err := emulate.New(drv, nil)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside sim: --emit %s: %v (emulated drivers: %s)\n", drv, err, strings.Join(emulate.Drivers(), ", "))
			return 2
		}
		w, err := emulate.Open(d, target)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside sim: --emit %s: %v\n", e, err)
			return 1
		}
		closers = append(closers, w)
		d.SetWriter(w)
		devs = append(devs, d)
		switch w := w.(type) {
		case *emulate.Broadcaster:
			target = "tcp:" + w.Addr()
		case *emulate.Responding:
			target = w.Addr()
		}
		fmt.Fprintf(stdout, "emulating %s on %s\n", drv, target)
	}
	clk := clock.Wall{}
	c := sim.NewScenario(sc, clk.Now().Truncate(time.Second), seed)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ctlDone chan error
	if control != "" {
		ln, err := sim.ListenControl(control)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside sim: --control: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "instructor control on %s (pumpside sim trigger NAME --addr %s)\n", ln.Addr(), ln.Addr())
		ctlDone = make(chan error, 1)
		go func() { ctlDone <- sim.ServeControl(ctx, ln, c) }()
	}
	err := emulate.Run(ctx, c, devs, clk, speed, 100*time.Millisecond, time.Time{})
	cancel()
	for _, d := range devs {
		if st := d.Conversation(); st.Sent+st.Refused+st.Unheard+st.Dropped > 0 {
			fmt.Fprintf(stdout, "%s: %d messages accepted, %d refused or unanswered, %d with no console connected, %d dropped\n",
				d.Driver, st.Sent, st.Refused, st.Unheard, st.Dropped)
			if st.Last != nil {
				fmt.Fprintf(stdout, "%s: last refusal: %v\n", d.Driver, st.Last)
			}
		}
	}
	if ctlDone != nil {
		if cerr := <-ctlDone; err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pumpside sim: %v\n", err)
		return 1
	}
	return 0
}

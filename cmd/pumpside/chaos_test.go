package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/ui/xvfbtest"
)

// TestChaos runs issue 22's experiments by hand as tests of the real
// binary: each is a subtest on a shared chaos environment (the binary
// built once, a virtual display). `make chaos` sets PUMPSIDE_CHAOS=1 for the
// full version (about 10 minutes); without it (make test, CI) a short
// version runs: one 2 s unplug, a small line-noise sample, one kill -9, one
// short InfluxDB outage, the damaged files of a 20-min case. Every figure
// is logged (go test -v shows them). PUMPSIDE_CHAOS_BIN=path runs them on
// that binary instead of a fresh build.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	env := newChaos(t)
	t.Run("unplug", env.unplug)
	t.Run("line noise", env.lineNoise)
	t.Run("speed", env.speed)
	t.Run("kill -9", env.kill9)
	t.Run("influxdb outage", env.influxOutage)
	t.Run("damaged files", env.damagedFiles)
}

// chaos is what the experiments share, for the whole of TestChaos.
type chaos struct {
	full bool
	bin  string // the pumpside binary
	dir  string
	// display is a virtual display for the console's window.
	display, importTool string
}

func newChaos(t *testing.T) *chaos {
	c := &chaos{full: os.Getenv("PUMPSIDE_CHAOS") == "1", dir: t.TempDir()}
	// PUMPSIDE_CHAOS_BIN runs the experiments on another build (an older
	// one, to compare): the line-noise decoding and the console are its.
	if c.bin = os.Getenv("PUMPSIDE_CHAOS_BIN"); c.bin == "" {
		c.bin = filepath.Join(c.dir, "pumpside")
		out, err := exec.Command("go", "build", "-o", c.bin, ".").CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	c.importTool = need(t, "import")
	c.display = xvfbtest.Start(t)
	if c.full {
		t.Log("full chaos run (PUMPSIDE_CHAOS=1)")
	} else {
		t.Log("short chaos run: make chaos runs the full one")
	}
	return c
}

// pick returns full in a full run, else short.
func pick[T any](c *chaos, full, short T) T {
	if c.full {
		return full
	}
	return short
}

// console starts `pumpside args...` with its window on the virtual display
// and waits for the window; the test's cleanup stops it.
func (c *chaos) console(t *testing.T, args ...string) *guiProcess {
	t.Helper()
	g := startGUI(t, c.bin, c.display, c.importTool, t.TempDir(), args...)
	g.waitWindow(func(image.Image) bool { return true })
	return g
}

// caseFile returns the one case file recorded in dir.
func caseFile(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.case"))
	require.NoError(t, err)
	require.Len(t, files, 1, "case files in %s", dir)
	return files[0]
}

// sampleTimes returns the times (Unix ns) of the samples of channel
// ("group.name") from source in a case file, in file order, and fails the
// test if two share a time (InfluxDB would keep one).
func sampleTimes(t *testing.T, path, source, ch string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	group, name, _ := strings.Cut(ch, ".")
	r := record.NewReader(bufio.NewReader(f))
	var out []int64
	seen := map[int64]bool{}
	for r.Next() {
		e := r.Entry()
		if e.Kind() != record.KindSamples || string(e.Measurement) != group || e.Tag("source") != source {
			continue
		}
		for _, fv := range e.Fields {
			if string(fv.Key) == name {
				assert.False(t, seen[e.Time], "two %s samples at %d", ch, e.Time)
				seen[e.Time] = true
				out = append(out, e.Time)
			}
		}
	}
	require.NoError(t, r.Err())
	return out
}

// masimoWriter plays a Masimo oximeter on a pty's peer: a line every
// 100 ms, the port opened again whenever it fails (socat restarted), until
// stop is closed.
func masimoWriter(path string, stop <-chan struct{}) (done <-chan struct{}) {
	d := make(chan struct{})
	go func() {
		defer close(d)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var f *os.File
		defer func() {
			if f != nil {
				f.Close()
			}
		}()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if f == nil {
				var err error
				if f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0); err != nil {
					f = nil
					continue
				}
			}
			now := time.Now().UTC()
			line := fmt.Sprintf("%s SN=0000056661 SPO2=0%02d%% BPM=0%02d PI=03.60%% SPCO=--.-%% SPMET=--.-%% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n",
				now.Format("01/02/06 15:04:05"), 90+n%10, 60+n%30)
			if _, err := f.WriteString(line); err != nil {
				f.Close()
				f = nil
			}
		}
	}()
	return d
}

// unplug runs the console on a pulse oximeter on a pty, kills the pty
// (the adapter pulled) for 2 s (and 20 and 60 s in a full run), restarts
// it, and measures in the case file how long after the device's return its
// samples flowed again: at most 2 s, whatever the outage.
func (c *chaos) unplug(t *testing.T) {
	outages := pick(c, []time.Duration{2 * time.Second, 20 * time.Second, 60 * time.Second}, []time.Duration{2 * time.Second})
	pty := devicetest.StartPtyPair(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "console.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
[[device]]
name = "oximeter"
driver = "masimo"
[device.transport]
type = "serial"
port = %q
baud = 9600
`, pty.Device)), 0o600))
	cases := filepath.Join(dir, "cases")
	g := c.console(t, "run", "--config", cfg, "--record", cases, "--no-sound")
	stop := make(chan struct{})
	written := masimoWriter(pty.Peer, stop)
	time.Sleep(3 * time.Second)
	require.True(t, waitFor(10*time.Second, func() bool { return firstSampleAfter(caseFile(t, cases), "oximeter", "spo2", 0) != 0 }),
		"no sample recorded; console:\n%s", g.logs.String())

	path := caseFile(t, cases)
	for _, d := range outages {
		pty.Kill()
		time.Sleep(d)
		back := time.Now().UnixNano()
		pty.Start()
		// Wait (up to 40 s: a back-off of old reached 30 s) for a sample
		// received after the return, in the case file as it grows.
		var first int64
		waitFor(40*time.Second, func() bool {
			first = firstSampleAfter(path, "oximeter", "spo2", back)
			return first != 0
		})
		require.NotZero(t, first, "no sample within 40 s of the device's return after a %v unplug; console:\n%s", d, g.logs.String())
		reconnect := time.Duration(first - back)
		t.Logf("unplugged %v: samples again %v after the device's return", d, reconnect.Round(time.Millisecond))
		assert.LessOrEqual(t, reconnect, 2*time.Second, "reconnect after a %v unplug", d)
		time.Sleep(2 * time.Second)
	}
	close(stop)
	<-written
	g.interrupt()
	assert.NotEmpty(t, sampleTimes(t, path, "oximeter", "patient.spo2"), "and no two samples at one time")
}

// firstSampleAfter returns the time of the first sample of patient.field
// from source received after t in a case file being written (a torn last
// line is no error here), or 0.
func firstSampleAfter(path, source, field string, t int64) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	r := record.NewReader(bytes.NewReader(data))
	r.OnBadLine = func(*record.LineError) {}
	for r.Next() {
		e := r.Entry()
		if e.Kind() != record.KindSamples || string(e.Measurement) != "patient" || e.Tag("source") != source || e.Time <= t {
			continue
		}
		for _, fv := range e.Fields {
			if string(fv.Key) == field {
				return e.Time
			}
		}
	}
	return 0
}

// checks says which registered drivers' formats carry a check over each
// frame, and which; the others have none. A false ok value from a
// checksummed format fails the experiment under byte flips (and under bit
// flips for a StrongCheck), unless misses says why the check cannot see
// all of this noise; from the others it is measured and logged.
var checks = map[string]struct {
	check  devicetest.FrameCheck
	what   string
	misses string
}{
	"generic":       {check: devicetest.WeakCheck, what: "XOR-8"}, // the simulator's pump format
	"astm":          {check: devicetest.WeakCheck, what: "sum mod 256"},
	"cdi550-packet": {check: devicetest.WeakCheck, what: "CRC-8"},
	// The sum sees any one changed byte of a record (devices/s5,
	// TestOneDamagedByteIsNoValue), but at 1 % a record of about 880
	// bytes has some 9 changed, and about 1 such record in 256 passes it
	// (docs/drivers.md, "False ok values under line noise").
	"s5": {check: devicetest.WeakCheck, what: "sum mod 256",
		misses: "an 8-bit sum misses about 1 in 256 records with several bytes changed: logged, not failed"},
	// Measured on its MIB/RS232 link (dialogueConfig): on the LAN the
	// messages carry no check of their own, and Ethernet's CRC-32 drops a
	// damaged datagram before the driver reads it.
	"intellivue": {check: devicetest.StrongCheck, what: "FCS-16"},
}

// dialogueConfig holds the options of a driver whose device sends only
// when asked (devices.Responder), for the dialogue whose bytes the line
// noise runs through.
var dialogueConfig = map[string]string{"intellivue": `link = "serial"`}

// lineNoise runs 1 % flipped bytes (one flipped bit, or a byte replaced)
// through every registered driver that has an encoder, decoding with
// `pumpside decode`, and counts the ok values absent from the clean
// stream's. The clean stream is the emulated device's, or for a device
// that sends only when asked, what it sends in a dialogue with its driver.
func (c *chaos) lineNoise(t *testing.T) {
	span := pick(c, 2*time.Hour, 10*time.Minute)
	seeds := pick(c, 10, 2)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	for _, name := range devices.Names() {
		clean, err := emulate.Stream(name, sim.New(start, 1), start.Add(span))
		if errors.Is(err, emulate.ErrNoEncoder) {
			clean, err = recordDialogue(t, name, start, span)
		}
		if errors.Is(err, emulate.ErrNoEncoder) {
			t.Logf("%s: not measured here (%v)", name, err)
			continue
		}
		require.NoError(t, err, name)
		ref := c.decode(t, name, filepath.Join(dir, name+".clean"), clean)
		known := map[string]bool{}
		for _, s := range ref {
			if s.ok() {
				known[s.key()] = true
			}
		}
		ck := checks[name]
		if ck.what == "" {
			ck.what = "no checksum"
		}
		if ck.misses != "" {
			t.Logf("%-13s %s", name, ck.misses)
		}
		for _, how := range []devicetest.Flip{devicetest.BitFlip, devicetest.ByteFlip} {
			ok, falseOK := 0, 0
			var example string
			for seed := range uint64(seeds) {
				noisy := devicetest.FlipBytes(clean, 0.01, seed+1, how)
				for _, s := range c.decode(t, name, filepath.Join(dir, name+".noisy"), noisy) {
					if !s.ok() {
						continue
					}
					ok++
					if !known[s.key()] {
						falseOK++
						example = fmt.Sprintf("(e.g. %s = %v)", s.Channel, *s.Value)
					}
				}
			}
			rate := 0.0
			if ok > 0 {
				rate = 100 * float64(falseOK) / float64(ok)
			}
			t.Logf("%-13s %-11s 1 %% %s flips, %v × %d: %d ok values, %d false (%.3f %%) %s", name, ck.what, how, span, seeds, ok, falseOK, rate, example)
			if ck.misses == "" && ck.check != devicetest.NoCheck && (how == devicetest.ByteFlip || ck.check == devicetest.StrongCheck) {
				assert.Zero(t, falseOK, "%s carries a check (%s): no false value may pass it (%s flips)", name, ck.what, how)
			}
		}
	}
}

// recordDialogue returns what the emulated device of driver name sends its
// driver in a dialogue (devicetest.Dialogue) while the simulated case runs
// from start for span, when the device sends only when asked
// (devices.Responder); for another driver, ErrNoEncoder.
func recordDialogue(t *testing.T, name string, start time.Time, span time.Duration) ([]byte, error) {
	dev, err := emulate.New(name, nil)
	if err != nil {
		return nil, err
	}
	if !dev.Responds() {
		return nil, fmt.Errorf("%s sends no dialogue: %w", name, emulate.ErrNoEncoder)
	}
	configured := func() devices.Driver {
		d, err := devices.New(name)
		require.NoError(t, err)
		var decode func(any) error
		if cfg := dialogueConfig[name]; cfg != "" {
			decode = devices.TOMLDecoder([]byte(cfg))
		}
		require.NoError(t, devices.Configure(d, decode))
		return d
	}
	drv, mon := configured(), configured()
	cs := sim.New(start, 1)
	emit := func(_ sim.Source, s monitor.Sample) { dev.Put(s) }
	return devicetest.Dialogue(t, drv, mon.(devices.Responder), span,
		func(elapsed time.Duration, dst []monitor.Sample) []monitor.Sample {
			cs.AdvanceTo(start.Add(elapsed), emit)
			assert.NoError(t, dev.Flush()) // on the monitor's goroutine: no FailNow
			return dev.Latest(dst)
		}), nil
}

// decoded is one line of `pumpside decode`.
type decoded struct {
	Channel string   `json:"channel"`
	Value   *float64 `json:"value"`
	Quality string   `json:"quality"`
}

func (d decoded) ok() bool { return d.Quality == "ok" && d.Value != nil }
func (d decoded) key() string {
	return fmt.Sprintf("%s=%v", d.Channel, math.Float64bits(*d.Value))
}

// decode runs `pumpside decode --driver name` on data.
func (c *chaos) decode(t *testing.T, name, path string, data []byte) []decoded {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, 0o600))
	cmd := exec.Command(c.bin, "decode", "--driver", name, path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s: %s", name, stderr.String())
	var out []decoded
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var d decoded
		require.NoError(t, json.Unmarshal(sc.Bytes(), &d), "%s", sc.Text())
		out = append(out, d)
	}
	return out
}

// speed runs the built-in case with `run --speed N` (full run: 10× for 30
// minutes of case time, 100× for 50) and replays the case file it
// recorded with `replay --headless`: the alarm lines must be the same.
// (The short run leaves this to TestSpedUpRunMatchesItsReplay, in fake
// time.)
func (c *chaos) speed(t *testing.T) {
	if !c.full {
		t.Skip("full chaos run only (make chaos)")
	}
	for _, r := range []struct {
		speed string
		wall  time.Duration
	}{{"10", 3 * time.Minute}, {"100", 30 * time.Second}} {
		dir := t.TempDir()
		cases := filepath.Join(dir, "cases")
		g := c.console(t, "run", "--speed", r.speed, "--record", cases, "--no-sound", "--control", "")
		time.Sleep(r.wall)
		g.interrupt()
		path := caseFile(t, cases)
		run, _ := caseAlarms(t, path)
		var live []string
		for _, l := range run {
			if !strings.Contains(l, " audio_unavailable ") {
				live = append(live, l)
			}
		}
		out := filepath.Join(dir, "alarms.jsonl")
		cmd := exec.Command(c.bin, "replay", path, "--headless", "--alarms-out", out)
		msg, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", msg)
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		trs, err := alarms.ReadJSONLines(bytes.NewReader(data))
		require.NoError(t, err)
		var replayed []string
		for _, tr := range trs {
			replayed = append(replayed, alarmLine(tr.Time, tr.Alarm, tr.Priority.String(), tr.State.TransitionName(), tr.Value, tr.Limit))
		}
		t.Logf("run --speed %s for %v: %d alarm lines, %d on replay", r.speed, r.wall, len(live), len(replayed))
		assert.Equal(t, replayed, live, "--speed %s", r.speed)
	}
}

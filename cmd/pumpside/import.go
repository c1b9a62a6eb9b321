package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/invos"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "import",
		summary: "append a device's own download to a recorded case (INVOS case history)",
		run:     runImport,
	})
}

// KindDataImport is the event kind of the audit line an import appends.
const KindDataImport = "data_import"

// importSource is the source tag of imported INVOS samples: the driver's
// name, as a live INVOS records them.
const importSource = invos.Name

// overlapTolerance: an imported reading is a duplicate of what the case
// already holds when a sample of the same channel from source invos lies
// within this much of it, or when it falls inside a run of such samples
// (consecutive samples at most overlapGap apart), so a case recorded live
// from the INVOS, or imported once, is not imported again. Device and
// console clocks are assumed to agree within it.
const (
	overlapTolerance = 15 * time.Second
	overlapGap       = 30 * time.Second
)

// importFlushEvery bounds the samples queued in the case writer between
// flushes, far below its queue: an import never drops a sample.
const importFlushEvery = 4096

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("import", "invos FILE --case CASEFILE --who NAME [--config FILE] [--tz ZONE] [--dry-run]",
		"Appends the readings of an INVOS case-history download (one reading a line, from the\n"+
			"monitor's USB export: devices/invos/README.md) to a recorded case, with source=invos,\n"+
			"so that NIRS appears in the replay, the report and the exports of a case that had no\n"+
			"live cable. The INVOS channels map to nirs.* and the status codes to quality as for the\n"+
			"live driver: --config takes its config file (pumpside devices --sample-config invos).\n"+
			"Dates and times are the device's local time, read in --tz (an IANA zone such as\n"+
			"Europe/Paris, a fixed offset such as +01:00, UTC or Local; default Local: this\n"+
			"machine's zone).\n\n"+
			"Only readings within the case (its first to its last line) are appended. A reading the\n"+
			"case already holds is not appended again: one within 15 s of an invos sample of the\n"+
			"same channel, or inside a run of them (a live INVOS, an earlier import). Bad lines are\n"+
			"reported on stderr with their line numbers and counted. The case file is only appended\n"+
			"to; the import ends with an audit line (event kind data_import: who, the file and its\n"+
			"SHA-256, the counts), listed by pumpside event list.\n"+
			"Exit status: 0 imported (bad lines reported), 1 read or write error or nothing to\n"+
			"import, 2 bad usage or config.", stdout, stderr)
	casePath := fl.String("case", "", "the case file to append to (`CASEFILE`)")
	who := fl.String("who", "", "who imports (initials; required: the import is an audited entry)")
	configFile := fl.String("config", "", "the invos driver's options `FILE` (channels, status codes)")
	tz := fl.String("tz", "Local", "the device clock's time `ZONE`")
	dry := fl.Bool("dry-run", false, "read and count, write nothing")
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside import: "+format+"\n", a...)
		return code
	}
	switch {
	case len(pos) != 2:
		return fail(2, "want the source and one FILE: pumpside import invos FILE --case CASEFILE --who NAME")
	case pos[0] != "invos":
		return fail(2, "unknown source %q: invos is the only one", pos[0])
	case *casePath == "":
		return fail(2, "--case CASEFILE is required")
	case strings.TrimSpace(*who) == "":
		return fail(2, "--who is required: every import says who made it")
	}
	loc, err := parseZone(*tz)
	if err != nil {
		return fail(2, "--tz: %v", err)
	}
	drv := invos.New()
	var decode func(any) error
	if *configFile != "" {
		data, err := os.ReadFile(*configFile)
		if err != nil {
			return fail(2, "%v", err)
		}
		decode = devices.TOMLDecoder(data)
	}
	if err := devices.Configure(drv, decode); err != nil {
		return fail(2, "%s: %v", or(*configFile, "options"), err)
	}

	cs, code := readImportCase(*casePath, stderr)
	if cs == nil {
		return code
	}
	file := pos[1]
	data, err := os.ReadFile(file)
	if err != nil {
		return fail(1, "%v", err)
	}
	im := importer{drv: drv, have: cs.have, seen: map[sampleKey]bool{}}
	hr := drv.NewHistoryReader(strings.NewReader(string(data)), loc)
	var readings []invos.History
	for {
		h, err := hr.Next()
		if err == io.EOF {
			break
		}
		var le *invos.LineError
		if errors.As(err, &le) {
			im.bad++
			fmt.Fprintf(stderr, "pumpside import: %s:%d: %v (skipped)\n", file, le.Line, le.Err)
			continue
		}
		if err != nil {
			return fail(1, "%s: %v", file, err)
		}
		t := h.Time.UnixNano()
		if t < cs.start || t > cs.end {
			im.outside++
			continue
		}
		readings = append(readings, h)
		for i, c := range h.Ch {
			im.active[i] = im.active[i] || c.RSO2 != 0
		}
	}
	for i := range readings {
		im.add(readings[i].Time.UnixNano(), &readings[i])
	}
	if im.readings == 0 {
		msg := "no reading to import"
		if im.overlap > 0 {
			msg += fmt.Sprintf(": %d already in the case", im.overlap)
		}
		if im.outside > 0 {
			msg += fmt.Sprintf("; %d outside the case (%s to %s, read in %s)", im.outside, fmtTime(cs.start), fmtTime(cs.end), loc)
		}
		if im.bad > 0 {
			msg += fmt.Sprintf("; %d bad lines", im.bad)
		}
		return fail(1, "%s: %s", file, msg)
	}
	sum := sha256.Sum256(data)
	ev := record.Event{Time: eventNow().UnixNano(), Kind: KindDataImport, Text: im.text(filepath.Base(file)), Fields: []record.Field{
		record.Str("source", importSource), record.Str("file", filepath.Base(file)), record.Str("sha256", hex.EncodeToString(sum[:])),
		record.Num("readings", float64(im.readings)), record.Num("samples", float64(len(im.samples))),
		record.Num("overlapping", float64(im.overlap)), record.Num("outside", float64(im.outside)), record.Num("bad_lines", float64(im.bad)),
		record.Str("first", fmtTime(im.first)), record.Str("last", fmtTime(im.last)), record.Str("tz", loc.String()),
		record.Str("who", strings.TrimSpace(*who)),
	}}
	if *dry {
		fmt.Fprintf(stdout, "dry run, nothing written: %s\n", ev.Text)
		return 0
	}
	if err := appendImport(*casePath, cs.caseID, im.samples, ev, stderr); err != nil {
		return fail(1, "%s: not recorded: %v", *casePath, err)
	}
	fmt.Fprintf(stdout, "recorded %s\n", ev.Text)
	return 0
}

// parseZone reads an IANA zone name, Local, UTC, or a fixed offset
// (+01:00, -0500).
func parseZone(s string) (*time.Location, error) {
	switch s {
	case "", "Local", "local":
		return time.Local, nil
	}
	if s[0] == '+' || s[0] == '-' {
		for _, layout := range []string{"-07:00", "-0700", "-07"} {
			if t, err := time.Parse(layout, s); err == nil {
				_, off := t.Zone()
				return time.FixedZone(s, off), nil
			}
		}
		return nil, fmt.Errorf("%q is not an offset such as +01:00", s)
	}
	return time.LoadLocation(s)
}

func fmtTime(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339) }

// importCase is what an import needs of the case file: its id, its span
// (first to last sample: events such as an earlier import's audit line,
// written when the import was made, do not stretch it), and the times of
// the NIRS samples an INVOS already gave it.
type importCase struct {
	caseID     string
	start, end int64
	have       map[channel.ID][]int64 // sorted
}

func readImportCase(path string, stderr io.Writer) (*importCase, int) {
	f, ok := openCase("import", path, stderr)
	if !ok {
		return nil, 2
	}
	defer f.Close()
	cs := &importCase{have: map[channel.ID][]int64{}, start: math.MaxInt64, end: math.MinInt64}
	rd := record.NewReader(bufio.NewReaderSize(f, 1<<20))
	rd.OnBadLine = func(e *record.LineError) {
		fmt.Fprintf(stderr, "pumpside import: %s: %v (skipped)\n", path, e)
	}
	var buf []record.ChannelSample
	for rd.Next() {
		e := rd.Entry()
		if cs.caseID == "" {
			cs.caseID = e.Tag(record.TagCase)
		}
		if e.Kind() != record.KindSamples {
			continue
		}
		cs.start, cs.end = min(cs.start, e.Time), max(cs.end, e.Time)
		if e.Tag(record.TagSource) != importSource {
			continue
		}
		buf = e.Samples(buf[:0])
		for _, s := range buf {
			if id, ok := channel.Lookup(s.Channel); ok {
				cs.have[id] = append(cs.have[id], s.Time)
			}
		}
	}
	if err := rd.Err(); err != nil {
		fmt.Fprintf(stderr, "pumpside import: %s: %v\n", path, err)
		return nil, 1
	}
	if cs.caseID == "" || cs.start > cs.end {
		fmt.Fprintf(stderr, "pumpside import: %s: no sample line with a case tag: not a recorded case\n", path)
		return nil, 2
	}
	for id := range cs.have {
		slices.Sort(cs.have[id])
	}
	return cs, 0
}

type sampleKey struct {
	ch channel.ID
	t  int64
}

// importer turns readings into samples and counts.
type importer struct {
	drv                             *invos.Driver
	have                            map[channel.ID][]int64
	seen                            map[sampleKey]bool
	samples                         []monitor.Sample
	readings, overlap, outside, bad int
	first, last                     int64
	channels                        []channel.ID
	// active: the INVOS channel has a value in some reading of the file. A
	// channel never active (no sensor on it all along) adds no samples: a
	// run of "no value" would only hide another device's values of that
	// channel in the replay.
	active [invos.Channels]bool
}

// add appends the samples of one reading, unless every mapped channel of
// it is already in the case.
func (im *importer) add(t int64, h *invos.History) {
	n, dup := 0, 0
	for i, c := range h.Ch {
		id := im.drv.ChannelID(i)
		if id == channel.Invalid || !im.active[i] {
			continue
		}
		n++
		k := sampleKey{id, t}
		if im.seen[k] || covered(im.have[id], t) {
			dup++
			continue
		}
		im.seen[k] = true
		s := monitor.Sample{Time: t, Channel: id, Source: 1, Value: math.NaN(), Quality: channel.Unavailable}
		if c.RSO2 != 0 {
			s.Quality = im.drv.StatusQuality(c.Status)
			if s.Quality != channel.Unavailable {
				s.Value = float64(c.RSO2)
			}
		}
		im.samples = append(im.samples, s)
		if !slices.Contains(im.channels, id) {
			im.channels = append(im.channels, id)
		}
	}
	switch {
	case n > 0 && dup == n:
		im.overlap++
	case n > dup:
		im.readings++
		if im.first == 0 || t < im.first {
			im.first = t
		}
		im.last = max(im.last, t)
	}
}

// covered reports whether t is within overlapTolerance of a time in ts
// (sorted), or between two of them at most overlapGap apart.
func covered(ts []int64, t int64) bool {
	i, _ := slices.BinarySearch(ts, t)
	tol, gap := int64(overlapTolerance), int64(overlapGap)
	after := i < len(ts) && ts[i]-t <= tol
	before := i > 0 && t-ts[i-1] <= tol
	between := i > 0 && i < len(ts) && ts[i]-ts[i-1] <= gap
	return after || before || between
}

func (im *importer) text(file string) string {
	names := make([]string, len(im.channels))
	slices.Sort(im.channels)
	for i, id := range im.channels {
		names[i] = id.String()
	}
	return fmt.Sprintf("Imported %d INVOS readings (%s, %s to %s) from %s; %d already in the case, %d outside it, %d bad lines",
		im.readings, strings.Join(names, ", "), fmtTime(im.first), fmtTime(im.last), file, im.overlap, im.outside, im.bad)
}

// appendImport appends the samples and the audit line with the case file
// writer (which repairs a torn tail first) and waits until they are on
// disk. The writer's queue never fills: it is flushed every
// importFlushEvery samples.
func appendImport(path, caseID string, samples []monitor.Sample, ev record.Event, stderr io.Writer) error {
	w, err := record.Open(path, record.Options{Case: caseID, Sources: []string{"", importSource}})
	if err != nil {
		return err
	}
	if r := w.Status().Repaired; r.Bytes > 0 {
		fmt.Fprintf(stderr, "pumpside import: %s: cut a torn last line (%d bytes) before appending\n", path, r.Bytes)
	}
	for i, s := range samples {
		if !w.Sample(s) {
			break
		}
		if (i+1)%importFlushEvery == 0 {
			if err = w.Flush(); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = w.AddEvent(ev)
	}
	if err == nil {
		err = w.Flush()
	}
	st := w.Status()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && (st.Dropped > 0 || st.Rejected > 0) {
		err = fmt.Errorf("%d samples dropped, %d rejected by the case writer", st.Dropped, st.Rejected)
	}
	return err
}

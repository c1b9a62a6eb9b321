package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
)

func init() {
	register(command{
		name:    "event",
		summary: "add, correct or list the perfusion record's entries of a case file (drugs, fluids, ...)",
		run:     runEvent,
	})
}

// eventNow is the console's clock for "now" (the default entry time and
// the future limit). Tests set it.
var eventNow = time.Now

const eventUsage = `Usage: pumpside event add|edit|list CASEFILE [flags]

  add   records an entry:  --kind drug --name heparin --dose 30000 --unit IU --route iv --who jd
                           --kind blood_gas --sample arterial --at 09:15 --ph 7.38 --pco2 5.3 --k 4.6 --who jd
                           --kind disposable --item oxygenator --lot 2611-0042A --from-preset --who jd
  edit  corrects one:      --target TIME [--at TIME|--ago DUR] [fields] [--text T] [--void|--restore] --who jd
  list  shows the entries as they stand, marks the edited and voided ones, and their history

Times are shown in the theatre's zone (--tz, else the site file's, else the machine's);
--at takes RFC 3339 or a time of day on that clock (09:15). Blood gas results are typed in
the site's units (docs/site.md) and stored in the channels' (docs/channels.md).

The case file is only appended to (docs/format/case.md, "Entry identity and edits"):
an edit is a new line naming the entry it corrects by its time; nothing is rewritten.
Run "pumpside event add --help" for the kinds and their fields.
Exit status: 0 done, 1 read or write error, 2 bad usage or input (one line names the field
and the allowed range).
`

func runEvent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventUsage)
		return 2
	}
	switch args[0] {
	case "add":
		return runEventAdd(args[1:], stdout, stderr)
	case "edit":
		return runEventEdit(args[1:], stdout, stderr)
	case "list":
		return runEventList(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, eventUsage)
		return 0
	}
	fmt.Fprintf(stderr, "pumpside event: unknown subcommand %q (add, edit or list)\n", args[0])
	return 2
}

// fieldFlags are one string flag per structured field of every kind
// (volume_ml is --volume-ml, also --volume), parsed by the kind's spec
// once the kind is known.
type fieldFlags struct {
	vals map[string]*string // by field key
	set  map[string]bool    // keys given
}

var fieldAliases = map[string]string{"volume": "volume_ml", "temp": "temp_c", "rap": "rap_ml"}

func addFieldFlags(fl *flagSet) *fieldFlags {
	ff := &fieldFlags{vals: map[string]*string{}, set: map[string]bool{}}
	var keys []string
	help := map[string][]string{}
	for _, k := range entry.Kinds() {
		for _, f := range k.Fields {
			if _, seen := help[f.Key]; !seen {
				keys = append(keys, f.Key)
			}
			h := k.Kind + ": " + f.Help
			switch {
			case f.Key == "end":
				h += " (RFC 3339 time)"
			case len(f.Choices) > 0:
				h += " (" + strings.Join(f.Choices, ", ") + ")"
			}
			help[f.Key] = append(help[f.Key], h)
		}
	}
	for _, key := range keys {
		name := strings.ReplaceAll(key, "_", "-")
		if fl.Lookup(name) != nil {
			// A flag of the command itself (edit's --target, which is
			// also a specimen entry's field): the command's meaning wins.
			continue
		}
		ff.vals[key] = fl.String(name, "", strings.Join(help[key], "; "))
	}
	for alias, key := range fieldAliases {
		fl.Var(aliasValue{ff.vals[key]}, alias, "same as --"+strings.ReplaceAll(key, "_", "-"))
	}
	return ff
}

type aliasValue struct{ p *string }

func (a aliasValue) String() string {
	if a.p == nil {
		return ""
	}
	return *a.p
}
func (a aliasValue) Set(s string) error { *a.p = s; return nil }

// collect notes which field flags were given.
func (ff *fieldFlags) collect(fl *flagSet) {
	fl.Visit(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if k, ok := fieldAliases[f.Name]; ok {
			key = k
		}
		if _, ok := ff.vals[key]; ok {
			ff.set[key] = true
		}
	})
}

// apply sets the given fields on e as the kind's spec types them. A field
// the kind does not have is set as a string, for Validate to name.
func (ff *fieldFlags) apply(kind string, num map[string]float64, str map[string]string) (map[string]float64, map[string]string, error) {
	spec, _ := entry.Spec(kind)
	for _, key := range sortedSet(ff.set) {
		raw := strings.TrimSpace(*ff.vals[key])
		var f entry.FieldSpec
		known := false
		if spec != nil {
			f, known = spec.Field(key)
		}
		if !known || f.Str {
			if str == nil {
				str = map[string]string{}
			}
			str[key] = raw
			continue
		}
		var v float64
		if key == "end" {
			t, err := parseTime(raw)
			if err != nil {
				return nil, nil, &entry.FieldError{Kind: kind, Field: key, Value: strconv.Quote(raw), Reason: "is not a time", Allowed: "RFC 3339 (2026-03-02T09:15:00Z) or Unix ns"}
			}
			v = float64(t)
		} else {
			var err error
			v, err = strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, nil, &entry.FieldError{Kind: kind, Field: key, Value: strconv.Quote(raw), Reason: "is not a number"}
			}
		}
		if num == nil {
			num = map[string]float64{}
		}
		num[key] = v
	}
	return num, str, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// parseTime reads an RFC 3339 time or Unix ns. A zone abbreviation after
// the time, as the event commands print them ("...+01:00 CET"), is
// ignored: the offset says it.
func parseTime(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	if t, _, cut := strings.Cut(s, " "); cut {
		s = t
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.UnixNano(), nil
}

// whenFlags are --at and --ago; loc is the theatre's zone for a time of
// day.
type whenFlags struct {
	at  *string
	ago *time.Duration
	loc *time.Location
}

func addWhenFlags(fl *flagSet, what string) whenFlags {
	return whenFlags{
		at:  fl.String("at", "", what+" at `TIME` (RFC 3339, e.g. 2026-03-02T09:15:00Z, or a time of day in the theatre's zone: 09:15)"),
		ago: fl.Duration("ago", 0, what+" this long before now (5m, 1h30m)"),
		loc: time.Local,
	}
}

// resolve returns the time the flags name; given is false if neither was.
func (w whenFlags) resolve(fl *flagSet, kind string, now int64) (t int64, given bool, err error) {
	at, ago := false, false
	fl.Visit(func(f *flag.Flag) {
		at = at || f.Name == "at"
		ago = ago || f.Name == "ago"
	})
	switch {
	case at && ago:
		return 0, false, errors.New("give --at or --ago, not both")
	case at:
		if t, ok := clockAt(strings.TrimSpace(*w.at), time.Unix(0, now), w.loc, entry.DefaultSkew); ok {
			return t, true, nil
		}
		t, err := parseTime(*w.at)
		if err != nil {
			return 0, false, &entry.FieldError{Kind: kind, Field: "time", Value: strconv.Quote(*w.at), Reason: "is not a time",
				Allowed: "RFC 3339 (2026-03-02T09:15:00Z), Unix ns, or a time of day (09:15, 09:15:30) in " + w.loc.String()}
		}
		return t, true, nil
	case ago:
		if *w.ago < 0 {
			return 0, false, &entry.FieldError{Kind: kind, Field: "ago", Value: w.ago.String(), Reason: "is negative", Allowed: "a duration ≥ 0 (5m, 1h30m)"}
		}
		return now - int64(*w.ago), true, nil
	}
	return now, false, nil
}

// caseEvents is what a case file holds that entries need.
type caseEvents struct {
	caseID string
	// start is the earliest line's time: no entry can be before it.
	start  int64
	events []entry.Entry // every event line, edits included, file order
	times  map[int64]bool
	bad    int
}

func readCaseEvents(cmd, path string, stderr io.Writer) (*caseEvents, int) {
	f, ok := openCase(cmd, path, stderr)
	if !ok {
		return nil, 2
	}
	defer f.Close()
	ce := &caseEvents{times: map[int64]bool{}}
	rd := record.NewReader(bufio.NewReaderSize(f, 1<<20))
	rd.OnBadLine = func(e *record.LineError) {
		fmt.Fprintf(stderr, "pumpside %s: %s: %v (skipped)\n", cmd, path, e)
	}
	for rd.Next() {
		e := rd.Entry()
		if ce.caseID == "" {
			ce.caseID = e.Tag(record.TagCase)
		}
		if ce.start == 0 || e.Time < ce.start {
			ce.start = e.Time
		}
		if e.Kind() == record.KindEvent {
			ce.events = append(ce.events, entry.FromRecord(e))
			ce.times[e.Time] = true
		}
	}
	if err := rd.Err(); err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %s: %v\n", cmd, path, err)
		return nil, 1
	}
	ce.bad = rd.BadLines
	if ce.caseID == "" {
		fmt.Fprintf(stderr, "pumpside %s: %s: no line with a case tag: not a case file\n", cmd, path)
		return nil, 2
	}
	return ce, 0
}

// unique returns t, moved 1 ns later while an event line has that time:
// an entry's time is its identity.
func (ce *caseEvents) unique(t int64) int64 {
	for ce.times[t] {
		t++
	}
	return t
}

// operatorSource is the source of what the operator types in, as the
// console names it: manual blood gas results are its samples.
const operatorSource = "operator"

// appendEvent appends one event line with the case file writer (which
// repairs a torn tail first), after the entry's samples if any (source
// operator: a manual blood gas's results), and waits until it is on disk.
func appendEvent(cmd, path, caseID string, ev record.Event, stderr io.Writer, samples ...monitor.Sample) int {
	w, err := record.Open(path, record.Options{Case: caseID, Sources: []string{"", operatorSource}})
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return 1
	}
	if r := w.Status().Repaired; r.Bytes > 0 {
		fmt.Fprintf(stderr, "pumpside %s: %s: cut a torn last line (%d bytes) before appending\n", cmd, path, r.Bytes)
	}
	for _, smp := range samples {
		smp.Source = 1 // operatorSource
		if !w.Sample(smp) {
			err = fmt.Errorf("sample %s not queued", smp.Channel)
		}
	}
	if err == nil {
		err = w.AddEvent(ev)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %s: not recorded: %v\n", cmd, path, err)
		return 1
	}
	return 0
}

// refuse prints a refusal on one line and returns 2.
func refuse(cmd string, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "pumpside %s: refused: %v\n", cmd, err)
	return 2
}

func runEventAdd(args []string, stdout, stderr io.Writer) int {
	const cmd = "event add"
	fl := newFlagSet(cmd, "CASEFILE --kind KIND [fields] [--at TIME|--ago DUR] --who NAME",
		"Appends one entry of the perfusion record to the case file. Its time (now unless --at\n"+
			"or --ago) must be within the case (not before its first line, not more than a minute\n"+
			"in the future); doses must be within the formulary's range for the drug and unit,\n"+
			"volumes and temperatures within their plausible ranges. A refused entry writes\n"+
			"nothing and prints one line naming the field and the allowed range (exit 2).\n\n"+
			"Kinds and fields:\n"+kindsHelp(), stdout, stderr)
	kind := fl.String("kind", "", "entry `KIND` (see above)")
	who := fl.String("who", "", "who gives or enters it (initials; required)")
	text := fl.String("text", "", "free text (default: made from the fields)")
	preset := fl.Bool("from-preset", false, "fill the fields not given from the site file's preset of the kind (a disposable's by --item, a fluid's or drug's by --name)")
	when := addWhenFlags(fl, "happened")
	sf := addSiteFlags(fl)
	ff := addFieldFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	cfg, ok := sf.load(cmd, stderr)
	if !ok {
		return 2
	}
	when.loc = cfg.Location()
	model := entry.Model{Zone: cfg.Location()}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pumpside %s: one CASEFILE is required, got %d\n", cmd, len(pos))
		return 2
	}
	if *kind == "" {
		fmt.Fprintf(stderr, "pumpside %s: --kind is required\n", cmd)
		return 2
	}
	if strings.TrimSpace(*who) == "" {
		fmt.Fprintf(stderr, "pumpside %s: --who is required: every entry says who made it\n", cmd)
		return 2
	}
	ff.collect(fl)
	now := eventNow().UnixNano()
	t, _, err := when.resolve(fl, *kind, now)
	if err != nil {
		return refuse(cmd, stderr, err)
	}
	e := entry.Entry{Kind: *kind, Time: t, Text: *text, Who: *who}
	if e.Num, e.Str, err = ff.apply(*kind, nil, nil); err != nil {
		return refuse(cmd, stderr, err)
	}
	if *preset && !cfg.Fill(&e) {
		fmt.Fprintf(stderr, "pumpside %s: the site file has no preset for this %s; nothing filled\n", cmd, *kind)
	}
	ce, code := readCaseEvents(cmd, pos[0], stderr)
	if ce == nil {
		return code
	}
	entry.Normalize(&e)
	if err := cfg.Units.BloodGasStored(&e); err != nil {
		return refuse(cmd, stderr, err)
	}
	entry.CompleteCardioplegia(&e, cfg.Solutions)
	if err := model.Validate(e, ce.start, now); err != nil {
		return refuse(cmd, stderr, err)
	}
	e.Time = ce.unique(e.Time)
	var assigned []monitor.Sample
	if e.Kind == entry.KindSpecimen {
		if assigned, err = specimenResult(pos[0], &e); err != nil {
			return refuse(cmd, stderr, err)
		}
	}
	ev := e.Event()
	if code := appendEvent(cmd, pos[0], ce.caseID, ev, stderr, append(assigned, entrySamples(e)...)...); code != 0 {
		return code
	}
	fmt.Fprintf(stdout, "recorded %s at %s: %s\n", e.Kind, model.FormatTime(e.Time), ev.Text)
	return 0
}

// entrySamples are the samples an entry puts on channels from the
// operator's source (source 1 of appendEvent's writer): a manual blood
// gas's results, on abg.* or vbg.*, at the entry's time.
func entrySamples(e entry.Entry) []monitor.Sample {
	var out []monitor.Sample
	for _, r := range entry.BloodGasResults(e) {
		out = append(out, monitor.Sample{Time: e.Time, Source: 1, Channel: r.Channel, Value: r.Value, Quality: channel.OK})
	}
	return out
}

func kindsHelp() string {
	var b strings.Builder
	for _, k := range entry.Kinds() {
		fmt.Fprintf(&b, "  %-16s", k.Kind)
		var fs []string
		for _, f := range k.Fields {
			s := "--" + strings.ReplaceAll(f.Key, "_", "-")
			if !f.Required {
				s = "[" + s + "]"
			}
			fs = append(fs, s)
		}
		if k.TextRequired {
			fs = append(fs, "--text")
		}
		b.WriteString(strings.Join(fs, " "))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func runEventEdit(args []string, stdout, stderr io.Writer) int {
	const cmd = "event edit"
	fl := newFlagSet(cmd, "CASEFILE --target TIME [--at TIME|--ago DUR] [fields] [--text T] [--void|--restore] --who NAME",
		"Appends an edit of the entry whose time (its identity, as \"pumpside event list\"\n"+
			"shows it) is TIME: a new time (--at, --ago), new field values, a new text, or\n"+
			"--void to strike it out (it stays listed, never counted) and --restore to undo that.\n"+
			"The original line is kept as written; the edit is checked like a new entry.", stdout, stderr)
	target := fl.String("target", "", "the entry's `TIME` (RFC 3339 with its fraction, or Unix ns)")
	who := fl.String("who", "", "who makes the edit (initials; required)")
	reason := fl.String("reason", "", "why")
	text := fl.String("text", "", "new free text")
	void := fl.Bool("void", false, "strike the entry out")
	restore := fl.Bool("restore", false, "undo a --void")
	when := addWhenFlags(fl, "the entry happened")
	sf := addSiteFlags(fl)
	ff := addFieldFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	cfg, ok := sf.load(cmd, stderr)
	if !ok {
		return 2
	}
	when.loc = cfg.Location()
	model := entry.Model{Zone: cfg.Location()}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pumpside %s: one CASEFILE is required, got %d\n", cmd, len(pos))
		return 2
	}
	if *target == "" {
		fmt.Fprintf(stderr, "pumpside %s: --target is required (the entry's time, see pumpside event list)\n", cmd)
		return 2
	}
	if strings.TrimSpace(*who) == "" {
		fmt.Fprintf(stderr, "pumpside %s: --who is required: every edit says who made it\n", cmd)
		return 2
	}
	if *void && *restore {
		fmt.Fprintf(stderr, "pumpside %s: give --void or --restore, not both\n", cmd)
		return 2
	}
	id, err := parseTime(*target)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: --target %q is not a time (RFC 3339 or Unix ns)\n", cmd, *target)
		return 2
	}
	ce, code := readCaseEvents(cmd, pos[0], stderr)
	if ce == nil {
		return code
	}
	cur, _ := entry.Resolve(ce.events)
	i := slices.IndexFunc(cur, func(c entry.Current) bool { return c.ID == id })
	if i < 0 {
		fmt.Fprintf(stderr, "pumpside %s: refused: no entry has the time %s (edits name an entry by the time \"pumpside event list\" shows)\n", cmd, model.FormatTime(id))
		return 2
	}
	before := cur[i]
	if _, ok := entry.Spec(before.Kind); !ok {
		fmt.Fprintf(stderr, "pumpside %s: refused: %s lines are written by Pumpside itself, not entries to edit\n", cmd, before.Kind)
		return 2
	}
	ff.collect(fl)
	now := eventNow().UnixNano()
	ed := entry.Edit{Target: id, At: ce.unique(now), Who: strings.TrimSpace(*who), Reason: strings.TrimSpace(*reason)}
	if ed.Time, _, err = when.resolve(fl, before.Kind, now); err != nil {
		return refuse(cmd, stderr, err)
	}
	if !timeGiven(fl) {
		ed.Time = 0
	}
	if ed.Num, ed.Str, err = ff.apply(before.Kind, nil, nil); err != nil {
		return refuse(cmd, stderr, err)
	}
	if len(ed.Str) > 0 || len(ed.Num) > 0 {
		// The new values spelt as a new entry's would be.
		tmp := entry.Entry{Kind: before.Kind, Num: ed.Num, Str: ed.Str}
		entry.Normalize(&tmp)
		if err := cfg.Units.BloodGasStored(&tmp); err != nil {
			return refuse(cmd, stderr, err)
		}
		ed.Num, ed.Str = tmp.Num, tmp.Str
	}
	visited := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { visited[f.Name] = true })
	if visited["text"] {
		t := strings.TrimSpace(*text)
		ed.Text = &t
	} else if len(ed.Num) > 0 || len(ed.Str) > 0 {
		// The text follows the new values when it was made from them.
		if before.Text == before.Summary() {
			after, _ := ed.Apply(before.Entry)
			t := after.Summary()
			ed.Text = &t
		}
	}
	switch {
	case *void:
		v := true
		ed.Void = &v
	case *restore:
		v := false
		ed.Void = &v
	}
	if ed.Time == 0 && ed.Text == nil && ed.Void == nil && len(ed.Num) == 0 && len(ed.Str) == 0 {
		fmt.Fprintf(stderr, "pumpside %s: nothing to change: give --at/--ago, a field, --text, --void or --restore\n", cmd)
		return 2
	}
	if err := model.ValidateEdit(before.Entry, ed, ce.start, now); err != nil {
		return refuse(cmd, stderr, err)
	}
	ev := ed.Event(ed.Describe(before.Entry))
	if code := appendEvent(cmd, pos[0], ce.caseID, ev, stderr); code != 0 {
		return code
	}
	fmt.Fprintf(stdout, "recorded at %s: %s\n", model.FormatTime(ed.At), ev.Text)
	return 0
}

func timeGiven(fl *flagSet) bool {
	given := false
	fl.Visit(func(f *flag.Flag) { given = given || f.Name == "at" || f.Name == "ago" })
	return given
}

func runEventList(args []string, stdout, stderr io.Writer) int {
	const cmd = "event list"
	fl := newFlagSet(cmd, "CASEFILE",
		"Lists the case file's entries as they stand after their edits, in time order: time,\n"+
			"kind, text, fields and who; \"edited\" or \"VOID\" marks, the entry's identity (its\n"+
			"time as first recorded, for --target) and its history: the original values and\n"+
			"every edit with its time, author and reason. Edits that could not be applied are\n"+
			"listed at the end. Times are in the theatre's zone (--tz).", stdout, stderr)
	sf := addSiteFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	cfg, ok := sf.load(cmd, stderr)
	if !ok {
		return 2
	}
	model := entry.Model{Zone: cfg.Location()}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "pumpside %s: one CASEFILE is required, got %d\n", cmd, len(pos))
		return 2
	}
	ce, code := readCaseEvents(cmd, pos[0], stderr)
	if ce == nil {
		return code
	}
	cur, problems := entry.Resolve(ce.events)
	w := bufio.NewWriter(stdout)
	for _, c := range cur {
		fmt.Fprintf(w, "%-30s  %-15s  %s", model.FormatTime(c.Time), c.Kind, c.Text)
		if f := fieldsText(c.Entry, &model); f != "" {
			fmt.Fprintf(w, "  [%s]", f)
		}
		if c.Who != "" {
			fmt.Fprintf(w, "  who=%s", c.Who)
		}
		switch {
		case c.Void:
			fmt.Fprint(w, "  VOID")
		case c.Edited:
			fmt.Fprint(w, "  edited")
		}
		fmt.Fprintln(w)
		if !c.Edited {
			continue
		}
		fmt.Fprintf(w, "    id %s; original: %s %q", model.FormatTime(c.ID), model.FormatTime(c.Original.Time), c.Original.Text)
		if f := fieldsText(c.Original, &model); f != "" {
			fmt.Fprintf(w, " [%s]", f)
		}
		if c.Original.Who != "" {
			fmt.Fprintf(w, " who=%s", c.Original.Who)
		}
		fmt.Fprintln(w)
		for _, ed := range c.Edits {
			who := ed.Who
			if who == "" {
				who = "?"
			}
			fmt.Fprintf(w, "    %s by %s: %s\n", model.FormatTime(ed.At), who, editText(ce.events, ed.At))
		}
	}
	for _, p := range problems {
		fmt.Fprintf(w, "not applied: %v\n", p)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// editText is the text of the edit line at t.
func editText(events []entry.Entry, t int64) string {
	for _, e := range events {
		if e.Kind == entry.KindEdit && e.Time == t {
			return e.Text
		}
	}
	return ""
}

// fieldsText is the entry's structured fields as key=value, in the
// kind's order.
func fieldsText(e entry.Entry, m *entry.Model) string {
	var parts []string
	ev := e.Event()
	for _, f := range ev.Fields {
		if f.Key == "who" {
			continue
		}
		if f.IsStr {
			parts = append(parts, f.Key+"="+f.Str)
		} else if f.Key == "end" {
			parts = append(parts, f.Key+"="+m.FormatTime(int64(f.Num)))
		} else {
			parts = append(parts, f.Key+"="+strconv.FormatFloat(f.Num, 'g', -1, 64))
		}
	}
	return strings.Join(parts, " ")
}

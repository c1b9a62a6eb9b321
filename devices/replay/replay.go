package replay

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// ErrEmpty: the file holds no sample to replay.
var ErrEmpty = errors.New("replay: no samples in the case file")

// Sample is a recorded sample with its channel and source as indices into
// Case.Channels and Case.Sources.
type Sample struct {
	Time    int64
	Value   float64
	Channel int32
	Source  int32
	Quality channel.Quality
}

// Event is a recorded event: its time, kind and text, and the time of the
// entry or result it refers to (the target field of an edit or a specimen
// assignment), 0 if none.
type Event struct {
	Time   int64
	Kind   string
	Text   string
	Target int64
	// Tag qualifies the event (timeline.Qualifier): the cardioplegia's
	// solution, the drug's name, the arrest's cerebral perfusion.
	Tag string
	// Fields are the event's structured fields but text and target, as
	// the file holds them (docs/format/case.md); nil when none.
	Fields []record.Field
}

// Num returns the event's numeric field key, if it has one.
func (e *Event) Num(key string) (float64, bool) {
	for _, f := range e.Fields {
		if f.Key == key && !f.IsStr {
			return f.Num, true
		}
	}
	return 0, false
}

// Str returns the event's string field key, or "".
func (e *Event) Str(key string) string {
	for _, f := range e.Fields {
		if f.Key == key && f.IsStr {
			return f.Str
		}
	}
	return ""
}

// Bookmark is a teaching note of the case file (measurement bookmark).
type Bookmark = record.Bookmark

// Case is a case file loaded for replay.
type Case struct {
	ID        string
	Channels  []string // "group.field"
	Sources   []string
	Events    []Event    // by time
	Bookmarks []Bookmark // by time
	// Start and End are the times of the first and last sample.
	Start, End int64
	// BadLines counts the lines skipped.
	BadLines int
	// provides holds, by Sources index, the channels of the vocabulary the
	// source recorded (any quality).
	provides []channel.Set
	// Meta is the case metadata, the last line winning field by field
	// (record.NewMeta when the file has none). Its height and weight are
	// replayed as samples (see Builder.Case), its constants are the
	// pipeline's (Settings).
	Meta record.Meta
	// store holds the samples: in memory (Load, Builder), or in the file
	// with an index (Open).
	store store
}

// NumSamples returns the number of samples the case replays (those made
// from its metadata included).
func (c *Case) NumSamples() int { return c.store.len() }

// AllSamples returns every sample in time order (ties in file order). It
// holds the whole case in memory: for tests and small cases; a Player
// reads a case of any length in bounded memory.
func (c *Case) AllSamples() []Sample {
	var out []Sample
	it := c.store.from(minTime)
	for s, ok := it.next(); ok; s, ok = it.next() {
		out = append(out, s)
	}
	return out
}

// Close releases the case file of a Case from Open; it does nothing for
// others. No Player may be used afterwards.
func (c *Case) Close() error { return c.store.close() }

// MetaSource is the source of the samples replay makes of the case
// metadata's height and weight.
const MetaSource = "case"

// Provides returns the channels source (a Sources index) recorded: what a
// replay takes it to provide (alarms.Context.Unprovided).
func (c *Case) Provides(source int) channel.Set {
	if source < 0 || source >= len(c.provides) {
		return channel.Set{}
	}
	return c.provides[source]
}

// Unprovided returns the channels no source of the case recorded, and the
// derived values missing a required input (monitor.AddDerived): a replay
// raises no no_data for them, as the console did not.
func (c *Case) Unprovided() channel.Set {
	var prov channel.Set
	for i := range c.provides {
		prov.Union(&c.provides[i])
	}
	monitor.AddDerived(&prov)
	return prov.Complement()
}

// Settings returns base with the constants the case was recorded with
// (its metadata's, or the defaults when it has none): a replay computes
// the derived values as the console did.
func (c *Case) Settings(base monitor.Settings) monitor.Settings {
	base.Constants = c.Meta.Constants
	return base
}

// Builder assembles a Case from entries in any order (Load, or a query of
// a time-series database). Not safe for concurrent use.
type Builder struct {
	c      Case
	mem    []Sample
	chIdx  map[string]int32
	srcIdx map[string]int32
	buf    []record.ChannelSample
	// OnProblem, if not nil, is told what AddEntry read but could not take
	// from a line it otherwise used (a sex code it does not know, a
	// constant out of range): reported, not fatal.
	OnProblem func(error)
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{c: Case{Meta: record.NewMeta()}, chIdx: map[string]int32{}, srcIdx: map[string]int32{}}
}

// AddSample adds a sample of channel ("group.field") from source. Derived
// values (derived.*) are skipped: replay recomputes them.
func (b *Builder) AddSample(ch, source string, t int64, v float64, q channel.Quality) {
	if isDerived(ch) {
		return
	}
	ci, si := b.index(ch, source)
	b.mem = append(b.mem, Sample{Time: t, Value: v, Channel: ci, Source: si, Quality: q})
}

// AddEvent adds an event.
func (b *Builder) AddEvent(e Event) { b.c.Events = append(b.c.Events, e) }

// AddBookmark adds a bookmark.
func (b *Builder) AddBookmark(bm Bookmark) { b.c.Bookmarks = append(b.c.Bookmarks, bm) }

// AddEntry adds what a case file entry holds: samples, an event, a
// bookmark or metadata (alarm transitions are not replayed: the engine
// raises them again). The first entry with a case tag names the case.
// Entries come from record.Reader, which has checked them against the
// format.
func (b *Builder) AddEntry(e *record.Entry) error {
	if b.c.ID == "" {
		b.c.ID = e.Tag(record.TagCase)
	}
	switch e.Kind() {
	case record.KindMeta:
		for _, err := range b.c.Meta.Apply(e) {
			if b.OnProblem != nil {
				b.OnProblem(err)
			}
		}
	case record.KindEvent:
		ev := Event{Time: e.Time, Kind: e.Tag(record.TagKind), Text: e.Str("text")}
		ev.Tag = timeline.Qualifier(ev.Kind, e.Str)
		for _, f := range e.Fields {
			switch k := string(f.Key); {
			case k == "text" || k == "target":
			case f.Value.Kind() == lineprotocol.String:
				ev.Fields = append(ev.Fields, record.Str(k, f.Value.StringV()))
			default:
				if v := e.Num(k); !math.IsNaN(v) {
					ev.Fields = append(ev.Fields, record.Num(k, v))
				}
			}
		}
		ref := e.Str("target") // an edit's
		if ev.Kind == "specimen" {
			ref = e.Str("sample_time") // the analyser result a specimen entry assigns
		}
		if t, err := strconv.ParseInt(ref, 10, 64); err == nil {
			ev.Target = t
		}
		b.AddEvent(ev)
	case record.KindBookmark:
		b.AddBookmark(Bookmark{Time: e.Time, Text: e.Str("text"), Author: e.Str("author")})
	case record.KindSamples:
		b.buf = e.Samples(b.buf[:0])
		for _, s := range b.buf {
			b.AddSample(s.Channel, s.Source, s.Time, s.Value, s.Quality)
		}
	}
	return nil
}

// Case sorts what was added by time and returns the case; ErrEmpty when
// there is no sample. The builder must not be used afterwards.
//
// The metadata's height and weight (the last line's) become samples of
// patient.height and patient.weight from source MetaSource at the first
// sample's time, so that BSA and everything indexed by it exist for a file
// that gives the patient's size only as metadata, as the format allows. A
// recorded patient.height or patient.weight sample is newer information:
// it wins from its time on (it is put after the metadata's at equal times).
func (b *Builder) Case() (*Case, error) {
	c := &b.c
	if len(b.mem) == 0 {
		return nil, ErrEmpty
	}
	first := b.mem[0].Time
	for i := range b.mem {
		first = min(first, b.mem[i].Time)
	}
	samples := append(b.metaSamples(first), b.mem...)
	slices.SortStableFunc(samples, func(a, b Sample) int { return cmp64(a.Time, b.Time) })
	c.store = &memStore{s: samples}
	c.Start, c.End = samples[0].Time, samples[len(samples)-1].Time
	b.sortRest()
	return c, nil
}

// metaSamples returns the samples made of the metadata's height and weight
// at time first (see Case).
func (b *Builder) metaSamples(first int64) []Sample {
	var out []Sample
	for _, m := range []struct {
		ch string
		v  float64
	}{{channel.Get(channel.PatientHeight).Name, b.c.Meta.HeightCm}, {channel.Get(channel.PatientWeight).Name, b.c.Meta.WeightKg}} {
		if math.IsNaN(m.v) {
			continue
		}
		ci, si := b.index(m.ch, MetaSource)
		out = append(out, Sample{Time: first, Value: m.v, Channel: ci, Source: si, Quality: channel.OK})
	}
	return out
}

func (b *Builder) sortRest() {
	slices.SortStableFunc(b.c.Events, func(a, b Event) int { return cmp64(a.Time, b.Time) })
	slices.SortStableFunc(b.c.Bookmarks, func(a, b Bookmark) int { return cmp64(a.Time, b.Time) })
}

// Load reads a case file. Bad lines go to onBad (if not nil) and are
// skipped. It fails on an I/O error and with ErrEmpty when there is no
// sample to replay.
func Load(r io.Reader, onBad func(*record.LineError)) (*Case, error) {
	b := NewBuilder()
	rd := record.NewReader(r)
	rd.OnBadLine = onBad
	if onBad != nil {
		b.OnProblem = func(err error) { onBad(&record.LineError{Line: rd.Line(), Err: err}) }
	}
	bad := 0
	for rd.Next() {
		if err := b.AddEntry(rd.Entry()); err != nil {
			bad++
			if onBad != nil {
				onBad(&record.LineError{Line: rd.Line(), Err: err})
			}
		}
	}
	b.c.BadLines = rd.BadLines + bad
	if err := rd.Err(); err != nil {
		return nil, err
	}
	return b.Case()
}

// Open reads a case file for replay like Load, but keeps its samples in the
// file: one pass indexes it (blocks of lines with their times; samples
// written far out of time order, such as an analyser's results stamped
// minutes before they arrive, are kept in memory), and a Player reads a
// few minutes of case time at a time. Memory is then bounded by the case's
// events and stragglers, not its length. A file in no time order at all is
// loaded whole, as Load does. The caller closes the Case. A long run's
// segments (record.Segments; path: any of them) are read as one file.
func Open(path string, onBad func(*record.LineError)) (*Case, error) {
	f, err := record.OpenRun(path)
	if err != nil {
		return nil, err
	}
	b := NewBuilder()
	b.c.Start, b.c.End = maxTime, minTime
	rd := record.NewReader(f)
	rd.OnBadLine = onBad
	if onBad != nil {
		b.OnProblem = func(err error) { onBad(&record.LineError{Line: rd.Line(), Err: err}) }
	}
	bad := 0
	if !indexFile(f, b, rd, &bad) {
		// Too far from time order to index: load it whole.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		c, err := Load(f, nil) // bad lines were reported by the first pass
		f.Close()
		return c, err
	}
	b.c.BadLines = rd.BadLines + bad
	if err := rd.Err(); err != nil {
		f.Close()
		return nil, err
	}
	fs := b.c.store.(*fileStore)
	if fs.n == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	fs.meta = b.metaSamples(b.c.Start)
	fs.n += len(fs.meta)
	slices.SortStableFunc(fs.extra, func(a, b Sample) int { return cmp64(a.Time, b.Time) })
	b.sortRest()
	return &b.c, nil
}

// Bookmarks reads only the bookmarks of a case file, by time. Bad lines go
// to onBad (if not nil).
func Bookmarks(r io.Reader, onBad func(*record.LineError)) ([]Bookmark, error) {
	var bms []Bookmark
	rd := record.NewReader(r)
	rd.OnBadLine = onBad
	for rd.Next() {
		if e := rd.Entry(); e.Kind() == record.KindBookmark {
			bms = append(bms, Bookmark{Time: e.Time, Text: e.Str("text"), Author: e.Str("author")})
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(bms, func(a, b Bookmark) int { return cmp64(a.Time, b.Time) })
	return bms, nil
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Player puts a case's samples into a pipeline.
type Player struct {
	c     *Case
	prods []*monitor.Producer // by Case source index
	chans []channel.ID        // by Case channel index; 0: not in the pipeline's table
	it    iterator
	// carry is put before the first sample (NewPlayerAt); latest, when
	// tracked, is the newest sample put of each source and channel.
	carry  []Sample
	latest map[[2]int32]Sample
	// Unknown counts samples of channels the pipeline does not know
	// (skipped); Dropped those a full ring refused.
	Unknown, Dropped uint64
}

// RingSize is the ring of each replay source: a minute of case time of
// any realistic source fits, since the caller steps at least that often.
const RingSize = 1 << 16

// NewPlayer registers one source per source of the case, named
// "replay:<name>", in p (before p starts), each with a ring of RingSize.
func NewPlayer(c *Case, p *monitor.Pipeline) (*Player, error) {
	return NewPlayerSize(c, p, RingSize)
}

// NewPlayerSize is NewPlayer with rings of ringSize samples (a power of
// two; see Case.MaxSamples).
func NewPlayerSize(c *Case, p *monitor.Pipeline, ringSize int) (*Player, error) {
	pl := &Player{c: c, chans: make([]channel.ID, len(c.Channels)), it: c.store.from(minTime)}
	for _, name := range c.Sources {
		pr, err := p.AddSource("replay:"+name, ringSize)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		pl.prods = append(pl.prods, pr)
	}
	for i, name := range c.Channels {
		if id, ok := p.ChannelID(name); ok {
			pl.chans[i] = id
		}
	}
	return pl, nil
}

// Carry is where a replay starts in the middle of a case: At, and the
// newest sample of every source and channel at or before At.
type Carry struct {
	At      int64
	Samples []Sample
}

// NewPlayerAt is NewPlayerSize for a replay that starts at carry.At: it
// puts carry's samples first (every channel then has the value it had at
// At, however long ago it was measured), then the case's samples after At.
// A seek far into a long case starts there instead of at the case start.
func NewPlayerAt(c *Case, p *monitor.Pipeline, ringSize int, carry Carry) (*Player, error) {
	pl, err := NewPlayerSize(c, p, ringSize)
	if err != nil {
		return nil, err
	}
	pl.carry = carry.Samples
	pl.it = c.store.from(after(carry.At, 1))
	return pl, nil
}

// TrackLatest makes the player keep the newest sample it put of each
// source and channel, for Carry.
func (pl *Player) TrackLatest() { pl.latest = map[[2]int32]Sample{} }

// Carry returns the samples a replay from t needs (the newest of each
// source and channel put so far) when the player has put everything up to
// t and tracks them (TrackLatest).
func (pl *Player) Carry(t int64) Carry {
	c := Carry{At: t, Samples: make([]Sample, 0, len(pl.latest))}
	for _, s := range pl.latest {
		c.Samples = append(c.Samples, s)
	}
	slices.SortFunc(c.Samples, func(a, b Sample) int { return cmp64(a.Time, b.Time) })
	return c
}

// MaxSamples returns the largest number of samples one source of the case
// has within any span of case time (both ends included): what a ring must
// hold when the pipeline is stepped that often.
//
// It reads the whole case once, in bounded memory.
func (c *Case) MaxSamples(span int64) int {
	var most int
	first := make([]int, len(c.Sources)) // per source: index in times of its oldest sample in the span
	times := make([][]int64, len(c.Sources))
	it := c.store.from(minTime)
	for s, ok := it.next(); ok; s, ok = it.next() {
		ts := append(times[s.Source], s.Time)
		f := first[s.Source]
		for ts[f] < s.Time-span {
			f++
		}
		if f > 1024 && f > len(ts)/2 { // forget what left the span
			ts = append(ts[:0], ts[f:]...)
			f = 0
		}
		times[s.Source], first[s.Source] = ts, f
		most = max(most, len(ts)-f)
	}
	return most
}

// Producers returns the pipeline sources of the case's sources, by
// Case.Sources index. Shared: do not modify.
func (pl *Player) Producers() []*monitor.Producer { return pl.prods }

// PutUntil puts every sample not yet put with a time at or before t (Unix
// ns). It never blocks.
func (pl *Player) PutUntil(t int64) {
	for _, x := range pl.carry {
		pl.put(x)
	}
	pl.carry = nil
	for {
		if next, ok := pl.it.peek(); !ok || next > t {
			return
		}
		x, _ := pl.it.next()
		pl.put(x)
	}
}

func (pl *Player) put(x Sample) {
	if pl.latest != nil {
		pl.latest[[2]int32{x.Source, x.Channel}] = x
	}
	id := pl.chans[x.Channel]
	if id == 0 {
		pl.Unknown++
		return
	}
	if !pl.prods[x.Source].Put(monitor.Sample{Time: x.Time, Value: x.Value, Channel: id, Quality: x.Quality}) {
		pl.Dropped++
	}
}

// Done reports whether every sample was put.
func (pl *Player) Done() bool { _, more := pl.it.peek(); return !more }

package record

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Errors of the Writer.
var (
	// ErrClosed: the writer was closed.
	ErrClosed = errors.New("record: writer closed")
	// ErrQueueFull: the writer's queue was full; the item was dropped and
	// counted.
	ErrQueueFull = errors.New("record: queue full")
	// ErrInvalid: an event, bookmark or option that cannot be recorded as
	// given (bad key, kind or case id).
	ErrInvalid = errors.New("record: invalid")
)

// File is what the writer needs of its case file. *os.File is one; tests
// wrap it to inject failures (Options.WrapFile).
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// Options configure a Writer.
type Options struct {
	// Case is the pseudonymous case id written as the case tag of every
	// line. Required; never a patient identifier.
	Case string
	// Channels is the channel table indexed by channel.ID (the pipeline's
	// Channels(), which includes site channels). Nil: the built-in
	// vocabulary.
	Channels []channel.Channel
	// Sources are the source names indexed by monitor.SourceID (entry 0
	// unused); see SourceNames. A sample of an unknown source is tagged
	// source=sourceN.
	Sources []string
	// Queue is the capacity of the sample queue. Default 65536: two
	// seconds of ten times the realistic peak.
	Queue int
	// Backlog bounds the bytes kept in memory while the file cannot be
	// written (disk full, I/O error). Default 64 MiB, about ten minutes
	// of the realistic peak. Past it samples are dropped and counted.
	Backlog int
	// SyncInterval is the group commit: encoded lines are written and
	// fsync'd at least this often. Default 500 ms; at most 1 s.
	SyncInterval time.Duration
	// RetryInterval is how often a failing file is retried. Default 1 s.
	RetryInterval time.Duration
	// WrapFile, if set, wraps the opened file (fault injection in tests).
	WrapFile func(File) File
	// Segment, if positive, records a long run (ECMO) in segments of this
	// much case time (DefaultSegment: a day), docs/format/case.md "Long
	// runs": the path given to Open is the first segment; a new segment
	// begins at the first group commit after the newest recorded time
	// reaches Origin + k × Segment. Zero: one file, as for a bypass case.
	Segment time.Duration
	// Origin is the run's start (ns), from which segments are counted.
	// Zero: the time of the first line recorded.
	Origin int64
	// MinFree is the free space (bytes) of the record's file system under
	// which Status.DiskLow is set (the disk_low technical condition).
	// Default DefaultMinFree; negative: never low.
	MinFree int64
}

func (o *Options) defaults() error {
	if o.Case == "" || !validTagValue(o.Case) {
		return fmt.Errorf("%w: case id %q (want printable UTF-8, no trailing backslash)", ErrInvalid, o.Case)
	}
	if o.Channels == nil {
		o.Channels = append([]channel.Channel{{}}, channel.All()...)
	}
	if o.Queue <= 0 {
		o.Queue = 1 << 16
	}
	if o.Backlog <= 0 {
		o.Backlog = 64 << 20
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 500 * time.Millisecond
	}
	if o.SyncInterval > time.Second {
		return fmt.Errorf("%w: sync interval %v is over 1 s", ErrInvalid, o.SyncInterval)
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = time.Second
	}
	if o.Segment < 0 || o.Segment > 0 && o.Segment < time.Second {
		return fmt.Errorf("%w: segment length %v (want 0 or at least 1 s)", ErrInvalid, o.Segment)
	}
	if o.MinFree == 0 {
		o.MinFree = DefaultMinFree
	}
	return nil
}

// SourceNames returns the names of producers indexed by their SourceID, for
// Options.Sources.
func SourceNames(prods ...*monitor.Producer) []string {
	var names []string
	for _, p := range prods {
		id := int(p.ID())
		for len(names) <= id {
			names = append(names, "")
		}
		names[id] = p.Name()
	}
	return names
}

// Repair describes what Open cut from the end of an existing file: a line
// without its newline (a write torn by a crash) and any zero bytes a crash
// left after it.
type Repair struct {
	// Offset is where the file now ends, Bytes how many were cut.
	Offset, Bytes int64
}

// Status is the writer's state for the GUI and the recording_failed
// technical alarm.
type Status struct {
	// Err is the last write or sync error while the file is failing; nil
	// when the recorder is healthy (it clears when writes work again).
	Err error
	// Backlog is the number of encoded bytes waiting in memory.
	Backlog int
	// Written is the file's size as far as the writer has written it;
	// Synced the part known to be on disk.
	Written, Synced int64
	// Samples counts samples encoded; Dropped those lost because the
	// queue or the backlog was full (each loss is also written to the file
	// as a recording_gap event when the file works again); Rejected those
	// with a channel outside the table or a value line protocol cannot
	// carry.
	Samples, Dropped, Rejected uint64
	// Repaired is what Open cut from the end of the file.
	Repaired Repair
	// Segment is the number of the segment being written (1 for a case
	// that is not a long run), SegmentPath its path; Written and Synced
	// are its sizes. RunBytes is the size of every segment of the run
	// together, as written.
	Segment     int
	SegmentPath string
	RunBytes    int64
	// Free is the free space of the record's file system (bytes; -1
	// unknown), checked every 10 s; DiskLow is true while it is under
	// Options.MinFree.
	Free    int64
	DiskLow bool
}

type names struct{ group, field, fieldQ string }

type itemKind uint8

const (
	itemEvent itemKind = iota
	itemAlarm
	itemBookmark
	itemMeta
	itemFlush
	itemLive
)

type item struct {
	kind  itemKind
	ev    *Event
	alarm alarms.Entry
	bm    *Bookmark
	meta  *Meta
	live  *Live
	reply chan error
}

// derivedRow is what the file keeps of a snapshot: its time and derived
// readings, copied, so that the recorder never holds a snapshot the
// pipeline would otherwise reuse.
type derivedRow struct {
	time     int64
	readings [monitor.NumDerived]monitor.Reading
}

// Writer appends a case to its file: see the package documentation.
type Writer struct {
	path string // the first segment: the run's name
	opt  Options
	f    File
	cur  string // the segment being written (writer goroutine)
	// segment state, owned by the writer goroutine
	seg      int
	boundary int64 // the time that starts the next segment (0: not yet known)
	before   int64 // bytes of the segments before this one
	free     int64
	low      atomic.Bool

	samples chan monitor.Sample
	items   chan item
	// snaps queues snapshots' derived values apart from items: a burst of
	// publishes (a pre-roll, a replay) must never crowd an operator's event
	// out.
	snaps   chan derivedRow
	quit    chan struct{}
	exited  chan struct{}
	closeMu sync.Mutex
	closed  bool
	gone    atomic.Bool // closed, for Sample's lock-free check
	failed  atomic.Bool

	names        atomic.Pointer[[]string] // SetSources
	dropped      atomic.Uint64            // by callers: queue full
	droppedItems atomic.Uint64
	// lastQueued is the second of the newest snapshot queued (Snapshot).
	lastQueued atomic.Int64

	mu     sync.Mutex
	status Status

	// owned by the writer goroutine
	enc       lineprotocol.Encoder
	tab       []names
	srcs      []string
	written   int64
	synced    int64
	nSamples  uint64
	nRejected uint64
	nDropped  uint64 // by the goroutine: backlog full
	reported  uint64 // drops already written as recording_gap
	lastTime  int64  // newest time seen, for recording_gap events
	// used holds the times taken by event, alarm and bookmark lines: a
	// case has thousands of them at most.
	used    [3]map[int64]struct{}
	lastDer int64 // second of the last derived values recorded
	err     error
}

// Open opens (or creates, mode 0600) the case file at path for appending,
// repairs a torn last line, and starts the writer goroutine. Close stops it.
func Open(path string, opt Options) (*Writer, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	// A long run goes on in its last segment (after a restart, the one a
	// crash left): the earlier ones are complete.
	cur, seg, before := path, 1, int64(0)
	if opt.Segment > 0 {
		if first, _ := FirstSegment(path); first != path {
			return nil, fmt.Errorf("%w: %s is not the first segment of its run (%s)", ErrInvalid, path, first)
		}
		segs := Segments(path)
		seg = len(segs)
		cur = segs[seg-1]
		for _, p := range segs[:seg-1] {
			if fi, err := os.Stat(p); err == nil {
				before += fi.Size()
			}
		}
	}
	f, rep, created, err := openRepair(cur)
	if err != nil {
		return nil, err
	}
	if created {
		syncDir(cur)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("record: open %s: %w", cur, err)
	}
	var file File = f
	if opt.WrapFile != nil {
		file = opt.WrapFile(f)
	}
	w := &Writer{
		path:    path,
		opt:     opt,
		f:       file,
		cur:     cur,
		seg:     seg,
		before:  before,
		samples: make(chan monitor.Sample, opt.Queue),
		items:   make(chan item, 1024),
		snaps:   make(chan derivedRow, 1024),
		quit:    make(chan struct{}),
		exited:  make(chan struct{}),
		written: fi.Size(),
		synced:  fi.Size(),
	}
	w.tab = make([]names, len(opt.Channels))
	for i := range opt.Channels {
		c := &opt.Channels[i]
		if c.Name == "" {
			continue
		}
		w.tab[i] = names{group: c.Group(), field: c.Field(), fieldQ: c.Field() + QualitySuffix}
	}
	w.srcs = append([]string(nil), opt.Sources...)
	w.enc.SetBuffer(make([]byte, 0, 1<<20))
	if opt.Segment > 0 && opt.Origin != 0 {
		w.boundary = opt.Origin + int64(seg)*int64(opt.Segment)
	}
	w.checkFree()
	w.status = Status{Written: w.written, Synced: w.synced, Repaired: rep}
	w.publish()
	go w.run()
	return w, nil
}

// syncDir makes a new file's name durable: best effort on odd file systems.
func syncDir(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// checkFree measures the free space of the record's file system.
func (w *Writer) checkFree() {
	w.free = -1
	if n, ok := freeBytes(filepath.Dir(w.cur)); ok {
		w.free = n
	}
	w.low.Store(w.opt.MinFree > 0 && w.free >= 0 && w.free < w.opt.MinFree)
}

// DiskLow reports whether the record's file system has less free space
// than Options.MinFree (disk_low). One atomic load: any goroutine.
func (w *Writer) DiskLow() bool { return w.low.Load() }

// roll ends the segment (everything encoded is written and fsync'd: the
// caller checked) and goes on in the next one. A crash in between leaves at
// most an empty next segment, which the next Open goes on in.
func (w *Writer) roll() {
	next := SegmentPath(w.path, w.seg+1)
	f, _, created, err := openRepair(next)
	if err != nil {
		w.fail(err) // retried at the next commit; the lines wait in the backlog
		return
	}
	if created {
		syncDir(next)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		w.fail(fmt.Errorf("record: open %s: %w", next, err))
		return
	}
	var file File = f
	if w.opt.WrapFile != nil {
		file = w.opt.WrapFile(f)
	}
	_ = w.f.Close() // everything in it was fsync'd: the segment is complete
	w.before += w.written
	w.f, w.cur, w.seg = file, next, w.seg+1
	w.written, w.synced = fi.Size(), fi.Size()
	L := int64(w.opt.Segment)
	w.boundary = w.opt.Origin + ((w.lastTime-w.opt.Origin)/L+1)*L
}

// openRepair opens path and cuts a torn tail.
func openRepair(path string) (f *os.File, rep Repair, created bool, err error) {
	if _, serr := os.Lstat(path); errors.Is(serr, os.ErrNotExist) {
		created = true
	}
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, rep, false, fmt.Errorf("record: open %s: %w", path, err)
	}
	fail := func(err error) (*os.File, Repair, bool, error) {
		f.Close()
		return nil, Repair{}, false, fmt.Errorf("record: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
		_ = f.Chmod(0o600) // owner-only, whoever made the file
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return f, Repair{}, created, nil
	}
	cut, err := TornTail(f, fi.Size())
	if err != nil {
		return fail(err)
	}
	if cut < fi.Size() {
		if err := f.Truncate(cut); err != nil {
			return fail(err)
		}
		if err := f.Sync(); err != nil {
			return fail(err)
		}
		rep = Repair{Offset: cut, Bytes: fi.Size() - cut}
	}
	return f, rep, created, nil
}

// TornTail returns where a case file of the given size should end: after
// its last newline that is not followed by a zero byte. Everything after
// it is a line torn by a crash (or zeros a crash left). It reads at most
// the last few MiB; a file whose tail holds no newline at all is cut to
// the start of that window (never happens to a file the Writer wrote).
func TornTail(r io.ReaderAt, size int64) (int64, error) {
	const window = 4 << 20
	start := max(0, size-window)
	buf := make([]byte, size-start)
	if _, err := r.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("record: read tail: %w", err)
	}
	end := len(buf)
	for i, c := range buf {
		if c == 0 {
			end = i
			break
		}
	}
	for i := end - 1; i >= 0; i-- {
		if buf[i] == '\n' {
			return start + int64(i) + 1, nil
		}
	}
	return start, nil
}

// Path returns the file's path: for a long run, its first segment's (the
// run's name); Status says which segment is being written.
func (w *Writer) Path() string { return w.path }

// Sample queues one sample. It never blocks and never allocates: when the
// queue is full (or the writer closed) the sample is dropped, counted
// (Status.Dropped) and false is returned. Any goroutine.
func (w *Writer) Sample(s monitor.Sample) bool {
	if w.gone.Load() {
		w.dropped.Add(1)
		return false
	}
	select {
	case w.samples <- s:
		return true
	default:
		w.dropped.Add(1)
		return false
	}
}

// Samples queues a batch (the pipeline tap's signature); see Sample.
func (w *Writer) Samples(batch []monitor.Sample) {
	for i := range batch {
		w.Sample(batch[i])
	}
}

func (w *Writer) put(it item) error {
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	select {
	case w.items <- it:
		return nil
	default:
		w.droppedItems.Add(1)
		return ErrQueueFull
	}
}

// AddEvent queues an event. It never blocks. It refuses (ErrInvalid) a kind
// or field key line protocol or InfluxDB cannot carry: lower-case letters,
// digits and '_', not starting with '_', not "time".
func (w *Writer) AddEvent(ev Event) error {
	if !validKey(ev.Kind) {
		return fmt.Errorf("%w: event kind %q", ErrInvalid, ev.Kind)
	}
	if ev.Time < minTime {
		return fmt.Errorf("%w: event time %d", ErrInvalid, ev.Time)
	}
	for _, f := range ev.Fields {
		if !validKey(f.Key) || f.Key == "text" || f.Key == TagCase || f.Key == TagKind {
			return fmt.Errorf("%w: event field %q", ErrInvalid, f.Key)
		}
	}
	ev.Fields = append([]Field(nil), ev.Fields...)
	return w.put(item{kind: itemEvent, ev: &ev})
}

// AddBookmark queues a teaching bookmark. It never blocks.
func (w *Writer) AddBookmark(b Bookmark) error {
	if b.Time < minTime {
		return fmt.Errorf("%w: bookmark time %d", ErrInvalid, b.Time)
	}
	return w.put(item{kind: itemBookmark, bm: &b})
}

// SetMeta queues a case metadata line. It never blocks.
func (w *Writer) SetMeta(m Meta) error {
	if m.Time < minTime {
		return fmt.Errorf("%w: metadata time %d", ErrInvalid, m.Time)
	}
	for k := range m.Identifiers {
		if !validKey(k) {
			return fmt.Errorf("%w: identifier key %q", ErrInvalid, k)
		}
	}
	for k := range m.Extra {
		if !validKey(k) || reservedMeta[k] {
			return fmt.Errorf("%w: metadata key %q", ErrInvalid, k)
		}
	}
	return w.put(item{kind: itemMeta, meta: &m})
}

var reservedMeta = map[string]bool{"height_cm": true, "weight_kg": true, "age_years": true, "sex": true,
	"bsa_formula": true, "hufner": true, "o2_solubility": true, "vco2_factor": true, "svr_factor": true,
	"bv_ml_per_kg": true, "protamine_mg_per_100iu": true, "heparin_iu_per_kg": true, "do2i_threshold": true, "mode": true}

// LogAlarm implements alarms.Logger: transitions go to measurement alarm,
// limit and baseline changes to event kind limit_change. It never blocks;
// an entry that does not fit in the queue is counted (Status.Dropped).
func (w *Writer) LogAlarm(e alarms.Entry) {
	_ = w.put(item{kind: itemAlarm, alarm: e}) // a full queue is counted in put
}

// Snapshot records the derived values of a published snapshot, at most
// once per second of case time (Pumpside recomputes them on replay; they
// are in the file for InfluxDB and other tools). Meant for the pipeline's
// OnPublish: it never blocks, and copies what it keeps (the snapshot is not
// held after it returns).
func (w *Writer) Snapshot(s *monitor.Snapshot) {
	if s == nil || s.Seq == 0 || s.Time < minTime {
		return
	}
	sec := s.Time / 1e9
	if sec <= w.lastQueued.Load() {
		return // this second is queued already
	}
	row := derivedRow{time: s.Time}
	for i := range row.readings {
		row.readings[i] = s.Reading(channel.DerivedBSA + channel.ID(i))
	}
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.closed {
		return
	}
	select {
	case w.snaps <- row:
		w.lastQueued.Store(sec)
	default:
		w.droppedItems.Add(1)
	}
}

// Flush writes and fsyncs everything queued so far and returns the
// writer's error state (nil when healthy). It blocks until done: not for
// the pipeline or GUI goroutines.
func (w *Writer) Flush() error {
	reply := make(chan error, 1)
	w.closeMu.Lock()
	if w.closed {
		w.closeMu.Unlock()
		return ErrClosed
	}
	w.items <- item{kind: itemFlush, reply: reply} // blocking on purpose
	w.closeMu.Unlock()
	return <-reply
}

// Failed reports whether the file is failing (recording_failed). One
// atomic load: any goroutine, any rate.
func (w *Writer) Failed() bool { return w.failed.Load() }

// Status returns the writer's state. Any goroutine.
func (w *Writer) Status() Status {
	w.mu.Lock()
	s := w.status
	w.mu.Unlock()
	s.Dropped += w.dropped.Load() + w.droppedItems.Load()
	return s
}

// Close writes and fsyncs what is queued, stops the goroutine and closes
// the file. It returns the error state if the file was still failing after
// a last attempt: what was in the backlog is then lost (and said so).
func (w *Writer) Close() error {
	w.closeMu.Lock()
	if w.closed {
		w.closeMu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.gone.Store(true)
	w.closeMu.Unlock()
	close(w.quit)
	<-w.exited
	err := w.err
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("record: close %s: %w", w.cur, cerr)
	}
	return err
}

const flushAt = 256 << 10 // write when this much is encoded

func (w *Writer) run() {
	defer close(w.exited)
	tick := time.NewTicker(w.opt.SyncInterval)
	defer tick.Stop()
	var retryAt int64 // monotonic ticks count, to pace retries
	ticks := int64(0)
	retryEvery := max(1, int64(w.opt.RetryInterval/w.opt.SyncInterval))
	freeEvery := max(1, int64(10*time.Second/w.opt.SyncInterval))
	for {
		select {
		case s := <-w.samples:
			w.sample(&s)
			// Take what else is queued in one go: fewer wake-ups.
			for n := 0; n < 4096; n++ {
				select {
				case s = <-w.samples:
					w.sample(&s)
					continue
				default:
				}
				break
			}
			if len(w.enc.Bytes()) >= flushAt && w.err == nil {
				w.write() // fsync'd at the next commit
			}
		case it := <-w.items:
			if it.kind == itemFlush { // everything queued before it first
				w.drainSnaps()
			}
			w.item(it)
		case row := <-w.snaps:
			w.derived(&row)
		case <-tick.C:
			ticks++
			if ticks%freeEvery == 0 {
				w.checkFree()
			}
			if w.err != nil && ticks < retryAt {
				w.publish()
				continue
			}
			w.commit()
			if w.err != nil {
				retryAt = ticks + retryEvery
			}
		case <-w.quit:
			for {
				select {
				case s := <-w.samples:
					w.sample(&s)
					continue
				case it := <-w.items:
					w.item(it)
					continue
				case row := <-w.snaps:
					w.derived(&row)
					continue
				default:
				}
				break
			}
			w.commit()
			return
		}
	}
}

// drainSnaps takes every snapshot queued now.
func (w *Writer) drainSnaps() {
	for {
		select {
		case row := <-w.snaps:
			w.derived(&row)
		default:
			return
		}
	}
}

func (w *Writer) sample(s *monitor.Sample) {
	if w.err != nil && len(w.enc.Bytes()) >= w.opt.Backlog {
		w.nDropped++
		return
	}
	if int(s.Channel) >= len(w.tab) || w.tab[s.Channel].group == "" || s.Time < minTime {
		w.nRejected++
		return
	}
	n := &w.tab[s.Channel]
	mark := len(w.enc.Bytes())
	encodeSample(&w.enc, n.group, n.field, n.fieldQ, w.opt.Case, w.source(s.Source), s.Time, s.Value, s.Quality)
	if w.enc.Err() != nil {
		w.undo(mark)
		w.nRejected++
		return
	}
	w.nSamples++
	w.lastTime = max(w.lastTime, s.Time)
}

func (w *Writer) source(id monitor.SourceID) string {
	for int(id) >= len(w.srcs) {
		w.srcs = append(w.srcs, "")
	}
	if w.srcs[id] != "" {
		return w.srcs[id]
	}
	if names := w.names.Load(); names != nil && int(id) < len(*names) && validTagValue((*names)[id]) {
		w.srcs[id] = (*names)[id]
		return w.srcs[id]
	}
	return fallbackSource(id)
}

// fallbackSource names a source nobody named: rare, so allocating is fine.
func fallbackSource(id monitor.SourceID) string { return fmt.Sprintf("source%d", id) }

// SetSources names the sources by monitor.SourceID, for a writer opened
// before the pipeline's sources were registered (the pipeline's OnPublish
// hook needs the writer first). Call it before the first sample of those
// sources; a name already used for a source is kept. Any goroutine.
func (w *Writer) SetSources(names []string) {
	n := append([]string(nil), names...)
	w.names.Store(&n)
}

// undo drops a line the encoder refused.
func (w *Writer) undo(mark int) {
	w.enc.SetBuffer(w.enc.Bytes()[:mark])
}

// nudge returns a time for a line of measurement m that no other line of
// m has: InfluxDB keeps one point per series and time, and two events in
// the same nanosecond must both survive. A time is moved (1 ns at a time)
// only when it collides, so an entry back-dated behind later events keeps
// its clinical time.
func (w *Writer) nudge(m int, t int64) int64 {
	if w.used[m] == nil {
		w.used[m] = map[int64]struct{}{}
	}
	for {
		if _, taken := w.used[m][t]; !taken {
			break
		}
		t++
	}
	w.used[m][t] = struct{}{}
	w.lastTime = max(w.lastTime, t)
	return t
}

func (w *Writer) item(it item) {
	if it.kind == itemFlush {
		// Everything queued before the Flush call goes first.
		for n := len(w.samples); n > 0; n-- {
			s := <-w.samples
			w.sample(&s)
		}
		w.commit()
		it.reply <- w.err
		return
	}
	if w.err != nil && len(w.enc.Bytes()) >= w.opt.Backlog {
		w.nDropped++
		return
	}
	mark := len(w.enc.Bytes())
	switch it.kind {
	case itemEvent:
		encodeEvent(&w.enc, w.opt.Case, w.nudge(0, it.ev.Time), it.ev)
	case itemAlarm:
		if !it.alarm.IsTransition() {
			ev := limitEvent(&it.alarm)
			encodeEvent(&w.enc, w.opt.Case, w.nudge(0, ev.Time), ev)
		} else {
			encodeAlarm(&w.enc, w.opt.Case, w.nudge(1, it.alarm.Time), &it.alarm)
		}
	case itemBookmark:
		encodeBookmark(&w.enc, w.opt.Case, w.nudge(2, it.bm.Time), it.bm)
	case itemMeta:
		encodeMeta(&w.enc, w.opt.Case, it.meta)
	case itemLive:
		encodeLive(&w.enc, w.opt.Case, it.live)
	}
	if w.enc.Err() != nil {
		w.undo(mark)
		w.nRejected++
	}
}

func (w *Writer) derived(row *derivedRow) {
	sec := row.time / 1e9
	if sec <= w.lastDer || row.time < minTime {
		return
	}
	w.lastDer = sec
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		r := row.readings[id-channel.DerivedBSA]
		if int(id) >= len(w.tab) || w.tab[id].group == "" {
			continue
		}
		n := &w.tab[id]
		v := r.Value
		if r.Quality != channel.OK {
			v = math.NaN() // never a number that is not ok
		}
		mark := len(w.enc.Bytes())
		encodeSample(&w.enc, n.group, n.field, n.fieldQ, w.opt.Case, DerivedSource, row.time, v, r.Quality)
		if w.enc.Err() != nil {
			w.undo(mark)
		}
	}
}

// gap writes a recording_gap event for drops not yet reported.
func (w *Writer) gap() {
	total := w.dropped.Load() + w.droppedItems.Load() + w.nDropped
	if total == w.reported || w.lastTime == 0 {
		return
	}
	ev := &Event{Kind: KindRecordingGap, Text: fmt.Sprintf("%d samples or entries not recorded (queue or backlog full)", total-w.reported),
		Fields: []Field{Num("dropped", float64(total-w.reported))}}
	mark := len(w.enc.Bytes())
	encodeEvent(&w.enc, w.opt.Case, w.nudge(0, w.lastTime), ev)
	if w.enc.Err() != nil {
		w.undo(mark)
		return
	}
	w.reported = total
}

// write hands what is encoded to the file, keeping any unwritten rest. It
// reports false on a write error (the writer is then failing).
func (w *Writer) write() bool {
	buf := w.enc.Bytes()
	if len(buf) == 0 {
		return true
	}
	n, err := w.f.Write(buf)
	w.written += int64(n)
	if n > 0 {
		rest := copy(buf, buf[n:])
		w.enc.SetBuffer(buf[:rest])
	}
	if err != nil {
		w.fail(fmt.Errorf("record: write %s: %w", w.cur, err))
		return false
	}
	return true
}

// commit is the group commit: write, then fsync. The error state clears
// only when both worked. (After a failed fsync Linux may have dropped the
// pages it could not write: the error said so while it lasted.)
func (w *Writer) commit() {
	if w.err == nil || len(w.enc.Bytes()) < w.opt.Backlog {
		w.gap()
	}
	if w.write() && (w.synced != w.written || w.err != nil) {
		if err := w.f.Sync(); err != nil {
			w.fail(fmt.Errorf("record: fsync %s: %w", w.cur, err))
		} else {
			w.synced = w.written
			w.ok()
		}
	}
	if w.opt.Segment > 0 && w.lastTime != 0 {
		if w.boundary == 0 { // the run's origin: its first line
			if w.opt.Origin == 0 {
				w.opt.Origin = w.lastTime
			}
			w.boundary = w.opt.Origin + int64(w.seg)*int64(w.opt.Segment)
		}
		if w.lastTime >= w.boundary && w.err == nil && len(w.enc.Bytes()) == 0 && w.synced == w.written {
			w.roll()
		}
	}
	w.publish()
}

func (w *Writer) fail(err error) {
	w.err = err
	w.failed.Store(true)
}

func (w *Writer) ok() {
	if w.err != nil {
		w.err = nil
		w.failed.Store(false)
	}
}

func (w *Writer) publish() {
	w.mu.Lock()
	w.status.Err = w.err
	w.status.Backlog = len(w.enc.Bytes())
	w.status.Written = w.written
	w.status.Synced = w.synced
	w.status.Samples = w.nSamples
	w.status.Dropped = w.nDropped // the queues' drops are added live by Status
	w.status.Rejected = w.nRejected
	w.status.Segment, w.status.SegmentPath = w.seg, w.cur
	w.status.RunBytes = w.before + w.written
	w.status.Free, w.status.DiskLow = w.free, w.low.Load()
	w.mu.Unlock()
}

// minTime rejects times in the first second after the epoch: unstamped.
const minTime = int64(time.Second)

func validKey(k string) bool {
	if k == "" || k == "time" || k[0] == '_' || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validTagValue(s string) bool {
	if s == "" || s[len(s)-1] == '\\' {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

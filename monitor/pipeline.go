package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/ring"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// Errors of New, AddSource, Run.
var (
	// ErrStarted: a source was added after Run or Step started the pipeline.
	ErrStarted = errors.New("monitor: pipeline already started")
	// ErrDuplicateSource: a source of that name is registered.
	ErrDuplicateSource = errors.New("monitor: duplicate source name")
	// ErrRunning: Run was called while Run or Step is active.
	ErrRunning = errors.New("monitor: pipeline already running")
)

// maxSources is the largest number of sources: SourceID is 16 bits and 0 is
// "no source".
const maxSources = math.MaxUint16

// Config is what New needs.
type Config struct {
	// Clock is the case clock. Nil means clock.Wall.
	Clock clock.Clock
	// Settings; see DefaultSettings.
	Settings Settings
	// OnPublish, if set, is called with every new snapshot right after it
	// became the latest, on the goroutine that published it (Run's, or
	// Step's caller). It must not block: the GUI calls Window.Invalidate,
	// the alarm runner is woken to Acquire it. The snapshot may be reused
	// once OnPublish returns: a callback that keeps it calls Retain, and
	// Release when done (the recorder copies what it needs instead).
	OnPublish func(*Snapshot)
	// Phase, if set, tells the case statistics the case's phase at a time
	// (Unix ns): the console's timeline (monitor/timeline), the same the
	// report counts by. Full flow (timeline.Bypass) is when the figures of
	// perfusion count; the temperature and Hct nadirs count on the pump
	// (weaning, arrest and cerebral perfusion too). Nil: a case without a
	// timeline, where a fresh pump flow of at least Limits.OnBypassFlow
	// counts as both. Called on the publishing goroutine; it must not
	// block for long (a read lock).
	Phase func(t int64) timeline.Phase
}

// Pipeline is the monitor: see the package documentation.
//
// Registration (AddSource) happens before the pipeline starts; then exactly
// one consumer drives it: the Run goroutine, or a caller of Step or
// Advance. Latest, Acquire, Channels and ChannelID are safe from any
// goroutine at any time; each Producer is used by one goroutine at a time.
type Pipeline struct {
	set       Settings
	clock     clock.Clock
	onPublish func(*Snapshot)
	phase     func(int64) timeline.Phase

	chans   []channel.Channel // the table: built-in + extra; read-only, shared with snapshots
	names   map[string]channel.ID
	fresh   []int64 // freshness in ns by ID; 0 = never stale
	derived []bool  // by ID

	regMu   sync.Mutex
	started atomic.Bool
	busy    atomic.Bool // a consumer (Run or Step) is active
	sources []*Producer // by SourceID; [0] is nil; fixed once started
	byName  map[string]SourceID

	snap atomic.Pointer[Snapshot]

	// recal is the time of the in-line monitor's last recalibration
	// (Recalibrated); any goroutine writes, the consumer reads.
	recal atomic.Int64

	// spare holds published snapshots for reuse (snappool.go). Consumer
	// only, like the counts.
	spare             [snapPoolSize]*Snapshot
	reused, allocated uint64

	// Consumer state: owned by the active consumer.
	srcStat  []SourceStatus
	ch       []chanState // by ID
	dirty    []channel.ID
	hist     *history
	der      deriver
	stats    CaseStats
	prevCond statConditions
	seq      uint64
	lastPub  int64
	pending  bool     // something changed since the last publish
	ranked   []ranked // channels several sources give, ranked (inputs.go)
}

// chanState is everything ingest touches for one channel, in one 64-byte
// block so that a sample costs one cache line.
type chanState struct {
	latest Reading
	// lo and hi are the channel's plausible range (channel.Classify); for
	// the derived channels and ID 0, which accept no samples, lo > hi.
	lo, hi float64
	// The history accumulator: the OK values of the current second.
	sec   int64
	sum   float64
	n     uint32
	dirty bool // has values not yet written to the history
	// rk is 1 + the channel's index in Pipeline.ranked when sources of
	// different rank give it (SourcePriority); 0 otherwise.
	rk uint16
}

// Producer is a source's way in: a single-producer ring. Put is for one
// goroutine at a time (the device's, the simulator's, the GUI's for manual
// entry).
type Producer struct {
	ring *ring.Ring[Sample]
	id   SourceID
	name string
	kind string   // the driver, KindSim, KindManual: what SourcePriority names
	_    [64]byte // keeps the count off the line the consumer reads ring and id from
	// dropped counts samples refused because the ring was full. Written by
	// the producer, read by the consumer.
	dropped atomic.Uint64
}

// New builds a pipeline and publishes an empty first snapshot, so Latest
// never returns nil. It validates the settings.
func New(cfg Config) (*Pipeline, error) {
	set := cfg.Settings
	if err := set.Validate(); err != nil {
		return nil, err
	}
	set.ExtraChannels = slices.Clone(set.ExtraChannels) // ours now: the caller may reuse theirs
	set.Constants.FlowIndexTable = slices.Clone(set.Constants.FlowIndexTable)
	set.SourcePriority = slices.Clone(set.SourcePriority)
	// The factor in force is the one recorded with the case.
	set.Constants.VCO2Factor = set.VCO2Factor()
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Wall{}
	}
	n := channel.Count + len(set.ExtraChannels)
	p := &Pipeline{
		set:       set,
		clock:     clk,
		onPublish: cfg.OnPublish,
		phase:     cfg.Phase,
		chans:     make([]channel.Channel, n),
		names:     make(map[string]channel.ID, n),
		fresh:     make([]int64, n),
		derived:   make([]bool, n),
		sources:   []*Producer{nil},
		byName:    map[string]SourceID{},
		ch:        make([]chanState, n),
		dirty:     make([]channel.ID, 0, n),
		hist:      newHistory(n, int64(set.HistoryDuration/time.Second)),
	}
	for _, c := range channel.All() {
		p.chans[c.ID] = c
	}
	for i, c := range set.ExtraChannels {
		c.ID = channel.ID(channel.Count + i)
		p.chans[c.ID] = c
	}
	for id := 1; id < n; id++ {
		c := &p.chans[id]
		p.names[c.Name] = c.ID
		p.fresh[id] = int64(c.Freshness)
		p.derived[id] = c.Derived()
		p.ch[id].lo, p.ch[id].hi = c.Min, c.Max
		if p.derived[id] {
			p.ch[id].lo, p.ch[id].hi = math.Inf(1), math.Inf(-1)
		}
	}
	p.ch[0].lo, p.ch[0].hi = math.Inf(1), math.Inf(-1)
	p.der.temps = make([]physio.TempPoint, 0, set.RewarmWindow/time.Second+1)
	p.stats.Limits = set.Limits
	p.stats.DO2iThreshold = set.Constants.DO2iThreshold
	first := p.nextSnapshot(n, 1)
	first.Time = clk.Now().UnixNano()
	first.Channels, first.Stats, first.hist = p.chans, p.stats, p.hist
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		first.Readings[id] = Reading{Value: math.NaN(), Quality: channel.Unavailable}
	}
	p.snap.Store(first)
	return p, nil
}

// Settings returns a copy of the pipeline's settings.
func (p *Pipeline) Settings() Settings {
	s := p.set
	s.ExtraChannels = slices.Clone(s.ExtraChannels)
	s.Constants.FlowIndexTable = slices.Clone(s.Constants.FlowIndexTable)
	s.SourcePriority = slices.Clone(s.SourcePriority)
	return s
}

// Channels returns the pipeline's channel table indexed by ID: the built-in
// vocabulary followed by Settings.ExtraChannels; entry 0 is the zero Channel.
// Shared: do not modify.
func (p *Pipeline) Channels() []channel.Channel { return p.chans }

// ChannelID finds a channel of the pipeline's table by name, extra channels
// included.
func (p *Pipeline) ChannelID(name string) (channel.ID, bool) {
	id, ok := p.names[name]
	return id, ok
}

// AddSource registers a source and returns its producer. ringSize is the
// number of samples its ring holds (a power of two; 0 means
// Settings.RingSize). Sources are registered before the pipeline starts.
// The source's kind, for Settings.SourcePriority, is its name; see
// AddSourceKind.
func (p *Pipeline) AddSource(name string, ringSize int) (*Producer, error) {
	return p.AddSourceKind(name, name, ringSize)
}

// AddSourceKind is AddSource with the source's kind: the driver a device
// runs ("intellivue", "generic"), KindSim or KindManual, which
// Settings.SourcePriority ranks when several sources give one channel.
func (p *Pipeline) AddSourceKind(name, kind string, ringSize int) (*Producer, error) {
	if ringSize == 0 {
		ringSize = p.set.RingSize
	}
	p.regMu.Lock()
	defer p.regMu.Unlock()
	switch {
	case p.started.Load():
		return nil, fmt.Errorf("monitor: add source %q: %w", name, ErrStarted)
	case name == "":
		return nil, errors.New("monitor: add source: empty name")
	case p.byName[name] != 0:
		return nil, fmt.Errorf("monitor: add source %q: %w", name, ErrDuplicateSource)
	case len(p.sources) > maxSources:
		return nil, fmt.Errorf("monitor: add source %q: more than %d sources", name, maxSources)
	}
	r, err := ring.New[Sample](ringSize)
	if err != nil {
		return nil, fmt.Errorf("monitor: add source %q: ring size %d: %w", name, ringSize, err)
	}
	id := SourceID(len(p.sources))
	pr := &Producer{ring: r, id: id, name: name, kind: kind}
	p.sources = append(p.sources, pr)
	p.byName[name] = id
	return pr, nil
}

// Put hands s to the pipeline and reports true, or counts it as dropped and
// reports false when the source's ring is full. It never blocks and never
// allocates. Put sets s.Source. s.Time must be the measurement time on the
// case clock (Unix ns); the pipeline classifies the value against its
// channel's plausible range. One goroutine at a time.
func (pr *Producer) Put(s Sample) bool {
	s.Source = pr.id
	if pr.ring.Put(s) {
		return true
	}
	pr.dropped.Add(1)
	return false
}

// ID returns the source's ID.
func (pr *Producer) ID() SourceID { return pr.id }

// Name returns the source's name.
func (pr *Producer) Name() string { return pr.name }

// Kind returns the source's kind (AddSourceKind).
func (pr *Producer) Kind() string { return pr.kind }

// Dropped returns how many samples Put has dropped so far. Any goroutine.
func (pr *Producer) Dropped() uint64 { return pr.dropped.Load() }

// acquire makes the caller the consumer. The first consumer closes
// registration.
func (p *Pipeline) acquire() bool {
	if !p.busy.CompareAndSwap(false, true) {
		return false
	}
	if !p.started.Load() {
		p.regMu.Lock()
		p.started.Store(true)
		p.srcStat = make([]SourceStatus, len(p.sources))
		for i, s := range p.sources[1:] {
			p.srcStat[i+1].Name = s.name
		}
		p.buildRanks()
		p.regMu.Unlock()
	}
	return true
}

// Run drains the rings and publishes until ctx is done, then returns nil.
// It wakes every PublishInterval of real time, and publishes when samples
// arrived (or were dropped) since the last publish, or when MaxPublishGap of
// case time has passed without one. A sample put just after a wake-up is
// therefore visible within one PublishInterval plus the cost of a publish.
//
// Run returns ErrRunning if Run or Step is already active. Run may be called
// again after it returned.
func (p *Pipeline) Run(ctx context.Context) error {
	if !p.acquire() {
		return ErrRunning
	}
	defer p.busy.Store(false)
	// The pace is real time even when the case clock is scaled: the screen
	// wants ten frames a second whatever the replay speed.
	tick := time.NewTicker(p.set.PublishInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := p.clock.Now().UnixNano()
		p.drain(now)
		if p.pending || now-p.lastPub >= int64(p.set.MaxPublishGap) {
			p.publish(now)
		}
	}
}

// Step drains every ring and publishes a snapshot at now on the caller's
// goroutine, and returns it: the pipeline of headless tools, replay and
// tests, which decide what time it is. Samples stamped later than now plus
// Settings.MaxFutureSkew are rejected, so put the samples of the case up to
// now and then Step(now).
//
// The snapshot returned is pinned, as by Latest: the caller may keep it.
// A loop that does not keep it calls Advance, which allocates nothing.
//
// Step panics if Run is active or another Step is in progress: there is one
// consumer.
func (p *Pipeline) Step(now time.Time) *Snapshot {
	s := p.Advance(now)
	s.ref.pinned.Store(true) // ours to pin: only the consumer reuses snapshots
	return s
}

// Advance is Step without the pin: the snapshot it returns may be refilled
// by the second publish after it, so the caller reads it before stepping
// again, or uses Acquire. Same rules as Step otherwise.
func (p *Pipeline) Advance(now time.Time) *Snapshot {
	if !p.acquire() {
		panic("monitor: Step or Advance called while Run or another Step is active")
	}
	defer p.busy.Store(false)
	t := now.UnixNano()
	p.drain(t)
	return p.publish(t)
}

// drain moves what the rings hold into the latest table and the history.
// Each ring is read once round, in place, so one flooding source cannot
// starve the others.
func (p *Pipeline) drain(now int64) {
	maxTime := now + int64(p.set.MaxFutureSkew)
	for id := 1; id < len(p.sources); id++ {
		src := p.sources[id]
		st := &p.srcStat[id]
		if d := src.dropped.Load(); d != st.Dropped {
			st.Dropped = d
			p.pending = true
		}
		a, b := src.ring.Peek()
		if len(a) == 0 {
			continue
		}
		p.pending = true
		p.ingest(a, st, now, maxTime)
		p.ingest(b, st, now, maxTime)
		src.ring.Release(len(a) + len(b))
	}
}

// minSampleTime rejects times in the first second after the Unix epoch: a
// zero or nearly zero time is a driver that forgot to stamp its sample.
const minSampleTime = nsPerSec

// ingest applies a batch of one source's samples. The hot path.
func (p *Pipeline) ingest(batch []Sample, st *SourceStatus, now, maxTime int64) {
	chs := p.ch
	var accepted, rejected uint64
	last := st.LastTime
	for i := range batch {
		s := &batch[i]
		if int(s.Channel) >= len(chs) || s.Time < minSampleTime || s.Time > maxTime {
			rejected++
			continue
		}
		c := &chs[s.Channel]
		q := s.Quality
		// channel.Classify, on the hot copy of the range. Derived channels
		// and ID 0 have an empty range: every value is out of it.
		if !(s.Value >= c.lo && s.Value <= c.hi) {
			if c.lo > c.hi {
				rejected++
				continue
			}
			if q == channel.OK {
				q = channel.OutOfRange
			}
		}
		accepted++
		last = max(last, s.Time)
		if c.rk != 0 {
			// Several sources of different rank: the chosen one's
			// values alone make the history, at the publish.
			p.offer(c, s, q, now)
			continue
		}
		if s.Time >= c.latest.Time {
			c.latest = Reading{Value: s.Value, Time: s.Time, Source: s.Source, Quality: q}
		}
		if q == channel.OK {
			if sec := s.Time / nsPerSec; sec == c.sec && c.dirty {
				c.sum += s.Value // the common case, inline: same second as the last value
				c.n++
			} else {
				p.accumulate(c, s.Channel, s.Time, s.Value)
			}
		}
	}
	st.Samples += accepted
	st.Rejected += rejected
	st.LastTime = last
}

// accumulate adds an OK value of id at t to the history.
func (p *Pipeline) accumulate(c *chanState, id channel.ID, t int64, v float64) {
	sec := t / nsPerSec // t ≥ minSampleTime > 0
	switch {
	case sec == c.sec:
		c.sum += v
		c.n++
	case sec > c.sec:
		if c.dirty {
			p.hist.store(id, c.sec, c.sum/float64(c.n))
		}
		c.sec, c.sum, c.n = sec, v, 1
	default: // late: fill its second if that is still empty
		if sec > c.sec-p.hist.size {
			p.hist.fill(id, sec, v)
		}
		return
	}
	if !c.dirty {
		c.dirty = true
		p.dirty = append(p.dirty, id)
	}
}

// flushHistory writes the running mean of every channel with new values, so
// readers see the current second too.
func (p *Pipeline) flushHistory() {
	for _, id := range p.dirty {
		c := &p.ch[id]
		if c.dirty && c.n > 0 {
			p.hist.store(id, c.sec, c.sum/float64(c.n))
		}
		c.dirty = false
	}
	p.dirty = p.dirty[:0]
}

// publish builds, stores and announces a snapshot at now.
func (p *Pipeline) publish(now int64) *Snapshot {
	n := len(p.ch)
	p.seq++
	// A reused snapshot keeps its slices and its reference state; every
	// other field is written here, the readings cleared first so that none
	// of the previous publish can show through.
	s := p.nextSnapshot(n, len(p.srcStat))
	s.Seq, s.Time = p.seq, now
	s.Channels, s.hist = p.chans, p.hist
	clear(s.Readings)
	s.Derived = [NumDerived]Derivation{}
	p.rechoose(now)
	p.derive(now, s.Readings, &s.Derived)
	p.inlineCheck(&s.HctCheck, channel.InlineHct, channel.ABGHct, channel.VBGHct)
	p.inlineCheck(&s.HbCheck, channel.InlineHb, channel.ABGHb, channel.VBGHb)
	for i := channel.DerivedBSA; i <= channel.DerivedRewarmRate; i++ {
		if r := &s.Readings[i]; r.Quality == channel.OK && r.Time != 0 && now >= minSampleTime {
			p.accumulate(&p.ch[i], i, now, r.Value)
		}
	}
	p.flushHistory()
	p.updateStats(now, s.Readings)
	s.Stats = p.stats
	for id := range n {
		if p.derived[id] {
			continue
		}
		r := p.ch[id].latest
		if r.Quality == channel.OK && r.Time != 0 && p.stale(channel.ID(id), r.Time, now) {
			r.Quality = channel.Stale
		}
		s.Readings[id] = r
	}
	copy(s.Sources, p.srcStat)
	p.lastPub = now
	p.pending = false
	p.snap.Store(s)
	if p.onPublish != nil {
		p.onPublish(s)
	}
	return s
}

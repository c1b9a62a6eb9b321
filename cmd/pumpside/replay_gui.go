package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gioui.org/app"
	"gioui.org/unit"
	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"

	"github.com/pumpside/pumpside/alarms/sound"
	"github.com/pumpside/pumpside/alarms/sound/speaker"
	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
	"github.com/pumpside/pumpside/ui/view"
)

// The console replay.
//
// A replay session is a console session (session.go: pipeline, timeline,
// alarm engine with its runner, state builder, GUI actions) whose only
// sources are the case's, fed by a replay.Player, and whose case clock is
// the replay position. One goroutine, the driver, owns the pipeline and the
// alarm runner: it steps both (pipeline.Step then runner.Step, as the
// headless replay does), so there is no pipeline.Run or runner.Run.
//
// Seek builds a fresh session and replays the case into it up to the
// target: coarsely (one publish per coarseStep of case time, every sample
// ingested, so the trend history and the latest values are complete) up to
// fineWindow before the target, then once per second of case time like a
// straight replay, so the derived values, freshness and the alarm delays of
// the last minutes are those of a straight replay. The case statistics are
// exact too: when the replay opens, one second-by-second pass of the whole
// case (pipeline only) keeps their state every minute, and a seek restores
// the one where its per-second part starts.

const (
	replayCoarseStep = 30 * time.Second
	replayFineWindow = 20 * time.Minute
	// replayCheckpointEvery is how often the opening pass keeps the case
	// statistics' state (a multiple of replayCoarseStep).
	replayCheckpointEvery = time.Minute
	// replayCarryEvery is how often the opening pass of a case longer than
	// the trend history keeps every channel's newest value (replay.Carry):
	// a seek starts a history's length before its target, from the carry
	// there, instead of from the case start (a multiple of
	// replayCheckpointEvery).
	replayCarryEvery = time.Hour
	replayTick       = 100 * time.Millisecond
	// replayMaxBudget is the share of a tick spent stepping at "as fast as
	// possible": the rest is left to the GUI.
	replayMaxBudget = 70 * time.Millisecond
)

// replaySpeedMax is the speed "as fast as possible".
var replaySpeedMax = math.Inf(1)

// posClock is the case clock of a replay session: the time the driver last
// stepped to. Any goroutine.
type posClock struct{ t atomic.Int64 }

func (c *posClock) Now() time.Time { return time.Unix(0, c.t.Load()) }

// replaySession is one session of a replay, from the case start up to pos.
type replaySession struct {
	s      *session
	pl     *replay.Player
	clk    *posClock
	pos    int64 // the last step, Unix ns; driver goroutine
	nextEv int   // next Case.Events entry to put on the timeline
	bms    []replay.Bookmark
	cancel context.CancelFunc // stops the state builder
}

// replayer runs the console on a recorded case.
type replayer struct {
	c       *replay.Case
	profile *alarms.Profile
	out     sound.Output // shared by the sessions; nil: none
	stderr  io.Writer
	coarse  time.Duration
	fine    time.Duration
	// cps are the case statistics' states every replayCheckpointEvery,
	// by time (takeCheckpoints); read-only after newReplayer.
	cps map[int64]monitor.StatsCheckpoint
	// carries are every channel's newest values every replayCarryEvery,
	// by time, for a case longer than the trend history; read-only after
	// newReplayer.
	carries []replay.Carry
	// trends are the opening pass's trend levels at the case's end, for
	// a case longer than the trend history: a seek that starts from a
	// carry takes the trends before it from them (monitor.SeedTrends), so
	// that the whole run shows. Read-only after newReplayer.
	trends *monitor.TrendArchive
	ring   int // ring size of each replay source
	// redraw and onSnap are the window's (set before the first build).
	redraw, onSnap func()
	// bookmark appends a bookmark to the case file; nil: not kept.
	bookmark func(replay.Bookmark) error

	cur     atomic.Pointer[replaySession]
	view    atomic.Pointer[ui.ReplayView]
	seekTo  atomic.Int64 // pending seek target + 1; 0: none
	cmds    chan func()
	wake    chan struct{}
	playing bool    // driver goroutine
	speed   float64 // driver goroutine; replaySpeedMax: as fast as possible
	bmu     sync.Mutex
	bms     []replay.Bookmark // by time

	// GUI goroutine: the last State handed out.
	lastSt  *ui.State
	lastRV  *ui.ReplayView
	lastOut *ui.State

	ctx context.Context
	wg  sync.WaitGroup
}

func newReplayer(c *replay.Case, profile *alarms.Profile, stderr io.Writer) *replayer {
	// A ring holds what a source sends in a coarse step, twice over.
	ring := 1024
	for ring < 2*c.MaxSamples(int64(replayCoarseStep+time.Second)) && ring < replay.RingSize {
		ring *= 2
	}
	r := &replayer{ring: ring, c: c, profile: profile, stderr: stderr, coarse: replayCoarseStep, fine: replayFineWindow,
		redraw: func() {}, onSnap: func() {}, cmds: make(chan func(), 64), wake: make(chan struct{}, 1),
		speed: 1, bms: slices.Clone(c.Bookmarks), ctx: context.Background()}
	if err := r.takeCheckpoints(); err != nil {
		fmt.Fprintf(stderr, "pumpside replay: case statistics after a seek are approximate: %v\n", err)
	}
	return r
}

// replaySettings are the pipeline settings of every replay pipeline: the
// case statistics may count a coarse step.
func (r *replayer) replaySettings() monitor.Settings {
	set := r.c.Settings(monitor.DefaultSettings())
	set.StatsMaxStep = max(set.StatsMaxStep, r.coarse)
	return set
}

// takeCheckpoints replays the whole case once, a second at a time, through
// a pipeline of its own, and keeps the case statistics' state every
// replayCheckpointEvery (from the case's first second), for build.
func (r *replayer) takeCheckpoints() error {
	clk := &posClock{}
	s0 := floorSecond(r.c.Start) * int64(time.Second)
	clk.t.Store(s0)
	tl := timeline.New(len(r.c.Events) + 1)
	for _, e := range r.c.Events {
		_ = tl.Add(timeline.Event{Time: e.Time, Kind: e.Kind, Tag: e.Tag}) // only events without a time are refused
	}
	p, err := monitor.New(monitor.Config{Clock: clk, Settings: r.replaySettings(),
		Phase: func(t int64) (timeline.Phase, int64) { st := tl.At(t); return st.Phase, st.PhaseSince }})
	if err != nil {
		return err
	}
	pl, err := replay.NewPlayerSize(r.c, p, r.ring)
	if err != nil {
		return err
	}
	long := r.c.End-r.c.Start > int64(r.replaySettings().HistoryDuration+replayCarryEvery)
	if long {
		pl.TrackLatest()
	}
	r.cps = map[int64]monitor.StatsCheckpoint{}
	every, carry := int64(replayCheckpointEvery), int64(replayCarryEvery)
	for x := s0; x <= r.c.End; x += int64(time.Second) {
		pl.PutUntil(x)
		clk.t.Store(x)
		p.Advance(time.Unix(0, x))
		if (x-s0)%every == 0 {
			r.cps[x] = p.StatsCheckpoint()
		}
		if long && x > s0 && (x-s0)%carry == 0 {
			r.carries = append(r.carries, pl.Carry(x))
		}
	}
	if long {
		r.trends = p.Latest().TrendArchive()
	}
	return nil
}

// carryFor returns the carry a seek to t starts from: the last one at
// least a trend history before t, so that the trends are whole; nil (the
// case start) when there is none.
func (r *replayer) carryFor(t int64) *replay.Carry {
	before := t - int64(r.replaySettings().HistoryDuration)
	var c *replay.Carry
	for i := range r.carries {
		if r.carries[i].At > before {
			break
		}
		c = &r.carries[i]
	}
	return c
}

// newSession builds an empty replay session at the case start, or at
// carry's time with its values when carry is not nil.
func (r *replayer) newSession(carry *replay.Carry) (*replaySession, error) {
	clk := &posClock{}
	start := floorSecond(r.c.Start) * int64(time.Second)
	pos := start
	if carry != nil {
		pos = carry.At
	}
	clk.t.Store(pos)
	// The session's state, without newSession's pipeline, record and alarm
	// runner, which a replay session has its own of (building them would
	// cost a sound bank per seek).
	s := newSessionState(sessionOptions{clk: clk, profile: r.profile, stderr: r.stderr, caseStart: time.Unix(0, start),
		ecmo: r.c.Meta.Mode == record.ModeECMO})
	s.phase = newPhaseContext(r.profile, r.replaySettings().Constants) // the case's own constants
	if recordedChecks(r.c) {
		s.qcCheck = nil // the recorded checks set inline_drift (catchUp)
	}
	p, err := monitor.New(monitor.Config{Clock: clk, Settings: r.replaySettings(), OnPublish: s.onPublish, Phase: s.phaseAt})
	if err != nil {
		return nil, err
	}
	s.p = p
	var pl *replay.Player
	if carry != nil {
		p.SeedTrends(r.trends, carry.At)
		pl, err = replay.NewPlayerAt(r.c, p, r.ring, *carry)
	} else {
		pl, err = replay.NewPlayerSize(r.c, p, r.ring)
	}
	if err != nil {
		return nil, err
	}
	for i, pr := range pl.Producers() {
		if int(pr.ID()) < len(s.devs) {
			s.devs[pr.ID()] = watch{name: pr.Name(), transport: "replay", provides: r.c.Provides(i)}
		}
	}
	if err := s.sealSources(pl.Producers()); err != nil {
		return nil, err
	}
	eng, err := alarms.New(r.profile, alarms.Options{Logger: s.alog})
	if err != nil {
		return nil, err
	}
	rate := 0 // sound.SampleRate
	if r.out == nil {
		rate = 1000 // no sound card: the runner's tone bank is never played, keep it small
	}
	s.runner, err = live.New(live.Config{Engine: eng, Acquire: p.Acquire, Clock: clk, Output: r.out,
		Context: s.fillContext, OnChange: s.poke, SampleRate: rate})
	if err != nil {
		return nil, err
	}
	s.redraw, s.onSnap = r.redraw, r.onSnap
	r.bmu.Lock()
	bms := slices.Clone(r.bms)
	r.bmu.Unlock()
	return &replaySession{s: s, pl: pl, clk: clk, pos: pos, bms: bms}, nil
}

// step replays the case into rs up to t: samples, events and bookmarks up
// to t, one publish at t and one alarm evaluation.
func (r *replayer) step(rs *replaySession, t int64) {
	rs.pl.PutUntil(t)
	rs.clk.t.Store(t)
	r.catchUp(rs, t)
	rs.s.p.Advance(time.Unix(0, t))
	rs.s.runner.Step()
	rs.pos = t
}

// catchUp puts the events and bookmarks up to t on the timeline.
func (r *replayer) catchUp(rs *replaySession, t int64) {
	for ; rs.nextEv < len(r.c.Events) && r.c.Events[rs.nextEv].Time <= t; rs.nextEv++ {
		e := &r.c.Events[rs.nextEv]
		if err := rs.s.tl.Add(timeline.Event{Time: e.Time, Kind: e.Kind, Text: e.Text, Tag: e.Tag}); err != nil {
			fmt.Fprintf(r.stderr, "pumpside replay: event %s: %v\n", e.Kind, err)
		}
		if e.Kind == entry.KindSpecimen && e.Target != 0 {
			rs.s.markSpecimen(e.Target) // the prompt ends where it ended in the case
		}
		for _, err := range applyRecorded(e.Kind, e.Num, e.Str, runnerSetter{rs.s.runner}) {
			fmt.Fprintf(r.stderr, "pumpside replay: %s: %v\n", e.Kind, err)
		}
		if e.Kind == entry.KindInlineRecalibration {
			rs.s.p.Recalibrated(e.Time)
		}
		feedDrift(&rs.s.drift, e, rs.s.qcCheck == nil)
	}
	for len(rs.bms) > 0 && rs.bms[0].Time <= t {
		b := rs.bms[0]
		rs.bms = rs.bms[1:]
		_ = rs.s.tl.Add(timeline.Event{Time: b.Time, Kind: "bookmark", Text: b.Text})
	}
}

// build replays the case into a fresh session up to t (clamped to the case
// and floored to a whole second): the seek.
func (r *replayer) build(t int64) (*replaySession, error) {
	s0 := floorSecond(r.c.Start) * int64(time.Second)
	sec := int64(time.Second)
	t = min(max(t, s0), r.c.End)
	t = s0 + (t-s0)/sec*sec
	rs, err := r.newSession(r.carryFor(t))
	if err != nil {
		return nil, err
	}
	// The per-second part starts at a checkpoint, where the statistics of
	// the opening pass take over from the coarse ones.
	every := int64(replayCheckpointEvery)
	fineFrom := max(rs.pos, t-int64(r.fine))
	fineFrom = s0 + (fineFrom-s0)/every*every
	for x := rs.pos; x < fineFrom; x += int64(r.coarse) {
		r.step(rs, x)
	}
	for x := fineFrom; x <= t; x += sec {
		r.step(rs, x)
		if x == fineFrom {
			if cp, ok := r.cps[x]; ok {
				rs.s.p.RestoreStats(cp)
			}
		}
	}
	if rs.pl.Dropped > 0 {
		fmt.Fprintf(r.stderr, "pumpside replay: %d samples did not fit the replay rings\n", rs.pl.Dropped)
	}
	return rs, nil
}

// swap makes rs the shown session and starts its state builder.
func (r *replayer) swap(rs *replaySession) {
	st := rs.s.viewState(rs.s.runner.Status(), rs.s.p.Latest())
	rs.s.state.Store(st)
	ctx, cancel := context.WithCancel(r.ctx)
	rs.cancel = cancel
	old := r.cur.Swap(rs)
	if old != nil {
		old.cancel()
		if r.out != nil {
			r.out.Stop()
		}
	}
	r.wg.Go(func() { rs.s.buildState(ctx) })
	r.publishView()
	r.redraw()
}

// start builds the session at t and runs the driver until ctx ends; wait
// waits for the goroutines.
func (r *replayer) start(ctx context.Context, at int64, wall clock.Clock) (wait func(), err error) {
	r.ctx = ctx
	rs, err := r.build(at)
	if err != nil {
		return nil, err
	}
	r.swap(rs)
	r.wg.Go(func() { r.drive(ctx, wall) })
	return r.wg.Wait, nil
}

// drive is the driver goroutine: it applies the GUI's commands and plays.
func (r *replayer) drive(ctx context.Context, wall clock.Clock) {
	tick := time.NewTicker(replayTick)
	defer tick.Stop()
	last := wall.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-r.cmds:
			f()
		case <-r.wake:
		case <-tick.C:
		}
		for done := false; !done; {
			select {
			case f := <-r.cmds:
				f()
			default:
				done = true
			}
		}
		if t := r.seekTo.Swap(0); t != 0 {
			rs, err := r.build(t - 1)
			if err != nil {
				fmt.Fprintf(r.stderr, "pumpside replay: seek: %v\n", err)
			} else {
				r.swap(rs)
			}
			last = wall.Now()
		}
		now := wall.Now()
		el := now.Sub(last)
		last = now
		rs := r.cur.Load()
		if r.playing {
			r.play(rs, el, wall)
		} else {
			r.catchUp(rs, rs.pos)
			rs.s.runner.Step() // operator actions apply while paused too
		}
		r.publishView()
	}
}

// play advances rs by el of real time at the current speed.
func (r *replayer) play(rs *replaySession, el time.Duration, wall clock.Clock) {
	sec := int64(time.Second)
	if math.IsInf(r.speed, 1) {
		deadline := wall.Now().Add(replayMaxBudget)
		for rs.pos < r.c.End && wall.Now().Before(deadline) {
			r.step(rs, min(r.c.End, floorSecond(rs.pos)*sec+sec))
		}
	} else {
		target := min(r.c.End, rs.pos+int64(float64(el)*r.speed))
		for rs.pos < target {
			r.step(rs, min(target, rs.pos+sec))
		}
	}
	if rs.pos >= r.c.End {
		r.playing = false
	}
}

func (r *replayer) publishView() {
	rs := r.cur.Load()
	if rs == nil {
		return
	}
	r.bmu.Lock()
	times := make([]int64, len(r.bms))
	for i, b := range r.bms {
		times[i] = b.Time
	}
	r.bmu.Unlock()
	old := r.view.Load()
	v := &ui.ReplayView{Start: r.c.Start, End: r.c.End, Position: rs.pos, Playing: r.playing, Speed: r.speed, Bookmarks: times}
	same := old != nil && old.Playing == v.Playing && old.Speed == v.Speed && slices.Equal(old.Bookmarks, v.Bookmarks)
	if same && old.Position == v.Position {
		return
	}
	r.view.Store(v)
	if same && r.onSnap != nil {
		// Only the position moved, as it does at every tick of play: it
		// reaches the screen with the data, at most once a second.
		r.onSnap()
		return
	}
	r.redraw() // the operator's play, pause, speed or bookmark: at once
}

// do queues f for the driver goroutine. Never blocks.
func (r *replayer) do(what string, f func()) {
	select {
	case r.cmds <- f:
	default:
		fmt.Fprintf(r.stderr, "pumpside replay: %s dropped: busy\n", what)
	}
}

// seek asks the driver to show the case at t. Seeks coalesce: a drag on
// the timeline rebuilds only for the last position. Any goroutine.
func (r *replayer) seek(t int64) {
	r.seekTo.Store(t + 1)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// speedOf turns a SetSpeed into a replay speed: 0.5× to 60×, and anything
// above 60× (or not positive) as fast as possible.
func speedOf(v float64) (float64, error) {
	switch {
	case math.IsNaN(v):
		return 0, errors.New("speed is not a number")
	case v <= 0 || v > 60:
		return replaySpeedMax, nil
	case v < 0.5:
		return 0, fmt.Errorf("speed %g× is below 0.5×", v)
	}
	return v, nil
}

// onAction applies the GUI's actions: the replay's own here, the others on
// the current session (acknowledge, pause audio, limits). GUI goroutine;
// never blocks.
func (r *replayer) onAction(a ui.Action) {
	switch a := a.(type) {
	case ui.Seek:
		r.seek(a.Time)
	case ui.SetPlaying:
		r.do("play/pause", func() {
			rs := r.cur.Load()
			if a.Playing && rs.pos >= r.c.End {
				r.seek(r.c.Start) // play again from the start
			}
			r.playing = a.Playing
		})
	case ui.SetSpeed:
		v, err := speedOf(a.Speed)
		if err != nil {
			fmt.Fprintf(r.stderr, "pumpside replay: %v\n", err)
			return
		}
		r.do("speed", func() { r.speed = v })
	case ui.EnterEvent:
		if a.Kind != view.EventBookmark && a.Kind != view.EventNote {
			fmt.Fprintf(r.stderr, "pumpside replay: a recorded case is not changed: only bookmarks and notes are added\n")
			return
		}
		b := replay.Bookmark{Time: a.Time, Text: a.Text, Author: "replay"}
		r.do("bookmark", func() { r.addBookmark(b) })
	case ui.EditEvent, ui.ApplySetup, ui.AssignSpecimen, ui.RecordEntries:
		fmt.Fprintf(r.stderr, "pumpside replay: a recorded case is not changed (%T)\n", a)
	default:
		r.cur.Load().s.onAction(a)
	}
}

// addBookmark keeps b (at the replay position when it has no time), puts
// it on the timeline and appends it to the case file. Driver goroutine.
func (r *replayer) addBookmark(b replay.Bookmark) {
	rs := r.cur.Load()
	if b.Time <= 0 {
		b.Time = rs.pos
	}
	r.bmu.Lock()
	// One bookmark per nanosecond: InfluxDB keeps one point per series and time.
	for slices.ContainsFunc(r.bms, func(x replay.Bookmark) bool { return x.Time == b.Time }) {
		b.Time++
	}
	i, _ := slices.BinarySearchFunc(r.bms, b.Time, func(x replay.Bookmark, t int64) int { return cmp64(x.Time, t) })
	r.bms = slices.Insert(r.bms, i, b)
	r.bmu.Unlock()
	j, _ := slices.BinarySearchFunc(rs.bms, b.Time, func(x replay.Bookmark, t int64) int { return cmp64(x.Time, t) })
	rs.bms = slices.Insert(rs.bms, j, b)
	r.catchUp(rs, rs.pos)
	rs.s.poke()
	if r.bookmark == nil {
		fmt.Fprintf(r.stderr, "pumpside replay: bookmark kept for this replay only (no case file to append to)\n")
	} else if err := r.bookmark(b); err != nil {
		fmt.Fprintf(r.stderr, "pumpside replay: bookmark not kept: %v\n", err)
	}
	r.publishView()
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

// state is the console's State: the current session's, with the replay
// clock. GUI goroutine.
func (r *replayer) state() *ui.State {
	rs := r.cur.Load()
	if rs == nil {
		return nil
	}
	st, rv := rs.s.state.Load(), r.view.Load()
	if st == r.lastSt && rv == r.lastRV && r.lastOut != nil {
		return r.lastOut
	}
	out := &ui.State{}
	if st != nil {
		*out = *st
	}
	out.Replay = rv
	r.lastSt, r.lastRV, r.lastOut = st, rv, out
	return out
}

// acquire and now are the window's snapshot (held for a frame: ui.Run
// releases it) and clock. Any goroutine.
func (r *replayer) acquire() *monitor.Snapshot { return r.cur.Load().s.p.Acquire() }
func (r *replayer) now() time.Time             { return r.cur.Load().clk.Now() }

// bookmarkAppender appends bookmarks to a case file through record.Writer,
// opened on the first bookmark. The writer cuts a torn last line when it
// opens a file; a file that simply lacks its last newline (a hand-written
// case) gets the newline first, so no recorded line is ever cut.
type bookmarkAppender struct {
	path, caseID string
	stderr       io.Writer
	w            *record.Writer
}

func (a *bookmarkAppender) add(b replay.Bookmark) error {
	if a.w == nil {
		if err := endWithNewline(a.path); err != nil {
			return err
		}
		w, err := record.Open(a.path, record.Options{Case: a.caseID})
		if err != nil {
			return err
		}
		if rep := w.Status().Repaired; rep.Bytes > 0 {
			fmt.Fprintf(a.stderr, "pumpside replay: %s: cut %d bytes of zeros at offset %d\n", a.path, rep.Bytes, rep.Offset)
		}
		a.w = w
	}
	if err := a.w.AddBookmark(b); err != nil {
		return err
	}
	return a.w.Flush()
}

func (a *bookmarkAppender) close() error {
	if a.w == nil {
		return nil
	}
	return a.w.Close()
}

// endWithNewline appends a newline to a file whose last byte is not one
// (nor a zero byte a crash left).
func endWithNewline(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], fi.Size()-1); err != nil {
		return err
	}
	if b[0] == '\n' || b[0] == 0 {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return err
	}
	return f.Sync()
}

type replayOptions struct {
	at      int64   // initial position, Unix ns
	speed   float64 // initial speed
	audio   bool
	playing bool
	// influx, for a case replayed from InfluxDB, receives the bookmarks.
	influx *record.Config
	// site gives the zone and units the console shows (nil: the defaults).
	site *site.Config
}

// replayConsole opens the console window on c; caseFile ("" for none)
// receives the bookmarks. It never returns when the window opened: the
// window goroutine exits the process, as pumpside run does.
func replayConsole(ctx context.Context, c *replay.Case, caseFile string, o replayOptions, stdout, stderr io.Writer) int {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprint(stderr, replayNoDisplayHelp)
		return 1
	}
	r := newReplayer(c, caseProfile(c), stderr)
	r.speed, r.playing = o.speed, o.playing
	var bm *bookmarkAppender
	var ib *influxBookmarks
	switch {
	case caseFile != "":
		bm = &bookmarkAppender{path: caseFile, caseID: or(c.ID, "replay"), stderr: stderr}
		r.bookmark = bm.add
	case o.influx != nil:
		ib = &influxBookmarks{cfg: *o.influx, caseID: c.ID, stderr: stderr}
		r.bookmark = ib.add
	}
	if o.audio {
		if out, err := speaker.Open(sound.SampleRate, 2*time.Second); err != nil {
			fmt.Fprintf(stderr, "pumpside: alarm sound unavailable (%v): alarms are shown on screen only\n", err)
		} else {
			r.out = out
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := new(app.Window)
	w.Option(app.Title("Pumpside — REPLAY "+c.ID), app.Size(unit.Dp(1280), unit.Dp(800)))
	r.redraw = w.Invalidate
	r.onSnap = ui.Throttle(w, ui.DefaultRedrawInterval)
	wait, err := r.start(ctx, o.at, clock.Wall{})
	if err != nil {
		fmt.Fprintf(stderr, "pumpside replay: %v\n", err)
		return 1
	}
	exitIfStuck(ctx, stderr, shutdownGrace)
	if o.site == nil {
		o.site = site.Default()
	}
	ecmo := c.Meta.Mode == record.ModeECMO // a long run: its timers and oxygenator tiles, as live
	q10, q10Temps := do2iScaling(r.profile)
	cons := ui.NewConsole(ui.Options{CaseStart: time.Unix(0, c.Start), State: r.state, OnAction: r.onAction,
		Zone: o.site.Location(), Units: o.site.Units, ECMO: ecmo, Oxygenator: ecmo, DO2iQ10: q10, DO2iQ10Inputs: q10Temps})
	go func() {
		code := 0
		if err := ui.Run(ctx, w, cons, r.acquire, r.now); err != nil {
			fmt.Fprintf(stderr, "pumpside replay: the window failed: %v\n", err)
			code = 1
		}
		cancel()
		wait()
		if r.out != nil {
			r.out.Stop()
		}
		if bm != nil {
			if err := bm.close(); err != nil {
				fmt.Fprintf(stderr, "pumpside replay: bookmarks: %v\n", err)
				code = 1
			}
		}
		if ib != nil {
			ib.close()
		}
		os.Exit(code)
	}()
	fmt.Fprintf(stdout, "pumpside: replaying %s (%s of case time) in the console\n", or(c.ID, caseFile),
		time.Duration(c.End-c.Start).Round(time.Second))
	app.Main()
	return 0
}

// replayNoDisplayHelp is noDisplayHelp for the replay.
var replayNoDisplayHelp = strings.Replace(noDisplayHelp, "pumpside run:", "pumpside replay:", 1) +
	"  pumpside replay CASEFILE --headless --derived-out d.csv   the case replayed without the console\n"

// printBookmarks lists the bookmarks of c: time (UTC), elapsed since the
// first sample, text and author.
func printBookmarks(w io.Writer, c *replay.Case) {
	for _, b := range c.Bookmarks {
		line := fmt.Sprintf("%s  %s  %s", time.Unix(0, b.Time).UTC().Format(time.RFC3339),
			formatElapsed(time.Duration(b.Time-c.Start)), b.Text)
		if b.Author != "" {
			line += "  (" + b.Author + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func formatElapsed(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Truncate(time.Second)
	return fmt.Sprintf("%s%02d:%02d:%02d", sign, int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60)
}

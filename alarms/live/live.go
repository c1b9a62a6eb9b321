package live

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/sound"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/clock"
)

// EvalInterval is the longest time between two evaluations. It bounds how
// late a validation delay, a pause countdown or a burst repetition can be
// acted on, and it is the Sequencer's required call rate.
const EvalInterval = 100 * time.Millisecond

// actionQueue bounds the operator actions waiting for the runner.
const actionQueue = 64

// ErrFailed is the alarm system's own failure.
var ErrFailed = errors.New("alarm system failure")

// ErrBusy is returned by an operator action when the runner's queue is full.
var ErrBusy = errors.New("alarms: too many operator actions queued; try again")

// Config configures a Runner.
type Config struct {
	// Engine is the engine to run; the Runner owns it from now on.
	Engine *alarms.Engine
	// Acquire returns the pipeline's latest snapshot with a reference held
	// (monitor.Pipeline.Acquire); the runner releases it after each
	// evaluation. A snapshot not made by a pipeline (tests) needs no
	// release: its Release does nothing.
	Acquire func() *monitor.Snapshot
	// Clock is the case clock (the pipeline's).
	Clock clock.Clock
	// Output plays the bursts. Nil: no audio device; audio_unavailable is
	// raised at once.
	Output sound.Output
	// SampleRate is the Output's sample rate; 0 means sound.SampleRate.
	SampleRate int
	// Context fills the inputs of the engine that do not come from the
	// snapshot (phase, cross-clamp, last doses, device states, recording
	// health) before every evaluation, on the runner's goroutine. The
	// runner fills RingDrops (from the snapshot) and AudioUnavailable
	// itself afterwards. Nil: only those two.
	Context func(now time.Time, snap *monitor.Snapshot, c *alarms.Context)
	// OnChange is called, on the runner's goroutine, after an evaluation
	// that changed the published Status (the GUI's invalidate). It must not
	// block.
	OnChange func()
}

// Status is the alarms' state after one evaluation. It is immutable.
type Status struct {
	// Time is the case-clock time of the evaluation, Unix ns.
	Time int64
	// Seq is the Seq of the snapshot evaluated.
	Seq uint64
	// Alarms lists the alarms that are pending, active, paused or
	// acknowledged, in the profile's order.
	Alarms []alarms.Status
	// All lists every alarm, inactive ones included (their limits in
	// force, for the tiles and the limit settings).
	All []alarms.Status
	// Audible is the highest priority sounding now (alarms.NoPriority if
	// none).
	Audible alarms.Priority
	// AudioUnavailable is true while no alarm sound can be played.
	AudioUnavailable bool
	// AudioErr says why, when AudioUnavailable.
	AudioErr error
	// Failure is set when the alarm system itself has failed (an
	// evaluation panicked): no alarm is evaluated any more.
	Failure string
}

// Runner owns an engine on a running console.
type Runner struct {
	cfg     Config
	bank    *sound.Bank
	seq     *sound.Sequencer
	wake    chan struct{}
	actions chan func(now time.Time) error
	status  atomic.Pointer[Status]

	ctx      alarms.Context
	audioErr error
	// beats counts evaluations, for Watch; failure is set when an
	// evaluation panicked.
	beats   atomic.Uint64
	failure atomic.Pointer[string]
	scratch []alarms.Status
}

// New returns a runner. It does not start it.
func New(cfg Config) (*Runner, error) {
	if cfg.Engine == nil || cfg.Acquire == nil || cfg.Clock == nil {
		return nil, fmt.Errorf("alarms/live: Engine, Acquire and Clock are required")
	}
	if cfg.SampleRate == 0 {
		cfg.SampleRate = sound.SampleRate
	}
	r := &Runner{
		cfg:     cfg,
		bank:    sound.NewBank(cfg.SampleRate),
		seq:     sound.NewSequencer(cfg.Engine.Profile().Repeat),
		wake:    make(chan struct{}, 1),
		actions: make(chan func(time.Time) error, actionQueue),
	}
	if cfg.Output == nil {
		r.audioErr = errors.New("no audio output")
	}
	r.status.Store(&Status{Audible: alarms.NoPriority, AudioUnavailable: r.audioErr != nil, AudioErr: r.audioErr})
	return r, nil
}

// Notify tells the runner a new snapshot was published (the pipeline's
// OnPublish). It never blocks; wake-ups coalesce.
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Status returns the latest status. Any goroutine; never nil.
func (r *Runner) Status() *Status { return r.status.Load() }

// Acknowledge queues the operator's acknowledgement of alarm id
// (alarms.AllAlarms: every active one). The
// returned channel receives the engine's answer (nil, or why it refused).
func (r *Runner) Acknowledge(id string) (<-chan error, error) {
	return r.do(func(now time.Time) error { return r.cfg.Engine.Acknowledge(now, id) })
}

// PauseAudio queues an audio pause of alarm id (alarms.AllAlarms: every
// sounding alarm).
func (r *Runner) PauseAudio(id string) (<-chan error, error) {
	return r.do(func(now time.Time) error { return r.cfg.Engine.PauseAudio(now, id) })
}

// SetLimit queues a limit change of rule id, within the bounds the profile
// allows.
func (r *Runner) SetLimit(id string, limit float64) (<-chan error, error) {
	return r.do(func(now time.Time) error { return r.cfg.Engine.SetLimit(now, id, limit) })
}

// SetBaseline queues a new baseline of a fall_pct rule (the recorded
// pre-induction NIRS baseline).
func (r *Runner) SetBaseline(id string, baseline float64) (<-chan error, error) {
	return r.do(func(now time.Time) error { return r.cfg.Engine.SetBaseline(now, id, baseline) })
}

// SetBand queues a change of the band of an outside-band rule.
func (r *Runner) SetBand(id string, low, high float64) (<-chan error, error) {
	return r.do(func(now time.Time) error { return r.cfg.Engine.SetBand(now, id, low, high) })
}

func (r *Runner) do(f func(time.Time) error) (<-chan error, error) {
	res := make(chan error, 1)
	select {
	case r.actions <- func(now time.Time) error { err := f(now); res <- err; return err }:
		r.Notify()
		return res, nil
	default:
		return nil, ErrBusy
	}
}

// Run evaluates until ctx is done, then silences the output and returns
// ctx.Err().
func (r *Runner) Run(ctx context.Context) error {
	tick := time.NewTicker(EvalInterval)
	defer tick.Stop()
	defer func() {
		if r.cfg.Output != nil {
			r.cfg.Output.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-tick.C:
		}
		if err := r.safeStep(); err != nil {
			return err
		}
	}
}

// StepSafe is Step for a caller that paces the runner itself instead of
// Run: the built-in simulated case, which advances its pipeline and its
// alarms together, a second of case time at a time, so that a sped-up run
// evaluates exactly what its replay does. As under Run, a panic in the
// evaluation becomes the alarm system's failure; StepSafe then returns
// ErrFailed, and the caller stops stepping. Never call it while Run runs.
func (r *Runner) StepSafe() error { return r.safeStep() }

// safeStep is Step that turns a panic (a bug, or a profile the engine
// cannot evaluate) into the alarm system's failure: the runner stops, the
// status says so, and Watch sounds it.
func (r *Runner) safeStep() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrFailed, p)
			msg := err.Error()
			r.failure.Store(&msg)
			st := *r.status.Load()
			st.Failure = msg
			r.status.Store(&st)
			if r.cfg.OnChange != nil {
				r.cfg.OnChange()
			}
		}
	}()
	r.Step()
	return nil
}

// Step applies the queued operator actions and evaluates the latest
// snapshot once, at the clock's now. Run calls it; tests may call it
// directly instead of Run (never both).
func (r *Runner) Step() {
	defer r.beats.Add(1)
	now := r.cfg.Clock.Now()
	for done := false; !done; {
		select {
		case a := <-r.actions:
			_ = a(now) // the caller has the answer
		default:
			done = true
		}
	}
	snap := r.cfg.Acquire()
	if snap == nil {
		return
	}
	defer snap.Release()
	if r.cfg.Context != nil {
		r.cfg.Context(now, snap, &r.ctx)
	}
	var drops uint64
	for _, s := range snap.Sources {
		drops += s.Dropped
	}
	r.ctx.RingDrops = drops
	if r.audioErr == nil && r.cfg.Output != nil {
		if err := r.cfg.Output.Err(); err != nil {
			r.audioErr = err
		}
	}
	r.ctx.AudioUnavailable = r.audioErr != nil

	trs := r.cfg.Engine.Eval(now, snap, &r.ctx)
	r.sound(now)

	prev := r.status.Load()
	r.scratch = r.cfg.Engine.AppendStatus(r.scratch[:0], true)
	if len(trs) == 0 && prev.AudioUnavailable == r.ctx.AudioUnavailable && sameStatus(prev.All, r.scratch) {
		return // nothing a reader could see has changed
	}
	all := append([]alarms.Status(nil), r.scratch...)
	var shown []alarms.Status
	for _, a := range all {
		if a.State != alarms.Inactive {
			shown = append(shown, a)
		}
	}
	st := &Status{
		Time: now.UnixNano(), Seq: snap.Seq,
		Alarms: shown, All: all,
		Audible:          r.cfg.Engine.Audible(),
		AudioUnavailable: r.ctx.AudioUnavailable, AudioErr: r.audioErr,
	}
	r.status.Store(st)
	if r.cfg.OnChange != nil {
		r.cfg.OnChange()
	}
}

// sound starts or stops the burst the sequencer asks for.
func (r *Runner) sound(now time.Time) {
	start, stop := r.seq.Next(now, r.cfg.Engine.Audible())
	out := r.cfg.Output
	if out == nil || r.audioErr != nil {
		return
	}
	if stop {
		out.Stop()
	}
	if start != alarms.NoPriority {
		if err := out.Play(r.bank.Burst(start)); err != nil {
			r.audioErr = err
		}
	}
}

// sameStatus reports whether two status lists show the same thing: the
// same alarms in the same states, priorities, pause countdowns and values.
func sameStatus(a, b []alarms.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Alarm != y.Alarm || x.State != y.State || x.Priority != y.Priority || x.Present != y.Present ||
			x.Sounding != y.Sounding || x.PausedUntil != y.PausedUntil || !sameLimits(x.Limits, y.Limits) ||
			!sameFloat(x.Value, y.Value) || !sameFloat(x.Limit, y.Limit) {
			return false
		}
	}
	return true
}

func sameFloat(a, b float64) bool { return a == b || (a != a && b != b) }

func sameLimits(a, b alarms.Limits) bool {
	return sameFloat(a.Limit, b.Limit) && sameFloat(a.Low, b.Low) && sameFloat(a.High, b.High)
}

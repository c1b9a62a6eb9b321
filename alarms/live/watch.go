package live

import (
	"context"
	"time"

	"github.com/pumpside/pumpside/alarms"
)

// Failure sound (IEC 60601-1-8 via docs/alarms.md): if the alarm system
// itself fails, something must sound for at least FailureSound.
const (
	// StallAfter is how long the runner may go without an evaluation
	// before Watch takes the alarm system for failed: twenty evaluation
	// intervals.
	StallAfter = 20 * EvalInterval
	// FailureSound is the least time the failure sounds, even if the
	// runner recovers sooner.
	FailureSound = 120 * time.Second
	// watchInterval is how often Watch looks.
	watchInterval = 250 * time.Millisecond
	// failureRepeat is the pause between two failure bursts.
	failureRepeat = time.Second
)

// Watch guards the runner until ctx is done: when the runner has not
// evaluated for StallAfter (it hangs) or an evaluation panicked, it plays
// the HIGH burst over and over, on the runner's Output, for as long as the
// failure lasts and at least FailureSound. It returns ctx.Err(). Run it on
// its own goroutine next to Run; it reads the wall clock (a failure is
// measured in real time, whatever the case clock does).
func (r *Runner) Watch(ctx context.Context) error {
	out := r.cfg.Output
	burst := r.bank.Burst(alarms.High)
	burstLen := time.Duration(len(burst)) * time.Second / time.Duration(r.cfg.SampleRate)
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	last, lastChange := r.beats.Load(), time.Now()
	var soundUntil, nextPlay time.Time
	sounding := false
	for {
		select {
		case <-ctx.Done():
			if sounding && out != nil {
				out.Stop()
			}
			return ctx.Err()
		case <-tick.C:
		}
		now := time.Now()
		if b := r.beats.Load(); b != last {
			last, lastChange = b, now
		}
		failing := r.failure.Load() != nil || now.Sub(lastChange) >= StallAfter
		if failing && !sounding {
			sounding, soundUntil, nextPlay = true, now.Add(FailureSound), now
		}
		if !sounding {
			continue
		}
		if failing {
			soundUntil = maxTime(soundUntil, now)
		} else if !now.Before(soundUntil) {
			sounding = false
			if out != nil {
				out.Stop()
			}
			continue
		}
		if out != nil && !now.Before(nextPlay) {
			_ = out.Play(burst) // a failing output cannot be helped from here
			nextPlay = now.Add(burstLen + failureRepeat)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

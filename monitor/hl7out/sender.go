package hl7out

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
)

// Back-off defaults of a Sender: the wait after a failed attempt doubles
// from RetryMin to RetryMax.
const (
	DefaultRetryMin = time.Second
	DefaultRetryMax = 5 * time.Minute
	// DefaultMaxNAKs: after this many AE/AR answers to one message, it is
	// held (kept, not sent again) until the next explicit send.
	DefaultMaxNAKs = 5
)

// Outcome is what one attempt did.
type Outcome uint8

// The outcomes of Sender.Step.
const (
	// Idle: nothing pending.
	Idle Outcome = iota
	// Delivered: AA, recorded; the entry is done.
	Delivered
	// Refused: AE or AR, recorded with the engine's text; sent again
	// after the back-off, up to MaxNAKs times.
	Refused
	// NoAnswer: not reachable, no ACK in time, connection lost; sent
	// again after the back-off, for as long as it takes.
	NoAnswer
	// Held: the oldest entry had MaxNAKs refusals; nothing more is sent
	// until the next explicit send (the entries stay in the outbox).
	Held
)

// Sender delivers an outbox's pending messages, oldest first, through a
// Client. It is used by one goroutine.
type Sender struct {
	Outbox *Outbox
	Client *Client
	// RetryMin and RetryMax bound the back-off (defaults above).
	RetryMin, RetryMax time.Duration
	// MaxNAKs is the refusals after which an entry is held (default
	// DefaultMaxNAKs); the count is the outbox's, across restarts, and
	// starts again from the refusals it had when the Sender was made.
	MaxNAKs int
	// Log, if set, receives one line per attempt that did not deliver and
	// per delivery: what the engine answered, in its words.
	Log func(line string)
	// Now is the clock of the journal (default time.Now).
	Now func() time.Time

	backoff time.Duration
	base    map[int]int // NAKs per entry when this Sender began
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) log(format string, a ...any) {
	if s.Log != nil {
		s.Log(fmt.Sprintf(format, a...))
	}
}

func (s *Sender) maxNAKs() int {
	if s.MaxNAKs > 0 {
		return s.MaxNAKs
	}
	return DefaultMaxNAKs
}

// Step attempts the oldest pending entry once.
func (s *Sender) Step(ctx context.Context) (Outcome, error) {
	pend := s.Outbox.Pending()
	if len(pend) == 0 {
		return Idle, nil
	}
	e := pend[0]
	if s.base == nil {
		s.base = map[int]int{}
	}
	if _, ok := s.base[e.Seq]; !ok {
		s.base[e.Seq] = e.NAKs
	}
	if e.NAKs-s.base[e.Seq] >= s.maxNAKs() {
		return Held, nil
	}
	msg, err := s.Outbox.Message(e)
	if err != nil {
		return NoAnswer, err
	}
	ack, err := s.Client.Send(ctx, msg)
	switch {
	case err != nil:
		s.log("message %s (%s, %s): %v", e.ControlID, statusWord(e.Status), s.Outbox.dir, err)
		return NoAnswer, nil
	case ack.Accepted():
		if err := s.Outbox.Acked(e.Seq, ack, s.now()); err != nil {
			return NoAnswer, err
		}
		s.log("message %s (%s) acknowledged: %s", e.ControlID, statusWord(e.Status), ack)
		return Delivered, nil
	default:
		if err := s.Outbox.NAKed(e.Seq, ack, s.now()); err != nil {
			return NoAnswer, err
		}
		s.log("message %s (%s) refused by the engine: %s", e.ControlID, statusWord(e.Status), ack)
		if e.NAKs+1-s.base[e.Seq] >= s.maxNAKs() {
			return Held, nil
		}
		return Refused, nil
	}
}

func statusWord(st Status) string { return st.String() }

// Wait returns how long to wait after an outcome: nothing after a
// delivery, the back-off (doubling from RetryMin to RetryMax) after a
// refusal or no answer.
func (s *Sender) Wait(o Outcome) time.Duration {
	lo, hi := s.RetryMin, s.RetryMax
	if lo <= 0 {
		lo = DefaultRetryMin
	}
	if hi < lo {
		hi = max(lo, DefaultRetryMax)
	}
	switch o {
	case Refused, NoAnswer:
		if s.backoff == 0 {
			s.backoff = lo
		} else {
			s.backoff = min(2*s.backoff, hi)
		}
		return s.backoff
	}
	s.backoff = 0
	return 0
}

// HeldError is returned by Run when an entry was refused MaxNAKs times.
type HeldError struct{ Entry Entry }

func (e *HeldError) Error() string {
	return fmt.Sprintf("hl7out: message %s refused %d times (last: %s): held in the outbox until the next send", e.Entry.ControlID, e.Entry.NAKs, e.Entry.LastNAK)
}

// Run sends until every entry is acknowledged (nil), an entry is held
// (*HeldError) or ctx ends (its error; the outbox keeps what is left).
func (s *Sender) Run(ctx context.Context) error {
	for {
		o, err := s.Step(ctx)
		if err != nil {
			return err
		}
		switch o {
		case Idle:
			return nil
		case Held:
			return &HeldError{Entry: s.Outbox.Pending()[0]}
		}
		if d := s.Wait(o); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// QueueRecord builds the record's message and queues it in the case's
// outbox unless that version is there already. It returns the entry and
// whether it was added.
func QueueRecord(o *Outbox, rec *exchange.Record, cfg MessageConfig, now time.Time) (Entry, bool, error) {
	v := Version(rec, cfg)
	return o.Queue(rec.RecordID, v, rec.Summary.SignOff.Signed(), now, func(h Header) ([]byte, error) { return Build(rec, cfg, h) })
}

// PendingCases returns the case files under dir whose outbox holds a
// message not yet acknowledged (a console stopped or killed before the
// engine answered), for a console to send at start.
func PendingCases(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || !strings.HasSuffix(p, OutboxSuffix) {
			return nil
		}
		casePath := strings.TrimSuffix(p, OutboxSuffix)
		es, err := OutboxStatus(casePath)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.State == Pending {
				out = append(out, casePath)
				break
			}
		}
		return filepath.SkipDir
	})
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return out, err
}

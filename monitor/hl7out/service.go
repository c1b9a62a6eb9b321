package hl7out

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
)

// Service sends perfusion records in the background for a console: at the
// perfusionist's sign-off the console calls SignedOff, which never
// blocks; the Service's goroutine (Run) builds the record, queues it in
// the case's outbox at once (so a console closed or killed afterwards
// loses nothing: the next one, or pumpside send, sends it), and sends it,
// retrying with back-off, oldest case first.
type Service struct {
	// Client reaches the engine; Message is the message configuration.
	Client  *Client
	Message MessageConfig
	// Build makes a case file's record (load, summarise, exchange.Build
	// with the site's identity setting).
	Build func(casePath string) (*exchange.Record, error)
	// Log receives what happens, one line each (shown and logged by the
	// console).
	Log func(line string)
	// RetryMin, RetryMax and MaxNAKs are the Sender's.
	RetryMin, RetryMax time.Duration
	MaxNAKs            int
	// Now is the clock (default time.Now).
	Now func() time.Time

	in    chan string
	bases map[string]map[int]int // refusals per entry when this Service first tried it
}

// NewService returns a Service with room for 64 sign-offs waiting to be
// queued.
func NewService(client *Client, msg MessageConfig, build func(string) (*exchange.Record, error), log func(string)) *Service {
	return &Service{Client: client, Message: msg, Build: build, Log: log, in: make(chan string, 64)}
}

// SignedOff hands the Service a signed-off case file. It never blocks:
// false (and a log line) when 64 cases already wait, which only happens
// when Run is not running.
func (s *Service) SignedOff(casePath string) bool {
	select {
	case s.in <- casePath:
		return true
	default:
		s.log("HL7: %s not queued: too many cases waiting (is the sender running?)", casePath)
		return false
	}
}

func (s *Service) log(format string, a ...any) {
	if s.Log != nil {
		s.Log(fmt.Sprintf(format, a...))
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// queue builds and queues one case's record.
func (s *Service) queue(path string) bool {
	rec, err := s.Build(path)
	if err != nil {
		s.log("HL7: %s: not sent: %v", path, err)
		return false
	}
	o, err := OpenOutbox(path)
	if err != nil {
		s.log("HL7: %s: %v", path, err)
		return false
	}
	defer o.Close()
	e, added, err := QueueRecord(o, rec, s.Message, s.now())
	switch {
	case err != nil:
		s.log("HL7: %s: not queued: %v", path, err)
		return false
	case added:
		s.log("HL7: %s: queued message %s (%s)", path, e.ControlID, statusWord(e.Status))
	default:
		s.log("HL7: %s: this version is already in the outbox (%s, %s)", path, e.ControlID, e.State)
	}
	return true
}

// Run serves until ctx ends, starting with the cases in resume (a
// console's record directory's PendingCases).
func (s *Service) Run(ctx context.Context, resume ...string) {
	var pending []string
	add := func(p string) {
		for _, q := range pending {
			if q == p {
				return
			}
		}
		pending = append(pending, p)
	}
	for _, p := range resume {
		add(p)
	}
	pacer := &Sender{RetryMin: s.RetryMin, RetryMax: s.RetryMax}
	for {
		// Queue every sign-off that came in before sending anything.
		for drained := false; !drained; {
			select {
			case p := <-s.in:
				if s.queue(p) {
					add(p)
				}
			default:
				drained = true
			}
		}
		var wait time.Duration
		if len(pending) == 0 {
			wait = -1
		} else {
			o, err := s.step(ctx, pending[0])
			switch {
			case err != nil:
				s.log("HL7: %s: %v", pending[0], err)
				pending = pending[1:]
			case o == Idle || o == Held:
				pending = pending[1:]
			}
			wait = pacer.Wait(o)
		}
		if wait == 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var tc <-chan time.Time
		var t *time.Timer
		if wait > 0 {
			t = time.NewTimer(wait)
			tc = t.C
		}
		select {
		case <-ctx.Done():
			return
		case p := <-s.in:
			if s.queue(p) {
				add(p)
			}
		case <-tc:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// step opens a case's outbox for one attempt, so that a pumpside send of
// the same case can take it between attempts.
func (s *Service) step(ctx context.Context, path string) (Outcome, error) {
	o, err := OpenOutbox(path)
	if errors.Is(err, ErrBusy) {
		return NoAnswer, nil // another process is sending it: try again later
	}
	if err != nil {
		return Idle, err
	}
	defer o.Close()
	if s.bases == nil {
		s.bases = map[string]map[int]int{}
	}
	if s.bases[path] == nil {
		s.bases[path] = map[int]int{}
	}
	snd := &Sender{Outbox: o, Client: s.Client, MaxNAKs: s.MaxNAKs, Now: s.Now, base: s.bases[path],
		Log: func(l string) { s.log("HL7: %s", l) }}
	out, err := snd.Step(ctx)
	if out == Held {
		s.log("HL7: %s: held after %d refusals: run pumpside send to try again", path, snd.maxNAKs())
		delete(s.bases, path)
	}
	return out, err
}

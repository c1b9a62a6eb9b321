package devices

import (
	"context"
	"io"
	"sync"
	"time"
)

// Poller is implemented by drivers whose device sends data when asked: a
// request packet (the CDI 550's `<X08Z36>`) or configured poll bytes (the
// generic driver). It is optional; without it nothing is ever requested.
//
// Drivers must not sleep, so a driver can ask only when it starts (on
// connect) or when bytes arrive. Asking on a timer belongs to whoever owns
// time: the Supervisor has no hook for it yet, so wrap the device's
// transport with WithPolling, which writes the request on each stream it
// opens every PollInterval.
type Poller interface {
	// PollInterval is how often the device should be asked; 0 means never.
	PollInterval() time.Duration
	// AppendPoll appends the request bytes to dst.
	AppendPoll(dst []byte) []byte
}

// WithPolling returns an Opener like o whose streams are asked for data
// every p.PollInterval() while they are open: one goroutine per stream
// writes p.AppendPoll, and ends when the stream is closed or a write fails
// (the driver's next read then reports the failure). The first request goes
// one interval after the stream opens: a driver that wants one at once
// sends it at the start of Decode. Writes to the stream, the driver's and
// the poller's, are serialised.
//
// A stream that knows its receive times (a capture played back, a
// ReceiveTimer) is returned unwrapped: recorded input is not asked. With an
// interval of 0, o is returned as it is.
func WithPolling(o Opener, p Poller) Opener {
	if p.PollInterval() <= 0 {
		return o
	}
	return &pollingOpener{Opener: o, p: p}
}

type pollingOpener struct {
	Opener
	p Poller
}

func (o *pollingOpener) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	rwc, err := o.Opener.Open(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := rwc.(ReceiveTimer); ok {
		return rwc, nil
	}
	s := &polledStream{rwc: rwc, stop: make(chan struct{}), done: make(chan struct{})}
	go s.poll(o.p.PollInterval(), o.p.AppendPoll(nil))
	return s, nil
}

func (o *pollingOpener) String() string {
	return o.Opener.String() + ", polled every " + o.p.PollInterval().String()
}

// polledStream serialises writes and owns the polling goroutine.
type polledStream struct {
	rwc  io.ReadWriteCloser
	mu   sync.Mutex // held during a Write
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (s *polledStream) poll(every time.Duration, req []byte) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.Write(req); err != nil {
				return
			}
		}
	}
}

func (s *polledStream) Read(p []byte) (int, error) { return s.rwc.Read(p) }

func (s *polledStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rwc.Write(p)
}

// Close stops the polling goroutine and closes the stream. Closing the
// stream first unblocks a poll stuck in Write.
func (s *polledStream) Close() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		err = s.rwc.Close()
		<-s.done
	})
	return err
}

package devicetest

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
)

// Dialogue records what a device that sends only when asked (a patient
// monitor: devices.Responder) sends to its driver: drv holds the dialogue
// with dev over net.Pipe for span, inside a synctest bubble (hours pass in
// seconds, on the bubble's clock), and Dialogue returns the bytes dev
// wrote, in order. That is what a capture of the device's transmit line
// holds, and drv decodes it as a capture (only read, nothing asked): the
// stream to run line noise through (FalseOK) for a protocol that has no
// stream of its own.
//
// latest gives dev's values when elapsed has passed since the dialogue
// began; only dev's goroutine calls it. Decode ending before span (the
// driver gave up on the device) fails t.
func Dialogue(t *testing.T, drv devices.Driver, dev devices.Responder, span time.Duration,
	latest func(elapsed time.Duration, dst []monitor.Sample) []monitor.Sample) []byte {
	t.Helper()
	var sent []byte
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		a, b := net.Pipe()
		line := newTxLine(b)
		ctx, cancel := context.WithCancel(context.Background())
		decoded, responded := make(chan error, 1), make(chan error, 1)
		env := devices.Env{Source: 1, Sink: devices.SinkFunc(func(monitor.Sample) bool { return true }), Events: devices.Discard}
		go func() { decoded <- drv.Decode(ctx, a, env) }()
		go func() {
			responded <- dev.Respond(ctx, line, func(dst []monitor.Sample) []monitor.Sample {
				return latest(time.Since(start), dst)
			})
		}()
		timer := time.NewTimer(span)
		select {
		case err := <-decoded:
			t.Errorf("Decode ended %v into the dialogue: %v", time.Since(start), err)
			decoded <- err
		case <-timer.C:
		}
		cancel()
		a.Close()
		line.Close()
		<-decoded
		<-responded
		sent = line.sent()
	})
	return sent
}

// txLine is the device's end of the pipe. Its writes are queued, as a
// serial line or a socket buffers them (net.Pipe does not: a device
// writing while its driver writes a request would hold both), and kept.
type txLine struct {
	net.Conn
	mu   sync.Mutex
	log  []byte
	out  chan []byte
	done chan struct{}
	gone chan struct{} // closed when the writer has ended
	once sync.Once
}

func newTxLine(c net.Conn) *txLine {
	l := &txLine{Conn: c, out: make(chan []byte, 256), done: make(chan struct{}), gone: make(chan struct{})}
	go func() {
		defer close(l.gone)
		for {
			select {
			case p := <-l.out:
				c.Write(p) // fails once closed
			case <-l.done:
				return
			}
		}
	}()
	return l
}

func (l *txLine) Write(p []byte) (int, error) {
	p = slices.Clone(p)
	select {
	case l.out <- p:
	case <-l.done:
		return 0, net.ErrClosed
	}
	l.mu.Lock()
	l.log = append(l.log, p...)
	l.mu.Unlock()
	return len(p), nil
}

// Close closes the pipe and waits for the writer.
func (l *txLine) Close() error {
	err := l.Conn.Close()
	l.once.Do(func() { close(l.done) })
	<-l.gone
	return err
}

func (l *txLine) sent() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.log)
}

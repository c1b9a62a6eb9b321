package devices_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
)

type testPoller struct{ every time.Duration }

func (p testPoller) PollInterval() time.Duration  { return p.every }
func (p testPoller) AppendPoll(dst []byte) []byte { return append(dst, "<X08Z36>"...) }

// pollStream records writes with their (bubble) times; Read blocks until
// Close.
type pollStream struct {
	mu      sync.Mutex
	writes  []string
	at      []time.Duration
	start   time.Time
	closed  chan struct{}
	failing bool
}

func (f *pollStream) Read([]byte) (int, error) { <-f.closed; return 0, io.ErrClosedPipe }

func (f *pollStream) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing {
		return 0, errors.New("port gone")
	}
	f.writes = append(f.writes, string(p))
	f.at = append(f.at, time.Since(f.start))
	return len(p), nil
}

func (f *pollStream) Close() error { close(f.closed); return nil }

type pollOpener struct{ s *pollStream }

func (o *pollOpener) Open(context.Context) (io.ReadWriteCloser, error) { return o.s, nil }
func (o *pollOpener) Close() error                                     { return nil }
func (o *pollOpener) String() string                                   { return "fake" }

func TestWithPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fs := &pollStream{start: time.Now(), closed: make(chan struct{})}
		o := devices.WithPolling(&pollOpener{fs}, testPoller{6 * time.Second})
		assert.Equal(t, "fake, polled every 6s", o.String())
		rwc, err := o.Open(context.Background())
		require.NoError(t, err)
		_, err = rwc.Write([]byte("hello"))
		require.NoError(t, err)
		time.Sleep(20 * time.Second)
		synctest.Wait()
		fs.mu.Lock()
		assert.Equal(t, []string{"hello", "<X08Z36>", "<X08Z36>", "<X08Z36>"}, fs.writes)
		assert.Equal(t, []time.Duration{0, 6 * time.Second, 12 * time.Second, 18 * time.Second}, fs.at)
		fs.mu.Unlock()
		require.NoError(t, rwc.Close())
		require.NoError(t, rwc.Close(), "a second Close does nothing")
		time.Sleep(time.Minute)
		assert.Len(t, fs.writes, 4, "no poll after Close")
	})
}

func TestWithPollingStopsOnWriteError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fs := &pollStream{start: time.Now(), closed: make(chan struct{}), failing: true}
		rwc, err := devices.WithPolling(&pollOpener{fs}, testPoller{time.Second}).Open(context.Background())
		require.NoError(t, err)
		time.Sleep(5 * time.Second)
		synctest.Wait() // the poll goroutine has ended: only the test's goroutine is left
		require.NoError(t, rwc.Close())
	})
}

func TestWithPollingNever(t *testing.T) {
	o := &pollOpener{}
	assert.Same(t, devices.Opener(o), devices.WithPolling(o, testPoller{0}))
}

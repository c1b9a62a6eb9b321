package emulate

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	_ "github.com/pumpside/pumpside/devices/astm"
	_ "github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	_ "github.com/pumpside/pumpside/devices/external"
	_ "github.com/pumpside/pumpside/devices/generic"
	_ "github.com/pumpside/pumpside/devices/hl7"
	_ "github.com/pumpside/pumpside/devices/intellivue"
	_ "github.com/pumpside/pumpside/devices/invos"
	"github.com/pumpside/pumpside/devices/masimo"
	_ "github.com/pumpside/pumpside/devices/nonin"
	_ "github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type sampleLog struct {
	mu sync.Mutex
	s  []monitor.Sample
}

func (l *sampleLog) Put(s monitor.Sample) bool {
	l.mu.Lock()
	l.s = append(l.s, s)
	l.mu.Unlock()
	return true
}
func (l *sampleLog) get() []monitor.Sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]monitor.Sample(nil), l.s...)
}

func only(ss []monitor.Sample, id channel.ID) []monitor.Sample {
	var out []monitor.Sample
	for _, s := range ss {
		if s.Channel == id {
			out = append(out, s)
		}
	}
	return out
}

// The simulated pulse oximeter speaks Masimo ASCII 1 onto one end of a
// socat pty pair; the real Masimo driver decodes it at the other end.
func TestMasimoOverPty(t *testing.T) {
	pty := devicetest.StartPtyPair(t)
	dev, err := New(masimo.Name, nil)
	require.NoError(t, err)
	w, err := Open(dev, pty.Peer)
	require.NoError(t, err)
	defer w.Close()
	dev.SetWriter(w)

	rd, err := transport.OpenSerial(transport.Serial{Port: pty.Device, Baud: 9600})
	require.NoError(t, err)
	var got sampleLog
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- masimo.New().Decode(ctx, rd, devices.Env{Source: 1, Sink: &got}) }()

	c := sim.New(t0, 4)
	var sent sampleLog
	feed := func(from, to time.Duration) {
		for d := from; d <= to; d += time.Second {
			c.AdvanceTo(t0.Add(d), func(_ sim.Source, s monitor.Sample) {
				if dev.Carries(s.Channel) {
					sent.Put(s)
				}
				dev.Put(s)
			})
			require.NoError(t, dev.Flush())
		}
	}
	feed(0, 20*time.Second)                                                  // pre-bypass: a pulse
	c.AdvanceTo(t0.Add(30*time.Minute), func(sim.Source, monitor.Sample) {}) // cross-clamp on: no pulse
	feed(30*time.Minute+time.Second, 30*time.Minute+10*time.Second)

	want := only(sent.get(), channel.PatientSpO2)
	require.Len(t, want, 31)
	deadline := time.Now().Add(5 * time.Second)
	for len(only(got.get(), channel.PatientSpO2)) < len(want)-1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	rd.Close()
	<-done // the decoder stops on cancel or on our Close; either outcome is fine here

	spo2 := only(got.get(), channel.PatientSpO2)
	// The last line may still be in flight when we stop; every line received
	// must match what was sent, value and quality.
	require.GreaterOrEqual(t, len(spo2), len(want)-1)
	for i, s := range spo2 {
		assert.Equal(t, want[i].Quality, s.Quality, "line %d", i)
		if want[i].Quality == channel.OK {
			assert.Equal(t, want[i].Value, s.Value, "line %d", i)
		}
	}
	assert.Equal(t, channel.OK, spo2[0].Quality, "a pulse before bypass")
	assert.NotEqual(t, channel.OK, spo2[len(spo2)-1].Quality, "no pulse with the heart arrested")
	hr := only(got.get(), channel.PatientHR)
	require.NotEmpty(t, hr)
	assert.InDelta(t, 72, hr[0].Value, 6)
}

// Over TCP: the console connects to the emulated device's address.
func TestNoninOverTCP(t *testing.T) {
	dev, err := New("nonin", nil)
	require.NoError(t, err)
	w, err := Open(dev, "tcp:127.0.0.1:0")
	require.NoError(t, err)
	defer w.Close()
	b := w.(*Broadcaster)
	dev.SetWriter(w)
	cn, err := net.Dial("tcp", b.Addr())
	require.NoError(t, err)
	defer cn.Close()
	for b.Clients() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	c := sim.New(t0, 1)
	c.AdvanceTo(t0.Add(3*time.Second), func(_ sim.Source, s monitor.Sample) { dev.Put(s) })
	require.NoError(t, dev.Flush())
	cn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(cn).ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, "SPO2=")
}

func TestRunPaces(t *testing.T) {
	dev, err := New(masimo.Name, nil)
	require.NoError(t, err)
	var n countW
	dev.SetWriter(&n)
	clk := clock.NewManual(t0)
	c := sim.New(t0, 1)
	go func() {
		for range 5 {
			time.Sleep(5 * time.Millisecond)
			clk.Advance(time.Second)
		}
	}()
	require.NoError(t, Run(context.Background(), c, []*Device{dev}, clk, 1, time.Millisecond, t0.Add(5*time.Second)))
	assert.Equal(t, t0.Add(5*time.Second), c.Now())
	assert.Positive(t, n.n)
}

func TestDriversAndMissing(t *testing.T) {
	assert.Contains(t, Drivers(), masimo.Name)
	_, err := New("no-such-driver", nil)
	assert.ErrorIs(t, err, ErrNoEncoder)
}

type countW struct {
	mu sync.Mutex
	n  int
}

func (w *countW) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.n += len(p)
	w.mu.Unlock()
	return len(p), nil
}

// Every emulated driver's bytes decode cleanly with the real driver, and the
// values come back (within the wire format's resolution).
func TestRoundTripEveryDriver(t *testing.T) {
	for _, name := range Drivers() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			dev, err := New(name, &buf)
			require.NoError(t, err)
			var target *Responding // a device that answers requests: a dialogue over TCP
			if dev.Responds() {
				w, err := Open(dev, "tcp:127.0.0.1:0")
				require.NoError(t, err)
				defer w.Close()
				target = w.(*Responding)
			}
			c := sim.New(t0, 2)
			last := map[channel.ID]monitor.Sample{}
			// On bypass; feeding starts on an in-line report, as it does from
			// the case start, so the 6-s frames carry fresh in-line values.
			// The minute from 56:00 holds a blood-gas result (drawn at 55:00).
			c.AdvanceTo(t0.Add(56*time.Minute-time.Second), func(_ sim.Source, s monitor.Sample) {})
			for d := 56 * time.Minute; d <= 57*time.Minute; d += time.Second {
				c.AdvanceTo(t0.Add(d), func(_ sim.Source, s monitor.Sample) {
					if dev.Carries(s.Channel) {
						last[s.Channel] = s
					}
					dev.Put(s)
				})
				require.NoError(t, dev.Flush())
			}
			require.NotEmpty(t, last, "the simulator feeds this driver")
			drv, err := devices.New(name)
			require.NoError(t, err)
			var rec *devicetest.Recorder
			if target != nil {
				rec = decodeDialogue(t, drv, target)
			} else {
				rec, err = devicetest.Decode(drv, &buf)
				require.NoError(t, err)
			}
			require.Empty(t, rec.Bad, "no bad frames")
			require.NotEmpty(t, rec.Samples)
			got := map[channel.ID]monitor.Sample{}
			for _, s := range rec.Samples {
				got[s.Channel] = s
			}
			for id, want := range last {
				g, ok := got[id]
				if !ok || want.Quality != channel.OK {
					continue
				}
				ch := channel.Get(id)
				tol := 1.0
				for range ch.Precision {
					tol /= 10
				}
				assert.InDelta(t, want.Value, g.Value, tol, "%s", ch.Name)
			}
		})
	}
}

// decodeDialogue runs drv on a connection to the responding device for a
// second: the real driver holds the dialogue and decodes the answers.
func decodeDialogue(t *testing.T, drv devices.Driver, r *Responding) *devicetest.Recorder {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.Addr(), "tcp:"))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rec := &devicetest.Recorder{}
	var mu sync.Mutex
	sink := devices.SinkFunc(func(s monitor.Sample) bool { mu.Lock(); defer mu.Unlock(); return rec.Put(s) })
	go func() { <-ctx.Done(); c.Close() }()
	drv.Decode(ctx, c, devices.Env{Source: 1, Sink: sink, Events: rec})
	mu.Lock()
	defer mu.Unlock()
	return rec
}

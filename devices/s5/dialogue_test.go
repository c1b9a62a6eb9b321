package s5

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// These tests run the driver's Decode against the emulated monitor
// (Respond) over net.Pipe, inside a synctest bubble: the intervals of the
// dialogue (seconds) pass on the bubble's clock, at once and exactly.

// values is what the emulated monitor shows.
func values(dst []monitor.Sample) []monitor.Sample {
	now := time.Now().UnixNano()
	return append(dst,
		monitor.Sample{Time: now, Channel: channel.PatientHR, Value: 72, Quality: channel.OK},
		monitor.Sample{Time: now, Channel: channel.PatientMAP, Value: 65, Quality: channel.OK},
		monitor.Sample{Time: now, Channel: channel.PatientPAPMean, Value: 18, Quality: channel.OK},
		monitor.Sample{Time: now, Channel: channel.TempNasopharyngeal, Value: 34.2, Quality: channel.OK},
	)
}

// log records what the driver does: samples with their (bubble) times,
// frames, notes.
type log struct {
	mu      sync.Mutex
	hr      []time.Time // times of the HR samples: one per record
	samples []monitor.Sample
	ok, bad int
	notes   map[string]int
}

func (l *log) Put(s monitor.Sample) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, s)
	if s.Channel == channel.PatientHR {
		l.hr = append(l.hr, time.Unix(0, s.Time))
	}
	return true
}
func (l *log) FrameOK(int64, int)           { l.mu.Lock(); l.ok++; l.mu.Unlock() }
func (l *log) FrameBad(*devices.FrameError) { l.mu.Lock(); l.bad++; l.mu.Unlock() }
func (l *log) Note(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.notes == nil {
		l.notes = map[string]int{}
	}
	l.notes[text]++
}
func (l *log) records() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.hr...)
}

// monitorEnd is the monitor's end of the pipe, with a filter that may drop
// or rewrite the requests it receives (a monitor that keeps to the
// document), and a tap on them. Its writes are queued, as a serial line
// buffers them: net.Pipe does not, and a monitor sending a record while
// the driver sends a request would hold both.
type monitorEnd struct {
	net.Conn
	mu       sync.Mutex
	requests []int16 // tx_ival of every request received, in order
	filter   func(ival int16) (int16, bool)
	fr       *deframer
	off      int64
	damage   func(n int) bool // damages the nth write (0, 1, …) when true
	writes   int
	out      chan []byte
	done     chan struct{} // closed by Close
	sent     chan struct{} // closed when the writer has ended
	once     sync.Once
}

func newMonitorEnd(c net.Conn, filter func(int16) (int16, bool), damage func(int) bool) *monitorEnd {
	m := &monitorEnd{Conn: c, filter: filter, damage: damage, fr: newDeframer(maxRecord + 1),
		out: make(chan []byte, 64), done: make(chan struct{}), sent: make(chan struct{})}
	go func() {
		defer close(m.sent)
		for {
			select {
			case b := <-m.out:
				m.Conn.Write(b) // fails once closed
			case <-m.done:
				return
			}
		}
	}()
	return m
}

func (m *monitorEnd) Write(p []byte) (int, error) {
	m.mu.Lock()
	n := m.writes
	m.writes++
	m.mu.Unlock()
	p = bytes.Clone(p)
	if m.damage != nil && m.damage(n) {
		p[len(p)/2] ^= 0x01
	}
	select {
	case m.out <- p:
		return len(p), nil
	case <-m.done:
		return 0, net.ErrClosed
	}
}

// Close closes the pipe and waits for the queued writes to end.
func (m *monitorEnd) Close() error {
	err := m.Conn.Close()
	m.once.Do(func() { close(m.done) })
	<-m.sent
	return err
}

func (m *monitorEnd) Read(p []byte) (int, error) {
	n, err := m.Conn.Read(p)
	out := p[:0]
	start := 0
	for i := range n {
		if m.fr.push(p[i], m.off+int64(i)) != evFrame {
			continue
		}
		frame := p[start : i+1]
		start = i + 1
		typ, ival, classes, ok := parseRequest(m.fr.frame())
		if !ok {
			out = append(out, frame...)
			continue
		}
		m.mu.Lock()
		m.requests = append(m.requests, ival)
		keep, newIval := true, ival
		if m.filter != nil {
			newIval, keep = m.filter(ival)
		}
		m.mu.Unlock()
		if keep {
			out = append(out, AppendRequest(nil, typ, newIval, classes)...)
		}
	}
	out = append(out, p[start:n]...)
	m.off += int64(n)
	return copy(p, out), err
}

func (m *monitorEnd) got() []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int16(nil), m.requests...)
}

// session starts the emulated monitor and the driver on a pipe. stop ends
// both; mute ends the monitor only, leaving a peer that reads and ignores
// what it is sent (a monitor that rebooted behind its cable).
type session struct {
	t       *testing.T
	d       *Driver
	mon     *monitorEnd
	log     *log
	decoded chan error
	cancel  context.CancelFunc
	monStop context.CancelFunc
	monDone chan struct{}
	conns   [2]net.Conn
}

func startSession(t *testing.T, cfg string, filter func(int16) (int16, bool), damage ...func(int) bool) *session {
	d := New()
	if cfg != "" {
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(cfg))))
	}
	a, b := net.Pipe()
	s := &session{t: t, d: d, log: &log{}, decoded: make(chan error, 1), monDone: make(chan struct{}), conns: [2]net.Conn{a, b}}
	var dmg func(int) bool
	if len(damage) > 0 {
		dmg = damage[0]
	}
	s.mon = newMonitorEnd(b, filter, dmg)
	ctx, cancel := context.WithCancel(context.Background())
	mctx, mstop := context.WithCancel(ctx)
	s.cancel, s.monStop = cancel, mstop
	go func() {
		defer close(s.monDone)
		New().Respond(mctx, s.mon, values)
	}()
	go func() {
		s.decoded <- d.Decode(ctx, a, devices.Env{Source: 1, Sink: s.log, Events: s.log})
	}()
	return s
}

// mute stops the monitor; its end of the pipe then reads and ignores.
func (s *session) mute() {
	s.monStop()
	<-s.monDone
	s.mon.SetReadDeadline(time.Time{}) // Respond's last one
	go io.Copy(io.Discard, s.mon)
}

// stop ends the session and returns what Decode returned.
func (s *session) stop() error {
	s.close()
	return <-s.decoded
}

// close ends the monitor and the pipe (Decode has returned, or will).
func (s *session) close() {
	s.cancel()
	s.conns[0].Close()
	s.mon.Close()
}

func TestDialogueAsksAndDecodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := startSession(t, "", nil)
		time.Sleep(10*time.Second + 500*time.Millisecond)
		got := s.log.records()
		// The first record at once, then one a second.
		require.Len(t, got, 11)
		for i, at := range got {
			assert.Equal(t, time.Duration(i)*time.Second, at.Sub(start), "record %d", i)
		}
		assert.Equal(t, []int16{1}, s.mon.got(), "one request: the monitor needs no other")
		assert.Zero(t, s.log.bad)
		require.Error(t, s.stop())
	})
}

// TestSilenceIsLost: a monitor that stops sending (rebooted behind its
// cable) is asked again after 1.5 intervals + 0.5 s and given up after 2
// intervals + 0.25 s of a quiet line: Decode returns ErrNoData, and the
// Supervisor raises device_lost, within 3 s of the last record at 1 s.
func TestSilenceIsLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startSession(t, "", nil)
		time.Sleep(5*time.Second + 500*time.Millisecond)
		s.mute()
		last := s.log.records()[len(s.log.records())-1]
		var err error
		select {
		case err = <-s.decoded:
		case <-time.After(time.Minute):
			t.Fatal("Decode never gave up")
		}
		require.ErrorIs(t, err, ErrNoData)
		assert.Equal(t, 2250*time.Millisecond, time.Since(last), "lost after 2 intervals + 0.25 s")
		assert.Equal(t, []int16{1, 1}, s.mon.got(), "asked again once, 2 s after the last record")
		s.close()
	})
}

// TestDamagedRecordsAreNotSilence: records that arrive damaged (here two
// in a row) show a monitor that is there: the driver does not give up on
// it, and values flow again with the next good record.
func TestDamagedRecordsAreNotSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := startSession(t, "", nil, func(n int) bool { return n == 3 || n == 4 })
		time.Sleep(8*time.Second + 500*time.Millisecond)
		var at []time.Duration
		for _, r := range s.log.records() {
			if d := r.Sub(start); d != 4*time.Second && (len(at) == 0 || at[len(at)-1] != d) {
				at = append(at, d)
			}
		}
		// Records every second, the fourth and fifth damaged. No values
		// for 2 s brought a request at 4 s, which the monitor answers at
		// once: with its record of 4 s (damaged), or besides it.
		assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second,
			6 * time.Second, 7 * time.Second, 8 * time.Second}, at)
		assert.Equal(t, 2, s.log.bad)
		assert.Equal(t, []int16{1, 1}, s.mon.got())
		select {
		case err := <-s.decoded:
			t.Fatalf("Decode ended: %v", err)
		default:
		}
		require.Error(t, s.stop())
	})
}

// TestIntervalBelowTheDocumentFallsBack: a monitor that ignores a request
// below 5 s (as the document allows it to) is asked for 5 s five seconds
// later, and its records every 5 s are not taken for silence.
func TestIntervalBelowTheDocumentFallsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := startSession(t, "", func(ival int16) (int16, bool) { return ival, ival >= 5 || ival <= 0 })
		time.Sleep(42 * time.Second)
		got := s.log.records()
		require.NotEmpty(t, got)
		assert.Equal(t, 5*time.Second, got[0].Sub(start), "answered after the request for 5 s")
		assert.Len(t, got, 8, "every 5 s from 5 s to 40 s")
		assert.Equal(t, []int16{1, 5}, s.mon.got())
		assert.Equal(t, 1, s.log.notes[noteFallback])
		select {
		case err := <-s.decoded:
			t.Fatalf("Decode ended: %v", err)
		default:
		}
		s.stop()
	})
}

// TestMonitorSlowerThanAsked: a monitor that answers a 1-s request every
// 5 s is followed at its pace, never declared silent.
func TestMonitorSlowerThanAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startSession(t, "", func(ival int16) (int16, bool) {
			if ival > 0 {
				return max(ival, 5), true
			}
			return ival, true
		})
		time.Sleep(62 * time.Second)
		assert.Len(t, s.log.records(), 13, "at once, then every 5 s to 60 s")
		assert.Equal(t, []int16{1}, s.mon.got(), "never asked again")
		select {
		case err := <-s.decoded:
			t.Fatalf("Decode ended: %v", err)
		default:
		}
		s.stop()
	})
}

// TestNoAnswerAtAll: a monitor that never answers gets a request every
// 5 s, alternating 1 s and 5 s, and Decode gives up after 12.5 s.
func TestNoAnswerAtAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := startSession(t, "", func(int16) (int16, bool) { return 0, false })
		err := <-s.decoded
		require.ErrorIs(t, err, ErrNoData)
		assert.Equal(t, 12500*time.Millisecond, time.Since(start))
		assert.Equal(t, []int16{1, 5, 1}, s.mon.got())
		s.close()
	})
}

// TestRequestsAreSpacedAcrossConnections: a new connection asks at once,
// but never within 5 s of the previous request until the monitor has
// answered one, and within 2 s once it has.
func TestRequestsAreSpacedAcrossConnections(t *testing.T) {
	reconnect := func(t *testing.T, d *Driver) *log {
		a, b := net.Pipe()
		mon := newMonitorEnd(b, nil, nil)
		go New().Respond(context.Background(), mon, values)
		done := make(chan error, 1)
		l := &log{}
		go func() { done <- d.Decode(context.Background(), a, devices.Env{Sink: l, Events: l}) }()
		time.Sleep(10 * time.Second)
		a.Close()
		mon.Close()
		require.Error(t, <-done)
		return l
	}
	t.Run("answered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := startSession(t, "", nil)
			time.Sleep(1500 * time.Millisecond)
			require.Error(t, s.stop())
			first := s.d.dlg.lastReq
			l := reconnect(t, s.d)
			require.NotEmpty(t, l.records())
			assert.Equal(t, 2*time.Second, l.records()[0].Sub(first))
		})
	})
	t.Run("never answered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := startSession(t, "", func(int16) (int16, bool) { return 0, false })
			time.Sleep(1500 * time.Millisecond)
			require.Error(t, s.stop())
			first := s.d.dlg.lastReq
			l := reconnect(t, s.d)
			require.NotEmpty(t, l.records())
			assert.Equal(t, 5*time.Second, l.records()[0].Sub(first))
		})
	})
}

// TestRebootedMonitorIsAskedEvery2s: once the monitor has answered, a
// connection without answer asks every 2 s (RetryInterval), with the
// interval the monitor answered.
func TestRebootedMonitorIsAskedEvery2s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		deaf := false
		s := startSession(t, "", func(iv int16) (int16, bool) { mu.Lock(); defer mu.Unlock(); return iv, !deaf })
		time.Sleep(1500 * time.Millisecond)
		mu.Lock()
		deaf = true // rebooting: it hears nothing
		mu.Unlock()
		s.mute()
		err := <-s.decoded
		require.ErrorIs(t, err, ErrNoData) // at 1 + 2.25 s
		s.close()
		// The Supervisor reconnects 1 s later.
		time.Sleep(time.Second)
		a, b := net.Pipe()
		mon := newMonitorEnd(b, func(int16) (int16, bool) { return 0, false }, nil)
		go io.Copy(io.Discard, mon)
		done := make(chan error, 1)
		reconnected := time.Now()
		go func() { done <- s.d.Decode(context.Background(), a, devices.Env{Sink: &log{}, Events: &log{}}) }()
		err = <-done
		require.ErrorIs(t, err, ErrNoData)
		assert.Equal(t, 12500*time.Millisecond, time.Since(reconnected))
		// The previous connection asked again at 3 s (2 s without values);
		// this one, open from 4.25 s to 16.75 s, at 5, 7, … 15 s.
		assert.Equal(t, []int16{1, 1, 1, 1, 1, 1}, mon.got())
		a.Close()
		mon.Close()
	})
}

func TestEmulatedMonitorStopsAndSendsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- New().Respond(ctx, b, values) }()
		frames := make(chan time.Time, 100)
		go func() {
			fr := newDeframer(maxRecord + 1)
			buf := make([]byte, 4096)
			var off int64
			for {
				n, err := a.Read(buf)
				for i := range n {
					if fr.push(buf[i], off+int64(i)) == evFrame {
						frames <- time.Now()
					}
				}
				off += int64(n)
				if err != nil {
					close(frames)
					return
				}
			}
		}()
		count := func() int {
			n := 0
			for {
				select {
				case <-frames:
					n++
				default:
					return n
				}
			}
		}
		send := func(b []byte) { _, err := a.Write(b); require.NoError(t, err) }

		time.Sleep(3 * time.Second)
		assert.Zero(t, count(), "nothing unasked")
		// The document's waveform request (Appendix A) is not for
		// displayed values: ignored.
		send(unhex(t, `7e 48 00 00 00 00 00 00 00 00 00 00 00 00 00 01
			00 00 00 00 00 00 ff 00 00 00 00 00 00 00 00 00
			00 00 00 00 00 00 00 00 00 00 00 00 00 01 ff 00
			00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
			00 00 00 00 00 00 00 00 00 48 7e`))
		time.Sleep(3 * time.Second)
		assert.Zero(t, count())

		send(AppendRequest(nil, phDispl, 2, RequestClasses))
		time.Sleep(5*time.Second + 500*time.Millisecond)
		assert.Equal(t, 3, count(), "at once, at 2 s and 4 s")
		send(AppendRequest(nil, phDispl, 0, 0))
		time.Sleep(10 * time.Second)
		assert.Zero(t, count(), "stopped")

		send(AppendRequest(nil, phDispl, -1, RequestClasses))
		time.Sleep(time.Second)
		assert.Equal(t, 1, count(), "a single transmission")
		send(AppendRequest(nil, phDispl, -1, RequestClasses))
		time.Sleep(time.Second)
		assert.Zero(t, count(), "a second one within 5 s is ignored")
		time.Sleep(4 * time.Second)
		send(AppendRequest(nil, phDispl, -1, RequestClasses))
		time.Sleep(time.Second)
		assert.Equal(t, 1, count(), "and one 5 s later is not")

		cancel()
		a.Close()
		err := <-done
		assert.True(t, errors.Is(err, context.Canceled) || errors.Is(err, io.ErrClosedPipe), "%v", err)
	})
}

// TestNotes: what the driver cannot map is counted, not dropped silently.
func TestNotes(t *testing.T) {
	in := cases(t)
	l := &log{}
	d := New()
	err := d.Decode(context.Background(), struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in["labels"]), io.Discard}, devices.Env{Sink: l, Events: l})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, map[string]int{
		"P1 labelled FEM: no channel for this label (map it in [pressures])":       1,
		"P3: its site is already given by a lower-numbered channel (not emitted)":  1,
		"P4 labelled RAP: no channel for this label (map it in [pressures])":       1,
		"P5: a label code outside the document's table (not emitted)":              1,
		"P6 labelled P6: no channel for this label (map it in [pressures])":        1,
		"P7: its site is already given by a lower-numbered channel (not emitted)":  1,
		"T1 labelled T1: no channel for this label (map it in [temperatures])":     1,
		"T2 labelled AXIL: no channel for this label (map it in [temperatures])":   1,
		"T4: its channel is already given by a lower-numbered probe (not emitted)": 1,
		"T5: a label code outside the document's table (not emitted)":              1,
	}, l.notes)

	l = &log{}
	err = New().Decode(context.Background(), struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in["special"]), io.Discard}, devices.Env{Sink: l, Events: l})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, map[string]int{noteSpecial: 1, noteAmbient: 1}, l.notes)

	l = &log{}
	err = New().Decode(context.Background(), struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in["other"]), io.Discard}, devices.Env{Sink: l, Events: l})
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, map[string]int{
		noteWave: 1, noteAlarm: 1, noteTrend: 1, noteAux: 1, noteSubtype: 1, noteClass: 1,
	}, l.notes)
}

package invos_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/invos"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/devices/sim/emulate"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
)

// playLines writes lines to the peer end of a pty every 20 ms, reopening
// it after socat restarts, until stop is closed.
func playLines(path string, lines []string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if f == nil {
			var err error
			if f, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0); err != nil {
				f = nil
				continue
			}
		}
		if _, err := f.WriteString(lines[i%len(lines)]); err != nil {
			f.Close()
			f = nil
		}
	}
}

// TestSessionOnPty runs the INVOS driver under the Supervisor on a socat
// pty pair with the device's port settings (9600 8N1 RTS/CTS; a pty
// ignores them): both formats decode, the inactive channel is no value,
// and unplugging the INVOS (killing socat) raises device_lost like any
// device.
func TestSessionOnPty(t *testing.T) {
	pty := devicetest.StartPtyPair(t)
	inactiveRight := strings.Replace(line2, "69  0  0  0.0000  0.0000  0  SAFB-SM-A12345", off2, 1)
	var lefts, rightOK, rightNoValue atomic.Int64
	sink := devices.SinkFunc(func(s monitor.Sample) bool {
		switch {
		case s.Channel == channel.NIRSLeft && s.Quality == channel.OK:
			lefts.Add(1)
		case s.Channel == channel.NIRSRight && s.Quality == channel.OK:
			rightOK.Add(1)
		case s.Channel == channel.NIRSRight:
			rightNoValue.Add(1)
		}
		return true
	})
	conds := make(chan devices.Condition, 8)
	desc := devices.Describe(invos.New())
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "invos", Driver: invos.New(), Source: 4, Sink: sink,
		Transport: &transport.Serial{Port: pty.Device, Baud: desc.Port.Baud, DataBits: desc.Port.DataBits, Parity: desc.Port.Parity, StopBits: desc.Port.StopBits, Flow: desc.Port.Flow}}},
		devices.SupervisorOptions{OnCondition: func(c devices.Condition) { conds <- c }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go playLines(pty.Peer, []string{line1, inactiveRight}, stop, &wg)
	defer func() {
		close(stop)
		wg.Wait()
		cancel()
		require.NoError(t, <-done)
	}()
	require.Eventually(t, func() bool { return lefts.Load() >= 6 && rightNoValue.Load() >= 3 }, 5*time.Second, 10*time.Millisecond)
	st := sup.Status()[0]
	assert.Equal(t, devices.Running, st.State)
	assert.Zero(t, st.BadFrames(), "%+v", st)
	assert.Positive(t, rightOK.Load())

	killed := time.Now()
	pty.Kill()
	select {
	case c := <-conds:
		assert.Equal(t, devices.DeviceLost, c.Kind)
		assert.True(t, c.Active)
		assert.ErrorIs(t, c.Cause, transport.ErrDisconnected)
		t.Logf("device_lost %v after the INVOS was unplugged", time.Since(killed).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Fatalf("no device_lost within 2 s of unplugging: %+v", sup.Status()[0])
	}
}

// alarmsOn decodes lines, one every 5 s of case time on bypass, through
// the pipeline and the default alarm profile, and returns the NIRS alarms
// raised.
func alarmsOn(t *testing.T, lines []string) []string {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(start), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	pr, err := p.AddSource("invos", 1024)
	require.NoError(t, err)
	eng, err := alarms.New(alarms.DefaultProfile(), alarms.Options{})
	require.NoError(t, err)
	actx := alarms.Context{Phase: alarms.Bypass}
	var raised []string
	now := start
	for _, l := range lines {
		now = now.Add(5 * time.Second)
		env := devices.Env{Source: pr.ID(), Sink: devices.SinkFunc(pr.Put), Clock: devices.ClockFunc(func() int64 { return now.UnixNano() })}
		require.ErrorIs(t, invos.New().Decode(context.Background(), devicetest.NewReadWriter(strings.NewReader(l)), env), io.EOF)
		for _, tr := range eng.Eval(now, p.Advance(now), &actx) {
			if strings.HasPrefix(tr.Alarm, "nirs_") && tr.State != alarms.Inactive {
				raised = append(raised, tr.Alarm)
			}
		}
	}
	return raised
}

// TestInactiveNeverAlarms: a left channel at 70 that then goes inactive
// (rSO2 0) or is withheld by its status for a minute raises no
// physiological NIRS alarm; the same minute at 50 (a real fall of 29 %)
// does, so the test can tell.
func TestInactiveNeverAlarms(t *testing.T) {
	withLeft := func(rso2, status string) string {
		return strings.Replace(line2, "70  0  0  0.0000  0.0000  0  SAFB-SM-A12345", rso2+"  0  "+status+"  0.0000  0.0000  0  "+map[bool]string{true: "0", false: "SAFB-SM-A12345"}[rso2 == "0"], 1)
	}
	minute := func(l string) []string {
		out := []string{withLeft("70", "0"), withLeft("70", "0")}
		for range 12 {
			out = append(out, l)
		}
		return out
	}
	assert.Empty(t, alarmsOn(t, minute(withLeft("0", "0"))), "inactive")
	assert.Empty(t, alarmsOn(t, minute(withLeft("50", "6"))), "status withholds the value")
	assert.Contains(t, alarmsOn(t, minute(withLeft("50", "0"))), "nirs_drop_left", "a real fall raises the alarm")
}

// TestFalseOKUnderLineNoise measures the ok values line noise makes up: 1 %
// of the bytes of a 4-hour emulated stream flipped (20 seeds), for both
// formats. The format has no checksum: a digit flipped inside a
// well-formed rSO2 that stays within 15 to 95 cannot be told from a real
// value.
func TestFalseOKUnderLineNoise(t *testing.T) {
	for _, name := range []string{invos.Name, invos.PCLink2Name} {
		t.Run(name, func(t *testing.T) {
			hours, seeds := 4, int64(20)
			if raceEnabled {
				hours, seeds = 1, 3
			}
			clean := emulated(t, name, hours, 1)
			var total devicetest.Noise
			for seed := range seeds {
				total = total.Add(devicetest.FalseOK(t, name, clean, 0.01, seed+1))
			}
			t.Logf("%s, %d h, %d seeds: %v (%.4f %% of ok samples)", name, hours, seeds, total, 100*total.Rate())
			assert.Positive(t, total.OK)
			assert.LessOrEqual(t, total.Rate(), 0.01)
		})
	}
}

func emulated(t testing.TB, name string, hours int, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	dev, err := emulate.New(name, &buf)
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	c := sim.New(start, seed)
	for d := time.Minute; d <= time.Duration(hours)*time.Hour; d += time.Minute {
		c.AdvanceTo(start.Add(d), func(_ sim.Source, s monitor.Sample) { dev.Put(s) })
		require.NoError(t, dev.Flush())
	}
	return buf.Bytes()
}

package ui

import (
	"image"
	"testing"
	"time"

	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/ui/view"
)

// frame lays c out once through router, at now (frame clock and snapshot
// clock alike), and hands the ops to the router as the window does.
func frame(c *Console, r *input.Router, ops *op.Ops, now time.Time) {
	snap, _ := syntheticSnapshot()
	ops.Reset()
	gtx := layout.Context{Ops: ops, Now: now, Source: r.Source(), Constraints: layout.Exact(image.Pt(1920, 1080))}
	c.Layout(gtx, snap, now)
	r.Frame(ops)
}

// TestAnimatesOnlyWhileFlashing: with a HIGH alarm unacknowledged the
// console asks for a frame at the next flash change (no sooner), and with
// nothing flashing it asks for none: no busy loop.
func TestAnimatesOnlyWhileFlashing(t *testing.T) {
	_, now := syntheticSnapshot()
	st := goldenState(now)
	c := NewConsole(Options{CaseStart: caseStart, State: func() *State { return st }})
	var r input.Router
	var ops op.Ops
	at := now.Add(100 * time.Millisecond) // inside the HIGH flash's on phase (250 ms)
	frame(c, &r, &ops, at)
	assert.True(t, c.Animating())
	wake, ok := r.WakeupTime()
	require.True(t, ok)
	assert.True(t, now.Add(view.HighFlashPeriod/2).Equal(wake), "wake-up at %v", wake)

	// Acknowledged HIGH and MEDIUM alarms stay lit without flashing; LOW
	// never flashes.
	quiet := *st
	quiet.Alarms = append([]AlarmView(nil), st.Alarms...)
	for i := range quiet.Alarms {
		if quiet.Alarms[i].Priority > view.Low {
			quiet.Alarms[i].State = view.AlarmAcknowledged
		}
	}
	c.SetState(func() *State { return &quiet })
	frame(c, &r, &ops, at)
	assert.False(t, c.Animating())
	_, ok = r.WakeupTime()
	assert.False(t, ok, "no frame scheduled without a flashing alarm")

	c.SetState(nil)
	frame(c, &r, &ops, at)
	assert.False(t, c.Animating())
}

// TestOnAction: the console sends the operator's key press out through
// Options.OnAction.
func TestOnAction(t *testing.T) {
	_, now := syntheticSnapshot()
	st := goldenState(now)
	var got []Action
	c := NewConsole(Options{CaseStart: caseStart, State: func() *State { return st }, OnAction: func(a Action) { got = append(got, a) }})
	var r input.Router
	var ops op.Ops
	frame(c, &r, &ops, now)
	r.Queue(key.Event{Name: view.KeyAcknowledge, State: key.Press})
	frame(c, &r, &ops, now)
	assert.Equal(t, []Action{Acknowledge{Alarm: "device_lost/CDI 550", Time: now.UnixNano()}}, got)
}

// TestFrameAllocs: once warm, a frame of the monitor screen with the whole
// state allocates nothing while no alarm flashes, and one small value (the
// boxed redraw request) per frame while one does.
func TestFrameAllocs(t *testing.T) {
	snaps := changingSnapshots(16)
	_, now := syntheticSnapshot()
	for _, tc := range []struct {
		name     string
		flashing bool
		max      float64
	}{{"steady", false, 0}, {"flashing", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			st := goldenState(now)
			if !tc.flashing {
				for i := range st.Alarms {
					st.Alarms[i].State = view.AlarmAcknowledged
				}
			}
			c := NewConsole(Options{CaseStart: caseStart, State: func() *State { return st }})
			var ops op.Ops
			f := func(i int) {
				ops.Reset()
				s := snaps[i%len(snaps)]
				at := time.Unix(0, s.Time).Add(time.Duration(i%25) * 40 * time.Millisecond)
				c.Layout(layout.Context{Ops: &ops, Now: at, Constraints: layout.Exact(image.Pt(1920, 1080))}, s, at)
			}
			for i := range 100 {
				f(i)
			}
			i := 0
			allocs := testing.AllocsPerRun(100, func() { i++; f(i) })
			assert.LessOrEqual(t, allocs, tc.max)
		})
	}
}

package view

import (
	"image"
	"math"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/ui/theme"
)

func physioDefaults() physio.Constants { return physio.DefaultConstants() }

// richState returns a State at now with alarms of every priority, limits,
// devices (one lost) and a case history of events.
func richState(now time.Time) *State {
	ns := now.UnixNano()
	ago := func(d time.Duration) int64 { return ns - int64(d) }
	return &State{
		Alarms: []AlarmView{
			{ID: "nirs_drop_left", Message: "NIRS left fall > 20 %", Priority: Medium, State: AlarmActive, Sounding: true, Present: true, Since: ago(40 * time.Second), Value: 48, Limit: 52, Unit: "%"},
			{ID: "map_critical", Message: "MAP critically low", Priority: High, State: AlarmActive, Sounding: true, Present: true, Latching: true, Since: ago(12 * time.Second), Value: 38, Limit: 40, Unit: "mmHg"},
			{ID: "cardioplegia_due", Message: "Cardioplegia re-dose due", Priority: Low, State: AlarmActive, Sounding: true, Since: ago(2 * time.Minute), Value: math.NaN(), Limit: math.NaN()},
			{ID: "svo2_low", Message: "SvO2 low", Priority: Medium, State: AlarmAudioPaused, Present: true, Since: ago(3 * time.Minute), PausedUntil: ns + int64(95*time.Second), Value: 58, Limit: 60, Unit: "%"},
			{ID: "old", Message: "pending, not shown", Priority: High, State: AlarmPending},
		},
		AlarmLog: []AlarmLogView{
			{Time: ago(3 * time.Minute), Alarm: "svo2_low", Priority: Medium, Transition: "active", Value: 58, Limit: 60},
			{Time: ago(2 * time.Minute), Alarm: "svo2_low", Priority: Medium, Transition: "audio_paused", Value: 58, Limit: 60},
			{Time: ago(12 * time.Second), Alarm: "map_critical", Priority: High, Transition: "active", Value: 38, Limit: 40},
		},
		Limits: []LimitView{
			{Channel: channel.PatientMAP, Low: 50, High: 80},
			{Channel: channel.InlineVenSO2, Low: 60, High: math.NaN()},
			{Channel: channel.TempArterialOutlet, Low: math.NaN(), High: 37},
		},
		Settings: []LimitSetting{
			{Alarm: "map_low", Message: "MAP low", Unit: "mmHg", Limit: 50, Low: math.NaN(), High: math.NaN(), Min: 40, Max: 70, Step: 1},
			{Alarm: "temp_band", Message: "Outlet temperature band", Unit: "°C", Limit: math.NaN(), Low: 30, High: 37, Min: 15, Max: 37, Step: 0.5},
		},
		Devices: []DeviceView{
			{Name: "S5 heart-lung machine", Transport: "serial", State: DeviceRunning, Essential: true, LastData: ago(300 * time.Millisecond), FramesOK: 27012, FramesBad: 3},
			{Name: "CDI 550", Transport: "serial", State: DeviceDisconnected, Essential: true, LastData: ago(14 * time.Second), FramesOK: 2101, FramesBad: 12, Drops: 4, LastError: "read: port closed"},
			{Name: "INVOS 5100C", Transport: "tcp", State: DeviceRunning, LastData: ago(2 * time.Second), FramesOK: 2700},
		},
		Events: []EventView{
			{ID: "e1", Kind: EventBypassOn, Time: ago(44 * time.Minute)},
			{ID: "e2", Kind: EventACT, Time: ago(40 * time.Minute), Text: "ACT 512 s", Value: 512},
			{ID: "e3", Kind: EventClampOn, Time: ago(35 * time.Minute)},
			{ID: "e4", Kind: EventCardioplegia, Time: ago(34 * time.Minute), Text: "1000 mL del Nido"},
			{ID: "e5", Kind: EventDrug, Time: ago(20 * time.Minute), Text: "phenylephrine 100 µg"},
			{ID: "e6", Kind: EventCardioplegia, Time: ago(14 * time.Minute), Text: "300 mL"},
			{ID: "e7", Kind: EventNote, Time: ago(5 * time.Minute), Text: "wrong entry", Void: true},
		},
	}
}

// harness drives a Screens through an input.Router, as the window does:
// each frame lays out, then hands the ops to the router; queued events are
// delivered on the next frame.
type harness struct {
	t       *testing.T
	th      *theme.Theme
	s       *Screens
	router  input.Router
	ops     op.Ops
	snap    *monitor.Snapshot
	st      *State
	now     time.Time
	sz      image.Point
	actions []Action
}

func newHarness(t *testing.T, st *State, now time.Time) *harness {
	h := &harness{t: t, th: theme.NewDark(), st: st, now: now, sz: image.Pt(1920, 1080)}
	h.s = NewScreens(Options{CaseStart: start, OnAction: func(a Action) { h.actions = append(h.actions, a) }})
	h.snap = snapshot(now)
	h.frame()
	return h
}

func (h *harness) frame() {
	h.ops.Reset()
	gtx := layout.Context{Ops: &h.ops, Now: h.now, Source: h.router.Source(), Constraints: layout.Exact(h.sz)}
	h.s.Layout(gtx, h.th, h.snap, h.st, h.now)
	h.router.Frame(&h.ops)
}

// click presses and releases the primary button at p, then runs two frames.
func (h *harness) click(p image.Point) {
	pos := f32.Pt(float32(p.X), float32(p.Y))
	h.router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: pos},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: pos},
	)
	h.frame()
	h.frame()
}

func (h *harness) key(name key.Name) {
	h.router.Queue(key.Event{Name: name, State: key.Press}, key.Event{Name: name, State: key.Release})
	h.frame()
	h.frame()
}

func centre(r image.Rectangle) image.Point { return r.Min.Add(r.Max).Div(2) }

// ackButton is where the banner's ACK control is at 1920×1080.
func (h *harness) ackButton() image.Point {
	b := h.s.Rects().Banner
	px := func(v float32) int { return max(1, int(v*1.35+0.5)) } // scale at 1920×1080
	pauseMin := b.Max.X - px(220)
	return image.Pt(pauseMin-px(8)-px(150)/2, (b.Min.Y+b.Max.Y)/2)
}

func (h *harness) pauseButton() image.Point {
	b := h.s.Rects().Banner
	return image.Pt(b.Max.X-60, (b.Min.Y+b.Max.Y)/2)
}

func TestBannerOrder(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	// HIGH first, then MEDIUM oldest first (paused one is older), LOW last
	// is beyond the three chips; pending is never shown.
	assert.Equal(t, []string{"map_critical", "svo2_low", "nirs_drop_left"}, h.s.Banner.Shown())
	assert.True(t, h.s.Banner.Flashing())
	_, _, badges := h.s.Header()
	assert.Contains(t, badges, "LOST: CDI 550")
}

func TestAcknowledgeByPointerAndKey(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	h.click(h.ackButton())
	require.Len(t, h.actions, 1)
	assert.Equal(t, Acknowledge{Alarm: "map_critical", Time: now.UnixNano()}, h.actions[0])

	// The engine acknowledged it: the next F7 acknowledges the next one.
	h.st.Alarms[1].State = AlarmAcknowledged
	h.actions = nil
	h.key(KeyAcknowledge)
	require.Len(t, h.actions, 1)
	assert.Equal(t, Acknowledge{Alarm: "svo2_low", Time: now.UnixNano()}, h.actions[0])
}

func TestPauseAudio(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	h.click(h.pauseButton())
	// Every sounding, active alarm, each on its own; not the paused one.
	var ids []string
	for _, a := range h.actions {
		p, ok := a.(PauseAudio)
		require.True(t, ok, "%T", a)
		ids = append(ids, p.Alarm)
	}
	assert.ElementsMatch(t, []string{"nirs_drop_left", "map_critical", "cardioplegia_due"}, ids)

	h.actions = nil
	h.key(KeyPauseAudio)
	assert.Len(t, h.actions, 3)
}

func TestEnterEvent(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	h := newHarness(t, st, now)

	// Shortcut from the monitor screen: the clamp is on, so X takes it off.
	h.key("X")
	require.Len(t, h.actions, 1)
	x := h.actions[0].(EnterEvent)
	assert.Equal(t, EventClampOff, x.Kind)
	assert.Equal(t, now.UnixNano(), x.Time)
	assert.True(t, math.IsNaN(x.Value))

	// The events screen: type a drug, press the DRUG button.
	h.actions = nil
	h.key(key.NameF5)
	require.Equal(t, ScreenEvents, h.s.Screen())
	h.s.Events.Details.SetText("heparin 5000 IU")
	body := h.s.Rects().Body
	drug := buttonRect(t, h, EventDrug)
	assert.True(t, drug.In(body))
	h.click(centre(drug))
	require.Len(t, h.actions, 1)
	ev := h.actions[0].(EnterEvent)
	assert.Equal(t, EventDrug, ev.Kind)
	assert.Equal(t, "heparin 5000 IU", ev.Text)
	assert.Equal(t, 5000.0, ev.Value)
	assert.Equal(t, now.UnixNano(), ev.Time)
	assert.Empty(t, h.s.Events.Details.Text(), "the field clears after entry")
}

// buttonRect recomputes where the events screen puts kind's button.
func buttonRect(t *testing.T, h *harness, kind EventKind) image.Rectangle {
	idx := -1
	for i, k := range EntryKinds {
		if k == kind {
			idx = i
		}
	}
	require.GreaterOrEqual(t, idx, 0)
	r := h.s.Rects().Body
	scale := min(float32(h.sz.X)/1280, float32(h.sz.Y)/800)
	px := func(v float32) int { return max(1, int(v*scale+0.5)) }
	pad, gap := px(12), px(8)
	left := image.Rect(r.Min.X+pad, r.Min.Y+pad, r.Min.X+r.Dx()*62/100, r.Max.Y-pad)
	cols := 3
	rows := (len(EntryKinds) + cols - 1) / cols
	bw := (left.Dx() - gap*(cols-1)) / cols
	bh := min(px(80), (left.Dy()-px(56)-2*gap-gap*(rows-1))/rows)
	x := left.Min.X + idx%cols*(bw+gap)
	y := left.Min.Y + idx/cols*(bh+gap)
	return image.Rect(x, y, x+bw, y+bh)
}

func TestEditEvent(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	h := newHarness(t, st, now)
	h.key(key.NameF5)
	// The newest event is listed first: select it, move it a minute back.
	r := h.s.Rects().Body
	scale := min(float32(h.sz.X)/1280, float32(h.sz.Y)/800)
	px := func(v float32) int { return max(1, int(v*scale+0.5)) }
	right := image.Rect(r.Min.X+r.Dx()*62/100+2*px(12), r.Min.Y+px(12), r.Max.X-px(12), r.Max.Y-px(12))
	h.click(image.Pt(right.Min.X+20, right.Min.Y+px(30)+px(18)))
	assert.Equal(t, "e7", h.s.Events.Selected())
	h.click(image.Pt(right.Min.X+20, right.Max.Y-px(24)))
	require.Len(t, h.actions, 1)
	assert.Equal(t, EditEvent{ID: "e7", Time: st.Events[6].Time - int64(time.Minute), Text: "wrong entry", At: now.UnixNano()}, h.actions[0])
}

func TestSeekReplay(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	st.Replay = &ReplayView{Start: start.UnixNano(), End: start.Add(2 * time.Hour).UnixNano(), Position: now.UnixNano(), Speed: 8, Playing: true}
	h := newHarness(t, st, now)
	_, _, badges := h.s.Header()
	assert.Contains(t, badges, "REPLAY")
	tl := h.s.Replay.Timeline()
	require.False(t, tl.Empty())
	// A quarter of the way along: 30 min into the 2 h case.
	h.click(image.Pt(tl.Min.X+tl.Dx()/4, (tl.Min.Y+tl.Max.Y)/2))
	require.Len(t, h.actions, 1)
	seek := h.actions[0].(Seek)
	assert.InDelta(t, float64(start.Add(30*time.Minute).UnixNano()), float64(seek.Time), float64(time.Minute))

	h.actions = nil
	h.key(KeyPlayPause)
	assert.Equal(t, []Action{SetPlaying{Playing: false}}, h.actions)
}

func TestScreensByKey(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	for i, k := range screenKeys {
		h.key(k)
		assert.Equal(t, Screen(i), h.s.Screen())
	}
}

func TestFlashTiming(t *testing.T) {
	// HIGH: 2 Hz, MEDIUM 0.625 Hz, 50 % duty: within IEC's windows.
	for _, p := range []struct {
		period   time.Duration
		min, max float64
	}{{HighFlashPeriod, 1.4, 2.8}, {MediumFlashPeriod, 0.4, 0.8}} {
		hz := float64(time.Second) / float64(p.period)
		assert.GreaterOrEqual(t, hz, p.min)
		assert.LessOrEqual(t, hz, p.max)
		t0 := time.Unix(0, int64(p.period)*1000)
		on, next := flashOn(t0, p.period)
		assert.True(t, on)
		assert.Equal(t, p.period/2, next.Sub(t0))
		on, next2 := flashOn(next, p.period)
		assert.False(t, on)
		assert.Equal(t, p.period, next2.Sub(t0))
	}
	// Only unacknowledged HIGH and MEDIUM alarms flash; a banner of LOW
	// alarms asks for no animation frame.
	now := start.Add(time.Hour)
	st := &State{Alarms: []AlarmView{{ID: "x", Priority: Low, State: AlarmActive}, {ID: "y", Priority: High, State: AlarmAcknowledged}}}
	h := newHarness(t, st, now)
	assert.False(t, h.s.Banner.Flashing())
}

func TestTimers(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	ct := ComputeTimes(st.Events, nil, now.UnixNano())
	assert.True(t, ct.BypassOn)
	assert.Equal(t, 44*time.Minute, ct.Bypass)
	assert.Equal(t, 35*time.Minute, ct.Clamp)
	assert.Zero(t, ct.Arrest)
	assert.Equal(t, now.Add(-14*time.Minute).UnixNano(), ct.LastCardioplegia)

	h := newHarness(t, st, now)
	h.snap.Readings[channel.ACTSeconds] = monitor.Reading{} // the last ACT is the event's
	h.frame()
	shown := h.s.Monitor.Timers()
	assert.Equal(t, []string{"00:44:00", "00:35:00", "--:--:--", "14:00 due in 6:00", "40:00 ago"}, shown)

	// Off and on again: the time on bypass adds up; a void event counts
	// for nothing.
	evs := []EventView{
		{Kind: EventBypassOn, Time: start.UnixNano()},
		{Kind: EventBypassOff, Time: start.Add(10 * time.Minute).UnixNano()},
		{Kind: EventBypassOn, Time: start.Add(20 * time.Minute).UnixNano()},
		{Kind: EventArrestStart, Time: start.Add(25 * time.Minute).UnixNano(), Void: true},
	}
	ct = ComputeTimes(evs, nil, start.Add(30*time.Minute).UnixNano())
	assert.Equal(t, 20*time.Minute, ct.Bypass)
	assert.False(t, ct.ArrestOn)

	// Once the clamp is off no re-dose is due: the cell only says when the
	// last dose was.
	h.st.Events = append(h.st.Events, EventView{Kind: EventClampOff, Time: now.Add(-time.Minute).UnixNano()})
	h.frame()
	assert.Equal(t, "14:00 ago", h.s.Monitor.Timers()[3])
}

func TestTileNotes(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	h := newHarness(t, st, now)
	// snapshot() puts mid-range values: the core temperature is (10+45)/2.
	assert.Contains(t, h.s.Monitor.Note(channel.DerivedFlowIndex), "target ")
	assert.Contains(t, h.s.Monitor.Note(channel.DerivedDO2i), "threshold 280")
	assert.Equal(t, "limits 50–80", h.s.Monitor.Note(channel.PatientMAP))
	assert.Equal(t, "low 60", h.s.Monitor.Note(channel.InlineVenSO2))
}

func TestChangeLimit(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	h := newHarness(t, st, now)
	h.key(key.NameF3)
	require.Equal(t, ScreenAlarms, h.s.Screen())
	plus := h.s.Alarms.LimitButton(0, 1)
	require.False(t, plus.Empty())
	h.click(centre(plus))
	require.Len(t, h.actions, 1)
	a := h.actions[0].(ChangeLimit)
	assert.Equal(t, "map_low", a.Alarm)
	assert.Equal(t, 51.0, a.Limit)
	assert.True(t, math.IsNaN(a.Low) && math.IsNaN(a.High))

	// A band: raising the high limit past the profile's maximum sends
	// nothing; lowering it sends the band.
	h.actions = nil
	h.click(centre(h.s.Alarms.LimitButton(1, 3)))
	assert.Empty(t, h.actions, "37.5 is beyond the maximum 37")
	h.click(centre(h.s.Alarms.LimitButton(1, 2)))
	require.Len(t, h.actions, 1)
	a = h.actions[0].(ChangeLimit)
	assert.Equal(t, 30.0, a.Low)
	assert.Equal(t, 36.5, a.High)
	assert.True(t, math.IsNaN(a.Limit))
}

func TestTrendControls(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	h.key(key.NameF2)
	require.Equal(t, ScreenTrends, h.s.Screen())
	assert.Equal(t, 30*time.Minute, h.s.Trends.Window())
	before := h.s.Trends.Channels()
	body := h.s.Rects().Body
	scale := min(float32(h.sz.X)/1280, float32(h.sz.Y)/800)
	px := func(v float32) int { return max(1, int(v*scale+0.5)) }
	// The 240 min button, the fourth.
	h.click(image.Pt(body.Min.X+3*(px(110)+px(8))+px(55), body.Min.Y+px(20)))
	assert.Equal(t, 4*time.Hour, h.s.Trends.Window())
	// The first panel's title cycles its channel.
	h.click(image.Pt(body.Min.X+px(100), body.Min.Y+px(40)+px(8)+px(10)))
	after := h.s.Trends.Channels()
	assert.NotEqual(t, before[0], after[0])
	assert.Equal(t, before[1:], after[1:])
}

func TestDerive(t *testing.T) {
	c := physioDefaults()
	// perfusion.md §2: 80 kg × 70 mL/kg, Hct 40 %, prime 1400 mL -> 32.0 %;
	// with 500 mL cardioplegia 29.9 %. No sex/age: weight-based volume.
	d := Derive(SetupView{HeightCm: 175, WeightKg: 80, HctPre: 40, PrimeML: 1400}, &c)
	assert.InDelta(t, 32.0, d.PredictedHct, 0.05)
	assert.InDelta(t, 1.956, d.BSA, 0.001) // DuBois 175 cm 80 kg
	assert.InDelta(t, 24000, d.HeparinIU, 1e-9)
	d = Derive(SetupView{HeightCm: 175, WeightKg: 80, HctPre: 40, PrimeML: 1400, CardioplegiaML: 500}, &c)
	assert.InDelta(t, 29.9, d.PredictedHct, 0.05)
	assert.InDelta(t, 2.4*1.956, d.TargetFlow[0], 0.01) // 37 °C
	assert.InDelta(t, 2.0*1.956, d.TargetFlow[2], 0.01) // 32 °C
	// An obese man: the blood volume from his ideal weight (70.465 kg):
	// 40 × 4932.5 / (4932.5 + 1400) = 31.2 %, not 33.8 % from 110 kg.
	d = Derive(SetupView{HeightCm: 175, WeightKg: 110, Sex: physio.Male, HctPre: 40, PrimeML: 1400}, &c)
	assert.InDelta(t, 31.16, d.PredictedHct, 0.005)
	assert.Equal(t, "70 mL/kg, ideal weight", d.BloodVolumeBy)
	// Nothing entered: no numbers.
	d = Derive(SetupView{}, &c)
	assert.True(t, math.IsNaN(d.BSA) && math.IsNaN(d.PredictedHct) && math.IsNaN(d.HeparinIU))
}

// TestInjectFault: on a simulated case the events screen carries the
// instructor's fault buttons; a click injects a fault, a click on an active
// one clears it.
func TestInjectFault(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	st.Instructor = &InstructorView{Faults: []string{"oxygenator-failure", "vasoplegia", "hypoperfusion"}, Active: []bool{false, true, false}}
	h := newHarness(t, st, now)
	h.key(key.NameF5)
	require.Equal(t, ScreenEvents, h.s.Screen())
	body := h.s.Rects().Body
	for i := range 3 {
		r := h.s.Events.FaultRect(i)
		require.False(t, r.Empty(), "fault button %d drawn", i)
		assert.True(t, r.In(body), "fault button %d inside the screen", i)
	}
	assert.False(t, h.s.Events.FaultRect(0).Overlaps(buttonRect(t, h, EventBookmark)), "below the event buttons")
	h.actions = nil
	h.click(centre(h.s.Events.FaultRect(0)))
	h.click(centre(h.s.Events.FaultRect(1)))
	require.Len(t, h.actions, 2)
	assert.Equal(t, InjectFault{Name: "oxygenator-failure"}, h.actions[0])
	assert.Equal(t, InjectFault{Name: "vasoplegia", Clear: true}, h.actions[1])

	// Live cases (no simulator) have no instructor panel.
	h2 := newHarness(t, richState(now), now)
	h2.key(key.NameF5)
	assert.True(t, h2.s.Events.FaultRect(0).Empty())
}

// TestJumpToBookmark: in a replay, a click on a bookmark in the events list
// seeks to it.
func TestJumpToBookmark(t *testing.T) {
	now := start.Add(time.Hour)
	st := richState(now)
	bm := start.Add(20 * time.Minute).UnixNano()
	st.Events = append(st.Events, EventView{ID: "bm", Kind: EventBookmark, Time: bm, Text: "watch the gradient", Value: math.NaN()})
	st.Replay = &ReplayView{Start: start.UnixNano(), End: start.Add(2 * time.Hour).UnixNano(), Position: now.UnixNano(), Speed: 1}
	h := newHarness(t, st, now)
	h.key(key.NameF5)
	h.actions = nil
	r := h.s.Events.RowRect(0) // newest first: the bookmark, appended last
	require.False(t, r.Empty())
	h.click(centre(r))
	require.Len(t, h.actions, 1)
	assert.Equal(t, Seek{Time: bm}, h.actions[0])
}

// A latched alarm whose condition has ended is drawn as ended: the word and
// a struck-through hollow marker, the value that raised it and when, never
// the recovered value; values with the channel's decimals (issue 12).
func TestBannerEndedLatchedAlarm(t *testing.T) {
	now := start.Add(time.Hour)
	raised := now.Add(-3 * time.Minute)
	st := &State{Alarms: []AlarmView{
		{ID: "map_critical", Message: "MAP critically low", Priority: High, State: AlarmActive, Sounding: true,
			Latching: true, Since: raised.UnixNano(), Ended: now.Add(-time.Minute).UnixNano(),
			Value: 69.42, Raised: 38.4, Limit: 40, Unit: "mmHg"},
		{ID: "map_low", Message: "MAP low", Priority: Medium, State: AlarmActive, Sounding: true, Present: true,
			Since: now.Add(-time.Minute).UnixNano(), Value: 47.6, Raised: 48.2, Limit: 50, Unit: "mmHg"},
	}}
	h := newHarness(t, st, now)
	require.Equal(t, []string{"map_critical", "map_low"}, h.s.Banner.Shown())
	ended := h.s.Banner.ChipText(0)
	assert.Equal(t, "ENDED *** MAP critically low | was 38 / 40 at "+raised.In(time.Local).Format("15:04:05 MST"), ended, "the machine's zone, with it")
	assert.NotContains(t, ended, "69", "never the recovered value as the cause")
	assert.Equal(t, "** MAP low | 48 / 50", h.s.Banner.ChipText(1), "the current value, the channel's decimals")
}

// An analyser result without its specimen is shown under the banner on every
// screen; one key (A, V, J) or a click assigns it.
func TestSpecimenPrompt(t *testing.T) {
	now := start.Add(time.Hour)
	sample := now.Add(-2 * time.Minute).UnixNano()
	st := &State{Specimen: &SpecimenPrompt{Sample: sample, Source: "gem", Summary: "pH 7.38  pO2 212"}}
	h := newHarness(t, st, now)
	r := h.s.Rects()
	require.False(t, r.Specimen.Empty())
	assert.Greater(t, r.Body.Min.Y, r.Specimen.Max.Y, "the body moves down for it")
	assert.Equal(t, "BLOOD GAS "+time.Unix(0, sample).In(time.Local).Format("15:04:05 MST")+" from gem, SPECIMEN NOT STATED: pH 7.38  pO2 212", h.s.Specimen.Text())

	h.key("A")
	require.Len(t, h.actions, 1)
	assert.Equal(t, AssignSpecimen{Sample: sample, Source: "gem", Specimen: "arterial", Time: now.UnixNano()}, h.actions[0])
	h.actions = nil
	h.key("J")
	require.Len(t, h.actions, 1)
	assert.Equal(t, "central_venous", h.actions[0].(AssignSpecimen).Specimen)

	h.actions = nil
	b := h.s.Rects().Specimen
	h.click(image.Pt(b.Max.X-300, (b.Min.Y+b.Max.Y)/2)) // the middle button: V
	require.Len(t, h.actions, 1)
	assert.Equal(t, "venous", h.actions[0].(AssignSpecimen).Specimen)

	h.s.SetScreen(ScreenTrends)
	h.st.Specimen = nil
	h.actions = nil
	h.frame()
	assert.True(t, h.s.Rects().Specimen.Empty())
	assert.Equal(t, "", h.s.Specimen.Text())
	h.key("A")
	assert.Empty(t, h.actions, "no prompt: A does nothing")
}

package view

import (
	"image"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
)

// AppendDayHourMin, worked by hand: minutes are whole (rounded down), hours
// and minutes two digits, days only from one day on.
func TestAppendDayHourMin(t *testing.T) {
	dhm := func(d, h, m, s int) time.Duration {
		return time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{dhm(2, 5, 14, 0), "2 d 05 h 14 m"},
		{dhm(2, 5, 14, 59), "2 d 05 h 14 m"}, // 59 s is not a minute yet
		{dhm(0, 0, 0, 59), "00 h 00 m"},
		{dhm(0, 23, 59, 59), "23 h 59 m"},
		{24 * time.Hour, "1 d 00 h 00 m"}, // a day: one daily segment of the record
		{dhm(14, 0, 1, 0), "14 d 00 h 01 m"},
		{-time.Minute, "00 h 00 m"},
	} {
		assert.Equal(t, c.want, string(AppendDayHourMin(nil, c.d)), "%v", c.d)
	}
}

// The ECMO strip: the run from its start across two midnights, the
// oxygenator from its change, the circuit (never changed) from the ECMO
// start, the ACT since the last one. Worked by hand: ECMO start 1 March
// 22:30 to now 4 March 03:44 is 2 d 05 h 14 m; the oxygenator changed
// 3 March 01:15: 1 d 02 h 29 m; the last ACT at 4 March 01:44: 02 h 00 m.
// Then a circuit change at midnight: the circuit and its oxygenator are
// 03 h 44 m old. The bypass strip is not shown.
func TestECMOTimers(t *testing.T) {
	day := func(d, h, m int) int64 { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC).UnixNano() }
	now := time.Unix(0, day(4, 3, 44))
	st := &State{Events: []EventView{
		{ID: "a", Kind: EventECMOStart, Time: day(1, 22, 30)},
		{ID: "b", Kind: EventOxygenatorChange, Time: day(3, 1, 15)},
		{ID: "c", Kind: EventACT, Time: day(4, 1, 44)},
	}}
	ct := ComputeTimes(st.Events, nil, now.UnixNano())
	assert.Equal(t, day(1, 22, 30), ct.ECMOStart)
	assert.Equal(t, day(3, 1, 15), ct.Oxygenator)
	assert.Equal(t, day(1, 22, 30), ct.Circuit)

	h := &harness{t: t, th: theme.NewDark(), st: st, now: now, sz: image.Pt(1920, 1080)}
	h.s = NewScreens(Options{CaseStart: time.Unix(0, day(1, 22, 0)), ECMO: true})
	h.snap = snapshot(now)
	h.snap.Readings[channel.ACTSeconds] = monitor.Reading{}
	h.frame()
	shown := h.s.Monitor.Timers()
	require.Len(t, shown, 5)
	assert.Equal(t, []string{"2 d 05 h 14 m", "1 d 02 h 29 m", "2 d 05 h 14 m", "02 h 00 m ago", ""}, shown)

	h.st.Events = append(h.st.Events, EventView{ID: "d", Kind: EventCircuitChange, Time: day(4, 0, 0)})
	h.frame()
	assert.Equal(t, []string{"2 d 05 h 14 m", "03 h 44 m", "03 h 44 m", "02 h 00 m ago", ""}, h.s.Monitor.Timers())

	// Before any ECMO start: no run time; the ECMO entries are offered.
	h.st.Events = nil
	h.frame()
	assert.Equal(t, []string{"--", "--", "--", "--", ""}, h.s.Monitor.Timers())
	assert.Equal(t, append(append([]EventKind{}, EntryKinds...), ECMOEntryKinds...), h.s.Events.kindOf)
	assert.Equal(t, EntryKinds, NewScreens(Options{}).Events.kindOf, "a bypass console offers no ECMO entries")
}

func TestECMOEventCodes(t *testing.T) {
	for _, k := range ECMOEntryKinds {
		got, ok := ParseEventKind(k.Code())
		require.True(t, ok, k.String())
		require.Equal(t, k, got)
	}
	require.Equal(t, "oxygenator_change", EventOxygenatorChange.Code())
}

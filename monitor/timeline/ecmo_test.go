package timeline

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestECMOTimes: a long run's timers in days, across midnights. Worked by
// hand:
//   - ecmo_start 1 March 22:30, now 4 March 03:44: 1 March 22:30 -> 3 March
//     22:30 is 2 d; 22:30 -> 03:44 the next day is 5 h 14 m: run 2 d 5 h 14 m.
//   - oxygenator_change 3 March 01:15: to 4 March 01:15 is 1 d, to 03:44
//     2 h 29 m more: 1 d 2 h 29 m. The circuit, never changed, is as old as
//     the run.
//   - circuit_change at midnight, 4 March 00:00: the circuit and its
//     oxygenator are 3 h 44 m old.
//   - that circuit_change voided: back to the oxygenator_change.
//   - a second ecmo_start (entered twice) does not restart the run.
func TestECMOTimes(t *testing.T) {
	day := func(d, h, m int) int64 { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC).UnixNano() }
	now := day(4, 3, 44)
	dhm := func(d, h, m int) time.Duration {
		return time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	}
	tl := New(0)
	require.Equal(t, ECMOTimes{}, func() ECMOTimes { st := tl.At(now); return st.ECMOTimes(now) }(), "no ECMO start: no timers")
	require.NoError(t, tl.Add(Event{Time: day(1, 22, 30), Kind: KindECMOStart}))
	require.NoError(t, tl.Add(Event{Time: day(3, 1, 15), Kind: KindOxygenatorChange}))
	require.NoError(t, tl.Add(Event{Time: day(3, 9, 0), Kind: KindECMOStart}))
	st := tl.At(now)
	require.Equal(t, ECMOTimes{Run: dhm(2, 5, 14), Oxygenator: dhm(1, 2, 29), Circuit: dhm(2, 5, 14)}, st.ECMOTimes(now))

	id := day(4, 0, 0)
	_, err := tl.AddUnique(Event{Time: id, Kind: KindCircuitChange})
	require.NoError(t, err)
	st = tl.At(now)
	require.Equal(t, ECMOTimes{Run: dhm(2, 5, 14), Oxygenator: dhm(0, 3, 44), Circuit: dhm(0, 3, 44)}, st.ECMOTimes(now))

	void := true
	_, err = tl.Edit(id, Change{At: now, Who: "test", Void: &void})
	require.NoError(t, err)
	st = tl.At(now)
	require.Equal(t, ECMOTimes{Run: dhm(2, 5, 14), Oxygenator: dhm(1, 2, 29), Circuit: dhm(2, 5, 14)}, st.ECMOTimes(now))

	// Before the oxygenator change the oxygenator is the run's.
	then := day(2, 22, 30)
	st = tl.At(then)
	require.Equal(t, ECMOTimes{Run: dhm(1, 0, 0), Oxygenator: dhm(1, 0, 0), Circuit: dhm(1, 0, 0)}, st.ECMOTimes(then))
}

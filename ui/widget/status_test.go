package widget

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

const sec = int64(time.Second)

func TestAssessAndValue(t *testing.T) {
	const now = 1_000_000 * sec
	flow := channel.Get(channel.PumpFlow)    // freshness 5 s
	do2i := channel.Get(channel.DerivedDO2i) // no freshness limit
	act := channel.Get(channel.ACTSeconds)   // freshness 30 min
	at := func(v float64, age time.Duration, q channel.Quality) monitor.Reading {
		return monitor.Reading{Value: v, Time: now - int64(age), Source: 1, Quality: q}
	}
	cases := []struct {
		name      string
		c         *channel.Channel
		r         monitor.Reading
		feedStale bool
		value     string
		badge     string
		showAge   bool
	}{
		{"fresh", flow, at(4.4, time.Second, channel.OK), false, "4.40", "", false},
		{"zero value is a value", flow, at(0, time.Second, channel.OK), false, "0.00", "", false},
		{"never sampled", flow, monitor.Reading{}, false, channel.NoValue, "NO DATA", false},
		{"never sampled, quality field OK and value 0", do2i, monitor.Reading{Quality: channel.OK}, false, channel.NoValue, "NO DATA", false},
		{"stale by quality", flow, at(4.4, time.Second, channel.Stale), false, channel.NoValue, "STALE", false},
		{"stale by age at now", flow, at(4.4, 6*time.Second, channel.OK), false, channel.NoValue, "STALE", true},
		{"late but not stale: age shown", flow, at(4.4, 3*time.Second, channel.OK), false, "4.40", "", true},
		{"feed stopped", flow, at(4.4, time.Second, channel.OK), true, channel.NoValue, "STALE", false},
		{"out of range though device said OK", flow, at(8.5, time.Second, channel.OK), false, channel.NoValue, "OUT OF RANGE", false},
		{"NaN", flow, at(math.NaN(), time.Second, channel.OK), false, channel.NoValue, "OUT OF RANGE", false},
		{"questionable", flow, at(4.4, time.Second, channel.Questionable), false, channel.NoValue, "QUESTIONABLE", false},
		{"unavailable", flow, at(4.4, time.Second, channel.Unavailable), false, channel.NoValue, "UNAVAILABLE", false},
		{"derived, old: no freshness limit, age shown", do2i, at(312, 11*time.Second, channel.OK), false, "312", "", true},
		{"derived, fresh", do2i, at(312, time.Second, channel.OK), false, "312", "", false},
		{"ACT 12 min old: OK, no age yet", act, at(486, 12*time.Minute, channel.OK), false, "486", "", false},
		{"ACT 20 min old: OK, age shown", act, at(486, 20*time.Minute, channel.OK), false, "486", "", true},
		{"ACT 31 min old: stale", act, at(486, 31*time.Minute, channel.OK), false, channel.NoValue, "STALE", true},
		{"from the future (clock skew)", flow, at(4.4, -time.Second, channel.OK), false, "4.40", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Assess(tc.c, tc.r, now, tc.feedStale)
			assert.Equal(t, tc.value, string(AppendValue(nil, tc.c, tc.r, s)))
			assert.Equal(t, tc.badge, s.Word())
			assert.Equal(t, tc.showAge, s.ShowAge)
			assert.Equal(t, tc.value != channel.NoValue, s.OK())
		})
	}
}

// TestNeverANumberUnlessOK checks the tiles' one rule on every channel:
// whatever the value, a reading that is not OK shows the no-value mark.
func TestNeverANumberUnlessOK(t *testing.T) {
	const now = 1_000_000 * sec
	values := []float64{0, 1, -1, 50, 1e6, -1e6, math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, c := range channel.All() {
		for _, v := range values {
			for q := channel.OK; q <= channel.Stale; q++ {
				for _, r := range []monitor.Reading{
					{Value: v, Time: now - sec, Quality: q},
					{Value: v, Time: 0, Quality: q},
				} {
					s := Assess(&c, r, now, false)
					got := string(AppendValue(nil, &c, r, s))
					if q != channel.OK || r.Time == 0 || !c.InRange(v) {
						if got != channel.NoValue {
							t.Fatalf("%s value %v quality %v time %d: shows %q", c.Name, v, q, r.Time, got)
						}
					} else if got == channel.NoValue {
						t.Fatalf("%s value %v OK: shows no value", c.Name, v)
					}
				}
			}
		}
	}
}

func TestAppendAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 s ago",
		42*time.Second + 900*time.Millisecond: "42 s ago",
		time.Minute:                           "1 min ago",
		59*time.Minute + 59*time.Second:       "59 min ago",
		time.Hour + 5*time.Minute:             "1 h 05 min ago",
		26*time.Hour + 30*time.Minute:         "26 h 30 min ago",
	} {
		assert.Equal(t, want, string(AppendAge(nil, d)), d)
	}
}

func TestAppendClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "00:00:00",
		time.Hour + 23*time.Minute + 45*time.Second + 999*time.Millisecond: "01:23:45",
		123*time.Hour + 4*time.Second:                                      "123:00:04",
		-time.Second:                                                       "--:--:--",
	} {
		assert.Equal(t, want, string(AppendClock(nil, d)), d)
	}
}

// Package reporttest holds case files for the tests of monitor/report and
// of the packages built on it, written by rules from which the expected
// figures are worked out by hand (docs/format/case.md).
package reporttest

import (
	"fmt"
	"strings"
	"time"
)

// T0 is case time 0 of the cases here.
var T0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// QualityCase returns the case the quality indicators are tested on
// (monitor/report's TestQualityKnownCase), also used by the exports' tests
// for its observation grid. Case time 0 is
// 2026-03-01T08:00:00Z; bypass 600–6600 s, cross-clamp 900–5400 s. Each
// channel follows the rules below, from which the expected results of
// TestQualityKnownCase are worked out by hand.
func QualityCase() string {
	var b strings.Builder
	const id = "C-2026-0301-Q"
	t := func(sec int) int64 { return T0.Add(time.Duration(sec) * time.Second).UnixNano() }
	line := func(sec int, format string, a ...any) {
		fmt.Fprintf(&b, format+" %d\n", append(a, t(sec))...)
	}
	line(0, `case,case=%s height_cm=175,weight_kg=80,sex="male",do2i_threshold=280,ident_name="Jane Doe",ident_hospital_number="H1234567"`, id)
	line(50, `event,case=%s,kind=procedure text="CABG x3",procedure="CABG x3"`, id)
	line(60, `event,case=%s,kind=team text="Team",perfusionist="A. Perfusionist",trainee="T. Trainee",supervisor="S. Senior"`, id)
	line(600, `event,case=%s,kind=on_bypass text="On bypass"`, id)
	line(900, `event,case=%s,kind=clamp_on text="Cross-clamp on"`, id)
	// Cardioplegia: 960 → 2700 is 29 min, 2700 → 4500 exactly 30 min, 4500
	// → clamp off 15 min: blood 4:1 is due again after 20 min (the built-in
	// solution table), so the interval from 2700 is 10 min overdue; a site
	// whose blood 4:1 is re-dosed every 30 min sees it at its limit.
	for _, s := range []int{960, 2700, 4500} {
		line(s, `event,case=%s,kind=cardioplegia text="Blood cardioplegia",solution="blood 4:1",volume_ml=500`, id)
	}
	line(5400, `event,case=%s,kind=clamp_off text="Cross-clamp off"`, id)
	line(6600, `event,case=%s,kind=off_bypass text="Off bypass"`, id)
	// MAP every 4 s (fresh 5 s): 30 before bypass (not counted); 35 from
	// 1200 to 1560 (6.0 min, the longest stretch) and 38 from 3000 to 3120
	// (2.0 min): 8.0 min in all below 40. The heart rate on the same lines:
	// 78 before the cross-clamp, none while the heart is arrested (900 to
	// 5400: the monitor sends no rate), 92 from the clamp's release.
	for s := 240; s < 7000; s += 4 {
		v := 65.0
		switch {
		case s >= 300 && s < 360:
			v = 30
		case s >= 1200 && s < 1560:
			v = 35
		case s >= 3000 && s < 3120:
			v = 38
		}
		switch {
		case s < 900:
			line(s, `patient,case=%s,source=mon map=%g,hr=78`, id, v)
		case s >= 5400:
			line(s, `patient,case=%s,source=mon map=%g,hr=92`, id, v)
		default:
			line(s, `patient,case=%s,source=mon map=%g`, id, v)
		}
	}
	// SvO2 every 6 s (fresh 20 s), none from 4002 to 4098: 55 from 2004 to
	// 2244 (240 s), from 3900 to the last sample 3996 (stale at 4016: 116
	// s) and from 4104 to 4302 (198 s): the longest stretch is 4.0 min (the
	// gap ends a stretch), 554 s in all.
	for s := 600; s < 6600; s += 6 {
		if s > 3996 && s < 4104 {
			continue
		}
		v := 70.0
		if s >= 2004 && s < 2244 || s >= 3900 && s < 4302 {
			v = 55
		}
		line(s, `inline,case=%s,source=cdi ven_so2=%g,hct=%g`, id, v, map[bool]float64{true: 20.5, false: 27}[s == 3600])
	}
	// DO2i every second (held 2 s): 260 from 5000 to 5600 and 250 from
	// 6000 to 6360: 16 min below 280.
	for s := 600; s < 6600; s++ {
		v := 320.0
		if s >= 5000 && s < 5600 {
			v = 260
		} else if s >= 6000 && s < 6360 {
			v = 250
		}
		line(s, `derived,case=%s,source=pumpside do2i=%g`, id, v)
	}
	// Arterial outlet every 10 s (fresh 30 s): 37.2 at 6000 and 6010, then
	// 36.8: 20 s above 37.
	for s := 600; s < 6600; s += 10 {
		v := 36.0
		if s == 6000 || s == 6010 {
			v = 37.2
		} else if s > 6010 {
			v = 36.8
		}
		line(s, `temp,case=%s,source=hlm arterial_outlet=%g`, id, v)
	}
	// Glucose: the peak on bypass is 10.4 (venous, 4800); 12 after bypass
	// does not count. Hct 22 on the arterial gas at 3000.
	line(1800, `abg,case=%s,source=lab glucose=8.5`, id)
	line(3000, `abg,case=%s,source=lab glucose=9.9,hct=22`, id)
	line(4800, `vbg,case=%s,source=lab glucose=10.4`, id)
	line(7000, `abg,case=%s,source=lab glucose=12`, id)
	return b.String()
}

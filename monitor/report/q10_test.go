package report

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/physio"
)

// coldCase is an hour of full flow with an adequate DO2i of 200 mL/min/m²:
// the nasopharynx at 28 °C for 50 min, then rewarmed to 36 °C for the last
// 10 (a temperature every 10 s, a DO2i every second).
func coldCase(t *testing.T) *Case {
	t.Helper()
	var b strings.Builder
	ns := func(sec int) int64 { return time.Unix(1772352000, 0).Add(time.Duration(sec) * time.Second).UnixNano() }
	fmt.Fprintf(&b, "event,case=Q,kind=on_bypass text=\"On bypass\" %d\n", ns(0))
	for s := 0; s < 3600; s++ {
		fmt.Fprintf(&b, "derived,case=Q,source=pumpside do2i=200 %d\n", ns(s))
		if s%10 == 0 {
			temp := 28.0
			if s >= 3000 {
				temp = 36
			}
			fmt.Fprintf(&b, "temp,case=Q,source=hlm nasopharyngeal=%g %d\n", temp, ns(s))
		}
	}
	fmt.Fprintf(&b, "event,case=Q,kind=off_bypass text=\"Off bypass\" %d\n", ns(3600))
	c, err := Load(strings.NewReader(b.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDO2iBelowQ10Threshold: with the profile's Q10 the report's time below
// the DO2i threshold is judged by the limit the alarm judges by
// (physio.Q10Limit). Worked example: 280 × 2^((28 − 37)/10) = 150.0 at
// 28 °C, so 200 is not below; 280 × 2^((36 − 37)/10) = 261.2 at 36 °C, so
// the last 10 min are, with an area of (261.25 − 200) × 10 = 612.5
// mL/min/m² × min. With the fixed 280 the same case counts all of its 59
// settled minutes of full flow, area 80 × 59 = 4720.
func TestDO2iBelowQ10Threshold(t *testing.T) {
	c := coldCase(t)
	priv := Privacy{Identify: true}

	fixed, err := Summarize(c, DefaultSettings(), priv)
	if err != nil {
		t.Fatal(err)
	}
	if fixed.DO2iBelow != 59*time.Minute || math.Abs(fixed.DO2iAreaBelow-4720) > 1e-6 {
		t.Errorf("fixed 280: below %v, area %v; want 59m0s, 4720", fixed.DO2iBelow, fixed.DO2iAreaBelow)
	}

	set := DefaultSettings()
	set.DO2iQ10, set.DO2iQ10Inputs = 2, []string{"temp.nasopharyngeal", "temp.bladder"}
	scaled, err := Summarize(c, set, priv)
	if err != nil {
		t.Fatal(err)
	}
	limit36 := physio.Q10Limit(280, 2, 36)
	if math.Abs(limit36-261.249) > 0.001 || math.Abs(physio.Q10Limit(280, 2, 28)-150.048) > 0.001 {
		t.Fatalf("worked example: %v at 36 °C, %v at 28 °C", limit36, physio.Q10Limit(280, 2, 28))
	}
	if scaled.DO2iBelow != 10*time.Minute || math.Abs(scaled.DO2iAreaBelow-(limit36-200)*10) > 1e-6 {
		t.Errorf("Q10 2: below %v, area %v; want 10m0s, %v", scaled.DO2iBelow, scaled.DO2iAreaBelow, (limit36-200)*10)
	}
	if scaled.DO2iThreshold != 280 {
		t.Errorf("the threshold stated is the 37 °C one: %v", scaled.DO2iThreshold)
	}
	if got := scaled.do2iBelowLabel(); got != "DO2i < 280 mL/min/m² × 2^((T − 37)/10) below 37 °C" {
		t.Errorf("label %q", got)
	}
	if got := fixed.do2iBelowLabel(); got != "DO2i < 280 mL/min/m²" {
		t.Errorf("label %q", got)
	}

	// The quality indicator (more than 15 min below in all) judges by the
	// same threshold: 59 min fails, 10 min passes.
	for _, tc := range []struct {
		s    *CaseSummary
		want float64
		pass bool
	}{{fixed, 59, false}, {scaled, 10, true}} {
		for _, r := range EvaluateQuality(c, tc.s, nil) {
			if r.Indicator.ID != "do2i_low" {
				continue
			}
			if !r.Evaluated || math.Abs(r.Value-tc.want) > 1e-9 || r.Pass != tc.pass {
				t.Errorf("do2i_low indicator: %+v; want %v min, pass %v", r, tc.want, tc.pass)
			}
		}
	}

	// The chart draws the threshold the summary judges by: 150 while cold,
	// 261 once rewarmed.
	xy, label := thresholdLine(c, set, 280, c.Start, c.End)
	if label != "threshold 280 × 2^((T − 37)/10)" || len(xy) != 4 ||
		math.Abs(xy[0].Y-150.048) > 0.001 || math.Abs(xy[len(xy)-1].Y-limit36) > 0.001 {
		t.Errorf("threshold line %q %v", label, xy)
	}
}

package qc

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/site"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// rig is a pipeline with an in-line monitor and an analyser, stepped once
// a second of case time.
type rig struct {
	t           *testing.T
	p           *monitor.Pipeline
	inline, lab *monitor.Producer
	now         time.Time
	snaps       []*monitor.Snapshot
}

func newRig(t *testing.T) *rig {
	p, err := monitor.New(monitor.Config{Clock: clock.NewManual(t0), Settings: monitor.DefaultSettings()})
	require.NoError(t, err)
	in, err := p.AddSource("cdi", 0)
	require.NoError(t, err)
	lab, err := p.AddSource("abl", 0)
	require.NoError(t, err)
	return &rig{t: t, p: p, inline: in, lab: lab, now: t0}
}

// inlineEvery6s puts the in-line values v(at) every 6 s from from to to
// (inclusive), stepping the pipeline each second, as a CDI 550 reports.
func (r *rig) run(to time.Time, v func(at time.Time) map[channel.ID]float64) {
	for ; !r.now.After(to); r.now = r.now.Add(time.Second) {
		if v != nil && r.now.Sub(t0)%(6*time.Second) == 0 {
			for id, x := range v(r.now) {
				r.inline.Put(monitor.Sample{Time: r.now.UnixNano(), Channel: id, Value: x, Quality: channel.OK})
			}
		}
		r.p.Advance(r.now)
	}
}

// result puts an analyser result drawn at drawn, as the ASTM and HL7
// drivers do (the sample time is the collection time), and steps once.
func (r *rig) result(drawn time.Time, vals map[channel.ID]float64) *monitor.Snapshot {
	for id, x := range vals {
		r.lab.Put(monitor.Sample{Time: drawn.UnixNano(), Channel: id, Value: x, Quality: channel.OK})
	}
	s := r.p.Advance(r.now)
	r.now = r.now.Add(time.Second)
	return s
}

func item(t *testing.T, ck Check, a Analyte) Comparison {
	t.Helper()
	for _, it := range ck.Items {
		if it.Analyte == a {
			return it
		}
	}
	t.Fatalf("check has no %s: %+v", a.Key(), ck.Items)
	return Comparison{}
}

// The in-line arterial pO2 is 200 mmHg until 09:02 and 300 after (the FiO2
// raised); a gas drawn at 09:02:00 arrives at 09:07. It is compared with
// the in-line value of 09:02:00 (200), not the current one (300).
//
// Worked by hand, default tolerances (larger of abs and rel × analyser):
//
//	pO2  lab 185,  in-line 200: diff +15,   tol max(15, 0.10×185=18.5) = 18.5 → passed
//	pCO2 lab 45,   in-line 40:  diff −5,    tol max(5, 0.08×45=3.6)    = 5    → passed (edge)
//	SO2  lab 96.5, in-line 99.5: diff +3,   tol 3                              → passed (edge)
//	Hct  lab 28.5, in-line 25:  diff −3.5,  tol 3                              → failed
//	K+   lab 4.5,  in-line 4:   diff −0.5,  tol 0.5                            → passed (edge)
//
// Hb is dropped: Hct was compared.
func TestLateResultComparedAtDrawTime(t *testing.T) {
	r := newRig(t)
	drawn := t0.Add(2 * time.Minute)
	r.run(t0.Add(7*time.Minute), func(at time.Time) map[channel.ID]float64 {
		po2 := 200.0
		if at.After(drawn) {
			po2 = 300
		}
		return map[channel.ID]float64{channel.InlineArtPO2: po2, channel.InlineArtPCO2: 40, channel.InlineArtSO2: 99.5,
			channel.InlineHct: 25, channel.InlineHb: 8.5, channel.InlineK: 4}
	})
	c := New(DefaultTolerances())
	require.Empty(t, c.Check(nil, r.p.Latest()), "no result yet")
	snap := r.result(drawn, map[channel.ID]float64{channel.ABGPO2: 185, channel.ABGPCO2: 45, channel.ABGSO2: 96.5,
		channel.ABGHct: 28.5, channel.ABGHb: 9.5, channel.ABGK: 4.5})
	cks := c.Check(nil, snap)
	require.Len(t, cks, 1)
	ck := cks[0]
	assert.Equal(t, Arterial, ck.Side)
	assert.Equal(t, drawn.UnixNano(), ck.Drawn)
	assert.Equal(t, t0.Add(7*time.Minute+time.Second).UnixNano(), ck.Time, "checked when it arrived")
	po2 := item(t, ck, PO2)
	assert.Equal(t, 200.0, po2.InlineValue, "the in-line value at the draw time, not the current 300")
	assert.Equal(t, 15.0, po2.Diff)
	assert.InDelta(t, 18.5, po2.Tolerance, 1e-9)
	assert.Equal(t, Passed, po2.Outcome)
	pco2 := item(t, ck, PCO2)
	assert.Equal(t, -5.0, pco2.Diff)
	assert.Equal(t, 5.0, pco2.Tolerance)
	assert.Equal(t, Passed, pco2.Outcome)
	assert.Equal(t, Passed, item(t, ck, SO2).Outcome)
	hct := item(t, ck, Hct)
	assert.Equal(t, -3.5, hct.Diff)
	assert.Equal(t, Failed, hct.Outcome)
	assert.Equal(t, Passed, item(t, ck, K).Outcome)
	for _, it := range ck.Items {
		assert.NotEqual(t, Hb, it.Analyte, "Hb is not checked when Hct was")
	}
	assert.Equal(t, 4, ck.Count(Passed))
	assert.Equal(t, 1, ck.Count(Failed))
	assert.Empty(t, c.Check(nil, r.p.Advance(r.now)), "a result is checked once")
}

// Just past the edges: K+ 4.51 against 4.0 (|−0.51| > 0.5) and pCO2 45.25
// against 40 (|−5.25| > max(5, 3.62)) fail; Hct 28 against 25 (|−3| = 3)
// passes. pO2: analyser 250, in-line 220: diff −30, tol max(15,
// 0.10×250) = 25: fails.
func TestToleranceEdges(t *testing.T) {
	r := newRig(t)
	r.run(t0.Add(3*time.Minute), func(time.Time) map[channel.ID]float64 {
		return map[channel.ID]float64{channel.InlineArtPO2: 220, channel.InlineArtPCO2: 40, channel.InlineHct: 25, channel.InlineK: 4}
	})
	c := New(DefaultTolerances())
	cks := c.Check(nil, r.result(t0.Add(2*time.Minute), map[channel.ID]float64{channel.ABGK: 4.51, channel.ABGPCO2: 45.25,
		channel.ABGHct: 28, channel.ABGPO2: 250}))
	require.Len(t, cks, 1)
	assert.Equal(t, Failed, item(t, cks[0], K).Outcome)
	assert.Equal(t, Failed, item(t, cks[0], PCO2).Outcome)
	assert.Equal(t, Passed, item(t, cks[0], Hct).Outcome)
	po2 := item(t, cks[0], PO2)
	assert.Equal(t, 25.0, po2.Tolerance)
	assert.Equal(t, Failed, po2.Outcome)

	// A site's tighter pO2 tolerance and wider K+ one.
	tol := DefaultTolerances()
	tol[K] = Tolerance{Abs: 0.6}
	c2 := New(tol)
	cks = c2.Check(nil, r.p.Advance(r.now))
	require.Len(t, cks, 1)
	assert.Equal(t, Passed, item(t, cks[0], K).Outcome)
}

// A gas drawn while the in-line monitor sent nothing (before it started,
// or in a gap longer than its freshness) is not compared, and says so.
func TestNoInlineValueAtDrawTime(t *testing.T) {
	r := newRig(t)
	gapFrom, gapTo := t0.Add(2*time.Minute), t0.Add(4*time.Minute)
	r.run(t0.Add(6*time.Minute), func(at time.Time) map[channel.ID]float64 {
		if !at.Before(gapFrom) && at.Before(gapTo) {
			return nil // cable out
		}
		return map[channel.ID]float64{channel.InlineArtPO2: 200, channel.InlineVenSO2: 70}
	})
	c := New(DefaultTolerances())
	// Drawn 60 s into the gap: the last in-line value (at 09:01:54) is
	// older than the 20 s freshness of inline.* channels.
	cks := c.Check(nil, r.result(gapFrom.Add(time.Minute), map[channel.ID]float64{channel.ABGPO2: 205, channel.VBGSO2: 71, channel.VBGK: 4}))
	require.Len(t, cks, 2)
	for _, ck := range cks {
		for _, it := range ck.Items {
			assert.Equal(t, NotCompared, it.Outcome, "%s %s", ck.Side, it.Analyte.Key())
			assert.True(t, math.IsNaN(it.InlineValue))
		}
	}
	assert.Equal(t, ReasonNoInline, item(t, cks[0], PO2).Reason)
	assert.Equal(t, Venous, cks[1].Side)
	assert.Equal(t, ReasonNoInline, item(t, cks[1], SO2).Reason)
	assert.Equal(t, ReasonNoVenousK, item(t, cks[1], K).Reason, "venous K+ has no in-line counterpart")

	// Drawn 10 s after the last in-line value before the gap: still fresh.
	cks = c.Check(nil, r.result(gapFrom.Add(4*time.Second), map[channel.ID]float64{channel.ABGPO2: 204}))
	require.Len(t, cks, 0, "an older draw time than the last checked result is not a new result")
	c = New(DefaultTolerances())
	cks = c.Check(nil, r.p.Advance(r.now))
	require.Len(t, cks, 2)
	assert.Equal(t, ReasonNoInline, item(t, cks[0], PO2).Reason, "the newest abg.po2 is still the one in the gap")
}

// On ECMO the in-line arterial cell reads post-oxygenator blood: a patient's
// arterial result (here pO2 64 against the cell's 399, a VV run) is not a
// drift and is recorded as not compared; the venous side (drainage blood,
// the pre-oxygenator port) is compared as on bypass.
func TestECMOArterialNotCompared(t *testing.T) {
	r := newRig(t)
	r.run(t0.Add(3*time.Minute), func(time.Time) map[channel.ID]float64 {
		return map[channel.ID]float64{channel.InlineArtPO2: 399, channel.InlineVenSO2: 73}
	})
	res := map[channel.ID]float64{channel.ABGPO2: 64, channel.VBGSO2: 74}
	cks := New(DefaultTolerances()).Check(nil, r.result(t0.Add(2*time.Minute), res))
	require.Len(t, cks, 2)
	assert.Equal(t, Failed, item(t, cks[0], PO2).Outcome, "on bypass the same pair is a failed check")
	c := New(DefaultTolerances())
	c.SetECMO(true)
	cks = c.Check(nil, r.result(t0.Add(2*time.Minute), res))
	require.Len(t, cks, 2)
	assert.Equal(t, Arterial, cks[0].Side)
	assert.Equal(t, NotCompared, item(t, cks[0], PO2).Outcome)
	assert.Equal(t, ReasonECMOArterial, item(t, cks[0], PO2).Reason)
	assert.Equal(t, Venous, cks[1].Side)
	assert.Equal(t, Passed, item(t, cks[1], SO2).Outcome, "in-line 73 − analyser 74, within 3")
}

// A bg.* result (specimen not stated) is not compared; once the
// perfusionist states it arterial, its abg.* copy is.
func TestUnstatedThenAssigned(t *testing.T) {
	r := newRig(t)
	r.run(t0.Add(3*time.Minute), func(time.Time) map[channel.ID]float64 {
		return map[channel.ID]float64{channel.InlineArtPO2: 200}
	})
	c := New(DefaultTolerances())
	drawn := t0.Add(2 * time.Minute)
	cks := c.Check(nil, r.result(drawn, map[channel.ID]float64{channel.BGPO2: 190}))
	require.Len(t, cks, 1)
	assert.Equal(t, Unstated, cks[0].Side)
	assert.Equal(t, ReasonUnstated, item(t, cks[0], PO2).Reason)
	cks = c.Check(nil, r.result(drawn, map[channel.ID]float64{channel.ABGPO2: 190}))
	require.Len(t, cks, 1)
	assert.Equal(t, Arterial, cks[0].Side)
	assert.Equal(t, Passed, item(t, cks[0], PO2).Outcome)
	assert.Equal(t, 10.0, item(t, cks[0], PO2).Diff, "in-line 200 − analyser 190")
}

// What the case file records reads back the same.
func TestFieldsRoundTrip(t *testing.T) {
	ck := Check{Time: t0.Add(7 * time.Minute).UnixNano(), Drawn: t0.Add(2*time.Minute + 123).UnixNano(), Side: Venous, Items: []Comparison{
		{Analyte: SO2, Lab: channel.VBGSO2, Inline: channel.InlineVenSO2, LabValue: 70, InlineValue: 74.5, Diff: 4.5, Tolerance: 3, Outcome: Failed},
		{Analyte: K, Lab: channel.VBGK, Inline: channel.Invalid, LabValue: 4.1, InlineValue: math.NaN(), Diff: math.NaN(), Tolerance: math.NaN(), Reason: ReasonNoVenousK},
	}}
	fs := ck.Fields()
	num := func(k string) (float64, bool) {
		for _, f := range fs {
			if f.Key == k && !f.IsStr {
				return f.Num, true
			}
		}
		return 0, false
	}
	str := func(k string) string {
		for _, f := range fs {
			if f.Key == k && f.IsStr {
				return f.Str
			}
		}
		return ""
	}
	back, ok := FromFields(ck.Time, num, str)
	require.True(t, ok)
	assert.Equal(t, ck.Drawn, back.Drawn)
	assert.Equal(t, ck.Side, back.Side)
	require.Len(t, back.Items, 2)
	assert.Equal(t, ck.Items[0], back.Items[0])
	assert.Equal(t, ReasonNoVenousK, back.Items[1].Reason)
	assert.True(t, math.IsNaN(back.Items[1].Diff))
	f, _ := num("failed")
	assert.Equal(t, 1.0, f)
	assert.Contains(t, ck.Text(), "SO2 analyser 70, in-line 74 %, difference +4.5 (±3.0) failed")
	_, ok = FromFields(0, num, func(string) string { return "" })
	assert.False(t, ok)
}

// The condition: on with a failed check, off with the next recalibration;
// a passed check does not clear it, a recalibration before the failure
// does not either.
func TestDrift(t *testing.T) {
	var d Drift
	assert.False(t, d.Active())
	pass := Check{Time: 100, Items: []Comparison{{Outcome: Passed}}}
	fail := Check{Time: 200, Items: []Comparison{{Analyte: Hct, LabValue: 24, Outcome: Failed}}}
	d.Checked(&pass)
	assert.False(t, d.Active())
	d.Recalibrated(150)
	d.Checked(&fail)
	assert.True(t, d.Active(), "the recalibration at 150 was before the failure at 200")
	d.Checked(&Check{Time: 300, Items: []Comparison{{Outcome: Passed}}})
	assert.True(t, d.Active(), "only a recalibration clears it")
	last, ok := d.LastFailed()
	require.True(t, ok)
	assert.Equal(t, 24.0, last.Items[0].LabValue)
	d.Recalibrated(400)
	assert.False(t, d.Active())
	d.Reset()
	_, ok = d.LastFailed()
	assert.False(t, ok)
}

// The site file's [inline_qc] keys are the checker's analytes.
func TestSiteKeysAreAnalytes(t *testing.T) {
	require.Len(t, site.InlineQCAnalytes, int(NumAnalytes))
	for _, k := range site.InlineQCAnalytes {
		a, ok := ParseAnalyte(k)
		require.True(t, ok, k)
		assert.Equal(t, k, a.Key())
	}
}

package report

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"time"

	"github.com/pumpside/pumpside/monitor/site"
)

// IndicatorKind and Indicator are the site file's (monitor/site): a site
// sets its own list in [[quality.indicator]] tables, checked as the file
// is read; DefaultIndicators are the defaults with their sources.
type (
	IndicatorKind = site.IndicatorKind
	Indicator     = site.Indicator
)

// The kinds of quality indicator. Every kind looks only at the summary's
// time on full flow (the spans its perfusion figures count over,
// CaseSummary.FullFlowSpans) and only at usable, fresh values, as the
// summary's durations do; CardioplegiaRedose judges the record's re-dose
// intervals (Record.CardioplegiaIntervals) by the site's solutions.
const (
	TimeBelow          = site.TimeBelow
	TimeAbove          = site.TimeAbove
	NadirBelow         = site.NadirBelow
	PeakAbove          = site.PeakAbove
	CardioplegiaRedose = site.CardioplegiaRedose
)

// ValidateIndicators checks each indicator and that their IDs differ.
func ValidateIndicators(inds []Indicator) error { return site.ValidateIndicators(inds) }

// DefaultIndicators returns the default set. Each threshold is a hospital
// setting; Source says where it comes from, and where the duration is a
// convention rather than a published figure it says so.
func DefaultIndicators() []Indicator {
	return []Indicator{
		{ID: "map_low", Name: "MAP < 40 mmHg for more than 5 min", Kind: TimeBelow,
			Channels: []string{"patient.map"}, Threshold: 40, Unit: "mmHg", Duration: 5 * time.Minute, Episode: true,
			Source: "2019 EACTS/EACTA/EBCP CPB guideline: MAP 50-80 mmHg on bypass; 40 mmHg sustained over 5 min is a " +
				"department trigger below that floor, not a guideline figure (area below 35-50 mmHg and renal injury: Hui 2023, Perfusion)"},
		{ID: "svo2_low", Name: "SvO2 < 60 % for more than 5 min", Kind: TimeBelow,
			Channels: []string{"inline.ven_so2"}, Threshold: 60, Unit: "%", Duration: 5 * time.Minute, Episode: true,
			Source: "quality-control trigger SvO2 < 60 % for > 5 min (Newland 2006), target > 75 %"},
		{ID: "do2i_low", Name: "DO2i below threshold for more than 15 min in all", Kind: TimeBelow,
			Channels: []string{"derived.do2i"}, Threshold: 0, Unit: "mL/min/m²", Duration: 15 * time.Minute,
			Source: "threshold 280 mL/min/m² (GIFT, Ranucci 2018; 272 Ranucci 2005); 15 min is about the time " +
				"patients without AKI spent below 300 (15.3 vs 34.7 min): a department convention"},
		{ID: "hct_nadir", Name: "Nadir Hct < 21 %", Kind: NadirBelow,
			Channels: []string{"inline.hct", "abg.hct", "vbg.hct"}, Threshold: 21, Unit: "%",
			Source: "nadir haematocrit on bypass below 21-23 % and adverse outcome (Ranucci 2005, 2006)"},
		{ID: "glucose_high", Name: "Glucose > 10 mmol/L", Kind: PeakAbove,
			Channels: []string{"abg.glucose", "vbg.glucose"}, Threshold: 10, Unit: "mmol/L",
			Source: "STS practice guideline on blood glucose during adult cardiac surgery (Lazar 2009): < 180 mg/dL (10 mmol/L) on bypass"},
		{ID: "outlet_high", Name: "Arterial outlet > 37 °C", Kind: TimeAbove,
			Channels: []string{"temp.arterial_outlet"}, Threshold: 37, Unit: "°C",
			Source: "2015 STS/SCA/AmSECT temperature guideline, class I: the arterial outlet blood temperature must not exceed 37 °C"},
		{ID: "cardioplegia_interval", Name: "Cardioplegia re-dose overdue", Kind: CardioplegiaRedose, Unit: "min",
			Source: "each solution's re-dose interval in the site's cardioplegia table (built in: del Nido 90, blood 4:1 20, " +
				"HTK 180, any other 20 min): multidose blood or crystalloid every 20-30 min; del Nido 60-90 min; HTK single dose up to 180 min (Durandy 2015)"},
	}
}

// IndicatorResult is one indicator judged on one case.
type IndicatorResult struct {
	Indicator Indicator
	// Threshold is the threshold applied (the summary's DO2i threshold
	// for a do2i TimeBelow with 0).
	Threshold float64
	// Evaluated is false when the case has nothing to judge by (no usable
	// value on bypass, no bypass, no dose under the clamp): never a pass.
	Evaluated bool
	Pass      bool
	// Value is what was measured: minutes beyond the threshold (the total,
	// or the longest stretch with Episode), the nadir or the peak, or for
	// CardioplegiaRedose the longest interval's excess over its limit in
	// minutes (negative: within it).
	Value float64
	// At is when the worst happened: the start of the longest stretch,
	// the nadir or peak, the dose that began the longest interval.
	At time.Time
	// Text says the result in words, Note why a case was not evaluated.
	Text, Note string
}

// Status is "pass", "fail" or "no data".
func (r IndicatorResult) Status() string {
	switch {
	case !r.Evaluated:
		return "no data"
	case r.Pass:
		return "pass"
	}
	return "fail"
}

// EvaluateQuality judges the case on each indicator (nil: the summary's
// Settings.Quality, else DefaultIndicators), on the summary's full-flow
// spans and its record's cardioplegia intervals.
func EvaluateQuality(c *Case, s *CaseSummary, inds []Indicator) []IndicatorResult {
	if inds == nil {
		inds = s.Settings.Quality
	}
	if inds == nil {
		inds = DefaultIndicators()
	}
	bypass := s.fullSpans
	out := make([]IndicatorResult, 0, len(inds))
	for _, ind := range inds {
		r := IndicatorResult{Indicator: ind, Threshold: ind.Threshold}
		switch {
		case ind.Kind == CardioplegiaRedose:
			r.cardioplegia(s)
		case len(bypass) == 0:
			r.Note = "no time on full flow"
		case ind.Kind == TimeBelow || ind.Kind == TimeAbove:
			var scaled *do2iLimit
			if ind.Kind == TimeBelow && ind.Threshold == 0 && slices.Contains(ind.Channels, "derived.do2i") {
				r.Threshold = s.DO2iThreshold
				scaled = &s.do2iLim // the summary's threshold, with the temperature when it scales
			}
			r.timeBeyond(c, bypass, s.Settings, scaled)
		case ind.Kind == NadirBelow || ind.Kind == PeakAbove:
			n := nadir(c, bypass, ind.Kind == PeakAbove, ind.Channels...)
			if !n.Valid() {
				r.Note = "no usable value on bypass"
				break
			}
			r.Evaluated, r.Value, r.At = true, n.Value, n.Time
			if ind.Kind == NadirBelow {
				r.Pass = n.Value >= r.Threshold
				r.Text = fmt.Sprintf("nadir %s at %s (%s)", num(n.Value, 1, ind.Unit), n.Time.Format("15:04:05"), n.Channel)
			} else {
				r.Pass = n.Value <= r.Threshold
				r.Text = fmt.Sprintf("peak %s at %s (%s)", num(n.Value, 1, ind.Unit), n.Time.Format("15:04:05"), n.Channel)
			}
		}
		if !r.Evaluated && r.Text == "" {
			r.Text = r.Note
		}
		out = append(out, r)
	}
	return out
}

// timeBeyond measures a time kind: the value at each moment is the first
// channel's with a usable, fresh value; between two change points of any
// channel it is constant, so the time is exact (as in the summary). scaled,
// when not nil, is the threshold over time (the summary's DO2i threshold,
// scaled with the temperature), else r.Threshold holds throughout.
func (r *IndicatorResult) timeBeyond(c *Case, bypass []span, set Settings, scaled *do2iLimit) {
	ind := r.Indicator
	steps := make([]step, len(ind.Channels))
	var br []int64
	for i, ch := range ind.Channels {
		steps[i] = newStep(c, ch, set)
		br = steps[i].breaks(br)
	}
	thr := func(int64) float64 { return r.Threshold }
	if scaled != nil {
		thr = scaled.at
		br = scaled.breaks(br)
	}
	for _, p := range bypass {
		br = append(br, p.a, p.b)
	}
	slices.Sort(br)
	br = slices.Compact(br)
	beyond := func(v float64, t int64) bool {
		if ind.Kind == TimeBelow {
			return v < thr(t)
		}
		return v > thr(t)
	}
	var total, run, longest time.Duration
	var runStart, longestStart, lastEnd int64
	seen := false
	for _, p := range bypass {
		i := sort.Search(len(br), func(i int) bool { return br[i] >= p.a })
		for ; i+1 < len(br) && br[i] < p.b; i++ {
			a, b := br[i], min(br[i+1], p.b)
			v := math.NaN()
			for _, st := range steps {
				if v = st.at(a); !math.IsNaN(v) {
					break
				}
			}
			if math.IsNaN(v) || !beyond(v, a) {
				seen = seen || !math.IsNaN(v)
				run = 0
				continue
			}
			seen = true
			dt := time.Duration(b - a)
			total += dt
			if run == 0 || a != lastEnd {
				run, runStart = 0, a
			}
			run += dt
			lastEnd = b
			if run > longest {
				longest, longestStart = run, runStart
			}
		}
		run = 0 // a stretch ends with bypass
	}
	if !seen {
		r.Note = "no usable value on bypass"
		return
	}
	r.Evaluated = true
	measured := total
	what := "in all"
	if ind.Episode {
		measured, what = longest, "longest stretch"
	}
	r.Value = measured.Minutes()
	r.Pass = measured <= ind.Duration
	if longest > 0 {
		r.At = utc(longestStart)
	}
	r.Text = fmt.Sprintf("%.1f min %s (limit %s)", measured.Minutes(), what, limitText(ind.Duration))
	if ind.Episode {
		r.Text = fmt.Sprintf("%.1f min %s (limit %s); %.1f min in all", measured.Minutes(), what, limitText(ind.Duration), total.Minutes())
	}
	if ind.Episode && longest > 0 {
		r.Text = fmt.Sprintf("%.1f min %s from %s (limit %s); %.1f min in all", measured.Minutes(), what, r.At.Format("15:04:05"), limitText(ind.Duration), total.Minutes())
	}
}

func limitText(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return fmt.Sprintf("%g min", d.Minutes())
}

// cardioplegia judges the record's re-dose intervals under the clamp (each
// from a dose to the next or to clamp off, with its solution's re-dose
// interval from the site's table): the worst excess over its interval.
func (r *IndicatorResult) cardioplegia(s *CaseSummary) {
	if len(s.CardioplegiaIntervals) == 0 {
		r.Note = "no cardioplegia dose under the cross-clamp"
		if s.CrossClamp == 0 {
			r.Note = "no cross-clamp"
		}
		return
	}
	worst := s.CardioplegiaIntervals[0]
	for _, iv := range s.CardioplegiaIntervals[1:] {
		if iv.Length()-iv.Redose > worst.Length()-worst.Redose {
			worst = iv
		}
	}
	sol := worst.Solution
	if sol == "" {
		sol = "solution not stated"
	}
	ex := worst.Length() - worst.Redose
	r.Evaluated, r.Value, r.At = true, ex.Minutes(), worst.From
	r.Pass = ex <= r.Indicator.Duration
	r.Text = fmt.Sprintf("longest against its re-dose interval: %.1f min from the dose at %s (%s) to %s; re-dose at %g min",
		worst.Length().Minutes(), s.hms(worst.From), sol, s.hms(worst.To), worst.Redose.Minutes())
}

// QualityFailures counts the failed indicators of results.
func QualityFailures(results []IndicatorResult) int {
	n := 0
	for _, r := range results {
		if r.Evaluated && !r.Pass {
			n++
		}
	}
	return n
}

package report

import "time"

// Span is one period of a case, from Start to End (UTC).
type Span struct{ Start, End time.Time }

// Duration is End − Start.
func (p Span) Duration() time.Duration { return p.End.Sub(p.Start) }

// FullFlowSpans returns the periods of full flow the summary's perfusion
// figures count over (the case timeline's bypass phase, monitor/timeline:
// weaning, arrest and cerebral perfusion left out). The quality indicators
// judge the case on them, so that there is one definition of "on bypass"
// for the summary and the indicators.
func (s *CaseSummary) FullFlowSpans() []Span {
	out := make([]Span, len(s.fullSpans))
	for i, p := range s.fullSpans {
		out[i] = Span{utc(p.a), utc(p.b)}
	}
	return out
}

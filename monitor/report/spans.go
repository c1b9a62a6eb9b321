package report

import "time"

// Span is one period of a case, from Start to End (UTC).
type Span struct{ Start, End time.Time }

// Duration is End − Start.
func (p Span) Duration() time.Duration { return p.End.Sub(p.Start) }

// BypassSpans returns the case's periods on bypass exactly as Summarize
// counts them (its pairing of on_bypass and off_bypass, an unclosed period
// counted to the end of the file): the one definition of "on bypass" the
// summary's figures use. Quality indicators, the observation grid of the
// exports and the registries read it from here, never pair events on their
// own, so that when the definition changes it changes for all of them.
func BypassSpans(c *Case) []Span { return summarySpans(c, "on_bypass", "off_bypass", "bypass") }

// ClampSpans returns the cross-clamp periods as Summarize pairs them.
func ClampSpans(c *Case) []Span { return summarySpans(c, "clamp_on", "clamp_off", "cross-clamp") }

func summarySpans(c *Case, open, close, what string) []Span {
	var scratch CaseSummary // periods notes unpaired events on it; the summary has them already
	var total time.Duration
	var out []Span
	for _, p := range scratch.periods(c, open, close, what, &total) {
		out = append(out, Span{utc(p.a), utc(p.b)})
	}
	return out
}

func toSpans(sp []Span) []span {
	out := make([]span, len(sp))
	for i, p := range sp {
		out[i] = span{p.Start.UnixNano(), p.End.UnixNano()}
	}
	return out
}

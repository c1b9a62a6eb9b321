package monitor

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
)

// SourcePriority says which source wins a channel that several sources give
// (the pump, the patient monitor and a manual entry can all give MAP, CVP,
// temperatures and HR). See docs/pipeline.md, "Sources of one channel".
type SourcePriority struct {
	// Channels is a channel name ("patient.map") or a whole group
	// ("patient.*"). A rule for a channel's own name overrides its group's.
	Channels string `toml:"channels"`
	// Sources are source kinds (the driver a device runs: "intellivue",
	// "s5", "generic"; "sim" for the simulator, "manual" for what the
	// operator types in) or source names, first choice first. "*" stands
	// for every source the list does not name; without it they come after
	// the named ones. Sources of equal rank share the channel as before:
	// the newest sample wins.
	Sources []string `toml:"sources"`
}

// Source kinds of the sources the console registers itself.
const (
	// KindManual is the operator's entries (set-up, typed values).
	KindManual = "manual"
	// KindSim is the built-in simulator.
	KindSim = "sim"
)

// DefaultSourcePriority returns the default rules: the patient monitor
// (IntelliVue, S/5) first for the patient's values and temperatures, so
// that its arterial line wins MAP; the heart-lung machine (the generic
// driver) first for the pump's values and the circuit temperatures;
// anything typed in by hand last, as the value that was true when it was
// typed. A new slice each call.
func DefaultSourcePriority() []SourcePriority {
	monitorFirst := []string{"intellivue", "s5", "*", KindManual}
	pumpFirst := []string{"generic", "*", KindManual}
	return []SourcePriority{
		{Channels: "patient.*", Sources: monitorFirst},
		{Channels: "temp.*", Sources: monitorFirst},
		{Channels: "temp.arterial_outlet", Sources: pumpFirst},
		{Channels: "temp.venous_inlet", Sources: pumpFirst},
		{Channels: "pump.*", Sources: pumpFirst},
		{Channels: "gas.*", Sources: pumpFirst},
	}
}

// validatePriority checks the rules against the channel table.
func validatePriority(rules []SourcePriority, lookup func(string) bool, groups map[string]bool) error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range rules {
		switch g, f, ok := strings.Cut(r.Channels, "."); {
		case !ok || g == "" || f == "":
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: channels %q: want a channel name or group.*", ErrSettings, i, r.Channels))
		case f == "*" && !groups[g]:
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: no channel group %q", ErrSettings, i, g))
		case f != "*" && !lookup(r.Channels):
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: unknown channel %q", ErrSettings, i, r.Channels))
		case strings.HasPrefix(r.Channels, "derived."):
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: %q: derived values have no sources", ErrSettings, i, r.Channels))
		}
		if seen[r.Channels] {
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: %q has a rule already", ErrSettings, i, r.Channels))
		}
		seen[r.Channels] = true
		names := map[string]bool{}
		for _, s := range r.Sources {
			if s == "" || names[s] {
				errs = append(errs, fmt.Errorf("%w: source_priority[%d]: source %q empty or repeated", ErrSettings, i, s))
			}
			names[s] = true
		}
		if len(r.Sources) == 0 {
			errs = append(errs, fmt.Errorf("%w: source_priority[%d]: no sources", ErrSettings, i))
		}
	}
	return errors.Join(errs...)
}

// ruleFor returns the rule that applies to the channel name: its own, else
// its group's.
func ruleFor(rules []SourcePriority, name string) *SourcePriority {
	var group *SourcePriority
	g, _, _ := strings.Cut(name, ".")
	for i := range rules {
		switch rules[i].Channels {
		case name:
			return &rules[i]
		case g + ".*":
			group = &rules[i]
		}
	}
	return group
}

// rankOf returns the rank of a source (kind and name) in a rule: its index
// in Sources, "*"'s index for a source not named, len(Sources) without a
// "*".
func rankOf(r *SourcePriority, kind, name string) uint8 {
	star := len(r.Sources)
	for i, s := range r.Sources {
		switch s {
		case kind, name:
			return uint8(min(i, math.MaxUint8))
		case "*":
			star = i
		}
	}
	return uint8(min(star, math.MaxUint8))
}

// ranked is the state of a channel that several sources of different rank
// give: each source's newest reading and its rank. Consumer only.
type ranked struct {
	id    channel.ID
	rank  []uint8   // by SourceID
	bySrc []Reading // by SourceID: the newest reading of each source
	histT []int64   // by SourceID: the time of its last reading put in the history
}

// buildRanks finds the channels whose rules rank the registered sources
// differently, and sets up their state. Called once, when the pipeline
// starts; sources[0] is nil.
func (p *Pipeline) buildRanks() {
	p.ranked = p.ranked[:0]
	if len(p.sources) < 3 { // one source: nothing to choose
		return
	}
	for id := 1; id < len(p.chans); id++ {
		if p.derived[id] {
			continue
		}
		r := ruleFor(p.set.SourcePriority, p.chans[id].Name)
		if r == nil {
			continue
		}
		rk := make([]uint8, len(p.sources))
		differ := false
		for s := 1; s < len(p.sources); s++ {
			rk[s] = rankOf(r, p.sources[s].kind, p.sources[s].name)
			differ = differ || rk[s] != rk[1]
		}
		if !differ {
			continue
		}
		p.ranked = append(p.ranked, ranked{id: channel.ID(id), rank: rk, bySrc: make([]Reading, len(p.sources)), histT: make([]int64, len(p.sources))})
		p.ch[id].rk = uint16(len(p.ranked))
	}
}

// offer records a sample of a ranked channel and chooses the channel's
// reading again.
func (p *Pipeline) offer(c *chanState, s *Sample, q channel.Quality, now int64) {
	rc := &p.ranked[c.rk-1]
	if cur := &rc.bySrc[s.Source]; s.Time >= cur.Time {
		*cur = Reading{Value: s.Value, Time: s.Time, Source: s.Source, Quality: q}
	}
	p.choose(c, rc, now)
	p.keep(c, rc)
}

// keep puts the chosen reading of a ranked channel in the history when it
// is OK and newer than the last of its source's readings put there. So the
// history of a channel is the chosen source's values alone, taken when
// they are chosen: a trend never averages two devices.
func (p *Pipeline) keep(c *chanState, rc *ranked) {
	r := c.latest
	if r.Quality == channel.OK && r.Time > rc.histT[r.Source] && r.Time >= minSampleTime {
		rc.histT[r.Source] = r.Time
		p.accumulate(c, rc.id, r.Time, r.Value)
	}
}

// choose sets the channel's reading at now: the usable reading (OK and
// fresh) of the best-ranked source, the newest of equal rank; when no
// source has a usable reading, the newest reading whatever its quality, so
// that a bad value shows as "---" and never an older number.
func (p *Pipeline) choose(c *chanState, rc *ranked, now int64) {
	best, newest := -1, -1
	for src := 1; src < len(rc.bySrc); src++ {
		r := &rc.bySrc[src]
		if r.Time == 0 {
			continue
		}
		if newest < 0 || r.Time > rc.bySrc[newest].Time {
			newest = src
		}
		if r.Quality != channel.OK || p.stale(rc.id, r.Time, now) {
			continue
		}
		if best < 0 || rc.rank[src] < rc.rank[best] || rc.rank[src] == rc.rank[best] && r.Time > rc.bySrc[best].Time {
			best = src
		}
	}
	switch {
	case best >= 0:
		c.latest = rc.bySrc[best]
	case newest >= 0:
		c.latest = rc.bySrc[newest]
	}
}

// rechoose chooses every ranked channel's reading again at now: a source
// that went stale since its last sample gives way to the next.
func (p *Pipeline) rechoose(now int64) {
	for i := range p.ranked {
		rc := &p.ranked[i]
		c := &p.ch[rc.id]
		p.choose(c, rc, now)
		p.keep(c, rc)
	}
}

// Recalibrated tells the pipeline that the in-line blood monitor was
// recalibrated (to an analyser result) at t, Unix ns on the case clock: the
// operator's inline_recalibration event. Until then an analyser Hb or Hct
// sampled after the previous recalibration is preferred to the in-line
// reading (RoleHb, RoleHct); from then on the in-line reading is trusted
// again. Safe from any goroutine; an earlier t than one already given is
// ignored.
func (p *Pipeline) Recalibrated(t int64) {
	for {
		cur := p.recal.Load()
		if t <= cur || p.recal.CompareAndSwap(cur, t) {
			return
		}
	}
}

// InlineCheck compares the in-line blood monitor with the newest analyser
// result of the same quantity (Hb or Hct): the discrepancy a perfusionist
// checks before trusting either.
type InlineCheck struct {
	// Lab is the newest OK analyser channel (abg.hct, vbg.hct, abg.hb,
	// vbg.hb); 0 when there is none.
	Lab channel.ID
	// LabValue and LabTime: its value and sample time.
	LabValue float64
	LabTime  int64
	// Inline is the in-line monitor's value at the analyser sample's time
	// (its 1 Hz history within InlineCheckWindow of it), NaN if it had none.
	Inline float64
	// Diff is Inline − LabValue, NaN without an in-line value.
	Diff float64
	// Recalibrated is the time of the last recalibration (0: none).
	Recalibrated int64
	// LabPreferred: the analyser result was sampled after the last
	// recalibration, so the pipeline uses it rather than the in-line
	// reading (while it is fresh).
	LabPreferred bool
}

// InlineCheckWindow is how far from an analyser sample's time the in-line
// value it is compared with may be: the in-line monitor reports every 6 s
// at its fastest.
const InlineCheckWindow = 10 // seconds

// inlineCheck fills an InlineCheck of the in-line channel inline against
// the analyser channels labs.
func (p *Pipeline) inlineCheck(dst *InlineCheck, inline channel.ID, labs ...channel.ID) {
	*dst = InlineCheck{Inline: math.NaN(), Diff: math.NaN(), LabValue: math.NaN(), Recalibrated: p.recal.Load()}
	for _, id := range labs {
		r := &p.ch[id].latest
		if r.Quality == channel.OK && r.Time > dst.LabTime {
			dst.Lab, dst.LabValue, dst.LabTime = id, r.Value, r.Time
		}
	}
	if dst.Lab == 0 {
		return
	}
	dst.LabPreferred = dst.LabTime > dst.Recalibrated
	if v, ok := p.hist.near(inline, dst.LabTime/nsPerSec, InlineCheckWindow); ok {
		dst.Inline, dst.Diff = v, v-dst.LabValue
	}
}

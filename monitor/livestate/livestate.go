package livestate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/timeline"
)

// EnvTheatre names the environment variable holding the console's theatre
// name: it overrides the site file's theatre key, for a site file shared by
// every console.
const EnvTheatre = "PUMPSIDE_THEATRE"

// TheatreFromEnv returns the theatre name of the environment (getenv is
// os.Getenv), checked: "" when none is set.
func TheatreFromEnv(getenv func(string) string) (string, error) {
	name := getenv(EnvTheatre)
	if err := record.CheckTheatre(name); err != nil {
		return "", fmt.Errorf("%s: %w", EnvTheatre, err)
	}
	return name, nil
}

// Theatre returns the console's theatre name: the environment's
// (TheatreFromEnv) when set, else site, the site file's theatre key
// (checked when the file was read); "" when neither names one.
func Theatre(site string, getenv func(string) string) (string, error) {
	name, err := TheatreFromEnv(getenv)
	if err != nil || name != "" {
		return name, err
	}
	if err := record.CheckTheatre(site); err != nil {
		return "", fmt.Errorf("site file: theatre: %w", err)
	}
	return site, nil
}

// Phase is what the console knows of the case's progress now.
type Phase struct {
	// Name is the phase's name (the live line's phase field); Text how to
	// show it, clamp included.
	Name, Text string
	Clamp      bool
	// Bypass, Clamp and Arrest times so far.
	Bypass, ClampTime, Arrest time.Duration
}

// phaseTexts are the words of the phases timeline knows. A phase missing
// here (a later one) is shown by its name.
var phaseTexts = map[string]string{
	"unknown": "Phase not known", "pre_bypass": "Pre-bypass", "bypass": "On bypass",
	"arrest": "Circulatory arrest", "off_bypass": "Off bypass",
}

// PhaseText is how a phase name is shown: the known words, else the name
// with spaces ("partial_bypass": "Partial bypass").
func PhaseText(name string) string {
	if t, ok := phaseTexts[name]; ok {
		return t
	}
	t := strings.ReplaceAll(name, "_", " ")
	if t == "" {
		return "Phase not known"
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

// FromTimeline is the phase the case timeline implies. When timeline
// learns more phases (their String is their name), they flow through
// unchanged.
func FromTimeline(st timeline.State) Phase {
	p := Phase{Name: st.Phase.String(), Clamp: st.CrossClamp, Bypass: st.Bypass, ClampTime: st.Clamp, Arrest: st.Arrest}
	if strings.HasPrefix(p.Name, "phase(") { // a number timeline cannot name
		p.Name = "unknown"
	}
	p.Text = PhaseText(p.Name)
	if p.Clamp {
		p.Text += ", clamp on"
	}
	return p
}

// Recorder is where the lines go: a *record.Writer.
type Recorder interface {
	PublishLive(record.Live) error
}

// Config configures a Publisher.
type Config struct {
	// Record receives the lines. Required.
	Record Recorder
	// Clock is the case clock. Required.
	Clock clock.Clock
	// Theatre names the theatre ("" none): see TheatreFromEnv.
	Theatre string
	// CaseStart is when the case started, Unix ns.
	CaseStart int64
	// Phase returns the phase at now (Unix ns). Required.
	Phase func(now int64) Phase
	// Alarms returns the alarm runner's status (live.Runner.Status).
	// Required.
	Alarms func() *live.Status
	// Profile finds the DO2i target among the alarms' limits in force:
	// the limit of the rule that fires below derived.do2i. Nil: the
	// constant alone.
	Profile *alarms.Profile
	// DO2iConstant is the target when no rule gives one (the formula
	// constant); NaN when unknown.
	DO2iConstant float64
	// Heartbeat is the longest time between two lines; default 5 s.
	Heartbeat time.Duration
	// MinGap is the shortest time between two lines; default 500 ms.
	MinGap time.Duration
	// OnError is told when a line could not be queued (nil: ignored; the
	// next line carries the whole state again).
	OnError func(error)
}

// Publisher writes a console's live state to its case record: see the
// package documentation.
type Publisher struct {
	cfg  Config
	wake chan struct{}
	// do2iRules are the rules that fire below derived.do2i.
	do2iRules map[string]bool

	mu       sync.Mutex
	last     record.Live // the last line queued
	lastWall time.Time   // when, on the wall clock (pacing)
	lines    uint64
}

// New returns a publisher. It does not start it.
func New(cfg Config) (*Publisher, error) {
	if cfg.Record == nil || cfg.Clock == nil || cfg.Phase == nil || cfg.Alarms == nil {
		return nil, errors.New("livestate: Record, Clock, Phase and Alarms are required")
	}
	if err := record.CheckTheatre(cfg.Theatre); err != nil {
		return nil, err
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.MinGap <= 0 {
		cfg.MinGap = 500 * time.Millisecond
	}
	p := &Publisher{cfg: cfg, wake: make(chan struct{}, 1), do2iRules: map[string]bool{}}
	if cfg.Profile != nil {
		for _, r := range cfg.Profile.Rules {
			if r.Input == channel.DerivedDO2i.String() && r.Condition == alarms.Below {
				p.do2iRules[r.ID] = true
			}
		}
	}
	return p, nil
}

// Poke asks for a line now if anything changed (the alarm runner's
// OnChange, a new event). It never blocks; pokes coalesce.
func (p *Publisher) Poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Lines returns how many lines were queued. Any goroutine.
func (p *Publisher) Lines() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines
}

// Run publishes until ctx is done: a line when poked and the state
// changed, and one every Heartbeat, never two within MinGap. It checks
// once a second besides the pokes.
func (p *Publisher) Run(ctx context.Context) error {
	tick := time.NewTicker(min(time.Second, p.cfg.Heartbeat))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.wake:
		case <-tick.C:
		}
		if wait := p.Step(time.Now()); wait > 0 {
			// Changed too soon after the last line: come back when the gap
			// has passed.
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			p.Step(time.Now())
		}
	}
}

// Step builds the state and queues a line if it changed or the heartbeat
// is due. wall is the wall clock's now, which paces the lines (the case
// clock may run faster). It returns how long to wait before a changed
// state may be written (0 when nothing waits). Run calls it; tests may
// call it directly instead (never both).
func (p *Publisher) Step(wall time.Time) time.Duration {
	now := p.cfg.Clock.Now().UnixNano()
	l := p.Build(now)
	p.mu.Lock()
	defer p.mu.Unlock()
	since := wall.Sub(p.lastWall)
	changed := p.lines == 0 || !same(&l, &p.last)
	switch {
	case changed && since < p.cfg.MinGap:
		return p.cfg.MinGap - since
	case !changed && since < p.cfg.Heartbeat:
		return 0
	}
	if l.Time <= p.last.Time {
		l.Time = p.last.Time + 1 // one point per time in InfluxDB
	}
	if err := p.cfg.Record.PublishLive(l); err != nil {
		if p.cfg.OnError != nil {
			p.cfg.OnError(err)
		}
		return 0
	}
	p.last, p.lastWall = l, wall
	p.lines++
	return 0
}

// Build returns the live state at now (Unix ns).
func (p *Publisher) Build(now int64) record.Live {
	ph := p.cfg.Phase(now)
	st := p.cfg.Alarms()
	l := record.Live{Time: now, Theatre: p.cfg.Theatre, Phase: ph.Name, PhaseText: ph.Text, Clamp: ph.Clamp,
		Case: time.Duration(max(0, now-p.cfg.CaseStart)), Bypass: ph.Bypass, ClampTime: ph.ClampTime, Arrest: ph.Arrest,
		DO2iThreshold: p.cfg.DO2iConstant}
	if l.Phase == "" {
		l.Phase, l.PhaseText = "unknown", PhaseText("unknown")
	}
	if st == nil {
		return l
	}
	for _, a := range st.Alarms {
		switch a.State {
		case alarms.Active, alarms.AudioPaused, alarms.Acknowledged:
		default:
			continue // pending: not shown on the console either
		}
		l.Alarms = append(l.Alarms, record.LiveAlarm{ID: a.Alarm, Priority: a.Priority.String(), State: a.State.String(),
			Latched: a.Latching && !a.Present, Technical: a.Class == alarms.Technical, Text: a.Message, Since: a.Since})
	}
	slices.SortStableFunc(l.Alarms, func(a, b record.LiveAlarm) int {
		if c := cmp.Compare(rank(b.Priority), rank(a.Priority)); c != 0 {
			return c
		}
		if c := boolCmp(a.State == "acknowledged", b.State == "acknowledged"); c != 0 {
			return c // unacknowledged first
		}
		return cmp.Compare(b.Since, a.Since)
	})
	if st.Failure != "" { // heads the list, as on the console's banner
		l.Alarms = slices.Insert(l.Alarms, 0, record.LiveAlarm{ID: "alarm_system_failure", Priority: "high", State: "active",
			Technical: true, Text: "ALARM SYSTEM FAILURE: watch the patient and the pump", Since: st.Time})
	}
	l.AlarmCount = len(l.Alarms)
	for _, a := range st.All {
		if p.do2iRules[a.Rule] && !math.IsNaN(a.Limits.Limit) {
			l.DO2iThreshold = a.Limits.Limit
			break
		}
	}
	return l
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func rank(priority string) int {
	switch priority {
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// same reports whether two states look the same on the department view,
// timers apart.
func same(a, b *record.Live) bool {
	if a.Phase != b.Phase || a.PhaseText != b.PhaseText || a.Clamp != b.Clamp || a.Theatre != b.Theatre ||
		len(a.Alarms) != len(b.Alarms) || !(a.DO2iThreshold == b.DO2iThreshold || math.IsNaN(a.DO2iThreshold) && math.IsNaN(b.DO2iThreshold)) {
		return false
	}
	for i := range a.Alarms {
		x, y := &a.Alarms[i], &b.Alarms[i]
		if x.ID != y.ID || x.Priority != y.Priority || x.State != y.State || x.Latched != y.Latched || x.Text != y.Text {
			return false
		}
	}
	return true
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/live"
	"github.com/pumpside/pumpside/alarms/sound"
	"github.com/pumpside/pumpside/alarms/sound/speaker"
	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/clock"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/hl7out"
	"github.com/pumpside/pumpside/monitor/livestate"
	"github.com/pumpside/pumpside/monitor/physio"
	"github.com/pumpside/pumpside/monitor/qc"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/site"
	"github.com/pumpside/pumpside/monitor/timeline"
	"github.com/pumpside/pumpside/ui"
	"github.com/pumpside/pumpside/ui/view"
)

// session is one running console: the pipeline and its sources, the case
// timeline, the alarm engine with its sound, the case record, and the state
// the GUI shows. It is wiring only: each part's logic is in its package.
//
// Goroutines: the pipeline's, the alarm runner's, the state builder's, the
// feeders (simulator or device supervisors), and the GUI's, which calls
// onAction and reads state.
type session struct {
	clk     clock.Clock
	p       *monitor.Pipeline
	tl      *timeline.Timeline
	rec     *record.Writer  // nil: not recording
	shipper *record.Shipper // nil: not shipping to InfluxDB
	runner  *live.Runner
	live    *livestate.Publisher // nil: not recording
	alog    *alarms.MemoryLog
	profile *alarms.Profile
	// operator is the source of what the operator types in (set-up, ACT);
	// only the GUI goroutine puts to it.
	operator devices.Sink
	devs     [alarms.MaxDevices]watch // by SourceID
	running  *console.Running         // real devices; nil on the built-in case
	state    atomic.Pointer[ui.State]
	setup    atomic.Pointer[ui.SetupView]
	wake     chan struct{}
	redraw   func() // invalidates the window at once; set before start
	onSnap   func() // called on every publish (the window's throttled invalidate); set before start
	stderr   io.Writer

	// caseStart is when the session began on the case clock (Unix ns):
	// no entry may be before it.
	caseStart int64
	// lastError is the last refusal of an operator's entry or edit, one
	// line for the GUI to show; nil after an accepted one.
	lastError atomic.Pointer[string]
	// entries are the operator's entries by ID (their time as recorded),
	// as they stand, for edits. GUI goroutine only.
	entries map[int64]entry.Entry
	// sim is the simulated case, nil on real devices; faults its active
	// faults (by sim.FaultNames order), for the instructor panel.
	sim    *sim.Case
	faults atomic.Pointer[[]bool]
	// specimens holds the sample times of the analyser results whose
	// specimen the perfusionist has stated (bg.* assigned); specimenMu
	// guards it (GUI goroutine writes, state builder reads).
	specimenMu sync.Mutex
	specimens  map[int64]bool
	// phase fills the alarm context's phase from the timeline and the
	// newest values (weaning inferred from the flow, to be confirmed).
	phase *phaseContext
	// operatorProvides are the channels the operator is expected to enter
	// on a live console (the patient's size): a DO2i that cannot be
	// computed for want of them is no_data, a prompt to enter them.
	operatorProvides channel.Set
	// stepped, when set, is the alarms' clock of a session whose feeder
	// advances the pipeline and the alarms itself (the built-in case):
	// see step.
	stepped   *clock.Manual
	stepFails atomic.Bool
	// site is the site file's configuration (nil: site.Default); record
	// the perfusion record's entries made on the console (State.Record):
	// record_entries.go.
	site   *site.Config
	record atomic.Pointer[[]entry.Entry]
	// sender is the site's sign-off sender (send.go, startSignOffSender):
	// a signoff entry hands it the case file; nil when the site file does
	// not send at sign-off. Set before the window starts.
	sender *hl7out.Service
	// qcCheck compares the analyser results with the in-line monitor
	// (inlineqc.go); alarm goroutine only. qcRecord: the checks go to the
	// timeline and the record (a live console; a replay recomputes them
	// for its alarms and shows the recorded ones). drift is the
	// inline_drift condition.
	qcCheck  *qc.Checker
	qcRecord bool
	qcBuf    []qc.Check
	drift    qc.Drift
	// ecmo: a long run (sessionOptions.ecmo).
	ecmo bool
	// devBaseline is the last NIRS baseline a device set, by side
	// (devicebaseline.go); alarm goroutine only.
	devBaseline [2]float64
}

// watch is what the alarm engine and the devices panel know of a source.
type watch struct {
	name string
	// kind is the source's kind for the pipeline's source priority: the
	// driver, monitor.KindSim; "" means the name.
	kind      string
	transport string
	watched   bool // device_lost applies
	essential bool
	interval  time.Duration
	// sporadic: an analyser, which sends when it has results: silence is
	// normal (devices.Description.Sporadic).
	sporadic bool
	// provides are the channels the source sends (a driver's description,
	// the simulator's source, a recorded source's channels): the alarm
	// engine raises no_data only for a channel some source provides.
	provides channel.Set
}

type sessionOptions struct {
	clk       clock.Clock
	recordDir string // "" records nothing
	// resume, if set, is the case file of a case interrupted by a restart:
	// the session appends to it, under its case id, with its events.
	resume string
	// caseStart is when the case began (entries before it are refused);
	// zero means the clock's now.
	caseStart time.Time
	caseID    string
	theatre   string // the live state's theatre name (livestate.Theatre: the site file, PUMPSIDE_THEATRE over it)
	site      *site.Config
	profile   *alarms.Profile
	audio     bool
	stderr    io.Writer
	// stepped: the feeder advances the pipeline and the alarms in whole
	// seconds of case time (session.step) instead of their own loops on
	// real time: the built-in case, so that at any --speed it raises the
	// alarms its replay raises.
	stepped bool
	// settings are the pipeline's; nil means monitor.DefaultSettings().
	settings *monitor.Settings
	// segment, if positive, records a long run (--mode ecmo) in segments
	// of this much case time (record.Options.Segment).
	segment time.Duration
	// ecmo is a long run (--mode ecmo, docs/ecmo.md): a new run records
	// its mode in the case metadata and an ecmo_start event at its start
	// (when none is on the timeline yet), and the console shows the phase
	// as the ECMO run.
	ecmo bool
	// ecmoStartFed: the simulated case records its own ecmo_start (an ECMO
	// scenario starts its circuit after cannulation), so the console does
	// not write one at its start.
	ecmoStartFed bool
}

// newSessionState returns a session with its own state and none of its
// parts (pipeline, record, alarm runner): newSession adds them, and a
// replay adds its own.
func newSessionState(o sessionOptions) *session {
	s := &session{clk: o.clk, tl: timeline.New(0), profile: o.profile, wake: make(chan struct{}, 1),
		stderr: o.stderr, alog: alarms.NewMemoryLog(500), redraw: func() {},
		caseStart: o.clk.Now().UnixNano(), entries: map[int64]entry.Entry{}, site: o.site,
		qcCheck: qc.New(siteTolerances(o.site))}
	if !o.caseStart.IsZero() {
		s.caseStart = o.caseStart.UnixNano()
	}
	prof := o.profile
	if prof == nil {
		prof = alarms.DefaultProfile()
	}
	s.phase = newPhaseContext(prof, physio.DefaultConstants())
	s.ecmo = o.ecmo
	return s
}

// newSession builds the pipeline and opens the case record. Sources are
// added with addSource before start.
func newSession(o sessionOptions) (*session, error) {
	s := newSessionState(o)
	s.operatorProvides.Add(channel.PatientHeight)
	s.operatorProvides.Add(channel.PatientWeight)
	set := monitor.DefaultSettings()
	if o.settings != nil {
		set = *o.settings
	}
	p, err := monitor.New(monitor.Config{Clock: o.clk, Settings: set, OnPublish: s.onPublish, Phase: s.phaseAt})
	if err != nil {
		return nil, err
	}
	s.p = p
	s.qcRecord = true
	if o.resume != "" {
		id, events, origin, err := readCaseForResume(o.resume)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if err := s.tl.Add(e); err != nil {
				return nil, fmt.Errorf("resume %s: %w", o.resume, err)
			}
		}
		first, _ := record.FirstSegment(o.resume)
		if o.segment == 0 && len(record.Segments(first)) > 1 {
			o.segment = record.DefaultSegment // a long run goes on in its last segment
		}
		s.rec, err = record.Open(first, record.Options{Case: id, Channels: p.Channels(), Segment: o.segment, Origin: origin})
		if err != nil {
			return nil, fmt.Errorf("case record: %w", err)
		}
		if rep := s.rec.Status().Repaired; rep.Bytes > 0 {
			fmt.Fprintf(s.stderr, "pumpside: resume %s: cut %d bytes torn by the crash from its end (the case now ends at byte %d)\n",
				o.resume, rep.Bytes, rep.Offset)
		}
	} else if o.recordDir != "" {
		if err := os.MkdirAll(o.recordDir, 0o700); err != nil {
			return nil, fmt.Errorf("case record: %w", err)
		}
		name := o.clk.Now().UTC().Format("20060102-150405") + "-" + o.caseID + ".case"
		s.rec, err = record.Open(filepath.Join(o.recordDir, name), record.Options{Case: o.caseID, Channels: p.Channels(),
			Segment: o.segment, Origin: s.caseStart})
		if err != nil {
			return nil, fmt.Errorf("case record: %w", err)
		}
	}
	if o.ecmo {
		s.startECMO(o.resume == "", !o.ecmoStartFed, p.Settings().Constants)
	}
	var logger alarms.Logger = s.alog
	if s.rec != nil {
		logger = alarms.Tee{s.alog, s.rec}
	}
	eng, err := alarms.New(o.profile, alarms.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	var out sound.Output
	if o.audio {
		if o, err := speaker.Open(sound.SampleRate, 2*time.Second); err != nil {
			fmt.Fprintf(s.stderr, "pumpside: alarm sound unavailable (%v): alarms are shown on screen only\n", err)
		} else {
			out = o
		}
	}
	var alarmClk clock.Clock = o.clk
	if o.stepped {
		s.stepped = clock.NewManual(o.clk.Now())
		alarmClk = s.stepped
	}
	s.runner, err = live.New(live.Config{Engine: eng, Acquire: p.Acquire, Clock: alarmClk, Output: out,
		Context: s.fillContext, OnChange: s.poke})
	if err != nil {
		return nil, err
	}
	if s.rec != nil { // the department view's live state, in the record (docs/format/case.md)
		s.live, err = livestate.New(livestate.Config{Record: s.rec, Clock: o.clk, Theatre: o.theatre, CaseStart: s.caseStart,
			Phase:  func(now int64) livestate.Phase { return livestate.FromTimeline(s.tl.At(now)) },
			Alarms: s.runner.Status, Profile: o.profile, DO2iConstant: p.Settings().Constants.DO2iThreshold})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// startECMO records what makes a long run one on replay: its mode in the
// case metadata (a new run; a resumed one has it), and an ecmo_start at
// the case start when the timeline has none (the run time, the oxygenator's
// and the circuit's age count from it; the operator moves it if ECMO began
// before the console did: events are editable).
func (s *session) startECMO(newRun, startEvent bool, consts physio.Constants) {
	if s.rec != nil && newRun {
		m := record.NewMeta()
		m.Time, m.Mode, m.Constants = s.caseStart, record.ModeECMO, consts
		if err := s.rec.SetMeta(m); err != nil {
			fmt.Fprintf(s.stderr, "pumpside: the run's mode not recorded: %v\n", err)
		}
	}
	if st := s.tl.At(math.MaxInt64); startEvent && st.ECMOStart == 0 {
		s.addEvent(s.caseStart, timeline.KindECMOStart, "ECMO run start (console started)")
	}
}

// newCaseID returns a pseudonymous case id: never a patient identifier.
func newCaseID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "C-" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(b[:])
}

// addSource registers a source and returns the sink its feeder puts to:
// the pipeline's ring, and the case record when recording.
func (s *session) addSource(w watch) (*monitor.Producer, devices.Sink, error) {
	kind := w.kind
	if kind == "" {
		kind = w.name
	}
	pr, err := s.p.AddSourceKind(w.name, kind, 0)
	if err != nil {
		return nil, nil, err
	}
	if int(pr.ID()) < len(s.devs) {
		s.devs[pr.ID()] = w
	}
	if s.rec != nil {
		return pr, record.Tee{P: pr, W: s.rec}, nil
	}
	return pr, pr, nil
}

// sealSources adds the operator's source and tells the record every
// source's name. Call after the last addSource.
func (s *session) sealSources(prods []*monitor.Producer) error {
	op, err := s.p.AddSourceKind("operator", monitor.KindManual, 0)
	if err != nil {
		return err
	}
	s.operator = op
	if s.rec != nil {
		s.operator = record.Tee{P: op, W: s.rec}
		s.rec.SetSources(record.SourceNames(append(prods, op)...))
	}
	return nil
}

// addDevices registers the devices of a console config, in file order (their
// samples carry the config's source numbers).
func (s *session) addDevices(cfg *console.Config) (map[string]devices.Sink, []*monitor.Producer, error) {
	sinks := map[string]devices.Sink{}
	var prods []*monitor.Producer
	for _, d := range cfg.Devices {
		drv := d.DriverName
		desc := devices.Describe(d.Driver)
		w := watch{name: d.Name, kind: drv, transport: describeTransport(d.Transport), watched: true,
			// The heart-lung machine (generic driver) and the in-line blood
			// monitor (either CDI 550 mode) are the devices a case depends on.
			essential: drv == "generic" || drv == "cdi550" || drv == "cdi550-packet", interval: d.Interval,
			sporadic: desc.Sporadic}
		for _, cs := range desc.Channels {
			w.provides.Add(cs.ID)
		}
		pr, sink, err := s.addSource(w)
		if err != nil {
			return nil, nil, err
		}
		if pr.ID() != d.Source {
			return nil, nil, fmt.Errorf("device %s: source %d, pipeline gave %d", d.Name, d.Source, pr.ID())
		}
		sinks[d.Name] = sink
		prods = append(prods, pr)
	}
	return sinks, prods, nil
}

// addEvent puts a case event on the timeline and in the record. Any
// goroutine.
func (s *session) addEvent(t int64, kind, text string, fields ...record.Field) {
	tag := timeline.Qualifier(kind, func(key string) string {
		for _, f := range fields {
			if f.Key == key && f.IsStr {
				return f.Str
			}
		}
		return ""
	})
	if err := s.tl.Add(timeline.Event{Time: t, Kind: kind, Text: text, Tag: tag}); err != nil {
		fmt.Fprintf(s.stderr, "pumpside: event %s at %v not kept: %v\n", kind, time.Unix(0, t).UTC(), err)
	}
	if s.rec != nil {
		if err := s.rec.AddEvent(record.Event{Time: t, Kind: kind, Text: text, Fields: fields}); err != nil {
			fmt.Fprintf(s.stderr, "pumpside: event %s not recorded: %v\n", kind, err)
		}
	}
	s.poke()
}

// onPublish runs on the pipeline goroutine after every publish: it must not
// block.
func (s *session) onPublish(snap *monitor.Snapshot) {
	if s.rec != nil {
		s.rec.Snapshot(snap)
	}
	if s.runner != nil {
		s.runner.Notify()
	}
	if s.onSnap != nil {
		s.onSnap()
	}
}

// poke asks the state builder for a new State. Never blocks.
func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if s.live != nil {
		s.live.Poke()
	}
}

// fillContext runs on the alarm goroutine before each evaluation.
func (s *session) fillContext(now time.Time, snap *monitor.Snapshot, c *alarms.Context) {
	s.phase.apply(s.tl.At(now.UnixNano()), now.UnixNano(), snap, c)
	c.Unprovided = s.unprovided(snap)
	s.checkInline(snap)
	s.deviceBaselines(snap)
	c.InlineDrift = s.drift.Active()
	c.RecordingFailed = s.rec != nil && s.rec.Failed()
	c.DiskLow = s.rec != nil && s.rec.DiskLow()
	if s.shipper != nil {
		st := s.shipper.Status()
		c.UploadFailed = st.Retrying || st.Quarantined > 0
	}
	var statuses []devices.DeviceStatus
	if s.running != nil {
		statuses = s.running.Status()
	}
	for id := range c.Devices {
		w := &s.devs[id]
		if !w.watched || id >= len(snap.Sources) {
			c.Devices[id] = alarms.Device{}
			continue
		}
		d := alarms.Device{State: alarms.DeviceConnected, Essential: w.essential, LastData: snap.Sources[id].LastTime,
			Interval: w.interval, Sporadic: w.sporadic}
		if id-1 < len(statuses) {
			ds := statuses[id-1]
			d.Since = ds.Since
			if ds.Quiet > 0 && d.Interval == 0 {
				d.Interval = ds.Quiet / 3
			}
			switch ds.State {
			case devices.Connecting:
				d.State = alarms.DeviceConnecting
			case devices.Running, devices.Silent:
				d.State = alarms.DeviceConnected
			default:
				d.State = alarms.DeviceDisconnected
			}
		} else if d.Since == 0 {
			d.Since = snap.Time // the built-in case's devices are there from the start
		}
		if c.Devices[id].State == d.State && c.Devices[id].Since != 0 && s.running == nil {
			d.Since = c.Devices[id].Since
		}
		c.Devices[id] = d
	}
}

// unprovided returns the channels no source of the session provides: none
// of its sources sends them and none ever had a value (a manual entry
// provides its channel from then on), and the derived values missing a
// required input.
func (s *session) unprovided(snap *monitor.Snapshot) channel.Set {
	prov := s.operatorProvides
	for i := range s.devs {
		prov.Union(&s.devs[i].provides)
	}
	for id := channel.ID(1); int(id) < len(snap.Readings); id++ {
		if snap.Readings[id].Time != 0 {
			prov.Add(id)
		}
	}
	monitor.AddDerived(&prov)
	return prov.Complement()
}

// buildState runs on its own goroutine: it turns the alarm runner's status,
// the alarm log, the devices and the timeline into the GUI's State.
func (s *session) buildState(ctx context.Context) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastAlarms []alarms.Status
	var lastAudio bool
	var lastEvents, lastLog int
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
		st := s.runner.Status()
		snap := s.p.Acquire()
		// Redraw at once only for what the operator must see now: an
		// alarm raised, cleared, acknowledged or paused, the audio state,
		// a new event or log line. Values and limits reach the screen
		// with the next data frame (ui.Throttle).
		urgent := !sameAlarms(st.Alarms, lastAlarms) || st.AudioUnavailable != lastAudio ||
			s.tl.Len() != lastEvents || int(s.alog.Total()) != lastLog
		lastAlarms, lastAudio, lastEvents, lastLog = st.Alarms, st.AudioUnavailable, s.tl.Len(), int(s.alog.Total())
		s.state.Store(s.viewState(st, snap))
		snap.Release() // the State holds copies
		if urgent {
			s.redraw()
		}
	}
}

// sameAlarms reports whether two alarm lists look the same in the banner:
// the same alarms in the same states, priorities and pauses.
func sameAlarms(a, b []alarms.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Alarm != b[i].Alarm || a[i].State != b[i].State || a[i].Priority != b[i].Priority ||
			a[i].Sounding != b[i].Sounding || a[i].PausedUntil != b[i].PausedUntil {
			return false
		}
	}
	return true
}

func (s *session) viewState(st *live.Status, snap *monitor.Snapshot) *ui.State {
	v := &ui.State{AudioUnavailable: st.AudioUnavailable, Setup: s.setup.Load(), Refusal: s.LastError(),
		Specimen: s.specimenPrompt(snap), Record: s.recordView()}
	if ph := s.tl.At(snap.Time).Phase; ph != timeline.Unknown {
		v.Phase = ph.Label()
	}
	if s.ecmo && (v.Phase == "" || v.Phase == timeline.PreBypass.Label()) {
		v.Phase = "ECMO run" // none of a bypass case's phases (docs/ecmo.md)
	}
	if s.phase.Inferred() {
		v.Phase, v.PhaseHint = timeline.Weaning.Label(), "flow reduced after rewarming: W confirms"
	}
	if s.sim != nil {
		v.Instructor = &ui.InstructorView{Faults: sim.FaultNames()}
		if a := s.faults.Load(); a != nil {
			v.Instructor.Active = *a
		}
	}
	if st.Failure != "" {
		v.Alarms = append(v.Alarms, ui.AlarmView{ID: "alarm_system_failure", Message: "ALARM SYSTEM FAILURE: watch the patient and the pump",
			Priority: ui.Priority(alarms.High), State: ui.AlarmState(alarms.Active), Technical: true, Sounding: true,
			Present: true, Latching: true, Since: st.Time, Value: math.NaN(), Limit: math.NaN()})
	}
	for _, a := range st.Alarms {
		d := s.alarmDisplay(a.Rule)
		v.Alarms = append(v.Alarms, ui.AlarmView{ID: a.Alarm, Message: a.Message, Priority: ui.Priority(a.Priority),
			State: ui.AlarmState(a.State), Technical: a.Class == alarms.Technical, Sounding: a.Sounding,
			Present: a.Present, Latching: a.Latching, Since: a.Since, PausedUntil: a.PausedUntil,
			Value: d.Value(a.Value), Limit: d.Value(a.Limit), Unit: d.Unit, Precision: d.Precision, Raised: d.Value(a.Raised), Ended: a.Ended})
	}
	for _, a := range st.All {
		rule := s.rule(a.Rule)
		if rule == nil {
			continue
		}
		if id, ok := s.p.ChannelID(rule.Input); ok && (!math.IsNaN(a.Limits.Low) || !math.IsNaN(a.Limits.High) || !math.IsNaN(a.Limits.Limit)) {
			lv := ui.LimitView{Channel: id, Low: a.Limits.Low, High: a.Limits.High}
			switch rule.Condition {
			case alarms.Below:
				lv.Low, lv.High = a.Limits.Limit, math.NaN()
			case alarms.Above:
				lv.Low, lv.High = math.NaN(), a.Limits.Limit
			}
			if rule.Condition == alarms.Below || rule.Condition == alarms.Above || rule.Condition == alarms.Outside {
				v.Limits = append(v.Limits, lv)
			}
		}
		if a.Adjustable {
			d := s.alarmDisplay(a.Rule)
			shown := func(x float64) float64 { return limitShown(d, x) }
			v.Settings = append(v.Settings, ui.LimitSetting{Alarm: a.Alarm, Message: a.Message, Unit: d.Unit,
				Limit: shown(a.Limits.Limit), Low: shown(a.Limits.Low), High: shown(a.Limits.High), Min: shown(a.LimitMin), Max: shown(a.LimitMax),
				Step: limitStep(d.Unit)})
		}
	}
	for _, e := range s.alog.Entries(nil) {
		name := e.State.TransitionName()
		if !e.IsTransition() {
			name = e.Reason.String()
		}
		rule, _, _ := strings.Cut(e.Alarm, "/") // device_lost/<device>: the rule device_lost
		d := s.alarmDisplay(rule)
		v.AlarmLog = append(v.AlarmLog, ui.AlarmLogView{Time: e.Time, Alarm: e.Alarm, Priority: ui.Priority(e.Priority),
			Transition: name, Value: d.Value(e.Value), Limit: d.Value(e.Limit), Precision: d.Precision})
	}
	var statuses []devices.DeviceStatus
	if s.running != nil {
		statuses = s.running.Status()
	}
	for id := 1; id < len(s.devs) && snap != nil && id < len(snap.Sources); id++ {
		w := &s.devs[id]
		if w.name == "" {
			continue
		}
		src := snap.Sources[id]
		dv := ui.DeviceView{Name: w.name, Transport: w.transport, Essential: w.essential, LastData: src.LastTime,
			FramesOK: src.Samples, Drops: src.Dropped, State: ui.DeviceState(devices.Running)}
		if id-1 < len(statuses) {
			ds := statuses[id-1]
			dv.State, dv.Since, dv.FramesOK, dv.FramesBad, dv.LastError = ui.DeviceState(ds.State), ds.Since, ds.FramesOK, ds.BadFrames(), ds.LastError
		} else if w.watched && !w.sporadic && w.interval > 0 && src.LastTime != 0 && snap.Time-src.LastTime > int64(3*w.interval) {
			dv.State = ui.DeviceState(devices.Silent)
		}
		v.Devices = append(v.Devices, dv)
	}
	if s.rec != nil { // the record's disk (docs/ecmo.md)
		rs := s.rec.Status()
		v.Disk = &ui.DiskView{RunBytes: rs.RunBytes, Segments: rs.Segment, Free: rs.Free, Low: rs.DiskLow}
	}
	for _, e := range s.tl.Events(nil) {
		k, ok := viewKinds[e.Kind]
		if !ok {
			continue
		}
		v.Events = append(v.Events, ui.EventView{ID: strconv.FormatInt(e.ID, 10), Kind: k, Time: e.Time, Text: e.Text,
			Value: math.NaN(), Edited: e.Edited, Void: e.Void})
	}
	return v
}

// alarmDisplay returns how the value and limits of an alarm of rule id
// (alarms.Transition.Value) are shown: as the input channel is at the site
// for a limit on a channel, its unit and decimals (a MAP is 69, not 69.42;
// a PaO2 of 75 mmHg is 10.0 kPa on a kPa site, docs/site.md), per minute
// for a rate, minutes for a stale input, seconds for a silent device, % for
// a fall from baseline. The engine, its log and the case file keep the
// channel's unit: only what the console shows is converted.
func (s *session) alarmDisplay(id string) site.Display {
	r := s.rule(id)
	if r == nil {
		return site.Display{Factor: 1}
	}
	switch r.Condition {
	case alarms.Stale:
		return site.Display{Unit: "min", Factor: 1}
	case alarms.DeviceLost:
		return site.Display{Unit: "s", Factor: 1, Precision: 1}
	case alarms.FallPercent:
		return site.Display{Unit: "%", Factor: 1}
	}
	ch, ok := s.p.ChannelID(r.Input)
	if !ok {
		return site.Display{Factor: 1, Precision: 1}
	}
	var u site.Units
	if s.site != nil {
		u = s.site.Units
	}
	d := u.Display(&s.p.Channels()[ch])
	if r.Condition == alarms.RateAbove || r.Condition == alarms.RateBelow {
		d.Unit += "/min"
		d.Precision++
	}
	return d
}

// limitShown is a limit (or a bound of one) as the alarms screen shows
// it: in the channel's unit as it is, in the site's unit rounded to the
// display's decimals (100 mmHg is 13.3 kPa, not 13.332236...).
func limitShown(d site.Display, v float64) float64 {
	if !d.Converted() || math.IsNaN(v) {
		return v
	}
	p := math.Pow10(d.Precision)
	return math.Round(d.Value(v)*p) / p
}

// limitStored is a limit set on the alarms screen in the site's unit, in
// the rule's (the channel's). A bound shown rounded is the bound: the top
// of a 60–150 mmHg range is shown as 20.0 kPa, which is 150.01 mmHg, and
// the engine would refuse that.
func (s *session) limitStored(id string, d site.Display, v float64) float64 {
	if !d.Converted() || math.IsNaN(v) {
		return v
	}
	x := d.Stored(v)
	if r := s.rule(id); r != nil {
		tol := 0.5 * math.Pow10(-d.Precision) / d.Factor
		switch {
		case x > r.LimitMax && x-r.LimitMax <= tol:
			x = r.LimitMax
		case x < r.LimitMin && r.LimitMin-x <= tol:
			x = r.LimitMin
		}
	}
	return x
}

func (s *session) rule(id string) *alarms.Rule {
	for i := range s.profile.Rules {
		if s.profile.Rules[i].ID == id {
			return &s.profile.Rules[i]
		}
	}
	return nil
}

// limitStep is the increment of a limit's − and + controls.
func limitStep(unit string) float64 {
	switch unit {
	case "°C", "°C/min", "L/min", "L/min/m²", "g/dL", "mmol/L", site.KPa:
		return 0.1
	}
	return 1
}

// viewKinds maps the case file's event kinds to the console's.
var viewKinds = map[string]ui.EventKind{
	timeline.KindOnBypass: ui.EventKind(1), timeline.KindOffBypass: ui.EventKind(2),
	timeline.KindClampOn: ui.EventKind(3), timeline.KindClampOff: ui.EventKind(4),
	timeline.KindCardioplegia: ui.EventKind(5), timeline.KindArrestStart: ui.EventKind(6),
	timeline.KindArrestEnd: ui.EventKind(7), "drug": ui.EventKind(8), "fluid": ui.EventKind(9),
	"blood_product": ui.EventKind(10), timeline.KindACT: ui.EventKind(11), "blood_gas": ui.EventKind(12),
	"note": ui.EventKind(13), "artifact": ui.EventKind(14), "bookmark": ui.EventKind(15),
	timeline.KindWeaning: view.EventWeaning, timeline.KindFullFlow: view.EventFullFlow,
	timeline.KindACPStart: view.EventACPStart, timeline.KindACPEnd: view.EventACPEnd,
	timeline.KindRCPStart: view.EventRCPStart, timeline.KindRCPEnd: view.EventRCPEnd,
	timeline.KindNIRSBaseline:     view.EventNIRSBaseline,
	entry.KindInlineRecalibration: view.EventInlineRecal,
	timeline.KindECMOStart:        view.EventECMOStart, timeline.KindOxygenatorChange: view.EventOxygenatorChange,
	timeline.KindCircuitChange: view.EventCircuitChange,
}

// caseKind is the inverse of viewKinds.
func caseKind(k ui.EventKind) string {
	for name, v := range viewKinds {
		if v == k {
			return name
		}
	}
	return "note"
}

// onAction applies an operator action from the GUI. It runs on the GUI
// goroutine and never blocks.
func (s *session) onAction(a ui.Action) {
	report := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(s.stderr, "pumpside: %s: %v\n", what, err)
		}
	}
	switch a := a.(type) {
	case ui.Acknowledge:
		_, err := s.runner.Acknowledge(a.Alarm)
		report("acknowledge", err)
	case ui.PauseAudio:
		_, err := s.runner.PauseAudio(a.Alarm)
		report("pause audio", err)
	case ui.ChangeLimit:
		// The screen shows limits in the site's units (viewState).
		d := s.alarmDisplay(a.Alarm)
		var err error
		if !math.IsNaN(a.Limit) {
			_, err = s.runner.SetLimit(a.Alarm, s.limitStored(a.Alarm, d, a.Limit))
		} else {
			_, err = s.runner.SetBand(a.Alarm, s.limitStored(a.Alarm, d, a.Low), s.limitStored(a.Alarm, d, a.High))
		}
		report("limit change", err)
	case ui.EnterEvent:
		kind := caseKind(a.Kind)
		e, err := entry.ParseText(kind, a.Text)
		if err != nil {
			s.refuse(err)
			return
		}
		e.Time, e.Who = a.Time, "operator"
		if !math.IsNaN(a.Value) { // the entry box's number wins over one in the text
			switch {
			case kind == timeline.KindACT:
				e.SetNum("seconds", a.Value)
			case kind == "drug":
				e.SetNum("dose", a.Value)
			default:
				if spec, ok := entry.Spec(kind); ok {
					if _, ok := spec.Field("volume_ml"); ok {
						e.SetNum("volume_ml", a.Value)
					}
				}
			}
		}
		if kind == entry.KindArtifact {
			artifactDefaults(&e, a.Text)
		}
		if kind == entry.KindNIRSBaseline {
			nirsBaselineDefaults(&e, s.p.Latest())
		}
		if kind == entry.KindInlineRecalibration {
			inlineRecalDefaults(&e, &s.drift)
		}
		entry.Normalize(&e)
		if err := entry.Validate(e, s.caseStart, s.clk.Now().UnixNano()); err != nil {
			s.refuse(err)
			return
		}
		tag := timeline.Qualifier(e.Kind, func(k string) string { return e.Str[k] })
		ev, err := s.tl.AddUnique(timeline.Event{Time: e.Time, Kind: e.Kind, Text: e.Text, Tag: tag})
		if err != nil {
			s.refuse(err)
			return
		}
		e.Time = ev.Time // the entry's identity, unique in the case
		if kind == entry.KindNIRSBaseline {
			s.setNIRSBaselines(e)
		}
		s.entries[e.Time] = e
		s.lastError.Store(nil)
		if s.rec != nil {
			report("entry", s.rec.AddEvent(e.Event()))
		}
		if kind == timeline.KindACT {
			s.operator.Put(monitor.Sample{Time: e.Time, Channel: channel.ACTSeconds, Value: e.Num["seconds"], Quality: channel.OK})
		}
		if kind == entry.KindInlineRecalibration {
			s.p.Recalibrated(e.Time)
			s.drift.Recalibrated(e.Time)
		}
		s.poke()
	case ui.AssignSpecimen:
		s.assignSpecimen(a)
	case ui.RecordEntries:
		s.recordEntries(a)
	case ui.InjectFault:
		if s.sim == nil {
			report("instructor", fmt.Errorf("no simulated case to inject %s into", a.Name))
			break
		}
		if a.Clear {
			report("instructor", s.sim.Clear(a.Name))
		} else {
			report("instructor", s.sim.Trigger(a.Name))
		}
	case ui.EditEvent:
		// The record keeps every entry; an edit is an entry of its own
		// naming the one it corrects by its identity, its first time
		// (docs/format/case.md, "Entry identity and edits").
		id, err := strconv.ParseInt(a.ID, 10, 64)
		cur, ok := s.tl.Lookup(id)
		if err != nil || !ok {
			s.refuse(fmt.Errorf("edit: no event %q", a.ID))
			return
		}
		before, ok := s.entries[id]
		if !ok { // an event the session or a device recorded: kind, time and text
			before = entry.Entry{Kind: cur.Kind, Time: cur.Time, Text: cur.Text}
		}
		ed := entry.Edit{Target: id, At: a.At, Who: "operator"}
		if a.Time != 0 && a.Time != cur.Time {
			ed.Time = a.Time
		}
		if a.Void != cur.Void {
			ed.Void = &a.Void
		}
		if !a.Void && a.Text != cur.Text {
			t := a.Text
			ed.Text = &t
			if nv, err := entry.ParseText(before.Kind, a.Text); err == nil { // the fields follow the new text
				entry.Normalize(&nv) // spelt as a new entry's would be
				ed.Num, ed.Str = nv.Num, nv.Str
			} else {
				s.refuse(err)
				return
			}
		}
		if ed.Time == 0 && ed.Text == nil && ed.Void == nil {
			return // nothing changed
		}
		if _, known := entry.Spec(before.Kind); !known && (ed.Void == nil || !*ed.Void) {
			s.refuse(fmt.Errorf("%s events are written by Pumpside; they can only be voided", before.Kind))
			return
		}
		if err := entry.ValidateEdit(before, ed, s.caseStart, s.clk.Now().UnixNano()); err != nil {
			s.refuse(err)
			return
		}
		if _, err := s.tl.Edit(id, timeline.Change{At: a.At, Who: ed.Who, Time: ed.Time, Text: ed.Text, Void: ed.Void}); err != nil {
			s.refuse(err)
			return
		}
		after, _ := ed.Apply(before)
		s.entries[id] = after
		s.lastError.Store(nil)
		if s.rec != nil {
			report("edit", s.rec.AddEvent(ed.Event(ed.Describe(before))))
		}
		s.poke()
	case ui.ApplySetup:
		su := a.Setup
		s.setup.Store(&su)
		for _, m := range []struct {
			ch channel.ID
			v  float64
		}{{channel.PatientHeight, su.HeightCm}, {channel.PatientWeight, su.WeightKg}} {
			if m.v > 0 {
				s.operator.Put(monitor.Sample{Time: a.Time, Channel: m.ch, Value: m.v, Quality: channel.OK})
			}
		}
		if s.rec != nil {
			// A metadata line carries every constant (encodeMeta): the
			// ones in force, not zeros a reader would refuse, nor a BSA
			// formula reset to the zero value's.
			m := record.Meta{Time: a.Time, HeightCm: knownOrNaN(su.HeightCm), WeightKg: knownOrNaN(su.WeightKg),
				AgeYears: knownOrNaN(su.AgeYears), Constants: s.p.Settings().Constants}
			if s.ecmo {
				m.Mode = record.ModeECMO
			}
			report("case set-up", s.rec.SetMeta(m))
		}
		s.poke()
	default:
		fmt.Fprintf(s.stderr, "pumpside: %T applies to a replay only\n", a)
	}
}

// refuse keeps a refused entry's or edit's message for the GUI (one line
// naming the field and the allowed range) and logs it. GUI goroutine.
func (s *session) refuse(err error) {
	msg := err.Error()
	s.lastError.Store(&msg)
	fmt.Fprintf(s.stderr, "pumpside: refused: %s\n", msg)
	s.poke()
}

// LastError returns the last refusal ("" if the last entry was accepted).
func (s *session) LastError() string {
	if p := s.lastError.Load(); p != nil {
		return *p
	}
	return ""
}

// step evaluates the alarms at t, a whole second of case time the stepped
// session's pipeline has just published (simFeed calls it after each
// second), or, with t the time of the last one, applies the operator's
// actions and drives the sound in between. The alarms thus see exactly the
// data and times a replay of the case file gives them, whatever the speed
// or the machine's load: sample, publish and evaluation advance together.
func (s *session) step(t time.Time) {
	if s.stepFails.Load() {
		return
	}
	s.stepped.Set(t)
	if err := s.runner.StepSafe(); err != nil {
		s.stepFails.Store(true)
		fmt.Fprintf(s.stderr, "pumpside: %v: alarms are no longer evaluated\n", err)
	}
}

// start runs the pipeline, the alarm runner and the state builder until
// ctx ends (a stepped session's feeder runs the first two); wait waits for
// them and closes the record.
func (s *session) start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if s.stepped == nil {
		wg.Go(func() { _ = s.p.Run(ctx) })
		wg.Go(func() {
			if err := s.runner.Run(ctx); errors.Is(err, live.ErrFailed) {
				fmt.Fprintf(s.stderr, "pumpside: %v: alarms are no longer evaluated\n", err)
			}
		})
	}
	wg.Go(func() { _ = s.runner.Watch(ctx) })
	wg.Go(func() { s.buildState(ctx) })
	if s.live != nil {
		wg.Go(func() { _ = s.live.Run(ctx) })
	}
	return func() {
		wg.Wait()
		if s.rec != nil {
			if err := s.rec.Close(); err != nil {
				fmt.Fprintf(s.stderr, "pumpside: closing the case record: %v\n", err)
			}
		}
	}
}

// describeTransport is the devices panel's one-line description.
func describeTransport(t console.Transport) string {
	switch t.Type {
	case "serial":
		return fmt.Sprintf("serial %s %d", t.Port, t.Baud)
	case "tcp", "tcp-listen", "udp":
		return t.Type + " " + t.Addr
	case "capture":
		return "capture " + filepath.Base(t.File)
	case "exec":
		return "exec " + filepath.Base(t.Command)
	}
	return t.Type
}

// noteFault keeps the instructor panel's active faults up to date from the
// simulator's fault and fault_clear events (on the feeder goroutine).
func (s *session) noteFault(e sim.Event) {
	if e.Kind != "fault" && e.Kind != "fault_clear" {
		return
	}
	names := sim.FaultNames()
	active := make([]bool, len(names))
	if old := s.faults.Load(); old != nil {
		copy(active, *old)
	}
	for _, f := range e.Fields {
		if f.Key != "fault" {
			continue
		}
		for i, n := range names {
			if n == f.Str {
				active[i] = e.Kind == "fault"
			}
		}
	}
	s.faults.Store(&active)
}

// readCaseForResume reads a case file's case id and events, for a console
// that continues the case after a restart: the phase, the clamp and the
// timers pick up where they were, and the record goes on in the same file.
// A long run is read whole (its segments: record.OpenRun); origin is the
// time of its earliest line, from which its segments count.
func readCaseForResume(path string) (caseID string, events []timeline.Event, origin int64, err error) {
	f, err := record.OpenRun(path)
	if err != nil {
		return "", nil, 0, fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	r := record.NewReader(f)
	for r.Next() {
		e := r.Entry()
		if origin == 0 || e.Time < origin {
			origin = e.Time
		}
		if caseID == "" {
			caseID = e.Tag("case")
		}
		if k := e.Tag("kind"); e.Kind() == record.KindEvent && k != "" {
			events = append(events, timeline.Event{Time: e.Time, Kind: k, Text: e.Str("text"), Tag: timeline.Qualifier(k, e.Str)})
		}
	}
	if err := r.Err(); err != nil {
		return "", nil, 0, fmt.Errorf("resume %s: %w", path, err)
	}
	if caseID == "" {
		return "", nil, 0, fmt.Errorf("resume %s: no case in the file", path)
	}
	return caseID, events, origin, nil
}

// artifactWindow is what the console's ARTIFACT button marks when the entry
// says no more: the minute up to the press (a flush, a sample drawn, a
// probe moved), which the operator can edit afterwards.
const artifactWindow = time.Minute

// artifactDefaults completes an artifact mark from the GUI's one-line
// entry: the channel named in the text (pump.flow, ...), else "all"; the
// range the last artifactWindow up to the press, unless the entry has an end.
func artifactDefaults(e *entry.Entry, text string) {
	if _, known := channel.Lookup(e.Str["channel"]); !known && e.Str["channel"] != "all" {
		ch := "all"
		for f := range strings.FieldsSeq(text) {
			if _, ok := channel.Lookup(f); ok {
				ch = f
				break
			}
		}
		e.SetStr("channel", ch)
	}
	if _, ok := e.Num["end"]; !ok {
		e.SetNum("end", float64(e.Time))
		e.Time -= int64(artifactWindow)
	}
}

// knownOrNaN is v, or NaN (unknown: left out of a metadata line) when the
// set-up form left it at 0.
func knownOrNaN(v float64) float64 {
	if v > 0 {
		return v
	}
	return math.NaN()
}

package view

import (
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/physio"
)

// State is everything the console shows besides the snapshot: alarms,
// devices, case events, replay and case set-up. The integrator builds one
// from the alarm engine, the device supervisors and the case timeline, and
// hands it to the console each frame (ui.Options.State). A State given to
// the console is read, never modified, and may be read until the next frame:
// treat it as immutable, like a snapshot (publish a new one rather than
// changing one the console holds). The zero State shows no alarms, no
// devices, no events, live mode.
type State struct {
	// Alarms are the alarms to show: pending ones are ignored, active,
	// audio-paused and acknowledged ones are shown in the banner, highest
	// priority first. Fill from alarms.Engine.AppendStatus(dst, false).
	Alarms []AlarmView
	// AudioUnavailable: no alarm sound can be played (the engine's
	// audio_unavailable condition). Shown permanently while true.
	AudioUnavailable bool
	// AlarmLog is the alarm log, oldest first (alarms.MemoryLog entries).
	AlarmLog []AlarmLogView
	// Limits are the alarm limits in force per channel, shown on the tiles
	// and shaded on the trends. One entry per channel; later entries win.
	Limits []LimitView
	// Settings are the alarm limits the operator may change at the pump,
	// within the profile's bounds (alarms.Status with Adjustable true).
	// The alarms screen lists them with − and + controls that send
	// ChangeLimit.
	Settings []LimitSetting
	// Devices are the configured devices (devices.Supervisor.AppendStatus).
	Devices []DeviceView
	// Disk is the case record's use of its disk, shown under the devices;
	// nil when nothing is recorded.
	Disk *DiskView
	// Events are the case events, oldest first: they drive the timers and
	// the markers on trends and on the replay timeline.
	Events []EventView
	// Replay is non-nil while a recorded case is replayed: the console then
	// shows REPLAY prominently and the replay controls.
	Replay *ReplayView
	// Setup is the case set-up as recorded; nil shows the set-up screen with
	// empty fields.
	Setup *SetupView
	// Refusal is why the operator's last entry or edit was refused (one
	// line naming the field and the allowed range); "" when it was
	// accepted. The events screen shows it until the next entry.
	Refusal string
	// Instructor is non-nil on a simulated case: the events screen then
	// shows the instructor's fault buttons, which send InjectFault.
	Instructor *InstructorView
	// Phase is the case's phase as the console knows it ("On bypass",
	// "Weaning (partial bypass)", ...; "" before the first event), shown
	// in the header. PhaseHint, when not empty, says the phase was
	// inferred and how to confirm it ("press W to confirm").
	Phase, PhaseHint string
	// Specimen is non-nil while an analyser result whose specimen is not
	// stated (bg.*) waits to be assigned: every screen then shows it with
	// the one-key choices, which send AssignSpecimen.
	Specimen *SpecimenPrompt
	// Record are the perfusion record's entries as recorded (set-up kinds,
	// checklist, close, sign-off, manual blood gases), oldest first: the
	// set-up screen's case record page starts from them and shows who
	// signed what.
	Record []entry.Entry
}

// SpecimenPrompt is an analyser result recorded without its specimen
// (arterial or venous): on channels bg.*, never guessed into abg.*.
type SpecimenPrompt struct {
	// Sample is the result's sample time, Unix ns: it names the result.
	Sample int64
	// Source is the analyser's source name.
	Source string
	// Summary is the result's main values, e.g. "pH 7.38  pCO2 41  pO2 212".
	Summary string
}

// InstructorView is the simulator's instructor panel: the faults that can
// be injected live (in button order) and which of them are active.
type InstructorView struct {
	Faults []string
	Active []bool
}

// Priority is an alarm's priority, ordered: greater is more urgent. Values
// match alarms.Priority (0 none, 1 low, 2 medium, 3 high).
type Priority uint8

// The priorities.
const (
	NoPriority Priority = iota
	Low
	Medium
	High
)

// Stars returns the text convention for the priority: "***", "**", "*".
func (p Priority) Stars() string {
	switch p {
	case High:
		return "***"
	case Medium:
		return "**"
	case Low:
		return "*"
	}
	return ""
}

// Word returns "HIGH", "MEDIUM" or "LOW".
func (p Priority) Word() string {
	switch p {
	case High:
		return "HIGH"
	case Medium:
		return "MEDIUM"
	case Low:
		return "LOW"
	}
	return ""
}

// AlarmState is where an alarm is; values match alarms.State (0 inactive,
// 1 pending, 2 active, 3 audio paused, 4 acknowledged).
type AlarmState uint8

// The alarm states.
const (
	AlarmInactive AlarmState = iota
	AlarmPending
	AlarmActive
	AlarmAudioPaused
	AlarmAcknowledged
)

// AlarmView is one alarm as the banner shows it. Fill from alarms.Status:
// ID = Alarm, Message, Priority, State, Sounding, Present, Latching, Since,
// PausedUntil, Value, Limit (NaN for none), Unit from the rule's channel.
type AlarmView struct {
	ID       string
	Message  string
	Priority Priority
	State    AlarmState
	// Technical: a technical condition (device lost, no data, audio).
	Technical bool
	// Sounding: it sounds now (it is what PauseAudio pauses).
	Sounding bool
	// Present: the condition holds now (an active alarm that is not present
	// is latched or held for its minimum visible time).
	Present, Latching bool
	// Since is when it became active, Unix ns on the snapshot's clock.
	Since int64
	// PausedUntil is the end of its audio pause, Unix ns; 0 if not paused.
	PausedUntil int64
	// Value and Limit are the input value and the limit crossed, NaN if
	// none; Unit is theirs ("" if none), Precision their display decimals
	// (the input channel's: a MAP is 69, not 69.42).
	Value, Limit float64
	Unit         string
	Precision    int
	// Raised is the value that raised the alarm (when it became active,
	// at Since), NaN if none. Ended is when its condition ended while it
	// stays shown (latched or held), Unix ns; 0 while the condition holds.
	// An ended alarm is drawn as ended, with Raised, never with the
	// recovered Value as if it were the cause.
	Raised float64
	Ended  int64
}

// AlarmLogView is one line of the alarm log.
type AlarmLogView struct {
	// Time is Unix ns on the snapshot's clock.
	Time     int64
	Alarm    string
	Priority Priority
	// Transition is "pending", "active", "acknowledged", "audio_paused",
	// "cleared", or an operator action ("limit_changed").
	Transition   string
	Value, Limit float64
	// Precision is the display decimals of Value and Limit.
	Precision int
}

// LimitView is the alarm limit band in force for a channel: Low and High,
// NaN when the side has no limit. Fill from the profile's rules and the
// engine's Status.Limits.
type LimitView struct {
	Channel   channel.ID
	Low, High float64
}

// LimitSetting is one adjustable alarm limit. Fill from alarms.Status:
// Alarm, Message, Limits.Limit/Low/High, LimitMin -> Min, LimitMax -> Max;
// Step is the console's increment (1 for mmHg and %, 0.1 for °C...); Unit
// the rule's channel unit.
type LimitSetting struct {
	Alarm, Message, Unit string
	// Limit for a single-limit rule; Low and High for a band; NaN unused.
	Limit, Low, High float64
	Min, Max, Step   float64
}

// DeviceState is a device's state; values match devices.State (0
// connecting, 1 running, 2 silent, 3 disconnected, 4 failed, 5 stopped).
type DeviceState uint8

// The device states.
const (
	DeviceConnecting DeviceState = iota
	DeviceRunning
	DeviceSilent
	DeviceDisconnected
	DeviceFailed
	DeviceStopped
)

// Lost reports whether the device delivers no data: silent, disconnected,
// failed or stopped.
func (s DeviceState) Lost() bool { return s >= DeviceSilent }

// String returns the state in capitals, as the devices panel shows it.
func (s DeviceState) String() string {
	switch s {
	case DeviceConnecting:
		return "CONNECTING"
	case DeviceRunning:
		return "RUNNING"
	case DeviceSilent:
		return "SILENT"
	case DeviceDisconnected:
		return "DISCONNECTED"
	case DeviceFailed:
		return "FAILED"
	case DeviceStopped:
		return "STOPPED"
	}
	return "UNKNOWN"
}

// DeviceView is one device for the devices panel. Fill from
// devices.DeviceStatus: Name, Transport, State, Since, LastFrame ->
// LastData, FramesOK, BadFrames() -> FramesBad, LastError; Drops from the
// pipeline's SourceStatus.Dropped of its source.
type DeviceView struct {
	Name, Transport string
	State           DeviceState
	// Essential: the case depends on it (heart-lung machine, in-line
	// monitor); its loss is a HIGH alarm.
	Essential bool
	// Since is when State began, LastData the last good frame, Unix ns (0
	// if none yet).
	Since, LastData     int64
	FramesOK, FramesBad uint64
	Drops               uint64
	LastError           string
}

// EventKind is the kind of a case event.
type EventKind uint8

// The case events.
const (
	EventNone EventKind = iota
	EventBypassOn
	EventBypassOff
	EventClampOn
	EventClampOff
	EventCardioplegia
	EventArrestStart
	EventArrestEnd
	EventDrug
	EventFluid
	EventBloodProduct
	EventACT
	EventBloodGas
	EventNote
	EventArtifact
	EventBookmark
	// The phases of issue 16: weaning (partial bypass) and back to full
	// flow; antegrade and retrograde cerebral perfusion.
	EventWeaning
	EventFullFlow
	EventACPStart
	EventACPEnd
	EventRCPStart
	EventRCPEnd
	// EventNIRSBaseline records the current cerebral oximetry values as
	// the pre-induction baseline.
	EventNIRSBaseline
	// EventInlineRecal: the in-line blood monitor was recalibrated to
	// the laboratory (case kind inline_recalibration); shortcut L.
	EventInlineRecal
	// The long run's events (docs/ecmo.md): the ECMO run's start, an
	// oxygenator changed, a circuit changed. The ECMO timers count from
	// them.
	EventECMOStart
	EventOxygenatorChange
	EventCircuitChange
	NumEventKinds
)

var eventNames = [NumEventKinds]string{
	EventNone: "", EventBypassOn: "ON BYPASS", EventBypassOff: "OFF BYPASS", EventClampOn: "CLAMP ON",
	EventClampOff: "CLAMP OFF", EventCardioplegia: "CARDIOPLEGIA", EventArrestStart: "ARREST START",
	EventArrestEnd: "ARREST END", EventDrug: "DRUG", EventFluid: "FLUID", EventBloodProduct: "BLOOD PRODUCT",
	EventACT: "ACT", EventBloodGas: "BLOOD GAS", EventNote: "NOTE", EventArtifact: "ARTIFACT",
	EventBookmark: "BOOKMARK", EventWeaning: "WEANING", EventFullFlow: "FULL FLOW", EventACPStart: "ACP START",
	EventACPEnd: "ACP END", EventRCPStart: "RCP START", EventRCPEnd: "RCP END", EventNIRSBaseline: "NIRS BASELINE",
	EventInlineRecal: "IN-LINE RECAL", EventECMOStart: "ECMO START", EventOxygenatorChange: "OXYGENATOR CHANGE",
	EventCircuitChange: "CIRCUIT CHANGE",
}

var eventCodes = [NumEventKinds]string{
	EventBypassOn: "bypass_on", EventBypassOff: "bypass_off", EventClampOn: "clamp_on", EventClampOff: "clamp_off",
	EventCardioplegia: "cardioplegia", EventArrestStart: "arrest_start", EventArrestEnd: "arrest_end",
	EventDrug: "drug", EventFluid: "fluid", EventBloodProduct: "blood_product", EventACT: "act",
	EventBloodGas: "blood_gas", EventNote: "note", EventArtifact: "artifact", EventBookmark: "bookmark",
	EventWeaning: "weaning", EventFullFlow: "full_flow", EventACPStart: "acp_start", EventACPEnd: "acp_end",
	EventRCPStart: "rcp_start", EventRCPEnd: "rcp_end", EventNIRSBaseline: "nirs_baseline",
	EventInlineRecal: "inline_recalibration", EventECMOStart: "ecmo_start", EventOxygenatorChange: "oxygenator_change",
	EventCircuitChange: "circuit_change",
}

// String returns the event's name on screen ("CLAMP ON").
func (k EventKind) String() string {
	if k < NumEventKinds {
		return eventNames[k]
	}
	return "EVENT"
}

// Code returns the event's stable name for records ("clamp_on").
func (k EventKind) Code() string {
	if k < NumEventKinds {
		return eventCodes[k]
	}
	return ""
}

// ParseEventKind is the inverse of Code.
func ParseEventKind(code string) (EventKind, bool) {
	for k := EventBypassOn; k < NumEventKinds; k++ {
		if eventCodes[k] == code {
			return k, true
		}
	}
	return EventNone, false
}

// EventView is one case event as recorded.
type EventView struct {
	// ID identifies the event in the record (EditEvent names it).
	ID   string
	Kind EventKind
	// Time is when it happened, Unix ns on the snapshot's clock.
	Time int64
	// Text is free text (drug name and dose, note...); Value a number
	// entered with it (ACT seconds, volume), NaN if none; Unit its unit.
	Text  string
	Value float64
	Unit  string
	// Edited: it was changed after entry (the record keeps the audit
	// trail); Void: it was struck out (still listed, never counted).
	Edited, Void bool
}

// ReplayView is the state of a replay.
type ReplayView struct {
	// Start and End bound the recorded case; Position is the replay
	// clock's time; all Unix ns on the snapshot's clock.
	Start, End, Position int64
	Playing              bool
	// Speed is the replay rate (1 = real time).
	Speed float64
	// Bookmarks are times the recording marks, Unix ns.
	Bookmarks []int64
}

// Sex is the patient's sex, for ideal body weight and blood volume.
type Sex = physio.Sex

// SetupView is the case set-up: the patient and the volumes that dilute
// the blood on bypass. Zero numbers are "not entered". The constants in force
// (BSA formula, heparin dose, flow index table...) are the console's
// (Options.Constants).
type SetupView struct {
	HeightCm, WeightKg, AgeYears float64
	Sex                          Sex
	// HctPre is the pre-bypass haematocrit, %.
	HctPre float64
	// PrimeML, FluidsML and CardioplegiaML are the volumes that dilute the
	// patient's blood on bypass (crystalloid cardioplegia only).
	PrimeML, FluidsML, CardioplegiaML float64
}

// Action is an operator action the console sends out through
// ui.Options.OnAction: one of Acknowledge, PauseAudio, EnterEvent,
// EditEvent, Seek, SetPlaying, SetSpeed, ChangeLimit, ApplySetup. The console only
// reports the action: the integrator applies it (to the alarm engine, the
// case record, the replay) and the result comes back in the next State.
type Action interface{ action() }

// Acknowledge asks to acknowledge one alarm (alarms.Engine.Acknowledge).
type Acknowledge struct {
	Alarm string
	Time  int64 // Unix ns on the snapshot's clock
}

// PauseAudio asks to pause the sound of one alarm
// (alarms.Engine.PauseAudio). The pause-audio control sends one per
// sounding alarm.
type PauseAudio struct {
	Alarm string
	Time  int64
}

// EnterEvent records a case event at Time (Unix ns, the snapshot's clock
// when it was entered).
type EnterEvent struct {
	Kind  EventKind
	Time  int64
	Text  string
	Value float64 // NaN if none
}

// EditEvent changes a recorded event: its new time and text, or strikes it
// out (Void). The record keeps the original and the audit trail.
type EditEvent struct {
	ID   string
	Time int64
	Text string
	Void bool
	// At is when the edit was made (Unix ns).
	At int64
}

// InjectFault asks the simulator to start the fault Name (or, with Clear,
// to end it): the teacher's live control.
type InjectFault struct {
	Name  string
	Clear bool
}

// Seek asks the replay to jump to Time (Unix ns).
type Seek struct{ Time int64 }

// SetPlaying starts or pauses the replay.
type SetPlaying struct{ Playing bool }

// SetSpeed sets the replay rate.
type SetSpeed struct{ Speed float64 }

// ChangeLimit asks to change an alarm's limit (alarms.Engine.SetLimit when
// Limit is a number, SetBand with Low and High otherwise). The values are
// within the setting's Min and Max; the engine checks again and logs it.
type ChangeLimit struct {
	Alarm            string
	Limit, Low, High float64
	Time             int64
}

// AssignSpecimen states the specimen of the analyser result sampled at
// Sample from Source: "arterial", "venous" (mixed venous, from the circuit)
// or "central_venous". The integrator records it as an audited entry and
// puts the result on that panel's channels.
type AssignSpecimen struct {
	Sample   int64
	Source   string
	Specimen string
	Time     int64 // when it was assigned
}

// ApplySetup records a new case set-up.
type ApplySetup struct {
	Setup SetupView
	Time  int64
}

func (Acknowledge) action()    {}
func (PauseAudio) action()     {}
func (EnterEvent) action()     {}
func (EditEvent) action()      {}
func (Seek) action()           {}
func (InjectFault) action()    {}
func (SetPlaying) action()     {}
func (SetSpeed) action()       {}
func (ApplySetup) action()     {}
func (ChangeLimit) action()    {}
func (AssignSpecimen) action() {}

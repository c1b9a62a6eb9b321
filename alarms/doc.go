// Package alarms is Pumpside's alarm engine: it watches every snapshot the
// pipeline publishes and decides, by the rules of a hospital alarm profile,
// which alarm conditions need the perfusionist's attention, at what priority
// (IEC 60601-1-8 HIGH, MEDIUM, LOW), and whether they should sound.
//
// # Profile
//
// Rules are data: a TOML profile (ParseProfile, LoadProfile) validated at
// start, with every problem reported as a *ProfileError naming the rule and
// the field; unknown keys are errors. The built-in profile (DefaultProfile)
// is an embedded TOML file that goes through the same loader. docs/alarms.md
// documents every key and every default rule with its evidence.
//
// # State machine
//
// Engine is a pure state machine. Eval(now, snapshot, context) evaluates all
// rules and returns the transitions; it starts no goroutines, reads no clock
// and does no I/O other than calling the Logger it was given. Per alarm:
//
//	inactive -> pending (validation delay) -> active -> acknowledged
//	                                          active <-> audio_paused
//
// Latched alarms stay active until acknowledged even after the value
// recovers; non-latched ones stay visible at least the profile's
// min_visible; acknowledged ones still present sound again after the
// reminder interval; escalation raises a rule's priority after a set time.
// Audio pause is per alarm with a countdown, so a new condition sounds even
// while another is paused. A physiological rule never fires on an input that
// has no valid value (monitor.Reading.OK is false): its no_data/<channel>
// technical alarm is raised instead.
//
// Operator actions are methods: Acknowledge, PauseAudio, SetLimit, SetBand
// (within the bounds the profile allows, else a *LimitError naming the
// bound) and SetBaseline. Each is logged.
//
// # Ownership and concurrency
//
// An Engine is owned by one goroutine, which calls Eval, the operator
// actions, Audible and AppendStatus in turn; it is not safe for concurrent
// use. The slice Eval returns belongs to the engine and is valid until the
// next Eval. In steady state Eval does not allocate: per-alarm state, rate
// histories and the transition buffer are allocated by New. The only later
// allocation is naming a device's device_lost alarm the first time the
// device appears.
//
// # The Context seam
//
// Some inputs are not in the snapshot: the case phase (pre-bypass, on
// bypass, circulatory arrest, off bypass) and cross-clamp, the times of the
// last cardioplegia dose and ACT, the device supervisor's per-device state
// and last-data time, ring drop counts, and the health of the recorder and
// of the audio output. The caller gathers them into a Context, a small value
// without pointers, and passes it to each Eval:
//
//   - Phase, CrossClamp, LastCardioplegia, LastACT: the case timeline (GUI
//     events, later the recorder's case state).
//   - Devices[SourceID]: the device supervisor (devices/).
//   - RingDrops: the pipeline's ring statistics.
//   - RecordingFailed: the case recorder; AudioUnavailable: the sound output
//     (alarms/sound), which cannot open a device or has failed.
//
// Until those components fill it, a zero Context means "phase unknown, no
// devices": rules that name phases do not apply.
//
// # Log
//
// Every transition and operator action goes to the Logger as an Entry.
// MemoryLog keeps the newest entries for the GUI; JSONLines writes the
// headless contract for replays and tests: one object per transition with
// time, alarm, priority, state (pending, active, acknowledged, audio_paused,
// cleared), value and limit. The durable log in the case record is the
// recorder's Logger.
//
// The package imports no GUI code.
package alarms

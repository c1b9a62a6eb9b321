package alarms

import (
	"fmt"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Phase is the phase of the case. Rules name the phases they apply to.
type Phase uint8

// The phases. PhaseUnknown is the zero value: only rules that name no phase
// apply while the phase is unknown, so a console whose case timeline is not
// wired yet does not raise "flow stopped" before bypass.
const (
	PhaseUnknown Phase = iota
	PreBypass
	Bypass
	// Arrest is (deep hypothermic) circulatory arrest: on bypass with the
	// flow deliberately stopped.
	Arrest
	OffBypass
	// Weaning is partial bypass: the flow deliberately reduced as the
	// heart takes over (monitor/timeline).
	Weaning
	// ACP and RCP are antegrade and retrograde cerebral perfusion: the
	// pump perfuses the brain alone during a circulatory arrest.
	ACP
	RCP
	// ECMO is a long run's circuit running (docs/ecmo.md): from the
	// timeline's ecmo_start, when the case has none of a bypass case's
	// phases. The ECMO profile's circuit rules name it, so that nothing
	// about the circuit fires before it runs (cannulation).
	ECMO
	numPhases
)

var phaseNames = [...]string{PhaseUnknown: "unknown", PreBypass: "pre_bypass", Bypass: "bypass", Arrest: "arrest", OffBypass: "off_bypass",
	Weaning: "weaning", ACP: "acp", RCP: "rcp", ECMO: "ecmo"}

// String returns the phase's profile name ("pre_bypass", ...).
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase(" + strconv.Itoa(int(p)) + ")"
}

// ParsePhase is the inverse of String for the known phases.
func ParsePhase(s string) (Phase, error) {
	for p := PreBypass; p < numPhases; p++ {
		if phaseNames[p] == s {
			return p, nil
		}
	}
	return PhaseUnknown, fmt.Errorf("unknown phase %q (want pre_bypass, bypass, weaning, arrest, acp, rcp, off_bypass or ecmo)", s)
}

// PhaseSet is a set of phases; the empty set means "every phase, including
// unknown".
type PhaseSet uint16

// Has reports whether the set allows p.
func (s PhaseSet) Has(p Phase) bool { return s == 0 || s&(1<<p) != 0 }

// With returns the set with p added.
func (s PhaseSet) With(p Phase) PhaseSet { return s | 1<<p }

// DeviceState is a device's connection state as the device supervisor sees
// it.
type DeviceState uint8

// The device states.
const (
	// DeviceAbsent: the slot is unused; no alarm instance.
	DeviceAbsent DeviceState = iota
	// DeviceConnecting: opening or reconnecting; silence counts from Since.
	DeviceConnecting
	// DeviceConnected: the link is up; silence counts from LastData.
	DeviceConnected
	// DeviceDisconnected: the link is down: lost at once.
	DeviceDisconnected
)

// MaxDevices is the number of device slots in a Context, indexed by
// monitor.SourceID (slot 0, "no source", is never used).
const MaxDevices = 16

// Device is what the device supervisor tells the alarm engine about one
// source.
type Device struct {
	State DeviceState
	// Essential marks the sources the case depends on (heart-lung machine,
	// in-line blood monitor). The device_lost rule's priority applies to
	// them; other devices get its nonessential_priority.
	Essential bool
	// Since is when State last changed, Unix ns.
	Since int64
	// LastData is the time of the newest sample from the device, Unix ns; 0
	// if none yet.
	LastData int64
	// Interval is the device's expected interval between samples.
	Interval time.Duration
	// Sporadic: the device sends when it has something (an analyser's
	// results), so silence is no loss: device_lost follows State only.
	Sporadic bool
}

// Context is everything besides the snapshot that rules need. It is a small
// value with no pointers: the caller owns it, fills it from the case
// timeline, the device supervisor, the pipeline and the recorder, and passes
// it to every Eval. The engine only reads it and keeps no reference.
type Context struct {
	Phase Phase
	// PhaseSince is when Phase began, Unix ns (a rule's onset counts
	// from it).
	PhaseSince int64
	// Heparin is the time of the first heparin dose, 0 if none yet: the
	// rules of an anticoagulated patient (after_heparin) apply from then.
	Heparin int64
	// CardioplegiaInterval is the re-dose interval of the last dose's
	// solution (Profile.RedoseInterval); 0 keeps the rule's limit.
	CardioplegiaInterval time.Duration
	// FlowIndexTarget is the target flow index at the patient's
	// temperature, L/min/m² (physio.TargetFlowIndex); 0 when unknown (a
	// rule whose limit is a share of it then does not apply).
	FlowIndexTarget float64
	// NIRSBaselineMissing is true while a cerebral oximeter sends and no
	// pre-induction baseline has been recorded.
	NIRSBaselineMissing bool
	// CrossClamp is true while the aortic cross-clamp is on.
	CrossClamp bool
	// LastCardioplegia and LastACT are the times of the last cardioplegia
	// dose and the last ACT result, Unix ns; 0 if none yet.
	LastCardioplegia int64
	LastACT          int64
	// Devices is indexed by monitor.SourceID.
	Devices [MaxDevices]Device
	// RingDrops is the total number of samples lost to full rings since the
	// start; only its increases matter.
	RingDrops uint64
	// RecordingFailed is true while the case record cannot be written.
	RecordingFailed bool
	// InlineDrift is true while an analyser result differed from the
	// in-line blood monitor by more than the site's tolerance and the
	// monitor has not been recalibrated since (monitor/qc).
	InlineDrift bool
	// AudioUnavailable is true while no alarm sound can be played.
	AudioUnavailable bool
	// UploadFailed is true while the case cannot be shipped to InfluxDB
	// (server unreachable, or a batch refused and quarantined); the case
	// file is unaffected.
	UploadFailed bool
	// DiskLow is true while the case record's file system has less free
	// space than the recorder's threshold (record.DefaultMinFree).
	DiskLow bool
	// Unprovided are the channels no source of the case provides: not a
	// configured device's (live) or a recorded source's (replay), never
	// entered by hand, and for a derived value, missing a required input
	// (monitor.AddDerived). A rule on such a channel does not apply: no
	// no_data, no stale condition, for what the case has no device for. A
	// device that stops sending still provides its channels. The zero
	// value leaves every channel provided.
	Unprovided channel.Set
}

package sim

import (
	"sort"
	"strings"
)

// Fault is an injectable problem. Faults are schedulable in a scenario
// ("fault" and "clear" actions) and triggerable live (Case.Trigger).
type Fault uint8

// The faults.
const (
	OxygenatorFailure      Fault = iota // oxygenator clots: pressure drop rises, gas transfer falls: PaO2, exhaust CO2, then SaO2 and SvO2 fall
	LowReservoir                        // venous drainage obstructed: reservoir level falls
	Vasoplegia                          // SVR halves over 5 min: MAP falls at constant flow
	InadequateHeparin                   // heparin resistance: ACT falls below target
	Hypoperfusion                       // pump flow cut to 55 % of target: DO2i, then SvO2 fall, lactate rises
	RewarmTooFast                       // heater-cooler set to 39 °C at 1 °C/min: outlet ≥ 37 °C, gradient and rate over limits
	SensorDisconnect                    // left NIRS sensor off the forehead: no value
	CableUnplugged                      // in-line blood monitor cable out: the device goes silent
	UnilateralDesaturation              // right hemisphere under-perfused: right NIRS falls, left holds
	VenousAirLock                       // air in the venous line: drainage stops, reservoir empties, flow comes down, CVP rises
	GasSupplyFailure                    // sweep gas supply lost: sweep 0, PaO2 and SaO2 fall, PaCO2 rises
	ProtamineReaction                   // catastrophic protamine reaction: SVR collapses, CVP rises, SpO2 falls
	AorticDissection                    // dissection at the aortic cannula: line pressure jumps, radial MAP and right NIRS fall, lactate rises
	Recirculation                       // ECMO VV: the return jet is drawn back into the drainage cannula: pre-oxygenator saturation up, patient SaO2 down
	DrainageInsufficiency               // ECMO: drainage short of the pump: inlet pressure more negative, flow falls and chatters
	numFaults
)

var faultInfo = [numFaults]struct{ name, about string }{
	OxygenatorFailure:      {"oxygenator-failure", "oxygenator clots and fails over ~8 min: pressure drop rises, post-oxygenator PaO2 and exhaust CO2 fall, then SaO2 and SvO2"},
	LowReservoir:           {"low-reservoir", "venous drainage obstructed: reservoir level falls ~80 mL/min"},
	Vasoplegia:             {"vasoplegia", "SVR falls to half over 5 min: MAP falls at constant flow"},
	InadequateHeparin:      {"inadequate-heparin", "heparin resistance: ACT falls below target; top-ups help little"},
	Hypoperfusion:          {"hypoperfusion", "pump flow cut to 55 % of target: DO2i then SvO2 fall, lactate rises"},
	RewarmTooFast:          {"rewarm-too-fast", "heater-cooler set to 39 °C at 1 °C/min: outlet ≥ 37 °C, A–V gradient and rate over limits"},
	SensorDisconnect:       {"sensor-disconnect", "left cerebral NIRS sensor off: the channel reads no value"},
	CableUnplugged:         {"cable-unplugged", "in-line blood parameter monitor cable unplugged: the device goes silent"},
	UnilateralDesaturation: {"unilateral-desaturation", "right hemisphere under-perfused (innominate obstruction, incomplete circle of Willis): right NIRS falls ~20 points, left holds"},
	VenousAirLock:          {"venous-air-lock", "air lock in the venous line: drainage stops, the reservoir empties, flow must come down, CVP rises"},
	GasSupplyFailure:       {"gas-supply-failure", "sweep gas supply lost: sweep 0, PaO2 and SaO2 fall within minutes, PaCO2 rises"},
	ProtamineReaction:      {"protamine-reaction", "catastrophic protamine reaction: SVR collapses, pulmonary vasoconstriction raises CVP, SpO2 falls"},
	AorticDissection:       {"aortic-dissection-malperfusion", "aortic dissection at the cannula: line pressure jumps, radial MAP and right NIRS fall, urine stops, lactate rises"},
	Recirculation:          {"recirculation", "ECMO VV: the return jet is drawn back into the drainage cannula (+30 % of the flow): pre-oxygenator saturation rises, the patient's SaO2 and SpO2 fall at the same flow"},
	DrainageInsufficiency:  {"drainage-insufficiency", "ECMO: drainage short of the pump (hypovolaemia, cannula against the vessel wall): inlet pressure more negative, flow falls by a third and chatters"},
}

// String returns the fault's name, as used in scenario files and triggers.
func (f Fault) String() string {
	if f < numFaults {
		return faultInfo[f].name
	}
	return "fault?"
}

// About describes the fault's effect in one line.
func (f Fault) About() string {
	if f < numFaults {
		return faultInfo[f].about
	}
	return ""
}

// Faults returns every fault in declaration order.
func Faults() []Fault {
	out := make([]Fault, numFaults)
	for i := range out {
		out[i] = Fault(i)
	}
	return out
}

// FaultNames returns the fault names, sorted.
func FaultNames() []string {
	out := make([]string, 0, numFaults)
	for _, f := range faultInfo {
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}

// ParseFault returns the fault named name; "_" may stand for "-"
// ("venous_air_lock").
func ParseFault(name string) (Fault, bool) {
	name = strings.ReplaceAll(name, "_", "-")
	for i, f := range faultInfo {
		if f.name == name {
			return Fault(i), true
		}
	}
	return 0, false
}

func knownFault(name string) bool { _, ok := ParseFault(name); return ok }

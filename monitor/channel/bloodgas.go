package channel

// The analyser result panels, by specimen: the channel group of each.
const (
	PanelArterial      = "abg"  // arterial sample
	PanelVenous        = "vbg"  // mixed venous sample, from the circuit
	PanelCentralVenous = "cvbg" // central venous sample
	PanelUnstated      = "bg"   // specimen not stated: the perfusionist assigns it
)

// panelFirst is the first channel (pH) of each panel; the 13 analytes
// follow in bloodGasAnalytes order.
var panelFirst = map[string]ID{PanelArterial: ABGPH, PanelVenous: VBGPH, PanelCentralVenous: CVBGPH, PanelUnstated: BGPH}

// BloodGasAnalytes is the number of analytes of a panel.
const BloodGasAnalytes = len(bloodGasAnalytes)

// Panel returns the panel of an analyser result channel and its analyte's
// index in the panel; ok is false for any other channel.
func Panel(id ID) (panel string, analyte int, ok bool) {
	for p, first := range panelFirst {
		if id >= first && id < first+ID(BloodGasAnalytes) {
			return p, int(id - first), true
		}
	}
	return "", 0, false
}

// InPanel returns the channel of the same analyte as id (an analyser
// result of any panel) in panel: abg.po2 for bg.po2 and "abg".
func InPanel(id ID, panel string) (ID, bool) {
	_, a, ok := Panel(id)
	first, known := panelFirst[panel]
	if !ok || !known {
		return Invalid, false
	}
	return first + ID(a), true
}

package monitor

import (
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Q10Factor is physio.Q10Factor at the temperature of the first of temps
// with a valid reading in snap (an alarm profile's q10_inputs: the
// nasopharyngeal, else the bladder temperature), with that temperature; 1
// and ok false when none has one (the unscaled limit). The alarm engine
// scales do2i_low's limit by it and the console's DO2i tile its threshold,
// from the same snapshot, so the two never disagree.
func Q10Factor(snap *Snapshot, q10 float64, temps []channel.ID) (factor, tempC float64, ok bool) {
	if !(q10 > 1) {
		return 1, 0, false
	}
	for _, id := range temps {
		if r := snap.Reading(id); r.OK() {
			return physio.Q10Factor(q10, r.Value), r.Value, true
		}
	}
	return 1, 0, false
}

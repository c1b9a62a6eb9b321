package entry

import (
	"math"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Bounds of the short strings of the set-up kinds, bytes: a person's name,
// an identifier (a lot number, a machine's asset number, a size).
const (
	maxName = 80
	maxID   = 40
)

// DisposableItems are the parts of the circuit a disposable entry names.
var DisposableItems = []string{
	"oxygenator", "reservoir", "arterial_filter", "tubing_pack",
	"arterial_cannula", "venous_cannula", "cardioplegia_cannula", "vent",
	"haemofilter", "cardioplegia_set", "other",
}

// ResidualDispositions are what can happen to the volume left in the
// circuit at the end of bypass.
var ResidualDispositions = []string{
	"returned",      // given back to the patient through the arterial line
	"cell_salvage",  // processed by the cell saver, the cells returned
	"bagged",        // drained into a bag for the anaesthetist to give
	"haemofiltered", // concentrated by the haemofilter and returned
	"discarded",
}

// IncidentCategories are the categories of an incident entry.
var IncidentCategories = []string{"equipment", "circuit", "gas", "electrical", "air", "blood", "drug", "communication", "other"}

// BloodGasAnalytes are the result fields of a blood_gas entry, in the
// order of the analyser panel (monitor/channel): each is the field name of
// the abg.* and vbg.* channels and carries the channel's unit.
var BloodGasAnalytes = func() []string {
	out := make([]string, channel.BloodGasAnalytes)
	for i := range out {
		c := channel.Get(channel.ABGPH + channel.ID(i))
		out[i] = c.Field()
	}
	return out
}()

// bloodGasFields are the result fields of a blood_gas entry: the abg.*
// channels' units and plausible ranges.
func bloodGasFields() []FieldSpec {
	out := make([]FieldSpec, 0, channel.BloodGasAnalytes)
	for i := range channel.BloodGasAnalytes {
		c := channel.Get(channel.ABGPH + channel.ID(i))
		unit := c.Unit
		if unit == channel.PH {
			unit = ""
		}
		help := strings.TrimPrefix(c.Label, "ABG ") + " result, " + c.Unit
		switch c.Field() {
		case "pco2", "po2", "hb", "glucose":
			// pumpside event and the console take these in the site's
			// unit (docs/site.md) and store them in the channel's.
			help = strings.TrimPrefix(c.Label, "ABG ") + " result in the site's unit (stored in " + c.Unit + ")"
		}
		out = append(out, FieldSpec{Key: c.Field(), Unit: unit, Min: c.Min, Max: c.Max, Help: help})
	}
	return out
}

// checkBloodGas: results need the sample they came from, which decides
// their channels.
func checkBloodGas(e Entry) error {
	if len(e.Num) > 0 && e.Str["sample"] == "" {
		return &FieldError{Kind: e.Kind, Field: "sample", Reason: "is required with results (it decides abg.* or vbg.*)", Allowed: "arterial, venous, mixed_venous"}
	}
	return nil
}

// Result is one analyte of a manual blood gas as it goes on its channel:
// "abg.k" 4.2.
type Result struct {
	Channel channel.ID
	Value   float64
}

// BloodGasResults returns the results of a blood_gas entry on their
// channels (arterial: abg.*, venous and mixed venous: vbg.*), in panel
// order, to be put on the operator's source at the entry's time so that
// derived values and alarms use them as they use an analyser's. None for
// another kind, or without a sample.
func BloodGasResults(e Entry) []Result {
	if e.Kind != KindBloodGas {
		return nil
	}
	first := channel.ABGPH
	switch e.Str["sample"] {
	case "arterial":
	case "venous", "mixed_venous":
		first = channel.VBGPH
	default:
		return nil
	}
	var out []Result
	for i, a := range BloodGasAnalytes {
		if v, ok := e.Num[a]; ok {
			out = append(out, Result{Channel: first + channel.ID(i), Value: v})
		}
	}
	return out
}

// Solution is a cardioplegia solution as the site uses it: what part of a
// dose is crystalloid (the rest is the patient's blood) and how long a
// dose protects the heart before the next is due.
type Solution struct {
	Name    string
	Aliases []string
	// CrystalloidFraction is the crystalloid part of a dose, 0..1; NaN
	// when the site has not said.
	CrystalloidFraction float64
	// Redose is the longest interval from a dose to the next (or to the
	// end of the cross-clamp) before a re-dose is overdue.
	Redose time.Duration
}

// DefaultRedose is the re-dose interval of a solution the table does not
// know: multidose cardioplegia, 20 min (perfusion.md §3: 20–30 min,
// Durandy 2015).
const DefaultRedose = 20 * time.Minute

// DefaultSolutions are the solutions Pumpside knows without a site table.
// The ratios are the solutions' definitions: del Nido is 4 parts
// crystalloid to 1 part blood; "blood 4:1" is 4 parts blood to 1 part
// crystalloid; HTK (Custodiol) is all crystalloid. The intervals are the
// usual re-dose times of perfusion.md §3 (multidose 20 min; del Nido one
// dose for up to 90 min, Matte & del Nido 2012; HTK single dose up to
// 180 min; Durandy 2015, Perfusion 2021), the same as the alarm profile's
// formulary (alarms/default.toml): a site sets its own in its site file.
func DefaultSolutions() []Solution {
	return []Solution{
		{Name: "del Nido", Aliases: []string{"delnido", "del nido cardioplegia"}, CrystalloidFraction: 0.8, Redose: 90 * time.Minute},
		{Name: "blood 4:1", Aliases: []string{"4:1", "blood cardioplegia 4:1", "4:1 blood"}, CrystalloidFraction: 0.2, Redose: 20 * time.Minute},
		{Name: "HTK", Aliases: []string{"custodiol", "bretschneider"}, CrystalloidFraction: 1, Redose: 180 * time.Minute},
	}
}

// LookupSolution finds a solution by name or alias, ignoring case and
// surrounding spaces; sols nil means DefaultSolutions.
func LookupSolution(sols []Solution, name string) (Solution, bool) {
	if sols == nil {
		sols = DefaultSolutions()
	}
	n := strings.ToLower(strings.TrimSpace(name))
	for _, s := range sols {
		if strings.ToLower(s.Name) == n {
			return s, true
		}
		for _, a := range s.Aliases {
			if strings.ToLower(a) == n {
				return s, true
			}
		}
	}
	return Solution{}, false
}

// CompleteCardioplegia fills a cardioplegia entry's crystalloid_ml from
// its solution's crystalloid fraction (sols nil: DefaultSolutions) when
// the entry has a volume and no crystalloid_ml, and spells the solution as
// the table does. Other entries are left as they are.
func CompleteCardioplegia(e *Entry, sols []Solution) {
	if e.Kind != KindCardioplegia {
		return
	}
	s, ok := LookupSolution(sols, e.Str["solution"])
	if !ok {
		return
	}
	e.SetStr("solution", s.Name)
	vol, hasVol := e.Num["volume_ml"]
	if _, has := e.Num["crystalloid_ml"]; has || !hasVol || math.IsNaN(s.CrystalloidFraction) {
		return
	}
	e.SetNum("crystalloid_ml", math.Round(vol*s.CrystalloidFraction))
}

// analyteLabel is how a blood gas result is named in an entry's text:
// "pCO2", "K+".
func analyteLabel(key string) string {
	for i, a := range BloodGasAnalytes {
		if a == key {
			return strings.TrimPrefix(channel.Get(channel.ABGPH+channel.ID(i)).Label, "ABG ")
		}
	}
	return key
}

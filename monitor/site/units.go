package site

import (
	"math"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
)

// The display units a site may choose.
const (
	MMHg           = channel.MMHg
	KPa            = "kPa"
	GPerDL         = channel.GPerDL
	GPerL          = "g/L"
	MmolPerL       = channel.MmolPerL
	MgPerDL        = "mg/dL"
	defaultGas     = MMHg
	defaultHb      = GPerDL
	defaultGlucose = MmolPerL
)

// Conversion factors, display value = stored value × factor.
const (
	// KPaPerMMHg: 1 mmHg = 101.325 kPa / 760 (the standard atmosphere).
	KPaPerMMHg = 101.325 / 760
	// MgPerDLPerMmolPerL: glucose C6H12O6, molar mass 180.156 g/mol, so
	// 1 mmol/L = 180.156 mg/L = 18.0156 mg/dL.
	MgPerDLPerMmolPerL = 18.0156
	// GPerLPerGPerDL: 1 g/dL = 10 g/L.
	GPerLPerGPerDL = 10
)

// Units are the units the site shows gases, haemoglobin and glucose in.
// The zero Units shows every channel in its own unit (mmHg, g/dL, mmol/L).
type Units struct {
	// Gas is MMHg or KPa: partial pressures of blood and gas (pO2, pCO2,
	// exhaust and end-tidal CO2). Blood pressures stay in mmHg.
	Gas string
	// Hb is GPerDL or GPerL.
	Hb string
	// Glucose is MmolPerL or MgPerDL.
	Glucose string
}

// Display is how a channel's values are shown: Value = stored × Factor,
// with Precision decimals, in Unit.
type Display struct {
	Unit      string
	Factor    float64
	Precision int
}

// Value converts a stored value to the display unit.
func (d Display) Value(v float64) float64 { return v * d.Factor }

// Stored converts a value typed in the display unit to the channel's.
func (d Display) Stored(v float64) float64 {
	if d.Factor == 1 {
		return v
	}
	return v / d.Factor
}

// Format shows a stored value in the display unit, without the unit; ""
// for a value that is not a finite number.
func (d Display) Format(v float64) string {
	return string(d.Append(nil, v))
}

// Append is Format appending to dst: it allocates only when dst is too
// small.
func (d Display) Append(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst
	}
	return strconv.AppendFloat(dst, d.Value(v), 'f', d.Precision, 64)
}

// Converted reports whether the display differs from the channel's unit.
func (d Display) Converted() bool { return d.Factor != 1 }

// gasTension reports whether a channel is a partial pressure of a gas
// (pO2, pCO2, exhaust or end-tidal CO2), by its field name and unit.
func gasTension(c *channel.Channel) bool {
	if c.Unit != channel.MMHg {
		return false
	}
	f := c.Field()
	return strings.HasSuffix(f, "po2") || strings.HasSuffix(f, "co2")
}

// Display returns how c's values are shown at the site.
func (u Units) Display(c *channel.Channel) Display {
	d := Display{Unit: c.Unit, Factor: 1, Precision: c.Precision}
	switch {
	case u.Gas == KPa && gasTension(c):
		// kPa keeps the usual analyser resolution: pCO2 5.33, pO2 30.9.
		d = Display{Unit: KPa, Factor: KPaPerMMHg, Precision: 2}
		if strings.HasSuffix(c.Field(), "po2") {
			d.Precision = 1
		}
	case u.Hb == GPerL && c.Unit == channel.GPerDL:
		d = Display{Unit: GPerL, Factor: GPerLPerGPerDL, Precision: max(0, c.Precision-1)}
	case u.Glucose == MgPerDL && c.Unit == channel.MmolPerL && c.Field() == "glucose":
		d = Display{Unit: MgPerDL, Factor: MgPerDLPerMmolPerL, Precision: 0}
	}
	return d
}

// DisplayName is Display of the channel named name ("abg.pco2"); a
// channel outside the vocabulary is shown as it is stored, with unit and
// precision unknown ("" and 1).
func (u Units) DisplayName(name string) Display {
	if id, ok := channel.Lookup(name); ok {
		return u.Display(channel.Get(id))
	}
	return Display{Factor: 1, Precision: 1}
}

// Column is how a table a person reads heads the column of the channel
// named name (a CSV export): the name, followed by the unit when the site
// shows the channel in another unit than the stored one ("abg.pco2
// (kPa)"), and the display of its values.
func (u Units) Column(name string) (header string, d Display) {
	d = u.DisplayName(name)
	if !d.Converted() {
		return name, d
	}
	return name + " (" + d.Unit + ")", d
}

// check reports the first unit that is not one of the choices, with the
// key it came from.
func (u *Units) check() (key, value string, choices []string) {
	if u.Gas == "" {
		u.Gas = defaultGas
	}
	if u.Hb == "" {
		u.Hb = defaultHb
	}
	if u.Glucose == "" {
		u.Glucose = defaultGlucose
	}
	switch {
	case u.Gas != MMHg && u.Gas != KPa:
		return "units.gas", u.Gas, []string{MMHg, KPa}
	case u.Hb != GPerDL && u.Hb != GPerL:
		return "units.hb", u.Hb, []string{GPerDL, GPerL}
	case u.Glucose != MmolPerL && u.Glucose != MgPerDL:
		return "units.glucose", u.Glucose, []string{MmolPerL, MgPerDL}
	}
	return "", "", nil
}

// BloodGasStored converts the results of a blood_gas entry typed in the
// site's units (pCO2 in kPa, Hb in g/L, ...) to the channels' units, in
// place: the case file and the pipeline keep the channel's unit. A value
// outside the channel's plausible range is refused (*entry.FieldError)
// with the range in the unit it was typed in. Other kinds are left alone.
func (u Units) BloodGasStored(e *entry.Entry) error {
	if e.Kind != entry.KindBloodGas {
		return nil
	}
	for i, a := range entry.BloodGasAnalytes {
		v, ok := e.Num[a]
		if !ok {
			continue
		}
		c := channel.Get(channel.ABGPH + channel.ID(i))
		d := u.Display(c)
		if !d.Converted() {
			continue
		}
		lo, hi := d.Value(c.Min), d.Value(c.Max)
		if math.IsNaN(v) || v < lo || v > hi {
			f := func(x float64) string { return strconv.FormatFloat(x, 'f', d.Precision, 64) }
			return &entry.FieldError{Kind: e.Kind, Field: a, Value: strconv.FormatFloat(v, 'g', -1, 64) + " " + d.Unit,
				Reason: "is outside the range", Allowed: f(lo) + "–" + f(hi) + " " + d.Unit}
		}
		e.Num[a] = d.Stored(v)
	}
	return nil
}

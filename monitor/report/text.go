package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"maps"
)

// none stands for an unknown value: it is never shown as a number.
const none = "—"

func num(v float64, prec int, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return none
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if unit != "" {
		s += " " + unit
	}
	return s
}

// dur formats a duration as h:mm:ss and minutes.
func dur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d:%02d (%.1f min)", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Minutes())
}

// nadirText is an extreme value with its time and channel, in the site's
// display unit when the site converts that channel (else prec and unit).
func (s *CaseSummary) nadirText(n Nadir, prec int, unit string) string {
	if !n.Valid() {
		return none
	}
	v := n.Value
	if d := s.Settings.Units.DisplayName(n.Channel); d.Converted() {
		v, prec, unit = d.Value(v), d.Precision, d.Unit
	}
	return fmt.Sprintf("%s at %s (%s)", num(v, prec, unit), s.hms(n.Time), n.Channel)
}

// hms is a time of day in the summary's zone, hh:mm:ss.
func (s *CaseSummary) hms(t time.Time) string {
	if t.IsZero() {
		return none
	}
	return t.In(s.Settings.loc()).Format("15:04:05")
}

// stamp is a date and time in the summary's zone, with the zone's
// abbreviation: "2026-03-01 09:10:00 CET".
func (s *CaseSummary) stamp(t time.Time) string {
	if t.IsZero() {
		return none
	}
	return t.In(s.Settings.loc()).Format("2006-01-02 15:04:05 MST")
}

// ZoneText names the zone the outputs' times are in, with its
// abbreviation and offset at the case start: "Europe/London (GMT,
// UTC+00:00)".
func (s *CaseSummary) ZoneText() string {
	loc := s.Settings.loc()
	at := s.Start
	if at.IsZero() {
		at = time.Unix(0, 0)
	}
	return loc.String() + " (" + at.In(loc).Format("MST, UTC-07:00") + ")"
}

// Header returns the report header's lines: the case label, patient size
// and, only when identified, the identifiers.
func (s *CaseSummary) Header() [][2]string {
	h := [][2]string{
		{"Case", s.Label},
		{"Height", num(s.HeightCm, 0, "cm")},
		{"Weight", num(s.WeightKg, 1, "kg")},
		{"BSA", num(s.BSA, 2, "m²")},
		{"Age", num(s.AgeYears, 0, "years")},
		{"Sex", orNone(s.Sex)},
		{"Recorded", s.stamp(s.Start) + " to " + s.stamp(s.End)},
		{"Times", "local time of the theatre, " + s.ZoneText()},
		{"Procedure", orNone(joinNonEmpty(", ", s.Procedure, s.Urgency))},
		{"Record", s.SignOffText()},
	}
	if t := s.ECMO.String(); t != "" {
		h = slices.Insert(h, len(h)-1, [2]string{"ECMO", t})
	}
	if !s.Identified {
		h[0][0] = "Case (pseudonym)"
	}
	for _, k := range slices.Sorted(maps.Keys(s.Identifiers)) {
		h = append(h, [2]string{"Identifier " + k, s.Identifiers[k]})
	}
	return h
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// Rows returns the summary as label/value pairs, in report order.
func (s *CaseSummary) Rows() [][2]string {
	l := s.Settings.Limits
	r := [][2]string{
		{"Bypass", dur(s.Bypass)},
		{"On / off bypass", s.stamp(s.BypassStart) + " / " + s.stamp(s.BypassEnd)},
		{"Cross-clamp", dur(s.CrossClamp)},
		{"Circulatory arrest (cerebral perfusion included)", dur(s.Arrest)},
		{"Full flow (the on-bypass figures count over it)", dur(s.FullFlow)},
		{"Weaning (partial bypass)", dur(s.Weaning)},
		{"Antegrade cerebral perfusion", dur(s.ACP)},
		{"Retrograde cerebral perfusion", dur(s.RCP)},
		{"Lowest temperature", s.nadirText(s.LowestTemp, 1, "°C")},
		{"Highest arterial outlet", s.nadirText(s.MaxOutlet, 1, "°C")},
		{"Nadir Hct", s.nadirText(s.NadirHct, 1, "%")},
		{"Nadir DO2i", s.nadirText(s.NadirDO2i, 0, "mL/min/m²")},
		{s.do2iBelowLabel(), dur(s.DO2iBelow)},
		{"DO2i area below threshold", num(s.DO2iAreaBelow, 1, "mL/min/m² × min")},
		{fmt.Sprintf("MAP < %g mmHg", l.MAPLow), dur(s.MAPBelow)},
		{fmt.Sprintf("SvO2 < %g %%", l.SvO2Low), dur(s.SvO2Below)},
		{fmt.Sprintf("Arterial outlet >= %g °C", l.OutletHigh), dur(s.OutletHigh)},
		{fmt.Sprintf("|A–V gradient| > %g °C", l.AVGradientHigh), dur(s.AVGradientHigh)},
		{fmt.Sprintf("|A–V gradient| > %g °C, outlet >= %g °C", s.Settings.AVGradientWarm, s.Settings.WarmFrom), dur(s.AVGradientWarmHigh)},
		{fmt.Sprintf("Rewarming > %g °C/min, outlet >= %g °C", s.Settings.RewarmRateHigh, s.Settings.WarmFrom), dur(s.RewarmRateHigh)},
	}
	for _, k := range slices.Sorted(maps.Keys(s.FluidsIn)) {
		r = append(r, [2]string{"Fluid in: " + k, vol(s.FluidsIn[k])})
	}
	r = append(r,
		[2]string{"Cardioplegia", vol(s.Cardioplegia)},
		[2]string{"Cardioplegia counted (crystalloid, less discarded)", num(s.CardioplegiaCounted, 0, "mL")},
		[2]string{"Cell salvage returned", vol(s.CellSalvage)},
	)
	for _, k := range slices.Sorted(maps.Keys(s.BloodProducts)) {
		r = append(r, [2]string{"Blood product: " + k, vol(s.BloodProducts[k])})
	}
	r = append(r,
		[2]string{"Urine", vol(s.Urine)},
		[2]string{"Haemofiltration removed", vol(s.Haemofiltration)},
		[2]string{"Fluid balance (in − out)", num(s.Balance, 0, "mL")},
	)
	for _, d := range s.Drugs {
		r = append(r, [2]string{"Drug: " + d.Name, d.String()})
	}
	r = append(r, s.recordRows()...)
	r = append(r, [2]string{"Alarm activations", s.AlarmText()})
	for _, c := range s.Completeness {
		r = append(r, [2]string{"Fresh data on bypass: " + c.Channel, num(100*c.Share, 1, "%")})
	}
	if s.BadLines > 0 {
		r = append(r, [2]string{"Bad lines in the case file", strconv.Itoa(s.BadLines)})
	}
	return r
}

func vol(v Volume) string {
	if v.Count == 0 {
		return none
	}
	return fmt.Sprintf("%s (%d)", num(v.ML, 0, "mL"), v.Count)
}

// gasColumns are the blood-gas table's analytes, with their units as
// stored (the channels').
var gasColumns = []struct{ key, label, unit string }{
	{"ph", "pH", ""}, {"pco2", "pCO2", "mmHg"}, {"po2", "pO2", "mmHg"}, {"so2", "sO2", "%"}, {"hb", "Hb", "g/dL"},
	{"hct", "Hct", "%"}, {"k", "K+", "mmol/L"}, {"na", "Na+", "mmol/L"}, {"ica", "iCa", "mmol/L"},
	{"glucose", "Glucose", "mmol/L"}, {"lactate", "Lactate", "mmol/L"}, {"be", "BE", "mmol/L"}, {"hco3", "HCO3", "mmol/L"},
}

// gasUnit is the unit a blood-gas column is shown in at the site.
func (s *CaseSummary) gasUnit(i int) string {
	if d := s.Settings.Units.DisplayName("abg." + gasColumns[i].key); d.Converted() {
		return d.Unit
	}
	return gasColumns[i].unit
}

func (s *CaseSummary) gasCell(g BloodGas, key string) string {
	v, ok := g.Values[key]
	if !ok {
		return none
	}
	if d := s.Settings.Units.DisplayName("abg." + key); d.Converted() {
		return num(d.Value(v), d.Precision, "")
	}
	p := 1
	switch key {
	case "ph", "ica":
		p = 2
	case "pco2", "po2", "so2", "na", "hct":
		p = 0
	}
	return num(v, p, "")
}

// String says the drug's total as the record holds it: the sum of the
// recorded doses, and the entries without a dose, which are not counted
// as 0 ("dose not recorded").
func (d DrugTotal) String() string {
	var parts []string
	if d.Count > 0 {
		plural := "s"
		if d.Count == 1 {
			plural = ""
		}
		parts = append(parts, fmt.Sprintf("%s total (%d dose%s)", num(d.Total, 1, d.Unit), d.Count, plural))
	}
	switch {
	case d.Undosed == 1:
		parts = append(parts, "1 entry with no dose recorded")
	case d.Undosed > 1:
		parts = append(parts, fmt.Sprintf("%d entries with no dose recorded", d.Undosed))
	}
	return strings.Join(parts, "; ")
}

// AlarmText is the alarm activations by priority, and where they come
// from: "not recorded" for a file without an alarm log (never 0s).
func (s *CaseSummary) AlarmText() string {
	if s.AlarmLog == AlarmLogNone {
		return "not recorded (the file has no alarm log)"
	}
	var al []string
	for _, p := range []string{"high", "medium", "low"} {
		al = append(al, fmt.Sprintf("%s %d", p, s.AlarmsByPriority[p]))
	}
	t := strings.Join(al, ", ")
	if s.AlarmLog == AlarmLogComputed {
		t += " (computed from the samples with the default profile, as replay does: the file has no alarm log)"
	}
	return t
}

// do2iBelowLabel names the time below the DO2i threshold, with the
// threshold's scaling when it scales with the temperature (Settings.DO2iQ10).
func (s *CaseSummary) do2iBelowLabel() string {
	if len(s.do2iLim.temps) > 0 {
		return fmt.Sprintf("DO2i < %g mL/min/m² × %g^((T − 37)/10) below 37 °C", s.DO2iThreshold, s.Settings.DO2iQ10)
	}
	return fmt.Sprintf("DO2i < %g mL/min/m²", s.DO2iThreshold)
}

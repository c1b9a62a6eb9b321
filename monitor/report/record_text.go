package report

import (
	"fmt"
	"math"
	"strings"
	"time"
)

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// SignOffText is the record's state as the header shows it: who signed it
// off and when, or UNSIGNED until the perfusionist signs.
func (s *CaseSummary) SignOffText() string {
	if !s.SignOff.Signed() {
		return "UNSIGNED: not yet signed off by the perfusionist"
	}
	t := "signed off by " + s.SignOff.Name + " at " + s.stamp(s.SignOff.Time)
	if s.EditsAfterSignOff > 0 {
		t += fmt.Sprintf("; amended after sign-off (%d edits)", s.EditsAfterSignOff)
	}
	return t
}

// mlText is a volume in mL, "—" when unknown.
func mlText(v float64) string { return num(v, 0, "mL") }

// SetupRows are the case set-up as label/value pairs: procedure, team,
// machines, venous drainage, prime and priming, checklist. Disposables
// are their own table (DisposableRows).
func (s *CaseSummary) SetupRows() [][2]string {
	r := [][2]string{
		{"Procedure", orNone(s.Procedure)},
		{"Urgency", orNone(s.Urgency)},
	}
	for _, t := range s.Team.Roles() {
		r = append(r, [2]string{"Team: " + t[0], t[1]})
	}
	if len(s.Team.Roles()) == 0 {
		r = append(r, [2]string{"Team", none})
	}
	r = append(r,
		[2]string{"Heart-lung machine", orNone(s.HLM)},
		[2]string{"Heater-cooler", orNone(s.HeaterCooler)},
		[2]string{"Venous drainage", orNone(map[string]string{"gravity": "gravity", "vacuum": "vacuum-assisted"}[s.VenousDrainage])},
	)
	for _, p := range s.Prime {
		r = append(r, [2]string{"Prime: " + orNone(p.Name), mlText(p.ML)})
	}
	for _, d := range s.PrimeAdditives {
		r = append(r, [2]string{"Prime additive: " + d.Name, d.String()})
	}
	r = append(r,
		[2]string{"Prime volume", mlText(s.PrimeML)},
		[2]string{"Retrograde autologous priming", mlText(s.RAPML)},
		[2]string{"Net prime (prime − RAP)", mlText(s.NetPrimeML)},
	)
	cl := none
	if s.Checklist.Signed() {
		cl = fmt.Sprintf("%s: signed by %s at %s", s.Checklist.What, s.Checklist.Name, s.stamp(s.Checklist.Time))
		if !s.ChecklistBeforeBypass {
			cl += " (not before going on bypass)"
		}
	}
	r = append(r, [2]string{"Checklist", cl})
	return r
}

// DisposableColumns are the columns of DisposableRows.
var DisposableColumns = []string{"item", "product", "size", "site", "lot"}

// DisposableRows are the disposables, one row each.
func (s *CaseSummary) DisposableRows() [][]string {
	var out [][]string
	for _, d := range s.Disposables {
		out = append(out, []string{strings.ReplaceAll(d.Item, "_", " "), orNone(d.Product), orNone(d.Size), orNone(d.Site), orNone(d.Lot)})
	}
	return out
}

// recordRows are the summary's figures of the record: blood, laboratory
// extremes, anticoagulation, cardioplegia, ACP, close.
func (s *CaseSummary) recordRows() [][2]string {
	r := [][2]string{
		{"Baseline Hb (before bypass)", s.nadirText(s.HbBaseline, 1, "g/dL")},
		{"Lowest Hb on bypass", s.nadirText(s.HbLowest, 1, "g/dL")},
		{"Baseline Hct (before bypass)", s.nadirText(s.HctBaseline, 1, "%")},
		{"Highest lactate on bypass", s.nadirText(s.LactateMax, 1, "mmol/L")},
		{"Highest glucose on bypass", s.nadirText(s.GlucoseMax, 1, "mmol/L")},
		{"Peak K+ on bypass", s.nadirText(s.PotassiumMax, 1, "mmol/L")},
		{"Heparin total", doses(s.HeparinIU, 0, "IU", s.HeparinDoses)},
		{"Protamine total", doses(s.ProtamineMg, 0, "mg", s.ProtamineDoses)},
		{"Protamine : heparin", num(s.ProtamineRatio, 2, "mg per 100 IU")},
		{"ACT baseline (before heparin)", s.nadirText(s.ACTBaseline, 0, "s")},
		{"ACT after heparin (first)", s.nadirText(s.ACTPostHeparin, 0, "s")},
		{"Lowest ACT on bypass", s.nadirText(s.ACTLowestOnBypass, 0, "s")},
		{"Cardioplegia solution", orNone(strings.Join(s.CardioplegiaSolutions, ", "))},
		{"Cardioplegia doses, total", vol(s.Cardioplegia)},
		{"Cardioplegia crystalloid", s.crystalloidText()},
		{"Longest cardioplegia interval", s.intervalText(s.CardioplegiaLongest)},
	}
	if s.ACP > 0 {
		r = append(r,
			[2]string{"Antegrade cerebral perfusion", dur(s.ACP)},
			[2]string{"ACP flow (mean)", num(s.ACPFlowLMin, 2, "L/min") + " = " + num(s.ACPFlowMLKgMin, 1, "mL/kg/min")},
			[2]string{"ACP nasopharyngeal temperature (mean)", num(s.ACPTempC, 1, "°C")},
		)
	}
	if len(s.ResidualVolumes) == 0 {
		r = append(r, [2]string{"Residual pump volume", none})
	}
	for _, v := range s.ResidualVolumes {
		r = append(r, [2]string{"Residual pump volume", fmt.Sprintf("%s %s at %s", mlText(v.ML), strings.ReplaceAll(v.Disposition, "_", " "), s.hms(v.Time))})
	}
	if len(s.Incidents) == 0 {
		r = append(r, [2]string{"Incidents", "none recorded"})
	}
	for _, in := range s.Incidents {
		label := "Incident " + s.hms(in.Time)
		if in.Category != "" {
			label += " (" + in.Category + ")"
		}
		r = append(r, [2]string{label, in.Text})
	}
	r = append(r, [2]string{"Sign-off", s.SignOffText()})
	return r
}

func doses(v float64, prec int, unit string, n int) string {
	if math.IsNaN(v) {
		return none
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return fmt.Sprintf("%s (%d dose%s)", num(v, prec, unit), n, plural)
}

func (s *CaseSummary) crystalloidText() string {
	if s.Cardioplegia.Count == 0 {
		return none
	}
	t := mlText(s.CardioplegiaCrystalloidML)
	if n := s.CardioplegiaCrystalloidUnknown; n > 0 {
		t += fmt.Sprintf(" (and %d doses of unknown composition)", n)
	}
	return t
}

func (s *CaseSummary) intervalText(iv CardioplegiaInterval) string {
	if iv.From.IsZero() {
		return none
	}
	t := fmt.Sprintf("%s from %s to %s", minText(iv.Length()), s.hms(iv.From), s.hms(iv.To))
	if iv.Overdue() {
		t += " (OVERDUE: re-dose due after " + minText(iv.Redose) + ")"
	}
	return t
}

// GridHeader is the observation grid's time labels (hh:mm in the zone).
func (s *CaseSummary) GridHeader() []string {
	out := make([]string, len(s.Grid.Times))
	for i, t := range s.Grid.Times {
		out[i] = t.In(s.Settings.loc()).Format("15:04")
	}
	return out
}

// Cell is the value of row at time index i as shown: the site's unit
// and precision, "" for no value.
func (g *ObservationGrid) Cell(row, i int) string {
	r := &g.Rows[row]
	return r.Display.Format(r.Values[i])
}

// GridTitle describes the grid: "every 15 min on bypass (Europe/London)".
func (s *CaseSummary) GridTitle() string {
	return fmt.Sprintf("every %d min on bypass, theatre time (%s)", int(s.Grid.Interval/time.Minute), s.Settings.loc().String())
}

// ECMOConfig is an ECMO run's mode and cannulation sites, as recorded
// (entry.KindECMOConfig); empty strings where not recorded.
type ECMOConfig struct {
	Mode, Drainage, Return, Return2 string
}

// String is the configuration in one line, "VV, femoral vein →
// jugular vein"; "" when no mode is recorded.
func (c ECMOConfig) String() string {
	if c.Mode == "" {
		return ""
	}
	site := func(s string) string { return strings.ReplaceAll(s, "_", " ") }
	t := strings.ToUpper(c.Mode)
	if c.Drainage != "" || c.Return != "" {
		t += ", " + orNone(site(c.Drainage)) + " → " + orNone(site(c.Return))
	}
	if c.Return2 != "" {
		t += " + " + site(c.Return2)
	}
	return t
}

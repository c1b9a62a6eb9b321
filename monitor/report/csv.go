package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/site"
)

// SummaryColumns are the columns of WriteSummaryCSV, in order; documented
// in docs/export.md.
var SummaryColumns = []string{
	"case", "identified", "ident_name", "ident_hospital_number",
	"start", "end", "height_cm", "weight_kg", "bsa_m2", "age_years", "sex",
	"bypass_min", "cross_clamp_min", "arrest_min", "full_flow_min", "weaning_min", "acp_min", "rcp_min",
	"lowest_temp_c", "nadir_hct_pct", "nadir_do2i", "do2i_threshold", "do2i_below_min", "do2i_area_below",
	"map_below_min", "svo2_below_min", "outlet_high_min", "av_gradient_high_min", "av_gradient_warm_high_min", "rewarm_rate_high_min",
	"fluids_in_ml", "cardioplegia_ml", "cell_salvage_ml", "blood_products_ml", "blood_units", "urine_ml", "haemofiltration_ml", "balance_ml",
	"alarms_high", "alarms_medium", "alarms_low",
	"completeness_min_pct", "missing_items", "bad_lines",
	// The perfusion record (issue 17); Hb and glucose in the site's units
	// (SummaryHeader).
	"time_zone", "procedure", "urgency",
	"surgeon", "anaesthetist", "perfusionist", "trainee", "supervisor",
	"hlm", "heater_cooler", "venous_drainage", "oxygenator", "oxygenator_lot", "disposables",
	"prime_ml", "rap_ml", "net_prime_ml", "checklist_signed", "checklist_time",
	"hb_baseline_g_dl", "hb_lowest_g_dl", "hct_baseline_pct",
	"lactate_max_mmol_l", "glucose_max_mmol_l", "k_max_mmol_l",
	"heparin_iu", "protamine_mg", "protamine_mg_per_100iu",
	"act_baseline_s", "act_post_heparin_s", "act_lowest_bypass_s",
	"cardioplegia_doses", "cardioplegia_solutions", "cardioplegia_crystalloid_ml", "cardioplegia_longest_interval_min", "cardioplegia_overdue",
	"acp_flow_l_min", "acp_flow_ml_kg_min", "acp_temp_c",
	"residual_volume_ml", "residual_disposition", "incidents",
	"signed_off", "signed_off_time", "signed_off_by",
}

// siteColumns are the summary's columns whose values the site may show in
// another unit, with the channel whose display they follow (docs/site.md).
// Their names end in the unit (hb_baseline_g_dl), which SummaryHeader
// changes with it.
var siteColumns = map[string]string{
	"hb_baseline_g_dl": "abg.hb", "hb_lowest_g_dl": "abg.hb", "glucose_max_mmol_l": "abg.glucose",
}

// SummaryHeader is the header of the summary CSV at a site with units u:
// SummaryColumns, the Hb and glucose columns named for the unit their
// values are in (hb_baseline_g_l on a g/L site, glucose_max_mg_dl on an
// mg/dL one). The zero Units: SummaryColumns.
func SummaryHeader(u site.Units) []string {
	out := make([]string, len(SummaryColumns))
	for i, c := range SummaryColumns {
		out[i] = c
		if ch, ok := siteColumns[c]; ok {
			out[i] = unitColumn(c, ch, u)
		}
	}
	return out
}

// unitColumn renames col, whose name ends in the unit of channel ch as
// stored (glucose_max_mmol_l), for the unit the site shows ch in
// (glucose_max_mg_dl); col as it is when the site does not convert ch.
func unitColumn(col, ch string, u site.Units) string {
	id, ok := channel.Lookup(ch)
	if !ok {
		return col
	}
	c := channel.Get(id)
	d := u.Display(c)
	from := "_" + unitSlug(c.Unit)
	if !d.Converted() || !strings.HasSuffix(col, from) {
		return col
	}
	return strings.TrimSuffix(col, from) + "_" + unitSlug(d.Unit)
}

// unitSlug is a unit as a column name's suffix: "mg/dL" is "mg_dl".
func unitSlug(u string) string { return strings.ToLower(strings.ReplaceAll(u, "/", "_")) }

// siteValue is a figure of channel ch in the site's unit with the
// display's decimals, or in the channel's with prec decimals; "" for
// none.
func siteValue(v float64, ch string, prec int, u site.Units) string {
	if d := u.DisplayName(ch); d.Converted() {
		return f(d.Value(v), d.Precision)
	}
	return f(v, prec)
}

// WriteSummaryCSV writes one header row and one row per case. An unknown
// value is an empty cell, never a number. The identifier columns are empty
// unless the summary was built with Privacy.Identify. Hb and glucose are
// in the display units of the first summary's site (Settings.Units), which
// the header names (SummaryHeader): the rows of one file share them.
func WriteSummaryCSV(w io.Writer, summaries ...*CaseSummary) error {
	var u site.Units
	if len(summaries) > 0 {
		u = summaries[0].Settings.Units
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(SummaryHeader(u)); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	for _, s := range summaries {
		if err := cw.Write(s.csvRow(u)); err != nil {
			return fmt.Errorf("report: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

func f(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func mins(d time.Duration) string { return strconv.FormatFloat(d.Minutes(), 'f', 2, 64) }

// ts is an RFC 3339 time in the summary's zone, with its offset.
func (s *CaseSummary) ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.Settings.loc()).Format(time.RFC3339)
}

func (s *CaseSummary) fluidsIn() float64 {
	v := 0.0
	for _, x := range s.FluidsIn {
		v += x.ML
	}
	return v
}

func (s *CaseSummary) bloodML() float64 {
	v := 0.0
	for _, x := range s.BloodProducts {
		v += x.ML
	}
	return v
}

// MinCompleteness is the lowest share of fresh data over the key channels
// (0..1), NaN without bypass.
func (s *CaseSummary) MinCompleteness() float64 {
	m := math.NaN()
	for _, c := range s.Completeness {
		if math.IsNaN(m) || c.Share < m {
			m = c.Share
		}
	}
	return m
}

func (s *CaseSummary) csvRow(u site.Units) []string {
	nadir := func(n Nadir, p int) string {
		if !n.Valid() {
			return ""
		}
		return f(n.Value, p)
	}
	return append([]string{
		s.Label, strconv.FormatBool(s.Identified), s.Identifiers["name"], s.Identifiers["hospital_number"],
		s.ts(s.Start), s.ts(s.End), f(s.HeightCm, 1), f(s.WeightKg, 1), f(s.BSA, 3), f(s.AgeYears, 0), s.Sex,
		mins(s.Bypass), mins(s.CrossClamp), mins(s.Arrest), mins(s.FullFlow), mins(s.Weaning), mins(s.ACP), mins(s.RCP),
		nadir(s.LowestTemp, 1), nadir(s.NadirHct, 1), nadir(s.NadirDO2i, 0), f(s.DO2iThreshold, 0), mins(s.DO2iBelow), f(s.DO2iAreaBelow, 1),
		mins(s.MAPBelow), mins(s.SvO2Below), mins(s.OutletHigh), mins(s.AVGradientHigh), mins(s.AVGradientWarmHigh), mins(s.RewarmRateHigh),
		f(s.fluidsIn(), 0), f(s.Cardioplegia.ML, 0), f(s.CellSalvage.ML, 0), f(s.bloodML(), 0), strconv.Itoa(s.BloodUnits()), f(s.Urine.ML, 0), f(s.Haemofiltration.ML, 0), f(s.Balance, 0),
		s.alarmCell("high"), s.alarmCell("medium"), s.alarmCell("low"),
		f(100*s.MinCompleteness(), 1), strconv.Itoa(len(s.Missing)), strconv.Itoa(s.BadLines),
	}, s.recordCells(u)...)
}

// recordCells are the perfusion record's columns, Hb and glucose in units
// u. Staff names (team, checklist and sign-off) are personal data: only
// with Identify.
func (s *CaseSummary) recordCells(u site.Units) []string {
	staff := func(name string) string {
		if !s.Identified {
			return ""
		}
		return name
	}
	nadir := func(n Nadir, p int) string {
		if !n.Valid() {
			return ""
		}
		return f(n.Value, p)
	}
	shown := func(n Nadir, ch string, p int) string {
		if !n.Valid() {
			return ""
		}
		return siteValue(n.Value, ch, p, u)
	}
	var oxy, oxyLot string
	var disp []string
	for _, d := range s.Disposables {
		if d.Item == "oxygenator" {
			oxy, oxyLot = d.Product, d.Lot
		}
		disp = append(disp, joinNonEmpty(" ", d.Item, d.Product, d.Size, d.Site, lotText(d.Lot)))
	}
	overdue, residual := 0, math.NaN()
	var where []string
	for _, iv := range s.CardioplegiaIntervals {
		if iv.Overdue() {
			overdue++
		}
	}
	for _, v := range s.ResidualVolumes {
		if !math.IsNaN(v.ML) {
			if math.IsNaN(residual) {
				residual = 0
			}
			residual += v.ML
		}
		where = append(where, v.Disposition)
	}
	longest := ""
	if !s.CardioplegiaLongest.From.IsZero() {
		longest = mins(s.CardioplegiaLongest.Length())
	}
	acp := func(v string) string {
		if s.ACP == 0 {
			return ""
		}
		return v
	}
	cardioplegiaCrystalloid := ""
	if s.Cardioplegia.Count > 0 && s.CardioplegiaCrystalloidUnknown == 0 {
		cardioplegiaCrystalloid = f(s.CardioplegiaCrystalloidML, 0)
	}
	checklistTime := ""
	if s.Checklist.Signed() {
		checklistTime = s.ts(s.Checklist.Time)
	}
	signedTime := ""
	if s.SignOff.Signed() {
		signedTime = s.ts(s.SignOff.Time)
	}
	return []string{
		s.Settings.loc().String(), s.Procedure, s.Urgency,
		staff(s.Team.Surgeon), staff(s.Team.Anaesthetist), staff(s.Team.Perfusionist), staff(s.Team.Trainee), staff(s.Team.Supervisor),
		s.HLM, s.HeaterCooler, s.VenousDrainage, oxy, oxyLot, strings.Join(disp, "; "),
		f(s.PrimeML, 0), f(s.RAPML, 0), f(s.NetPrimeML, 0), strconv.FormatBool(s.Checklist.Signed()), checklistTime,
		shown(s.HbBaseline, "abg.hb", 1), shown(s.HbLowest, "abg.hb", 1), nadir(s.HctBaseline, 1),
		nadir(s.LactateMax, 1), shown(s.GlucoseMax, "abg.glucose", 1), nadir(s.PotassiumMax, 1),
		f(s.HeparinIU, 0), f(s.ProtamineMg, 0), f(s.ProtamineRatio, 2),
		nadir(s.ACTBaseline, 0), nadir(s.ACTPostHeparin, 0), nadir(s.ACTLowestOnBypass, 0),
		strconv.Itoa(s.Cardioplegia.Count), strings.Join(s.CardioplegiaSolutions, "; "), cardioplegiaCrystalloid, longest, strconv.Itoa(overdue),
		acp(f(s.ACPFlowLMin, 2)), acp(f(s.ACPFlowMLKgMin, 1)), acp(f(s.ACPTempC, 1)),
		f(residual, 0), strings.Join(where, "; "), strconv.Itoa(len(s.Incidents)),
		strconv.FormatBool(s.SignOff.Signed()), signedTime, staff(s.SignOff.Name),
	}
}

func lotText(lot string) string {
	if lot == "" {
		return ""
	}
	return "lot " + lot
}

// alarmCell is the activations of priority p, empty when the case has no
// alarm log (not recorded, never 0).
func (s *CaseSummary) alarmCell(p string) string {
	if s.AlarmLog == AlarmLogNone {
		return ""
	}
	return strconv.Itoa(s.AlarmsByPriority[p])
}

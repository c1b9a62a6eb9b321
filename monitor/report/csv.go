package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
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
}

// WriteSummaryCSV writes one header row (SummaryColumns) and one row per
// case. An unknown value is an empty cell, never a number. The identifier
// columns are empty unless the summary was built with Privacy.Identify.
func WriteSummaryCSV(w io.Writer, summaries ...*CaseSummary) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SummaryColumns); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	for _, s := range summaries {
		if err := cw.Write(s.csvRow()); err != nil {
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

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
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

func (s *CaseSummary) csvRow() []string {
	nadir := func(n Nadir, p int) string {
		if !n.Valid() {
			return ""
		}
		return f(n.Value, p)
	}
	return []string{
		s.Label, strconv.FormatBool(s.Identified), s.Identifiers["name"], s.Identifiers["hospital_number"],
		ts(s.Start), ts(s.End), f(s.HeightCm, 1), f(s.WeightKg, 1), f(s.BSA, 3), f(s.AgeYears, 0), s.Sex,
		mins(s.Bypass), mins(s.CrossClamp), mins(s.Arrest), mins(s.FullFlow), mins(s.Weaning), mins(s.ACP), mins(s.RCP),
		nadir(s.LowestTemp, 1), nadir(s.NadirHct, 1), nadir(s.NadirDO2i, 0), f(s.DO2iThreshold, 0), mins(s.DO2iBelow), f(s.DO2iAreaBelow, 1),
		mins(s.MAPBelow), mins(s.SvO2Below), mins(s.OutletHigh), mins(s.AVGradientHigh), mins(s.AVGradientWarmHigh), mins(s.RewarmRateHigh),
		f(s.fluidsIn(), 0), f(s.Cardioplegia.ML, 0), f(s.CellSalvage.ML, 0), f(s.bloodML(), 0), strconv.Itoa(s.BloodUnits()), f(s.Urine.ML, 0), f(s.Haemofiltration.ML, 0), f(s.Balance, 0),
		s.alarmCell("high"), s.alarmCell("medium"), s.alarmCell("low"),
		f(100*s.MinCompleteness(), 1), strconv.Itoa(len(s.Missing)), strconv.Itoa(s.BadLines),
	}
}

// alarmCell is the activations of priority p, empty when the case has no
// alarm log (not recorded, never 0).
func (s *CaseSummary) alarmCell(p string) string {
	if s.AlarmLog == AlarmLogNone {
		return ""
	}
	return strconv.Itoa(s.AlarmsByPriority[p])
}

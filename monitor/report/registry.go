package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/site"
)

// Where a registry field's value comes from (docs/export.md,
// "Registries").
const (
	// FromPumpside: the record has it; registry-csv writes it.
	FromPumpside = "Pumpside"
	// FromUser: the record does not have it; the user adds it (the
	// surgical team's data, outcomes, equipment not recorded here).
	FromUser = "user"
	// FromSpec: Pumpside has the facts but the registry's own code list or
	// definition is needed to write the field (codes, categories).
	FromSpec = "registry specification"
)

// RegistryCase is one case as a registry export reads it.
type RegistryCase struct {
	Case    *Case
	Summary *CaseSummary
	Quality []IndicatorResult
}

// RegistryField is one field of a registry's dataset and where its value
// comes from. Value is set for FromPumpside fields only.
type RegistryField struct {
	// Column names the field in registry-csv.
	Column string
	// Field is the registry's field as its published dataset describes
	// it (the wording here; the registry's own field codes are in its
	// specification).
	Field  string
	Source string
	Value  func(r RegistryCase) string
	Note   string
	// Channel, when set, is the channel whose display at the site the
	// value follows (Hb, glucose): Column names its unit as stored, and
	// WriteRegistryCSV names the site's instead (unitColumn).
	Channel string
}

func minutes(d time.Duration) string { return strconv.FormatFloat(math.Round(d.Minutes()), 'f', 0, 64) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func nadirCell(n Nadir, prec int) string {
	if !n.Valid() {
		return ""
	}
	return f(n.Value, prec)
}

func volCell(v Volume) string {
	if v.Count == 0 {
		return ""
	}
	return f(v.ML, 0)
}

// qualityPeak is the value of quality indicator id, of channel ch's unit,
// in the site's (with one decimal in the channel's).
func qualityPeak(id, ch string) func(RegistryCase) string {
	return func(r RegistryCase) string {
		for _, q := range r.Quality {
			if q.Indicator.ID == id && q.Evaluated {
				return siteValue(q.Value, ch, 1, r.Summary.Settings.Units)
			}
		}
		return ""
	}
}

func onBypassMins(f func(s *CaseSummary) time.Duration) func(RegistryCase) string {
	return func(r RegistryCase) string {
		if r.Summary.BypassStart.IsZero() {
			return ""
		}
		return minutes(f(r.Summary))
	}
}

func rbcUnits(r RegistryCase) string {
	n := 0
	for p, v := range r.Summary.BloodProducts {
		if p := strings.ToLower(p); strings.Contains(p, "rbc") || strings.Contains(p, "red") || strings.Contains(p, "prbc") {
			n += v.Count
		}
	}
	return strconv.Itoa(n)
}

func primeVolume(r RegistryCase) string { return volCell(r.Summary.FluidsIn["prime"]) }

var (
	fCase      = RegistryField{Column: "case", Field: "Pumpside record (pseudonym; the case tag with --identify)", Source: FromPumpside, Value: func(r RegistryCase) string { return r.Summary.Label }}
	fDate      = RegistryField{Column: "operation_date", Field: "Date of operation", Source: FromPumpside, Value: func(r RegistryCase) string { return r.Summary.Start.In(r.Summary.Settings.loc()).Format(time.DateOnly) }, Note: "the day the recording started, in the theatre's zone"}
	fHeight    = RegistryField{Column: "height_cm", Field: "Height", Source: FromPumpside, Value: func(r RegistryCase) string { return f(r.Summary.HeightCm, 0) }}
	fWeight    = RegistryField{Column: "weight_kg", Field: "Weight", Source: FromPumpside, Value: func(r RegistryCase) string { return f(r.Summary.WeightKg, 1) }}
	fSex       = RegistryField{Column: "", Field: "Sex", Source: FromSpec, Note: "Pumpside has female/male; the registry's code list applies"}
	fCPBUsed   = RegistryField{Column: "cpb_used", Field: "Cardiopulmonary bypass used", Source: FromPumpside, Value: func(r RegistryCase) string { return yesNo(!r.Summary.BypassStart.IsZero()) }}
	fCPBTime   = RegistryField{Column: "cpb_time_min", Field: "Cumulative cardiopulmonary bypass time (min)", Source: FromPumpside, Value: onBypassMins(func(s *CaseSummary) time.Duration { return s.Bypass })}
	fXCTime    = RegistryField{Column: "cross_clamp_time_min", Field: "Cumulative aortic cross-clamp time (min)", Source: FromPumpside, Value: func(r RegistryCase) string { return minutes(r.Summary.CrossClamp) }}
	fCA        = RegistryField{Column: "circulatory_arrest", Field: "Circulatory arrest", Source: FromPumpside, Value: func(r RegistryCase) string { return yesNo(r.Summary.Arrest > 0) }}
	fCATime    = RegistryField{Column: "circulatory_arrest_min", Field: "Circulatory arrest time (min)", Source: FromPumpside, Value: func(r RegistryCase) string { return minutes(r.Summary.Arrest) }}
	fLowTemp   = RegistryField{Column: "lowest_temp_c", Field: "Lowest core temperature on bypass (°C)", Source: FromPumpside, Value: func(r RegistryCase) string { return nadirCell(r.Summary.LowestTemp, 1) }}
	fMaxOutlet = RegistryField{Column: "max_arterial_outlet_c", Field: "Highest arterial outlet temperature on bypass (°C)", Source: FromPumpside, Value: func(r RegistryCase) string { return nadirCell(r.Summary.MaxOutlet, 1) }}
	fNadirHct  = RegistryField{Column: "nadir_hct_pct", Field: "Lowest haematocrit on bypass (%)", Source: FromPumpside, Value: func(r RegistryCase) string { return nadirCell(r.Summary.NadirHct, 1) }}
	fPeakGluc  = RegistryField{Column: "max_glucose_mmol_l", Field: "Highest glucose on bypass", Source: FromPumpside, Value: qualityPeak("glucose_high", "abg.glucose"), Channel: "abg.glucose", Note: "in the site's glucose unit: mmol/L, or mg/dL in column max_glucose_mg_dl on an mg/dL site; from the analyser results on bypass (the glucose_high indicator's peak)"}
	fRBC       = RegistryField{Column: "rbc_units_intraop", Field: "Red cell units given during the operation", Source: FromPumpside, Value: rbcUnits, Note: "blood_product entries whose product names red cells (RBC, PRBC, red)"}
	fProducts  = RegistryField{Column: "blood_products_ml", Field: "Blood products given (volume)", Source: FromPumpside, Value: func(r RegistryCase) string { return f(r.Summary.bloodML(), 0) }}
	fProdCodes = RegistryField{Column: "", Field: "Blood products by type (FFP, platelets, cryoprecipitate)", Source: FromSpec, Note: "Pumpside records each product by the name entered; the registry's product codes apply"}
	fPrime     = RegistryField{Column: "prime_volume_ml", Field: "Prime volume (mL)", Source: FromPumpside, Value: primeVolume, Note: "fluid entries of kind prime"}
	fUF        = RegistryField{Column: "ultrafiltration_ml", Field: "Ultrafiltration volume removed (mL)", Source: FromPumpside, Value: func(r RegistryCase) string { return volCell(r.Summary.Haemofiltration) }, Note: "conventional and modified ultrafiltration are not told apart"}
	fSalvage   = RegistryField{Column: "cell_salvage_ml", Field: "Cell salvage volume returned (mL)", Source: FromPumpside, Value: func(r RegistryCase) string { return volCell(r.Summary.CellSalvage) }}
	fCPlegia   = RegistryField{Column: "cardioplegia_ml", Field: "Cardioplegia volume (mL)", Source: FromPumpside, Value: func(r RegistryCase) string { return volCell(r.Summary.Cardioplegia) }}
	fCPType    = RegistryField{Column: "", Field: "Cardioplegia type, route and temperature", Source: FromSpec, Note: "Pumpside records solution, route and temperature per dose; the registry's categories apply"}
	fUrine     = RegistryField{Column: "urine_ml", Field: "Urine output (mL)", Source: FromPumpside, Value: func(r RegistryCase) string { return volCell(r.Summary.Urine) }, Note: "over the recording; a registry asking for bypass only needs the entries' times"}
	fDO2i      = RegistryField{Column: "nadir_do2i", Field: "Lowest indexed oxygen delivery (mL/min/m²)", Source: FromPumpside, Value: func(r RegistryCase) string { return nadirCell(r.Summary.NadirDO2i, 0) }}
	fProcedure = RegistryField{Column: "", Field: "Procedure (operation performed)", Source: FromSpec, Note: "the record's procedure text; the registry's procedure codes apply"}
	fUrgency   = RegistryField{Column: "", Field: "Operative urgency", Source: FromSpec, Note: "the record's urgency text, if entered; the registry's categories apply"}
	fIdent     = RegistryField{Column: "", Field: "Patient identifiers (NHS number, hospital number, date of birth)", Source: FromUser, Note: "never in Pumpside's exports without --identify; the registry's submission system holds them"}
	fRisk      = RegistryField{Column: "", Field: "Risk factors and EuroSCORE variables", Source: FromUser}
	fOutcomes  = RegistryField{Column: "", Field: "Outcomes (mortality, stroke, renal failure, re-operation for bleeding)", Source: FromUser}
	fSurgeon   = RegistryField{Column: "", Field: "Consultant surgeon", Source: FromSpec, Note: "the team entry's surgeon (a name); registries use their own surgeon codes"}
	fEquipment = RegistryField{Column: "", Field: "Equipment: pump type, oxygenator, reservoir, arterial filter, circuit coating, tubing", Source: FromSpec, Note: "the circuit and disposable entries (machine, item, product, size, lot) are in the record and the report; the registry's equipment categories apply"}
	fRAP       = RegistryField{Column: "rap_ml", Field: "Retrograde autologous priming volume", Source: FromPumpside, Value: func(r RegistryCase) string { return f(r.Summary.RAPML, 0) }, Note: "the circuit entry's rap_ml; empty when not entered"}
	fChecklist = RegistryField{Column: "checklist_before_bypass", Field: "Perfusion checklist used", Source: FromPumpside, Value: func(r RegistryCase) string {
		if !r.Summary.Checklist.Signed() {
			return "" // not recorded is not "no"
		}
		return yesNo(r.Summary.ChecklistBeforeBypass)
	}, Note: "yes when the checklist entry was signed before the first on-bypass, no when after; empty when none was recorded"}
	fLastHct  = RegistryField{Column: "", Field: "Last haematocrit on bypass; pre-operative and post-operative haematocrit", Source: FromUser}
	fSucker   = RegistryField{Column: "", Field: "Pump suckers stopped before protamine", Source: FromUser}
	fTriggers = RegistryField{Column: "", Field: "Transfusion triggers and decision-making", Source: FromUser}
)

// Registries are the registries registry-csv maps to, each the fields of
// its dataset that concern the perfusion record and where their values
// come from. The published datasets these follow are named in
// docs/export.md; a registry's field codes, code lists and inclusion rules
// are its own specification's, which registry-csv does not replace.
var Registries = map[string][]RegistryField{
	// The UK National Adult Cardiac Surgery Audit (SCTS database, run by
	// NICOR).
	"scts": {fCase, fDate, fHeight, fWeight, fSex, fIdent, fProcedure, fUrgency, fSurgeon, fCPBUsed, fCPBTime, fXCTime, fCA, fCATime,
		fLowTemp, fCPType, fRBC, fProducts, fProdCodes, fRisk, fOutcomes},
	// The PERForm registry (MSTCVS Quality Collaborative; AmSECT's
	// official registry).
	"perform": {fCase, fDate, fHeight, fWeight, fSex, fIdent, fProcedure, fCPBTime, fXCTime, fCATime, fLowTemp, fMaxOutlet, fNadirHct,
		fLastHct, fPeakGluc, fPrime, fRAP, fUF, fSalvage, fCPlegia, fCPType, fRBC, fProducts, fProdCodes, fDO2i, fUrine, fEquipment,
		fChecklist, fSucker, fOutcomes},
	// AmSECT's minimal criteria for reporting CPB-related contributions to
	// red cell transfusion (Likosky et al., J Extra Corpor Technol
	// 2015;47:83-89).
	"amsect": {fCase, fDate, fHeight, fWeight, fSex, fProcedure, fUrgency, fCPBTime, fXCTime, fCATime, fLowTemp, fNadirHct, fLastHct,
		fPrime, fRAP, fUF, fSalvage, fCPlegia, fCPType, fRBC, fProducts, fProdCodes, fTriggers, fEquipment, fOutcomes},
}

// RegistryNames lists the registries, sorted.
func RegistryNames() []string { return slices.Sorted(maps.Keys(Registries)) }

// WriteRegistryCSV writes what Pumpside maps of a registry's fields: a
// header of the FromPumpside fields' columns, one row per case. An unknown
// value is an empty cell. Hb and glucose are in the site's units (the
// first case's Settings.Units, as every case of one export), which the
// header names.
func WriteRegistryCSV(w io.Writer, registry string, cases []RegistryCase) error {
	fields, ok := Registries[registry]
	if !ok {
		return fmt.Errorf("report: unknown registry %q (%s)", registry, strings.Join(RegistryNames(), ", "))
	}
	var cols []RegistryField
	for _, fl := range fields {
		if fl.Source == FromPumpside {
			cols = append(cols, fl)
		}
	}
	var u site.Units
	if len(cases) > 0 && cases[0].Summary != nil {
		u = cases[0].Summary.Settings.Units
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = c.Column
		if c.Channel != "" {
			head[i] = unitColumn(c.Column, c.Channel, u)
		}
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("report: registry csv: %w", err)
	}
	for _, rc := range cases {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = c.Value(rc)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: registry csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: registry csv: %w", err)
	}
	return nil
}

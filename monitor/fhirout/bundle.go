package fhirout

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
)

// Config is what a site sets for its FHIR server (docs/integration.md).
type Config struct {
	// PatientSystem is the identifier system (a URI) of the hospital
	// number an identified Patient carries; required for identified
	// records.
	PatientSystem string
	// PseudonymSystem is the identifier system of the case's pseudonym;
	// default "urn:pumpside:pseudonym".
	PseudonymSystem string
	// RecordSystem is the identifier system of the record's resources
	// (their business identifiers); default "urn:pumpside:record".
	RecordSystem string
	// CodeSystem is the system of Pumpside's local codes; default
	// DefaultCodeSystem.
	CodeSystem string
	// EncounterClass is the Encounter's class (v3 ActCode): default IMP,
	// inpatient.
	EncounterClass string
}

func (c Config) withDefaults() Config {
	if c.PseudonymSystem == "" {
		c.PseudonymSystem = "urn:pumpside:pseudonym"
	}
	if c.RecordSystem == "" {
		c.RecordSystem = "urn:pumpside:record"
	}
	if c.CodeSystem == "" {
		c.CodeSystem = DefaultCodeSystem
	}
	if c.EncounterClass == "" {
		c.EncounterClass = "IMP"
	}
	return c
}

// uuidNS is the namespace of the name-based (version 5, RFC 4122) UUIDs
// of a bundle's entries: the same record gives the same fullUrls.
var uuidNS = [16]byte{0x6f, 0x0e, 0x2c, 0x1a, 0x5b, 0x3d, 0x4e, 0x71, 0x9a, 0x10, 0x2b, 0x7c, 0x33, 0x58, 0x61, 0x0d}

func uuid5(name string) string {
	h := sha1.New()
	h.Write(uuidNS[:])
	h.Write([]byte(name))
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// decimal rounds a value to prec digits for valueQuantity (JSON numbers
// carry it as written).
func decimal(v float64, prec int) float64 {
	p := math.Pow(10, float64(prec))
	return math.Round(v*p) / p
}

// Bundle writes the record as a FHIR R4 transaction Bundle (JSON).
func Bundle(rec *exchange.Record, cfg Config) ([]byte, error) {
	cfg = cfg.withDefaults()
	b := &builder{rec: rec, cfg: cfg}
	if err := b.build(); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(bundle{ResourceType: "Bundle", Type: "transaction", Entry: b.entries}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("fhirout: %w", err)
	}
	return append(out, '\n'), nil
}

type builder struct {
	rec       *exchange.Record
	cfg       Config
	entries   []entry
	patient   reference
	encounter reference
	procedure reference
}

func (b *builder) id(key string) identifier {
	return identifier{System: b.cfg.RecordSystem, Value: b.rec.RecordID + "/" + key}
}

// add appends a resource as a conditional update on its identifier.
func (b *builder) add(typ, key string, res any) reference {
	full := uuid5(b.rec.RecordID + "/" + key)
	id := b.id(key)
	b.entries = append(b.entries, entry{FullURL: full, Resource: res,
		Request: request{Method: "PUT", URL: typ + "?identifier=" + url.QueryEscape(id.System+"|"+id.Value)}})
	return reference{Reference: full, Type: typ}
}

func (b *builder) codes(cs []coding) []coding {
	out := make([]coding, len(cs))
	for i, c := range cs {
		if c.System == local {
			c.System = b.cfg.CodeSystem
		}
		out[i] = c
	}
	return out
}

func category(code string) []codeableConcept {
	display := map[string]string{catVital: "Vital Signs", catProcedure: "Procedure"}[code]
	return []codeableConcept{{Coding: []coding{{System: obsCategory, Code: code, Display: display}}}}
}

func (b *builder) build() error {
	rec, s, cfg := b.rec, b.rec.Summary, b.cfg
	// Patient: an identifier and nothing else.
	var pid identifier
	if rec.Patient.Identified {
		if cfg.PatientSystem == "" {
			return fmt.Errorf("fhirout: identified record, but no patient identifier system (patient_system) is configured")
		}
		pid = identifier{Use: "usual", Type: &codeableConcept{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/v2-0203", Code: "MR", Display: "Medical record number"}}},
			System: cfg.PatientSystem, Value: rec.Patient.ID}
	} else {
		pid = identifier{Use: "secondary", System: cfg.PseudonymSystem, Value: rec.Patient.ID}
	}
	full := uuid5(rec.RecordID + "/patient")
	b.entries = append(b.entries, entry{FullURL: full, Resource: patient{ResourceType: "Patient", Identifier: []identifier{pid}},
		Request: request{Method: "POST", URL: "Patient", IfNoneExist: "identifier=" + url.QueryEscape(pid.System+"|"+pid.Value)}})
	b.patient = reference{Reference: full, Type: "Patient"}

	b.encounter = b.add("Encounter", "encounter", encounter{ResourceType: "Encounter", Identifier: []identifier{b.id("encounter")},
		Status: "finished", Class: coding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: cfg.EncounterClass},
		Subject: b.patient, Period: &period{Start: dateTime(s.Start), End: dateTime(s.End)}})

	proc := procedure{ResourceType: "Procedure", Identifier: []identifier{b.id("procedure")}, Status: "completed",
		Code:    codeableConcept{Coding: []coding{{System: SNOMED, Code: "63697000", Display: "Cardiopulmonary bypass operation"}}, Text: "Cardiopulmonary bypass"},
		Subject: b.patient, Encounter: &b.encounter}
	if !s.BypassStart.IsZero() {
		proc.PerformedPeriod = &period{Start: dateTime(s.BypassStart), End: dateTime(s.BypassEnd)}
	} else {
		proc.Status = "unknown" // a case file without on_bypass: the record says nothing of its times
		proc.Note = []annotation{{Text: "No on_bypass event in the record: bypass times unknown."}}
	}
	if p := s.Procedure; p != "" {
		proc.Note = append(proc.Note, annotation{Text: "Surgical procedure: " + p})
	}
	if so := s.SignOff; so.Signed() {
		proc.Note = append(proc.Note, annotation{Text: "Perfusion record signed off by " + so.Name, Time: dateTime(so.Time)})
	} else {
		proc.Note = append(proc.Note, annotation{Text: "Perfusion record not signed off: its observations are preliminary."})
	}
	b.procedure = b.add("Procedure", "procedure", proc)

	def := s.BypassEnd
	if def.IsZero() {
		def = s.End
	}
	bypassPeriod := &period{Start: dateTime(s.BypassStart), End: dateTime(s.BypassEnd)}
	for _, row := range SummaryTable {
		v, at, ok := row.Value(rec)
		if !ok {
			continue
		}
		o := b.observation(row.Codes, row.Category, row.Profile)
		switch {
		case row.DateTime:
			o.ValueDateTime = dateTime(at)
			o.EffectiveDateTime = dateTime(at)
		default:
			o.ValueQuantity = &quantity{Value: decimal(v, 3), Unit: row.Unit, System: UCUM, Code: row.UCUM}
			switch {
			case row.OverBypass && !s.BypassStart.IsZero():
				o.EffectivePeriod = bypassPeriod
			case !at.IsZero():
				o.EffectiveDateTime = dateTime(at)
			default:
				o.EffectiveDateTime = dateTime(def)
			}
		}
		b.addObservation("summary/"+row.Key, o)
	}
	for _, d := range s.Drugs {
		if d.Count == 0 {
			continue
		}
		o := b.observation([]coding{{System: local, Code: "PSD-DRUG-TOTAL", Display: "Drug total dose"}}, catProcedure, "")
		o.Code.Text = "Total dose of " + d.Name
		o.ValueQuantity = &quantity{Value: decimal(d.Total, 3), Unit: d.Unit, System: UCUM, Code: doseUCUM(d.Unit)}
		o.EffectivePeriod = &period{Start: dateTime(s.Start), End: dateTime(s.End)}
		o.Note = []annotation{{Text: fmt.Sprintf("%d doses recorded; %d entries without a dose", d.Count, d.Undosed)}}
		b.addObservation("summary/drug/"+d.Name+"/"+d.Unit, o)
	}
	for _, k := range slices.Sorted(maps.Keys(s.FluidsIn)) {
		o := b.observation([]coding{{System: local, Code: "PSD-FLUID-VOL", Display: "Fluid volume"}}, catProcedure, "")
		o.Code.Text = "Fluid in: " + k
		o.ValueQuantity = &quantity{Value: decimal(s.FluidsIn[k].ML, 0), Unit: "mL", System: UCUM, Code: "mL"}
		o.EffectivePeriod = &period{Start: dateTime(s.Start), End: dateTime(s.End)}
		b.addObservation("summary/fluid/"+k, o)
	}
	for _, k := range slices.Sorted(maps.Keys(s.BloodProducts)) {
		o := b.observation([]coding{{System: local, Code: "PSD-BLOOD-PRODUCT-VOL", Display: "Blood product volume"}}, catProcedure, "")
		o.Code.Text = "Blood product: " + k
		o.ValueQuantity = &quantity{Value: decimal(s.BloodProducts[k].ML, 0), Unit: "mL", System: UCUM, Code: "mL"}
		o.EffectivePeriod = &period{Start: dateTime(s.Start), End: dateTime(s.End)}
		o.Note = []annotation{{Text: fmt.Sprintf("%d units", s.BloodProducts[k].Count)}}
		b.addObservation("summary/blood/"+k, o)
	}
	for _, q := range rec.Quality {
		o := b.observation([]coding{{System: local, Code: qualityCode(q.Indicator.ID), Display: "Quality indicator: " + q.Indicator.Name}}, catProcedure, "")
		o.ValueString = q.Status()
		if q.Evaluated {
			code, display := "N", "Normal"
			if !q.Pass {
				code, display = "A", "Abnormal"
			}
			o.Interpretation = []codeableConcept{{Coding: []coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", Code: code, Display: display}}}}
		}
		if !s.BypassStart.IsZero() {
			o.EffectivePeriod = bypassPeriod
		} else {
			o.EffectiveDateTime = dateTime(def)
		}
		if q.Text != "" {
			o.Note = []annotation{{Text: q.Text}}
		}
		b.addObservation("quality/"+q.Indicator.ID, o)
	}
	// The grid, the report's (CaseSummary.Grid): one Observation per
	// value, at its time; a cell without a usable, fresh value has none.
	for i, at := range s.Grid.Times {
		for _, row := range s.Grid.Rows {
			g, known := GridTable[row.Channel]
			v := row.Values[i]
			if !known || math.IsNaN(v) {
				continue
			}
			ch := row.Channel
			o := b.observation(g.Codes, g.Category, g.Profile)
			o.EffectiveDateTime = dateTime(at)
			o.ValueQuantity = &quantity{Value: decimal(v, 2), Unit: g.Unit, System: UCUM, Code: g.UCUM}
			if g.BodySite != "" {
				o.BodySite = &codeableConcept{Text: g.BodySite}
			}
			b.addObservation("grid/"+at.UTC().Format("20060102T150405Z")+"/"+ch, o)
		}
	}
	for _, a := range rec.Given {
		ma := medicationAdministration{ResourceType: "MedicationAdministration", Identifier: []identifier{b.id("given/" + strconv.FormatInt(a.ID, 10))},
			Status: "completed", Category: &codeableConcept{Text: strings.ReplaceAll(a.Kind, "_", " ")},
			MedicationCodeableConcept: codeableConcept{Text: a.Name}, Subject: b.patient, Context: &b.encounter,
			EffectiveDateTime: dateTime(a.Time), PartOf: []reference{b.procedure}}
		d := &dosage{}
		if !math.IsNaN(a.Dose) {
			d.Dose = &quantity{Value: decimal(a.Dose, 3), Unit: a.Unit, System: UCUM, Code: doseUCUM(a.Unit)}
			d.Text = strconv.FormatFloat(a.Dose, 'f', -1, 64) + " " + a.Unit
		} else {
			d.Text = "dose not recorded"
		}
		if a.Route != "" {
			d.Route = &codeableConcept{Text: a.Route}
		}
		ma.Dosage = d
		b.add("MedicationAdministration", "given/"+strconv.FormatInt(a.ID, 10), ma)
	}
	if len(rec.PDF) > 0 {
		b.add("DocumentReference", "report", documentReference{ResourceType: "DocumentReference", Identifier: []identifier{b.id("report")},
			Status: "current", Type: codeableConcept{Coding: b.codes([]coding{{System: local, Code: "PSD-REPORT-PDF", Display: "Perfusion record (PDF)"}}), Text: "Perfusion record"},
			Subject: b.patient, Date: dateTime(s.End), Description: "Perfusion record " + rec.RecordID,
			Content: []docContent{{Attachment: attachment{ContentType: "application/pdf", Data: base64.StdEncoding.EncodeToString(rec.PDF),
				Title: "Perfusion record " + rec.RecordID + ".pdf", Creation: dateTime(s.End)}}},
			Context: &docContext{Encounter: []reference{b.encounter}, Period: &period{Start: dateTime(s.Start), End: dateTime(s.End)}}})
	}
	return nil
}

func (b *builder) observation(codes []coding, cat, profile string) observation {
	// A record not signed off is what is known so far (FHIR
	// observation-status preliminary), as in HL7 (OBR-25 P).
	status := "final"
	if !b.rec.Summary.SignOff.Signed() {
		status = "preliminary"
	}
	o := observation{ResourceType: "Observation", Status: status, Category: category(cat),
		Code: codeableConcept{Coding: b.codes(codes)}, Subject: b.patient, Encounter: &b.encounter, PartOf: []reference{b.procedure}}
	if len(codes) > 0 {
		o.Code.Text = codes[0].Display
	}
	if profile != "" {
		o.Meta = &meta{Profile: []string{profile}}
	}
	return o
}

func (b *builder) addObservation(key string, o observation) {
	o.Identifier = []identifier{b.id(key)}
	b.add("Observation", key, o)
}

// qualityCode is the code of a quality indicator: the HL7 message's
// (PSD-QI- and its ID in capitals, _ as -).
func qualityCode(id string) string {
	return "PSD-QI-" + strings.ToUpper(strings.ReplaceAll(id, "_", "-"))
}

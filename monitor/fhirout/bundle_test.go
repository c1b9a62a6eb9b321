package fhirout

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
	"github.com/pumpside/pumpside/monitor/hl7out"
	"github.com/pumpside/pumpside/monitor/record"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

const testSecret = "site-secret-for-tests-only"

const knownCase = "../../testdata/cases/report-summary.case"

var testConfig = Config{PatientSystem: "urn:oid:2.16.840.1.113883.2.1.4.1"}

func testRecord(t testing.TB, path string, identified bool) *exchange.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := report.Load(f, func(e *record.LineError) { t.Errorf("bad line %d: %v", e.Line, e.Err) })
	if err != nil {
		t.Fatal(err)
	}
	priv := report.Privacy{Identify: identified, Secret: []byte(testSecret)}
	s, err := report.Summarize(c, report.DefaultSettings(), priv)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := exchange.Build(c, s, priv, exchange.Options{Identified: identified})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func qualityCaseFile(t testing.TB) string {
	p := filepath.Join(t.TempDir(), "q.case")
	if err := os.WriteFile(p, []byte(reporttest.QualityCase()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type anyMap = map[string]any

func resources(t *testing.T, b []byte) []anyMap {
	t.Helper()
	var bundle struct {
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource anyMap
			Request  anyMap
		}
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	var out []anyMap
	for _, e := range bundle.Entry {
		out = append(out, e.Resource)
	}
	return out
}

// TestBundlesValidate: every bundle (pseudonymous and identified, the
// known case and the quality case with its grid) passes FHIR.js's R4
// structure definitions and HL7's R4 JSON schema with zero errors.
func TestBundlesValidate(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, c := range []struct {
		name       string
		path       string
		identified bool
	}{
		{"known", knownCase, false},
		{"known-identified", knownCase, true},
		{"quality", qualityCaseFile(t), false},
	} {
		b, err := Bundle(testRecord(t, c.path, c.identified), testConfig)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	for _, r := range exchangetest.ValidateFHIR(t, files...) {
		if len(r.Errors) > 0 {
			t.Errorf("%s: %d errors:\n%s", filepath.Base(r.File), len(r.Errors), strings.Join(r.Errors, "\n"))
		}
		t.Logf("%s: 0 errors, %d warnings", filepath.Base(r.File), len(r.Warnings))
	}
}

// TestValidatorCatchesErrors: the validators fail a broken bundle, so a
// pass means something.
func TestValidatorCatchesErrors(t *testing.T) {
	b, err := Bundle(testRecord(t, knownCase, false), testConfig)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	json.Unmarshal(b, &v)
	entries := v["entry"].([]any)
	proc := entries[2].(map[string]any)["resource"].(map[string]any)
	delete(proc, "subject")                                                                                   // 1..1 in R4
	proc["status"] = "done"                                                                                   // not in the required event-status value set
	entries[3].(map[string]any)["resource"].(map[string]any)["valueQuantity"] = map[string]any{"value": "12"} // a string for a decimal
	bad, _ := json.Marshal(v)
	f := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(f, bad, 0o600)
	r := exchangetest.ValidateFHIR(t, f)[0]
	joined := strings.Join(r.Errors, "\n")
	for _, want := range []string{"Procedure.subject", "Code \"done\"", "Number type expected"} {
		if !strings.Contains(joined, want) {
			t.Errorf("validator missed %q:\n%s", want, joined)
		}
	}
}

func TestBundleContent(t *testing.T) {
	rec := testRecord(t, qualityCaseFile(t), false)
	b, err := Bundle(rec, testConfig)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Bundle(rec, testConfig)
	if string(again) != string(b) {
		t.Error("the same record gave different bundles")
	}
	res := resources(t, b)
	types := map[string]int{}
	for _, r := range res {
		types[r["resourceType"].(string)]++
	}
	if types["Patient"] != 1 || types["Encounter"] != 1 || types["Procedure"] != 1 || types["DocumentReference"] != 1 || types["MedicationAdministration"] != 3 {
		t.Errorf("resource types %v", types)
	}
	pat := res[0]
	if len(pat) != 2 || pat["identifier"].([]any)[0].(anyMap)["value"] != rec.RecordID {
		t.Errorf("Patient %v: an identifier and nothing else", pat)
	}
	proc := res[2]
	if proc["performedPeriod"].(anyMap)["start"] != "2026-03-01T08:10:00Z" || proc["performedPeriod"].(anyMap)["end"] != "2026-03-01T09:50:00Z" {
		t.Errorf("Procedure %v", proc["performedPeriod"])
	}
	var mapObs, tempObs int
	var hrAt []string
	for _, r := range res {
		if r["resourceType"] != "Observation" {
			continue
		}
		code := r["code"].(anyMap)["coding"].([]any)[0].(anyMap)["code"]
		prof, _ := r["meta"].(anyMap)
		switch code {
		case "8478-0":
			mapObs++
			if prof == nil || prof["profile"].([]any)[0] != profileVitalSigns || r["category"].([]any)[0].(anyMap)["coding"].([]any)[0].(anyMap)["code"] != "vital-signs" {
				t.Errorf("MAP without the vital-signs profile: %v", r)
			}
		case "8867-4":
			// The R4 heart rate profile: vital-signs category, LOINC
			// 8867-4, a value in UCUM /min.
			hrAt = append(hrAt, r["effectiveDateTime"].(string))
			q, _ := r["valueQuantity"].(anyMap)
			if prof == nil || prof["profile"].([]any)[0] != profileHeartRate || r["category"].([]any)[0].(anyMap)["coding"].([]any)[0].(anyMap)["code"] != "vital-signs" ||
				q["system"] != UCUM || q["code"] != "/min" {
				t.Errorf("heart rate not as the heartrate profile wants: %v", r)
			}
		case "PSD-TEMP-ART-OUTLET":
			tempObs++
			if prof != nil {
				t.Errorf("circuit temperature claims a vital-signs profile")
			}
		case "PSD-QI-MAP-LOW":
			if r["valueString"] != "fail" || r["interpretation"].([]any)[0].(anyMap)["coding"].([]any)[0].(anyMap)["code"] != "A" {
				t.Errorf("quality %v", r)
			}
		}
	}
	if mapObs != 7 || tempObs != 7 {
		t.Errorf("grid: %d MAP, %d outlet observations, want 7 each", mapObs, tempObs)
	}
	// None while the heart is arrested (08:15 to 09:30): the monitor sent
	// no rate (reporttest.QualityCase).
	if want := []string{"2026-03-01T08:15:00Z", "2026-03-01T09:30:00Z", "2026-03-01T09:45:00Z"}; !slices.Equal(hrAt, want) {
		t.Errorf("heart rate observations at %v, want %v", hrAt, want)
	}
	doc := res[len(res)-1]
	data := doc["content"].([]any)[0].(anyMap)["attachment"].(anyMap)["data"].(string)
	pdf, err := base64.StdEncoding.DecodeString(data)
	if err != nil || string(pdf) != string(rec.PDF) {
		t.Error("DocumentReference does not hold the PDF")
	}
}

// TestTablesAgree: the FHIR and HL7 tables map the same figures to the
// same codes and UCUM units, so a figure added to one and not the other,
// or coded differently, fails here.
func TestTablesAgree(t *testing.T) {
	var hk, fk []string
	for _, r := range hl7out.SummaryTable {
		hk = append(hk, r.Key)
	}
	for _, r := range SummaryTable {
		fk = append(fk, r.Key)
	}
	if !slices.Equal(hk, fk) {
		t.Fatalf("keys differ:\nHL7  %v\nFHIR %v", hk, fk)
	}
	for i, h := range hl7out.SummaryTable {
		f := SummaryTable[i]
		if f.Codes[0].Code != h.Code.ID || (h.Code.AltID != "") != (len(f.Codes) > 1) || len(f.Codes) > 1 && f.Codes[1].Code != h.Code.AltID {
			t.Errorf("%s: codes %v vs %+v", h.Key, f.Codes, h.Code)
		}
		if f.UCUM != h.Unit || f.DateTime != (h.Type == "TS") {
			t.Errorf("%s: unit %q vs %q", h.Key, f.UCUM, h.Unit)
		}
	}
	for ch, g := range hl7out.GridTable {
		f, ok := GridTable[ch]
		if !ok || f.UCUM != g.Unit {
			t.Errorf("grid %s: %+v vs %+v", ch, f, g)
			continue
		}
		codes := []string{}
		for _, c := range f.Codes {
			codes = append(codes, c.Code)
		}
		if !slices.Contains(codes, g.Code.ID) || g.Code.AltID != "" && !slices.Contains(codes, g.Code.AltID) {
			t.Errorf("grid %s: codes %v vs %+v", ch, codes, g.Code)
		}
	}
	// Every channel of the report's grid has its OBX and its Observation,
	// in the channel's own unit (the grid's values are in it), and the
	// tables hold nothing else.
	ucum := strings.NewReplacer("mmHg", "mm[Hg]", "°C", "Cel", "m²", "m2")
	grid := report.GridChannels()
	for _, ch := range grid {
		f, ok := GridTable[ch]
		if !ok {
			t.Errorf("grid channel %s has no Observation", ch)
			continue
		}
		if _, ok := hl7out.GridTable[ch]; !ok {
			t.Errorf("grid channel %s has no OBX", ch)
		}
		id, ok := channel.Lookup(ch)
		if !ok {
			t.Errorf("grid channel %s is not in the vocabulary", ch)
			continue
		}
		if u := ucum.Replace(channel.Get(id).Unit); f.UCUM != u {
			t.Errorf("grid %s: UCUM %q, the channel's unit is %q", ch, f.UCUM, u)
		}
	}
	if len(GridTable) != len(grid) || len(hl7out.GridTable) != len(grid) {
		t.Errorf("tables of %d and %d channels for a grid of %d", len(GridTable), len(hl7out.GridTable), len(grid))
	}
}

package hl7out

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
	"github.com/pumpside/pumpside/monitor/report/reporttest"
)

var testHeader = Header{ControlID: "PSD0001", Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Status: Final}

var testConfig = MessageConfig{SendingFacility: "THEATRES", ReceivingApplication: "EMR", ReceivingFacility: "HOSP", AssigningAuthority: "HOSP"}

// TestMessageParsedByEngines sends the known case's message to each
// engine (node-hl7-server, python-hl7), whose MLLP server receives it,
// whose parser reads it and which acknowledges it; every figure is checked
// in the engine's parse, not ours.
func TestMessageParsedByEngines(t *testing.T) {
	for _, eng := range exchangetest.Engines {
		t.Run(string(eng), func(t *testing.T) { testMessageParsedBy(t, eng) })
	}
}

func testMessageParsedBy(t *testing.T, eng exchangetest.Engine) {
	rec := testRecord(t, knownCase, false)
	msg, err := Build(rec, testConfig, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Engine: eng})
	c := &Client{Address: rx.Addr(), AckTimeout: 10 * time.Second}
	ack, err := c.Send(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Code != "AA" || ack.ControlID != "PSD0001" {
		t.Fatalf("ack %+v", ack)
	}
	e := rx.Next(10 * time.Second)
	if e.Event != "message" || e.ControlID != "PSD0001" {
		t.Fatalf("receiver: %+v", e)
	}
	msh := e.Segs("MSH")[0]
	if msh.Get(9, 1) != "ORU" || msh.Get(9, 2) != "R01" || msh.Get(12, 1) != "2.5.1" || msh.Get(3, 1) != "PUMPSIDE" || msh.Get(18, 1) != "UNICODE UTF-8" {
		t.Errorf("MSH %v", msh)
	}
	pid := e.Segs("PID")[0]
	if pid.Get(3, 1) != rec.RecordID || pid.Get(3, 5) != "ANON" || pid.Get(5, 7) != "S" || pid.Get(8, 1) != "M" {
		t.Errorf("PID %v", pid)
	}
	obr := e.Segs("OBR")
	if len(obr) != 1 || obr[0].Get(25, 1) != "F" || obr[0].Get(3, 1) != rec.RecordID || obr[0].Get(7, 1) != "20260301080000+0000" {
		t.Errorf("OBR %v", obr)
	}
	// Figures as the engine reads them: code -> value, unit.
	type obx struct{ value, unit, sub, status, at string }
	got := map[string][]obx{}
	for _, s := range e.Segs("OBX") {
		got[s.Get(3, 1)] = append(got[s.Get(3, 1)], obx{s.Get(5, 1), s.Get(6, 1), s.Get(4, 1), s.Get(11, 1), s.Get(14, 1)})
		if s.Get(11, 1) != "F" {
			t.Errorf("OBX %s status %q", s.Get(3, 1), s.Get(11, 1))
		}
	}
	// Worked out by hand in monitor/report's TestSummarizeKnownCase.
	for code, want := range map[string]obx{
		"PSD-CPB-TIME":            {value: "50.0", unit: "min"},
		"PSD-XCLAMP-TIME":         {value: "30.0", unit: "min"},
		"PSD-CIRC-ARREST-TIME":    {value: "5.0", unit: "min"},
		"PSD-TEMP-LOWEST":         {value: "18.0", unit: "Cel", at: "20260301082410+0000"},
		"PSD-HCT-NADIR":           {value: "21.0", unit: "%", at: "20260301084140+0000"},
		"PSD-DO2I-LOW-TIME":       {value: "0.0", unit: "min"}, // 2 s once the first minute of full flow is left out
		"PSD-MAP-LOW-TIME":        {value: "0.2", unit: "min"},
		"PSD-CPB-START":           {value: "20260301081000+0000"},
		"8302-2":                  {value: "175", unit: "cm"},
		"29463-7":                 {value: "80.0", unit: "kg"},
		"PSD-CARDIOPLEGIA-VOL":    {value: "1000", unit: "mL"},
		"PSD-URINE-VOL":           {value: "350", unit: "mL"},
		"PSD-HAEMOFILTRATION-VOL": {value: "800", unit: "mL"},
	} {
		g := got[code]
		if len(g) != 1 || g[0].value != want.value || g[0].unit != want.unit || want.at != "" && g[0].at != want.at {
			t.Errorf("%s: %+v, want %+v", code, g, want)
		}
	}
	// Drugs: heparin 29000 IU in 2 doses, phenylephrine 100 ug, grouped by sub-ID.
	drugs := map[string]string{}
	for i, n := range got["PSD-DRUG-NAME"] {
		drugs[n.value] = got["PSD-DRUG-TOTAL"][i].value + " " + got["PSD-DRUG-TOTAL"][i].unit + " " + got["PSD-DRUG-DOSES"][i].value
		if got["PSD-DRUG-TOTAL"][i].sub != n.sub {
			t.Errorf("drug sub-IDs %q %q", n.sub, got["PSD-DRUG-TOTAL"][i].sub)
		}
	}
	if drugs["heparin"] != "29000.000 [iU] 2" || drugs["phenylephrine"] != "100.000 ug 1" {
		t.Errorf("drugs %v", drugs)
	}
	// The grid: the quarter hours on bypass (08:15-09:00). The case's
	// samples are minutes apart, stale at those times, except the
	// cumulative urine (fresh for 60 min: 100 mL from 08:10, 450 at
	// 09:00); what the message carries is the report's grid, cell by cell.
	grid := map[string]string{}
	for _, s := range e.Segs("OBX") {
		if sub := s.Get(4, 1); sub != "" && !strings.ContainsAny(sub, "DFB") {
			grid[s.Get(3, 1)+" "+s.Get(14, 1)] = s.Get(5, 1) + " " + s.Get(6, 1)
		}
	}
	want := map[string]string{}
	for i, at := range rec.Summary.Grid.Times {
		for _, row := range rec.Summary.Grid.Rows {
			if v := row.Values[i]; !math.IsNaN(v) {
				gc := GridTable[row.Channel]
				want[gc.Code.ID+" "+dtm(at)] = nm(v, gc.Prec) + " " + gc.Unit
			}
		}
	}
	if len(want) != 4 || want["PSD-URINE-CUMULATIVE 20260301081500+0000"] != "100 mL" || want["PSD-URINE-CUMULATIVE 20260301090000+0000"] != "450 mL" {
		t.Errorf("the report's grid of the known case: %v", want)
	}
	if !maps.Equal(grid, want) {
		t.Errorf("grid OBX %v, the report's grid %v", grid, want)
	}
	// The PDF: one ED OBX, decoded by the receiver, the very bytes.
	sum := sha256.Sum256(rec.PDF)
	if len(e.ED) != 1 || !e.ED[0].PDF || e.ED[0].SHA256 != hex.EncodeToString(sum[:]) || e.ED[0].Subtype != "PDF" || e.ED[0].Encoding != "Base64" {
		t.Errorf("ED %+v", e.ED)
	}
	// The note names the patient: nothing identifying anywhere.
	for _, s := range e.Segments {
		for _, f := range s {
			for _, r := range f {
				for _, c := range r {
					if strings.Contains(c, "Jane") || strings.Contains(c, "H1234567") || strings.Contains(c, "C-2026-0301-R") {
						t.Errorf("identifier in %s: %q", s.Name(), c)
					}
				}
			}
		}
	}
	if n, _ := strconv.Atoi(e.Segs("OBX")[len(e.Segs("OBX"))-1].Get(1, 1)); n != len(e.Segs("OBX")) {
		t.Errorf("OBX set IDs end at %d of %d", n, len(e.Segs("OBX")))
	}
}

// TestGridParsedByEngines: the observation grid of the quality case, as
// each engine reads it, holds the samples at its times (the case's rules
// are in monitor/report/reporttest).
func TestGridParsedByEngines(t *testing.T) {
	for _, eng := range exchangetest.Engines {
		t.Run(string(eng), func(t *testing.T) { testGridParsedBy(t, eng) })
	}
}

func testGridParsedBy(t *testing.T, eng exchangetest.Engine) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.case")
	if err := os.WriteFile(path, []byte(reporttest.QualityCase()), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := testRecord(t, path, false)
	msg, err := Build(rec, testConfig, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Engine: eng})
	c := &Client{Address: rx.Addr()}
	defer c.Close()
	if ack, err := c.Send(t.Context(), msg); err != nil || !ack.Accepted() {
		t.Fatal(ack, err)
	}
	e := rx.Next(10 * time.Second)
	grid := map[string]map[string]string{} // time -> code -> value
	subs := map[string]string{}
	for _, s := range e.Segs("OBX") {
		sub := s.Get(4, 1)
		if sub == "" || strings.ContainsAny(sub, "DFB") {
			continue
		}
		at := s.Get(14, 1)
		if grid[at] == nil {
			grid[at] = map[string]string{}
		}
		grid[at][s.Get(3, 1)] = s.Get(5, 1) + " " + s.Get(6, 1)
		if prev, ok := subs[at]; ok && prev != sub {
			t.Errorf("time %s has sub-IDs %s and %s", at, prev, sub)
		}
		subs[at] = sub
	}
	if len(grid) != 7 {
		t.Errorf("%d grid times, want 7 (08:15 to 09:45)", len(grid))
	}
	for _, w := range []struct{ at, code, want string }{
		{"20260301081500+0000", "8478-0", "65 mm[Hg]"},
		{"20260301081500+0000", "8867-4", "78 /min"},
		{"20260301093000+0000", "8867-4", "92 /min"},
		{"20260301094500+0000", "8867-4", "92 /min"},
		{"20260301081500+0000", "19224-5", "70.0 %"},
		{"20260301081500+0000", "PSD-DO2I", "320 mL/min/m2"},
		{"20260301081500+0000", "PSD-TEMP-ART-OUTLET", "36.0 Cel"},
		{"20260301090000+0000", "20570-8", "20.5 %"},
		{"20260301094500+0000", "PSD-DO2I", "250 mL/min/m2"},
		{"20260301094500+0000", "PSD-TEMP-ART-OUTLET", "36.8 Cel"},
	} {
		if got := grid[w.at][w.code]; got != w.want {
			t.Errorf("grid %s %s = %q, want %q", w.at, w.code, got, w.want)
		}
	}
	for at, row := range grid {
		if _, ok := row["PSD-PUMP-FLOW"]; ok {
			t.Errorf("pump flow at %s: the case has none", at)
		}
	}
	// The heart is arrested from 08:15 to 09:30 and the monitor sends no
	// rate: no heart rate OBX then, never a 0.
	for _, at := range []string{"20260301083000+0000", "20260301084500+0000", "20260301090000+0000", "20260301091500+0000"} {
		if v, ok := grid[at]["8867-4"]; ok {
			t.Errorf("heart rate %q at %s: the case has none", v, at)
		}
	}
	if subs["20260301081500+0000"] != "1" || subs["20260301094500+0000"] != "7" {
		t.Errorf("sub-IDs %v", subs)
	}
}

// TestMessageStructureRedox: Redox's schema-based parser reads the message
// against the v2 ORU^R01 structure: the patient and visit in PATIENT, one
// ORDER_OBSERVATION with the OBR, every OBX in an OBSERVATION group and
// each quality indicator's NTE after its OBX.
func TestMessageStructureRedox(t *testing.T) {
	rec := testRecord(t, knownCase, false)
	msg, err := Build(rec, testConfig, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	v := exchangetest.ParseHL7Redox(t, msg)
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				m, _ := v.(map[string]any)
				v = m[k]
			case int:
				a, _ := v.([]any)
				if k >= len(a) {
					return nil
				}
				v = a[k]
			}
		}
		return v
	}
	if get(v, "MSH", "9", "1") != "ORU" || get(v, "MSH", "12", "1") != "2.5.1" {
		t.Errorf("MSH %v", get(v, "MSH"))
	}
	pr := get(v, "PATIENT_RESULT", 0)
	if get(pr, "PATIENT", "PID", "3", 0, "1") != rec.RecordID || get(pr, "PATIENT", "VISIT", "PV1", "2") == nil {
		t.Errorf("PATIENT %v", get(pr, "PATIENT"))
	}
	oo, _ := get(pr, "ORDER_OBSERVATION").([]any)
	if len(oo) != 1 || get(oo[0], "OBR", "25") != "F" {
		t.Fatalf("ORDER_OBSERVATION %v", oo)
	}
	obs, _ := get(oo[0], "OBSERVATION").([]any)
	nOBX := strings.Count(string(msg), "\rOBX|")
	if len(obs) != nOBX {
		t.Errorf("%d OBSERVATION groups, %d OBX", len(obs), nOBX)
	}
	notes := 0
	for _, o := range obs {
		if n, ok := get(o, "NTE").([]any); ok {
			notes += len(n)
			if !strings.HasPrefix(fmt.Sprint(get(o, "OBX", "3", "1")), "PSD-QI-") {
				t.Errorf("NTE after %v", get(o, "OBX", "3"))
			}
		}
	}
	if want := strings.Count(string(msg), "\rNTE|"); notes != want || want == 0 {
		t.Errorf("%d NTE in groups, %d in the message", notes, want)
	}
	if last := get(obs[len(obs)-1], "OBX", "2"); last != "ED" {
		t.Errorf("last OBX is %v, want the ED", last)
	}
}

// TestEscape: delimiters in texts never break the message.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"a|b^c~d\\e&f":     `a\F\b\S\c\R\d\E\e\T\f`,
		"line1\r\nline2\n": `line1\.br\line2\.br\`,
		"bell\x07tab\t":    "belltab ",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
	for v, want := range map[float64]string{-0.0001: "0.0", 2.25: "2.2", 1e21: "1000000000000000000000.0"} {
		if got := nm(v, 1); got != want {
			t.Errorf("nm(%g) = %q, want %q", v, got, want)
		}
	}
}

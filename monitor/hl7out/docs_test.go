package hl7out

import (
	"os"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/report"
)

// TestIntegrationDocListsEveryCode: docs/integration.md's code tables
// list every code the message uses, so an interface team maps them all.
func TestIntegrationDocListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../docs/integration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	need := []string{codeRecord.ID, codePDF.ID, codeDrugName.ID, codeDrugTotal.ID, codeDrugDoses.ID, codeDrugUndosed.ID,
		codeFluidKind.ID, codeFluidVol.ID, codeFluidEntries.ID, codeProduct.ID, codeProductVol.ID, codeProductUnits.ID, codeSignedBy.ID}
	for _, r := range SummaryTable {
		need = append(need, "`"+r.Key+"`", "`"+r.Code.ID+"`")
		if r.Code.AltID != "" {
			need = append(need, "`"+r.Code.AltID+"`")
		}
	}
	for _, ch := range report.GridChannels() {
		need = append(need, "`"+ch+"`", "`"+GridTable[ch].Code.ID+"`")
	}
	for _, ind := range report.DefaultIndicators() {
		if !strings.HasPrefix(qualityCode(ind).ID, "PSD-QI-") {
			t.Errorf("quality code %s", qualityCode(ind).ID)
		}
	}
	for _, s := range need {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/integration.md does not list %s", s)
		}
	}
}

package fhirout

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoIdentifierInBundle: with identified sending off, no identifier of
// the case (ident_* fields, the case tag, a note naming the patient) is in
// the bundle, nor in the text of its PDF; with it on, the hospital number
// is the Patient's identifier and nothing else of the patient is there.
func TestNoIdentifierInBundle(t *testing.T) {
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found (poppler-utils)")
		}
		t.Skip("pdftotext not found")
	}
	for _, identified := range []bool{false, true} {
		b, err := Bundle(testRecord(t, knownCase, identified), testConfig)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Entry []struct{ Resource map[string]any }
		}
		json.Unmarshal(b, &v)
		var pdfText string
		for _, e := range v.Entry {
			if e.Resource["resourceType"] == "DocumentReference" {
				data := e.Resource["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)["data"].(string)
				pdf, _ := base64.StdEncoding.DecodeString(data)
				// The base64 is looked into as the PDF's text, below.
				b = []byte(strings.Replace(string(b), data, "", 1))
				f := filepath.Join(t.TempDir(), "r.pdf")
				os.WriteFile(f, pdf, 0o600)
				out, err := exec.Command(tool, "-enc", "UTF-8", f, "-").Output()
				if err != nil {
					t.Fatal(err)
				}
				pdfText = string(out)
			}
		}
		if pdfText == "" {
			t.Fatal("no PDF text")
		}
		low, lowPDF := strings.ToLower(string(b)), strings.ToLower(pdfText)
		for _, id := range []string{"jane doe", "jane", "h1234567", "c-2026-0301-r"} {
			in, inPDF := strings.Contains(low, id), strings.Contains(lowPDF, id)
			if !identified && (in || inPDF) {
				t.Errorf("pseudonymous bundle holds %q (JSON %v, PDF %v)", id, in, inPDF)
			}
			if identified && (id == "jane" || id == "jane doe") && in {
				t.Errorf("identified Patient carries the name %q: identifier only", id)
			}
		}
		if identified && !strings.Contains(string(b), `"value": "H1234567"`) {
			t.Error("identified bundle lacks the hospital number")
		}
	}
}

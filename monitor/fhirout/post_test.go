package fhirout

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
)

// TestPost: the bundle goes to the server's base URL with the bearer
// token and FHIR's media type; what the server received validates; a
// refusal carries the server's OperationOutcome.
func TestPost(t *testing.T) {
	b, err := Bundle(testRecord(t, knownCase, false), testConfig)
	if err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("s3cret-token\n"), 0o600)
	tok, err := ReadToken(tokFile)
	if err != nil || tok != "s3cret-token" {
		t.Fatal(tok, err)
	}
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret-token" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"security","diagnostics":"token rejected"}]}`))
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/fhir" || r.Header.Get("Content-Type") != "application/fhir+json" {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		got, _ = io.ReadAll(r.Body)
		var in struct{ Entry []any }
		json.Unmarshal(got, &in)
		out := map[string]any{"resourceType": "Bundle", "type": "transaction-response", "entry": []any{}}
		for range in.Entry {
			out["entry"] = append(out["entry"].([]any), map[string]any{"response": map[string]any{"status": "201 Created"}})
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	res, err := Post(t.Context(), nil, srv.URL+"/fhir/", tok, b)
	if err != nil || res.Status != 200 || len(res.Entries) != strings.Count(string(b), `"fullUrl"`) {
		t.Fatalf("%+v %v", res, err)
	}
	f := filepath.Join(t.TempDir(), "posted.json")
	os.WriteFile(f, got, 0o600)
	if r := exchangetest.ValidateFHIR(t, f)[0]; len(r.Errors) > 0 {
		t.Errorf("posted bundle: %v", r.Errors)
	}
	_, err = Post(t.Context(), nil, srv.URL+"/fhir", "wrong", b)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "token rejected") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("refusal: %v", err)
	}
	if _, err := Post(t.Context(), nil, "ftp://x", tok, b); err == nil {
		t.Error("ftp base URL accepted")
	}
	os.WriteFile(tokFile, []byte("  \n"), 0o600)
	if _, err := ReadToken(tokFile); err == nil {
		t.Error("empty token accepted")
	}
}

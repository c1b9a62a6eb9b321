package fhirout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// MaxResponse bounds what Post reads of a server's answer.
const MaxResponse = 4 << 20

// ReadToken reads a bearer token from a file: its content without
// surrounding whitespace. An empty file is an error. The token is never
// logged.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("fhirout: token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("fhirout: token file %s is empty", path)
	}
	if strings.ContainsAny(tok, "\r\n\t ") {
		return "", fmt.Errorf("fhirout: token file %s holds more than one token", path)
	}
	return tok, nil
}

// Result is a server's answer to a transaction.
type Result struct {
	// Status is the HTTP status; Entries the status of each entry of the
	// transaction-response Bundle ("201 Created", "200 OK").
	Status  int
	Entries []string
}

// ErrRefused wraps a server's refusal (an HTTP status other than 2xx),
// with its OperationOutcome's diagnostics when it sent one.
var ErrRefused = errors.New("fhirout: the server refused the bundle")

// Post sends a transaction bundle to a FHIR server's base URL (the
// transaction endpoint is the base itself) with the bearer token, and
// returns the server's answer. client nil is a client with a 2-minute
// timeout.
func Post(ctx context.Context, client *http.Client, base, token string, bundle []byte) (Result, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Result{}, fmt.Errorf("fhirout: base URL %q is not an http(s) URL", base)
	}
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/"), bytes.NewReader(bundle))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Accept", "application/fhir+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("fhirout: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return Result{Status: resp.StatusCode}, fmt.Errorf("fhirout: reading the answer: %w", err)
	}
	res := Result{Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, fmt.Errorf("%w: HTTP %d: %s", ErrRefused, resp.StatusCode, outcomeText(body))
	}
	var tr struct {
		ResourceType string
		Entry        []struct {
			Response struct{ Status string }
		}
	}
	if json.Unmarshal(body, &tr) == nil && tr.ResourceType == "Bundle" {
		for _, e := range tr.Entry {
			res.Entries = append(res.Entries, e.Response.Status)
		}
	}
	return res, nil
}

// outcomeText is an OperationOutcome's diagnostics (or the start of the
// body), for the user.
func outcomeText(body []byte) string {
	var oo struct {
		ResourceType string
		Issue        []struct {
			Severity, Code, Diagnostics string
			Details                     struct{ Text string }
		}
	}
	if json.Unmarshal(body, &oo) == nil && oo.ResourceType == "OperationOutcome" {
		var parts []string
		for _, i := range oo.Issue {
			t := i.Diagnostics
			if t == "" {
				t = i.Details.Text
			}
			parts = append(parts, strings.TrimSpace(i.Severity+" "+i.Code+": "+t))
		}
		return strings.Join(parts, "; ")
	}
	s := strings.ToValidUTF8(string(body), "?")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

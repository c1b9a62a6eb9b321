package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/fhirout"
	"github.com/pumpside/pumpside/monitor/report"
)

// exportFormats are the export formats with their own flags: runExport
// hands the whole command to them when --format names one.
var exportFormats = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"fhir":         runExportFHIR,
	"registry-csv": runExportRegistry,
}

// exportFormatHandler returns the handler of the --format the arguments
// name, if it is one of exportFormats.
func exportFormatHandler(args []string) func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for i, a := range args {
		var v string
		switch {
		case a == "--format" || a == "-format":
			if i+1 < len(args) {
				v = args[i+1]
			}
		case strings.HasPrefix(a, "--format="), strings.HasPrefix(a, "-format="):
			_, v, _ = strings.Cut(a, "=")
		}
		if h, ok := exportFormats[v]; ok {
			return h
		}
	}
	return nil
}

func runExportFHIR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("export", "CASEFILE --format fhir [--out FILE] [--post] [--site-file FILE] [--identify]",
		"Writes the case's perfusion record as a FHIR R4 transaction Bundle (JSON;\n"+
			"docs/integration.md): a Patient with an identifier only, the Encounter, the\n"+
			"cardiopulmonary bypass Procedure with its times, Observations (vital-signs profile for\n"+
			"MAP, heart rate, temperatures and arterial saturation; the summary figures; the\n"+
			"observation grid; the quality indicators), a MedicationAdministration per drug, fluid,\n"+
			"cardioplegia dose and blood product, and a DocumentReference holding the report PDF.\n"+
			"--post sends it to the site's FHIR server (the site file's [fhir] base_url, token_file;\n"+
			"or --url and --token-file) and prints each entry's status.\n"+
			"The patient is the case's pseudonym unless the site file enables identified sending;\n"+
			"--identify where it does not is refused.\n"+
			"Exit status: 0 when written (and accepted), 1 on a write error or a refusal by the\n"+
			"server, 2 on bad usage, a bad site configuration or an unreadable case file.", stdout, stderr)
	fl.String("format", "fhir", "fhir")
	out := fl.String("out", "", "output `FILE` (default: stdout; not written with --post unless given)")
	post := fl.Bool("post", false, "POST the bundle to the FHIR server")
	urlFlag := fl.String("url", "", "the FHIR server's base `URL` (default: [fhir] base_url)")
	tokenFile := fl.String("token-file", "", "`FILE` holding the bearer token (default: [fhir] token_file)")
	sf := addSiteFlags(fl)
	identify := fl.Bool("identify", false, "carry the patient's hospital number: refused unless the site enables identified sending")
	secretFile := fl.String("secret-file", "", "`FILE` holding the site secret for pseudonyms (default: $"+siteSecretEnv+")")
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside export: "+format+"\n", a...)
		return code
	}
	if len(pos) != 1 {
		return fail(2, "one CASEFILE is required, got %d", len(pos))
	}
	cfg, ok := sf.load("export", stderr)
	if !ok {
		return 2
	}
	identified, err := siteIdentified(cfg, *identify)
	if err != nil {
		return fail(2, "%v", err)
	}
	base, tokPath := orDefault(*urlFlag, cfg.FHIR.BaseURL), orDefault(*tokenFile, cfg.FHIR.TokenFile)
	var token string
	if *post {
		if base == "" {
			return fail(2, "--post needs the server's base URL: --url or [fhir] base_url")
		}
		if tokPath != "" {
			if token, err = fhirout.ReadToken(tokPath); err != nil {
				return fail(2, "%v", err)
			}
		}
	}
	priv, ok := sendPrivacy("export", cfg, identified, *secretFile, stderr)
	if !ok {
		return 2
	}
	rec, err := buildRecord("export", pos[0], cfg, priv, identified, stderr)
	if err != nil {
		return fail(2, "%s: %v", pos[0], err)
	}
	f := cfg.FHIR
	bundle, err := fhirout.Bundle(rec, fhirout.Config{PatientSystem: f.PatientSystem, PseudonymSystem: f.PseudonymSystem,
		RecordSystem: f.RecordSystem, CodeSystem: f.CodeSystem, EncounterClass: f.EncounterClass})
	if err != nil {
		return fail(2, "%v", err)
	}
	if !*post || *out != "" {
		w, closeOut, err := createOutput(*out, stdout)
		if err != nil {
			return fail(1, "%v", err)
		}
		_, err = w.Write(bundle)
		if cerr := closeOut(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(1, "%v", err)
		}
	}
	if *post {
		client := &http.Client{Timeout: 2 * time.Minute}
		if cfg.FHIR.CAFile != "" {
			pem, err := os.ReadFile(cfg.FHIR.CAFile)
			if err != nil {
				return fail(2, "fhir.ca_file: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fail(2, "fhir.ca_file: no PEM certificate")
			}
			client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		}
		res, err := fhirout.Post(ctx, client, base, token, bundle)
		if err != nil {
			return fail(1, "%v", err)
		}
		counts := map[string]int{}
		for _, e := range res.Entries {
			counts[e]++
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
		fmt.Fprintf(stdout, "posted to %s: HTTP %d; entries: %s\n", base, res.Status, strings.Join(parts, ", "))
	}
	return 0
}

func runExportRegistry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlagSet("export", "CASEFILE... --format registry-csv --registry "+strings.Join(report.RegistryNames(), "|")+" [--out FILE]",
		"Writes, one row per case, the fields of a registry's dataset that Pumpside's record\n"+
			"holds (docs/export.md, \"Registries\", says field by field which come from Pumpside,\n"+
			"which the user adds and which need the registry's own specification). It is not a\n"+
			"submission file: the registry's field codes, code lists and inclusion rules are its\n"+
			"own. Cases are pseudonymised unless --identify.\n"+
			"Exit status: 0 when written, 1 on a write error, 2 on bad usage or an unreadable case.", stdout, stderr)
	fl.String("format", "registry-csv", "registry-csv")
	registry := fl.String("registry", "", "`NAME`: "+strings.Join(report.RegistryNames(), ", "))
	out := fl.String("out", "", "output `FILE` (default: stdout)")
	pf := addPrivacyFlags(fl)
	pos, code, ok := parseInterspersed(fl, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside export: "+format+"\n", a...)
		return code
	}
	if len(pos) == 0 {
		return fail(2, "at least one CASEFILE is required")
	}
	if _, ok := report.Registries[*registry]; !ok {
		return fail(2, "--registry %q: one of %s", *registry, strings.Join(report.RegistryNames(), ", "))
	}
	priv, ok := pf.privacy("export", stderr)
	if !ok {
		return 2
	}
	var rows []report.RegistryCase
	for _, p := range pos {
		c, ok := loadCaseFile("export", p, stderr)
		if !ok {
			return 2
		}
		s, err := report.Summarize(c, pf.settings(c), priv)
		if err != nil {
			return fail(2, "%v", err)
		}
		rows = append(rows, report.RegistryCase{Case: c, Summary: s, Quality: report.EvaluateQuality(c, s, nil)})
	}
	w, closeOut, err := createOutput(*out, stdout)
	if err != nil {
		return fail(1, "%v", err)
	}
	err = report.WriteRegistryCSV(w, *registry, rows)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	_ = ctx
	return 0
}

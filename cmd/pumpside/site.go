package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/pumpside/pumpside/devices/console"
	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/fhirout"
	"github.com/pumpside/pumpside/monitor/hl7out"
	"github.com/pumpside/pumpside/monitor/report"
	"github.com/pumpside/pumpside/monitor/site"
)

// siteFlags are --site-file and --tz: the site file (docs/site.md) with
// the display units, the theatre's zone and the preset, and a zone that
// overrides the file's. Every command that shows a time or a value to a
// person takes them.
type siteFlags struct {
	file, tz *string
}

func addSiteFlags(fl *flagSet) siteFlags {
	return siteFlags{
		file: fl.String("site-file", "", "the site `FILE` (TOML, docs/site.md: units, time zone, preset; default: $"+site.EnvFile+", else pumpside/site.toml in the user's config directory)"),
		tz:   fl.String("tz", "", "the theatre's time `ZONE` for the times shown (IANA name such as Europe/London, UTC, Local; default: the site file's, else the machine's)"),
	}
}

// load reads the site configuration; on an error it says so and ok is
// false (exit 2).
func (f siteFlags) load(cmd string, stderr io.Writer) (*site.Config, bool) {
	file, tz := "", ""
	if f.file != nil {
		file, tz = *f.file, *f.tz
	}
	c, err := site.Resolve(file, tz, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside %s: %v\n", cmd, err)
		return nil, false
	}
	return c, true
}

// clockAt reads a time of day typed at the pump, "09:15" or "09:15:30", as
// the latest such time in loc that is not more than skew after now: a
// sample drawn at 23:50 and entered at 00:05 is yesterday's.
func clockAt(s string, now time.Time, loc *time.Location, skew time.Duration) (int64, bool) {
	var layout string
	switch strings.Count(s, ":") {
	case 1:
		layout = "15:04"
	case 2:
		layout = "15:04:05"
	default:
		return 0, false
	}
	c, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return 0, false
	}
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
	if t.After(n.Add(skew)) {
		t = t.AddDate(0, 0, -1)
	}
	return t.UnixNano(), true
}

// siteConfigEnv names the environment variable holding the site
// configuration's path (docs/integration.md, "Site configuration").
const siteConfigEnv = "PUMPSIDE_SITE_CONFIG"

// siteFile is the site configuration (TOML): what leaves the machine and
// how, and the quality indicators.
type siteFile struct {
	Privacy struct {
		// IdentifiedSending lets records that leave the machine (HL7,
		// FHIR) carry the patient's identifiers. Off by default.
		IdentifiedSending bool   `toml:"identified_sending"`
		PatientIDField    string `toml:"patient_id_field"`
	} `toml:"privacy"`
	HL7 struct {
		Address              string           `toml:"address"`
		TLS                  bool             `toml:"tls"`
		CAFile               string           `toml:"ca_file"`
		CertFile             string           `toml:"cert_file"`
		KeyFile              string           `toml:"key_file"`
		ServerName           string           `toml:"server_name"`
		SendingApplication   string           `toml:"sending_application"`
		SendingFacility      string           `toml:"sending_facility"`
		ReceivingApplication string           `toml:"receiving_application"`
		ReceivingFacility    string           `toml:"receiving_facility"`
		ProcessingID         string           `toml:"processing_id"`
		AssigningAuthority   string           `toml:"assigning_authority"`
		IdentifierType       string           `toml:"identifier_type"`
		PatientClass         string           `toml:"patient_class"`
		LocalSystem          string           `toml:"local_system"`
		AckTimeout           console.Duration `toml:"ack_timeout"`
		RetryMin             console.Duration `toml:"retry_min"`
		RetryMax             console.Duration `toml:"retry_max"`
		MaxNAKs              int              `toml:"max_naks"`
		SendOnSignOff        bool             `toml:"send_on_signoff"`
		GridInterval         console.Duration `toml:"grid_interval"`
	} `toml:"hl7"`
	FHIR struct {
		BaseURL         string `toml:"base_url"`
		TokenFile       string `toml:"token_file"`
		CAFile          string `toml:"ca_file"`
		PatientSystem   string `toml:"patient_system"`
		PseudonymSystem string `toml:"pseudonym_system"`
		RecordSystem    string `toml:"record_system"`
		CodeSystem      string `toml:"code_system"`
		EncounterClass  string `toml:"encounter_class"`
	} `toml:"fhir"`
	Quality struct {
		Indicators []struct {
			ID        string             `toml:"id"`
			Name      string             `toml:"name"`
			Kind      string             `toml:"kind"`
			Channels  []string           `toml:"channels"`
			Threshold float64            `toml:"threshold"`
			Unit      string             `toml:"unit"`
			Duration  console.Duration   `toml:"duration"`
			Episode   bool               `toml:"episode"`
			Intervals map[string]float64 `toml:"intervals"`
			Source    string             `toml:"source"`
		} `toml:"indicator"`
	} `toml:"quality"`
}

// sendSite is the site configuration as the commands use it.
type sendSite struct {
	Path              string // "" when none was found: the defaults
	IdentifiedSending bool
	PatientIDField    string
	GridInterval      time.Duration

	HL7Address    string
	HL7TLS        *tls.Config
	HL7Message    hl7out.MessageConfig
	AckTimeout    time.Duration
	RetryMin      time.Duration
	RetryMax      time.Duration
	MaxNAKs       int
	SendOnSignOff bool

	FHIR          fhirout.Config
	FHIRBaseURL   string
	FHIRTokenFile string
	FHIRCAFile    string

	// Quality is the site's indicator set; nil: the defaults.
	Quality []report.Indicator
}

// sitePath finds the site configuration: flag, else $PUMPSIDE_SITE_CONFIG,
// else pumpside/site.toml in the user's config directory if it exists;
// "" means none (the defaults).
func sitePath(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv(siteConfigEnv); p != "" {
		return p
	}
	if dir, err := os.UserConfigDir(); err == nil {
		p := filepath.Join(dir, "pumpside", "site.toml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// loadSite reads and checks the site configuration at path ("" gives the
// defaults). Every error names the file and the key.
func loadSite(path string) (*sendSite, error) {
	s := &sendSite{Path: path, PatientIDField: "hospital_number"}
	if path == "" {
		return s, nil
	}
	var f siteFile
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", path, key, fmt.Sprintf(format, a...)))
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	s.IdentifiedSending = f.Privacy.IdentifiedSending
	if f.Privacy.PatientIDField != "" {
		s.PatientIDField = strings.TrimPrefix(f.Privacy.PatientIDField, "ident_")
	}
	h := f.HL7
	s.HL7Address = h.Address
	if h.Address != "" {
		if host, port, err := splitHostPort(h.Address); err != nil || host == "" || port == "" {
			bad("hl7.address", "%q is not host:port", h.Address)
		}
	}
	if h.TLS {
		cfg := &tls.Config{ServerName: h.ServerName, MinVersion: tls.VersionTLS12}
		if h.CAFile != "" {
			pem, err := os.ReadFile(rel(h.CAFile))
			if err != nil {
				bad("hl7.ca_file", "%v", err)
			} else {
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					bad("hl7.ca_file", "no PEM certificate in %s", h.CAFile)
				}
				cfg.RootCAs = pool
			}
		}
		if (h.CertFile == "") != (h.KeyFile == "") {
			bad("hl7.cert_file", "cert_file and key_file go together")
		} else if h.CertFile != "" {
			c, err := tls.LoadX509KeyPair(rel(h.CertFile), rel(h.KeyFile))
			if err != nil {
				bad("hl7.cert_file", "%v", err)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		s.HL7TLS = cfg
	} else if h.CAFile != "" || h.CertFile != "" || h.KeyFile != "" || h.ServerName != "" {
		bad("hl7.tls", "ca_file, cert_file, key_file and server_name need tls = true")
	}
	switch h.ProcessingID {
	case "", "P", "T", "D":
	default:
		bad("hl7.processing_id", "%q is not P, T or D", h.ProcessingID)
	}
	for key, v := range map[string]string{"sending_application": h.SendingApplication, "sending_facility": h.SendingFacility,
		"receiving_application": h.ReceivingApplication, "receiving_facility": h.ReceivingFacility, "assigning_authority": h.AssigningAuthority,
		"identifier_type": h.IdentifierType, "patient_class": h.PatientClass, "local_system": h.LocalSystem} {
		if strings.ContainsAny(v, "|^~\\&\r\n") || len(v) > 60 {
			bad("hl7."+key, "%q: at most 60 characters, none of | ^ ~ \\ &", v)
		}
	}
	s.HL7Message = hl7out.MessageConfig{SendingApplication: h.SendingApplication, SendingFacility: h.SendingFacility,
		ReceivingApplication: h.ReceivingApplication, ReceivingFacility: h.ReceivingFacility, ProcessingID: h.ProcessingID,
		AssigningAuthority: h.AssigningAuthority, IdentifierType: h.IdentifierType, PatientClass: h.PatientClass, LocalSystem: h.LocalSystem}
	s.AckTimeout, s.RetryMin, s.RetryMax, s.MaxNAKs = h.AckTimeout.Duration, h.RetryMin.Duration, h.RetryMax.Duration, h.MaxNAKs
	for key, d := range map[string]time.Duration{"ack_timeout": s.AckTimeout, "retry_min": s.RetryMin, "retry_max": s.RetryMax, "grid_interval": h.GridInterval.Duration} {
		if d < 0 {
			bad("hl7."+key, "%v is negative", d)
		}
	}
	if s.MaxNAKs < 0 {
		bad("hl7.max_naks", "%d is negative", s.MaxNAKs)
	}
	s.SendOnSignOff = h.SendOnSignOff
	if s.SendOnSignOff && h.Address == "" {
		bad("hl7.send_on_signoff", "needs hl7.address")
	}
	s.GridInterval = h.GridInterval.Duration
	if g := s.GridInterval; g != 0 && g != 10*time.Minute && g != 15*time.Minute && g != 5*time.Minute && g != 30*time.Minute {
		bad("hl7.grid_interval", "%v: 5m, 10m, 15m or 30m", g)
	}
	fh := f.FHIR
	s.FHIR = fhirout.Config{PatientSystem: fh.PatientSystem, PseudonymSystem: fh.PseudonymSystem, RecordSystem: fh.RecordSystem,
		CodeSystem: fh.CodeSystem, EncounterClass: fh.EncounterClass}
	s.FHIRBaseURL, s.FHIRTokenFile, s.FHIRCAFile = fh.BaseURL, rel(fh.TokenFile), rel(fh.CAFile)
	if s.IdentifiedSending && fh.BaseURL != "" && fh.PatientSystem == "" {
		bad("fhir.patient_system", "identified sending to a FHIR server needs the hospital number's identifier system")
	}
	for _, ind := range f.Quality.Indicators {
		s.Quality = append(s.Quality, report.Indicator{ID: ind.ID, Name: ind.Name, Kind: report.IndicatorKind(ind.Kind),
			Channels: ind.Channels, Threshold: ind.Threshold, Unit: ind.Unit, Duration: ind.Duration.Duration,
			Episode: ind.Episode, Intervals: ind.Intervals, Source: ind.Source})
	}
	if s.Quality != nil {
		if err := report.ValidateIndicators(s.Quality); err != nil {
			bad("quality.indicator", "%v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func splitHostPort(a string) (string, string, error) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return "", "", errors.New("no port")
	}
	host, port := strings.Trim(a[:i], "[]"), a[i+1:]
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", "", errors.New("bad port")
		}
	}
	return host, port, nil
}

// identified applies the site's rule to a command's --identify: records
// that leave the machine carry identifiers exactly when the site enables
// identified sending; asking without that is refused.
func (s *sendSite) identified(asked bool) (bool, error) {
	id, err := exchange.Identified(s.IdentifiedSending, asked)
	if err != nil && s.Path == "" {
		return false, fmt.Errorf("%w; no site configuration was found (--site, $%s, or site.toml in the user's config directory)", err, siteConfigEnv)
	}
	return id, err
}

// siteQuality is the quality indicator set of the site configuration
// found without a flag ($PUMPSIDE_SITE_CONFIG or the user's site.toml),
// for report and audit; nil (the defaults) when there is none. A broken
// configuration is an error: a report must not quietly judge a case by
// other indicators than the site's.
func siteQuality() ([]report.Indicator, error) {
	s, err := loadSite(sitePath(""))
	if err != nil {
		return nil, err
	}
	return s.Quality, nil
}

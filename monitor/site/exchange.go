package site

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Privacy is the site file's [privacy] section: whether records that leave
// the machine (HL7, FHIR) may carry the patient's identifiers.
type Privacy struct {
	// IdentifiedSending lets a record that leaves the machine carry the
	// patient's identifiers. Off by default: the case's pseudonym only.
	IdentifiedSending bool
	// PatientIDField is the ident_* field (without the prefix) sent as the
	// patient's identifier. Default "hospital_number".
	PatientIDField string
}

// HL7 is the site file's [hl7] section: the interface engine the perfusion
// record is sent to as ORU^R01 over MLLP, and the message's own fields
// (docs/integration.md).
type HL7 struct {
	// Address is the engine's host:port; "" when the site sends nothing.
	Address string
	// TLS: MLLP over TLS; CAFile, CertFile, KeyFile are paths (relative
	// ones resolved against the site file's folder) and ServerName the
	// name the engine's certificate must carry. TLSConfig loads them.
	TLS                       bool
	CAFile, CertFile, KeyFile string
	ServerName                string
	SendingApplication        string // MSH-3 (default PUMPSIDE)
	SendingFacility           string // MSH-4
	ReceivingApplication      string // MSH-5
	ReceivingFacility         string // MSH-6
	ProcessingID              string // MSH-11: P (default), T, D
	AssigningAuthority        string // PID-3.4 of an identified patient
	IdentifierType            string // PID-3.5 (default MR)
	PatientClass              string // PV1-2 (default I)
	LocalSystem               string // the local coding system (default 99PSD)
	AckTimeout, RetryMin      time.Duration
	RetryMax                  time.Duration
	MaxNAKs                   int
	SendOnSignOff             bool
}

// FHIR is the site file's [fhir] section: the FHIR server a bundle is
// posted to and the identifier systems it uses.
type FHIR struct {
	BaseURL string
	// TokenFile and CAFile are paths, relative ones resolved against the
	// site file's folder.
	TokenFile, CAFile                            string
	PatientSystem, PseudonymSystem, RecordSystem string
	CodeSystem, EncounterClass                   string
}

// IndicatorKind says how a quality indicator is measured (monitor/report
// evaluates them; docs/report.md, "Quality indicators").
type IndicatorKind string

// The kinds of quality indicator.
const (
	// TimeBelow: time with the value below Threshold; the case fails when
	// it is longer than Duration (the total, or with Episode the longest
	// continuous stretch).
	TimeBelow IndicatorKind = "time_below"
	// TimeAbove: the same with the value above Threshold.
	TimeAbove IndicatorKind = "time_above"
	// NadirBelow: the lowest value; the case fails when it is below
	// Threshold.
	NadirBelow IndicatorKind = "nadir_below"
	// PeakAbove: the highest value; the case fails when it is above
	// Threshold.
	PeakAbove IndicatorKind = "peak_above"
	// CardioplegiaRedose: during each cross-clamp period, the time from
	// each cardioplegia dose to the next (the last one: to clamp off)
	// against its solution's re-dose interval in the site's cardioplegia
	// table; the case fails when one is longer by more than Duration.
	CardioplegiaRedose IndicatorKind = "cardioplegia_interval"
)

// Indicator is one quality indicator: a threshold and a duration. A site
// sets its own list in [[quality.indicator]] tables; monitor/report has the
// defaults with their sources.
type Indicator struct {
	// ID is short and stable (lower-case letters, digits, _): it names
	// the indicator in the benchmark and the exports.
	ID   string
	Name string
	Kind IndicatorKind
	// Channels are read in order of preference: at each moment the first
	// with a usable, fresh value counts (time kinds); every value of every
	// channel counts for the nadir and the peak. Not used by
	// CardioplegiaRedose.
	Channels []string
	// Threshold is in the channels' unit. For TimeBelow on derived.do2i, 0
	// means the summary's DO2i threshold. Not used by CardioplegiaRedose.
	Threshold float64
	Unit      string
	// Duration is the time tolerated beyond the threshold (0: none).
	Duration time.Duration
	// Episode: Duration bounds the longest continuous stretch rather than
	// the total. A stretch ends where the value is not usable or fresh,
	// and where full flow ends.
	Episode bool
	// Source says where the threshold and the duration come from.
	Source string
}

// Validate reports what is wrong with the indicator.
func (ind Indicator) Validate() error {
	var errs []error
	if ind.ID == "" || strings.IndexFunc(ind.ID, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) >= 0 {
		errs = append(errs, fmt.Errorf("id %q: lower-case letters, digits and _ only", ind.ID))
	}
	if ind.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	switch ind.Kind {
	case TimeBelow, TimeAbove, NadirBelow, PeakAbove:
		if len(ind.Channels) == 0 {
			errs = append(errs, fmt.Errorf("%s needs channels", ind.Kind))
		}
		for _, ch := range ind.Channels {
			if _, ok := channel.Lookup(ch); !ok {
				errs = append(errs, fmt.Errorf("channel %q is not in the vocabulary", ch))
			}
		}
	case CardioplegiaRedose:
		if len(ind.Channels) > 0 || ind.Threshold != 0 {
			errs = append(errs, errors.New("cardioplegia_interval takes no channels and no threshold: the re-dose intervals are the site's [[cardioplegia]] table's"))
		}
	default:
		errs = append(errs, fmt.Errorf("kind %q is not one of time_below, time_above, nadir_below, peak_above, cardioplegia_interval", ind.Kind))
	}
	if math.IsNaN(ind.Threshold) || math.IsInf(ind.Threshold, 0) {
		errs = append(errs, errors.New("threshold is not a number"))
	}
	if ind.Duration < 0 {
		errs = append(errs, errors.New("duration is negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("indicator %q: %w", ind.ID, err)
	}
	return nil
}

// ValidateIndicators checks each indicator and that their IDs differ.
func ValidateIndicators(inds []Indicator) error {
	seen := map[string]bool{}
	var errs []error
	for _, ind := range inds {
		if err := ind.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[ind.ID] {
			errs = append(errs, fmt.Errorf("indicator %q: id used twice", ind.ID))
		}
		seen[ind.ID] = true
	}
	return errors.Join(errs...)
}

// TLSConfig returns the TLS configuration of MLLP over TLS, nil without
// TLS: it reads the CA and the client certificate from their files.
func (h HL7) TLSConfig() (*tls.Config, error) {
	if !h.TLS {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: h.ServerName, MinVersion: tls.VersionTLS12}
	if h.CAFile != "" {
		pem, err := os.ReadFile(h.CAFile)
		if err != nil {
			return nil, fmt.Errorf("hl7.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("hl7.ca_file: no PEM certificate in %s", h.CAFile)
		}
		cfg.RootCAs = pool
	}
	if h.CertFile != "" {
		c, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("hl7.cert_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// The TOML layout of the sending sections.
type privacyFile struct {
	IdentifiedSending bool   `toml:"identified_sending"`
	PatientIDField    string `toml:"patient_id_field"`
}

type hl7File struct {
	Address              string `toml:"address"`
	TLS                  bool   `toml:"tls"`
	CAFile               string `toml:"ca_file"`
	CertFile             string `toml:"cert_file"`
	KeyFile              string `toml:"key_file"`
	ServerName           string `toml:"server_name"`
	SendingApplication   string `toml:"sending_application"`
	SendingFacility      string `toml:"sending_facility"`
	ReceivingApplication string `toml:"receiving_application"`
	ReceivingFacility    string `toml:"receiving_facility"`
	ProcessingID         string `toml:"processing_id"`
	AssigningAuthority   string `toml:"assigning_authority"`
	IdentifierType       string `toml:"identifier_type"`
	PatientClass         string `toml:"patient_class"`
	LocalSystem          string `toml:"local_system"`
	AckTimeout           string `toml:"ack_timeout"`
	RetryMin             string `toml:"retry_min"`
	RetryMax             string `toml:"retry_max"`
	MaxNAKs              int    `toml:"max_naks"`
	SendOnSignOff        bool   `toml:"send_on_signoff"`
}

type fhirFile struct {
	BaseURL         string `toml:"base_url"`
	TokenFile       string `toml:"token_file"`
	CAFile          string `toml:"ca_file"`
	PatientSystem   string `toml:"patient_system"`
	PseudonymSystem string `toml:"pseudonym_system"`
	RecordSystem    string `toml:"record_system"`
	CodeSystem      string `toml:"code_system"`
	EncounterClass  string `toml:"encounter_class"`
}

type qualityFile struct {
	Indicators []indicatorFile `toml:"indicator"`
}

type indicatorFile struct {
	ID        string   `toml:"id"`
	Name      string   `toml:"name"`
	Kind      string   `toml:"kind"`
	Channels  []string `toml:"channels"`
	Threshold float64  `toml:"threshold"`
	Unit      string   `toml:"unit"`
	Duration  string   `toml:"duration"`
	Episode   bool     `toml:"episode"`
	Source    string   `toml:"source"`
}

// parseSending checks the sending sections of f into c; path is the site
// file's (relative paths are resolved against its folder). The first error
// names its key.
func parseSending(c *Config, f *file, path string) (key string, err error) {
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	c.Privacy = Privacy{IdentifiedSending: f.Privacy.IdentifiedSending, PatientIDField: "hospital_number"}
	if v := strings.TrimSpace(f.Privacy.PatientIDField); v != "" {
		c.Privacy.PatientIDField = strings.TrimPrefix(v, "ident_")
	}

	h := f.HL7
	if h.Address != "" {
		if host, port, err := net.SplitHostPort(h.Address); err != nil || host == "" || !validPort(port) {
			return "hl7.address", fmt.Errorf("%q is not host:port", h.Address)
		}
	}
	if !h.TLS && (h.CAFile != "" || h.CertFile != "" || h.KeyFile != "" || h.ServerName != "") {
		return "hl7.tls", errors.New("ca_file, cert_file, key_file and server_name need tls = true")
	}
	if (h.CertFile == "") != (h.KeyFile == "") {
		return "hl7.cert_file", errors.New("cert_file and key_file go together")
	}
	switch h.ProcessingID {
	case "", "P", "T", "D":
	default:
		return "hl7.processing_id", fmt.Errorf("%q is not P, T or D", h.ProcessingID)
	}
	for _, v := range []struct{ key, v string }{
		{"sending_application", h.SendingApplication}, {"sending_facility", h.SendingFacility},
		{"receiving_application", h.ReceivingApplication}, {"receiving_facility", h.ReceivingFacility},
		{"assigning_authority", h.AssigningAuthority}, {"identifier_type", h.IdentifierType},
		{"patient_class", h.PatientClass}, {"local_system", h.LocalSystem},
	} {
		if strings.ContainsAny(v.v, "|^~\\&\r\n") || len(v.v) > 60 {
			return "hl7." + v.key, fmt.Errorf("%q: at most 60 characters, none of | ^ ~ \\ &", v.v)
		}
	}
	c.HL7 = HL7{Address: h.Address, TLS: h.TLS, CAFile: rel(h.CAFile), CertFile: rel(h.CertFile), KeyFile: rel(h.KeyFile),
		ServerName: h.ServerName, SendingApplication: h.SendingApplication, SendingFacility: h.SendingFacility,
		ReceivingApplication: h.ReceivingApplication, ReceivingFacility: h.ReceivingFacility, ProcessingID: h.ProcessingID,
		AssigningAuthority: h.AssigningAuthority, IdentifierType: h.IdentifierType, PatientClass: h.PatientClass,
		LocalSystem: h.LocalSystem, MaxNAKs: h.MaxNAKs, SendOnSignOff: h.SendOnSignOff}
	for _, d := range []struct {
		key string
		s   string
		dst *time.Duration
	}{{"ack_timeout", h.AckTimeout, &c.HL7.AckTimeout}, {"retry_min", h.RetryMin, &c.HL7.RetryMin}, {"retry_max", h.RetryMax, &c.HL7.RetryMax}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil || v <= 0 || v > 24*time.Hour {
			return "hl7." + d.key, fmt.Errorf("%q: want a duration from 1ms to 24h (30s, 5m)", d.s)
		}
		*d.dst = v
	}
	if c.HL7.RetryMin > 0 && c.HL7.RetryMax > 0 && c.HL7.RetryMax < c.HL7.RetryMin {
		return "hl7.retry_max", fmt.Errorf("%v is shorter than retry_min %v", c.HL7.RetryMax, c.HL7.RetryMin)
	}
	if h.MaxNAKs < 0 {
		return "hl7.max_naks", fmt.Errorf("%d is negative", h.MaxNAKs)
	}
	if h.SendOnSignOff && h.Address == "" {
		return "hl7.send_on_signoff", errors.New("needs hl7.address")
	}

	fh := f.FHIR
	c.FHIR = FHIR{BaseURL: fh.BaseURL, TokenFile: rel(fh.TokenFile), CAFile: rel(fh.CAFile), PatientSystem: fh.PatientSystem,
		PseudonymSystem: fh.PseudonymSystem, RecordSystem: fh.RecordSystem, CodeSystem: fh.CodeSystem, EncounterClass: fh.EncounterClass}
	if fh.BaseURL != "" && !strings.HasPrefix(fh.BaseURL, "https://") && !strings.HasPrefix(fh.BaseURL, "http://") {
		return "fhir.base_url", fmt.Errorf("%q is not an http(s) URL", fh.BaseURL)
	}
	if c.Privacy.IdentifiedSending && fh.BaseURL != "" && fh.PatientSystem == "" {
		return "fhir.patient_system", errors.New("identified sending to a FHIR server needs the hospital number's identifier system")
	}

	for i, in := range f.Quality.Indicators {
		key := fmt.Sprintf("quality.indicator[%d]", i+1)
		ind := Indicator{ID: in.ID, Name: in.Name, Kind: IndicatorKind(in.Kind), Channels: in.Channels, Threshold: in.Threshold,
			Unit: in.Unit, Episode: in.Episode, Source: in.Source}
		if in.Duration != "" {
			d, err := time.ParseDuration(in.Duration)
			if err != nil {
				return key + ".duration", fmt.Errorf("%q is not a duration (5m, 90s)", in.Duration)
			}
			ind.Duration = d
		}
		if err := ind.Validate(); err != nil {
			return key, err
		}
		for _, o := range c.Quality {
			if o.ID == ind.ID {
				return key + ".id", fmt.Errorf("%q is used twice", ind.ID)
			}
		}
		c.Quality = append(c.Quality, ind)
	}
	return "", nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

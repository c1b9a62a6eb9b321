package site

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendingSections: identified sending, the interface engine, the FHIR
// server and the quality indicators are sections of the site file, as
// strict as the rest of it: each error names its key.
func TestSendingSections(t *testing.T) {
	for body, key := range map[string]string{
		"[hl7]\nadress = \"x:1\"\n":                        "hl7.adress",
		"[hl7]\naddress = \"nohost\"\n":                    "hl7.address",
		"[hl7]\naddress = \"engine:99999\"\n":              "hl7.address",
		"[hl7]\nca_file = \"x.pem\"\n":                     "hl7.tls",
		"[hl7]\ntls = true\ncert_file = \"c.pem\"\n":       "hl7.cert_file",
		"[hl7]\nprocessing_id = \"X\"\n":                   "hl7.processing_id",
		"[hl7]\nsending_facility = \"A|B\"\n":              "hl7.sending_facility",
		"[hl7]\nsend_on_signoff = true\n":                  "hl7.send_on_signoff",
		"[hl7]\nretry_min = \"soon\"\n":                    "hl7.retry_min",
		"[hl7]\nretry_min = \"1m\"\nretry_max = \"10s\"\n": "hl7.retry_max",
		"[hl7]\nmax_naks = -1\n":                           "hl7.max_naks",
		"[hl7]\ngrid_interval = \"15m\"\n":                 "hl7.grid_interval", // the grid is observation_interval
		"[privacy]\nidentified = true\n":                   "privacy.identified",
		"[fhir]\nbase_url = \"ftp://x\"\n":                 "fhir.base_url",
		"[privacy]\nidentified_sending = true\n[fhir]\nbase_url = \"https://fhir.example/r4\"\n":                                                                                 "fhir.patient_system",
		"[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"nope\"\n":                                                                                                     "quality.indicator[1]",
		"[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"nadir_below\"\nchannels = [\"no.such\"]\n":                                                                    "quality.indicator[1]",
		"[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"peak_above\"\nchannels = [\"abg.glucose\"]\nduration = \"long\"\n":                                            "quality.indicator[1].duration",
		"[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"cardioplegia_interval\"\nthreshold = 30\n":                                                                    "quality.indicator[1]",
		"[[quality.indicator]]\nid = \"x\"\nname = \"x\"\nkind = \"cardioplegia_interval\"\nintervals = { htk = 180 }\n":                                                         "quality.indicator.intervals", // the old per-solution table: the site's [[cardioplegia]] now
		"[[quality.indicator]]\nid = \"a\"\nname = \"x\"\nkind = \"cardioplegia_interval\"\n[[quality.indicator]]\nid = \"a\"\nname = \"y\"\nkind = \"cardioplegia_interval\"\n": "quality.indicator[2].id",
	} {
		_, err := Parse([]byte(body), "site.toml")
		var se *Error
		if assert.True(t, errors.As(err, &se), "%q: %v", body, err) {
			assert.Equal(t, key, se.Key, body)
			assert.ErrorIs(t, err, ErrSite)
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "site.toml")
	require.NoError(t, os.WriteFile(path, []byte(`timezone = "Europe/London"
observation_interval = "10m"
[privacy]
identified_sending = true
patient_id_field = "ident_nhs_number"
[hl7]
address = "engine.example:2575"
tls = true
ca_file = "ca.pem"
server_name = "engine.example"
retry_min = "2s"
retry_max = "5m"
max_naks = 3
send_on_signoff = true
[fhir]
base_url = "https://fhir.example/r4"
token_file = "/etc/pumpside/token"
patient_system = "urn:oid:2.16.840.1.113883.2.1.4.1"
[[quality.indicator]]
id = "map_low"
name = "MAP < 45 mmHg for more than 10 min"
kind = "time_below"
channels = ["patient.map"]
threshold = 45
unit = "mmHg"
duration = "10m"
episode = true
[[quality.indicator]]
id = "redose"
name = "Cardioplegia re-dose overdue by more than 5 min"
kind = "cardioplegia_interval"
duration = "5m"
`), 0o600))
	c, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, c.GridInterval)
	assert.Equal(t, Privacy{IdentifiedSending: true, PatientIDField: "nhs_number"}, c.Privacy)
	assert.Equal(t, "engine.example:2575", c.HL7.Address)
	assert.Equal(t, filepath.Join(dir, "ca.pem"), c.HL7.CAFile, "relative to the site file")
	assert.Equal(t, "/etc/pumpside/token", c.FHIR.TokenFile)
	assert.Equal(t, 2*time.Second, c.HL7.RetryMin)
	assert.Equal(t, 5*time.Minute, c.HL7.RetryMax)
	assert.Equal(t, 3, c.HL7.MaxNAKs)
	assert.True(t, c.HL7.SendOnSignOff)
	require.Len(t, c.Quality, 2)
	assert.Equal(t, 10*time.Minute, c.Quality[0].Duration)
	assert.Equal(t, CardioplegiaRedose, c.Quality[1].Kind)
	// The CA file is read when TLS is set up, with its key in the error.
	_, err = c.HL7.TLSConfig()
	assert.ErrorContains(t, err, "hl7.ca_file")

	d := Default()
	assert.Equal(t, "hospital_number", d.Privacy.PatientIDField)
	assert.False(t, d.Privacy.IdentifiedSending)
	assert.Empty(t, d.HL7.Address)
	assert.Nil(t, d.Quality, "nil: the report's defaults")
	tc, err := d.HL7.TLSConfig()
	assert.NoError(t, err)
	assert.Nil(t, tc)
}

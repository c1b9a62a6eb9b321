package record

import (
	"math"
	"strings"
	"testing"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/physio"
)

func TestParseSex(t *testing.T) {
	for in, want := range map[string]string{
		"female": "female", "Female": "female", "F": "female", "f": "female", "woman": "female",
		"male": "male", "MALE": "male", "M": "male", " m ": "male",
		"U": "", "unknown": "", "": "", "O": "", "A": "", "N": "",
	} {
		got, ok := ParseSex(in)
		assert.True(t, ok, "%q is a known code", in)
		assert.Equal(t, want, got, "%q", in)
	}
	got, ok := ParseSex("X")
	assert.False(t, ok)
	assert.Equal(t, "", got)
}

func applyAll(t *testing.T, lines string) (Meta, []error) {
	t.Helper()
	m := NewMeta()
	var problems []error
	r := NewReader(strings.NewReader(lines))
	for r.Next() {
		problems = append(problems, m.Apply(r.Entry())...)
	}
	require.NoError(t, r.Err())
	require.Zero(t, r.BadLines)
	return m, problems
}

// Another tool's metadata: integers, HL7 sex codes, several lines where the
// last wins field by field, fields left out keeping their value.
func TestMetaApplyLastLineWins(t *testing.T) {
	m, problems := applyAll(t, `case,case=X height_cm=175i,weight_kg=80,sex="M",hufner=1.36 1772352000000000000
case,case=X weight_kg=82u,sex="Female",bsa_formula="mosteller",ident_name="Jane" 1772352600000000000
`)
	assert.Empty(t, problems)
	assert.Equal(t, 175.0, m.HeightCm)
	assert.Equal(t, 82.0, m.WeightKg)
	assert.True(t, math.IsNaN(m.AgeYears))
	assert.Equal(t, "female", m.Sex)
	assert.Equal(t, 1.36, m.Constants.Hufner)
	assert.Equal(t, physio.Mosteller, m.Constants.BSAFormula)
	assert.Equal(t, physio.DefaultConstants().O2Solubility, m.Constants.O2Solubility)
	assert.Equal(t, "Jane", m.Identifiers["name"])
	assert.Equal(t, int64(1772352600000000000), m.Time)
}

// What cannot be taken is reported, and nothing else is lost.
func TestMetaApplyReportsWhatItCannotTake(t *testing.T) {
	m, problems := applyAll(t, `case,case=X height_cm=175,weight_kg=80,sex="F" 1772352000000000000
case,case=X height_cm=1750,sex="X",bsa_formula="haycock",weight_kg=81 1772352600000000000
`)
	require.Len(t, problems, 3)
	assert.ErrorContains(t, problems[0], "height_cm=1750 is outside")
	assert.ErrorContains(t, problems[1], `sex "X"`)
	assert.ErrorContains(t, problems[2], "haycock")
	assert.Equal(t, 175.0, m.HeightCm, "an impossible height keeps the earlier one")
	assert.Equal(t, 81.0, m.WeightKg)
	assert.Equal(t, "", m.Sex, "an unknown code is unknown")
	assert.Equal(t, physio.DuBois, m.Constants.BSAFormula)
}

// The run's mode: written by encodeMeta when set, read back, kept by a
// later line without it (the case set-up's), an unknown mode reported.
func TestMetaMode(t *testing.T) {
	var enc lineprotocol.Encoder
	m := NewMeta()
	m.Time, m.Mode = 1772352000000000000, ModeECMO
	encodeMeta(&enc, "X", &m)
	require.NoError(t, enc.Err())
	line := string(enc.Bytes())
	require.Contains(t, line, `mode="ecmo"`)
	got, problems := applyAll(t, line+`case,case=X weight_kg=82 1772352600000000000
`)
	assert.Empty(t, problems)
	assert.Equal(t, ModeECMO, got.Mode)
	assert.Equal(t, 82.0, got.WeightKg)

	got, problems = applyAll(t, `case,case=X mode="ecls" 1772352000000000000
`)
	require.Len(t, problems, 1)
	assert.ErrorContains(t, problems[0], `mode "ecls"`)
	assert.Equal(t, "", got.Mode)

	m.Mode = ""
	enc = lineprotocol.Encoder{}
	encodeMeta(&enc, "X", &m)
	assert.NotContains(t, string(enc.Bytes()), "mode=", "a bypass case writes no mode")
}

package physio

import (
	"encoding"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ encoding.TextMarshaler   = DuBois
	_ encoding.TextUnmarshaler = (*BSAFormula)(nil)
)

func TestDefaultConstants(t *testing.T) {
	c := DefaultConstants()
	require.NoError(t, c.Validate())
	assert.Equal(t, 1.34, c.Hufner)
	assert.Equal(t, 0.003, c.O2Solubility)
	assert.Equal(t, 1.316, c.VCO2Factor)
	assert.Equal(t, 79.9, c.SVRFactor)
	assert.Equal(t, DuBois, c.BSAFormula)
	assert.Equal(t, 70.0, c.BloodVolumeMLPerKg)
	assert.Equal(t, 1.0, c.ProtamineMgPer100IU)
	assert.Equal(t, 300.0, c.HeparinIUPerKg)
	assert.Equal(t, 280.0, c.DO2iThreshold)
	assert.Equal(t, FlowIndexTable{{32, 2.0}, {37, 2.4}}, c.FlowIndexTable)

	// Each call returns its own table.
	c.FlowIndexTable[0].FlowIndex = 9
	assert.Equal(t, 2.0, DefaultConstants().FlowIndexTable[0].FlowIndex)
}

func TestValidateNamesField(t *testing.T) {
	cases := []struct {
		field string
		set   func(*Constants, float64)
		bad   []float64
		good  []float64
	}{
		{"hufner", func(c *Constants, v float64) { c.Hufner = v }, []float64{1.29, 1.41, 0, math.NaN(), math.Inf(1)}, []float64{1.30, 1.39, 1.40}},
		{"o2_solubility", func(c *Constants, v float64) { c.O2Solubility = v }, []float64{0.0027, 0.0033, 0.03}, []float64{0.0028, 0.0031, 0.0032}},
		{"vco2_factor", func(c *Constants, v float64) { c.VCO2Factor = v }, []float64{0.99, 1.61, -1.3}, []float64{1.0, 1.34, 1.403, 1.6}},
		{"svr_factor", func(c *Constants, v float64) { c.SVRFactor = v }, []float64{78.9, 81.1, 1}, []float64{79, 80, 81}},
		{"blood_volume_ml_per_kg", func(c *Constants, v float64) { c.BloodVolumeMLPerKg = v }, []float64{39, 101}, []float64{40, 60, 100}},
		{"protamine_mg_per_100iu", func(c *Constants, v float64) { c.ProtamineMgPer100IU = v }, []float64{0.49, 2.01}, []float64{0.5, 1.3, 2}},
		{"heparin_iu_per_kg", func(c *Constants, v float64) { c.HeparinIUPerKg = v }, []float64{99, 601}, []float64{100, 400, 600}},
		{"do2i_threshold", func(c *Constants, v float64) { c.DO2iThreshold = v }, []float64{149, 501}, []float64{150, 300, 500}},
	}
	for _, tc := range cases {
		for _, v := range tc.bad {
			c := DefaultConstants()
			tc.set(&c, v)
			err := c.Validate()
			var re *RangeError
			if assert.ErrorAs(t, err, &re, "%s %v", tc.field, v) {
				assert.Equal(t, tc.field, re.Field)
				assert.Contains(t, err.Error(), tc.field)
				assert.Less(t, re.Min, re.Max)
			}
		}
		for _, v := range tc.good {
			c := DefaultConstants()
			tc.set(&c, v)
			assert.NoError(t, c.Validate(), "%s %v", tc.field, v)
		}
	}
	assert.Len(t, cases, len(ConstantRanges()), "every range has a case")

	// All bad fields are reported, the first one first.
	c := DefaultConstants()
	c.Hufner, c.SVRFactor = 2, 2
	err := c.Validate()
	assert.ErrorContains(t, err, "hufner")
	assert.ErrorContains(t, err, "svr_factor")
	var re *RangeError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "hufner", re.Field)
	assert.Equal(t, "physio: hufner 2 is outside 1.3–1.4 mL O2/g", re.Error())
}

func TestValidateFormulaAndTable(t *testing.T) {
	c := DefaultConstants()
	c.BSAFormula = 7
	assert.ErrorContains(t, c.Validate(), "bsa_formula")

	for name, table := range map[string]FlowIndexTable{
		"empty":       nil,
		"unsorted":    {{37, 2.4}, {32, 2.0}},
		"duplicate":   {{32, 2.0}, {32, 2.2}},
		"too cold":    {{5, 1.0}, {37, 2.4}},
		"flow absurd": {{32, 2.0}, {37, 24}},
		"NaN":         {{math.NaN(), 2.0}, {37, 2.4}},
	} {
		c := DefaultConstants()
		c.FlowIndexTable = table
		assert.ErrorContains(t, c.Validate(), "flow_index_table", name)
	}
	c = DefaultConstants()
	c.FlowIndexTable = FlowIndexTable{{18, 1.6}, {28, 1.8}, {32, 2.0}, {37, 2.4}}
	assert.NoError(t, c.Validate())
}

func TestConstantsJSONRoundTrip(t *testing.T) {
	c := DefaultConstants()
	c.BSAFormula = Mosteller
	c.VCO2Factor = VCO2Factor(713+47, true)
	c.FlowIndexTable = FlowIndexTable{{18, 1.6}, {37, 2.4}}
	c.BloodVolumeFormula = BVNadler
	b, err := json.Marshal(c)
	require.NoError(t, err)

	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &keys))
	for _, k := range []string{"hufner", "o2_solubility", "vco2_factor", "svr_factor", "bsa_formula",
		"blood_volume_ml_per_kg", "blood_volume_formula", "protamine_mg_per_100iu", "heparin_iu_per_kg", "do2i_threshold", "flow_index_table"} {
		assert.Contains(t, keys, k)
	}
	assert.Len(t, keys, 11)
	assert.JSONEq(t, `"nadler"`, string(keys["blood_volume_formula"]))
	assert.JSONEq(t, `"mosteller"`, string(keys["bsa_formula"]))
	assert.JSONEq(t, `[{"temp_c":18,"flow_index":1.6},{"temp_c":37,"flow_index":2.4}]`, string(keys["flow_index_table"]))

	var back Constants
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, c, back)
	assert.NoError(t, back.Validate())

	// A stored case with a formula this version does not know is refused.
	assert.Error(t, json.Unmarshal([]byte(`{"bsa_formula":"haycock"}`), &back))
	_, err = json.Marshal(Constants{BSAFormula: 9})
	assert.Error(t, err)
}

func TestBSAFormulaText(t *testing.T) {
	for _, f := range []BSAFormula{DuBois, Mosteller} {
		b, err := f.MarshalText()
		require.NoError(t, err)
		var back BSAFormula
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, f, back)
	}
	f, err := ParseBSAFormula("DuBois")
	require.NoError(t, err)
	assert.Equal(t, DuBois, f)
	f, err = ParseBSAFormula("mosteller")
	require.NoError(t, err)
	assert.Equal(t, Mosteller, f)
	_, err = ParseBSAFormula("haycock")
	assert.ErrorContains(t, err, "dubois or mosteller")
	assert.Equal(t, "dubois", DuBois.String())
	assert.Equal(t, "Mosteller", Mosteller.Label())
	assert.Equal(t, "bsaformula(9)", BSAFormula(9).String())
	assert.False(t, BSAFormula(2).Valid())
	var zero BSAFormula
	assert.Equal(t, DuBois, zero, "the zero value is the default formula")
}

package entry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cardioplegia's crystalloid share is stored with it, from its ratio
// blood:crystalloid (physio.CrystalloidShare).
func TestCardioplegiaCrystalloid(t *testing.T) {
	for _, c := range []struct {
		text string
		want float64
	}{
		{"blood 4:1 1000 mL antegrade", 200},
		{"del Nido 1:4 1000 mL", 800},
		{"Custodiol 0:1 2000 mL", 2000},
	} {
		e, err := ParseText(KindCardioplegia, c.text)
		require.NoError(t, err, c.text)
		e.Time = at(time.Hour)
		Normalize(&e)
		require.NoError(t, Validate(e, caseStart, at(2*time.Hour)), c.text)
		assert.Equal(t, c.want, e.Num["crystalloid_ml"], c.text)
		assert.Contains(t, e.Str["solution"], e.Str["ratio"], "the ratio stays in the solution's name")
	}
	// A given crystalloid_ml is kept; no ratio, no share.
	e := Entry{Kind: KindCardioplegia, Time: at(time.Hour)}
	e.SetStr("solution", "blood")
	e.SetStr("ratio", "4:1")
	e.SetNum("volume_ml", 1000)
	e.SetNum("crystalloid_ml", 250)
	Normalize(&e)
	assert.Equal(t, 250.0, e.Num["crystalloid_ml"])
	e2, err := ParseText(KindCardioplegia, "HTK 2000 mL")
	require.NoError(t, err)
	Normalize(&e2)
	_, has := e2.Num["crystalloid_ml"]
	assert.False(t, has)
	// Refused: a ratio that is not one, a share above the dose.
	bad := e
	bad.Str = map[string]string{"solution": "blood", "ratio": "4-1"}
	assert.ErrorContains(t, Validate(bad, caseStart, at(2*time.Hour)), "ratio")
	bad = e
	bad.Num = map[string]float64{"volume_ml": 500, "discarded_ml": 600}
	assert.ErrorContains(t, Validate(bad, caseStart, at(2*time.Hour)), "discarded_ml")
}

// An in-line recalibration typed in one box: the values the monitor was
// set to, by their units.
func TestInlineRecalibrationText(t *testing.T) {
	e, err := ParseText(KindInlineRecalibration, "to the gas 24 % 8.1 g/dL")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"hct": 24, "hb": 8.1}, e.Num)
	e.Time = at(time.Hour)
	Normalize(&e)
	require.NoError(t, Validate(e, caseStart, at(2*time.Hour)))
	_, err = ParseText(KindInlineRecalibration, "24 % 25 %")
	assert.Error(t, err, "a second Hct has no field")
}

// The recalibration's blood-gas values: in typed text the first mmHg is
// pO2, the second pCO2, mmol/L is K+.
func TestInlineRecalibrationGasText(t *testing.T) {
	e, err := ParseText(KindInlineRecalibration, "to the gas 212 mmHg 41 mmHg 4.1 mmol/L 24 %")
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"po2": 212, "pco2": 41, "k": 4.1, "hct": 24}, e.Num)
	e.Time = at(time.Hour)
	e.SetStr("side", "arterial")
	Normalize(&e)
	require.NoError(t, Validate(e, caseStart, at(2*time.Hour)))
}

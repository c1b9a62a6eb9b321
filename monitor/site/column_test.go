package site

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A table's column names the unit only when the site converts the
// channel: a CSV a person reads says "abg.pco2 (kPa)".
func TestColumn(t *testing.T) {
	si := Units{Gas: KPa, Hb: GPerL, Glucose: MgPerDL}
	def := Default().Units
	for ch, want := range map[string]string{"abg.pco2": "abg.pco2 (kPa)", "inline.art_po2": "inline.art_po2 (kPa)", "abg.hb": "abg.hb (g/L)",
		"abg.glucose": "abg.glucose (mg/dL)", "pump.flow": "pump.flow", "abg.k": "abg.k", "other.thing": "other.thing"} {
		h, d := si.Column(ch)
		assert.Equal(t, want, h)
		assert.Equal(t, want != ch, d.Converted(), ch)
		h, d = def.Column(ch)
		assert.Equal(t, ch, h)
		assert.False(t, d.Converted(), ch)
	}
}

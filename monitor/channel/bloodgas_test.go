package channel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBloodGasPanels(t *testing.T) {
	for _, p := range []string{PanelArterial, PanelVenous, PanelCentralVenous, PanelUnstated} {
		for a := range BloodGasAnalytes {
			id := panelFirst[p] + ID(a)
			got, idx, ok := Panel(id)
			assert.True(t, ok)
			assert.Equal(t, p, got)
			assert.Equal(t, a, idx)
			assert.Equal(t, p+"."+bloodGasAnalytes[a].field, Get(id).Name)
		}
	}
	id, ok := InPanel(BGPO2, PanelArterial)
	assert.True(t, ok)
	assert.Equal(t, ABGPO2, id)
	id, ok = InPanel(BGLactate, PanelCentralVenous)
	assert.True(t, ok)
	assert.Equal(t, "cvbg.lactate", id.String())
	_, ok = InPanel(PumpFlow, PanelArterial)
	assert.False(t, ok)
	_, ok = InPanel(BGPH, "xbg")
	assert.False(t, ok)
	_, _, ok = Panel(NIRSLeft)
	assert.False(t, ok)
}

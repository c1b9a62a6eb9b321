package channel

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contract is the public channel contract (docs/channels.md): name -> unit.
// A failure here means a contract name or unit changed, which is not allowed.
var contract = map[string]string{
	"pump.flow": "L/min", "pump.speed": "rpm", "pump.line_pressure": "mmHg", "pump.cardioplegia_pressure": "mmHg",
	"patient.map": "mmHg", "patient.sys": "mmHg", "patient.dia": "mmHg", "patient.cvp": "mmHg", "patient.hr": "/min", "patient.spo2": "%",
	"temp.arterial_outlet": "°C", "temp.venous_inlet": "°C", "temp.nasopharyngeal": "°C", "temp.bladder": "°C",
	"gas.sweep": "L/min", "gas.fio2": "%", "gas.exhaust_co2": "mmHg",
	"inline.art_ph": "pH", "inline.art_pco2": "mmHg", "inline.art_po2": "mmHg", "inline.art_so2": "%",
	"inline.art_hco3": "mmol/L", "inline.art_be": "mmol/L", "inline.k": "mmol/L",
	"inline.ven_ph": "pH", "inline.ven_pco2": "mmHg", "inline.ven_po2": "mmHg", "inline.ven_so2": "%",
	"inline.hct": "%", "inline.hb": "g/dL", "inline.art_temp": "°C", "inline.ven_temp": "°C",
	"act.seconds": "s", "nirs.left": "%", "nirs.right": "%", "reservoir.level": "mL", "urine.volume": "mL",
	"derived.bsa": "m²", "derived.flow_index": "L/min/m²", "derived.svr": "dyn·s·cm⁻⁵", "derived.svri": "dyn·s·cm⁻⁵·m²",
	"derived.cao2": "mL/dL", "derived.cvo2": "mL/dL", "derived.do2": "mL/min", "derived.do2i": "mL/min/m²",
	"derived.vo2": "mL/min", "derived.vo2i": "mL/min/m²", "derived.o2er": "%", "derived.vco2": "mL/min",
	"derived.vco2i": "mL/min/m²", "derived.do2i_vco2i": "ratio", "derived.rq": "ratio",
	"derived.av_gradient": "°C", "derived.rewarm_rate": "°C/min",
	"derived.oxy_dp": "mmHg", "derived.oxy_resistance": "mmHg/(L/min)", "derived.oxy_pf_ratio": "mmHg",
}

func init() {
	units := map[string]string{"ph": "pH", "pco2": "mmHg", "po2": "mmHg", "so2": "%", "hb": "g/dL", "hct": "%",
		"k": "mmol/L", "na": "mmol/L", "ica": "mmol/L", "glucose": "mmol/L", "lactate": "mmol/L", "be": "mmol/L", "hco3": "mmol/L"}
	for f, u := range units {
		contract["abg."+f] = u
		contract["vbg."+f] = u
	}
}

func TestContract(t *testing.T) {
	for name, unit := range contract {
		id, ok := Lookup(name)
		if !assert.Truef(t, ok, "contract channel %s missing", name) {
			continue
		}
		c := Get(id)
		assert.Equal(t, unit, c.Unit, name)
		assert.Equal(t, id, c.ID)
		assert.Equal(t, name, id.String())
		assert.Equal(t, name, c.Group()+"."+c.Field())
	}
}

func TestTableSane(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		require.NotEmpty(t, c.Name)
		assert.False(t, seen[c.Name], "duplicate %s", c.Name)
		seen[c.Name] = true
		assert.Less(t, c.Min, c.Max, c.Name)
		assert.NotEmpty(t, c.Unit, c.Name)
		assert.NotEmpty(t, c.Label, c.Name)
		assert.GreaterOrEqual(t, c.Precision, 0, c.Name)
		assert.GreaterOrEqual(t, c.Freshness, int64(0), c.Name)
	}
	assert.Len(t, All(), Count-1)
	assert.Equal(t, "", Get(Invalid).Name)
	assert.Equal(t, "", Get(ID(60000)).Name)
}

func TestClassifyAndFormat(t *testing.T) {
	flow := Get(PumpFlow)
	cases := []struct {
		v    float64
		q    Quality
		want string
		qual Quality
	}{
		{4.4, OK, "4.40", OK},
		{0, OK, "0.00", OK},
		{8, OK, "8.00", OK},
		{8.01, OK, NoValue, OutOfRange},
		{-0.1, OK, NoValue, OutOfRange},
		{math.NaN(), OK, NoValue, OutOfRange},
		{math.Inf(1), OK, NoValue, OutOfRange},
		{4.4, Stale, NoValue, Stale},
		{4.4, Unavailable, NoValue, Unavailable},
		{4.4, Questionable, NoValue, Questionable},
		{99, Stale, NoValue, Stale}, // never upgraded, never downgraded to out_of_range
	}
	for _, c := range cases {
		assert.Equal(t, c.want, flow.Format(c.v, c.q), "%v %v", c.v, c.q)
		assert.Equal(t, c.want, string(flow.AppendFormat(nil, c.v, c.q)))
		assert.Equal(t, c.qual, flow.Classify(c.v, c.q), "%v %v", c.v, c.q)
	}
	sao2 := Get(InlineArtSO2)
	assert.Equal(t, OutOfRange, sao2.Classify(140, OK))
}

func TestQualityText(t *testing.T) {
	for q := OK; q <= Stale; q++ {
		b, err := q.MarshalText()
		require.NoError(t, err)
		var back Quality
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, q, back)
	}
	_, err := ParseQuality("fine")
	assert.Error(t, err)
	assert.Equal(t, "quality(9)", Quality(9).String())
}

func TestDerivedFlag(t *testing.T) {
	assert.True(t, Get(DerivedDO2i).Derived())
	assert.False(t, Get(PumpFlow).Derived())
}

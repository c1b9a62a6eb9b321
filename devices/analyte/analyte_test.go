package analyte_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor/channel"
)

func TestConvert(t *testing.T) {
	cases := []struct {
		ch     string
		unit   string
		in     float64
		want   float64
		wantOK bool
	}{
		{"abg.pco2", "kPa", 5.33, 39.978, true}, // 5.33 kPa is 40 mmHg to 3 figures
		{"abg.pco2", "mmHg", 40, 40, true},
		{"abg.pco2", "mm[Hg]", 40, 40, true},
		{"abg.po2", " KPA ", 13.3, 99.758, true},
		{"abg.ph", "", 7.4, 7.4, true},
		{"abg.ph", "[pH]", 7.4, 7.4, true},
		{"abg.so2", "fraction", 0.975, 97.5, true},
		{"abg.so2", "%", 97.5, 97.5, true},
		{"abg.hct", "L/L", 0.31, 31, true},
		{"abg.hb", "g/L", 102, 10.2, true},
		{"abg.hb", "mmol/L", 6.2, 9.991, true},
		{"abg.glucose", "mg/dL", 180.16, 10, true},
		{"abg.lactate", "mg/dL", 18.016, 2, true},
		{"abg.ica", "mg/dL", 4.81, 1.2, true},
		{"abg.ica", "mEq/L", 2.4, 1.2, true},
		{"abg.k", "mEq/L", 4.1, 4.1, true},
		{"abg.na", "mmol/L", 140, 140, true},
		{"inline.art_temp", "°F", 98.6, 37, true},
		{"inline.art_temp", "degF", 32, 0, true},
		{"pump.flow", "mL/min", 4500, 4.5, true},
		{"reservoir.level", "L", 1.2, 1200, true},
		{"abg.ph", "kPa", 7.4, 0, false},
		{"abg.k", "mg/dL", 4, 0, false}, // no molar mass for potassium here: refuse
		{"abg.na", "furlongs", 4, 0, false},
		{"abg.hb", "mg/dL", 4, 0, false},
		{"abg.pco2", "%", 4, 0, false},
	}
	for _, c := range cases {
		id, ok := channel.Lookup(c.ch)
		require.True(t, ok, c.ch)
		conv, ok := analyte.ConvertString(id, c.unit)
		assert.Equal(t, c.wantOK, ok, "%s from %q", c.ch, c.unit)
		if ok {
			assert.InDelta(t, c.want, conv.Apply(c.in), 0.001, "%s from %q", c.ch, c.unit)
			assert.InDelta(t, c.in, conv.Invert(conv.Apply(c.in)), 1e-9, "%s from %q round trip", c.ch, c.unit)
		}
	}
	_, ok := analyte.ConvertString(channel.Invalid, "")
	assert.False(t, ok)
}

func TestChannel(t *testing.T) {
	id, ok := analyte.Channel("ph", analyte.Arterial)
	assert.True(t, ok)
	assert.Equal(t, channel.ABGPH, id)
	id, ok = analyte.Channel("hco3", analyte.Venous)
	assert.True(t, ok)
	assert.Equal(t, channel.VBGHCO3, id)
	id, ok = analyte.Channel("so2", analyte.CentralVenous)
	assert.True(t, ok)
	assert.Equal(t, channel.CVBGSO2, id)
	id, ok = analyte.Channel("ph", analyte.Unknown)
	assert.True(t, ok, "a site not stated is a channel too: bg.*")
	assert.Equal(t, channel.BGPH, id)
	_, ok = analyte.Channel("flow", analyte.Arterial)
	assert.False(t, ok)
	for _, n := range analyte.Names {
		for _, s := range []analyte.Site{analyte.Arterial, analyte.Venous, analyte.CentralVenous, analyte.Unknown} {
			id, ok := analyte.Channel(n, s)
			require.True(t, ok, n)
			got, panel := analyte.PanelSite(id)
			assert.True(t, panel)
			assert.Equal(t, s, got)
		}
	}
	_, panel := analyte.PanelSite(channel.PumpFlow)
	assert.False(t, panel)
}

func TestSites(t *testing.T) {
	s := analyte.Sites{Arterial: []string{"BLDA", "Arterial"}, Venous: []string{"BLDV", "mixed venous"}, CentralVenous: []string{"CVC"}, Unspecified: []string{"BLD"}}
	require.NoError(t, s.Init("sites"))
	for in, want := range map[string]struct {
		site  analyte.Site
		class analyte.Class
	}{
		"":             {analyte.Unknown, analyte.Empty},
		" bldv ":       {analyte.Venous, analyte.Named},
		"ARTERIAL":     {analyte.Arterial, analyte.Named},
		"Mixed Venous": {analyte.Venous, analyte.Named},
		"cvc":          {analyte.CentralVenous, analyte.Named},
		"BLD":          {analyte.Unknown, analyte.Unspecified},
		"BLDC":         {analyte.Unknown, analyte.Unrecognised}, // capillary is neither: not guessed
	} {
		site, class := s.Classify([]byte(in))
		assert.Equal(t, want.site, site, in)
		assert.Equal(t, want.class, class, in)
	}
	for _, bad := range []analyte.Sites{
		{Default: "capillary"},
		{Override: "cord"},
		{Arterial: []string{"A"}, Venous: []string{"a"}},
		{CentralVenous: []string{"cv"}, Unspecified: []string{" CV "}},
		{Unspecified: []string{" "}},
	} {
		assert.Error(t, bad.Init("sites"))
	}
	for in, want := range map[string]analyte.Site{"arterial": analyte.Arterial, "venous": analyte.Venous, "central_venous": analyte.CentralVenous, "": analyte.Unknown} {
		got, err := analyte.ParseSite(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestDefaultSites(t *testing.T) {
	s := analyte.DefaultSites()
	for in, want := range map[string]analyte.Site{
		"BLDA": analyte.Arterial, "ABLD": analyte.Arterial, "122552005": analyte.Arterial, "Arterial": analyte.Arterial,
		"BLDV": analyte.Venous, "122555007": analyte.Venous, "Mixed Venous": analyte.Venous, "BLDMV": analyte.Venous,
		"Central venous blood": analyte.CentralVenous,
	} {
		got, class := s.Classify([]byte(in))
		assert.Equal(t, analyte.Named, class, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"BLD", "Not specified", "Unspecified", "119297000", "258580003", "whole blood"} {
		_, class := s.Classify([]byte(in))
		assert.Equal(t, analyte.Unspecified, class, in)
	}
	for _, in := range []string{"BLDC", "BLDCO", "Capillary", "Cord", "122554006"} {
		_, class := s.Classify([]byte(in))
		assert.Equal(t, analyte.Unrecognised, class, "%s: capillary and cord blood are neither", in)
	}
}

func TestTable(t *testing.T) {
	tab, err := analyte.NewTable([]analyte.Test{
		{Code: "pH", Analyte: "ph"},
		{Code: "2746-6", Analyte: "ph", Site: "venous"},
		{Code: "pCO2", Analyte: "pco2", Unit: "kPa"},
		{Code: "ACT", Channel: "act.seconds"},
	}, "test")
	require.NoError(t, err)
	e, ok := tab.Lookup([]byte("pH"))
	require.True(t, ok)
	assert.Equal(t, channel.VBGPH, e.Channel(analyte.Venous))
	assert.Equal(t, channel.BGPH, e.Channel(analyte.Unknown), "a code that follows the specimen goes to bg.* without one")
	e, _ = tab.Lookup([]byte("2746-6"))
	assert.Equal(t, channel.VBGPH, e.Channel(analyte.Arterial), "the code's own site wins")
	assert.Equal(t, channel.VBGPH, e.Channel(analyte.Unknown))
	assert.Equal(t, channel.CVBGPH, e.Channel(analyte.CentralVenous), "a central venous specimen refines a venous code")
	e, _ = tab.Lookup([]byte("pCO2"))
	conv, ok := e.Convert(channel.ABGPCO2, nil)
	assert.True(t, ok)
	assert.InDelta(t, 7.50062, conv.Scale, 1e-9, "the entry's unit when the result has none")
	e, _ = tab.Lookup([]byte("ACT"))
	assert.Equal(t, channel.ACTSeconds, e.Channel(analyte.Unknown))
	assert.True(t, e.Fixed())
	_, ok = tab.Lookup([]byte("ph"))
	assert.False(t, ok, "codes are case-sensitive")
	assert.Equal(t, []channel.ID{
		channel.ABGPH, channel.VBGPH, channel.CVBGPH, channel.BGPH,
		channel.ABGPCO2, channel.VBGPCO2, channel.CVBGPCO2, channel.BGPCO2,
		channel.ACTSeconds,
	}, tab.Channels())

	e, state, ok := tab.For(channel.VBGPH)
	assert.True(t, ok)
	assert.False(t, state)
	assert.Equal(t, "2746-6", e.Code)
	for _, id := range []channel.ID{channel.ABGPH, channel.CVBGPH, channel.BGPH} {
		e, state, ok = tab.For(id)
		assert.True(t, ok, "%v", id)
		assert.True(t, state, "%v: the specimen must say it", id)
		assert.Equal(t, "pH", e.Code)
	}
	_, _, ok = tab.For(channel.ABGNa)
	assert.False(t, ok)

	for _, c := range []struct {
		tests []analyte.Test
		want  string
	}{
		{[]analyte.Test{{Analyte: "ph"}}, "test[0].code is empty"},
		{[]analyte.Test{{Code: "a", Analyte: "ph"}, {Code: "a", Analyte: "k"}}, `test[1].code = "a" is repeated`},
		{[]analyte.Test{{Code: "a", Analyte: "phh"}}, `test[0].analyte = "phh" is not one of ph, pco2`},
		{[]analyte.Test{{Code: "a", Analyte: "ph", Channel: "abg.ph"}}, "test[0].channel: give analyte or channel, not both"},
		{[]analyte.Test{{Code: "a"}}, "test[0].analyte: give analyte or channel"},
		{[]analyte.Test{{Code: "a", Channel: "abg.phh"}}, `test[0].channel = "abg.phh" is not a measured channel`},
		{[]analyte.Test{{Code: "a", Channel: "derived.do2"}}, `test[0].channel = "derived.do2" is not a measured channel`},
		{[]analyte.Test{{Code: "a", Channel: "abg.ph", Site: "venous"}}, "test[0].site: a fixed channel takes no site"},
		{[]analyte.Test{{Code: "a", Analyte: "ph", Site: "capillary"}}, `test[0].site: "capillary" is not arterial, venous or central_venous`},
		{[]analyte.Test{{Code: "a", Analyte: "pco2", Unit: "g/L"}}, `test[0].unit = "g/L" cannot be converted to abg.pco2 (mmHg)`},
	} {
		_, err := analyte.NewTable(c.tests, "test")
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
}

// TestEntryUnitNotGuessed: a result without a unit is read in the entry's
// configured unit, or as pH; never in the channel's unit by assumption.
func TestEntryUnitNotGuessed(t *testing.T) {
	tab, err := analyte.NewTable([]analyte.Test{{Code: "pO2", Analyte: "po2"}, {Code: "pH", Analyte: "ph"}, {Code: "sO2", Analyte: "so2", Unit: "fraction"}}, "test")
	require.NoError(t, err)
	e, _ := tab.Lookup([]byte("pO2"))
	_, ok := e.Convert(channel.ABGPO2, []byte(" "))
	assert.False(t, ok, "13.3 without a unit could be kPa or mmHg")
	c, ok := e.Convert(channel.ABGPO2, []byte("kPa"))
	assert.True(t, ok)
	assert.InDelta(t, 7.50062, c.Scale, 1e-9)
	e, _ = tab.Lookup([]byte("pH"))
	c, ok = e.Convert(channel.ABGPH, nil)
	assert.True(t, ok)
	assert.Equal(t, analyte.Identity, c)
	e, _ = tab.Lookup([]byte("sO2"))
	c, ok = e.Convert(channel.ABGSO2, nil)
	assert.True(t, ok)
	assert.Equal(t, 100.0, c.Scale)
	c, ok = e.Convert(channel.ABGSO2, []byte("%"))
	assert.True(t, ok, "a unit in the message wins over the configured one")
	assert.Equal(t, 1.0, c.Scale)
	assert.True(t, analyte.KnownUnit([]byte("mm[Hg]")))
	assert.True(t, analyte.KnownUnit([]byte("KPA")))
	assert.False(t, analyte.KnownUnit([]byte("kPb")))
	assert.False(t, analyte.KnownUnit(nil))
}

func TestParseValue(t *testing.T) {
	cases := []struct {
		in string
		v  float64
		q  channel.Quality
		ok bool
	}{
		{"7.40", 7.4, channel.OK, true},
		{" -2.1 ", -2.1, channel.OK, true},
		{"1.2E+2", 120, channel.OK, true},
		{"<0.5", 0.5, channel.OutOfRange, true},
		{"> 180", 180, channel.OutOfRange, true},
		{">=30", 30, channel.OutOfRange, true},
		{"", 0, channel.Unavailable, true},
		{"---", 0, channel.Unavailable, true},
		{"****", 0, channel.Unavailable, true},
		{"NaN", 0, channel.OK, false},
		{"Inf", 0, channel.OK, false},
		{"0x10", 0, channel.OK, false},
		{"7,40", 0, channel.OK, false},
		{"<", 0, channel.OutOfRange, false},
		{"e", 0, channel.OK, false},
		{"?7.412", 7.412, channel.Questionable, true}, // Radiometer: a value the analyser doubts
		{"?", 0, channel.Questionable, false},
		{".....", 0, channel.Unavailable, true}, // Radiometer ABL80: not measured
		{"7..4", 0, channel.OK, false},
	}
	for _, c := range cases {
		v, q, ok := analyte.ParseValue([]byte(c.in))
		assert.Equal(t, c.ok, ok, "%q", c.in)
		if ok {
			assert.Equal(t, c.q, q, "%q", c.in)
			assert.InDelta(t, c.v, v, 1e-12, "%q", c.in)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	tab, err := analyte.NewTable([]analyte.Test{{Code: "pH", Analyte: "ph"}}, "test")
	require.NoError(t, err)
	code, unit, val := []byte("pH"), []byte("kPa"), []byte("1.25e1")
	allocs := testing.AllocsPerRun(100, func() {
		tab.Lookup(code)
		analyte.Convert(channel.ABGPCO2, unit)
		analyte.ParseValue(val)
	})
	assert.Zero(t, allocs)
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"7.40", "<0.5", "1e3", "---", ">=2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, q, ok := analyte.ParseValue(b)
		if ok && q != channel.Unavailable && v != v {
			t.Fatalf("%q gave NaN", b)
		}
	})
}

func TestWithDefaultsAndSpecs(t *testing.T) {
	tests := analyte.WithDefaults([]analyte.Test{{Code: "pH", Analyte: "ph", Site: "venous"}},
		[]analyte.Test{{Code: "pH", Analyte: "ph"}, {Code: "K", Analyte: "k"}})
	assert.Equal(t, []analyte.Test{{Code: "pH", Analyte: "ph", Site: "venous"}, {Code: "K", Analyte: "k"}}, tests, "the site's code wins")
	tab, err := analyte.NewTable(tests, "tests")
	require.NoError(t, err)
	specs := tab.Specs()
	require.Len(t, specs, 6, "vbg.ph, cvbg.ph; k on abg, vbg, cvbg, bg")
	assert.Equal(t, channel.VBGPH, specs[0].ID)
	assert.Equal(t, "pH", specs[0].Field)
	assert.Equal(t, channel.CVBGPH, specs[1].ID)
	assert.Equal(t, channel.ABGK, specs[2].ID)
	assert.Equal(t, "K", specs[2].Field)
	assert.Equal(t, channel.BGK, specs[5].ID)
	assert.Contains(t, specs[5].Note, "not stated")
}

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
	_, ok = analyte.Channel("ph", analyte.Unknown)
	assert.False(t, ok)
	_, ok = analyte.Channel("flow", analyte.Arterial)
	assert.False(t, ok)
	for _, n := range analyte.Names {
		for _, s := range []analyte.Site{analyte.Arterial, analyte.Venous} {
			id, ok := analyte.Channel(n, s)
			require.True(t, ok, n)
			assert.Equal(t, s, analyte.SiteOf(id))
		}
	}
	assert.Equal(t, analyte.Unknown, analyte.SiteOf(channel.PumpFlow))
}

func TestSites(t *testing.T) {
	s := analyte.Sites{Arterial: []string{"BLDA", "Arterial"}, Venous: []string{"BLDV", "mixed venous"}, Unspecified: []string{"BLD"}, Default: "arterial"}
	require.NoError(t, s.Init("sites"))
	for in, want := range map[string]analyte.Site{"": analyte.Arterial, " bldv ": analyte.Venous, "ARTERIAL": analyte.Arterial, "Mixed Venous": analyte.Venous, "BLD": analyte.Arterial} {
		got, ok := s.Classify([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := s.Classify([]byte("BLDC"))
	assert.False(t, ok, "capillary is neither: not guessed")

	s.Default = ""
	require.NoError(t, s.Init("sites"))
	got, ok := s.Classify(nil)
	assert.True(t, ok)
	assert.Equal(t, analyte.Unknown, got)

	for _, bad := range []analyte.Sites{
		{Default: "capillary"},
		{Arterial: []string{"A"}, Venous: []string{"a"}},
		{Unspecified: []string{" "}},
	} {
		assert.Error(t, bad.Init("sites"))
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
	id, ok := e.Channel(analyte.Venous, true)
	assert.True(t, ok)
	assert.Equal(t, channel.VBGPH, id)
	_, ok = e.Channel(analyte.Unknown, false)
	assert.False(t, ok, "a code that follows the specimen needs a known site")
	e, _ = tab.Lookup([]byte("2746-6"))
	id, ok = e.Channel(analyte.Arterial, true)
	assert.True(t, ok)
	assert.Equal(t, channel.VBGPH, id, "the code's own site wins")
	e, _ = tab.Lookup([]byte("pCO2"))
	conv, ok := e.Convert(channel.ABGPCO2, nil)
	assert.True(t, ok)
	assert.InDelta(t, 7.50062, conv.Scale, 1e-9, "the entry's unit when the result has none")
	e, _ = tab.Lookup([]byte("ACT"))
	id, ok = e.Channel(analyte.Unknown, false)
	assert.True(t, ok)
	assert.Equal(t, channel.ACTSeconds, id)
	_, ok = tab.Lookup([]byte("ph"))
	assert.False(t, ok, "codes are case-sensitive")
	assert.Equal(t, []channel.ID{channel.ABGPH, channel.VBGPH, channel.ABGPCO2, channel.VBGPCO2, channel.ACTSeconds}, tab.Channels())

	e, needSite, ok := tab.For(channel.VBGPH)
	assert.True(t, ok)
	assert.False(t, needSite)
	assert.Equal(t, "2746-6", e.Code)
	e, needSite, ok = tab.For(channel.ABGPH)
	assert.True(t, ok)
	assert.True(t, needSite)
	assert.Equal(t, "pH", e.Code)
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
		{[]analyte.Test{{Code: "a", Analyte: "ph", Site: "capillary"}}, `test[0].site: "capillary" is not arterial or venous`},
		{[]analyte.Test{{Code: "a", Analyte: "pco2", Unit: "g/L"}}, `test[0].unit = "g/L" cannot be converted to abg.pco2 (mmHg)`},
	} {
		_, err := analyte.NewTable(c.tests, "test")
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
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

func TestClassifyParts(t *testing.T) {
	s := analyte.DefaultSites()
	for _, c := range []struct {
		a, b string
		site analyte.Site
		ok   bool
	}{
		{"BLDA", "", analyte.Arterial, true},
		{"BLD", "arterial", analyte.Arterial, true}, // the type says blood, the source says where
		{"", "Venous", analyte.Venous, true},
		{"BLD", "", analyte.Unknown, true}, // unspecified, and no default
		{"", "", analyte.Unknown, true},
		{"BLDC", "", analyte.Unknown, false}, // capillary: not guessed
		{"BLDC", "arterial", analyte.Arterial, true},
	} {
		site, ok := s.ClassifyParts([]byte(c.a), []byte(c.b))
		assert.Equal(t, c.ok, ok, "%q %q", c.a, c.b)
		assert.Equal(t, c.site, site, "%q %q", c.a, c.b)
	}
	s.Default = "venous"
	require.NoError(t, s.Init("sites"))
	site, ok := s.ClassifyParts([]byte("whole blood"), nil)
	assert.True(t, ok)
	assert.Equal(t, analyte.Venous, site)
	allocs := testing.AllocsPerRun(100, func() { s.ClassifyParts([]byte("BLD"), []byte("arterial")) })
	assert.Zero(t, allocs)
}

func TestWithDefaultsAndSpecs(t *testing.T) {
	tests := analyte.WithDefaults([]analyte.Test{{Code: "pH", Analyte: "ph", Site: "venous"}},
		[]analyte.Test{{Code: "pH", Analyte: "ph"}, {Code: "K", Analyte: "k"}})
	assert.Equal(t, []analyte.Test{{Code: "pH", Analyte: "ph", Site: "venous"}, {Code: "K", Analyte: "k"}}, tests, "the site's code wins")
	tab, err := analyte.NewTable(tests, "tests")
	require.NoError(t, err)
	specs := tab.Specs()
	require.Len(t, specs, 3)
	assert.Equal(t, channel.VBGPH, specs[0].ID)
	assert.Equal(t, "pH", specs[0].Field)
	assert.Equal(t, channel.ABGK, specs[1].ID)
	assert.Equal(t, "K", specs[1].Field)
}

package analyte_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor/channel"
)

// loinc is a table of LOINC codes as the hl7 driver's: the sited ones name
// their specimen in LOINC's system axis (BldA, BldV), the others are "in
// Blood".
func loinc(t *testing.T) *analyte.Table {
	tab, err := analyte.NewTable([]analyte.Test{
		{Code: "2703-7", Analyte: "po2", Site: "arterial"},
		{Code: "2705-2", Analyte: "po2", Site: "venous"},
		{Code: "2019-8", Analyte: "pco2", Site: "arterial"},
		{Code: "718-7", Analyte: "hb"},
		{Code: "6298-4", Analyte: "k"},
		{Code: "32693-4", Analyte: "lactate"},
	}, "tests")
	require.NoError(t, err)
	return tab
}

func entries(t *testing.T, tab *analyte.Table, codes ...string) []*analyte.Entry {
	var out []*analyte.Entry
	for _, c := range codes {
		e, ok := tab.Lookup([]byte(c))
		require.True(t, ok, c)
		out = append(out, e)
	}
	return out
}

func TestInfer(t *testing.T) {
	tab := loinc(t)
	panels, err := analyte.NewPanels([]analyte.Panel{{Code: "24336-0", Site: "arterial"}, {Code: "24339-4", Site: "venous"}, {Code: "24338-6"}}, "panels")
	require.NoError(t, err)
	spm := func(code, text string) []analyte.Part {
		return []analyte.Part{{Field: "SPM-4", Text: []byte(code)}, {Field: "SPM-4", Text: []byte(text)}}
	}
	obr4 := func(code string) []analyte.Part { return []analyte.Part{{Field: "OBR-4", Text: []byte(code)}} }
	cases := []struct {
		name     string
		sites    func(*analyte.Sites)
		ev       analyte.Evidence
		site     analyte.Site
		step     analyte.Step
		note     string
		resultOf map[string]channel.ID // code -> channel of its result
	}{
		{
			name: "specimen field first",
			ev:   analyte.Evidence{Specimen: spm("BLDA", "Blood arterial"), Panels: obr4("24339-4"), Siblings: entries(t, tab, "2705-2", "718-7")},
			site: analyte.Arterial, step: analyte.FromSpecimen, note: "specimen arterial, from SPM-4 BLDA",
			resultOf: map[string]channel.ID{"718-7": channel.ABGHb, "2705-2": channel.VBGPO2},
		},
		{
			name: "text when the code is unknown",
			ev:   analyte.Evidence{Specimen: spm("X99", "Central venous blood")},
			site: analyte.CentralVenous, step: analyte.FromSpecimen, note: "specimen central venous, from SPM-4 Central venous blood",
			resultOf: map[string]channel.ID{"718-7": channel.CVBGHb, "2705-2": channel.CVBGPO2, "2703-7": channel.ABGPO2},
		},
		{
			name: "then the panel",
			ev:   analyte.Evidence{Specimen: spm("BLD", "Whole blood"), Panels: obr4("24336-0"), Siblings: entries(t, tab, "718-7")},
			site: analyte.Arterial, step: analyte.FromPanel, note: "specimen arterial, from OBR-4 24336-0",
		},
		{
			name: "24338-6 (Gas panel - Blood) decides nothing: then the siblings",
			ev:   analyte.Evidence{Panels: obr4("24338-6"), Siblings: entries(t, tab, "718-7", "2705-2", "6298-4")},
			site: analyte.Venous, step: analyte.FromSibling, note: "specimen venous, from sibling 2705-2",
			resultOf: map[string]channel.ID{"718-7": channel.VBGHb, "6298-4": channel.VBGK, "32693-4": channel.VBGLactate},
		},
		{
			name: "siblings that agree",
			ev:   analyte.Evidence{Siblings: entries(t, tab, "2703-7", "2019-8", "32693-4")},
			site: analyte.Arterial, step: analyte.FromSibling, note: "specimen arterial, from sibling 2703-7",
		},
		{
			name: "siblings that disagree decide nothing",
			ev:   analyte.Evidence{Siblings: entries(t, tab, "2703-7", "718-7", "2705-2")},
			site: analyte.Unknown, step: analyte.Disagree, note: "siblings disagree (2703-7 arterial, 2705-2 venous): results on bg.*",
			resultOf: map[string]channel.ID{"718-7": channel.BGHb, "2703-7": channel.ABGPO2, "2705-2": channel.VBGPO2},
		},
		{
			name: "nothing stated",
			ev:   analyte.Evidence{Siblings: entries(t, tab, "718-7")},
			site: analyte.Unknown, step: analyte.NotStated, note: "specimen not stated: results on bg.*",
			resultOf: map[string]channel.ID{"718-7": channel.BGHb},
		},
		{
			name: "Radiometer's Not specified",
			ev:   analyte.Evidence{Specimen: []analyte.Part{{Field: "O.16", Text: []byte("Not specified")}, {Field: "O.16"}}},
			site: analyte.Unknown, step: analyte.NotStated, note: "specimen not stated (O.16 Not specified): results on bg.*",
		},
		{
			name: "an unrecognised specimen is not guessed, whatever follows",
			ev:   analyte.Evidence{Specimen: []analyte.Part{{Field: "O.16", Text: []byte("Capillary\x01")}}, Panels: obr4("24336-0"), Siblings: entries(t, tab, "2703-7")},
			site: analyte.Unknown, step: analyte.NotRecognised, note: `specimen "Capillary?" in O.16 is not arterial or venous: results on bg.*`,
		},
		{
			name:  "the site's default comes last",
			sites: func(s *analyte.Sites) { s.Default = "venous" },
			ev:    analyte.Evidence{Siblings: entries(t, tab, "718-7")},
			site:  analyte.Venous, step: analyte.FromDefault, note: "specimen venous, from sites.default",
		},
		{
			name:  "the site's override comes first",
			sites: func(s *analyte.Sites) { s.Override = "arterial" },
			ev:    analyte.Evidence{Specimen: spm("BLDV", ""), Siblings: entries(t, tab, "718-7", "2705-2")},
			site:  analyte.Arterial, step: analyte.FromOverride, note: "specimen arterial, from sites.override",
			resultOf: map[string]channel.ID{"718-7": channel.ABGHb, "2705-2": channel.VBGPO2},
		},
	}
	for _, c := range cases {
		s := analyte.DefaultSites()
		if c.sites != nil {
			c.sites(&s)
			require.NoError(t, s.Init("sites"))
		}
		inf := s.Infer(&c.ev, panels)
		assert.Equal(t, c.site, inf.Site, c.name)
		assert.Equal(t, c.step, inf.Step, c.name)
		assert.Equal(t, c.note, string(inf.AppendNote(nil)), c.name)
		for code, want := range c.resultOf {
			e, _ := tab.Lookup([]byte(code))
			assert.Equal(t, want, e.Channel(inf.Site), "%s: %s", c.name, code)
		}
	}
}

func TestResultSite(t *testing.T) {
	for _, c := range []struct {
		fixed, order, want analyte.Site
		conflict           bool
	}{
		{analyte.Unknown, analyte.Arterial, analyte.Arterial, false},
		{analyte.Unknown, analyte.Unknown, analyte.Unknown, false},
		{analyte.Arterial, analyte.Unknown, analyte.Arterial, false},
		{analyte.Arterial, analyte.Arterial, analyte.Arterial, false},
		{analyte.Arterial, analyte.Venous, analyte.Arterial, true},
		{analyte.Venous, analyte.CentralVenous, analyte.CentralVenous, false},
		{analyte.Venous, analyte.Arterial, analyte.Venous, true},
	} {
		got, conflict := analyte.ResultSite(c.fixed, &analyte.Inference{Site: c.order})
		assert.Equal(t, c.want, got, "%v in %v", c.fixed, c.order)
		assert.Equal(t, c.conflict, conflict, "%v in %v", c.fixed, c.order)
	}
}

func TestPanels(t *testing.T) {
	_, err := analyte.NewPanels([]analyte.Panel{{Code: "A"}, {Code: "A"}}, "panels")
	assert.ErrorContains(t, err, `panels[1].code = "A" is repeated`)
	_, err = analyte.NewPanels([]analyte.Panel{{Code: " "}}, "panels")
	assert.ErrorContains(t, err, "panels[0].code is empty")
	_, err = analyte.NewPanels([]analyte.Panel{{Code: "A", Site: "cord"}}, "panels")
	assert.ErrorContains(t, err, "panels[0].site")
	p := analyte.WithDefaultPanels([]analyte.Panel{{Code: "24336-0", Site: "venous"}}, []analyte.Panel{{Code: "24336-0", Site: "arterial"}, {Code: "X", Site: "arterial"}})
	assert.Equal(t, []analyte.Panel{{Code: "24336-0", Site: "venous"}, {Code: "X", Site: "arterial"}}, p, "the site's code wins")
}

func TestInferNoAllocs(t *testing.T) {
	tab := loinc(t)
	panels, err := analyte.NewPanels([]analyte.Panel{{Code: "24336-0", Site: "arterial"}}, "panels")
	require.NoError(t, err)
	s := analyte.DefaultSites()
	ev := analyte.Evidence{
		Specimen: []analyte.Part{{Field: "SPM-4", Text: []byte("BLD")}, {Field: "OBR-15", Text: []byte("whole blood")}},
		Panels:   []analyte.Part{{Field: "OBR-4", Text: []byte("24338-6")}},
		Siblings: entries(t, tab, "718-7", "2705-2", "6298-4"),
	}
	var inf analyte.Inference
	allocs := testing.AllocsPerRun(100, func() { inf = s.Infer(&ev, panels) })
	assert.Zero(t, allocs)
	assert.Equal(t, analyte.Venous, inf.Site)
}

// FuzzInfer checks the specimen inference on any descriptions and codes:
// no panic, a valid site, a note of printable ASCII, and bg.* (Unknown)
// whenever the step says nothing decided.
func FuzzInfer(f *testing.F) {
	f.Add([]byte("BLDA"), []byte("Blood arterial"), []byte(""), []byte("24338-6"), uint8(0))
	f.Add([]byte("Not specified"), []byte(""), []byte("BLDV"), []byte("24336-0"), uint8(3))
	f.Add([]byte("Capillary\x00\xff"), []byte("arterial"), []byte(""), []byte(""), uint8(7))
	f.Add([]byte(""), []byte(""), []byte(""), []byte(""), uint8(5))
	tab, err := analyte.NewTable([]analyte.Test{
		{Code: "2703-7", Analyte: "po2", Site: "arterial"}, {Code: "2705-2", Analyte: "po2", Site: "venous"},
		{Code: "718-7", Analyte: "hb"}, {Code: "ACT", Channel: "act.seconds"},
	}, "tests")
	if err != nil {
		f.Fatal(err)
	}
	panels, err := analyte.NewPanels([]analyte.Panel{{Code: "24336-0", Site: "arterial"}, {Code: "24339-4", Site: "venous"}, {Code: "24338-6"}}, "panels")
	if err != nil {
		f.Fatal(err)
	}
	sites := analyte.DefaultSites()
	f.Fuzz(func(t *testing.T, a, b, c, panel []byte, pick uint8) {
		var sib []*analyte.Entry
		for i, e := range tab.Entries() {
			if pick&(1<<i) != 0 {
				sib = append(sib, &e)
			}
		}
		inf := sites.Infer(&analyte.Evidence{
			Specimen: []analyte.Part{{Field: "SPM-4", Text: a}, {Field: "SPM-4", Text: b}, {Field: "OBR-15", Text: c}},
			Panels:   []analyte.Part{{Field: "OBR-4", Text: panel}},
			Siblings: sib,
		}, panels)
		if inf.Site > analyte.CentralVenous {
			t.Fatalf("site %d", inf.Site)
		}
		switch inf.Step {
		case analyte.NotStated, analyte.NotRecognised, analyte.Disagree:
			if inf.Site != analyte.Unknown {
				t.Fatalf("step %d decided nothing but gave %v", inf.Step, inf.Site)
			}
		}
		for _, ch := range inf.AppendNote(nil) {
			if ch < ' ' || ch > '~' {
				t.Fatalf("note %q", inf.AppendNote(nil))
			}
		}
	})
}

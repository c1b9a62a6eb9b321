package site

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
)

func get(name string) *channel.Channel {
	id, ok := channel.Lookup(name)
	if !ok {
		panic(name)
	}
	return channel.Get(id)
}

// Worked examples of the conversions: 40 mmHg is 5.33 kPa, 100 mmHg
// 13.3 kPa (the standard atmosphere, 101.325 kPa = 760 mmHg); Hb 12.3 g/dL
// is 123 g/L; glucose 5.5 mmol/L is 99 mg/dL (180.156 g/mol). Blood
// pressures stay in mmHg; a site without a choice sees the channel's unit.
func TestDisplay(t *testing.T) {
	si := Units{Gas: KPa, Hb: GPerL, Glucose: MgPerDL}
	for _, c := range []struct {
		ch     string
		stored float64
		unit   string
		shown  string
	}{
		{"abg.pco2", 40, "kPa", "5.33"},
		{"abg.po2", 100, "kPa", "13.3"},
		{"vbg.po2", 231.8, "kPa", "30.9"},
		{"inline.art_pco2", 38, "kPa", "5.07"},
		{"gas.exhaust_co2", 33.1, "kPa", "4.41"},
		{"patient.etco2", 35, "kPa", "4.67"},
		{"patient.map", 65, "mmHg", "65"},
		{"pump.line_pressure", 180, "mmHg", "180"},
		{"abg.hb", 12.3, "g/L", "123"},
		{"inline.hb", 9.35, "g/L", "94"},
		{"abg.glucose", 5.5, "mg/dL", "99"},
		{"vbg.glucose", 11.1, "mg/dL", "200"},
		{"abg.lactate", 2.4, "mmol/L", "2.4"},
		{"abg.k", 4.25, "mmol/L", "4.2"},
	} {
		d := si.Display(get(c.ch))
		assert.Equal(t, c.unit, d.Unit, c.ch)
		assert.Equal(t, c.shown, d.Format(c.stored), c.ch)
		assert.InDelta(t, c.stored, d.Stored(d.Value(c.stored)), 1e-9, "%s round trip", c.ch)
	}
	// Typed in kPa, stored in mmHg: 5.33 kPa is 39.98 mmHg.
	assert.InDelta(t, 39.978, si.Display(get("abg.pco2")).Stored(5.33), 0.001)
	def := Default().Units
	for _, ch := range []string{"abg.pco2", "abg.hb", "abg.glucose"} {
		d := def.Display(get(ch))
		assert.Equal(t, get(ch).Unit, d.Unit)
		assert.False(t, d.Converted())
	}
	assert.Equal(t, "", def.Display(get("abg.ph")).Format(math.NaN()), "no value is no number")
	assert.Equal(t, "7.41", def.Display(get("abg.ph")).Format(7.412))
}

func TestParseExample(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "site.toml"))
	require.NoError(t, err)
	assert.Equal(t, "Theatre 5", c.Theatre)
	assert.Equal(t, Units{Gas: KPa, Hb: GPerL, Glucose: MmolPerL}, c.Units)
	assert.Equal(t, "Europe/London", c.Zone.String())
	assert.Equal(t, 10*time.Minute, c.GridInterval)
	dn, ok := entry.LookupSolution(c.Solutions, "DN")
	require.True(t, ok)
	assert.Equal(t, "del Nido", dn.Name)
	assert.Equal(t, 0.8, dn.CrystalloidFraction)
	st, ok := entry.LookupSolution(c.Solutions, "st thomas 2")
	require.True(t, ok)
	assert.Equal(t, 30*time.Minute, st.Redose)
	htk, ok := entry.LookupSolution(c.Solutions, "Custodiol")
	require.True(t, ok, "built-in solutions the site does not redefine stay")
	assert.Equal(t, 180*time.Minute, htk.Redose)

	require.Len(t, c.PresetOf(entry.KindDisposable), 3)
	require.Len(t, c.PresetOf(entry.KindFluid), 2)
	hep := c.PresetOf(entry.KindDrug)
	require.Len(t, hep, 1)
	assert.Equal(t, 5000.0, hep[0].Num["dose"])
	assert.Equal(t, "IU", hep[0].Str["unit"])

	// Fill: a venous cannula gets its product, size and site, keeps the
	// lot typed for this case.
	e := entry.Entry{Kind: entry.KindDisposable}
	e.SetStr("item", "venous_cannula").SetStr("lot", "L-0042").SetStr("size", "32/40 Fr")
	require.True(t, c.Fill(&e))
	assert.Equal(t, map[string]string{"item": "venous_cannula", "lot": "L-0042", "size": "32/40 Fr", "product": "Example two-stage", "site": "right atrium"}, e.Str)
	other := entry.Entry{Kind: entry.KindDisposable}
	other.SetStr("item", "haemofilter")
	assert.False(t, c.Fill(&other), "no preset for that item")
	cl := entry.Entry{Kind: entry.KindChecklist}
	cl.SetStr("signed_by", "A. Perfusionist")
	require.True(t, c.Fill(&cl))
	assert.Equal(t, "pre-bypass", cl.Str["checklist"])

	assert.Equal(t, map[string]InlineTolerance{"po2": {Abs: 20, Rel: 0.10}, "k": {Abs: 0.4}}, c.InlineQC)
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, toml, key string
		msg             []string
	}{
		{"unknown key", "colour = \"blue\"\n", "colour", []string{"unknown key"}},
		{"theatre", "theatre = \"OR\\t3\"\n", "theatre", []string{"printable"}},
		{"theatre a patient's number", "theatre = \"943 476 5919\"\n", "theatre", []string{"never a patient"}},
		{"unit", "[units]\ngas = \"atm\"\n", "units.gas", []string{`"atm"`, "mmHg, kPa"}},
		{"hb unit", "[units]\nhb = \"mmol/L\"\n", "units.hb", []string{"g/dL, g/L"}},
		{"zone", "timezone = \"Mars/Olympus\"\n", "timezone", []string{"Mars/Olympus"}},
		{"grid", "observation_interval = \"20m\"\n", "observation_interval", []string{"10m or 15m"}},
		{"fraction", "[[cardioplegia]]\nsolution = \"x\"\ncrystalloid_fraction = 4\n", "cardioplegia[1].crystalloid_fraction", []string{"outside 0..1"}},
		{"redose", "[[cardioplegia]]\nsolution = \"x\"\nredose = \"20\"\n", "cardioplegia[1].redose", nil},
		{"solution twice", "[[cardioplegia]]\nsolution = \"x\"\n[[cardioplegia]]\nsolution = \"X\"\n", "cardioplegia[2].solution", []string{"twice"}},
		{"preset kind", "[[preset]]\nkind = \"note\"\n", "preset[1]", []string{"procedure, team"}},
		{"preset field", "[[preset]]\nkind = \"circuit\"\ncolour = \"red\"\n", "preset[1]", []string{"colour: not a field of circuit"}},
		{"preset number as string", "[[preset]]\nkind = \"circuit\"\nrap_ml = \"600\"\n", "preset[1]", []string{"not a number"}},
		{"preset lot with control", "[[preset]]\nkind = \"disposable\"\nitem = \"oxygenator\"\nlot = \"A\\u0007B\"\n", "preset[1]", []string{"lot has a control character"}},
		{"preset out of range", "[[preset]]\nkind = \"circuit\"\nrap_ml = 6000\n", "preset[1]", []string{"0–3000 mL"}},
		{"preset dose", "[[preset]]\nkind = \"drug\"\nname = \"heparin\"\ndose = 900000\nunit = \"IU\"\n", "preset[1]", []string{"100–100000 IU"}},
		{"inline_qc analyte", "[inline_qc]\nph = { abs = 0.05 }\n", "inline_qc.ph", []string{"po2, pco2"}},
		{"inline_qc abs", "[inline_qc]\nk = { abs = -1 }\n", "inline_qc.k.abs", []string{"≥ 0"}},
		{"inline_qc rel", "[inline_qc]\npo2 = { rel = 10 }\n", "inline_qc.po2.rel", []string{"0 to 1"}},
		{"inline_qc zero", "[inline_qc]\nhct = { abs = 0 }\n", "inline_qc.hct", []string{"no difference would pass"}},
		{"inline_qc key", "[inline_qc]\nk = { abs = 1, limit = 2 }\n", "inline_qc.k.limit", []string{"unknown key"}},
		{"syntax", "units = [\n", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.toml), "site.toml")
			var se *Error
			require.True(t, errors.As(err, &se), "%v", err)
			assert.ErrorIs(t, err, ErrSite)
			assert.Equal(t, c.key, se.Key, "%v", err)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), "\a")
			for _, m := range c.msg {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	getenv := func(k string) string { return env[k] }
	c, err := Resolve("", "", getenv)
	require.NoError(t, err)
	assert.Equal(t, "", c.Path, "no file: the defaults")
	assert.Equal(t, time.Local, c.Location())

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pumpside"), 0o700))
	p := filepath.Join(dir, "pumpside", "site.toml")
	require.NoError(t, os.WriteFile(p, []byte("timezone = \"Asia/Kolkata\"\n"), 0o600))
	c, err = Resolve("", "", getenv)
	require.NoError(t, err)
	assert.Equal(t, p, c.Path)
	assert.Equal(t, "Asia/Kolkata", c.Location().String())

	c, err = Resolve("", "UTC", getenv)
	require.NoError(t, err)
	assert.Equal(t, "UTC", c.Location().String(), "--tz wins over the file")

	env[EnvFile] = filepath.Join("testdata", "site.toml")
	c, err = Resolve("", "", getenv)
	require.NoError(t, err)
	assert.Equal(t, "Europe/London", c.Location().String())

	_, err = Resolve(filepath.Join(dir, "missing.toml"), "", getenv)
	assert.ErrorIs(t, err, ErrSite)
	_, err = Resolve("", "Nowhere/City", getenv)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "Nowhere/City"))
}

// A manual gas typed in kPa and g/L is stored in mmHg and g/dL; a value
// out of range is refused in the unit it was typed in.
func TestBloodGasStored(t *testing.T) {
	u := Units{Gas: KPa, Hb: GPerL, Glucose: MgPerDL}
	e := entry.Entry{Kind: entry.KindBloodGas}
	e.SetStr("sample", "arterial").SetNum("ph", 7.38).SetNum("pco2", 5.33).SetNum("po2", 30.9).SetNum("hb", 95).SetNum("glucose", 126).SetNum("k", 4.6)
	require.NoError(t, u.BloodGasStored(&e))
	assert.InDelta(t, 39.98, e.Num["pco2"], 0.01)
	assert.InDelta(t, 231.8, e.Num["po2"], 0.1)
	assert.InDelta(t, 9.5, e.Num["hb"], 1e-9)
	assert.InDelta(t, 6.99, e.Num["glucose"], 0.01)
	assert.Equal(t, 7.38, e.Num["ph"])
	assert.Equal(t, 4.6, e.Num["k"])

	// 40 kPa is 300 mmHg of CO2: a slip (mmHg typed as kPa).
	bad := entry.Entry{Kind: entry.KindBloodGas}
	bad.SetStr("sample", "arterial").SetNum("pco2", 40)
	err := u.BloodGasStored(&bad)
	var fe *entry.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "pco2", fe.Field)
	assert.Equal(t, "blood_gas pco2 40 kPa is outside the range; allowed: 0.67–20.00 kPa", err.Error())
	assert.Equal(t, 40.0, bad.Num["pco2"], "a refused entry is left as typed")

	// mmHg at the site: nothing to convert; Validate judges the range.
	m := entry.Entry{Kind: entry.KindBloodGas}
	m.SetStr("sample", "venous").SetNum("pco2", 40)
	require.NoError(t, Units{}.BloodGasStored(&m))
	assert.Equal(t, 40.0, m.Num["pco2"])
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/physio"
)

// runCalcArgs runs "pumpside calc args..." through dispatch.
func runCalcArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), append([]string{"calc"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// calcJSON runs calc --json and decodes its one object.
func calcJSON(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	code, out, errb := runCalcArgs(t, append([]string{"--json"}, args...)...)
	require.Equal(t, 0, code, "stderr: %s", errb)
	dec := json.NewDecoder(strings.NewReader(out))
	var m map[string]float64
	require.NoError(t, dec.Decode(&m), out)
	assert.False(t, dec.More(), "exactly one JSON value: %q", out)
	return m
}

// sig3 rounds to 3 significant figures.
func sig3(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return f
}

var allKeys = []string{"bsa_m2", "flow_index", "svr", "svri", "cao2", "cvo2", "do2", "do2i", "vo2", "vo2i",
	"o2er_pct", "vco2", "vco2i", "do2i_vco2i", "rq", "predicted_hct_pct"}

func TestCalcKeysAreTheContract(t *testing.T) {
	var keys []string
	for _, o := range calcOutputs {
		keys = append(keys, o.key)
	}
	assert.Equal(t, allKeys, keys)
}

// TestCalcWorkedExamples: the examples of perfusion.md §2, to 3 significant
// figures, through the command line.
func TestCalcWorkedExamples(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want map[string]float64
	}{
		{"DuBois 175/80", []string{"--height-cm", "175", "--weight-kg", "80"},
			map[string]float64{"bsa_m2": 1.96}},
		{"Mosteller 175/70", []string{"--height-cm", "175", "--weight-kg", "70", "--bsa-formula", "mosteller"},
			map[string]float64{"bsa_m2": 1.84}}, // 1.8447: 1.845 to 4 figures
		{"Mosteller 175/80", []string{"--height-cm", "175", "--weight-kg", "80", "--bsa-formula", "mosteller"},
			map[string]float64{"bsa_m2": 1.97}},
		// (65 − 5) × 79.9 / 4.4 = 1089.5; × 1.956 (SVRI) = 2131.
		{"SVR/SVRI", []string{"--map", "65", "--cvp", "5", "--flow-lpm", "4.4", "--height-cm", "175", "--weight-kg", "80"},
			map[string]float64{"svr": 1090, "svri": 2130, "bsa_m2": 1.96, "flow_index": 2.25}},
		{"SVR with 80", []string{"--map", "65", "--cvp", "5", "--flow-lpm", "4.4", "--svr-factor", "80"},
			map[string]float64{"svr": 1090}},
		// 40 × 5600 / 7000 = 32.0 %; + 500 mL cardioplegia: 29.9 %.
		{"predicted Hct", []string{"--weight-kg", "80", "--hct-pre", "40", "--prime-ml", "1400", "--fluids-ml", "0", "--cardioplegia-ml", "0", "--rap-ml", "0"},
			map[string]float64{"predicted_hct_pct": 32.0}},
		{"predicted Hct + cardioplegia", []string{"--weight-kg", "80", "--hct-pre", "40", "--prime-ml", "1400", "--fluids-ml", "0", "--cardioplegia-ml", "500", "--rap-ml", "0"},
			map[string]float64{"predicted_hct_pct": 29.9}},
		// 1.34 × 10 × 0.99 + 0.003 × 250 = 14.016; CvO2 1.34 × 10 × 0.75 + 0.003 × 40 = 10.17;
		// DO2 4.4 × 140.16 = 617; VO2 4.4 × 38.46 = 169; O2ER 27.4 %.
		{"oxygen", []string{"--flow-lpm", "4.4", "--hb", "10", "--sao2", "99", "--pao2", "250", "--svo2", "75", "--pvo2", "40"},
			map[string]float64{"cao2": 14.0, "cvo2": 10.2, "do2": 617, "vo2": 169, "o2er_pct": 27.4}},
		// The DO2i/VCO2i example (physio's gdpInputs): 5.24 with k_co2 1.316, 4.92 with 1.403.
		{"DO2i/VCO2i 1.316", gdpArgs(),
			map[string]float64{"bsa_m2": 1.96, "flow_index": 2.30, "cao2": 12.4, "do2": 559, "do2i": 286, "vco2": 107, "vco2i": 54.5, "do2i_vco2i": 5.24}},
		{"DO2i/VCO2i 1.403", append(gdpArgs(), "--vco2-factor", "1.403"),
			map[string]float64{"bsa_m2": 1.96, "flow_index": 2.30, "cao2": 12.4, "do2": 559, "do2i": 286, "vco2": 114, "vco2i": 58.1, "do2i_vco2i": 4.92}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := calcJSON(t, tc.args...)
			assert.ElementsMatch(t, slices.Collect(maps.Keys(tc.want)), slices.Collect(maps.Keys(got)), "keys")
			for k, want := range tc.want {
				assert.Equal(t, want, sig3(got[k]), "%s = %v", k, got[k])
			}
		})
	}
}

func gdpArgs() []string {
	return []string{"--height-cm", "175", "--weight-kg", "80", "--flow-lpm", "4.5", "--hb", "9", "--sao2", "98", "--pao2", "200",
		"--sweep-lpm", "3", "--exhaust-co2", "27"}
}

// fullArgs gives every input flag a value.
var fullArgs = map[string]string{
	"height-cm": "175", "weight-kg": "80", "flow-lpm": "4.4", "map": "65", "cvp": "5",
	"hb": "10", "sao2": "99", "pao2": "250", "svo2": "75", "pvo2": "40",
	"sweep-lpm": "2.5", "exhaust-co2": "30",
	"hct-pre": "40", "prime-ml": "1400", "fluids-ml": "300", "cardioplegia-ml": "500", "rap-ml": "200",
}

func argsFor(names ...string) []string {
	var args []string
	for _, n := range names {
		args = append(args, "--"+n, fullArgs[n])
	}
	return args
}

// TestCalcKeyPresence: a key is present exactly when all the inputs its
// needs text names are given (so the text users read is right too).
func TestCalcKeyPresence(t *testing.T) {
	only := calcJSON(t, argsFor("height-cm", "weight-kg")...)
	assert.Equal(t, []string{"bsa_m2"}, slices.Collect(maps.Keys(only)), "only height and weight: only bsa_m2")

	for _, o := range calcOutputs {
		var needs []string
		for _, f := range o.needFlags() {
			if f != "--pvo2" && !(f == "--pao2" && strings.Contains(o.needs, "(--pao2 optional)")) { // optional
				needs = append(needs, strings.TrimPrefix(f, "--"))
			}
		}
		require.NotEmpty(t, needs, o.key)
		got := calcJSON(t, argsFor(needs...)...)
		assert.Contains(t, got, o.key, "%s with %v", o.key, needs)
		for i := range needs {
			fewer := slices.Delete(slices.Clone(needs), i, i+1)
			if len(fewer) == 0 {
				continue
			}
			code, out, _ := runCalcArgs(t, append([]string{"--json"}, argsFor(fewer...)...)...)
			if code == 2 {
				assert.Empty(t, out) // nothing at all computable
				continue
			}
			var m map[string]float64
			require.NoError(t, json.Unmarshal([]byte(out), &m))
			assert.NotContains(t, m, o.key, "%s without --%s", o.key, needs[i])
		}
	}

	// Everything given: every key.
	var all []string
	for n := range fullArgs {
		all = append(all, n)
	}
	got := calcJSON(t, argsFor(all...)...)
	assert.ElementsMatch(t, allKeys, slices.Collect(maps.Keys(got)))
}

// TestCalcAgreesWithCompute: calc is physio.Compute, bit for bit.
func TestCalcAgreesWithCompute(t *testing.T) {
	in := physio.Inputs{
		HeightCm: 175, WeightKg: 80, FlowLpm: 4.4, MAP: 65, CVP: 5, Hb: 10, SaO2: 99, PaO2: 250, SvO2: 75, PvO2: 40,
		SweepLpm: 2.5, ExhaustCO2: 30, HctPre: 40, PrimeML: 1400, FluidsML: 300, CardioplegiaML: 500, RapML: 200,
	}
	c := physio.DefaultConstants()
	c.BSAFormula = physio.Mosteller
	c.Hufner, c.O2Solubility, c.VCO2Factor, c.SVRFactor, c.BloodVolumeMLPerKg = 1.36, 0.0031, 1.403, 80, 65
	want := physio.Compute(in, c)

	var all []string
	for n := range fullArgs {
		all = append(all, n)
	}
	args := append(argsFor(all...), "--bsa-formula", "mosteller", "--hufner", "1.36", "--o2-solubility", "0.0031",
		"--vco2-factor", "1.403", "--svr-factor", "80", "--bv-ml-per-kg", "65")
	got := calcJSON(t, args...)

	for _, o := range calcOutputs {
		w := o.get(&want)
		require.False(t, math.IsNaN(w), o.key)
		assert.Equal(t, w, got[o.key], o.key) // exact: JSON float64 round-trips
	}

	// Flags not given are absent, not zero: without --pvo2, CvO2 takes the
	// dissolved term as 0, and says so.
	in.PvO2 = physio.Absent()
	want = physio.Compute(in, physio.DefaultConstants())
	all = slices.DeleteFunc(all, func(n string) bool { return n == "pvo2" })
	code, out, errb := runCalcArgs(t, append([]string{"--json"}, argsFor(all...)...)...)
	require.Equal(t, 0, code)
	var m map[string]float64
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Equal(t, want.CvO2, m["cvo2"])
	assert.Contains(t, errb, "--pvo2 not given")
}

func TestCalcBadInput(t *testing.T) {
	ok := []string{"--height-cm", "175", "--weight-kg", "80"}
	cases := []struct {
		args []string
		flag string // must be named on the one stderr line
		text string // and this too
	}{
		{[]string{"--height-cm", "5000", "--weight-kg", "80"}, "--height-cm", "--height-cm 5000 is outside 30–250 cm"},
		{[]string{"--height-cm", "-175", "--weight-kg", "80"}, "--height-cm", "outside 30–250 cm"},
		{[]string{"--height-cm", "abc", "--weight-kg", "80"}, "--height-cm", "not a number"},
		{[]string{"--height-cm", "", "--weight-kg", "80"}, "--height-cm", "not a number"},
		{[]string{"--height-cm", "175cm", "--weight-kg", "80"}, "--height-cm", "not a number"},
		{[]string{"--height-cm", "NaN", "--weight-kg", "80"}, "--height-cm", "not a finite number"},
		{[]string{"--height-cm", "175", "--weight-kg", "Inf"}, "--weight-kg", "not a finite number"},
		{[]string{"--height-cm", "175", "--weight-kg", "-Inf"}, "--weight-kg", "not a finite number"},
		{[]string{"--height-cm", "175", "--weight-kg", "1e400"}, "--weight-kg", "not a finite number"},
		{[]string{"--height-cm", "175", "--weight-kg", "0.4"}, "--weight-kg", "0.5–350 kg"},
		{[]string{"--flow-lpm", "-0.1"}, "--flow-lpm", "0–10 L/min"},
		{[]string{"--flow-lpm", "11"}, "--flow-lpm", "0–10 L/min"},
		{[]string{"--map", "251"}, "--map", "0–250 mmHg"},
		{[]string{"--cvp", "-21"}, "--cvp", "-20–60 mmHg"},
		{[]string{"--cvp", "61"}, "--cvp", "-20–60 mmHg"},
		{[]string{"--hb", "0.5"}, "--hb", "1–25 g/dL"},
		{[]string{"--hb", "26"}, "--hb", "1–25 g/dL"},
		{[]string{"--sao2", "101"}, "--sao2", "0–100 %"},
		{[]string{"--sao2", "0.98x"}, "--sao2", "not a number"},
		{[]string{"--svo2", "-1"}, "--svo2", "0–100 %"},
		{[]string{"--pao2", "801"}, "--pao2", "0–800 mmHg"},
		{[]string{"--pvo2", "-5"}, "--pvo2", "0–800 mmHg"},
		{[]string{"--sweep-lpm", "21"}, "--sweep-lpm", "0–20 L/min"},
		{[]string{"--exhaust-co2", "151"}, "--exhaust-co2", "0–150 mmHg"},
		{[]string{"--hct-pre", "4"}, "--hct-pre", "5–70 %"},
		{[]string{"--hct-pre", "71"}, "--hct-pre", "5–70 %"},
		{[]string{"--prime-ml", "-1"}, "--prime-ml", "0–20000 mL"},
		{[]string{"--fluids-ml", "20001"}, "--fluids-ml", "0–20000 mL"},
		{[]string{"--cardioplegia-ml", "1e5"}, "--cardioplegia-ml", "0–20000 mL"},
		{[]string{"--rap-ml", "-100"}, "--rap-ml", "0–20000 mL"},
		{append(ok, "--bsa-formula", "haycock"), "--bsa-formula", "dubois, mosteller"},
		{append(ok, "--bsa-formula", ""), "--bsa-formula", "dubois, mosteller"},
		{append(ok, "--hufner", "1.5"), "--hufner", "1.3–1.4 mL O2/g"},
		{append(ok, "--hufner", "NaN"), "--hufner", "not a finite number"},
		{append(ok, "--hufner", "one"), "--hufner", "not a number"},
		{append(ok, "--o2-solubility", "0.03"), "--o2-solubility", "0.0028–0.0032"},
		{append(ok, "--vco2-factor", "2"), "--vco2-factor", "1–1.6"},
		{append(ok, "--vco2-factor", "-1.316"), "--vco2-factor", "1–1.6"},
		{append(ok, "--svr-factor", "1"), "--svr-factor", "79–81"},
		{append(ok, "--bv-ml-per-kg", "150"), "--bv-ml-per-kg", "40–100 mL/kg"},
		{append(ok, "--protamine-ratio", "3"), "--protamine-ratio", "0.5–2"},
		{append(ok, "--heparin-iu-per-kg", "1000"), "--heparin-iu-per-kg", "100–600 IU/kg"},
		{append(ok, "--heparin-iu-per-kg", "Inf"), "--heparin-iu-per-kg", "not a finite number"},
		{append(ok, "175"), "175", "unexpected argument"},
	}
	for _, tc := range cases {
		for _, mode := range [][]string{nil, {"--json"}} {
			args := append(slices.Clone(mode), tc.args...)
			code, out, errb := runCalcArgs(t, args...)
			assert.Equal(t, 2, code, "%q", args)
			assert.Empty(t, out, "%q: nothing on stdout", args)
			assert.Equal(t, 1, strings.Count(errb, "\n"), "%q: one line: %q", args, errb)
			assert.True(t, strings.HasPrefix(errb, "pumpside calc: "), errb)
			assert.Contains(t, errb, tc.flag, "%q", args)
			assert.Contains(t, errb, tc.text, "%q", args)
		}
	}

	// The boundaries themselves are allowed.
	for _, args := range [][]string{
		{"--height-cm", "30", "--weight-kg", "0.5"},
		{"--height-cm", "250", "--weight-kg", "350"},
		{"--map", "0", "--cvp", "-20", "--flow-lpm", "10"},
		{"--map", "250", "--cvp", "60", "--flow-lpm", "0.1"},
		{"--hb", "25", "--sao2", "100", "--pao2", "800", "--svo2", "0", "--pvo2", "0"},
		{"--sweep-lpm", "20", "--exhaust-co2", "150"},
		{"--weight-kg", "80", "--hct-pre", "5", "--prime-ml", "20000", "--fluids-ml", "0", "--cardioplegia-ml", "0", "--rap-ml", "0", "--bv-ml-per-kg", "40"},
		{"--height-cm", " 175 ", "--weight-kg", "80", "--bsa-formula", "DuBois", "--hufner", "1.4", "--o2-solubility", "0.0028"},
	} {
		code, _, errb := runCalcArgs(t, args...)
		assert.Equal(t, 0, code, "%q: %s", args, errb)
	}
}

func TestCalcNothingComputable(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--json"},
		{"--map", "65"},
		{"--map", "65", "--cvp", "5", "--flow-lpm", "0"}, // SVR needs flow > 0
		{"--hufner", "1.39"},
	} {
		code, out, errb := runCalcArgs(t, args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.Empty(t, out)
		assert.Contains(t, errb, "nothing can be computed")
		for _, o := range calcOutputs {
			assert.Contains(t, errb, o.key+" ")
		}
		assert.Contains(t, errb, "bsa_m2             --height-cm --weight-kg")
	}
}

func TestCalcHelp(t *testing.T) {
	for _, args := range [][]string{{"calc", "--help"}, {"calc", "-h"}, {"help", "calc"}} {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), args, &out, &errb)
		assert.Equal(t, 0, code, "%q", args)
		assert.Empty(t, errb.String())
		assert.Contains(t, out.String(), "Usage: pumpside calc")
		for _, name := range []string{"height-cm", "weight-kg", "bsa-formula", "flow-lpm", "map", "cvp", "hb", "sao2", "pao2",
			"svo2", "pvo2", "sweep-lpm", "exhaust-co2", "hct-pre", "prime-ml", "fluids-ml", "cardioplegia-ml", "rap-ml",
			"bv-ml-per-kg", "hufner", "o2-solubility", "vco2-factor", "svr-factor", "protamine-ratio", "heparin-iu-per-kg", "json"} {
			assert.Contains(t, out.String(), "-"+name+" ", "%q: --%s", args, name)
		}
		assert.Contains(t, out.String(), "(default 1.34)")
		assert.Contains(t, out.String(), "(default 79.9)")
	}

	// And calc is listed in the overall usage.
	var out bytes.Buffer
	assert.Equal(t, 0, dispatch(context.Background(), []string{"help"}, &out, &out))
	assert.Contains(t, out.String(), "calc ")
}

func TestCalcTable(t *testing.T) {
	var all []string
	for n := range fullArgs {
		if n != "pvo2" {
			all = append(all, n)
		}
	}
	code, out, errb := runCalcArgs(t, argsFor(all...)...)
	require.Equal(t, 0, code, errb)
	assert.Empty(t, errb)
	lines := strings.Split(out, "\n")
	find := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Errorf("no line %q in\n%s", prefix, out)
		return ""
	}
	// Label, value at its precision, unit.
	assert.Regexp(t, `^BSA \(DuBois\)\s+1\.956\s+m²$`, find("BSA"))
	assert.Regexp(t, `^Flow index\s+2\.25\s+L/min/m²$`, find("Flow index"))
	assert.Regexp(t, `^SVR\s+1090\s+dyn·s·cm⁻⁵$`, find("SVR "))
	assert.Regexp(t, `^SVRI\s+2131\s+dyn·s·cm⁻⁵·m²$`, find("SVRI"))
	assert.Regexp(t, `^CaO2\s+14\.0\s+mL/dL$`, find("CaO2"))
	assert.Regexp(t, `^CvO2 \*\s+10\.1\s+mL/dL$`, find("CvO2"))
	assert.Regexp(t, `^DO2i\s+315\s+mL/min/m²$`, find("DO2i "))
	assert.Regexp(t, `^O2ER\s+28\.3\s+%$`, find("O2ER"))
	assert.Regexp(t, `^DO2i/VCO2i\s+\d+\.\d\d\s+ratio$`, find("DO2i/VCO2i"))
	assert.Regexp(t, `^RQ\s+\d\.\d\d\s+ratio$`, find("RQ"))
	// 40 × 5600 / (5600 + 1400 + 300 + 500 − 200) = 224000 / 7600 = 29.5 %.
	assert.Regexp(t, `^Predicted Hct on bypass\s+29\.5\s+%$`, find("Predicted Hct"))
	for _, unit := range []string{"mL/min", "mL/min/m²"} {
		assert.Contains(t, out, unit)
	}
	// The constants in force, and the note for CvO2 without PvO2.
	assert.Contains(t, out, "Constants in force")
	assert.Regexp(t, `Hüfner k_Hb\s+1\.34\s+mL O2/g \(default\)`, out)
	assert.Regexp(t, `VCO2 factor k_co2\s+1\.316`, out)
	assert.Regexp(t, `SVR factor\s+79\.9`, out)
	assert.Regexp(t, `Blood volume\s+70\s+mL/kg`, out)
	assert.Contains(t, out, "* --pvo2 not given")
	for _, l := range lines {
		assert.Equal(t, strings.TrimRight(l, " "), l, "no trailing spaces")
	}

	// A constant given is shown as given; an input given but unused says why.
	code, out, _ = runCalcArgs(t, "--height-cm", "175", "--weight-kg", "80", "--map", "65", "--hufner", "1.39", "--bsa-formula", "mosteller")
	require.Equal(t, 0, code)
	assert.Regexp(t, `BSA \(Mosteller\)\s+1\.972`, out)
	assert.Regexp(t, `Hüfner k_Hb\s+1\.39\s+mL O2/g \(--hufner\)`, out)
	assert.Regexp(t, `--map\s+SVR needs --map --cvp --flow-lpm`, out)
	assert.NotContains(t, out, "--pvo2 not given")
}

// Without --pao2, DO2i is computed from the bound oxygen alone and the
// note says so; VO2i is not given.
func TestCalcWithoutPaO2(t *testing.T) {
	var all []string
	for n := range fullArgs {
		if n != "pao2" {
			all = append(all, n)
		}
	}
	code, out, errb := runCalcArgs(t, append([]string{"--json"}, argsFor(all...)...)...)
	require.Equal(t, 0, code)
	var m map[string]float64
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Contains(t, m, "do2i")
	assert.NotContains(t, m, "vo2i")
	assert.Contains(t, errb, "--pao2 not given")
	code, table, _ := runCalcArgs(t, argsFor(all...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, table, "DO2i +")
	assert.Contains(t, table, "+ --pao2 not given")
}

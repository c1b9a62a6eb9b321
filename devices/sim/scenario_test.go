package sim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
)

const goodHead = `name = "t"
duration = "1h"
[patient]
height_cm = 170
weight_kg = 70
sex = "female"
hct_pre_pct = 38
[circuit]
prime_ml = 1200
`

func TestScenarioErrorsNameLineAndField(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string // substrings of the error, each "file:line: field"
	}{
		{"syntax", goodHead + "[[event]]\nat = \"1m\nkind = \"note\"\n", []string{"bad.toml:11"}},
		{"type", goodHead + "[[event]]\nat = 5\nkind = \"note\"\ntext = \"x\"\n", []string{"bad.toml:11"}},
		{"range", strings.Replace(goodHead, "height_cm = 170", "height_cm = 17", 1), []string{"bad.toml:4: patient.height_cm: 17 is outside"}},
		{"missing", strings.Replace(goodHead, "hct_pre_pct = 38\n", "", 1), []string{"patient.hct_pre_pct: missing"}},
		{"unknown key", goodHead + "colour = \"red\"\n", []string{"bad.toml:10: circuit.colour: unknown key"}},
		{"unknown kind", goodHead + "[[event]]\nat = \"1m\"\nkind = \"dance\"\n", []string{"bad.toml:12: event[0].kind: unknown kind \"dance\""}},
		{"param of another kind", goodHead + "[[event]]\nat = \"1m\"\nkind = \"note\"\ntext = \"x\"\ntarget_c = 30\n", []string{"bad.toml:14: event[0].target_c: not a parameter of kind \"note\""}},
		{"missing param", goodHead + "[[event]]\nat = \"1m\"\nkind = \"bypass_on\"\n[[event]]\nat = \"2m\"\nkind = \"cool\"\n", []string{"bad.toml:13: event[1].target_c: missing"}},
		{"bad duration", goodHead + "[[event]]\nat = \"soon\"\nkind = \"bypass_on\"\n", []string{"bad.toml:11: event[0].at: \"soon\" is not a duration"}},
		{"unknown fault", goodHead + "[[event]]\nat = \"1m\"\nkind = \"fault\"\nfault = \"gremlins\"\n", []string{"bad.toml:13: event[0].fault: unknown fault"}},
		{"timeline", goodHead + "[[event]]\nat = \"1m\"\nkind = \"clamp_on\"\n", []string{"bad.toml:12: event[0].kind: at 1m0s: clamp_on needs bypass"}},
		{"several", strings.Replace(goodHead, "sex = \"female\"", "sex = \"x\"", 1) + "fio2_pct = 5\n", []string{"bad.toml:6: patient.sex", "bad.toml:10: circuit.fio2_pct"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := ParseScenario("bad.toml", []byte(tc.body))
			require.Error(t, err)
			assert.Nil(t, sc, "nothing half-configured")
			assert.True(t, errors.Is(err, ErrScenario))
			var se *ScenarioError
			require.True(t, errors.As(err, &se))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	sc, err := ParseScenario("good.toml", []byte(goodHead))
	require.NoError(t, err)
	assert.Equal(t, 70.0, sc.Patient.WeightKg)
}

func FuzzParseScenario(f *testing.F) {
	for _, n := range BuiltinNames() {
		b, _ := builtinFS.ReadFile("scenarios/" + n + ".toml")
		f.Add(b)
	}
	f.Add([]byte(goodHead))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario("fuzz.toml", data)
		if err != nil {
			if sc != nil {
				t.Fatal("scenario returned with an error")
			}
			return
		}
		// A valid scenario must run without panicking.
		c := NewScenario(sc, t0, 1)
		c.AdvanceTo(t0.Add(sc.Duration/10), func(Source, monitor.Sample) {})
	})
}

func TestFuzzCorpusCommitted(t *testing.T) {
	for _, f := range []string{"FuzzParseScenario", "FuzzControlLine"} {
		ents, err := os.ReadDir(filepath.Join("testdata", "fuzz", f))
		require.NoError(t, err)
		assert.NotEmpty(t, ents, f)
	}
}

// docs/format/scenario.md lists every kind and fault, and its example runs.
func TestScenarioDocInStep(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "format", "scenario.md"))
	require.NoError(t, err)
	text := string(doc)
	for _, k := range ActionKinds() {
		assert.True(t, strings.Contains(text, "`"+k+"`"), "kind %s documented", k)
	}
	for _, f := range FaultNames() {
		assert.True(t, strings.Contains(text, "| `"+f+"` |"), "fault %s documented", f)
	}
	for _, d := range Drugs() {
		assert.True(t, strings.Contains(text, "`"+d+"`"), "drug %s documented", d)
	}
	_, rest, ok := strings.Cut(text, "```toml\n")
	require.True(t, ok)
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	sc, err := ParseScenario("example.toml", []byte(example))
	require.NoError(t, err)
	c := NewScenario(sc, t0, 1)
	var faults int
	c.OnEvent(func(e Event) {
		if e.Kind == "fault" {
			faults++
		}
	})
	c.AdvanceTo(t0.Add(sc.Duration), func(Source, monitor.Sample) {})
	assert.Equal(t, 1, faults)
}

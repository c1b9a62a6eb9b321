package alarms

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAlarmDocsListRuleKeys keeps docs/alarms.md's profile tables in step
// with what the profile loader knows: every key of a [[rule]] (nested
// tables [rule.when] and [rule.artefact] with their keys) and of the
// profile-wide settings has its row, no row names a key that is not one,
// the phases row names every phase and the condition row every condition,
// and the context inputs list names every Input constant. On failure it
// says what is missing or left over.
func TestAlarmDocsListRuleKeys(t *testing.T) {
	b, err := os.ReadFile("../docs/alarms.md")
	require.NoError(t, err)
	doc := string(b)

	ruleRows := tableRows(t, doc, "### Rule keys")
	checkKeys(t, "[[rule]]", "rule", reflect.TypeFor[rawRule](), ruleRows)
	profileRows := tableRows(t, doc, "### Profile-wide settings")
	checkKeys(t, "the profile", "", reflect.TypeFor[rawProfile](), profileRows)

	row := func(key string) string {
		for _, r := range ruleRows {
			if slices.Contains(ticked(firstCell(r)), key) {
				return r
			}
		}
		return ""
	}
	for p := PreBypass; p < numPhases; p++ {
		if !slices.Contains(ticked(row("phases")), p.String()) {
			t.Errorf("docs/alarms.md: the phases row lacks `%s`", p)
		}
	}
	for c := Condition(1); int(c) < len(conditionNames); c++ {
		if !slices.Contains(ticked(row("condition")), c.String()) {
			t.Errorf("docs/alarms.md: the condition row lacks `%s`", c)
		}
	}

	_, after, ok := strings.Cut(doc, "Context inputs:")
	require.True(t, ok, "docs/alarms.md has no \"Context inputs:\" paragraph")
	para, _, _ := strings.Cut(after, "\n\n")
	for _, in := range contextInputs(t) {
		if !slices.Contains(ticked(para), in) {
			t.Errorf("docs/alarms.md: the context inputs lack `%s`", in)
		}
	}
}

// checkKeys checks the rows of a key table against the TOML keys of typ:
// a key is documented by a row whose first cell names it in backticks; a
// nested table (struct) by `[prefix.key]` or `[key]`, and a list of tables
// by `[[key]]`, each with its own keys in the row; a key list in the first
// cell names only real keys. rule is the rules' key, not documented here.
func checkKeys(t *testing.T, what, prefix string, typ reflect.Type, rows []string) {
	t.Helper()
	known := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if key == "" || key == "rule" && prefix == "" {
			continue
		}
		known[key] = true
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || ft.Name() == "duration" {
			if !slices.ContainsFunc(rows, func(r string) bool { return slices.Contains(ticked(firstCell(r)), key) }) {
				t.Errorf("docs/alarms.md: %s key `%s` has no row", what, key)
			}
			continue
		}
		names := []string{"[" + key + "]", "[[" + key + "]]"}
		if prefix != "" {
			names = append(names, "["+prefix+"."+key+"]")
		}
		i := slices.IndexFunc(rows, func(r string) bool {
			return slices.ContainsFunc(names, func(n string) bool { return strings.Contains(firstCell(r), "`"+n) })
		})
		if i < 0 {
			t.Errorf("docs/alarms.md: %s table `%s` has no row", what, key)
			continue
		}
		for j := range ft.NumField() {
			sub, _, _ := strings.Cut(ft.Field(j).Tag.Get("toml"), ",")
			if sub != "" && !strings.Contains(rows[i], sub) {
				t.Errorf("docs/alarms.md: %s table `%s`'s row lacks its key %s", what, key, sub)
			}
		}
	}
	for _, r := range rows {
		cell := firstCell(r)
		if strings.Contains(cell, "[") {
			continue // a nested table's row: its keys are checked above
		}
		for _, k := range ticked(cell) {
			if !known[k] {
				t.Errorf("docs/alarms.md: %s row `%s` names no key the loader knows", what, k)
			}
		}
	}
}

// tableRows returns the rows (header and rule left out) of the first table
// after heading.
func tableRows(t *testing.T, doc, heading string) []string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading)
	require.True(t, ok, "docs/alarms.md has no %q", heading)
	var rows []string
	started := false
	for _, l := range strings.Split(after, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "|"):
			started = true
			rows = append(rows, l)
		case started:
			require.Greater(t, len(rows), 2, "%s: a table", heading)
			return rows[2:]
		}
	}
	t.Fatalf("docs/alarms.md: no table after %q", heading)
	return nil
}

func firstCell(row string) string {
	cells := strings.Split(row, "|")
	if len(cells) < 2 {
		return ""
	}
	return cells[1]
}

// ticked returns the words in backticks in s (`limit` / `low`, `high`:
// limit, low, high).
func ticked(s string) []string {
	var out []string
	parts := strings.Split(s, "`")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, strings.TrimSpace(parts[i]))
	}
	return out
}

// contextInputs are the values of the Input… constants of profile.go.
func contextInputs(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "profile.go", nil, 0)
	require.NoError(t, err)
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Input") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, v)
				}
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

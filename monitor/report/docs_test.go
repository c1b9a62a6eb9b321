package report

import (
	"os"
	"strings"
	"testing"
)

// TestExportDocListsRegistryFields: docs/export.md lists every field of
// every registry map, with where it comes from.
func TestExportDocListsRegistryFields(t *testing.T) {
	b, err := os.ReadFile("../../docs/export.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for name, fields := range Registries {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/export.md has no section for %s", name)
		}
		for _, f := range fields {
			row := "| " + f.Field + " | " + f.Source + " |"
			if !strings.Contains(doc, row) {
				t.Errorf("docs/export.md lacks %s's %q (%s)", name, f.Field, f.Source)
			}
		}
	}
}

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

// TestExportDocMapsSummaryToAmSECT: the AmSECT criteria table of
// docs/export.md names every column of the summary CSV, and only columns
// that exist: a column added or renamed without placing it in the mapping
// fails here (commit 79eb454 lost the table once, unnoticed).
func TestExportDocMapsSummaryToAmSECT(t *testing.T) {
	b, err := os.ReadFile("../../docs/export.md")
	if err != nil {
		t.Fatal(err)
	}
	const title = "\n## AmSECT minimal reporting criteria (Likosky 2015): the summary's columns\n"
	doc := string(b)
	i := strings.Index(doc, title)
	if i < 0 {
		t.Fatalf("docs/export.md has no section %q", strings.TrimSpace(title))
	}
	sec := doc[i+len(title):]
	if j := strings.Index(sec, "\n## "); j >= 0 {
		sec = sec[:j]
	}
	named := map[string]bool{}
	rows := 0
	for _, line := range strings.Split(sec, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) != 5 || strings.HasPrefix(line, "|---") || strings.TrimSpace(cells[1]) == "criteria group" {
			continue
		}
		rows++
		parts := strings.Split(cells[3], "`")
		for k := 1; k < len(parts); k += 2 {
			named[parts[k]] = true
		}
	}
	if rows < 5 {
		t.Fatalf("the AmSECT table has %d rows; want the statement's four groups and the rest", rows)
	}
	columns := map[string]bool{}
	for _, c := range SummaryColumns {
		columns[c] = true
		if !named[c] {
			t.Errorf("summary column %s is not in the AmSECT table of docs/export.md", c)
		}
	}
	// A field's name inside a note (a disposable's `product`, a
	// blood_product entry) is not a column.
	notes := map[string]bool{"product": true, "blood_product": true}
	for n := range named {
		if !columns[n] && !notes[n] {
			t.Errorf("the AmSECT table of docs/export.md names %s, which is not a summary column", n)
		}
	}
}

package monitor

import (
	"os"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/channel"
)

// priorityTable renders the input priorities and the derived values' inputs
// as docs/pipeline.md shows them.
func priorityTable() string {
	var b strings.Builder
	b.WriteString("| role | channels, first choice first |\n|---|---|\n")
	for r := RoleHeight; r < numRoles; r++ {
		chans, est := r.Priority()
		var names []string
		for i, id := range chans {
			n := "`" + id.String() + "`"
			if est[i] {
				n += " ÷ 3 (flagged)"
			}
			names = append(names, n)
		}
		b.WriteString("| " + r.String() + " | " + strings.Join(names, ", ") + " |\n")
	}
	b.WriteString("\n| derived channel | inputs |\n|---|---|\n")
	for id := channel.DerivedBSA; id <= channel.DerivedRewarmRate; id++ {
		var names []string
		for _, r := range DerivedInputs(id) {
			n := r.String()
			if Optional(id, r) {
				n += " (optional)"
			}
			names = append(names, n)
		}
		b.WriteString("| `" + id.String() + "` | " + strings.Join(names, ", ") + " |\n")
	}
	return b.String()
}

// TestDocsPriorityTable keeps docs/pipeline.md in step with the code.
func TestDocsPriorityTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/pipeline.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := priorityTable(); !strings.Contains(string(doc), want) {
		t.Fatalf("docs/pipeline.md does not contain the current priority table:\n%s", want)
	}
}

package entry

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/record"
)

// The edit example of docs/format/case.md, appended to the spec's example
// case, reads back as the section says: the heparin dose corrected, the
// note voided, nothing unapplied.
func TestDocEditExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/format/case.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "## Entry identity and edits")
	if !ok {
		t.Fatal("no section on entry identity and edits")
	}
	_, block, _ := strings.Cut(sec, "```\n")
	block, _, _ = strings.Cut(block, "```")
	ex, err := os.ReadFile("../../testdata/cases/example.case")
	if err != nil {
		t.Fatal(err)
	}
	rd := record.NewReader(bytes.NewReader(append(ex, block...)))
	rd.OnBadLine = func(e *record.LineError) { t.Errorf("bad line: %v", e) }
	var evs []Entry
	for rd.Next() {
		if rd.Entry().Kind() == record.KindEvent {
			evs = append(evs, FromRecord(rd.Entry()))
		}
	}
	cur, problems := Resolve(evs)
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	var hep, note *Current
	for i := range cur {
		switch cur[i].Kind {
		case KindDrug:
			hep = &cur[i]
		case KindNote:
			note = &cur[i]
		}
	}
	if hep == nil || note == nil {
		t.Fatal("the example has a drug and a note")
	}
	if hep.Num["dose"] != 25000 || hep.Text != "Heparin 25000 IU iv" || !hep.Edited || hep.Void || hep.Edits[0].Who != "ab" || hep.Edits[0].Reason != "misread" {
		t.Errorf("heparin %+v", hep)
	}
	if !note.Void || note.Original.Text != `Sample drawn, "stat" gas sent` {
		t.Errorf("note %+v", note)
	}
}

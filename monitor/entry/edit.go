package entry

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pumpside/pumpside/monitor/record"
)

// The fields of an edit event (docs/format/case.md, "Entry identity and
// edits"). An edit's other fields are new values of the target's fields.
const (
	// FieldTarget is the edited entry's identity: its timestamp in ns, as
	// a decimal string (a float64 cannot hold every ns time).
	FieldTarget = "target"
	// FieldEventTime is the entry's new time, decimal ns; absent: unchanged.
	FieldEventTime = "event_time"
	// FieldNewText is the entry's new text; absent: unchanged.
	FieldNewText = "new_text"
	// FieldVoid is "true" to strike the entry out, "false" to restore it;
	// absent: unchanged.
	FieldVoid = "void"
	// FieldReason is why the edit was made (optional).
	FieldReason = "reason"
)

var editKeys = []string{FieldTarget, FieldEventTime, FieldNewText, FieldVoid, FieldReason, "who", "text"}

// Edit is a correction of a recorded entry. It is recorded as an event of
// kind edit at its own time (when it was made); the original line stays
// as written. Values it does not carry stay as they were: an edit cannot
// remove a field (void the entry and enter a new one).
type Edit struct {
	// Target is the edited entry's identity: its time as written.
	Target int64
	// At is when the edit was made, Unix ns: the edit line's time.
	At          int64
	Who, Reason string
	// Time is the entry's new time; 0 keeps it.
	Time int64
	// Text is the entry's new text; nil keeps it.
	Text *string
	// Void strikes the entry out (true) or restores it (false); nil
	// keeps the state.
	Void *bool
	// Num and Str are new values of the entry's structured fields.
	Num map[string]float64
	Str map[string]string
}

// ErrEdit is wrapped by the errors of ParseEdit and Resolve about edits.
var ErrEdit = errors.New("entry: edit")

// Apply returns e changed by ed, and whether the edit voids or restores
// it (nil: no change of state).
func (ed *Edit) Apply(e Entry) (Entry, *bool) {
	c := e.Clone()
	if ed.Time != 0 {
		c.Time = ed.Time
	}
	if ed.Text != nil {
		c.Text = *ed.Text
	}
	for k, v := range ed.Num {
		c.SetNum(k, v)
	}
	for k, v := range ed.Str {
		c.SetStr(k, v)
	}
	return c, ed.Void
}

// Describe is the edit line's human-readable text, for the audit trail:
// what changed from before.
func (ed *Edit) Describe(before Entry) string {
	after, void := ed.Apply(before)
	var b strings.Builder
	what := before.Text
	if what == "" {
		what = before.Summary()
	}
	switch {
	case void != nil && *void:
		fmt.Fprintf(&b, "Void %s at %s (%s)", before.Kind, FormatTime(before.Time), what)
	case void != nil:
		fmt.Fprintf(&b, "Restore %s at %s (%s)", before.Kind, FormatTime(before.Time), what)
	default:
		fmt.Fprintf(&b, "Edit %s at %s (%s)", before.Kind, FormatTime(before.Time), what)
	}
	var ch []string
	if after.Time != before.Time {
		ch = append(ch, "time "+FormatTime(after.Time))
	}
	if after.Text != before.Text {
		ch = append(ch, "text "+strconv.Quote(after.Text))
	}
	for _, k := range sortedKeys(ed.Num) {
		if ov, ok := before.Num[k]; !ok || ov != ed.Num[k] {
			ch = append(ch, k+" "+num(ed.Num[k], ""))
		}
	}
	for _, k := range sortedKeys(ed.Str) {
		if before.Str[k] != ed.Str[k] {
			ch = append(ch, k+" "+strconv.Quote(ed.Str[k]))
		}
	}
	if len(ch) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(ch, ", "))
	}
	if ed.Reason != "" {
		b.WriteString("; reason: ")
		b.WriteString(ed.Reason)
	}
	return b.String()
}

// Event returns the edit's case file line (kind edit, at At) with text as
// its human-readable line (Describe's, usually).
func (ed *Edit) Event(text string) record.Event {
	ev := record.Event{Time: ed.At, Kind: KindEdit, Text: text}
	ev.Fields = append(ev.Fields, record.Str(FieldTarget, strconv.FormatInt(ed.Target, 10)))
	if ed.Time != 0 {
		ev.Fields = append(ev.Fields, record.Str(FieldEventTime, strconv.FormatInt(ed.Time, 10)))
	}
	if ed.Text != nil {
		ev.Fields = append(ev.Fields, record.Str(FieldNewText, *ed.Text))
	}
	if ed.Void != nil {
		ev.Fields = append(ev.Fields, record.Str(FieldVoid, strconv.FormatBool(*ed.Void)))
	}
	ev.Fields = appendFields(ev.Fields, Entry{Num: ed.Num, Str: ed.Str})
	if ed.Reason != "" {
		ev.Fields = append(ev.Fields, record.Str(FieldReason, ed.Reason))
	}
	if ed.Who != "" {
		ev.Fields = append(ev.Fields, record.Str("who", ed.Who))
	}
	return ev
}

// Check refuses an edit that Edit.Event could not write or that readers
// could not read back: a field key of the edit itself among the new values.
func (ed *Edit) Check() error {
	for _, k := range append(sortedKeys(ed.Num), sortedKeys(ed.Str)...) {
		if slices.Contains(editKeys, k) {
			return &FieldError{Kind: KindEdit, Field: k, Reason: "is a field of the edit itself, not of the entry"}
		}
	}
	if ed.Target < int64(1e9) {
		return &FieldError{Kind: KindEdit, Field: FieldTarget, Reason: "is missing", Allowed: "the edited entry's time"}
	}
	return nil
}

// ParseEdit reads an edit from its event (kind edit) as FromRecord or
// another reader gives it. Times may be decimal strings (as Pumpside
// writes them) or numbers.
func ParseEdit(e Entry) (Edit, error) {
	if e.Kind != KindEdit {
		return Edit{}, fmt.Errorf("%w: event kind %q is not %s", ErrEdit, e.Kind, KindEdit)
	}
	ed := Edit{At: e.Time, Who: e.Who, Reason: e.Str[FieldReason]}
	var err error
	if ed.Target, err = nsField(e, FieldTarget); err != nil {
		return Edit{}, err
	}
	if ed.Target == 0 {
		return Edit{}, fmt.Errorf("%w at %s: no %s", ErrEdit, FormatTime(e.Time), FieldTarget)
	}
	if ed.Time, err = nsField(e, FieldEventTime); err != nil {
		return Edit{}, err
	}
	if t, ok := e.Str[FieldNewText]; ok {
		ed.Text = &t
	}
	if v, ok := e.Str[FieldVoid]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Edit{}, fmt.Errorf("%w at %s: %s=%q: %w", ErrEdit, FormatTime(e.Time), FieldVoid, v, err)
		}
		ed.Void = &b
	}
	for k, v := range e.Str {
		if !slices.Contains(editKeys, k) {
			if ed.Str == nil {
				ed.Str = map[string]string{}
			}
			ed.Str[k] = v
		}
	}
	for k, v := range e.Num {
		if !slices.Contains(editKeys, k) {
			if ed.Num == nil {
				ed.Num = map[string]float64{}
			}
			ed.Num[k] = v
		}
	}
	return ed, nil
}

func nsField(e Entry, key string) (int64, error) {
	if s, ok := e.Str[key]; ok {
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("%w at %s: %s=%q is not a time in ns", ErrEdit, FormatTime(e.Time), key, s)
		}
		return v, nil
	}
	if v, ok := e.Num[key]; ok {
		if !(v > 0 && v < math.MaxInt64) {
			return 0, fmt.Errorf("%w at %s: %s=%v is not a time in ns", ErrEdit, FormatTime(e.Time), key, v)
		}
		return int64(v), nil
	}
	return 0, nil
}

// Current is an entry as its edits leave it.
type Current struct {
	Entry
	// ID is the entry's identity: its time as first written.
	ID int64
	// Edited: at least one edit changed it; Void: struck out (listed,
	// never counted).
	Edited, Void bool
	// Original is the entry as first written; Edits its edits in the
	// order they apply (their own time, then file order).
	Original Entry
	Edits    []Edit
}

// Resolve applies the edits among events (any order, as read from a case
// file) to the entries they target. It returns the entries (edit events
// excluded) at their current values, in order of current time, voided
// ones included with Void set; and the problems: an edit that cannot be
// read or whose target is not an entry of the file (an edit of an edit, a
// time no entry has), each wrapping ErrEdit. When two entries share a
// time (another writer), an edit applies to the first in file order.
func Resolve(events []Entry) (cur []Current, problems []error) {
	byID := map[int64]int{}
	var edits []Edit
	for _, e := range events {
		if e.Kind == KindEdit {
			ed, err := ParseEdit(e)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			edits = append(edits, ed)
			continue
		}
		if _, dup := byID[e.Time]; !dup {
			byID[e.Time] = len(cur)
		}
		cur = append(cur, Current{Entry: e.Clone(), ID: e.Time, Original: e})
	}
	slices.SortStableFunc(edits, func(a, b Edit) int { return cmp64(a.At, b.At) })
	for _, ed := range edits {
		i, ok := byID[ed.Target]
		if !ok {
			problems = append(problems, fmt.Errorf("%w at %s: no entry has the target time %s", ErrEdit, FormatTime(ed.At), FormatTime(ed.Target)))
			continue
		}
		c := &cur[i]
		var v *bool
		c.Entry, v = ed.Apply(c.Entry)
		if v != nil {
			c.Void = *v
		}
		c.Edited = true
		c.Edits = append(c.Edits, ed)
	}
	slices.SortStableFunc(cur, func(a, b Current) int { return cmp64(a.Time, b.Time) })
	return cur, problems
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ValidateEdit checks an edit of before (the entry as it stands): the
// edit's own fields, its time (At) like an entry's, and, unless it voids
// the entry, the entry as the edit leaves it (Validate). Errors are
// *FieldError wrapping ErrInvalid.
func (m *Model) ValidateEdit(before Entry, ed Edit, caseStart, now int64) error {
	if err := ed.Check(); err != nil {
		return err
	}
	if err := m.checkTime(KindEdit, "edit time", ed.At, caseStart, now); err != nil {
		return err
	}
	if err := checkString(KindEdit, "who", ed.Who, 0); err != nil {
		return err
	}
	if err := checkString(KindEdit, FieldReason, ed.Reason, 0); err != nil {
		return err
	}
	after, void := ed.Apply(before)
	if void != nil && *void {
		return nil
	}
	return m.Validate(after, caseStart, now)
}

// ValidateEdit checks an edit with the default formulary.
func ValidateEdit(before Entry, ed Edit, caseStart, now int64) error {
	return defaultModel.ValidateEdit(before, ed, caseStart, now)
}

package entry

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseFormulary: any input is either refused with ErrFormulary or
// gives a formulary that writes and reads back to the same drugs and
// whose ranges are sane.
func FuzzParseFormulary(f *testing.F) {
	var b bytes.Buffer
	_ = DefaultFormulary().WriteJSON(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"drugs":[{"name":"heparin","doses":[{"unit":"IU","min":1,"max":100000}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := ParseFormulary(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormulary) {
				t.Fatalf("error %v does not wrap ErrFormulary", err)
			}
			return
		}
		for _, d := range fm.Drugs {
			for _, r := range d.Doses {
				if _, ok := NormalizeUnit(r.Unit); !ok || r.Min < 0 || r.Min > r.Max {
					t.Fatalf("bad range kept: %+v", r)
				}
			}
		}
		var out bytes.Buffer
		if err := fm.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		g, err := ParseFormulary(&out)
		if err != nil || len(g.Drugs) != len(fm.Drugs) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParseEdit: edit fields as another writer may have written them are
// either refused with ErrEdit or read into an edit that writes back to the
// same edit.
func FuzzParseEdit(f *testing.F) {
	f.Add("1772352600000000000", "1772352660000000000", "true", "dose", 25000.0)
	f.Add("1772352600000000000", "", "", "volume_ml", 1200.0)
	f.Add("-5", "x", "maybe", "target", 1.0)
	f.Add(" 17 ", "0", "false", "void", 0.0)
	f.Fuzz(func(t *testing.T, target, eventTime, void, key string, v float64) {
		e := Entry{Kind: KindEdit, Time: 1772353900000000000, Who: "ab"}
		e.SetStr(FieldTarget, target)
		if eventTime != "" {
			e.SetStr(FieldEventTime, eventTime)
		}
		if void != "" {
			e.SetStr(FieldVoid, void)
		}
		if key != "" {
			e.SetNum(key, v)
		}
		ed, err := ParseEdit(e)
		if err != nil {
			if !errors.Is(err, ErrEdit) {
				t.Fatalf("error %v does not wrap ErrEdit", err)
			}
			return
		}
		if ed.Target <= 0 || ed.Time < 0 {
			t.Fatalf("times %d %d", ed.Target, ed.Time)
		}
		back, err := ParseEdit(fromEvent(ed.Event("x")))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if back.Target != ed.Target || back.Time != ed.Time || (back.Void == nil) != (ed.Void == nil) || len(back.Num) != len(ed.Num) {
			t.Fatalf("round trip: %+v != %+v", back, ed)
		}
	})
}

// FuzzParseText: any line for any kind gives fields of that kind only
// (or a refusal naming text), and Validate answers without panicking.
func FuzzParseText(f *testing.F) {
	f.Add(uint8(7), "Heparin 30000 IU iv")
	f.Add(uint8(6), "del Nido 1000 mL antegrade 4 °C")
	f.Add(uint8(13), "480 s")
	f.Add(uint8(8), "Hartmann 500mL crystalloid")
	f.Add(uint8(6), "x 1e309 mL -0 °C +.5C")
	f.Fuzz(func(t *testing.T, k uint8, text string) {
		spec := &Kinds()[int(k)%len(Kinds())]
		e, err := ParseText(spec.Kind, text)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "text" {
				t.Fatalf("error %v", err)
			}
			return
		}
		for key := range e.Num {
			if f, ok := spec.Field(key); !ok || f.Str {
				t.Fatalf("number field %q is not of %s", key, spec.Kind)
			}
		}
		for key := range e.Str {
			if f, ok := spec.Field(key); !ok || !f.Str {
				t.Fatalf("string field %q is not of %s", key, spec.Kind)
			}
		}
		e.Time = caseStart
		Normalize(&e)
		_ = Validate(e, caseStart, now)
	})
}

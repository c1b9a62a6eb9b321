package entry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	caseStart = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).UnixNano()
	now       = caseStart + int64(2*time.Hour)
)

func at(d time.Duration) int64 { return caseStart + int64(d) }

func drug(name string, dose float64, unit string) Entry {
	e := Entry{Kind: KindDrug, Time: at(time.Hour), Who: "jd"}
	e.SetStr("name", name).SetNum("dose", dose).SetStr("unit", unit).SetStr("route", "iv")
	return e
}

func TestValidate(t *testing.T) {
	cp := func(vol, temp float64, route string) Entry {
		e := Entry{Kind: KindCardioplegia, Time: at(40 * time.Minute)}
		e.SetStr("solution", "del Nido").SetNum("volume_ml", vol).SetNum("temp_c", temp).SetStr("route", route)
		return e
	}
	art := func(start, end time.Duration) Entry {
		e := Entry{Kind: KindArtifact, Time: at(start), Text: "probe moved"}
		e.SetStr("channel", "pump.flow").SetNum("end", float64(at(end)))
		return e
	}
	with := func(e Entry, f func(*Entry)) Entry { f(&e); return e }
	for _, c := range []struct {
		name  string
		e     Entry
		field string // "" : valid
		msg   []string
	}{
		{"heparin", drug("heparin", 30000, "IU"), "", nil},
		{"protamine", drug("protamine", 300, "mg"), "", nil},
		{"unknown drug, positive dose", drug("levosimendan", 12.5, "mg"), "", nil},
		{"heparin ten times", drug("heparin", 300000, "IU"), "dose", []string{"drug dose 300000 IU", "heparin", "100–100000 IU"}},
		{"heparin in mg", drug("heparin", 300, "mg"), "unit", []string{`"mg"`, "not a unit of heparin", "IU"}},
		{"protamine zero", drug("protamine", 0, "mg"), "dose", []string{"1–1000 mg"}},
		{"unknown drug, negative dose", drug("levosimendan", -1, "mg"), "dose", []string{"not positive"}},
		{"unit not a dose unit", drug("heparin", 300, "kg"), "unit", []string{"IU, mg, g, µg"}},
		{"missing dose", with(drug("heparin", 1, "IU"), func(e *Entry) { delete(e.Num, "dose") }), "dose", []string{"is required"}},
		{"NaN dose", drug("heparin", nan(), "IU"), "dose", []string{"not a number"}},
		{"negative suggestion", with(drug("heparin", 30000, "IU"), func(e *Entry) { e.SetNum("suggested_dose", -3) }), "suggested_dose", nil},
		{"before the case", with(drug("heparin", 30000, "IU"), func(e *Entry) { e.Time = at(-time.Minute) }), "time",
			[]string{"2026-03-02T07:59:00Z is before the case start", "2026-03-02T08:00:00Z (case start) to 2026-03-02T10:01:00Z"}},
		{"in the future", with(drug("heparin", 30000, "IU"), func(e *Entry) { e.Time = now + int64(2*time.Minute) }), "time", []string{"in the future"}},
		{"within the skew", with(drug("heparin", 30000, "IU"), func(e *Entry) { e.Time = now + int64(30*time.Second) }), "", nil},
		{"no time", with(drug("heparin", 30000, "IU"), func(e *Entry) { e.Time = 0 }), "time", []string{"missing"}},
		{"cardioplegia", cp(1000, 4, "antegrade"), "", nil},
		{"cardioplegia 50 L", cp(50000, 4, "antegrade"), "volume_ml", []string{"50000 mL", "1–5000 mL"}},
		{"cardioplegia at 60 °C", cp(1000, 60, "antegrade"), "temp_c", []string{"60 °C", "0–40 °C"}},
		{"cardioplegia route", cp(1000, 4, "sideways"), "route", []string{"antegrade, retrograde, ostial"}},
		{"artifact", art(10*time.Minute, 12*time.Minute), "", nil},
		{"artifact ends before it starts", art(10*time.Minute, 9*time.Minute), "end", []string{"not after the start"}},
		{"artifact ends in the future", art(10*time.Minute, 3*time.Hour), "end", []string{"in the future"}},
		{"ACT", with(Entry{Kind: KindACT, Time: at(time.Hour)}, func(e *Entry) { e.SetNum("seconds", 480) }), "", nil},
		{"ACT 9999", with(Entry{Kind: KindACT, Time: at(time.Hour)}, func(e *Entry) { e.SetNum("seconds", 9999) }), "seconds", []string{"50–1500 s"}},
		{"blood product", with(Entry{Kind: KindBloodProduct, Time: at(time.Hour)}, func(e *Entry) {
			e.SetStr("product", "red_cells").SetNum("volume_ml", 280).SetStr("unit_number", "G123 456 789 012")
		}), "", nil},
		{"blood product 5 L", with(Entry{Kind: KindBloodProduct, Time: at(time.Hour)}, func(e *Entry) {
			e.SetStr("product", "ffp").SetNum("volume_ml", 5000)
		}), "volume_ml", []string{"1–1000 mL"}},
		{"haemofiltration", with(Entry{Kind: KindHaemofiltration, Time: at(time.Hour)}, func(e *Entry) { e.SetNum("volume_ml", 1500) }), "", nil},
		{"urine negative", with(Entry{Kind: KindUrine, Time: at(time.Hour)}, func(e *Entry) { e.SetNum("volume_ml", -5) }), "volume_ml", nil},
		{"note", Entry{Kind: KindNote, Time: at(time.Hour), Text: "gas sent"}, "", nil},
		{"empty note", Entry{Kind: KindNote, Time: at(time.Hour)}, "text", []string{"required"}},
		{"note with a newline", Entry{Kind: KindNote, Time: at(time.Hour), Text: "a\nb"}, "text", []string{"control character"}},
		{"unknown field", with(Entry{Kind: KindOnBypass, Time: at(time.Hour)}, func(e *Entry) { e.SetNum("flow", 4) }), "flow", []string{"no fields"}},
		{"string for a number", with(Entry{Kind: KindACT, Time: at(time.Hour)}, func(e *Entry) { e.SetStr("seconds", "480") }), "seconds", []string{"seconds (number)"}},
		{"unknown kind", Entry{Kind: "party", Time: at(time.Hour)}, "kind", []string{"on_bypass"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.e, caseStart, now)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want a FieldError on %s", err, c.field)
			}
			if fe.Field != c.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, c.field, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
			for _, m := range c.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestNormalize(t *testing.T) {
	e := drug(" Unfractionated Heparin ", 30000, "units")
	e.Str["route"] = "IV"
	Normalize(&e)
	if e.Str["name"] != "heparin" || e.Str["unit"] != "IU" || e.Str["route"] != "iv" {
		t.Errorf("got %v", e.Str)
	}
	if err := Validate(e, caseStart, now); err != nil {
		t.Error(err)
	}
	b := Entry{Kind: KindBloodProduct, Time: at(time.Hour)}
	b.SetStr("product", "RBC").SetNum("volume_ml", 300)
	Normalize(&b)
	if err := Validate(b, caseStart, now); err != nil || b.Str["product"] != "red_cells" {
		t.Errorf("%v %q", err, b.Str["product"])
	}
	p := drug("phenylephrine", 100, "mcg")
	Normalize(&p)
	if p.Str["unit"] != "µg" {
		t.Errorf("unit %q", p.Str["unit"])
	}
}

func TestStrictFormulary(t *testing.T) {
	f := DefaultFormulary().Clone()
	f.Strict = true
	m := Model{Formulary: f}
	err := m.Validate(drug("levosimendan", 12.5, "mg"), caseStart, now)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "name" {
		t.Errorf("got %v", err)
	}
	if err := m.Validate(drug("heparin", 30000, "IU"), caseStart, now); err != nil {
		t.Error(err)
	}
}

func TestParseFormulary(t *testing.T) {
	f, err := ParseFormulary(strings.NewReader(`{"strict":true,"drugs":[{"name":"Heparin","aliases":["UFH"],"doses":[{"unit":"units","min":1000,"max":50000}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := Model{Formulary: f}
	e := drug("ufh", 60000, "IU")
	m.Normalize(&e)
	if err := m.Validate(e, caseStart, now); err == nil || !strings.Contains(err.Error(), "1000–50000 IU") {
		t.Errorf("got %v", err)
	}
	for _, bad := range []string{
		``, `{}x`, `{"drugs":[{"name":""}]}`, `{"drugs":[{"name":"a","doses":[{"unit":"kg","min":1,"max":2}]}]}`,
		`{"drugs":[{"name":"a","doses":[{"unit":"mg","min":3,"max":2}]}]}`,
		`{"drugs":[{"name":"a","doses":[{"unit":"mg","min":1,"max":2}]},{"name":"A","doses":[{"unit":"mg","min":1,"max":2}]}]}`,
		`{"drugs":[],"colour":1}`,
	} {
		if _, err := ParseFormulary(strings.NewReader(bad)); !errors.Is(err, ErrFormulary) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
	// The default round-trips through its own format.
	var b strings.Builder
	if err := DefaultFormulary().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	g, err := ParseFormulary(strings.NewReader(b.String()))
	if err != nil || len(g.Drugs) != len(DefaultFormulary().Drugs) {
		t.Fatalf("%v %d", err, len(g.Drugs))
	}
}

func TestEventAndSummary(t *testing.T) {
	e := drug("heparin", 30000, "IU")
	ev := e.Event()
	if ev.Text != "Drug heparin 30000 IU iv" {
		t.Errorf("text %q", ev.Text)
	}
	var keys []string
	for _, f := range ev.Fields {
		keys = append(keys, f.Key)
	}
	if strings.Join(keys, ",") != "name,dose,unit,route,who" {
		t.Errorf("fields %v", keys)
	}
}

func TestResolve(t *testing.T) {
	on := Entry{Kind: KindOnBypass, Time: at(20 * time.Minute)}
	hep := drug("heparin", 30000, "IU")
	hep.Time = at(10 * time.Minute)
	moved := at(22 * time.Minute)
	ed1 := Edit{Target: on.Time, At: at(30 * time.Minute), Who: "jd", Time: moved}
	dose := Edit{Target: hep.Time, At: at(31 * time.Minute), Who: "jd", Num: map[string]float64{"dose": 25000}}
	yes, no := true, false
	void := Edit{Target: hep.Time, At: at(32 * time.Minute), Who: "jd", Void: &yes}
	restore := Edit{Target: hep.Time, At: at(33 * time.Minute), Who: "jd", Void: &no}
	orphan := Edit{Target: at(99 * time.Minute), At: at(34 * time.Minute)}
	var evs []Entry
	for _, ed := range []Edit{restore, void, ed1, dose, orphan} { // file order is not edit order
		evs = append(evs, fromEvent(ed.Event(ed.Describe(Entry{}))))
	}
	evs = append(evs, on, hep)
	cur, probs := Resolve(evs)
	if len(probs) != 1 || !errors.Is(probs[0], ErrEdit) {
		t.Errorf("problems %v", probs)
	}
	if len(cur) != 2 {
		t.Fatalf("got %d entries", len(cur))
	}
	if cur[0].ID != hep.Time || cur[0].Num["dose"] != 25000 || cur[0].Void || !cur[0].Edited || len(cur[0].Edits) != 3 || cur[0].Original.Num["dose"] != 30000 {
		t.Errorf("heparin %+v", cur[0])
	}
	if cur[1].ID != on.Time || cur[1].Time != moved || !cur[1].Edited {
		t.Errorf("on bypass %+v", cur[1])
	}
}

func TestValidateEdit(t *testing.T) {
	hep := drug("heparin", 30000, "IU")
	ed := Edit{Target: hep.Time, At: now, Who: "jd", Num: map[string]float64{"dose": 250000}}
	if err := ValidateEdit(hep, ed, caseStart, now); err == nil || !strings.Contains(err.Error(), "dose 250000 IU") {
		t.Errorf("got %v", err)
	}
	ed = Edit{Target: hep.Time, At: now, Time: at(-time.Hour)}
	if err := ValidateEdit(hep, ed, caseStart, now); err == nil || !strings.Contains(err.Error(), "before the case start") {
		t.Errorf("got %v", err)
	}
	ed = Edit{Target: hep.Time, At: now, Str: map[string]string{"void": "x"}}
	if err := ValidateEdit(hep, ed, caseStart, now); err == nil {
		t.Error("an edit field among the new values must be refused")
	}
	yes := true
	bad := drug("heparin", 300000, "IU") // recorded by an older version
	if err := ValidateEdit(bad, Edit{Target: bad.Time, At: now, Void: &yes}, caseStart, now); err != nil {
		t.Errorf("voiding must always be possible: %v", err)
	}
}

// An ECMO configuration is a mode and its cannulation sites; a return
// that contradicts the mode (VV into an artery, VA into a vein), a
// dual-lumen cannula at one end only and a second return outside VAV are
// refused with the field named.
func TestECMOConfig(t *testing.T) {
	cfg := func(mode, dr, rt, rt2 string) Entry {
		e := Entry{Kind: KindECMOConfig, Time: at(time.Hour), Who: "jd"}
		for k, v := range map[string]string{"mode": mode, "drainage": dr, "return": rt, "return2": rt2} {
			if v != "" {
				e.SetStr(k, v)
			}
		}
		return e
	}
	for _, c := range []struct {
		name  string
		e     Entry
		field string // "" : valid
	}{
		{"vv femoral-jugular", cfg("vv", "femoral_vein", "jugular_vein", ""), ""},
		{"vv dual lumen", cfg("vv", "dual_lumen_jugular", "dual_lumen_jugular", ""), ""},
		{"va femoral-femoral", cfg("va", "femoral_vein", "femoral_artery", ""), ""},
		{"va central", cfg("va", "right_atrium", "aorta", ""), ""},
		{"vav", cfg("vav", "femoral_vein", "femoral_artery", "jugular_vein"), ""},
		{"mode only", cfg("va", "", "", ""), ""},
		{"no mode", cfg("", "femoral_vein", "jugular_vein", ""), "mode"},
		{"unknown mode", cfg("av", "femoral_vein", "femoral_artery", ""), "mode"},
		{"unknown site", cfg("vv", "subclavian", "jugular_vein", ""), "drainage"},
		{"vv into an artery", cfg("vv", "femoral_vein", "femoral_artery", ""), "return"},
		{"va into a vein", cfg("va", "femoral_vein", "jugular_vein", ""), "return"},
		{"dual lumen at one end", cfg("vv", "dual_lumen_jugular", "femoral_vein", ""), "return"},
		{"second return in va", cfg("va", "femoral_vein", "femoral_artery", "jugular_vein"), "return2"},
		{"arterial second return", cfg("vav", "femoral_vein", "femoral_artery", "aorta"), "return2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.e, caseStart, now)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("want an error on %s, got %v", c.field, err)
			}
		})
	}
}

package entry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// The set-up kinds: what they accept and how they refuse, each refusal one
// line naming the field and what is allowed.
func TestValidatePerfusionRecord(t *testing.T) {
	mk := func(kind string, set func(*Entry)) Entry {
		e := Entry{Kind: kind, Time: at(10 * time.Minute), Who: "jd"}
		set(&e)
		return e
	}
	for _, c := range []struct {
		name  string
		e     Entry
		field string
		msg   []string
	}{
		{"procedure", mk(KindProcedure, func(e *Entry) { e.SetStr("procedure", "CABG x3").SetStr("urgency", "elective") }), "", nil},
		{"procedure urgency", mk(KindProcedure, func(e *Entry) { e.SetStr("procedure", "AVR").SetStr("urgency", "soon") }), "urgency", []string{"elective, urgent, emergency, salvage"}},
		{"team", mk(KindTeam, func(e *Entry) { e.SetStr("perfusionist", "A. Perfusionist").SetStr("surgeon", "B. Surgeon") }), "", nil},
		{"team empty", mk(KindTeam, func(*Entry) {}), "surgeon", []string{"at least one name"}},
		{"team name too long", mk(KindTeam, func(e *Entry) { e.SetStr("surgeon", strings.Repeat("x", 81)) }), "surgeon", []string{"81 bytes", "up to 80 bytes"}},
		{"team with an assistant", mk(KindTeam, func(e *Entry) { e.SetStr("perfusionist", "A. Perfusionist").SetStr("assistant", "C. Second") }), "", nil},
		{"assistant alone", mk(KindTeam, func(e *Entry) { e.SetStr("assistant", "C. Second") }), "", nil},
		{"assistant too long", mk(KindTeam, func(e *Entry) { e.SetStr("assistant", strings.Repeat("x", 81)) }), "assistant", []string{"81 bytes", "up to 80 bytes"}},
		{"assistant with a control character", mk(KindTeam, func(e *Entry) { e.SetStr("assistant", "C.\x1b[2J Second") }), "assistant", []string{"control character"}},
		{"assistant as a number", mk(KindTeam, func(e *Entry) { e.SetNum("assistant", 2) }), "assistant", []string{"assistant (string)"}},
		{"team empty names the assistant", mk(KindTeam, func(*Entry) {}), "surgeon", []string{"perfusionist, trainee, assistant, supervisor"}},
		{"circuit", mk(KindCircuit, func(e *Entry) {
			e.SetStr("hlm", "HLM-2").SetStr("heater_cooler", "HCU-4").SetStr("venous_drainage", "vacuum").SetNum("rap_ml", 600)
		}), "", nil},
		{"circuit drainage", mk(KindCircuit, func(e *Entry) { e.SetStr("venous_drainage", "pump") }), "venous_drainage", []string{"gravity, vacuum"}},
		{"RAP 5 L", mk(KindCircuit, func(e *Entry) { e.SetNum("rap_ml", 5000) }), "rap_ml", []string{"5000 mL", "0–3000 mL"}},
		{"disposable", mk(KindDisposable, func(e *Entry) {
			e.SetStr("item", "oxygenator").SetStr("product", "Inspire 8F").SetStr("lot", "2611-0042A")
		}), "", nil},
		{"cannula", mk(KindDisposable, func(e *Entry) {
			e.SetStr("item", "venous_cannula").SetStr("size", "36/46 Fr").SetStr("site", "right atrium").SetStr("lot", "L77")
		}), "", nil},
		{"lot with a control character", mk(KindDisposable, func(e *Entry) { e.SetStr("item", "oxygenator").SetStr("lot", "26\x1b[2J11") }), "lot",
			[]string{"control character", "printable text up to 40 bytes"}},
		{"lot with a newline", mk(KindDisposable, func(e *Entry) { e.SetStr("item", "reservoir").SetStr("lot", "A\nB") }), "lot", []string{"control character"}},
		{"lot too long", mk(KindDisposable, func(e *Entry) { e.SetStr("item", "reservoir").SetStr("lot", strings.Repeat("9", 41)) }), "lot", []string{"up to 40 bytes"}},
		{"disposable without item", mk(KindDisposable, func(e *Entry) { e.SetStr("lot", "1") }), "item", []string{"is required", "oxygenator"}},
		{"checklist", mk(KindChecklist, func(e *Entry) { e.SetStr("signed_by", "A. Perfusionist") }), "", nil},
		{"checklist unsigned", mk(KindChecklist, func(e *Entry) { e.SetStr("checklist", "pre-bypass") }), "signed_by", []string{"is required"}},
		{"residual", mk(KindResidualVolume, func(e *Entry) { e.SetNum("volume_ml", 450).SetStr("disposition", "bagged") }), "", nil},
		{"residual where", mk(KindResidualVolume, func(e *Entry) { e.SetNum("volume_ml", 450) }), "disposition", []string{"returned, cell_salvage"}},
		{"incident", mk(KindIncident, func(e *Entry) { e.Text = "oxygenator changed out"; e.SetStr("category", "equipment") }), "", nil},
		{"incident without text", mk(KindIncident, func(e *Entry) { e.SetStr("category", "air") }), "text", []string{"is required"}},
		{"signoff", mk(KindSignOff, func(e *Entry) { e.SetStr("name", "A. Perfusionist") }), "", nil},
		{"signoff without name", mk(KindSignOff, func(*Entry) {}), "name", []string{"is required"}},
		{"cardioplegia crystalloid", mk(KindCardioplegia, func(e *Entry) {
			e.SetStr("solution", "blood 4:1").SetNum("volume_ml", 1000).SetNum("crystalloid_ml", 200)
		}), "", nil},
		{"blood gas", mk(KindBloodGas, func(e *Entry) {
			e.SetStr("sample", "arterial").SetNum("ph", 7.38).SetNum("pco2", 40).SetNum("k", 4.6)
		}), "", nil},
		{"blood gas drawn (no results)", mk(KindBloodGas, func(*Entry) {}), "", nil},
		{"blood gas without its sample", mk(KindBloodGas, func(e *Entry) { e.SetNum("ph", 7.38) }), "sample", []string{"abg.* or vbg.*"}},
		{"blood gas K+ 45", mk(KindBloodGas, func(e *Entry) { e.SetStr("sample", "arterial").SetNum("k", 45) }), "k", []string{"45 mmol/L", "1–10 mmol/L"}},
		{"blood gas pH 73.8", mk(KindBloodGas, func(e *Entry) { e.SetStr("sample", "venous").SetNum("ph", 73.8) }), "ph", []string{"73.8 is outside", "6.5–8"}},
		{"blood gas unknown analyte", mk(KindBloodGas, func(e *Entry) { e.SetStr("sample", "venous").SetNum("troponin", 3) }), "troponin", nil},
		{"signoff before the case", mk(KindSignOff, func(e *Entry) { e.SetStr("name", "x"); e.Time = at(-time.Hour) }), "time", []string{"before the case start"}},
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
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\x1b") {
				t.Errorf("message is not one clean line: %q", msg)
			}
			for _, m := range c.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q lacks %q", msg, m)
				}
			}
		})
	}
}

func TestBloodGasResults(t *testing.T) {
	e := Entry{Kind: KindBloodGas, Time: at(time.Hour)}
	e.SetStr("sample", "arterial").SetNum("ph", 7.41).SetNum("k", 4.2).SetNum("lactate", 1.8).SetNum("glucose", 7.1)
	got := BloodGasResults(e)
	want := []Result{{channel.ABGPH, 7.41}, {channel.ABGPH + 6, 4.2}, {channel.ABGPH + 9, 7.1}, {channel.ABGPH + 10, 1.8}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %v (%s), want %v (%s)", i, got[i], got[i].Channel.String(), want[i], want[i].Channel.String())
		}
	}
	if n := got[1].Channel.String(); n != "abg.k" {
		t.Errorf("K+ on %s", n)
	}
	e.Str["sample"] = "mixed_venous"
	if n := BloodGasResults(e)[0].Channel.String(); n != "vbg.ph" {
		t.Errorf("venous pH on %s", n)
	}
	delete(e.Str, "sample")
	if r := BloodGasResults(e); r != nil {
		t.Errorf("no sample: %v", r)
	}
	if len(BloodGasAnalytes) != 13 || BloodGasAnalytes[0] != "ph" || BloodGasAnalytes[12] != "hco3" {
		t.Errorf("analytes %v", BloodGasAnalytes)
	}
}

func TestCompleteCardioplegia(t *testing.T) {
	cp := func(sol string, vol float64) Entry {
		e := Entry{Kind: KindCardioplegia, Time: at(time.Hour)}
		e.SetStr("solution", sol).SetNum("volume_ml", vol)
		return e
	}
	for _, c := range []struct {
		sol, spelt string
		vol, want  float64 // want < 0: left out
	}{
		{"del nido", "del Nido", 1000, 800},   // 4 crystalloid : 1 blood
		{"Blood 4:1", "blood 4:1", 1000, 200}, // 4 blood : 1 crystalloid
		{"Custodiol", "HTK", 2000, 2000},
		{"St Thomas", "St Thomas", 1000, -1}, // not in the table: unknown, never guessed
	} {
		e := cp(c.sol, c.vol)
		CompleteCardioplegia(&e, nil)
		v, ok := e.Num["crystalloid_ml"]
		if c.want < 0 && ok || c.want >= 0 && (!ok || v != c.want) {
			t.Errorf("%s: crystalloid %v %v, want %v", c.sol, v, ok, c.want)
		}
		if e.Str["solution"] != c.spelt {
			t.Errorf("%s spelt %q", c.sol, e.Str["solution"])
		}
	}
	// An entered crystalloid volume stays.
	e := cp("del Nido", 1000)
	e.SetNum("crystalloid_ml", 750)
	CompleteCardioplegia(&e, nil)
	if e.Num["crystalloid_ml"] != 750 {
		t.Errorf("entered value replaced: %v", e.Num["crystalloid_ml"])
	}
	// A site table wins.
	site := []Solution{{Name: "del Nido", CrystalloidFraction: 0.75, Redose: time.Hour}}
	e = cp("del Nido", 1000)
	CompleteCardioplegia(&e, site)
	if e.Num["crystalloid_ml"] != 750 {
		t.Errorf("site table: %v", e.Num["crystalloid_ml"])
	}
}

func TestFormatTimeIn(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	ts := time.Date(2026, 3, 2, 8, 10, 0, 0, time.UTC).UnixNano()
	if got := FormatTimeIn(ts, paris); got != "2026-03-02T09:10:00+01:00 CET" {
		t.Errorf("got %q", got)
	}
	m := Model{Zone: paris}
	e := drug("heparin", 30000, "IU")
	e.Time = at(-time.Minute)
	err = m.Validate(e, caseStart, now)
	if err == nil || !strings.Contains(err.Error(), "2026-03-02T08:59:00+01:00 CET is before the case start") {
		t.Errorf("got %v", err)
	}
}

// A blood gas's text names each result: numbers side by side without
// their analyte would be read wrong.
func TestBloodGasSummary(t *testing.T) {
	e := Entry{Kind: KindBloodGas, Time: at(time.Hour)}
	e.SetStr("sample", "arterial").SetNum("ph", 7.38).SetNum("pco2", 40).SetNum("k", 4.6).SetNum("lactate", 2.1)
	if got, want := e.Summary(), "Blood gas arterial pH 7.38 pCO2 40 mmHg K+ 4.6 mmol/L Lactate 2.1 mmol/L"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

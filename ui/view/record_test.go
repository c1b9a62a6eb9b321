package view

import (
	"image"
	"math"
	"strings"
	"testing"
	"time"

	"gioui.org/io/key"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/entry"
	"github.com/pumpside/pumpside/monitor/site"
)

// newHarnessOpts is newHarness with the screens' options (zone, units,
// preset).
func newHarnessOpts(t *testing.T, st *State, now time.Time, opts Options) *harness {
	h := &harness{t: t, st: st, now: now, sz: image.Pt(1920, 1080)}
	h.th = newHarness(t, &State{}, now).th
	opts.CaseStart = start
	opts.OnAction = func(a Action) { h.actions = append(h.actions, a) }
	h.s = NewScreens(opts)
	h.snap = snapshot(now)
	h.frame()
	return h
}

// testPreset is a site's preset: the circuit, an oxygenator, the prime.
func testPreset(t *testing.T) []entry.Entry {
	cfg, err := site.Parse([]byte(`
[[preset]]
kind = "circuit"
hlm = "HLM-2"
venous_drainage = "gravity"
[[preset]]
kind = "disposable"
item = "oxygenator"
product = "Example Oxy 8"
[[preset]]
kind = "fluid"
name = "Plasma-Lyte 148"
volume_ml = 1200
fluid_kind = "prime"
[[preset]]
kind = "drug"
name = "heparin"
dose = 5000
unit = "IU"
route = "prime"
`), "preset")
	require.NoError(t, err)
	return cfg.Preset
}

func (h *harness) recordPage() {
	h.key(key.NameF6)
	require.Equal(h.t, ScreenSetup, h.s.Screen())
	h.click(centre(TabRect(h.s.Rects().Body, h.px, TabRecord)))
	require.Equal(h.t, TabRecord, h.s.Setup.Tab())
}

func (h *harness) px(v float32) int {
	scale := min(float32(h.sz.X)/1280, float32(h.sz.Y)/800)
	return max(1, int(v*scale+0.5))
}

// The case record page starts from the site's preset, sends what is typed
// as entries (one per kind, a disposable per row, a prime fluid per row,
// the additive parsed), sends nothing twice, and signs the checklist and
// the record by name; the record reads UNSIGNED until it is signed off.
func TestCaseRecordPage(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarnessOpts(t, &State{}, now, Options{Zone: time.UTC, Preset: testPreset(t)})
	h.recordPage()
	f := h.s.Setup.Record
	assert.Equal(t, "HLM-2", f.Field(entry.KindCircuit, "hlm").Text(), "from the preset")
	assert.Equal(t, "Example Oxy 8", f.Field("disposable:oxygenator", "product").Text())
	assert.Equal(t, "Plasma-Lyte 148", f.Field("fluid:1", "name").Text())
	assert.Equal(t, "1200", f.Field("fluid:1", "volume_ml").Text())
	v, _ := f.Choice(entry.KindCircuit, "venous_drainage")
	assert.Equal(t, "gravity", v)

	f.Field(entry.KindProcedure, "procedure").SetText("CABG x3")
	f.Field(entry.KindTeam, "perfusionist").SetText("A. Perfusionist")
	f.Field(entry.KindTeam, "surgeon").SetText("B. Surgeon")
	f.Field(entry.KindCircuit, "rap_ml").SetText("400")
	f.Field("disposable:oxygenator", "lot").SetText("OX-2611")
	f.Field("disposable:venous_cannula", "size").SetText("36/46 Fr")
	// Urgency: one click on its button chooses "elective".
	_, ur := f.Choice(entry.KindProcedure, "urgency")
	h.click(centre(ur))
	h.click(centre(f.RecordButton(RecordSetupButton)))
	require.Len(t, h.actions, 1, "%v", h.s.Setup.Message())
	got := h.actions[0].(RecordEntries).Entries
	at := now.UnixNano()
	mk := func(kind string, str map[string]string, num map[string]float64) entry.Entry {
		return entry.Entry{Kind: kind, Time: at, Str: str, Num: num}
	}
	want := []entry.Entry{
		mk(entry.KindProcedure, map[string]string{"procedure": "CABG x3", "urgency": "elective"}, nil),
		mk(entry.KindTeam, map[string]string{"surgeon": "B. Surgeon", "perfusionist": "A. Perfusionist"}, nil),
		mk(entry.KindCircuit, map[string]string{"hlm": "HLM-2", "venous_drainage": "gravity"}, map[string]float64{"rap_ml": 400}),
		mk(entry.KindDisposable, map[string]string{"item": "oxygenator", "product": "Example Oxy 8", "lot": "OX-2611"}, nil),
		mk(entry.KindDisposable, map[string]string{"item": "venous_cannula", "size": "36/46 Fr"}, nil),
		mk(entry.KindFluid, map[string]string{"name": "Plasma-Lyte 148", "fluid_kind": "prime"}, map[string]float64{"volume_ml": 1200}),
		mk(entry.KindDrug, map[string]string{"name": "heparin", "unit": "IU", "route": "prime"}, map[string]float64{"dose": 5000}),
	}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i], "entry %d", i)
	}
	for _, e := range got {
		assert.NoError(t, entry.Validate(entry.Entry{Kind: e.Kind, Time: e.Time, Str: e.Str, Num: e.Num, Who: "operator"}, start.UnixNano(), at),
			"the record accepts %s", e.Kind)
	}

	// Recorded: pressing again sends nothing (the prime would count twice).
	h.st = &State{Record: got}
	h.actions = nil
	h.frame()
	h.click(centre(f.RecordButton(RecordSetupButton)))
	assert.Empty(t, h.actions)
	assert.Equal(t, "nothing new to record", h.s.Setup.Message())

	// A slip: letters never reach a number field ("4OO" is "4"), and what
	// is not a number is refused on the spot, nothing sent.
	f.Field(entry.KindCircuit, "rap_ml").SetText("4OO")
	assert.Equal(t, "4", f.Field(entry.KindCircuit, "rap_ml").Text())
	f.Field(entry.KindCircuit, "rap_ml").SetText("4..0")
	h.click(centre(f.RecordButton(RecordSetupButton)))
	assert.Empty(t, h.actions)
	assert.Contains(t, h.s.Setup.Message(), `RAP (prime removed): "4..0" is not a number`)
	f.Field(entry.KindCircuit, "rap_ml").SetText("400")

	// The checklist and the sign-off, by name.
	f.Field(entry.KindChecklist, "signed_by").SetText("A. Perfusionist")
	h.click(centre(f.RecordButton(SignChecklistButton)))
	f.Field(entry.KindSignOff, "name").SetText("A. Perfusionist")
	h.click(centre(f.RecordButton(SignOffButton)))
	require.Len(t, h.actions, 2)
	assert.Equal(t, []entry.Entry{mk(entry.KindChecklist, map[string]string{"signed_by": "A. Perfusionist", "checklist": "pre-bypass"}, nil)},
		h.actions[0].(RecordEntries).Entries)
	assert.Equal(t, []entry.Entry{mk(entry.KindSignOff, map[string]string{"name": "A. Perfusionist"}, nil)}, h.actions[1].(RecordEntries).Entries)
	assert.Equal(t, "UNSIGNED: not signed off", signatureText(h.st.Record, entry.KindSignOff, "name", "UNSIGNED: not signed off", time.UTC))
	signed := append(got, h.actions[1].(RecordEntries).Entries...)
	assert.Equal(t, "signed by A. Perfusionist at 09:15 UTC", signatureText(signed, entry.KindSignOff, "name", "", time.UTC))

	// The integrator's refusal is shown on the page.
	h.st = &State{Record: got, Refusal: "residual_volume disposition is required"}
	h.frame()
	assert.Equal(t, "", h.s.Setup.Message(), "not the form's own")
}

// The blood gas page: the results typed in the site's units (kPa, g/L)
// leave in the channels' (mmHg, g/dL), the sample time is read on the
// theatre's clock, a value out of range is refused in the unit typed, and
// typing a letter that is also a shortcut enters no event.
func TestBloodGasPage(t *testing.T) {
	now := start.Add(time.Hour) // 09:15 UTC, 10:15 in Paris
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	h := newHarnessOpts(t, &State{}, now, Options{Zone: paris, Units: site.Units{Gas: site.KPa, Hb: site.GPerL, Glucose: site.MmolPerL}})
	h.key(key.NameF6)
	h.click(centre(TabRect(h.s.Rects().Body, h.px, TabBloodGas)))
	require.Equal(t, TabBloodGas, h.s.Setup.Tab())
	g := h.s.Setup.Gas
	g.Field("time").SetText("10:02")
	g.Field("ph").SetText("7.38")
	g.Field("pco2").SetText("5.33")
	g.Field("hb").SetText("95")
	g.Field("k").SetText("4.6")
	h.click(centre(g.SampleAt)) // venous
	h.click(centre(g.RecordAt))
	require.Len(t, h.actions, 1, h.s.Setup.Message())
	es := h.actions[0].(RecordEntries).Entries
	require.Len(t, es, 1)
	e := es[0]
	assert.Equal(t, entry.KindBloodGas, e.Kind)
	assert.Equal(t, "venous", e.Str["sample"])
	assert.Equal(t, time.Date(2026, 11, 3, 9, 2, 0, 0, time.UTC).UnixNano(), e.Time, "10:02 in Paris")
	assert.Equal(t, 7.38, e.Num["ph"])
	assert.InDelta(t, 39.98, e.Num["pco2"], 0.01, "5.33 kPa in mmHg")
	assert.InDelta(t, 9.5, e.Num["hb"], 1e-9, "95 g/L in g/dL")
	assert.Equal(t, 4.6, e.Num["k"])
	assert.Equal(t, "vbg.pco2", entry.BloodGasResults(e)[1].Channel.String())
	assert.Equal(t, "", g.Field("pco2").Text(), "the form clears once sent")

	// 40 kPa of CO2: mmHg typed as kPa.
	h.actions = nil
	g.Field("pco2").SetText("40")
	h.click(centre(g.RecordAt))
	assert.Empty(t, h.actions)
	assert.Equal(t, "blood_gas pco2 40 kPa is outside the range; allowed: 0.67–20.00 kPa", h.s.Setup.Message())
	g.Field("pco2").SetText("")
	h.click(centre(g.RecordAt))
	assert.Empty(t, h.actions)
	assert.Contains(t, h.s.Setup.Message(), "no result typed")

	// Typing into a result field: X is text, not the clamp shortcut.
	h.click(centre(g.vals[0].at))
	h.key("X")
	for _, a := range h.actions {
		_, isEvent := a.(EnterEvent)
		assert.False(t, isEvent, "a shortcut fired while typing: %#v", a)
	}
}

// A time of day is shown in the theatre's zone with its abbreviation:
// the banner's ended alarm and the specimen prompt.
func TestTimesInTheTheatreZone(t *testing.T) {
	now := start.Add(time.Hour)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	raised := now.Add(-3 * time.Minute) // 09:12 UTC
	st := &State{
		Alarms: []AlarmView{{ID: "map_critical", Message: "MAP critically low", Priority: High, State: AlarmActive, Sounding: true,
			Latching: true, Since: raised.UnixNano(), Ended: now.Add(-time.Minute).UnixNano(), Value: 69, Raised: 38, Limit: 40, Unit: "mmHg"}},
		Specimen: &SpecimenPrompt{Sample: raised.UnixNano(), Source: "gem", Summary: "pH 7.38"},
	}
	h := newHarnessOpts(t, st, now, Options{Zone: paris})
	assert.Equal(t, "ENDED *** MAP critically low | was 38 / 40 at 10:12:00 CET", h.s.Banner.ChipText(0))
	assert.True(t, strings.HasPrefix(h.s.Specimen.Text(), "BLOOD GAS 10:12:00 CET from gem"), h.s.Specimen.Text())
}

// The site's units on the tiles: Hb in g/L, the value × 10 with the
// channel's checks (a stale or out-of-range value is never a number).
func TestTileSiteUnits(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarnessOpts(t, &State{}, now, Options{Zone: time.UTC, Units: site.Units{Hb: site.GPerL}})
	h.snap = snapshot(now)
	h.snap.Readings[channel.InlineHb] = monitor.Reading{Value: 9.35, Time: now.UnixNano(), Source: 1}
	h.frame()
	tile := h.s.Monitor.Tile(channel.InlineHb)
	require.NotNil(t, tile)
	v, badge, _ := tile.Shown()
	assert.Equal(t, "94", v)
	assert.Equal(t, "", badge)
	assert.Equal(t, "g/L", tile.Unit())
	h.snap.Readings[channel.InlineHb] = monitor.Reading{Value: 40, Time: now.UnixNano(), Source: 1} // beyond 25 g/dL
	h.frame()
	v, _, _ = tile.Shown()
	assert.Equal(t, channel.NoValue, v)
	// Other tiles keep their channel's unit.
	assert.Equal(t, "mmHg", h.s.Monitor.Tile(channel.PatientMAP).Unit())
	assert.False(t, math.IsNaN(h.snap.Readings[channel.PatientMAP].Value))
}

// An ECMO run's configuration is chosen on the case record page (each
// click steps a choice on) and sent as one ecmo_config entry the record
// accepts; the button stays on the page with the three extra rows.
func TestCaseRecordPageECMOConfig(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarnessOpts(t, &State{}, now, Options{Zone: time.UTC})
	h.recordPage()
	f := h.s.Setup.Record
	clicks := func(key string, n int) {
		for range n {
			_, at := f.Choice(entry.KindECMOConfig, key)
			require.False(t, at.Empty(), "%s drawn", key)
			h.click(centre(at))
		}
	}
	clicks("mode", 1)     // vv
	clicks("drainage", 1) // femoral_vein
	clicks("return", 2)   // jugular_vein
	btn := f.RecordButton(RecordSetupButton)
	require.True(t, btn.In(h.s.Rects().Body), "the set-up button %v inside the page %v", btn, h.s.Rects().Body)
	h.click(centre(btn))
	require.Len(t, h.actions, 1, "%v", h.s.Setup.Message())
	got := h.actions[0].(RecordEntries).Entries
	require.Len(t, got, 1)
	assert.Equal(t, entry.Entry{Kind: entry.KindECMOConfig, Time: now.UnixNano(),
		Str: map[string]string{"mode": "vv", "drainage": "femoral_vein", "return": "jugular_vein"}}, got[0])
	e := got[0]
	e.Who = "operator"
	assert.NoError(t, entry.Validate(e, start.UnixNano(), now.UnixNano()))
}

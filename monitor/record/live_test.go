package record

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLiveRoundTrip: a live line the writer records reads back as it was
// given, and sits among the other lines without disturbing them.
func TestLiveRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.case")
	w, err := Open(path, Options{Case: "C-live"})
	require.NoError(t, err)
	t0 := simStart.UnixNano()
	require.NoError(t, w.AddEvent(Event{Time: t0, Kind: KindOnBypass, Text: "On bypass"}))
	in := Live{Time: t0 + 5e9, Theatre: "OR 3", Phase: "bypass", PhaseText: "On bypass, clamp on", Clamp: true,
		Case: 47 * time.Minute, Bypass: 20 * time.Minute, ClampTime: 12*time.Minute + 500*time.Millisecond, DO2iThreshold: 280,
		Alarms: []LiveAlarm{
			{ID: "flow_stopped", Priority: "high", State: "acknowledged", Latched: true, Text: "Arterial pump flow stopped", Since: t0 + 1e9},
			{ID: "no_data/nirs.left", Priority: "medium", State: "active", Technical: true, Text: "No valid data \"nirs\"", Since: t0 + 2e9},
		}}
	require.NoError(t, w.PublishLive(in))
	none := Live{Time: t0 + 10e9, Phase: "pre_bypass", PhaseText: "Pre-bypass", DO2iThreshold: math.NaN()}
	require.NoError(t, w.PublishLive(none))
	require.ErrorIs(t, w.PublishLive(Live{Time: t0, Phase: "Bad Phase"}), ErrInvalid)
	require.ErrorIs(t, w.PublishLive(Live{Time: t0, Phase: "bypass", Theatre: `OR "1"`}), ErrInvalid)
	require.NoError(t, w.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `live,case=C-live,theatre=OR\ 3 phase="bypass",phase_text="On bypass, clamp on",clamp=true,case_s=2820,bypass_s=1200,clamp_s=720.5,arrest_s=0,do2i_threshold=280,highest="high",alarm_count=2i,alarms="[{\"id\":\"flow_stopped\"`)
	r := NewReader(strings.NewReader(string(data)))
	r.OnBadLine = func(e *LineError) { t.Errorf("bad line: %v", e) }
	var got []Live
	events := 0
	for r.Next() {
		e := r.Entry()
		switch e.Kind() {
		case KindLive:
			l, err := e.Live()
			require.NoError(t, err)
			got = append(got, l)
			assert.Empty(t, e.Samples(nil), "a live line holds no samples")
		case KindEvent:
			events++
		}
	}
	require.NoError(t, r.Err())
	assert.Equal(t, 1, events)
	require.Len(t, got, 2)
	in.AlarmCount = 2
	assert.Equal(t, in, got[0])
	assert.Equal(t, "none", got[1].Highest())
	assert.Empty(t, got[1].Theatre, "no theatre configured: no tag")
	assert.True(t, math.IsNaN(got[1].DO2iThreshold))
	assert.Empty(t, got[1].Alarms)
}

// TestLiveBadLines: a live line that breaks the format is reported and
// skipped like any bad line.
func TestLiveBadLines(t *testing.T) {
	in := strings.Join([]string{
		`live,case=C phase_text="x" 1772352000000000000`,                           // 1: no phase
		`live,case=C phase="bypass",alarms="{" 1772352000000000000`,                // 2: alarms not JSON
		`live,case=C phase="bypass",alarms="[{\"id\":\"a\"}]" 1772352000000000000`, // 3: no priority
		`live,case=C phase="bypass",alarms=3 1772352000000000000`,                  // 4: alarms not a string
		`live,case=C,theatre=OR\ 1 phase="bypass",alarms="[]",future_field=1 1772352000000000000`,
		``,
	}, "\n")
	var bad []int64
	r := NewReader(strings.NewReader(in))
	r.OnBadLine = func(e *LineError) { bad = append(bad, e.Line) }
	n := 0
	for r.Next() {
		l, err := r.Entry().Live()
		require.NoError(t, err)
		assert.Equal(t, "OR 1", l.Theatre)
		n++
	}
	assert.Equal(t, []int64{1, 2, 3, 4}, bad)
	assert.Equal(t, 1, n, "unknown fields are kept for later formats")

	_, err := ParseLiveAlarms(strings.Repeat(" ", maxLiveAlarmsField+1))
	require.ErrorIs(t, err, ErrFormat)
	many := make([]LiveAlarm, 40)
	for i := range many {
		many[i] = LiveAlarm{ID: "a", Priority: "low", State: "active"}
	}
	as, err := ParseLiveAlarms(EncodeLiveAlarms(many))
	require.NoError(t, err)
	assert.Len(t, as, MaxLiveAlarms)
}

func TestCheckTheatre(t *testing.T) {
	for _, ok := range []string{"", "OR 3", "Theatre 12 (cardiac)", "Salle 2 – cardio", "Block 2, OR 14 bay 3"} {
		assert.NoError(t, CheckTheatre(ok), ok)
	}
	// A patient's number or date of birth in the theatre's place.
	for _, bad := range []string{" OR", "OR\n3", `OR\`, strings.Repeat("x", 41), `a"b`,
		"943 476 5919", "MRN 1234567", "OR 3 12/03/1950", "K123456"} {
		assert.ErrorIs(t, CheckTheatre(bad), ErrInvalid, bad)
	}
}

// TestLiveDocExample: the live lines of docs/format/case.md read as the
// page says.
func TestLiveDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/format/case.md")
	require.NoError(t, err)
	lines := regexp.MustCompile(`(?m)^live,.*$`).FindAllString(string(doc), -1)
	require.GreaterOrEqual(t, len(lines), 2, "the page shows live lines")
	r := NewReader(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	r.OnBadLine = func(e *LineError) { t.Errorf("doc example: %v", e) }
	var got []Live
	for r.Next() {
		l, err := r.Entry().Live()
		require.NoError(t, err)
		got = append(got, l)
	}
	require.Len(t, got, len(lines))
	assert.Equal(t, "OR 3", got[0].Theatre)
	assert.Equal(t, "bypass", got[0].Phase)
	require.NotEmpty(t, got[len(got)-1].Alarms)
	assert.Equal(t, "high", got[len(got)-1].Highest())
}

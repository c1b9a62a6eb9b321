package theme

import (
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// luminance is WCAG 2's relative luminance.
func luminance(c color.NRGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func contrast(a, b color.NRGBA) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestContrast: in both palettes every text colour reads against what it
// is drawn on, at WCAG's AAA level for large text (4.5:1) at least; in the
// dark one the numerals, white text and the no-value mark do better.
func TestContrast(t *testing.T) {
	for _, pal := range []struct {
		name   string
		p      Palette
		strong float64 // what the dark theme's 7:1 pairs must reach
	}{{"dark", Dark, 7}, {"light", Light, 4.5}} {
		p := pal.p
		for g := range NumGroups {
			assert.GreaterOrEqual(t, contrast(p.Groups[g], p.Tile), 4.5, "%s: group %d value", pal.name, g)
			assert.GreaterOrEqual(t, contrast(p.GroupsDim[g], p.Tile), 4.5, "%s: group %d unit", pal.name, g)
		}
		pairs := []struct {
			name   string
			fg, bg color.NRGBA
			min    float64
		}{
			{"title on header", p.Text, p.Header, 7},
			{"safety line on header", p.TextDim, p.Header, pal.strong},
			{"source on tile", p.TextDim, p.Tile, pal.strong},
			{"no-value mark on tile", p.NoValue, p.Tile, 4.5},
			{"warning badge", p.OnWarning, p.Warning, pal.strong},
			{"alarm badge", p.OnAlarm, p.Alarm, 4.5},
			{"neutral badge", p.OnNeutral, p.Neutral, pal.strong},
			{"age on tile", p.Warning, p.Tile, pal.strong},
			{"high alarm", p.OnAlarmHigh, p.AlarmHigh, 4.5},
			{"medium alarm", p.OnAlarmMedium, p.AlarmMedium, 7},
			{"low alarm", p.OnAlarmLow, p.AlarmLow, 7},
			{"button", p.OnButton, p.Button, 7},
			{"selected", p.OnSelected, p.Selected, 7},
			{"replay", p.OnReplay, p.Replay, 4.5},
			{"text on tile (dimmed alarm chip)", p.Text, p.Tile, 7},
		}
		for _, c := range pairs {
			assert.GreaterOrEqual(t, contrast(c.fg, c.bg), c.min, "%s: %s", pal.name, c.name)
		}
	}
}

// TestPriorityColoursDistinct: the three priorities differ in lightness
// too, not only in hue, so that they stay apart for red–green colour-blind
// readers (the banner also writes the priority and gives each a shape).
func TestPriorityColoursDistinct(t *testing.T) {
	for _, p := range []Palette{Dark, Light} {
		assert.GreaterOrEqual(t, contrast(p.AlarmHigh, p.AlarmMedium), 2.5)
		assert.GreaterOrEqual(t, contrast(p.AlarmHigh, p.AlarmLow), 2.0)
	}
}

func TestNewMeasuresDigits(t *testing.T) {
	th := NewDark()
	assert.InDelta(t, 0.56, th.NumeralAdvance, 0.05)
	assert.InDelta(t, 0.74, th.NumeralHeight, 0.05)
}

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

// TestDarkContrast: every text colour reads against what it is drawn on,
// at WCAG's AAA level for large text (4.5:1) at least; the numerals, white
// text and the no-value mark do better.
func TestDarkContrast(t *testing.T) {
	p := Dark
	for g := range NumGroups {
		assert.GreaterOrEqual(t, contrast(p.Groups[g], p.Tile), 4.5, "group %d value", g)
		assert.GreaterOrEqual(t, contrast(p.GroupsDim[g], p.Tile), 4.5, "group %d unit", g)
	}
	pairs := []struct {
		name   string
		fg, bg color.NRGBA
		min    float64
	}{
		{"title on header", p.Text, p.Header, 7},
		{"safety line on header", p.TextDim, p.Header, 7},
		{"source on tile", p.TextDim, p.Tile, 7},
		{"no-value mark on tile", p.NoValue, p.Tile, 4.5},
		{"warning badge", p.OnWarning, p.Warning, 7},
		{"alarm badge", p.OnAlarm, p.Alarm, 4.5},
		{"neutral badge", p.OnNeutral, p.Neutral, 7},
		{"age on tile", p.Warning, p.Tile, 7},
	}
	for _, c := range pairs {
		assert.GreaterOrEqual(t, contrast(c.fg, c.bg), c.min, c.name)
	}
}

func TestNewMeasuresDigits(t *testing.T) {
	th := NewDark()
	assert.InDelta(t, 0.56, th.NumeralAdvance, 0.05)
	assert.InDelta(t, 0.74, th.NumeralHeight, 0.05)
}

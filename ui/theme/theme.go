package theme

import (
	"image/color"

	"gioui.org/font"
	"gioui.org/font/gofont"
	"gioui.org/text"
	"golang.org/x/image/math/fixed"
)

// Group is a parameter group. Tiles of one group share a colour, as on an
// anaesthesia monitor, so that the eye finds a value by colour before it
// reads the label.
type Group uint8

// The parameter groups.
const (
	Flow        Group = iota // pump flow, flow index, line pressure, reservoir
	Pressure                 // MAP, CVP, SVR
	Oxygen                   // DO2i, SvO2, VO2i, O2ER, NIRS
	CO2                      // VCO2i, DO2i/VCO2i, sweep
	Blood                    // Hct, Hb, ACT
	Temperature              // blood temperatures and gradients
	NumGroups
)

// Palette is the set of colours a screen is drawn with.
type Palette struct {
	Background   color.NRGBA // behind everything
	Header       color.NRGBA // header bar
	Tile         color.NRGBA // tile face
	Text         color.NRGBA // primary text: title, case time
	TextDim      color.NRGBA // secondary text: units, sources, the safety line
	NoValue      color.NRGBA // the "---" no-value mark
	Warning      color.NRGBA // badge for a value that is not OK (stale, out of range…)
	OnWarning    color.NRGBA // text on a Warning badge
	Alarm        color.NRGBA // badge for a stopped data feed
	OnAlarm      color.NRGBA // text on an Alarm badge
	Neutral      color.NRGBA // badge for the absence of data ("no data")
	OnNeutral    color.NRGBA // text on a Neutral badge
	HeaderAccent color.NRGBA // rule under the header
	// Groups colour the values and labels of each parameter group;
	// GroupsDim their units, GroupsAccent the tiles' accent bars.
	Groups, GroupsDim, GroupsAccent [NumGroups]color.NRGBA
}

// Named colours of the dark theatre palette. Every text colour keeps a
// contrast ratio of at least 4.5:1 (WCAG AAA for large text) against what it
// is drawn on, most of them 7:1; theme_test.go checks it.
var (
	NearBlack  = rgb(0x05070a)
	Slate900   = rgb(0x0d1117)
	Slate850   = rgb(0x111720)
	Slate700   = rgb(0x263140)
	Slate400   = rgb(0x8b96a5)
	Slate300   = rgb(0xaab4c0)
	White      = rgb(0xf4f7fa)
	Green      = rgb(0x3ee88a)
	Red        = rgb(0xff5a5f)
	Cyan       = rgb(0x3ad7f2)
	Periwinkle = rgb(0x9fa9ff)
	Yellow     = rgb(0xf6d84a)
	Pink       = rgb(0xf48fe0)
	Amber      = rgb(0xffb020)
	AlarmRed   = rgb(0xc8102e)
	Ink        = rgb(0x0b0d10)
)

// Dark is the theatre palette: near-black background, bright numerals
// coloured by parameter group.
var Dark = Palette{
	Background:   NearBlack,
	Header:       Slate900,
	Tile:         Slate850,
	Text:         White,
	TextDim:      Slate300,
	NoValue:      Slate400,
	Warning:      Amber,
	OnWarning:    Ink,
	Alarm:        AlarmRed,
	OnAlarm:      White,
	Neutral:      Slate700,
	OnNeutral:    White,
	HeaderAccent: Slate700,
	Groups: [NumGroups]color.NRGBA{
		Flow:        Green,
		Pressure:    Red,
		Oxygen:      Cyan,
		CO2:         Periwinkle,
		Blood:       Yellow,
		Temperature: Pink,
	},
}

func init() {
	for g := range Dark.Groups {
		Dark.GroupsDim[g] = mix(Dark.Groups[g], White, 0.35)
		Dark.GroupsAccent[g] = mix(Dark.Groups[g], Dark.Tile, 0.25)
	}
}

// Theme is a palette with the fonts and the text shaper to draw it with.
type Theme struct {
	Palette
	// Shaper shapes and caches text. Not safe for concurrent use.
	Shaper *text.Shaper
	// Label is for labels and the title, Small for units, sources and
	// badges, Numerals for values and clocks.
	Label, Small, Numerals font.Font
	// NumeralAdvance and NumeralHeight are the advance width and the ink
	// height of a digit of Numerals, in ems (Go Bold has tabular digits).
	// Screens size their numerals from them without shaping anything.
	NumeralAdvance, NumeralHeight float32
}

// New returns a theme drawing p with the Go fonts (gioui.org/font/gofont),
// which are embedded: the console looks the same on every machine and never
// depends on system fonts.
func New(p Palette) *Theme {
	th := &Theme{
		Palette:  p,
		Shaper:   text.NewShaper(text.NoSystemFonts(), text.WithCollection(gofont.Collection())),
		Label:    font.Font{Typeface: "Go", Weight: font.Bold},
		Small:    font.Font{Typeface: "Go"},
		Numerals: font.Font{Typeface: "Go", Weight: font.Bold},
	}
	th.NumeralAdvance, th.NumeralHeight = th.measureDigit()
	return th
}

// NewDark returns a theme with the Dark palette.
func NewDark() *Theme { return New(Dark) }

// measureDigit shapes "0" once at 256 px.
func (th *Theme) measureDigit() (advance, height float32) {
	const ppem = 256
	th.Shaper.LayoutString(text.Parameters{Font: th.Numerals, PxPerEm: fixed.I(ppem), MaxWidth: 1 << 20}, "0")
	g, ok := th.Shaper.NextGlyph()
	for _, more := th.Shaper.NextGlyph(); more; _, more = th.Shaper.NextGlyph() {
	}
	if !ok {
		return 0.56, 0.74 // Go Bold
	}
	return float32(g.Advance) / 64 / ppem, float32(-g.Bounds.Min.Y) / 64 / ppem
}

func rgb(c uint32) color.NRGBA {
	return color.NRGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 0xff}
}

// mix returns a + (b-a)*t per channel, opaque.
func mix(a, b color.NRGBA, t float32) color.NRGBA {
	f := func(x, y uint8) uint8 { return uint8(float32(x) + (float32(y)-float32(x))*t + 0.5) }
	return color.NRGBA{R: f(a.R, b.R), G: f(a.G, b.G), B: f(a.B, b.B), A: 0xff}
}

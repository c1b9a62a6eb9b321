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
	// Alarm priorities (IEC 60601-1-8): HIGH red, MEDIUM yellow, LOW cyan,
	// each with the colour of text drawn on it. Priority is never shown by
	// colour alone: the banner also writes it ("***", "**", "*" and the
	// word) and gives each priority its own marker shape.
	AlarmHigh, OnAlarmHigh     color.NRGBA
	AlarmMedium, OnAlarmMedium color.NRGBA
	AlarmLow, OnAlarmLow       color.NRGBA
	// Button faces and their text; Selected marks the chosen one.
	Button, OnButton, Selected, OnSelected color.NRGBA
	// Grid lines and axes of trends; Band shades a target band and Danger
	// the region beyond a threshold (both translucent).
	Grid, Band, Danger color.NRGBA
	// Replay marks a replayed case, everywhere it shows.
	Replay, OnReplay color.NRGBA
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
	AlarmHigh:    rgb(0xd0021b), OnAlarmHigh: White,
	AlarmMedium: rgb(0xffd400), OnAlarmMedium: Ink,
	AlarmLow: rgb(0x22c7e6), OnAlarmLow: Ink,
	Button: Slate700, OnButton: White, Selected: rgb(0xdfe6ee), OnSelected: Ink,
	Grid: rgb(0x2b3544), Band: color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x1a}, Danger: color.NRGBA{R: 0xff, G: 0x5a, B: 0x5f, A: 0x38},
	Replay: rgb(0x7d3ae6), OnReplay: White,
	Groups: [NumGroups]color.NRGBA{
		Flow:        Green,
		Pressure:    Red,
		Oxygen:      Cyan,
		CO2:         Periwinkle,
		Blood:       Yellow,
		Temperature: Pink,
	},
}

// Light is the palette for a bright room or a printed report: dark text on
// white tiles, the group colours darkened to keep 4.5:1 on white.
var Light = Palette{
	Background:   rgb(0xdfe4ea),
	Header:       rgb(0xffffff),
	Tile:         rgb(0xffffff),
	Text:         Ink,
	TextDim:      rgb(0x3c4653),
	NoValue:      rgb(0x5a6573),
	Warning:      rgb(0x9a4a00),
	OnWarning:    White,
	Alarm:        AlarmRed,
	OnAlarm:      White,
	Neutral:      rgb(0x4a5565),
	OnNeutral:    White,
	HeaderAccent: rgb(0xb8c2cc),
	AlarmHigh:    rgb(0xc8102e), OnAlarmHigh: White,
	AlarmMedium: rgb(0xffd400), OnAlarmMedium: Ink,
	AlarmLow: rgb(0x22c7e6), OnAlarmLow: Ink,
	Button: rgb(0xc9d1da), OnButton: Ink, Selected: rgb(0x1d2733), OnSelected: White,
	Grid: rgb(0xd0d6dd), Band: color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0x12}, Danger: color.NRGBA{R: 0xc0, G: 0x18, B: 0x2b, A: 0x40},
	Replay: rgb(0x6a1fd1), OnReplay: White,
	Groups: [NumGroups]color.NRGBA{
		Flow:        rgb(0x0a7a3a),
		Pressure:    rgb(0xc0182b),
		Oxygen:      rgb(0x00708a),
		CO2:         rgb(0x4a4fc4),
		Blood:       rgb(0x7a5f00),
		Temperature: rgb(0xa3288f),
	},
}

func init() {
	for g := range Dark.Groups {
		Dark.GroupsDim[g] = mix(Dark.Groups[g], White, 0.35)
		Dark.GroupsAccent[g] = mix(Dark.Groups[g], Dark.Tile, 0.25)
		Light.GroupsDim[g] = mix(Light.Groups[g], Ink, 0.3)
		Light.GroupsAccent[g] = Light.Groups[g]
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

// NewLight returns a theme with the Light palette.
func NewLight() *Theme { return New(Light) }

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

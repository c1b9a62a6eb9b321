package widget

import (
	"image"
	"image/color"
	"unicode/utf8"

	"gioui.org/f32"
	"gioui.org/font"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"golang.org/x/image/math/fixed"
)

// maxLine is the most glyphs a Line holds; longer text is cut.
const maxLine = 96

// Line is one line of shaped text, ready to measure and paint. It holds its
// glyphs in an array so that shaping a constant string (a label, a unit)
// allocates nothing once the shaper has cached it.
type Line struct {
	glyphs [maxLine]text.Glyph
	n      int
	// Width is the advance of the whole line, in pixels.
	Width int
	// Ascent and Descent are the font's line metrics, in pixels.
	Ascent, Descent int
}

// Shape shapes s on one line in font f at px pixels per em. When maxWidth > 0
// and s is wider, it is truncated with "…".
func (l *Line) Shape(sh *text.Shaper, f font.Font, px int, s string, maxWidth int) {
	p := text.Parameters{Font: f, PxPerEm: fixed.I(px), MaxWidth: 1 << 24, MaxLines: 1}
	if maxWidth > 0 {
		p.MaxWidth = maxWidth
	}
	sh.LayoutString(p, s)
	l.n, l.Width, l.Ascent, l.Descent = 0, 0, 0, 0
	var end fixed.Int26_6
	for g, ok := sh.NextGlyph(); ok; g, ok = sh.NextGlyph() {
		if l.n == 0 {
			l.Ascent, l.Descent = g.Ascent.Ceil(), g.Descent.Ceil()
		}
		if l.n < maxLine {
			l.glyphs[l.n] = g
			l.n++
			end = g.X + g.Advance
		}
	}
	if l.n > 0 {
		l.Width = (end - l.glyphs[0].X).Ceil()
	}
}

// Paint draws the line with its baseline's left end at (x, y).
func (l *Line) Paint(gtx layout.Context, sh *text.Shaper, x, y int, col color.NRGBA) {
	l.PaintScaled(gtx, sh, x, y, 1, col)
}

// PaintScaled is Paint, scaled by scale around (x, y).
func (l *Line) PaintScaled(gtx layout.Context, sh *text.Shaper, x, y int, scale float32, col color.NRGBA) {
	if l.n == 0 {
		return
	}
	first := l.glyphs[0]
	tr := f32.AffineId().Offset(f32.Pt(float32(first.X)/64, 0)).
		Scale(f32.Point{}, f32.Pt(scale, scale)).
		Offset(f32.Pt(float32(x), float32(y)))
	t := op.Affine(tr).Push(gtx.Ops)
	fill(gtx.Ops, sh.Shape(l.glyphs[:l.n]), col)
	t.Pop()
}

func fill(o *op.Ops, path clip.PathSpec, col color.NRGBA) {
	st := clip.Outline{Path: path}.Op().Push(o)
	paint.ColorOp{Color: col}.Add(o)
	paint.PaintOp{}.Add(o)
	st.Pop()
}

// Glyphs caches the printable ASCII glyphs (and a few more: extraRunes) of
// one font at one size, shaped
// one by one, so that text that changes every frame (values, ages, clocks) is
// drawn without shaping and without allocating. Characters are placed by
// their advances, without kerning: right for digits, which are tabular in the
// Go fonts, and for the few punctuation marks that go with them.
//
// The zero value is ready to use. A Glyphs belongs to one goroutine.
type Glyphs struct {
	font font.Font
	px   int
	tab  [asciiLen + len(extraRunes)]glyph
	// Ascent and Descent are the font's line metrics, in pixels.
	Ascent, Descent int
}

const (
	asciiFirst = ' '
	asciiLen   = '~' - ' ' + 1
	// ascii holds every printable ASCII character: slicing it yields
	// one-character strings without allocating.
	ascii = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
)

type glyph struct {
	shaped  bool
	ink     bool
	x       fixed.Int26_6 // the glyph's X within its one-character line
	advance fixed.Int26_6
	top     fixed.Int26_6 // the ink's top, relative to the baseline (negative is up)
	path    clip.PathSpec
}

// Size selects the font and size. Changing either empties the cache (the
// glyphs are shaped again as they are used), so callers keep them steady
// across frames: they change with the window size only.
func (g *Glyphs) Size(f font.Font, px int) {
	if g.font == f && g.px == px {
		return
	}
	*g = Glyphs{font: f, px: px}
}

// extraRunes are the non-ASCII characters Glyphs also caches: those of
// units and limits ("°C", "50–80", "mL/min/m²", "µg", "·").
var extraRunes = [...]rune{'°', '–', '²', 'µ', '·', '×'}

// extraText holds extraRunes as one string, to slice without allocating.
const extraText = "°–²µ·×"

func (g *Glyphs) get(sh *text.Shaper, c rune) *glyph {
	idx, str := -1, ""
	if c >= asciiFirst && c < asciiFirst+asciiLen {
		idx, str = int(c-asciiFirst), ascii[c-asciiFirst:c-asciiFirst+1]
	} else {
		off := 0
		for i, r := range extraRunes {
			n := utf8.RuneLen(r)
			if r == c {
				idx, str = asciiLen+i, extraText[off:off+n]
				break
			}
			off += n
		}
		if idx < 0 {
			idx, str = int('?'-asciiFirst), "?"
		}
	}
	e := &g.tab[idx]
	if e.shaped {
		return e
	}
	e.shaped = true
	sh.LayoutString(text.Parameters{
		Font: g.font, PxPerEm: fixed.I(g.px), MaxWidth: 1 << 24, DisableSpaceTrim: true,
	}, str)
	var line [4]text.Glyph
	n := 0
	for gl, ok := sh.NextGlyph(); ok; gl, ok = sh.NextGlyph() {
		if n < len(line) {
			line[n] = gl
			n++
		}
	}
	if n == 0 {
		return e
	}
	if g.Ascent == 0 {
		g.Ascent, g.Descent = line[0].Ascent.Ceil(), line[0].Descent.Ceil()
	}
	e.x = line[0].X
	e.advance = line[n-1].X + line[n-1].Advance - line[0].X
	e.top = line[0].Bounds.Min.Y
	e.ink = line[0].Bounds.Max.X > line[0].Bounds.Min.X
	if e.ink {
		e.path = sh.Shape(line[:n])
	}
	return e
}

// Width returns the advance of s in pixels.
func (g *Glyphs) Width(sh *text.Shaper, s []byte) int {
	var w fixed.Int26_6
	for _, c := range string(s) { // no allocation: the compiler ranges over s
		w += g.get(sh, c).advance
	}
	return w.Ceil()
}

// DigitHeight returns the ink height of a digit in pixels: what numerals are
// centred on, since the font's ascent leaves room for accents digits do not
// have.
func (g *Glyphs) DigitHeight(sh *text.Shaper) int { return (-g.get(sh, '0').top).Ceil() }

// Paint draws s with its baseline's left end at (x, y), scaled by scale
// around that point (1 for none: scaling is how a value too wide for its box
// still fits without shaping a new size).
func (g *Glyphs) Paint(gtx layout.Context, sh *text.Shaper, s []byte, x, y int, scale float32, col color.NRGBA) {
	origin := f32.Pt(float32(x), float32(y))
	tr := f32.AffineId().Scale(f32.Point{}, f32.Pt(scale, scale)).Offset(origin)
	outer := op.Affine(tr).Push(gtx.Ops)
	// One path per character, each cached: text that changes every frame
	// (values, ages) costs no shaping and no allocation. (Joining a text's
	// glyphs into one path saved no CPU time with Mesa's llvmpipe here, and
	// allocates a new path for every new value.)
	var pen fixed.Int26_6
	for _, c := range string(s) {
		e := g.get(sh, c)
		if e.ink {
			t := op.Affine(f32.AffineId().Offset(f32.Pt(float32(pen+e.x)/64, 0))).Push(gtx.Ops)
			fill(gtx.Ops, e.path, col)
			t.Pop()
		}
		pen += e.advance
	}
	outer.Pop()
}

// Rect fills r with col, rounding its corners by radius pixels.
func Rect(o *op.Ops, r image.Rectangle, radius int, col color.NRGBA) {
	st := clip.UniformRRect(r, radius).Push(o)
	paint.ColorOp{Color: col}.Add(o)
	paint.PaintOp{}.Add(o)
	st.Pop()
}

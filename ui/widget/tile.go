package widget

import (
	"image"
	"strconv"

	"gioui.org/layout"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
)

// TileState is the part of a numeric tile that lives across frames: its
// channel, the text it showed on the last frame (buffers reused from frame to
// frame) and its glyph caches. Create it once per tile with NewTileState and
// keep it; the zero value is a tile for no channel.
type TileState struct {
	Channel channel.ID
	Group   theme.Group

	status Status
	value  []byte // text of the value on the last frame
	age    []byte // text of the age on the last frame, or empty
	word   string // badge on the last frame, or ""

	numerals, small, note Glyphs
	line, unit            Line

	// The site's display of the channel (SetDisplay): its unit, the
	// factor from the stored value and the decimals; factor 0: the
	// channel's own.
	dispUnit  string
	dispScale float64
	dispPrec  int
}

// SetDisplay shows the channel's values × factor with prec decimals, in
// unit (a site that reads gases in kPa, Hb in g/L): the stored value and
// its checks are the channel's.
func (s *TileState) SetDisplay(unit string, factor float64, prec int) {
	s.dispUnit, s.dispScale, s.dispPrec = unit, factor, prec
}

// Unit returns the unit the tile shows.
func (s *TileState) Unit() string {
	if s.dispScale != 0 {
		return s.dispUnit
	}
	return channel.Get(s.Channel).Unit
}

// NewTileState returns the state of a tile showing channel id in the
// colours of group g.
func NewTileState(id channel.ID, g theme.Group) TileState {
	return TileState{Channel: id, Group: g, value: make([]byte, 0, 32), age: make([]byte, 0, 32)}
}

// Shown returns what the tile showed on its last Layout: the value text
// (channel.NoValue when the reading may not be shown as a number), the
// status badge ("" when OK) and the age text ("" when not shown). For tests
// and accessibility; it allocates.
func (s *TileState) Shown() (value, badge, age string) {
	return string(s.value), s.word, string(s.age)
}

// Status returns the status the tile assessed on its last Layout.
func (s *TileState) Status() Status { return s.status }

// Update assesses reading r at now and formats its text into the state's
// buffers, without drawing: Layout calls it; tests may call it alone.
func (s *TileState) Update(r monitor.Reading, now int64, feedStale bool) {
	c := channel.Get(s.Channel)
	s.status = Assess(c, r, now, feedStale)
	if s.dispScale != 0 && s.status.OK() && c.Classify(r.Value, r.Quality) == channel.OK {
		s.value = strconv.AppendFloat(s.value[:0], r.Value*s.dispScale, 'f', s.dispPrec, 64)
	} else {
		s.value = AppendValue(s.value[:0], c, r, s.status)
	}
	s.age = s.age[:0]
	if s.status.ShowAge && !s.status.NoData {
		s.age = AppendAge(s.age, s.status.Age)
	}
	s.word = s.status.Word()
}

// TileStyle is a tile for one frame: the state, the data to show and the
// theme to draw with. Build it with Tile, adjust the fields, call Layout.
type TileStyle struct {
	Theme   *theme.Theme
	State   *TileState
	Reading monitor.Reading
	// Source is the name of the reading's source ("" if unknown).
	Source string
	// Now is the current time on the snapshot's clock, Unix nanoseconds.
	Now int64
	// FeedStale marks every value Stale: the snapshot is too old to trust.
	FeedStale bool
	// Note is a line under the label: the alarm limits in force, a
	// target ("target 2.40 at 36.5 °C"); empty for none. It is drawn from
	// cached glyphs (ASCII and the few signs of units), so it may change
	// every frame without allocating.
	Note []byte
	// NoteAlert draws the note in the warning colour (a value below its
	// target).
	NoteAlert bool
	// ValuePx, LabelPx and SmallPx are text sizes in pixels; zero derives
	// them from the tile's size. A screen sets them so that tiles of a row
	// share their sizes.
	ValuePx, LabelPx, SmallPx int
}

// Tile returns the style of a tile showing reading r from source at now.
func Tile(th *theme.Theme, st *TileState, r monitor.Reading, source string, now int64) TileStyle {
	return TileStyle{Theme: th, State: st, Reading: r, Source: source, Now: now}
}

// ValueChars is how many characters a value is sized for: four ("4.40",
// "36.5", "1250"); a longer one is scaled down to fit.
const ValueChars = 4

// minLabelScale is the least a label is shrunk to fit beside its unit
// before it is cut.
const minLabelScale = 0.8

// Sizes returns text sizes for a tile of size sz (pixels): label and small
// text in proportion to the height, numerals as large as the box allows
// (see ValuePx).
func Sizes(th *theme.Theme, sz image.Point) (valuePx, labelPx, smallPx int) {
	labelPx, smallPx = textPx(sz.Y)
	return ValuePx(th, sz, labelPx, smallPx, ValueChars), labelPx, smallPx
}

func textPx(height int) (labelPx, smallPx int) {
	return max(8, height*13/100), max(8, height*9/100)
}

// ValuePx returns the largest numeral size, in pixels, at which chars
// digits fit a tile of size sz between its label line (labelPx) and its
// status line (smallPx).
func ValuePx(th *theme.Theme, sz image.Point, labelPx, smallPx, chars int) int {
	pad := labelPx * 6 / 10
	band := sz.Y - 2*pad - labelPx*13/10 - smallPx*17/10
	byHeight := float32(band) * 0.86 / th.NumeralHeight
	byWidth := float32(sz.X-3*pad-max(3, labelPx/4)) / (float32(chars) * th.NumeralAdvance)
	return max(8, int(min(byHeight, byWidth)))
}

// Layout draws the tile to fill gtx.Constraints.Max.
func (t TileStyle) Layout(gtx layout.Context) layout.Dimensions {
	th, st := t.Theme, t.State
	sh := th.Shaper
	sz := gtx.Constraints.Max
	st.Update(t.Reading, t.Now, t.FeedStale)
	c := channel.Get(st.Channel)

	labelPx, smallPx := textPx(sz.Y)
	labelPx, smallPx = or(t.LabelPx, labelPx), or(t.SmallPx, smallPx)
	valuePx := t.ValuePx
	if valuePx == 0 {
		valuePx = ValuePx(th, sz, labelPx, smallPx, ValueChars)
	}
	pad := labelPx * 6 / 10

	// Face and the group's accent bar: flat, square, no outline. Every
	// shape is a draw call, and with a software renderer (llvmpipe) each
	// costs about 0.1 ms a frame, rounded corners (paths) more.
	Rect(gtx.Ops, image.Rectangle{Max: sz}, 0, th.Tile)
	bar := max(3, labelPx/4)
	Rect(gtx.Ops, image.Rect(0, 0, bar, sz.Y), 0, th.GroupsAccent[st.Group])
	x0, x1 := pad+bar, sz.X-pad

	// Top line: label, unit at the right. The unit is never cut; a label
	// too long for what is left is shrunk a little, then cut.
	ln, un := &st.line, &st.unit
	ln.Shape(sh, th.Label, labelPx, c.Label, 0)
	un.Shape(sh, th.Small, labelPx*85/100, st.Unit(), x1-x0)
	top := pad + ln.Ascent
	labelBottom := top + ln.Descent
	un.Paint(gtx, sh, x1-un.Width, top, th.GroupsDim[st.Group])
	room := x1 - x0 - un.Width - labelPx/2
	scale := float32(1)
	if ln.Width > room {
		scale = max(minLabelScale, float32(room)/float32(ln.Width))
		if float32(ln.Width)*scale > float32(room) {
			ln.Shape(sh, th.Label, labelPx, c.Label, int(float32(room)/scale))
		}
	}
	ln.PaintScaled(gtx, sh, x0, top, scale, th.Groups[st.Group])
	if len(t.Note) > 0 {
		col := th.TextDim
		if t.NoteAlert {
			col = th.Warning
		}
		nt := &st.note
		nt.Size(th.Small, smallPx)
		w := nt.Width(sh, t.Note)
		scale := float32(1)
		if w > x1-x0 && w > 0 {
			scale = float32(x1-x0) / float32(w)
		}
		nt.Paint(gtx, sh, t.Note, x0, labelBottom+pad/3+nt.Ascent, scale, col)
		labelBottom += pad/3 + smallPx*13/10
	}

	// Bottom line: status badge and age at the right, source at the left.
	// The badge comes first: if both do not fit, the age is left out.
	st.small.Size(th.Small, smallPx)
	bpad := smallPx / 2
	badgeW := 0
	if st.word != "" {
		ln.Shape(sh, th.Label, smallPx, st.word, x1-x0-2*bpad)
		badgeW = ln.Width + 2*bpad
	}
	right := x1
	if ageW := st.small.Width(sh, st.age); ageW > 0 && ageW+smallPx/2+badgeW <= x1-x0 {
		col := th.TextDim
		if !st.status.OK() {
			col = th.Warning
		}
		st.small.Paint(gtx, sh, st.age, right-ageW, sz.Y-pad-st.small.Descent, 1, col)
		right -= ageW + smallPx/2
	}
	if st.word != "" {
		bg, fg := th.Warning, th.OnWarning
		if st.status.NoData {
			bg, fg = th.Neutral, th.OnNeutral
		}
		base := sz.Y - pad - ln.Descent
		r := image.Rect(right-badgeW, base-ln.Ascent-bpad/3, right, base+ln.Descent+bpad/3)
		Rect(gtx.Ops, r, bpad, bg)
		ln.Paint(gtx, sh, r.Min.X+bpad, base, fg)
		right = r.Min.X - smallPx/2
	}
	src := t.Source
	if src == "" && c.Derived() {
		src = "calculated"
	}
	if src != "" {
		// A source cut to a few letters says nothing: leave it out.
		ln.Shape(sh, th.Small, smallPx, src, 0)
		if ln.Width > right-x0 && right-x0 >= smallPx*6 {
			ln.Shape(sh, th.Small, smallPx, src, right-x0)
		}
		if ln.Width <= right-x0 {
			ln.Paint(gtx, sh, x0, sz.Y-pad-ln.Descent, th.TextDim)
		}
	}
	statusTop := sz.Y - pad - smallPx*13/10

	// The value, right-aligned, centred on the digits' height in the band
	// between the two lines, scaled down if it is too wide.
	num := &st.numerals
	num.Size(th.Numerals, valuePx)
	col := th.Groups[st.Group]
	if !st.status.OK() {
		col = th.NoValue
	}
	w := num.Width(sh, st.value)
	scale = 1
	if avail := x1 - x0; w > avail && w > 0 {
		scale = float32(avail) / float32(w)
	}
	dh := float32(num.DigitHeight(sh)) * scale
	mid := float32(labelBottom+statusTop) / 2
	baseline := int(mid + dh/2)
	num.Paint(gtx, sh, st.value, x1-int(float32(w)*scale), baseline, scale, col)
	return layout.Dimensions{Size: sz}
}

func or(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

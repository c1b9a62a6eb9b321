package view

import (
	"image"
	"testing"
	"time"

	"gioui.org/io/key"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrendLongWindows: the window buttons after 240 min select 6 h, 24 h
// and the whole run, in that order; SetWindow selects them too.
func TestTrendLongWindows(t *testing.T) {
	now := start.Add(time.Hour)
	h := newHarness(t, richState(now), now)
	h.key(key.NameF2)
	require.Equal(t, ScreenTrends, h.s.Screen())
	body := h.s.Rects().Body
	scale := min(float32(h.sz.X)/1280, float32(h.sz.Y)/800)
	px := func(v float32) int { return max(1, int(v*scale+0.5)) }
	for i, want := range []time.Duration{6 * time.Hour, 24 * time.Hour, 0} {
		h.click(image.Pt(body.Min.X+(4+i)*(px(110)+px(8))+px(55), body.Min.Y+px(20)))
		assert.Equal(t, want, h.s.Trends.Window(), "button %d", 4+i)
	}
	assert.True(t, h.s.Trends.SetWindow(6*time.Hour))
	assert.Equal(t, 6*time.Hour, h.s.Trends.Window())
	assert.False(t, h.s.Trends.SetWindow(5*time.Hour))
	assert.Equal(t, 6*time.Hour, h.s.Trends.Window())
}

package widget

import (
	"testing"

	"gioui.org/op"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/ui/theme"
)

func BenchmarkTile(b *testing.B) {
	th := theme.NewDark()
	var ops op.Ops
	st := NewTileState(channel.PumpFlow, theme.Flow)
	now := 1_000_000 * sec
	r := monitor.Reading{Value: 4.4, Time: now, Source: 1, Quality: channel.OK}
	warmTile(th, &ops, &st, r, now)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r.Value = float64(i%800) / 100
		layoutTile(th, &ops, &st, r, now+int64(i%60)*sec)
	}
}

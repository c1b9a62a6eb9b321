package view

import (
	"image"
	"time"

	"gioui.org/f32"
	"gioui.org/layout"

	"github.com/pumpside/pumpside/ui/theme"
	"github.com/pumpside/pumpside/ui/widget"
)

// Devices is the devices panel: every configured device with its state,
// the age of its last data, frames good and bad, and drops. A lost device
// (silent, disconnected, failed, stopped) fills its row in the HIGH alarm
// colour with a LOST mark, and the header names it on every screen.
type Devices struct {
	line widget.Line
	num  widget.Glyphs
	buf  []byte
}

// NewDevices returns the devices panel.
func NewDevices() *Devices { return &Devices{buf: make([]byte, 0, 64)} }

var deviceColumns = [...]struct {
	title string
	x     float32 // fraction of the width where the column starts
}{
	{"DEVICE", 0}, {"STATE", 0.25}, {"LAST DATA", 0.43}, {"FRAMES OK", 0.56}, {"BAD", 0.67}, {"DROPS", 0.75}, {"LAST ERROR", 0.83},
}

// DiskView is the case record's disk: what the run (every segment of a long
// run) takes and what is left (docs/ecmo.md).
type DiskView struct {
	// RunBytes is the size of the record; Segments how many files it is in.
	RunBytes int64
	Segments int
	// Free is the file system's free space in bytes, -1 when unknown; Low
	// is the disk_low condition.
	Free int64
	Low  bool
}

// appendBytes appends n as "12.3 GiB" (binary units, one decimal).
func appendBytes(dst []byte, n int64) []byte {
	const units = "KMGT"
	if n < 1024 {
		dst = appendInt(dst, n)
		return append(dst, " B"...)
	}
	v, i := n*10/1024, 0 // tenths
	for v >= 10240 && i < len(units)-1 {
		v /= 1024
		i++
	}
	dst = appendInt(dst, v/10)
	dst = append(dst, '.', byte('0'+v%10), ' ', units[i], 'i', 'B')
	return dst
}

// layoutDisk draws the record's disk line at baseline y.
func (d *Devices) layoutDisk(gtx layout.Context, th *theme.Theme, x, y int, disk *DiskView) {
	sh := th.Shaper
	d.buf = append(d.buf[:0], "RECORD  "...)
	d.buf = appendBytes(d.buf, disk.RunBytes)
	if disk.Segments > 1 {
		d.buf = append(d.buf, " in "...)
		d.buf = appendInt(d.buf, int64(disk.Segments))
		d.buf = append(d.buf, " segments"...)
	}
	d.buf = append(d.buf, "  |  disk free "...)
	if disk.Free < 0 {
		d.buf = append(d.buf, "unknown"...)
	} else {
		d.buf = appendBytes(d.buf, disk.Free)
	}
	c := th.TextDim
	if disk.Low {
		d.buf = append(d.buf, "  LOW"...)
		c = th.Warning
	}
	d.num.Paint(gtx, sh, d.buf, x, y, 1, c)
}

// Layout draws the panel in r.
func (d *Devices) Layout(gtx layout.Context, th *theme.Theme, r image.Rectangle, px func(float32) int, st *State, now time.Time) {
	sh := th.Shaper
	pad := px(12)
	rowH := px(56)
	textPx := px(20)
	col := func(i int) int { return r.Min.X + pad + int(deviceColumns[i].x*float32(r.Dx()-2*pad)) }
	y := r.Min.Y
	for i, c := range deviceColumns {
		d.line.Shape(sh, th.Small, px(15), c.title, 0)
		d.line.Paint(gtx, sh, col(i), y+px(24), th.TextDim)
	}
	y += px(36)
	d.num.Size(th.Label, textPx)
	if st.Disk != nil {
		d.layoutDisk(gtx, th, col(0), r.Max.Y-pad, st.Disk)
		r.Max.Y -= px(40)
	}
	if len(st.Devices) == 0 {
		d.line.Shape(sh, th.Label, textPx, "No devices configured", 0)
		d.line.Paint(gtx, sh, col(0), y+px(36), th.TextDim)
		return
	}
	d.num.Size(th.Label, textPx)
	nowNs := now.UnixNano()
	for i := range st.Devices {
		dev := &st.Devices[i]
		row := image.Rect(r.Min.X, y, r.Max.X, y+rowH)
		bg, fg, dim := th.Tile, th.Text, th.TextDim
		lost := dev.State.Lost()
		if lost {
			bg, fg, dim = th.AlarmHigh, th.OnAlarmHigh, th.OnAlarmHigh
		}
		widget.Rect(gtx.Ops, row, 0, bg)
		base := y + rowH/2 + textPx*36/100
		x0 := col(0)
		if lost {
			mr := float32(rowH) * 0.22
			priorityMarker(gtx.Ops, High, f32.Pt(float32(r.Min.X+pad)+mr, float32(y+rowH/2)), mr, fg)
			x0 += int(2*mr) + px(8)
		}
		d.line.Shape(sh, th.Label, textPx, dev.Name, col(1)-x0-pad)
		d.line.Paint(gtx, sh, x0, base, fg)
		state := dev.State.String()
		if lost {
			state = "LOST · " + state // allocates only while a device is lost
		}
		d.line.Shape(sh, th.Label, textPx, state, col(2)-col(1)-pad)
		d.line.Paint(gtx, sh, col(1), base, fg)
		d.buf = d.buf[:0]
		if dev.LastData == 0 {
			d.buf = append(d.buf, "never"...)
		} else {
			d.buf = widget.AppendAge(d.buf, time.Duration(nowNs-dev.LastData))
		}
		d.num.Paint(gtx, sh, d.buf, col(2), base, 1, fg)
		for k, v := range [...]uint64{dev.FramesOK, dev.FramesBad, dev.Drops} {
			d.buf = appendInt(d.buf[:0], int64(v))
			c := fg
			if k > 0 && v > 0 && !lost {
				c = th.Warning
			}
			d.num.Paint(gtx, sh, d.buf, col(3+k), base, 1, c)
		}
		if dev.LastError != "" {
			d.line.Shape(sh, th.Small, px(16), dev.LastError, r.Max.X-pad-col(6))
			d.line.Paint(gtx, sh, col(6), base, dim)
		}
		y += rowH + px(6)
		if y+rowH > r.Max.Y {
			break
		}
	}
}

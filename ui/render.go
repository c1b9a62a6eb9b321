package ui

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"gioui.org/gpu/headless"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/pumpside/pumpside/monitor"
)

var eglOnce sync.Once

// setEGLPlatform selects Mesa's surfaceless EGL platform unless the
// environment already chose one: headless rendering then needs no display
// (no X server, no Wayland), which is what CI and "pumpside screenshot" have.
// Without it, eglInitialize fails with 0x3001 on a machine with no display.
//
// It must run before the first headless.NewWindow, and it changes the
// process's environment: a process that also opens a real window should set
// EGL_PLATFORM itself (or not call Render).
func setEGLPlatform() {
	eglOnce.Do(func() {
		if _, ok := os.LookupEnv("EGL_PLATFORM"); !ok {
			_ = os.Setenv("EGL_PLATFORM", "surfaceless")
		}
	})
}

// MaxRenderSize is the largest width or height Render accepts (8K).
const MaxRenderSize = 8192

// ParseSize parses a size written "1920x1080", as the screenshot command's
// --size flag takes it.
func ParseSize(s string) (image.Point, error) {
	w, h, ok := strings.Cut(s, "x")
	x, errX := strconv.Atoi(w)
	y, errY := strconv.Atoi(h)
	if !ok || errX != nil || errY != nil || x <= 0 || y <= 0 || x > MaxRenderSize || y > MaxRenderSize {
		return image.Point{}, fmt.Errorf("ui: bad size %q: want WIDTHxHEIGHT, e.g. 1920x1080, each 1–%d", s, MaxRenderSize)
	}
	return image.Pt(x, y), nil
}

// Renderer draws a console off-screen with gioui.org/gpu/headless. Keep one
// to render many frames of one size: creating it costs far more than a
// frame. A Renderer belongs to one goroutine.
//
// Gio tries OpenGL ES through EGL first and Vulkan only if EGL fails; build
// with -tags novulkan to rule Vulkan out (its output differs from GL's by a
// few pixels, which the golden tests tolerate).
type Renderer struct {
	win  *headless.Window
	size image.Point
	ops  op.Ops
	img  *image.RGBA
}

// NewRenderer returns a renderer of size pixels. It sets EGL_PLATFORM to
// "surfaceless" if it is unset (see Render).
func NewRenderer(size image.Point) (*Renderer, error) {
	if size.X <= 0 || size.Y <= 0 || size.X > MaxRenderSize || size.Y > MaxRenderSize {
		return nil, fmt.Errorf("ui: render size %dx%d outside 1–%d", size.X, size.Y, MaxRenderSize)
	}
	setEGLPlatform()
	win, err := headless.NewWindow(size.X, size.Y)
	if err != nil {
		return nil, fmt.Errorf("ui: headless rendering: %w", err)
	}
	return &Renderer{win: win, size: size, img: image.NewRGBA(image.Rectangle{Max: size})}, nil
}

// Render draws snap as of now (see Console.Layout) and reads the frame
// back. The image is the renderer's own: it is valid until the next call.
func (r *Renderer) Render(c *Console, snap *monitor.Snapshot, now time.Time) (*image.RGBA, error) {
	r.ops.Reset()
	gtx := layout.Context{
		Ops:         &r.ops,
		Now:         now,
		Metric:      unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(r.size),
	}
	c.Layout(gtx, snap, now)
	if err := r.win.Frame(&r.ops); err != nil {
		return nil, fmt.Errorf("ui: headless frame: %w", err)
	}
	if err := r.win.Screenshot(r.img); err != nil {
		return nil, fmt.Errorf("ui: headless read-back: %w", err)
	}
	return r.img, nil
}

// Close releases the renderer's GPU resources.
func (r *Renderer) Close() {
	if r.win != nil {
		r.win.Release()
		r.win = nil
	}
}

// Render draws one frame of c showing snap as of now at size pixels,
// off-screen, and returns it. It needs no display: when EGL_PLATFORM is
// unset it sets it to "surfaceless" (Mesa's EGL without a window system)
// before creating the headless context. On a machine where no GPU backend
// starts (no Mesa EGL/GLES libraries, no Vulkan), it returns the error.
func Render(c *Console, snap *monitor.Snapshot, now time.Time, size image.Point) (*image.RGBA, error) {
	r, err := NewRenderer(size)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Render(c, snap, now)
}

// WritePNG writes img to path as a PNG file.
func WritePNG(path string, img image.Image) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriter(f)
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, img); err != nil {
		return fmt.Errorf("ui: encode %s: %w", path, err)
	}
	return w.Flush()
}

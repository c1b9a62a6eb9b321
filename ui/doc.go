// Package ui is Pumpside's console: the Gio window loop (Run), the headless
// renderer for screenshots and golden-image tests (Render, Renderer) and the
// Console that holds the theme and the screens across frames.
//
//	ui/theme   colours and fonts (the dark theatre theme)
//	ui/widget  widgets: state that lives across frames, plus a style per frame
//	ui/view    screens built from widgets (the monitor screen)
//	ui         Console, Run, Throttle, Render
//
// Data reaches the screen one way: the pipeline publishes immutable
// monitor.Snapshot values and calls Window.Invalidate (through Throttle), the
// one Gio call that is safe from other goroutines; on the next frame the
// window goroutine takes the latest snapshot and lays it out. Layout takes the
// snapshot and "now" as arguments: it never locks, never reads the clock and,
// in steady state, does not allocate (BenchmarkLayout).
//
// A Console, like the Theme it holds, belongs to one goroutine at a time: the
// window goroutine inside Run, or the caller of Render.
//
// Headless rendering needs Mesa's EGL and GLES and no display: Render sets
// EGL_PLATFORM=surfaceless when the variable is unset. The golden-image tests
// skip when it cannot start, except under CI=true, where they fail; run
// "go test ./ui -update" to rewrite the images in testdata after a deliberate
// change to the screen (a channel's label or precision changes them too).
//
// Pumpside is a secondary display: the heart-lung machine's own alarms stay
// primary, and the screen says so permanently.
package ui

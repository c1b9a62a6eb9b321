// Package ui is Pumpside's console: the Gio window loop (Run), the headless
// renderer for screenshots and golden-image tests (Render, Renderer) and the
// Console that holds the theme and the screens across frames.
//
//	ui/theme   colours and fonts (the dark theatre theme and a light one)
//	ui/widget  widgets: state that lives across frames, plus a style per frame
//	ui/view    screens built from widgets, the State the integrator fills
//	           and the Actions the console sends out
//	ui         Console, Run, Throttle, Render; aliases of the view types
//
// Besides the snapshot, the console shows a State (alarms, alarm log,
// limits, devices, case events, replay, set-up) that the integrator
// publishes and Options.State returns once per frame; the operator's actions
// (acknowledge, pause audio, events, replay controls, set-up) come out
// through Options.OnAction. docs/ui.md says how to fill each field from the
// alarm engine and the device supervisor.
//
// Data reaches the screen one way: the pipeline publishes immutable
// monitor.Snapshot values and calls Window.Invalidate (through Throttle), the
// one Gio call that is safe from other goroutines; on the next frame the
// window goroutine takes the latest snapshot and State and lays them out.
// The window redraws when invalidated, at least once a second (ages move),
// and at the flash rate only while an alarm flashes; it never calls
// Window.Option per frame. Layout takes the
// snapshot and "now" as arguments: it never locks, never reads the clock and,
// in steady state, does not allocate on the monitor screen (BenchmarkLayout,
// TestFrameAllocs; a flashing alarm costs one small allocation a frame, the
// boxed redraw request).
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

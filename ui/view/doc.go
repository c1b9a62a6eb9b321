// Package view holds the console's screens, built from the widgets of
// ui/widget. A screen's state lives across frames; its Layout takes the
// snapshot to show and the time "now" as arguments, so the same screen draws
// live data, a replayed case or a golden-image test.
//
// A screen belongs to one goroutine (the window's) at a time.
package view

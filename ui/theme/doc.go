// Package theme holds the console's colours and fonts.
//
// A Theme owns a text shaper, which caches shaped text and is not safe for
// concurrent use: a Theme belongs to one window (one goroutine) at a time.
// The palettes are plain values and may be shared freely.
package theme

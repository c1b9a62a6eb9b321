// Package widget holds the console's widgets in the Gio idiom: state that
// lives across frames (TileState, kept by the screen) and a style built per
// frame from the theme (Tile(th, &state, …)) whose Layout draws it.
//
// Layout does not lock, does not read the clock and, once the texts of a
// size have been shaped, does not allocate: values are formatted into
// buffers the state keeps, and changing text is drawn from cached glyphs
// (Glyphs) rather than shaped anew.
//
// The one rule the tiles exist to keep: a reading that is not OK (no sample,
// quality not OK, out of the channel's range, or older than its freshness
// limit at "now") is shown as channel.NoValue, never as a number.
//
// Widgets belong to one goroutine (the window's) at a time.
package widget

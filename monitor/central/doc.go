// Package central is the department view's model: every running theatre
// on one page, read from the InfluxDB the consoles' shippers feed
// (docs/central.md). It imports no GUI and serves nothing: package
// central/web puts it on a page.
//
// A Store reads with Flux through an influxdb-client-go QueryAPI, the same
// queries on InfluxDB 1.8 (with flux-enabled, through its /api/v2/query
// compatibility endpoint) and 2.x. A page refresh is one query over a short
// recent window (Options.Recent, 2 min): the newest point of each tile
// field and of each live-state field (measurement live,
// docs/format/case.md). Which theatres exist is read from the live lines of
// a longer lookback (Options.Lookback, 12 h) once, at the first page, then
// every LookbackEvery (30 s) only since the read before, less LateLines
// (10 min), and only the phase field, so that a theatre that stopped
// sending stays on the page, marked "no data", without any refresh
// scanning hours.
//
// Safety: a value is a number on the page only when its newest sample was
// ok (no quality field at its time), inside the channel's plausible range,
// no older than the channel's freshness plus the transport allowance, and
// not from the future beyond the allowance (a console clock ahead would
// otherwise keep a dead value "fresh"). Each value carries its time and
// its maximum age so that the browser blanks it on its own when no new
// page arrives. No query reads the case measurement (where identifiers
// would be); event texts of free-text kinds (notes) are left out.
//
// Page, Trends and CaseOf are safe for concurrent use.
package central

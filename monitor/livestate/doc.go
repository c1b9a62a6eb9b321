// Package livestate publishes a console's live state, the phase of the case
// and the alarms on its screen, into the case record (measurement live,
// docs/format/case.md), so that the shipper takes it to InfluxDB with the
// samples and the department view (pumpside central) needs nothing else.
//
// A Publisher builds the state from two functions the console gives it
// (the phase at a moment, usually FromTimeline of the case timeline, and
// the alarm runner's status) and queues a line on the record every
// Heartbeat (5 s) and whenever the state changes (phase, clamp, an alarm
// raised, acknowledged, latched or cleared), never two within MinGap
// (500 ms). Its goroutine is the one that calls Run; Poke, from any
// goroutine, never blocks. It writes nothing to disk itself: the record's
// writer does.
//
// The phase is an open vocabulary: a console that knows more phases gives
// them with their name and text, and a department view that does not know
// a phase shows its text. The theatre's name comes from the site's
// configuration (the site file's theatre key, or PUMPSIDE_THEATRE, which
// overrides it: Theatre), never from a patient.
package livestate

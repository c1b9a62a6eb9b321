// Package record keeps the case record: a durable, append-only case file in
// InfluxDB line protocol (docs/format/case.md), a reader for it, and the
// shipper that feeds InfluxDB from it.
//
// # Writer
//
// Open starts a Writer that owns the file and all of its disk I/O on one
// goroutine of its own. Callers hand it samples (Sample, Samples, Tee),
// derived values (Snapshot, from the pipeline's OnPublish), events,
// bookmarks, metadata and the alarm log (LogAlarm: a Writer is an
// alarms.Logger). None of these blocks or touches the disk: samples go
// through a bounded queue and a full queue drops the sample and counts it
// (Status.Dropped); the count is written into the file itself as a
// recording_gap event, so a loss is never silent. Sample allocates
// nothing.
//
// The goroutine encodes lines into a buffer, writes it when it is large or
// at every SyncInterval (500 ms), and fsyncs then: the group commit. A kill
// -9 or power loss therefore loses at most the last second. When a write or
// fsync fails (disk full, I/O error) the writer keeps the unwritten lines
// in memory up to Options.Backlog bytes, reports the error (Status.Err,
// Failed: the recording_failed technical alarm), retries every
// RetryInterval and clears the error when a write works again; beyond the
// backlog it drops and counts. It never panics on an I/O error.
//
// Open appends to an existing file. A last line without its newline (a
// write torn by a crash) and any zero bytes after it are cut off and
// reported (Status.Repaired). Files are created with mode 0600; an existing
// file is set to 0600.
//
// Every raw sample: wrap each producer in a Tee (the devices' Sink), which
// records what the driver produced even when the pipeline's ring drops it.
// Should the pipeline get an ingest tap (a Config hook called with each
// batch drained from a ring), Writer.Samples has its signature. Derived
// values: Writer.OnPublish wraps the pipeline's OnPublish hook.
//
// # Reader
//
// Reader parses a case file line by line. A bad line is reported with its
// line number (OnBadLine) and skipped; reading goes on. It is not safe for
// concurrent use.
//
// # Shipper
//
// A Shipper reads the case file from a persisted cursor (the byte offset
// in CASE.cursor, replaced atomically) and writes batches of whole lines
// with the blocking write API of influxdb-client-go on the goroutine that
// calls Run, never the pipeline's. The cursor advances only after the
// server accepted a batch, so an outage loses nothing and, since every
// point carries Pumpside's own timestamp, a batch sent twice is the same
// points again, never duplicates. Failures are retried forever with
// exponential back-off; a 4xx other than 429 (400, 413, and 401, 403, 404:
// a wrong token or a missing database) sets the batch aside in
// CASE.quarantine and counts it (ShipStatus.Quarantined) instead: the
// quarantine file is line protocol, to write to the server once the cause
// is fixed. 429 is waited out like an outage. Patient identifier fields
// (ident_*) never leave the machine. Status is safe from
// any goroutine.
package record

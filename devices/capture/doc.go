// Package capture reads and writes Pumpside capture files: the raw bytes a
// device sent, each chunk stamped with the time it was received. The format
// is specified in docs/format/capture.md.
//
// A Writer appends records and never rewrites what it wrote, so a capture cut
// short by a crash or a pulled cable loses at most its last record; the
// Reader reports such a tail as ErrTruncated, after every intact record.
//
// Readers and Writers are not safe for concurrent use.
package capture

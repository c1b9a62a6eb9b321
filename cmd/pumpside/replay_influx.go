package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/pumpside/pumpside/devices/replay"
	"github.com/pumpside/pumpside/monitor/record"
)

// parseRange parses --range FROM,TO (RFC 3339). Empty: all time.
func parseRange(s string) (from, to time.Time, err error) {
	from, to = time.Unix(1, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	if s == "" {
		return from, to, nil
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return from, to, errors.New("want FROM,TO in RFC 3339")
	}
	if from, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(a)); err != nil {
		return from, to, err
	}
	if to, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(b)); err != nil {
		return from, to, err
	}
	if !to.After(from) {
		return from, to, errors.New("TO is not after FROM")
	}
	return from, to, nil
}

// fluxString quotes s as a Flux string literal.
func fluxString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// caseTags are the tags of the case file format (docs/format/case.md):
// every other column of a pivoted row is a field.
var caseTags = []string{record.TagCase, record.TagSource, record.TagKind, "alarm"}

// influxCaseQuery is the Flux query of one case: one row per series and
// time with every field of that point, as the case file has it.
func influxCaseQuery(bucket, caseID string, from, to time.Time) string {
	return fmt.Sprintf(`from(bucket: %s)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r.case == %s)
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fluxString(bucket), from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano), fluxString(caseID))
}

// loadFromInflux reads case caseID between from and to from InfluxDB
// (Flux), turns the rows back into case file lines and loads them as
// replay.Load does a file.
func loadFromInflux(ctx context.Context, cfg record.Config, caseID string, from, to time.Time) (*replay.Case, error) {
	client, err := cfg.NewClient(300 * time.Second)
	if err != nil {
		return nil, fmt.Errorf("InfluxDB: %w", err)
	}
	defer client.Close()
	bucket := cfg.Bucket
	res, err := client.QueryAPI(cfg.Org).Query(ctx, influxCaseQuery(bucket, caseID, from, to))
	if err != nil {
		return nil, fmt.Errorf("InfluxDB query (%s): %w", cfg, err)
	}
	defer res.Close()
	var lp bytes.Buffer
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Nanosecond)
	var keys []string
	for res.Next() {
		rec := res.Record()
		vals := rec.Values()
		keys = keys[:0]
		for k, v := range vals {
			if v == nil || strings.HasPrefix(k, "_") || k == "result" || k == "table" || slices.Contains(caseTags, k) {
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			continue
		}
		slices.Sort(keys)
		enc.StartLine(rec.Measurement())
		for _, tag := range []string{"alarm", record.TagCase, record.TagKind, record.TagSource} { // sorted
			if s, ok := vals[tag].(string); ok && s != "" {
				enc.AddTag(tag, s)
			}
		}
		for _, k := range keys {
			v, ok := lineprotocol.NewValue(vals[k])
			if !ok {
				return nil, fmt.Errorf("InfluxDB: field %s of %s: unsupported value %T", k, rec.Measurement(), vals[k])
			}
			enc.AddField(k, v)
		}
		enc.EndLine(rec.Time())
		if err := enc.Err(); err != nil {
			return nil, fmt.Errorf("InfluxDB: row of %s at %v: %w", rec.Measurement(), rec.Time(), err)
		}
		lp.Write(enc.Bytes())
		enc.Reset()
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("InfluxDB query (%s): %w", cfg, err)
	}
	c, err := replay.Load(&lp, nil)
	if err != nil {
		return nil, fmt.Errorf("case %s from InfluxDB: %w", caseID, err)
	}
	return c, nil
}

// influxBookmarks keeps the bookmarks of a case replayed from InfluxDB in
// InfluxDB, as measurement bookmark with the case's tag, the lines a case
// file holds: a later replay of the case, from InfluxDB, lists them. The
// writes run on a goroutine of their own, so that a slow server never
// holds the replay back; a failure is reported on stderr.
type influxBookmarks struct {
	cfg    record.Config
	caseID string
	stderr io.Writer
	once   sync.Once
	queue  chan []byte
	done   chan struct{}
}

func (b *influxBookmarks) add(bm replay.Bookmark) error {
	line, err := record.BookmarkLine(b.caseID, bm)
	if err != nil {
		return err
	}
	b.once.Do(func() {
		b.queue, b.done = make(chan []byte, 64), make(chan struct{})
		go b.run()
	})
	select {
	case b.queue <- line:
		return nil
	default:
		return fmt.Errorf("bookmark to InfluxDB: 64 bookmarks are waiting for the server")
	}
}

func (b *influxBookmarks) run() {
	defer close(b.done)
	client, err := b.cfg.NewClient(10 * time.Second)
	if err != nil {
		fmt.Fprintf(b.stderr, "pumpside replay: bookmarks to InfluxDB: %v\n", err)
		for range b.queue {
		}
		return
	}
	defer client.Close()
	wapi := client.WriteAPIBlocking(b.cfg.Org, b.cfg.Bucket)
	for line := range b.queue {
		// The client's timeout bounds the request; the context bounds a
		// server that accepts the connection and never answers.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := wapi.WriteRecord(ctx, string(bytes.TrimRight(line, "\n"))); err != nil {
			fmt.Fprintf(b.stderr, "pumpside replay: bookmark not kept in InfluxDB (%s): %v\n", b.cfg, err)
		}
		cancel()
	}
}

// close waits for the bookmarks queued to be written (or refused).
func (b *influxBookmarks) close() {
	if b.queue != nil {
		close(b.queue)
		<-b.done
	}
}

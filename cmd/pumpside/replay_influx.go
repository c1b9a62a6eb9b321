package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
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
	o := influxdb2.DefaultOptions().SetPrecision(time.Nanosecond).SetHTTPRequestTimeout(300)
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("InfluxDB: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("InfluxDB: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		o.SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, o)
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

package record

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// The environment variables of the shipper's configuration. The token is
// read from PUMPSIDE_INFLUX_TOKEN or from the file PUMPSIDE_INFLUX_TOKEN_FILE
// names; it is never a flag and never logged.
const (
	EnvURL       = "PUMPSIDE_INFLUX_URL"
	EnvOrg       = "PUMPSIDE_INFLUX_ORG"
	EnvBucket    = "PUMPSIDE_INFLUX_BUCKET"
	EnvToken     = "PUMPSIDE_INFLUX_TOKEN"
	EnvTokenFile = "PUMPSIDE_INFLUX_TOKEN_FILE"
	EnvCAFile    = "PUMPSIDE_INFLUX_CA_FILE"
)

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("record: shipper configuration")

// Config is where the shipper sends a case. For InfluxDB 1.8 the bucket
// is "database/retention-policy" (e.g. "pumpside/autogen"), the org is
// ignored, and the token is "user:password" or empty.
type Config struct {
	URL, Org, Bucket string
	Token            string
	// CAFile is a PEM file of the CA certificates to trust for https; empty:
	// the system's.
	CAFile string
}

// NewClient returns an InfluxDB client for c: nanosecond precision, each
// HTTP request bounded by timeout, and the CA file's certificates trusted
// when one is named. The caller closes it.
func (c Config) NewClient(timeout time.Duration) (influxdb2.Client, error) {
	o := influxdb2.DefaultOptions().SetPrecision(time.Nanosecond).SetHTTPRequestTimeout(uint(max(1, timeout/time.Second)))
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: CA file: %w", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrConfig, c.CAFile)
		}
		o.SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
	return influxdb2.NewClientWithOptions(c.URL, c.Token, o), nil
}

// String describes the configuration with the token redacted: safe to log.
func (c Config) String() string {
	tok := "none"
	if c.Token != "" {
		tok = "set"
	}
	return fmt.Sprintf("url=%s org=%q bucket=%q token=%s ca=%q", c.URL, c.Org, c.Bucket, tok, c.CAFile)
}

// ConfigFromEnv reads the configuration from environment variables through
// getenv (os.Getenv), and the token file, if one is named, through
// readFile (os.ReadFile). It reports ok=false when no URL is configured
// (recording only, no shipping).
func ConfigFromEnv(getenv func(string) string, readFile func(string) ([]byte, error)) (cfg Config, ok bool, err error) {
	cfg = Config{URL: getenv(EnvURL), Org: getenv(EnvOrg), Bucket: getenv(EnvBucket), Token: getenv(EnvToken), CAFile: getenv(EnvCAFile)}
	if cfg.URL == "" {
		return cfg, false, nil
	}
	if f := getenv(EnvTokenFile); f != "" {
		if cfg.Token != "" {
			return cfg, false, fmt.Errorf("%w: both %s and %s are set", ErrConfig, EnvToken, EnvTokenFile)
		}
		b, err := readFile(f)
		if err != nil {
			return cfg, false, fmt.Errorf("%w: token file: %w", ErrConfig, err)
		}
		cfg.Token = strings.TrimSpace(string(b))
	}
	if cfg.Bucket == "" {
		return cfg, false, fmt.Errorf("%w: %s is not set", ErrConfig, EnvBucket)
	}
	if err := checkURL(cfg.URL); err != nil {
		return cfg, false, fmt.Errorf("%w: %s: %w", ErrConfig, EnvURL, err)
	}
	return cfg, true, nil
}

// checkURL accepts an InfluxDB base URL: http or https, a host, a port
// that is a number from 1 to 65535 when one is written ("http://host:" is
// refused, not taken as port 80), no query or fragment.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with http:// or https://", s)
	case u.Hostname() == "":
		return fmt.Errorf("%q names no host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("%q: a base URL has no query, fragment or user (the token goes in %s)", s, EnvToken)
	}
	if strings.HasSuffix(u.Host, ":") {
		return fmt.Errorf("%q has a colon but no port", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %q is not 1 to 65535", s, p)
		}
	}
	return nil
}

// ShipperOptions configure a Shipper.
type ShipperOptions struct {
	Config
	// BatchBytes bounds a batch; default 1 MiB.
	BatchBytes int
	// MinBackoff and MaxBackoff bound the wait between retries, which
	// doubles from the one to the other; defaults 1 s and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often the shipper looks for new lines once it has
	// caught up; default 1 s.
	Poll time.Duration
	// Timeout is the HTTP request timeout; default 30 s.
	Timeout time.Duration
}

// ShipStatus is the shipper's state for the GUI and its technical
// conditions.
type ShipStatus struct {
	// Cursor is the offset up to which the server has accepted the file
	// (persisted in the cursor file); Size the file's size when last seen.
	Cursor, Size int64
	// Lines and Batches count what the server accepted in this run;
	// Attempts every write request sent; Failures the requests that failed
	// and were retried.
	Lines, Batches, Attempts, Failures uint64
	// Quarantined counts batches the server refused (4xx other than 429),
	// set aside in the quarantine file: a technical condition for the
	// operator, sticky for the run.
	Quarantined uint64
	// Retrying is true while the current batch is being retried (server
	// unreachable or failing); LastErr is the last error.
	Retrying bool
	LastErr  error
	// Segment is the segment being shipped (the case file itself when it
	// is not a long run); Cursor and Size are its.
	Segment string
}

// Shipper feeds InfluxDB from a case file: see the package documentation.
type Shipper struct {
	path   string
	opt    ShipperOptions
	client influxdb2.Client
	wapi   api.WriteAPIBlocking

	mu sync.Mutex
	st ShipStatus
}

// CursorPath and QuarantinePath are the shipper's side files of a case
// file.
func CursorPath(casePath string) string     { return casePath + ".cursor" }
func QuarantinePath(casePath string) string { return casePath + ".quarantine" }

// NewShipper prepares a shipper for the case file at path. Run does the
// work; Close releases the client.
func NewShipper(path string, opt ShipperOptions) (*Shipper, error) {
	if opt.URL == "" || opt.Bucket == "" {
		return nil, fmt.Errorf("%w: URL and bucket are required", ErrConfig)
	}
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 1 << 20
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(opt.MinBackoff, 30*time.Second)
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	client, err := opt.Config.NewClient(opt.Timeout)
	if err != nil {
		return nil, err
	}
	return &Shipper{path: path, opt: opt, client: client, wapi: client.WriteAPIBlocking(opt.Org, opt.Bucket)}, nil
}

// Close releases the HTTP client.
func (s *Shipper) Close() { s.client.Close() }

// Status returns the shipper's state. Any goroutine.
func (s *Shipper) Status() ShipStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *Shipper) update(f func(*ShipStatus)) {
	s.mu.Lock()
	f(&s.st)
	s.mu.Unlock()
}

// ReadCursor returns the persisted cursor of a case file: 0 when there is
// none yet.
func ReadCursor(casePath string) (int64, error) {
	b, err := os.ReadFile(CursorPath(casePath))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("record: cursor: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: cursor file %s: %q", ErrFormat, CursorPath(casePath), b)
	}
	return n, nil
}

// writeCursor replaces the cursor file atomically and durably.
func writeCursor(casePath string, off int64) error {
	p := CursorPath(casePath)
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("record: cursor: %w", err)
	}
	_, err = f.WriteString(strconv.FormatInt(off, 10) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		return fmt.Errorf("record: cursor: %w", err)
	}
	return nil
}

// ErrBusy is returned by Run and Drain when another shipper (another
// process) is shipping the same case file: its cursor is that shipper's.
var ErrBusy = errors.New("record: another shipper is shipping this case file")

// Run ships the file from its cursor, follows it as it grows, and returns
// nil when ctx is done. It returns an error only when it cannot go on at
// all: the case file or cursor cannot be read, the cursor is past the end
// of the file (a different file), or another shipper holds it (ErrBusy).
func (s *Shipper) Run(ctx context.Context) error { return s.ship(ctx, true) }

// Drain ships what the file holds from its cursor to its end and returns
// nil once the server has taken every line (or set aside what it refused,
// in the quarantine file). When ctx ends first it returns ctx's error: the
// cursor says how far it got, and the rest waits for the next Run or Drain.
// A console drains its case when it closes, so that the case's end reaches
// the server; `pumpside ship` drains the cases a console could not.
func (s *Shipper) Drain(ctx context.Context) error { return s.ship(ctx, false) }

// Behind returns the cursor of a case file and the file's size: the bytes
// between them are not on the server yet.
// For a long run (casePath its first segment), they are summed over its
// segments: the run is shipped when cursor reaches size.
func Behind(casePath string) (cursor, size int64, err error) {
	for _, p := range Segments(casePath) {
		c, n, err := behindOne(p)
		if err != nil {
			return 0, 0, err
		}
		cursor, size = cursor+min(c, n), size+n
	}
	return cursor, size, nil
}

func behindOne(casePath string) (cursor, size int64, err error) {
	cursor, err = ReadCursor(casePath)
	if err != nil {
		return 0, 0, err
	}
	fi, err := os.Stat(casePath)
	if err != nil {
		return 0, 0, fmt.Errorf("record: ship: %w", err)
	}
	return cursor, fi.Size(), nil
}

// ship ships the segments of the run one after the other (a case file that
// is not a long run is its only segment), each with its own cursor and
// lock. It moves to segment n+1 once it exists and segment n is shipped to
// its end: the writer creates segment n+1 only after segment n is complete.
func (s *Shipper) ship(ctx context.Context, follow bool) error {
	first, n := FirstSegment(s.path)
	for ; ; n++ {
		path := SegmentPath(first, n)
		if n > 1 {
			if _, err := os.Stat(path); err != nil {
				return nil // the end of the run (Drain only: Run waited for it)
			}
		}
		s.update(func(st *ShipStatus) { st.Segment = path })
		next, err := s.shipSegment(ctx, path, SegmentPath(first, n+1), follow)
		if err != nil || !next {
			return err
		}
	}
}

// shipSegment ships one segment; next says it is done and the next segment
// (nextPath) is there.
func (s *Shipper) shipSegment(ctx context.Context, path, nextPath string, follow bool) (next bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("record: ship: %w", err)
	}
	defer f.Close()
	if !lockShip(f) {
		return false, fmt.Errorf("%w: %s", ErrBusy, path)
	}
	cur, err := ReadCursor(path)
	if err != nil {
		return false, err
	}
	s.update(func(st *ShipStatus) { st.Cursor = cur })
	buf := make([]byte, s.opt.BatchBytes)
	var body []byte
	for {
		// Whether the next segment exists is asked before the size: once
		// it does, this one is complete, and the size read after is its
		// last.
		_, nerr := os.Lstat(nextPath)
		fi, err := f.Stat()
		if err != nil {
			return false, fmt.Errorf("record: ship: %w", err)
		}
		size := fi.Size()
		s.update(func(st *ShipStatus) { st.Size = size })
		if cur > size {
			return false, fmt.Errorf("%w: cursor %d is past the end of %s (%d bytes): not the file the cursor belongs to", ErrFormat, cur, path, size)
		}
		chunk, lines, err := s.readBatch(f, cur, size, buf)
		if err != nil {
			return false, err
		}
		n := len(chunk)
		if n == 0 {
			if nerr == nil {
				return true, nil // on to the next segment
			}
			if !follow {
				return false, nil // everything up to the end is on the server
			}
			if !sleep(ctx, s.opt.Poll) {
				return false, nil
			}
			continue
		}
		body = appendShippable(body[:0], chunk)
		if len(body) > 0 && !s.send(ctx, body, lines) {
			if follow {
				return false, nil
			}
			return false, ctx.Err()
		}
		cur += int64(n)
		if err := writeCursor(path, cur); err != nil {
			return false, err
		}
		s.update(func(st *ShipStatus) { st.Cursor = cur })
	}
}

// readBatch reads whole lines from off: at most len(buf) bytes, or one
// longer line. It returns them (in buf, or a new slice for a long line)
// and how many lines.
func (s *Shipper) readBatch(f *os.File, off, size int64, buf []byte) ([]byte, int, error) {
	want := min(int64(len(buf)), size-off)
	if want <= 0 {
		return nil, 0, nil
	}
	n, err := f.ReadAt(buf[:want], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("record: ship: read: %w", err)
	}
	end := bytes.LastIndexByte(buf[:n], '\n') + 1
	if end > 0 {
		return buf[:end], bytes.Count(buf[:end], []byte{'\n'}), nil
	}
	if int64(n) == size-off {
		return nil, 0, nil // a line still being written (or torn): wait
	}
	// One line longer than a batch: ship it alone.
	line := append([]byte(nil), buf[:n]...)
	var tmp [64 << 10]byte
	for p := off + int64(n); ; {
		m, err := f.ReadAt(tmp[:], p)
		if i := bytes.IndexByte(tmp[:m], '\n'); i >= 0 {
			return append(line, tmp[:i+1]...), 1, nil
		}
		line = append(line, tmp[:m]...)
		p += int64(m)
		if err != nil {
			return nil, 0, nil // no newline yet
		}
	}
}

// appendShippable appends the lines of chunk that leave the machine:
// everything but comments, blank lines and patient identifiers.
func appendShippable(dst, chunk []byte) []byte {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		line := chunk[:i+1]
		chunk = chunk[i+1:]
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if bytes.Contains(line, []byte(IdentPrefix)) { // rare: re-encode without them
			dst = appendWithoutIdent(dst, t)
			continue
		}
		dst = append(dst, line...)
	}
	return dst
}

// appendWithoutIdent re-encodes a line without its ident_ fields (whatever
// its measurement). A line that does not parse is dropped: it could hold
// anything.
func appendWithoutIdent(dst, line []byte) []byte {
	d := lineprotocol.NewDecoderWithBytes(line)
	if !d.Next() {
		return dst
	}
	var e lineprotocol.Encoder
	e.SetBuffer(dst)
	m, err := d.Measurement()
	if err != nil {
		return dst
	}
	e.StartLineRaw(m)
	for {
		k, v, err := d.NextTag()
		if err != nil {
			return dst
		}
		if k == nil {
			break
		}
		e.AddTagRaw(k, v)
	}
	nf := 0
	for {
		k, v, err := d.NextField()
		if err != nil {
			return dst
		}
		if k == nil {
			break
		}
		if bytes.HasPrefix(k, []byte(IdentPrefix)) {
			continue
		}
		e.AddFieldRaw(k, v)
		nf++
	}
	t, err := d.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil || nf == 0 || t.IsZero() {
		return dst
	}
	e.EndLine(t)
	if e.Err() != nil {
		return dst
	}
	return e.Bytes()
}

// send writes one batch until the server accepts or refuses it; it reports
// false when ctx ended first.
func (s *Shipper) send(ctx context.Context, body []byte, lines int) bool {
	wait := s.opt.MinBackoff
	str := string(bytes.TrimRight(body, "\n"))
	for {
		s.update(func(st *ShipStatus) { st.Attempts++ })
		err := s.wapi.WriteRecord(ctx, str)
		if err == nil {
			s.update(func(st *ShipStatus) {
				st.Lines += uint64(lines)
				st.Batches++
				st.Retrying = false
			})
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var he *ihttp.Error
		if errors.As(err, &he) && refusesBatch(he.StatusCode) {
			qerr := s.quarantine(body, he)
			s.update(func(st *ShipStatus) {
				st.Quarantined++
				st.Retrying = false
				st.LastErr = fmt.Errorf("record: ship: server refused a batch (%d), quarantined: %w", he.StatusCode, errors.Join(err, qerr))
			})
			if qerr != nil {
				// Cannot set the batch aside: keep retrying rather than lose it.
			} else {
				return true
			}
		} else {
			s.update(func(st *ShipStatus) {
				st.Failures++
				st.Retrying = true
				st.LastErr = fmt.Errorf("record: ship: %w", err)
			})
		}
		d := wait
		if he != nil && he.RetryAfter > 0 {
			d = max(d, time.Duration(he.RetryAfter)*time.Second)
		}
		if !sleep(ctx, d) {
			return false
		}
		wait = min(2*wait, s.opt.MaxBackoff)
	}
}

// refusesBatch tells a refused batch (any 4xx but 429) from a condition to
// wait out (429 slow down, 5xx, the network). The refusal may concern every
// batch (401 wrong token, 403 no permission, 404 no such database or
// bucket): each is then set aside in turn, the technical condition stays
// raised until the configuration is fixed, and the quarantine file, which
// holds the lines as they were, is written to the server afterwards
// (docs/format/case.md). Nothing is lost either way.
func refusesBatch(code int) bool {
	return code >= 400 && code < 500 && code != 429
}

// quarantine appends a refused batch to the quarantine file, after a
// comment line with the server's answer.
func (s *Shipper) quarantine(body []byte, he *ihttp.Error) error {
	f, err := os.OpenFile(QuarantinePath(s.path), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	msg := strings.ReplaceAll(he.Error(), "\n", " ")
	_, err = fmt.Fprintf(f, "# refused with status %d: %s\n%s", he.StatusCode, msg, body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

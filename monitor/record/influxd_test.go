package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// influxd is a real InfluxDB 1.8 server for the tests: started on
// 127.0.0.1 on free ports with its data in a temporary directory, and
// stopped by t.Cleanup.
type influxd struct {
	t        testing.TB
	bin, dir string
	http     string // host:port
	rpc      string
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *os.File
	// TLS: the server's certificate and key files, and a client that
	// trusts it; plain HTTP when certFile is empty.
	certFile, keyFile string
	client            *http.Client
}

// influxdBinary finds .bin/influxd of the checkout (installed by make test
// through .ci/install-influxd) or $PUMPSIDE_INFLUXD. Without it the test
// fails under CI=true and is skipped elsewhere, saying why.
func influxdBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("PUMPSIDE_INFLUXD"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	p := filepath.Join(dir, ".bin", "influxd")
	if _, err := os.Stat(p); err != nil {
		msg := "InfluxDB 1.8.10 is not installed (.bin/influxd): run `make test`, or .ci/install-influxd, to build it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startInfluxd starts a server and creates the database db.
func startInfluxd(t testing.TB, db string) *influxd {
	t.Helper()
	return startInfluxdWith(t, db, nil)
}

func startInfluxdWith(t testing.TB, db string, prepare func(*influxd)) *influxd {
	t.Helper()
	s := &influxd{t: t, bin: influxdBinary(t), dir: t.TempDir(), http: freeAddr(t), rpc: freeAddr(t), client: http.DefaultClient}
	if prepare != nil {
		prepare(s)
	}
	s.start()
	t.Cleanup(s.stop)
	s.query("", "CREATE DATABASE "+strconv.Quote(db))
	return s
}

func (s *influxd) URL() string {
	if s.certFile != "" {
		return "https://" + s.http
	}
	return "http://" + s.http
}

func (s *influxd) start() {
	s.t.Helper()
	log, err := os.OpenFile(filepath.Join(s.dir, "influxd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	s.log = log
	cmd := exec.Command(s.bin)
	cmd.Env = append(os.Environ(),
		"INFLUXDB_HTTP_BIND_ADDRESS="+s.http,
		"INFLUXDB_BIND_ADDRESS="+s.rpc,
		"INFLUXDB_DATA_DIR="+filepath.Join(s.dir, "data"),
		"INFLUXDB_DATA_WAL_DIR="+filepath.Join(s.dir, "wal"),
		"INFLUXDB_META_DIR="+filepath.Join(s.dir, "meta"),
		"INFLUXDB_HTTP_FLUX_ENABLED=true",
		"INFLUXDB_REPORTING_DISABLED=true",
		"INFLUXDB_HTTP_LOG_ENABLED=false",
		"INFLUXDB_DATA_QUERY_LOG_ENABLED=false",
		"INFLUXDB_MONITOR_STORE_ENABLED=false",
	)
	if s.certFile != "" {
		cmd.Env = append(cmd.Env, "INFLUXDB_HTTP_HTTPS_ENABLED=true",
			"INFLUXDB_HTTP_HTTPS_CERTIFICATE="+s.certFile, "INFLUXDB_HTTP_HTTPS_PRIVATE_KEY="+s.keyFile)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := s.client.Get(s.URL() + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return
			}
		}
		select {
		case <-s.exited:
			s.t.Fatalf("influxd exited at start; log:\n%s", s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("influxd not ready after 60 s; log:\n%s", s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *influxd) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "influxd.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop ends the server (SIGTERM, then SIGKILL after 20 s).
func (s *influxd) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	s.log.Close()
}

// queryResult is InfluxQL's JSON answer.
type queryResult struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// query runs InfluxQL with times in ns and numbers decoded exactly.
func (s *influxd) query(db, q string) queryResult {
	s.t.Helper()
	form := url.Values{"q": {q}, "epoch": {"ns"}}
	if db != "" {
		form.Set("db", db)
	}
	resp, err := s.client.PostForm(s.URL()+"/query", form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r queryResult
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		s.t.Fatal(err)
	}
	if r.Error != "" {
		s.t.Fatalf("query %q: %s", q, r.Error)
	}
	for _, res := range r.Results {
		if res.Error != "" {
			s.t.Fatalf("query %q: %s", q, res.Error)
		}
	}
	return r
}

// flux runs a Flux query and returns the CSV answer.
func (s *influxd) flux(q string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v2/query", bytes.NewBufferString(q))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/vnd.flux")
	req.Header.Set("Accept", "application/csv")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(fmt.Sprint(resp.Status, ": ", b.String()))
	}
	return b.String(), nil
}

// Package influxdtest starts a real InfluxDB 1.8 server for tests and
// benchmarks: .bin/influxd of the checkout (installed by make test through
// .ci/install-influxd) or $PUMPSIDE_INFLUXD, on 127.0.0.1 with free ports,
// its data in a temporary directory, stopped by the test's cleanup.
// Without the binary a test fails under CI=true and is skipped elsewhere,
// saying why.
package influxdtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options configure a server.
type Options struct {
	// Dir keeps the data; "" a temporary directory. A benchmark may keep
	// its data across runs in a directory of its own.
	Dir string
	// Auth enables authentication: the server gets an admin user
	// (AdminUser, AdminPassword) before anything else.
	Auth bool
}

// The admin of a server started with Auth.
const (
	AdminUser     = "admin"
	AdminPassword = "admin-password-for-tests"
)

// Server is a running influxd.
type Server struct {
	t        testing.TB
	bin, dir string
	opt      Options
	http     string // host:port
	rpc      string
	cmd      *exec.Cmd
	exited   chan struct{}
	log      *os.File
}

// Binary finds influxd, or fails (CI) or skips the test.
func Binary(t testing.TB) string {
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

// FreeAddr returns a loopback address with a port free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts a server and creates database db (with the admin's
// credentials under Auth).
func Start(t testing.TB, db string, opt Options) *Server {
	t.Helper()
	s := &Server{t: t, bin: Binary(t), opt: opt, dir: opt.Dir, http: FreeAddr(t), rpc: FreeAddr(t)}
	if s.dir == "" {
		s.dir = t.TempDir()
	}
	s.start()
	t.Cleanup(s.Stop)
	if opt.Auth {
		s.Query("", "CREATE USER "+AdminUser+" WITH PASSWORD '"+AdminPassword+"' WITH ALL PRIVILEGES")
	}
	s.Query("", "CREATE DATABASE "+strconv.Quote(db))
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.http }

// Dir is the server's data directory.
func (s *Server) Dir() string { return s.dir }

func (s *Server) start() {
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
		"INFLUXDB_HTTP_MAX_BODY_SIZE=0",
		fmt.Sprintf("INFLUXDB_HTTP_AUTH_ENABLED=%t", s.opt.Auth),
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL() + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return
			}
		}
		select {
		case <-s.exited:
			s.t.Fatalf("influxd exited at start; log:\n%s", s.LogTail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("influxd not ready after 60 s; log:\n%s", s.LogTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// LogTail returns the end of the server's log.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "influxd.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop ends the server (SIGTERM, then SIGKILL after 20 s).
func (s *Server) Stop() {
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

// Result is InfluxQL's JSON answer.
type Result struct {
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

// Query runs InfluxQL (as the admin under Auth) with times in ns; an error
// fails the test.
func (s *Server) Query(db, q string) Result {
	s.t.Helper()
	form := url.Values{"q": {q}, "epoch": {"ns"}}
	if db != "" {
		form.Set("db", db)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.opt.Auth && !strings.HasPrefix(q, "CREATE USER "+AdminUser+" ") {
		req.SetBasicAuth(AdminUser, AdminPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r Result
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

// Write writes line protocol (ns precision) to database db as the admin
// under Auth.
func (s *Server) Write(db string, lines []byte) error {
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/write?precision=ns&db="+url.QueryEscape(db), bytes.NewReader(lines))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if s.opt.Auth {
		req.SetBasicAuth(AdminUser, AdminPassword)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("influxd write: %s: %s", resp.Status, b)
	}
	return nil
}

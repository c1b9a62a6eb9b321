// Package exchangetest runs the independent implementations that Pumpside's
// HL7 and FHIR output is checked against (docs/integration.md, "How it was
// tested"): node-hl7-server's MLLP listener and parser (npm) as the
// interface engine, python-hl7's MLLP server and parser as a second engine
// the value tests read the message with too, Redox's schema-based HL7 v2
// parser, and the FHIR R4 validators FHIR.js and HL7's JSON schema.
// `make test` installs them (.ci/install-checkers). Without them a test
// fails under CI=true and is skipped elsewhere, naming what to install.
//
// The scripts beside this file are the glue: they call the packages and
// print JSON; none of the checking is Pumpside's code. The two engines,
// hl7receiver.js and hl7receiver.py, speak the same protocol;
// hl7receiver.js's header says which faults of node-hl7-server it works
// around.
package exchangetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// RepoRoot is the checkout's top directory (where go.mod is).
func RepoRoot() string { return filepath.Clean(filepath.Join(dir(), "..", "..", "..")) }

func missing(t testing.TB, msg string) {
	t.Helper()
	msg += " (run .ci/install-checkers, or make test)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var (
	pythonOnce sync.Once
	pythonPath string
)

// Python returns a python3 that imports python-hl7: Debian's first (a
// python3 earlier on PATH may not see Debian's packages).
func Python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		for _, p := range []string{"/usr/bin/python3", "python3"} {
			if exec.Command(p, "-c", "import hl7.mllp").Run() == nil {
				pythonPath = p
				return
			}
		}
	})
	if pythonPath == "" {
		missing(t, "no python3 with python-hl7 (Debian python3-hl7)")
	}
	return pythonPath
}

// Node returns the node binary and the NODE_PATH of the installed npm
// checkers, which must hold the package pkg.
func Node(t testing.TB, pkg string) (node, nodePath string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node not found")
	}
	nodePath = filepath.Join(RepoRoot(), ".bin", "checkers", "node_modules")
	if _, err := os.Stat(filepath.Join(nodePath, pkg, "package.json")); err != nil {
		missing(t, "the npm checker "+pkg+" is not installed in .bin/checkers")
	}
	return node, nodePath
}

// FreePort returns a TCP port on 127.0.0.1 nobody listens on now: for a
// receiver that must come up later on the address a sender already has.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Engine names an interface engine the tests run against.
type Engine string

const (
	// NodeHL7Server is npm's node-hl7-server (hl7receiver.js), the
	// engine of the tests.
	NodeHL7Server Engine = "node-hl7-server"
	// PythonHL7 is Debian's python-hl7 (hl7receiver.py), the second
	// parser of the value tests.
	PythonHL7 Engine = "python-hl7"
)

// Engines are the engines a test that reads the message's values runs
// against, each an independent parser.
var Engines = []Engine{NodeHL7Server, PythonHL7}

// ReceiverOptions configure the interface engine.
type ReceiverOptions struct {
	// Engine runs the receiver; "" is NodeHL7Server.
	Engine Engine
	// Port to listen on; 0 picks a free one.
	Port int
	// Answers are the answers to the messages in order (AA, AE, AR, none,
	// close), then AA.
	Answers []string
	// AEText is MSA-3 and ERR-8 of an AE or AR.
	AEText string
	// PauseAfter stops reading the first connection after this many
	// bytes until Resume (node-hl7-server's engine: after the read that
	// reaches it; Node then buffers up to 16 KiB more).
	PauseAfter int
	// RcvBuf is the listening socket's SO_RCVBUF (0: the system's).
	RcvBuf int
	// TLSCert and TLSKey (PEM files) make the engine serve MLLP over TLS.
	TLSCert, TLSKey string
}

// Segment is one segment as the engine's parser read it: [field]
// [repetition][component], each component unescaped, field 0 the segment
// name, MSH-n at n.
type Segment [][][]string

// Name is the segment's name.
func (s Segment) Name() string { return s.Get(0, 1) }

// Get returns field f, component c (1-based) of the first repetition; ""
// when absent.
func (s Segment) Get(f, c int) string {
	if f < 0 || f >= len(s) || len(s[f]) == 0 || c < 1 || c > len(s[f][0]) {
		return ""
	}
	return s[f][0][c-1]
}

// Reps is the number of repetitions of field f.
func (s Segment) Reps(f int) int {
	if f < 0 || f >= len(s) {
		return 0
	}
	return len(s[f])
}

// ED is an encapsulated-data OBX value as the receiver decoded it.
type ED struct {
	Subtype, Encoding string
	Bytes             int
	SHA256            string
	PDF               bool
}

// Event is one line of the receiver's report.
type Event struct {
	Event     string
	Port      int
	ControlID string `json:"control_id"`
	Answer    string
	Bytes     int
	Segments  []Segment
	ED        []ED
	Text      string
}

// Segs returns the message's segments named name.
func (e Event) Segs(name string) []Segment {
	var out []Segment
	for _, s := range e.Segments {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// Receiver is a running interface engine.
type Receiver struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan Event
	Port   int
	stderr *lockedBuffer
}

// StartReceiver starts the engine and waits until it listens. It is
// stopped when the test ends.
func StartReceiver(t testing.TB, opt ReceiverOptions) *Receiver {
	t.Helper()
	var args []string
	if len(opt.Answers) > 0 {
		args = append(args, "--answers", strings.Join(opt.Answers, ","))
	}
	if opt.AEText != "" {
		args = append(args, "--ae-text", opt.AEText)
	}
	if opt.PauseAfter > 0 {
		args = append(args, "--pause-after", strconv.Itoa(opt.PauseAfter))
	}
	if opt.TLSCert != "" {
		args = append(args, "--tls-cert", opt.TLSCert, "--tls-key", opt.TLSKey)
	}
	var cmd *exec.Cmd
	switch opt.Engine {
	case "", NodeHL7Server:
		node, nodePath := Node(t, "node-hl7-server")
		// The engine listens on a socket made here: on 127.0.0.1 (the
		// package would listen on every interface) and with the receive
		// buffer asked for (Node cannot set it).
		l := listenFile(t, opt.Port, opt.RcvBuf)
		defer l.Close() // the engine has its own copy
		args = append([]string{filepath.Join(dir(), "hl7receiver.js"), "--listen-fd", "3"}, args...)
		cmd = exec.Command(node, args...)
		cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
		cmd.ExtraFiles = []*os.File{l}
	case PythonHL7:
		args = append([]string{filepath.Join(dir(), "hl7receiver.py"), "--port", strconv.Itoa(opt.Port)}, args...)
		if opt.RcvBuf > 0 {
			args = append(args, "--rcvbuf", strconv.Itoa(opt.RcvBuf))
		}
		cmd = exec.Command(Python(t), args...)
	default:
		t.Fatalf("unknown engine %q", opt.Engine)
	}
	r := &Receiver{t: t, cmd: cmd, events: make(chan Event, 1024), stderr: &lockedBuffer{}}
	r.cmd.Stderr = r.stderr
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() {
			var e Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = Event{Event: "error", Text: fmt.Sprintf("unreadable report line: %v", err)}
			}
			r.events <- e
		}
		close(r.events)
	}()
	e := r.Next(20 * time.Second)
	if e.Event != "listening" {
		t.Fatalf("receiver did not start: %+v; stderr: %s", e, r.stderr.String())
	}
	r.Port = e.Port
	return r
}

// Addr is the receiver's address.
func (r *Receiver) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// Next returns the next event, failing the test after timeout.
func (r *Receiver) Next(timeout time.Duration) Event {
	r.t.Helper()
	select {
	case e, ok := <-r.events:
		if !ok {
			r.t.Fatalf("receiver exited; stderr: %s", r.stderr.String())
		}
		if e.Event == "error" {
			r.t.Errorf("receiver: %s", e.Text)
		}
		return e
	case <-time.After(timeout):
		r.t.Fatalf("no event from the receiver within %v; stderr: %s", timeout, r.stderr.String())
	}
	return Event{}
}

// Quiet fails the test if an event arrives within d.
func (r *Receiver) Quiet(d time.Duration) {
	r.t.Helper()
	select {
	case e, ok := <-r.events:
		if ok {
			r.t.Errorf("unexpected receiver event %s %s", e.Event, e.ControlID)
		}
	case <-time.After(d):
	}
}

// Resume lets a paused receiver read on.
func (r *Receiver) Resume() {
	if _, err := io.WriteString(r.stdin, "resume\n"); err != nil {
		r.t.Fatal(err)
	}
}

// Stop kills the receiver (the engine going down) and waits for it.
func (r *Receiver) Stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// FHIRResult is one file's validation by FHIR.js and the JSON schema.
type FHIRResult struct {
	File     string
	Errors   []string
	Warnings []string
}

// ValidateFHIR validates each JSON file with the independent validators.
func ValidateFHIR(t testing.TB, files ...string) []FHIRResult {
	t.Helper()
	node, nodePath := Node(t, "fhir")
	cmd := exec.Command(node, append([]string{filepath.Join(dir(), "fhircheck.js")}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res []FHIRResult
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var r FHIRResult
		if len(line) == 0 {
			continue
		}
		if jerr := json.Unmarshal(line, &r); jerr != nil {
			t.Fatalf("fhircheck: %v: %s", jerr, line)
		}
		res = append(res, r)
	}
	if len(res) != len(files) {
		t.Fatalf("fhircheck: %d results for %d files (%v): %s", len(res), len(files), err, stderr.String())
	}
	return res
}

// ParseHL7Redox parses an HL7 v2 message with Redox's schema-based parser
// and returns its JSON.
func ParseHL7Redox(t testing.TB, msg []byte) map[string]any {
	t.Helper()
	node, nodePath := Node(t, "@redoxengine/redox-hl7-v2")
	f := filepath.Join(t.TempDir(), "msg.hl7")
	if err := os.WriteFile(f, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir(), "hl7check.js"), f)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hl7check: %v: %s", err, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("hl7check: %v", err)
	}
	return v
}

// lockedBuffer is the receiver's stderr: the process writes it while a
// failing test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

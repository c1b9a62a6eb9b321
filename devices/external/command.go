package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pumpside/pumpside/devices"
)

// Command is a devices.Opener that starts a child process per stream: the
// stream reads the child's stdout and writes to its stdin. The child is
// killed when the stream is closed or the context given to Open is done.
type Command struct {
	// Path is the program; a name without a slash is looked up in PATH.
	Path string
	Args []string
	// Dir is the child's working directory; "" is ours.
	Dir string
	// Env holds extra KEY=value variables added to ours.
	Env []string
}

var _ devices.Opener = (*Command)(nil)

// stderrTail is how much of the child's stderr a stream keeps, to say why
// the child ended.
const stderrTail = 1024

// Open starts the child. A program that cannot be found or started is a
// configuration error: the Supervisor does not retry it.
func (c *Command) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	if c.Path == "" {
		return nil, fmt.Errorf("external: no command: %w", devices.ErrConfig)
	}
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a process group: Close ends its children too
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = time.Second
	// Our own pipe for stdout, not StdoutPipe: Wait closes the latter as
	// soon as the child exits, losing what it printed last.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("external: %w", err)
	}
	cmd.Stdout = w
	stdin, err := cmd.StdinPipe()
	if err != nil {
		stdout.Close()
		w.Close()
		return nil, fmt.Errorf("external: %w", err)
	}
	s := &stream{cmd: cmd, stdout: stdout, stdin: stdin, done: make(chan struct{})}
	cmd.Stderr = &s.stderr
	err = cmd.Start()
	w.Close() // the child has its copy
	if err != nil {
		stdout.Close()
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) {
			err = fmt.Errorf("%w: %w", err, devices.ErrConfig)
		}
		return nil, fmt.Errorf("external: start %s: %w", c.Path, err)
	}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	return s, nil
}

// Close does nothing: each stream owns its child.
func (c *Command) Close() error { return nil }

func (c *Command) String() string {
	return "exec " + strings.Join(append([]string{c.Path}, c.Args...), " ")
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// ExitError says that the child ended: its exit status and the end of its
// stderr. It wraps io.EOF.
type ExitError struct {
	Err    error // from exec.Cmd.Wait; nil for a clean exit
	Stderr string
}

func (e *ExitError) Error() string {
	s := "external: child exited"
	if e.Err != nil {
		s += ": " + e.Err.Error()
	} else {
		s += " with status 0"
	}
	if e.Stderr != "" {
		s += ": " + e.Stderr
	}
	return s
}

// Unwrap makes errors.Is(err, io.EOF) true.
func (e *ExitError) Unwrap() []error { return []error{io.EOF, e.Err} }

type stream struct {
	cmd     *exec.Cmd
	stdout  io.ReadCloser
	stdin   io.WriteCloser
	stderr  tail
	done    chan struct{}
	waitErr error
	once    sync.Once
}

// Read reads the child's stdout; at its end it waits for the child and
// returns an *ExitError.
func (s *stream) Read(p []byte) (int, error) {
	n, err := s.stdout.Read(p)
	if err == io.EOF {
		<-s.done
		return n, &ExitError{Err: s.waitErr, Stderr: s.stderr.String()}
	}
	return n, err
}

// Write writes to the child's stdin.
func (s *stream) Write(p []byte) (int, error) { return s.stdin.Write(p) }

// Close kills the child (and its process group) and waits for it.
func (s *stream) Close() error {
	s.once.Do(func() {
		s.stdin.Close()
		select {
		case <-s.done:
		default:
			killGroup(s.cmd)
			<-s.done
		}
		s.stdout.Close() // unblocks a Read still pending
	})
	return nil
}

// tail keeps the last stderrTail bytes written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > stderrTail {
		t.b = append(t.b[:0], t.b[len(t.b)-stderrTail:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}

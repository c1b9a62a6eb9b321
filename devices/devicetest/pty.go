package devicetest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// PtyPair is a socat pseudo-terminal pair: bytes written to Peer are read
// from Device and the other way round. The test that starts it owns it.
type PtyPair struct {
	t      testing.TB
	Device string // the path the code under test opens
	Peer   string // the path the test plays the device on
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartPtyPair starts `socat -d -d pty,raw,echo=0,link=… pty,raw,echo=0,link=…`
// in a temporary directory and waits until both links exist. Without socat
// the test is skipped, or fails when CI=true: CI must run it. The pair is
// killed at the end of the test.
func StartPtyPair(t testing.TB) *PtyPair {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("socat is required under CI (make deps installs it): %v", err)
		}
		t.Skipf("socat not installed (apt-get install socat, or make deps): %v", err)
	}
	dir := t.TempDir()
	p := &PtyPair{t: t, Device: filepath.Join(dir, "device"), Peer: filepath.Join(dir, "peer")}
	p.Start()
	t.Cleanup(p.Kill)
	return p
}

// Start starts socat again after Kill, on the same paths.
func (p *PtyPair) Start() {
	p.t.Helper()
	p.cmd = exec.Command("socat", "-d", "-d",
		"pty,raw,echo=0,link="+p.Device, "pty,raw,echo=0,link="+p.Peer)
	if testing.Verbose() {
		p.cmd.Stderr = os.Stderr
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start socat: %v", err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(p.cmd, p.exited)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, e1 := os.Stat(p.Device)
		_, e2 := os.Stat(p.Peer)
		if e1 == nil && e2 == nil {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("socat exited before creating its links")
		default:
		}
		if time.Now().After(deadline) {
			p.Kill()
			p.t.Fatalf("socat did not create %s and %s within 5 s", p.Device, p.Peer)
		}
		time.Sleep(5 * time.Millisecond) // waiting for another process: no event to wait on
	}
}

// Kill stops socat (SIGTERM, then SIGKILL after 2 s) and waits for it: the
// far end of an open Device sees the port close, as when a USB adapter is
// pulled. Killing a stopped pair does nothing.
func (p *PtyPair) Kill() {
	if p.cmd == nil {
		return
	}
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Logf("socat: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	os.Remove(p.Device) // after SIGKILL the links stay behind
	os.Remove(p.Peer)
}

// OpenPeer opens the peer end for the test to write to and read from.
func (p *PtyPair) OpenPeer() *os.File {
	p.t.Helper()
	f, err := os.OpenFile(p.Peer, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		p.t.Fatalf("open %s: %v", p.Peer, err)
	}
	p.t.Cleanup(func() { f.Close() })
	return f
}

//go:build unix

package hl7out

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange/exchangetest"
)

// TestHelperSendProcess is not a test: the kill tests run the test binary
// as a sending process (HL7OUT_HELPER=send): it queues the case's record
// in its outbox if it is not there, and sends what is pending, with a
// 4 KiB socket send buffer so that a large message is still being written
// when the receiver stops reading.
func TestHelperSendProcess(t *testing.T) {
	if os.Getenv("HL7OUT_HELPER") != "send" {
		return
	}
	casePath, addr := os.Getenv("HL7OUT_CASE"), os.Getenv("HL7OUT_ADDR")
	o, err := OpenOutbox(casePath)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	rec, err := buildFile(casePath)
	if err == nil {
		_, _, err = QueueRecord(o, rec, testConfig, t0)
	}
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	snd := &Sender{Outbox: o, Client: &Client{Address: addr, Dialer: d, AckTimeout: time.Minute}, RetryMin: 20 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = snd.Run(ctx)
	o.Close()
	fmt.Println("DONE", err)
	os.Exit(0)
}

func startSender(t *testing.T, casePath, addr string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSendProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HL7OUT_HELPER=send", "HL7OUT_CASE="+casePath, "HL7OUT_ADDR="+addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if cmd.ProcessState != nil {
		t.Fatalf("the sender exited before the kill")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("sender not killed by SIGKILL: %v", cmd.ProcessState)
	}
}

// TestKillDuringSend: the sending process is killed with SIGKILL while it
// writes the message (the engine has read part of it and stopped reading,
// so the write blocks). The engine sees a cut message and drops it; the
// restarted sender finds the message in the outbox and sends it whole:
// the engine receives that control ID exactly once, and acknowledges it.
func TestKillDuringSend(t *testing.T) {
	casePath := copyCase(t, knownCase, t.TempDir())
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{PauseAfter: 2000, RcvBuf: 4096})
	child, out := startSender(t, casePath, rx.Addr())
	if e := rx.Next(30 * time.Second); e.Event != "paused" {
		t.Fatalf("receiver: %+v (sender: %s)", e, out)
	}
	time.Sleep(300 * time.Millisecond) // the sender is blocked in its write now
	kill9(t, child)
	es, err := OutboxStatus(casePath)
	if err != nil || len(es) != 1 || es[0].State != Pending {
		t.Fatalf("outbox after the kill: %+v %v", es, err)
	}
	o, _ := OpenOutbox(casePath) // free: the lock went with the process
	msg, err := o.Message(es[0])
	o.Close()
	if err != nil {
		t.Fatal(err)
	}
	rx.Resume()
	cut := rx.Next(10 * time.Second)
	if cut.Event != "incomplete" || cut.Bytes >= len(msg)+3 {
		t.Fatalf("the engine got %+v of a %d-byte message: the kill was not during the send", cut, len(msg)+3)
	}
	t.Logf("killed with %d of %d bytes delivered", cut.Bytes, len(msg)+3)

	child, out = startSender(t, casePath, rx.Addr())
	if err := child.Wait(); err != nil || !bytes.Contains(out.Bytes(), []byte("DONE <nil>")) {
		t.Fatalf("restarted sender: %v: %s", err, out)
	}
	e := rx.Next(10 * time.Second)
	if e.Event != "message" || e.ControlID != es[0].ControlID || e.Answer != "AA" {
		t.Fatalf("after the restart the engine got %+v", e)
	}
	rx.Quiet(500 * time.Millisecond)
	if es, _ := OutboxStatus(casePath); es[0].State != Acknowledged {
		t.Fatalf("not acknowledged: %+v", es)
	}
}

// TestKillAwaitingAck: the sender is killed after the whole message
// arrived and before the engine's ACK (the engine holds it). The sender
// cannot know whether it arrived, so after the restart it sends it again:
// the same control ID and the same bytes, which an engine that drops
// duplicate control IDs (HL7 v2 original mode) drops, and which replace the
// same results (OBR-3) in one that does not. It is then done.
func TestKillAwaitingAck(t *testing.T) {
	casePath := copyCase(t, knownCase, t.TempDir())
	rx := exchangetest.StartReceiver(t, exchangetest.ReceiverOptions{Answers: []string{"none"}})
	child, out := startSender(t, casePath, rx.Addr())
	first := rx.Next(30 * time.Second)
	if first.Event != "message" || first.Answer != "none" {
		t.Fatalf("receiver: %+v (sender: %s)", first, out)
	}
	kill9(t, child)
	child, out = startSender(t, casePath, rx.Addr())
	if err := child.Wait(); err != nil || !bytes.Contains(out.Bytes(), []byte("DONE <nil>")) {
		t.Fatalf("restarted sender: %v: %s", err, out)
	}
	second := rx.Next(10 * time.Second)
	if second.ControlID != first.ControlID || second.Answer != "AA" || len(second.ED) != 1 || second.ED[0].SHA256 != first.ED[0].SHA256 ||
		second.Bytes != first.Bytes {
		t.Fatalf("resent %s (%d bytes), first %s (%d bytes)", second.ControlID, second.Bytes, first.ControlID, first.Bytes)
	}
	rx.Quiet(500 * time.Millisecond)
}

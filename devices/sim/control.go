package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// DefaultControlAddr is the loopback address the instructor control listens
// on unless told otherwise.
const DefaultControlAddr = "127.0.0.1:7471"

// Controller is what the control server drives: *Case implements it.
type Controller interface {
	Trigger(name string) error
	Clear(fault string) error
}

var _ Controller = (*Case)(nil)

// ServeControl answers the instructor line protocol on ln until ctx is done
// or ln fails, then closes ln, waits for its connections to end and returns
// nil (or the listener's error). Each request is one line; each answer one
// line:
//
//	trigger NAME   -> ok | error MESSAGE   (a fault or a live action)
//	clear NAME     -> ok | error MESSAGE   (a fault, or "all")
//	list           -> ok NAME NAME …       (faults, then actions)
//	ping           -> ok
//
// Anything else gets "error unknown command". A line longer than 256 bytes
// closes the connection. Connections idle for 5 minutes are closed. It is
// safe to run ServeControl while the Case is being advanced on another
// goroutine (see Case.Trigger).
func ServeControl(ctx context.Context, ln net.Listener, c Controller) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for cn := range conns {
			cn.Close()
		}
		mu.Unlock()
	})
	defer stop()
	var err error
	for {
		var cn net.Conn
		cn, err = ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[cn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(cn, c)
			mu.Lock()
			delete(conns, cn)
			mu.Unlock()
			cn.Close()
		}()
	}
	ln.Close()
	mu.Lock()
	for cn := range conns {
		cn.Close()
	}
	mu.Unlock()
	wg.Wait()
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("sim: control: %w", err)
}

const maxControlLine = 256

func serveConn(cn net.Conn, c Controller) {
	r := bufio.NewReaderSize(cn, maxControlLine+1)
	for {
		cn.SetReadDeadline(time.Now().Add(5 * time.Minute)) // I/O deadline, not case logic
		line, err := r.ReadSlice('\n')
		if err != nil {
			return // EOF, timeout, closed or too long
		}
		reply := handleControl(strings.TrimSpace(string(line)), c)
		if _, err := io.WriteString(cn, reply+"\n"); err != nil {
			return
		}
	}
}

func handleControl(line string, c Controller) string {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	var err error
	switch cmd {
	case "trigger":
		err = c.Trigger(arg)
	case "clear":
		err = c.Clear(arg)
	case "list":
		return "ok " + strings.Join(append(FaultNames(), LiveActions()...), " ")
	case "ping":
		return "ok"
	default:
		return "error unknown command " + fmt.Sprintf("%q", cmd) + " (want trigger, clear, list or ping)"
	}
	if err != nil {
		return "error " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return "ok"
}

// ControlAddr splits an address of the control protocol: "unix:PATH" is a
// Unix socket, "tcp:HOST:PORT" or "HOST:PORT" TCP.
func ControlAddr(addr string) (network, address string) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		return "unix", p
	}
	return "tcp", strings.TrimPrefix(addr, "tcp:")
}

// ListenControl listens on addr (see ControlAddr).
func ListenControl(addr string) (net.Listener, error) {
	network, a := ControlAddr(addr)
	ln, err := net.Listen(network, a)
	if err != nil {
		return nil, fmt.Errorf("sim: control: %w", err)
	}
	return ln, nil
}

// SendControl sends one command line to the control server at addr and
// returns its answer without the newline. An "error …" answer is returned
// as an error wrapping ErrControl.
func SendControl(ctx context.Context, addr, command string) (string, error) {
	network, a := ControlAddr(addr)
	var d net.Dialer
	cn, err := d.DialContext(ctx, network, a)
	if err != nil {
		return "", fmt.Errorf("sim: control: %w", err)
	}
	defer cn.Close()
	if dl, ok := ctx.Deadline(); ok {
		cn.SetDeadline(dl)
	}
	if _, err := io.WriteString(cn, strings.TrimSpace(command)+"\n"); err != nil {
		return "", fmt.Errorf("sim: control: %w", err)
	}
	line, err := bufio.NewReader(cn).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("sim: control: reading the answer: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if msg, ok := strings.CutPrefix(line, "error"); ok {
		return line, fmt.Errorf("%w: %s", ErrControl, strings.TrimSpace(msg))
	}
	return line, nil
}

// ErrControl is wrapped by SendControl when the server answers with an error.
var ErrControl = errors.New("sim: control refused")

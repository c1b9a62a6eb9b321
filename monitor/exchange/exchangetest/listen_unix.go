//go:build unix

package exchangetest

import (
	"context"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// listenFile returns a TCP socket listening on 127.0.0.1:port (0: any),
// as a file a child process inherits. A rcvbuf above 0 is its SO_RCVBUF,
// which the connections it accepts inherit.
func listenFile(t testing.TB, port, rcvbuf int) *os.File {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		if rcvbuf <= 0 {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	l, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

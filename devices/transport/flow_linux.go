//go:build linux

package transport

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// withFlowControl runs open (which opens the port through go.bug.st/serial,
// which always clears hardware and software flow control) and then sets the
// flow control asked for through a second descriptor opened beforehand: the
// termios settings belong to the tty, not the descriptor, and the library
// takes the port exclusively once open.
func withFlowControl(path, flow string, open func() error) error {
	if flow == "" || flow == "none" {
		return open()
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := open(); err != nil {
		return err
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("flow control %s: %w", flow, err)
	}
	switch flow {
	case "rts/cts":
		t.Cflag |= unix.CRTSCTS
	case "xon/xoff":
		t.Iflag |= unix.IXON | unix.IXOFF
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("flow control %s: %w", flow, err)
	}
	return nil
}

// Package transport opens the byte streams drivers read: serial ports
// (go.bug.st/serial), TCP clients and servers, UDP, and capture files played
// back with their recorded timing or as fast as possible. Everything it
// returns is an io.ReadWriteCloser; protocols live in the drivers.
//
// Errors say why a stream ended, so the Supervisor can tell a lost device
// from a stop it asked for:
//
//   - ErrDisconnected: the peer went away (a serial adapter unplugged, the
//     pty's other end closed, a TCP peer hung up);
//   - ErrClosed: our own Close;
//   - io.EOF: a capture ran out.
//
// A serial read timeout is not data and not the end of the stream: Read
// never returns (0, nil) for it, it waits again. Close may be called from any
// goroutine and unblocks a pending Read; Read and Write are for one
// goroutine each.
package transport

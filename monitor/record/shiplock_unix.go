//go:build unix

package record

import (
	"os"
	"syscall"
)

// lockShip takes an advisory exclusive lock on the open case file f for
// its shipper, without waiting: false when another shipper holds it. The
// lock goes with f's close. The writer takes none: shipping and writing go
// on together.
func lockShip(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}

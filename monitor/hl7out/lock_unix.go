//go:build unix

package hl7out

import (
	"os"
	"syscall"
)

// lockFile takes an advisory exclusive lock on f without waiting: ErrBusy
// when another process (or another Outbox of this one) holds it. It goes
// with f's close.
func lockFile(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return ErrBusy
	}
	return nil
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

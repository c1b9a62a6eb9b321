//go:build !unix

package hl7out

import "os"

// lockFile: no advisory lock on this platform; run one sender per case.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}

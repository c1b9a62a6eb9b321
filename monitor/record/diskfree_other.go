//go:build !unix

package record

// freeBytes: not measured on this platform (Status.Free is -1, never low).
func freeBytes(string) (int64, bool) { return 0, false }

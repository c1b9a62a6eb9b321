// Package devicetest is the conformance kit for device drivers, and the
// fakes their tests share.
//
// One call, Check, runs a registered driver against its test captures and
// the expected samples beside them, and then against streams built from its
// own frames: reads split at every byte boundary, garbage before sync,
// truncated frames, a 100 MB frame (the heap must stay bounded), corrupted
// bytes, cancellation, allocations, and goroutine leaks. FuzzDecode is the
// matching fuzz target. PtyPair starts a socat pseudo-terminal pair for
// tests over a real serial device.
//
// The kit is for tests only: it imports package testing.
package devicetest

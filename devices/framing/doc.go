// Package framing splits device byte streams into frames with bounded
// memory: a framer owns one fixed buffer sized by the protocol's longest valid
// frame, and longer input is skipped and reported as oversize rather than
// buffered. Framers are fed from any io.Reader and report stream offsets so
// that bad frames can be located in a capture.
//
// A framer is used by one goroutine; the frame it returns is valid until the
// next call.
package framing

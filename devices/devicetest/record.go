package devicetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
)

// Recorder is a devices.Sink and devices.Events that keeps everything.
type Recorder struct {
	Samples []monitor.Sample
	OK      int
	Bad     []*devices.FrameError
}

// Put records s.
func (r *Recorder) Put(s monitor.Sample) bool { r.Samples = append(r.Samples, s); return true }

// FrameOK counts a good frame.
func (r *Recorder) FrameOK(int64, int) { r.OK++ }

// FrameBad keeps a copy of err.
func (r *Recorder) FrameBad(err *devices.FrameError) { r.Bad = append(r.Bad, err.Clone()) }

// Frames renders the frame outcomes as a frames.txt file: "ok N", then
// "bad OFFSET REASON" per bad frame.
func (r *Recorder) Frames() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ok %d\n", r.OK)
	for _, e := range r.Bad {
		fmt.Fprintf(&b, "bad %d %s\n", e.Offset, e.Reason)
	}
	return b.String()
}

// JSONL renders the samples as `pumpside decode` prints them.
func (r *Recorder) JSONL(source string) string {
	var b []byte
	for _, s := range r.Samples {
		b = devices.AppendSampleJSON(b, s, source)
		b = append(b, '\n')
	}
	return string(b)
}

// StepClock is a devices.Clock for tests: the first Now returns Start, each
// later one Step more.
type StepClock struct {
	Start, Step int64
	n           int64
}

// Now returns the next time.
func (c *StepClock) Now() int64 { t := c.Start + c.n*c.Step; c.n++; return t }

// T0 is the kit's case start time, 2026-03-02T08:00:00Z.
var T0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).UnixNano()

// NewStepClock returns a clock starting at T0 and advancing 1 s a frame.
func NewStepClock() *StepClock { return &StepClock{Start: T0, Step: int64(time.Second)} }

// ReadWriter joins a reader with a writer that discards, for Decode.
type ReadWriter struct {
	io.Reader
	io.Writer
}

// NewReadWriter returns r with writes discarded, keeping r's receive times
// when it is a devices.ReceiveTimer.
func NewReadWriter(r io.Reader) io.ReadWriter {
	if rt, ok := r.(timedReader); ok {
		return &timedRW{rt}
	}
	return &ReadWriter{Reader: r, Writer: io.Discard}
}

type timedReader interface {
	io.Reader
	devices.ReceiveTimer
}

type timedRW struct{ timedReader }

func (*timedRW) Write(p []byte) (int, error) { return len(p), nil }

// Decode runs d over r to its end with a StepClock (or r's receive times)
// and returns what it produced. A clean end (io.EOF) is a nil error.
func Decode(d devices.Driver, r io.Reader) (*Recorder, error) {
	rec := &Recorder{}
	rw := NewReadWriter(r)
	err := d.Decode(context.Background(), rw, devices.Env{Source: 1, Sink: rec, Events: rec, Clock: devices.ClockFor(rw, NewStepClock())})
	if err == io.EOF {
		err = nil
	}
	return rec, err
}

// ReadFrames parses a frames.txt file.
func ReadFrames(path string) (ok int, bad []devices.FrameError, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "ok":
			ok, err = strconv.Atoi(f[1])
		case len(f) == 3 && f[0] == "bad":
			var e devices.FrameError
			e.Offset, err = strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				e.Reason, err = devices.ParseReason(f[2])
			}
			bad = append(bad, e)
		default:
			err = fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return ok, bad, nil
}

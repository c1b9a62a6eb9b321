package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/capture"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
)

func init() {
	register(command{
		name:    "decode",
		summary: "decode a device's raw bytes or a capture to JSON samples",
		run:     runDecode,
	})
}

// maxBadListed bounds the bad frames kept for the summary.
const maxBadListed = 1000

func runDecode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("decode", "--driver NAME [--config FILE] [--source NAME] [FILE|-]",
		"Decodes a device's bytes with a driver and prints one JSON object per sample:\n"+
			`  {"time","source","channel","value","unit","quality"}`+"\n"+
			"value is null unless quality is ok. The input is raw bytes (stdin with - or no FILE), a\n"+
			"capture file made by `pumpside capture` (samples get its receive times), or a serial\n"+
			"device such as a pty or /dev/ttyUSB0 (read with the driver's port settings until it\n"+
			"goes away or the command is interrupted). On stderr: frames ok and bad, with the byte\n"+
			"offset (in the device's bytes) and reason of each bad one.\n"+
			"Exit status: 0 when the input was read to its end, 1 on a read error, 2 on bad usage\n"+
			"or config.", stdout, stderr)
	driverName := fs.String("driver", "", "driver `NAME` (see pumpside devices)")
	configFile := fs.String("config", "", "driver options `FILE` (TOML; see pumpside devices --sample-config NAME)")
	source := fs.String("source", "", "source `NAME` printed with each sample (default: the driver's name)")
	baud := fs.Int("baud", 0, "for a serial device: baud `RATE` (default: the driver's)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside decode: "+format+"\n", a...)
		return code
	}
	if *driverName == "" {
		return fail(2, "--driver is required (pumpside devices lists them)")
	}
	if fs.NArg() > 1 {
		return fail(2, "one input at most, got %d", fs.NArg())
	}
	d, err := devices.New(*driverName)
	if err != nil {
		return fail(2, "%v", err)
	}
	var decodeConfig func(any) error
	if *configFile != "" {
		data, err := os.ReadFile(*configFile)
		if err != nil {
			return fail(2, "%v", err)
		}
		decodeConfig = devices.TOMLDecoder(data)
	}
	if err := devices.Configure(d, decodeConfig); err != nil {
		return fail(2, "%s: %v", or(*configFile, "options"), err)
	}
	if *source == "" {
		*source = *driverName
	}

	in, live, code := openDecodeInput(fs.Arg(0), d, *baud, stderr)
	if in == nil {
		return code
	}
	defer in.Close()
	if live {
		stop := context.AfterFunc(ctx, func() { in.Close() })
		defer stop()
	}
	var rw io.ReadWriter = in
	var clock devices.Clock = devices.WallClock
	if !live {
		br := bufio.NewReaderSize(in, 64<<10)
		head, _ := br.Peek(len(capture.Magic))
		if capture.IsCapture(head) && len(head) == len(capture.Magic) {
			cr, err := transport.NewCaptureReader(br, false)
			if err != nil {
				return fail(1, "%v", err)
			}
			rw, clock = cr, devices.ClockFor(cr, nil)
		} else {
			rw = struct {
				io.Reader
				io.Writer
			}{br, io.Discard}
		}
	}

	out := &sampleWriter{w: bufio.NewWriterSize(stdout, 64<<10), source: *source, flush: live}
	ev := &decodeEvents{}
	err = d.Decode(ctx, rw, devices.Env{Source: 1, Sink: out, Events: ev, Clock: clock})
	out.w.Flush()
	ev.summary(stderr)
	switch {
	case err == io.EOF:
		return 0
	case live && (errors.Is(err, transport.ErrDisconnected) || errors.Is(err, transport.ErrClosed)):
		return 0
	case errors.Is(err, capture.ErrTruncated):
		fmt.Fprintf(stderr, "pumpside decode: warning: %v (the capture was cut short; everything before it was decoded)\n", err)
		return 0
	case errors.Is(err, context.Canceled):
		return fail(1, "interrupted")
	default:
		return fail(1, "%v", err)
	}
}

// openDecodeInput opens stdin, a file or a serial device. It returns nil and
// an exit code on failure.
func openDecodeInput(path string, d devices.Driver, baud int, stderr io.Writer) (io.ReadWriteCloser, bool, int) {
	if path == "" || path == "-" {
		return struct {
			io.Reader
			io.Writer
			io.Closer
		}{os.Stdin, io.Discard, nopCloser{}}, false, 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside decode: %v\n", err)
		return nil, false, 2
	}
	if fi.Mode()&os.ModeCharDevice != 0 {
		p := devices.Describe(d).Port
		cfg := transport.Serial{Port: path, Baud: or(baud, or(p.Baud, 9600)), DataBits: p.DataBits, Parity: p.Parity, StopBits: p.StopBits, Flow: p.Flow}
		port, err := transport.OpenSerial(cfg)
		if err != nil {
			code := 1
			if errors.Is(err, devices.ErrConfig) {
				code = 2
			}
			fmt.Fprintf(stderr, "pumpside decode: %v\n", err)
			return nil, false, code
		}
		return port, true, 0
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "pumpside decode: %v\n", err)
		return nil, false, 2
	}
	return struct {
		io.Reader
		io.Writer
		io.Closer
	}{f, io.Discard, f}, false, 0
}

// sampleWriter prints samples as JSON lines. It blocks on stdout, which a
// command line tool may do; flush makes each sample visible at once for a
// live device.
type sampleWriter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	buf    []byte
	source string
	flush  bool
}

func (s *sampleWriter) Put(sm monitor.Sample) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(devices.AppendSampleJSON(s.buf[:0], sm, s.source), '\n')
	s.w.Write(s.buf)
	if s.flush {
		s.w.Flush()
	}
	return true
}

type decodeEvents struct {
	ok, bad int
	listed  []*devices.FrameError
	notes   map[string]int // what the driver inferred or could not map, with counts
	order   []string
}

// Note implements devices.Noter: the summary lists each text once, with
// how often it came, in the order first seen (at most maxBadListed texts).
func (e *decodeEvents) Note(text string) {
	if e.notes == nil {
		e.notes = map[string]int{}
	}
	if _, seen := e.notes[text]; !seen {
		if len(e.order) >= maxBadListed {
			return
		}
		e.order = append(e.order, text)
	}
	e.notes[text]++
}

func (e *decodeEvents) FrameOK(int64, int) { e.ok++ }

func (e *decodeEvents) FrameBad(err *devices.FrameError) {
	e.bad++
	if len(e.listed) < maxBadListed {
		e.listed = append(e.listed, err.Clone())
	}
}

func (e *decodeEvents) summary(w io.Writer) {
	fmt.Fprintf(w, "frames: %d ok, %d bad\n", e.ok, e.bad)
	for _, b := range e.listed {
		fmt.Fprintf(w, "  bad frame at byte %d: %s", b.Offset, b.Reason)
		if b.Field != "" {
			fmt.Fprintf(w, " in %s", b.Field)
		}
		if b.Err != nil {
			fmt.Fprintf(w, ": %v", b.Err)
		}
		if len(b.Raw) > 0 {
			fmt.Fprintf(w, ": %s", strconv.QuoteToASCII(string(b.Raw)))
		}
		fmt.Fprintln(w)
	}
	if e.bad > len(e.listed) {
		fmt.Fprintf(w, "  ... and %d more\n", e.bad-len(e.listed))
	}
	if len(e.order) > 0 {
		fmt.Fprintln(w, "inferred or not mapped:")
		for _, n := range e.order {
			fmt.Fprintf(w, "  %s (%d×)\n", n, e.notes[n])
		}
	}
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

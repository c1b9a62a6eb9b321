package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/capture"
	"github.com/pumpside/pumpside/devices/transport"
)

func init() {
	register(command{
		name:    "capture",
		summary: "record a serial device's raw bytes with receive times, for a new driver",
		run:     runCapture,
	})
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("capture", "--port PATH --baud N [--data-bits 8 --parity none --stop-bits 1 --flow none] --out FILE",
		"Records everything a serial device sends, each chunk stamped with the time it was received,\n"+
			"in a capture file (docs/format/capture.md) that `pumpside decode` and the driver tests read.\n"+
			"Use it to record a device Pumpside has no driver for yet. It sends nothing to the device.\n"+
			"A port that goes away (cable pulled) is reopened every second. Stop with Ctrl-C, or give\n"+
			"--duration. Exit status: 0 when stopped, 1 on an error writing the file, 2 on bad usage.", stdout, stderr)
	port := fs.String("port", "", "serial device `PATH`, e.g. /dev/ttyUSB0")
	baud := fs.Int("baud", 0, "baud `RATE`, e.g. 9600")
	dataBits := fs.Int("data-bits", 8, "data bits, 5 to 8")
	parity := fs.String("parity", "none", "parity: none, odd, even, mark or space")
	stopBits := fs.String("stop-bits", "1", "stop bits: 1, 1.5 or 2")
	flow := fs.String("flow", "none", "flow control: none, rts/cts or xon/xoff")
	out := fs.String("out", "", "capture `FILE` to create (never overwritten)")
	note := fs.String("note", "", "free `TEXT` stored in the header: device model, settings, what was happening")
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "pumpside capture: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fail(2, "--out is required")
	}
	cfg := transport.Serial{Port: *port, Baud: *baud, DataBits: *dataBits, Parity: *parity, StopBits: *stopBits, Flow: *flow}
	settings := devices.PortSettings{Baud: *baud, DataBits: *dataBits, Parity: *parity, StopBits: *stopBits, Flow: *flow}.String()
	if _, err := transport.New(transport.Config{Type: "serial", Port: *port, Baud: *baud, DataBits: *dataBits, Parity: *parity, StopBits: *stopBits, Flow: *flow}); err != nil {
		return fail(2, "%v", err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fail(2, "%v", err)
	}
	started := time.Now()
	w, err := capture.NewWriter(f, capture.Header{
		{Key: capture.KeyPort, Value: *port},
		{Key: capture.KeySettings, Value: settings},
		{Key: capture.KeyStarted, Value: started.UTC().Format(time.RFC3339Nano)},
		{Key: capture.KeyNote, Value: *note},
		{Key: capture.KeyProgram, Value: "pumpside capture"},
	})
	if err != nil {
		f.Close()
		return fail(1, "%v", err)
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	fmt.Fprintf(stderr, "capturing %s (%s) to %s; Ctrl-C stops\n", *port, settings, *out)
	var bytes, records int64
	err = captureLoop(ctx, cfg, stderr, func(t int64, b []byte) error {
		bytes += int64(len(b))
		records++
		return w.Write(t, b)
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fmt.Fprintf(stderr, "captured %s bytes in %d records over %v to %s\n", strconv.FormatInt(bytes, 10), records, time.Since(started).Round(time.Millisecond), *out)
	if err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

// captureLoop reads the port until ctx is done, reopening it every second
// when it cannot be opened or goes away. It returns the first error from
// record, or nil when ctx is done.
func captureLoop(ctx context.Context, cfg transport.Serial, stderr io.Writer, record func(t int64, b []byte) error) error {
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		port, err := transport.OpenSerial(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside capture: %v; retrying every second\n", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		stop := context.AfterFunc(ctx, func() { port.Close() })
		for {
			n, err := port.Read(buf)
			if n > 0 {
				if werr := record(time.Now().UnixNano(), buf[:n]); werr != nil {
					stop()
					port.Close()
					return werr
				}
			}
			if err != nil {
				if !errors.Is(err, transport.ErrClosed) {
					fmt.Fprintf(stderr, "pumpside capture: %v; reopening\n", err)
				}
				break
			}
		}
		stop()
		port.Close()
		if ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/sound"
)

func init() {
	register(command{
		name:    "alarm-sound",
		summary: "render an alarm priority's sound burst to a WAV file",
		run:     runAlarmSound,
	})
}

func runAlarmSound(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("alarm-sound", "--priority high|medium|low --out FILE.wav",
		"Renders one burst of the IEC 60601-1-8 alarm signal Pumpside plays for a priority\n"+
			"(HIGH 10 pulses as 5 + 5, MEDIUM 3, LOW 2) as a mono 16-bit WAV file at 48 kHz.",
		stdout, stderr)
	prio := fs.String("priority", "", "alarm priority: high, medium or low")
	out := fs.String("out", "", "WAV file to write")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "pumpside alarm-sound: %s\n", msg)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *prio == "":
		return usage("--priority high|medium|low is required")
	case *out == "":
		return usage("--out FILE.wav is required")
	}
	p, err := alarms.ParsePriority(*prio)
	if err != nil {
		return usage("--priority must be high, medium or low")
	}
	spec := sound.ForPriority(p)
	if err := writeBurst(*out, spec); err != nil {
		fmt.Fprintf(stderr, "pumpside alarm-sound: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s burst, %d pulses, %g Hz, %v\n", *out, p, spec.Pulses, spec.Fundamental, spec.Duration().Round(1e6))
	return 0
}

func writeBurst(path string, spec sound.Spec) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	return sound.WriteWAV(f, sound.SampleRate, spec.Render(sound.SampleRate))
}

package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/pumpside/pumpside/devices"
	// The built-in drivers register themselves.
	_ "github.com/pumpside/pumpside/devices/cdi550"
	_ "github.com/pumpside/pumpside/devices/external"
	_ "github.com/pumpside/pumpside/devices/generic"
	_ "github.com/pumpside/pumpside/devices/intellivue"
	_ "github.com/pumpside/pumpside/devices/invos"
	_ "github.com/pumpside/pumpside/devices/masimo"
	_ "github.com/pumpside/pumpside/devices/nonin"
	_ "github.com/pumpside/pumpside/devices/s5"
	"github.com/pumpside/pumpside/monitor/channel"
)

func init() {
	register(command{
		name:    "devices",
		summary: "list the device drivers, their channels, units and port settings",
		run:     runDevices,
	})
}

func runDevices(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("devices", "[--sample-config NAME]",
		"Lists the built-in device drivers: the channels each emits with units and rates, and the\n"+
			"device's factory port settings. With --sample-config, prints a driver's annotated config\n"+
			"file, the one `pumpside decode --config` and device configs take.", stdout, stderr)
	sample := fs.String("sample-config", "", "print the sample config of driver `NAME`")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pumpside devices: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *sample != "" {
		d, err := devices.New(*sample)
		if err != nil {
			fmt.Fprintf(stderr, "pumpside devices: %v\n", err)
			return 2
		}
		io.WriteString(stdout, devices.Describe(d).SampleConfig)
		return 0
	}
	for i, name := range devices.Names() {
		d, err := devices.New(name)
		if err != nil {
			continue
		}
		desc := devices.Describe(d)
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s: %s\n", name, desc.Summary)
		fmt.Fprintf(stdout, "  port %s; a frame every %v", desc.Port, or(desc.Interval, devices.DefaultInterval))
		if desc.MaxFrame > 0 {
			fmt.Fprintf(stdout, "; frames up to %d bytes", desc.MaxFrame)
		}
		fmt.Fprintln(stdout)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  channel\tunit\tfield\tevery\tnote")
		for _, c := range desc.Channels {
			every := "-"
			if c.Interval > 0 {
				every = c.Interval.String()
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.ID, channel.Get(c.ID).Unit, c.Field, every, c.Note)
		}
		tw.Flush()
	}
	fmt.Fprintln(stdout, "\nA driver's options: pumpside devices --sample-config NAME")
	return 0
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

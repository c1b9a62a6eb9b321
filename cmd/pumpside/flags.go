package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// flagSet wraps flag.FlagSet with the conventions every subcommand shares:
// "--help" prints usage on stdout and exits 0; a bad flag prints one line and
// the usage on stderr and exits 2.
type flagSet struct {
	*flag.FlagSet
	stdout, stderr io.Writer
}

// newFlagSet makes the flag set of a subcommand. synopsis is the usage line
// after "pumpside NAME", about is a paragraph printed above the flags.
func newFlagSet(name, synopsis, about string, stdout, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs, stdout: stdout, stderr: stderr}
	f.FlagSet.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: pumpside %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return f
}

// parse parses args. It returns ok=false with the exit code to use when the
// command must stop now (help asked for, or bad usage).
func (f *flagSet) parse(args []string) (code int, ok bool) {
	err := f.FlagSet.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		f.SetOutput(f.stdout)
		f.Usage()
		return 0, false
	default:
		fmt.Fprintf(f.stderr, "pumpside %s: %v\n", f.Name(), err)
		fmt.Fprintf(f.stderr, "Run \"pumpside %s --help\" for usage.\n", f.Name())
		return 2, false
	}
}

// Package conformance holds no code: its test decodes the conformance
// corpus under testdata/conformance/ at the top of the repository, messages
// written by hand from the public standards' own examples and from
// analysers' and monitors' published interface documents (never from
// Pumpside's encoders), and compares each outcome with the expected JSON
// file beside its input.
//
// One subdirectory per kind of entry: hl7/, astm/, cdi550/, cdi550-packet/
// and invos/ are decoded through the real driver of that name, with its
// default options (hl7 and astm with the time zone set to UTC) and an
// optional NAME.toml beside the input. A kind
// is an entry of the kinds map in the test, keyed by the subdirectory, so
// another kind (case files replayed headless, case/) is one more entry.
// Each subdirectory's README names the source of every input's layout.
//
// Every input starts with a header, lines "# Source: …", "# Exercises: …"
// (both required) and others, each "# text" or "#", up to the first line
// that does not start with '#' (testdata/conformance/README.md). The test
// strips exactly that block and gives the driver every byte after it;
// case files keep theirs, which the case reader skips as comment lines.
//
// Regenerate the expected files with
//
//	go test ./devices/conformance -update
//
// and read every line of the diff before committing it.
package conformance

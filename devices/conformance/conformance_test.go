package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	_ "github.com/pumpside/pumpside/devices/astm"
	_ "github.com/pumpside/pumpside/devices/cdi550"
	"github.com/pumpside/pumpside/devices/devicetest"
	_ "github.com/pumpside/pumpside/devices/hl7"
	_ "github.com/pumpside/pumpside/devices/invos"
	"github.com/pumpside/pumpside/monitor"
)

var update = flag.Bool("update", false, "rewrite the expected JSON files from what the decoders give")

// root is the corpus, from this package's directory.
const root = "../../testdata/conformance"

// entry is one input of the corpus: NAME.EXT, with NAME.toml (options) and
// NAME.json (the expected outcome) beside it.
type entry struct {
	Dir, Name string
	// Header is the file's header block, its lines without their LF;
	// Input is the rest of the file, byte for byte: what the driver gets.
	Header []string
	Input  []byte
	Config []byte // nil without NAME.toml
}

// kind decodes the entries of one subdirectory.
type kind struct {
	// ext is the extension of the inputs, without the dot.
	ext string
	// decode returns an entry's outcome; it is compared with, or written
	// to, the entry's expected JSON file.
	decode func(t *testing.T, e entry) any
	// elsewhere names the test that checks a kind this package cannot
	// (it needs the binary's replay): its entries are left to it.
	elsewhere string
}

// kinds maps each subdirectory of the corpus to its decoder. A kind not
// listed here makes the test fail, so that no entry is silently skipped.
var kinds = map[string]kind{
	"hl7":           {ext: "hl7", decode: driverKind("hl7", "time_zone = \"UTC\"\n")},
	"astm":          {ext: "astm", decode: driverKind("astm", "time_zone = \"UTC\"\n")},
	"cdi550":        {ext: "txt", decode: driverKind("cdi550", "")},
	"invos":         {ext: "txt", decode: driverKind("invos", "")},
	"cdi550-packet": {ext: "pkt", decode: driverKind("cdi550-packet", "")},
	// Case files are replayed headless and summarised, which takes the
	// whole console: cmd/pumpside's TestConformanceCaseFiles checks them.
	"case": {elsewhere: "cmd/pumpside TestConformanceCaseFiles"},
}

func TestCorpus(t *testing.T) {
	dirs, err := os.ReadDir(root)
	require.NoError(t, err)
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		k, ok := kinds[d.Name()]
		if !assert.True(t, ok, "testdata/conformance/%s: no kind decodes it (add one to kinds)", d.Name()) {
			continue
		}
		if k.elsewhere != "" {
			continue
		}
		entries, err := readEntries(filepath.Join(root, d.Name()), k.ext)
		require.NoError(t, err)
		require.NotEmpty(t, entries, "testdata/conformance/%s has no *.%s input", d.Name(), k.ext)
		for _, e := range entries {
			n++
			t.Run(d.Name()+"/"+e.Name, func(t *testing.T) { check(t, e, k.decode(t, e)) })
		}
	}
	require.Positive(t, n, "no entries")
}

// TestReadmes: every input's source is named in its directory's README.
func TestReadmes(t *testing.T) {
	for name, k := range kinds {
		dir := filepath.Join(root, name)
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if !assert.NoError(t, err, "%s needs a README naming the source of each input", dir) {
			continue
		}
		entries, err := readEntries(dir, k.ext)
		require.NoError(t, err)
		for _, e := range entries {
			assert.Contains(t, string(readme), "`"+e.Name+"."+k.ext+"`", "%s/README.md must say where %s's layout comes from", dir, e.Name)
		}
	}
}

func readEntries(dir, ext string) ([]entry, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*."+ext))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []entry
	for _, p := range paths {
		e := entry{Dir: dir, Name: strings.TrimSuffix(filepath.Base(p), "."+ext)}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if e.Header, e.Input, err = splitHeader(b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		e.Config, err = os.ReadFile(filepath.Join(dir, e.Name+".toml"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// check compares outcome, as indented JSON, with the entry's expected
// file, or writes the file under -update.
func check(t *testing.T, e entry, outcome any) {
	got, err := json.MarshalIndent(outcome, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join(e.Dir, e.Name+".json")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "go test ./devices/conformance -update writes it; read it before committing")
	assert.Equal(t, string(want), string(got), "%s differs from what the decoder gives", path)
}

// driverOutcome is what a device driver made of an entry.
type driverOutcome struct {
	Driver string `json:"driver"`
	// Frames counts the frames that decoded and lists the bad ones.
	Frames struct {
		OK  int        `json:"ok"`
		Bad []badFrame `json:"bad"`
	} `json:"frames"`
	// Notes are what the driver inferred or could not map, with counts,
	// in the order first seen: what `pumpside decode` lists.
	Notes []note `json:"notes"`
	// Replies is what the driver answered the sender: ASTM ACK/NAK in
	// order, HL7 the MSA (and ERR) of each ACK.
	Replies []string `json:"replies,omitempty"`
	// Samples are as `pumpside decode` prints them.
	Samples []json.RawMessage `json:"samples"`
}

type badFrame struct {
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error"`
}

type note struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// events keeps frame outcomes and notes.
type events struct {
	out   *driverOutcome
	index map[string]int
}

func (e *events) FrameOK(int64, int) { e.out.Frames.OK++ }
func (e *events) FrameBad(err *devices.FrameError) {
	var inner string
	if err.Err != nil {
		inner = err.Err.Error()
	}
	e.out.Frames.Bad = append(e.out.Frames.Bad, badFrame{Offset: err.Offset, Reason: err.Reason.String(), Field: err.Field, Error: inner})
}
func (e *events) Note(text string) {
	if i, ok := e.index[text]; ok {
		e.out.Notes[i].Count++
		return
	}
	e.index[text] = len(e.out.Notes)
	e.out.Notes = append(e.out.Notes, note{Text: text, Count: 1})
}

// writes keeps what the driver writes back.
type writes struct {
	io.Reader
	out bytes.Buffer
}

func (w *writes) Write(p []byte) (int, error) { return w.out.Write(p) }

// driverKind returns a kind's decode function for the registered
// driver name: base options, then the entry's NAME.toml, receive times
// from devicetest's step clock (08:00:00 UTC, a second a frame).
func driverKind(name, base string) func(t *testing.T, e entry) any {
	return func(t *testing.T, e entry) any {
		d, err := devices.New(name)
		require.NoError(t, err)
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder(append([]byte(base), e.Config...))), "%s.toml", e.Name)
		out := &driverOutcome{Driver: name, Notes: []note{}, Samples: []json.RawMessage{}}
		out.Frames.Bad = []badFrame{}
		ev := &events{out: out, index: map[string]int{}}
		rw := &writes{Reader: bytes.NewReader(e.Input)}
		sink := devices.SinkFunc(func(s monitor.Sample) bool {
			out.Samples = append(out.Samples, json.RawMessage(devices.AppendSampleJSON(nil, s, name)))
			return true
		})
		err = d.Decode(context.Background(), rw, devices.Env{Source: 1, Sink: sink, Events: ev, Clock: devicetest.NewStepClock()})
		require.ErrorIs(t, err, io.EOF)
		out.Replies = replies(name, rw.out.Bytes())
		return out
	}
}

// replies renders what a driver wrote: ASTM's control bytes by name, each
// HL7 ACK's segments after MSH (whose MSH-7 is only the receive time).
func replies(name string, b []byte) []string {
	var out []string
	switch name {
	case "astm":
		for _, c := range b {
			switch c {
			case 0x06:
				out = append(out, "ACK")
			case 0x15:
				out = append(out, "NAK")
			default:
				out = append(out, string(rune(c)))
			}
		}
	case "hl7":
		for _, msg := range bytes.Split(b, []byte{0x1c, '\r'}) {
			msg = bytes.TrimPrefix(msg, []byte{0x0b})
			if len(msg) == 0 {
				continue
			}
			segs := strings.Split(strings.TrimRight(string(msg), "\r"), "\r")
			out = append(out, strings.Join(segs[1:], " | "))
		}
	default:
		if len(b) > 0 {
			out = append(out, string(b))
		}
	}
	return out
}

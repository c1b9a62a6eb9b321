package conformance_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/monitor/record"
)

// splitHeader cuts the header block off the start of an input file: the
// lines at the very start that begin with '#', each "# text" or exactly
// "#" and ended by LF, up to the first line that does not begin with '#'.
// It returns the header's lines (without their LF) and the rest of the
// file unchanged: the bytes the driver is given. A line in the block that
// is neither "#" nor "# …", or that holds a CR or lacks its LF, is an error,
// so that a header is never half stripped.
func splitHeader(b []byte) ([]string, []byte, error) {
	var header []string
	for len(b) > 0 && b[0] == '#' {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, nil, fmt.Errorf("header line %d has no LF", len(header)+1)
		}
		line := b[:i]
		switch {
		case bytes.IndexByte(line, '\r') >= 0:
			return nil, nil, fmt.Errorf("header line %d holds a CR: header lines end with LF alone", len(header)+1)
		case len(line) > 1 && line[1] != ' ':
			return nil, nil, fmt.Errorf("header line %d starts with %q: a header line is \"# text\" or \"#\"", len(header)+1, line[:2])
		}
		header = append(header, string(line))
		b = b[i+1:]
	}
	return header, b, nil
}

// headerField returns the text of the header's "# Key: text" line, with
// its continuation lines ("#   more", indented), or "" without one.
func headerField(header []string, key string) string {
	var parts []string
	in := false
	for _, l := range header {
		switch {
		case strings.HasPrefix(l, "# "+key+":"):
			in = true
			parts = append(parts, strings.TrimSpace(strings.TrimPrefix(l, "# "+key+":")))
		case in && strings.HasPrefix(l, "#  "):
			parts = append(parts, strings.TrimSpace(l[1:]))
		default:
			in = false
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// checkHeader: a header names where the input's layout comes from and what
// the input exercises.
func checkHeader(t *testing.T, path string, header []string) {
	t.Helper()
	if !assert.NotEmpty(t, header, "%s has no header: start it with \"# Source: …\" and \"# Exercises: …\" lines (testdata/conformance/README.md)", path) {
		return
	}
	assert.NotEmpty(t, headerField(header, "Source"), "%s: its header has no \"# Source: …\" line naming the document and section its layout comes from", path)
	assert.NotEmpty(t, headerField(header, "Exercises"), "%s: its header has no \"# Exercises: …\" line saying what it exercises", path)
}

// TestHeaders: every input of the corpus, case files included, starts
// with a header naming its source and what it exercises (issues 12 and
// 21), so that a new input without one fails here.
func TestHeaders(t *testing.T) {
	n := 0
	for name, k := range kinds {
		if k.ext == "" {
			continue
		}
		dir := filepath.Join(root, name)
		entries, err := readEntries(dir, k.ext)
		require.NoError(t, err)
		for _, e := range entries {
			n++
			checkHeader(t, filepath.Join(dir, e.Name+"."+k.ext), e.Header)
		}
	}
	cases, err := filepath.Glob(filepath.Join(root, "case", "*", "input.case"))
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, p := range cases {
		n++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		header, _, err := splitHeader(b)
		require.NoError(t, err, p)
		checkHeader(t, p, header)
	}
	require.Positive(t, n)
}

// TestHeaderStripped: the runner removes exactly the header block, and the
// driver gets every byte after it, unchanged.
func TestHeaderStripped(t *testing.T) {
	for _, c := range []struct {
		name, in string
		header   []string
		body     string
	}{
		{"no header", "\x02X2000AE…\x03", nil, "\x02X2000AE…\x03"},
		{"before a packet", "# Source: a\n# Exercises: b\n\x02X2000AE…\x03\r\n", []string{"# Source: a", "# Exercises: b"}, "\x02X2000AE…\x03\r\n"},
		{"before MLLP", "# Source: a\n#\n\x0bMSH|^~\\&|\r\x1c\r", []string{"# Source: a", "#"}, "\x0bMSH|^~\\&|\r\x1c\r"},
		{"before ENQ", "# Source: a\n\x05\x021H|\\^&\r\x03", []string{"# Source: a"}, "\x05\x021H|\\^&\r\x03"},
		{"later # lines are data", "# Source: a\nTime\tpH\r# x\n\n# y\n", []string{"# Source: a"}, "Time\tpH\r# x\n\n# y\n"},
		{"a blank line ends it", "# Source: a\n\n# Exercises: b\n", []string{"# Source: a"}, "\n# Exercises: b\n"},
		{"a space before # ends it", "# Source: a\n # b\n", []string{"# Source: a"}, " # b\n"},
		{"header only", "# Source: a\n", []string{"# Source: a"}, ""},
		{"CR-ended data after it", "# Source: a\n03/02/26  08:00:00\r", []string{"# Source: a"}, "03/02/26  08:00:00\r"},
	} {
		t.Run(c.name, func(t *testing.T) {
			header, body, err := splitHeader([]byte(c.in))
			require.NoError(t, err)
			assert.Equal(t, c.header, header)
			assert.Equal(t, c.body, string(body))
		})
	}
	for _, bad := range []string{"#Source: a\nx", "# Source: a\r\nx", "# Source: a", "# a\n#!\nx"} {
		_, _, err := splitHeader([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
	// On the corpus: header lines and their LFs, then the driver's bytes,
	// make the file again.
	for name, k := range kinds {
		if k.ext == "" {
			continue
		}
		entries, err := readEntries(filepath.Join(root, name), k.ext)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(e.Dir, e.Name+"."+k.ext))
			require.NoError(t, err)
			var head string
			for _, l := range e.Header {
				head += l + "\n"
			}
			assert.Equal(t, string(b), head+string(e.Input), "%s/%s", name, e.Name)
			assert.NotEqual(t, byte('#'), append(e.Input, 0)[0], "%s/%s: the driver's bytes start with #", name, e.Name)
		}
	}
}

// caseRead is what the case file reader makes of a file: its entries'
// lines and measurements, and its bad lines' numbers.
type caseRead struct {
	entries []string
	bad     []int64
}

func readCase(b []byte, shift int64) caseRead {
	var out caseRead
	r := record.NewReader(bytes.NewReader(b))
	r.OnBadLine = func(e *record.LineError) { out.bad = append(out.bad, e.Line+shift) }
	for r.Next() {
		e := r.Entry()
		out.entries = append(out.entries, fmt.Sprintf("%d %s %d", e.Line+shift, e.Measurement, e.Time))
	}
	if err := r.Err(); err != nil {
		out.bad = append(out.bad, -1)
	}
	return out
}

// TestCaseFileHeaders: case files are InfluxDB line protocol, whose comment
// lines the case reader (monitor/record) already skips, so their header
// stays in the file and is given to the replay as it is. The reader must
// make of the whole file exactly what it makes of the lines after the
// header, at the same line numbers (expected.json holds line numbers).
func TestCaseFileHeaders(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(root, "case", "*", "input.case"))
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, p := range cases {
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			header, body, err := splitHeader(b)
			require.NoError(t, err)
			require.NotEmpty(t, header)
			whole := readCase(b, 0)
			alone := readCase(body, int64(len(header)))
			require.NotEmpty(t, whole.entries)
			assert.Equal(t, alone, whole)
			assert.True(t, strings.HasPrefix(whole.entries[0], fmt.Sprint(len(header)+1)+" "), "the first entry is the line after the header: %s", whole.entries[0])
		})
	}
	// And the reader skips such a header before any entry.
	got := readCase([]byte("# Source: a\n#\n# Exercises: b\ncase,case=T height_cm=170 1772352000000000000\n"), 0)
	assert.Equal(t, caseRead{entries: []string{"4 case 1772352000000000000"}}, got)
}

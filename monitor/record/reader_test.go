package record

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/stretchr/testify/require"
)

func TestReaderReportsBadLinesAndGoesOn(t *testing.T) {
	in := strings.Join([]string{
		"# a comment",
		"pump,case=C,source=hlm flow=4.5,speed=2250 1772352000000000000",
		"pump,case=C,source=hlm flow=4.5",                       // 3: no time
		"pump,case=C,source=hlm flow=\"x\" 1772352000000000000", // 4: string in a channel group
		"", // blank
		"patient,case=C,source=mon map_q=\"stale\" 1772352001000000000",        // quality only
		"patient,case=C,source=mon map=47,map_q=\"bogus\" 1772352001000000000", // 7: unknown quality
		"event,case=C text=\"no kind\" 1772352001000000000",                    // 8
		"event,case=C,kind=note text=\"ok\" 1772352001000000000",
		"alarm,alarm=map_low,case=C state=\"active\" 1772352001000000000", // 10: no priority
		"this is not line protocol",                                       // 11
		"inline,case=C,source=cdi hct=24i 1772352006000000000",            // integers are numbers too
		"pump,case=C,source=hlm flow=4.6 1772352002000000000",             // last line, torn: no newline
	}, "\n")
	var bad []*LineError
	r := NewReader(strings.NewReader(in))
	r.OnBadLine = func(e *LineError) { bad = append(bad, e) }
	var got []ChannelSample
	kinds := map[Kind]int{}
	for r.Next() {
		e := r.Entry()
		kinds[e.Kind()]++
		got = e.Samples(got)
	}
	require.NoError(t, r.Err())
	var lines []int64
	for _, b := range bad {
		lines = append(lines, b.Line)
		require.ErrorIs(t, b, ErrFormat)
	}
	require.Equal(t, []int64{3, 4, 7, 8, 10, 11, 13}, lines)
	require.Equal(t, len(bad), r.BadLines)
	require.Contains(t, bad[0].Error(), "line 3: no timestamp")
	require.Len(t, got, 4)
	require.Equal(t, "pump.speed", got[1].Channel)
	require.Equal(t, 2250.0, got[1].Value)
	require.Equal(t, channel.Stale, got[2].Quality)
	require.Equal(t, 24.0, got[3].Value)
}

func TestReaderTestdataCases(t *testing.T) {
	for _, name := range []string{"example.case", "bad-lines.case", "foreign-6s-inline.case"} {
		f := filepath.Join("../../testdata/cases", name)
		t.Run(filepath.Base(f), func(t *testing.T) {
			rb := readCase(t, f)
			wantBad := strings.Contains(f, "bad")
			if !wantBad {
				require.Empty(t, rb.bad)
			} else {
				require.NotEmpty(t, rb.bad)
			}
			require.NotEmpty(t, rb.samples)
		})
	}
}

// FuzzReader: no input panics the reader; every line is either an entry or
// a reported bad line; and an entry's samples re-read identically after the
// writer's encoding.
func FuzzReader(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/cases/example.case"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("pump,case=C,source=hlm flow=4.5 1772352000000000000\n"))
	f.Add([]byte("pump,case=C,source=hlm flow_q=\"unavailable\" 1\n\n# c\nx y=1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		var bad []int64
		r.OnBadLine = func(e *LineError) {
			if e.Line < 1 {
				t.Fatalf("bad line number %d", e.Line)
			}
			bad = append(bad, e.Line)
		}
		good := 0
		var prev int64
		for r.Next() {
			e := r.Entry()
			if e.Line <= prev {
				t.Fatalf("line numbers go back: %d after %d", e.Line, prev)
			}
			prev = e.Line
			good++
			for _, s := range e.Samples(nil) {
				if !strings.Contains(s.Channel, ".") {
					t.Fatalf("channel %q", s.Channel)
				}
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		// Every non-blank, non-comment line is counted once.
		n := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			l = bytes.TrimRight(l, "\r")
			if len(bytes.TrimSpace(l)) > 0 && l[0] != '#' {
				n++
			}
		}
		if good+len(bad) != n {
			t.Fatalf("%d good + %d bad lines, want %d", good, len(bad), n)
		}
	})
}

// TestDocExampleIsTestdata keeps the spec's example and the file the tests
// read the same.
func TestDocExampleIsTestdata(t *testing.T) {
	doc, err := os.ReadFile("../../docs/format/case.md")
	require.NoError(t, err)
	ex, err := os.ReadFile("../../testdata/cases/example.case")
	require.NoError(t, err)
	require.Contains(t, string(doc), "```\n"+string(ex)+"```\n")
}

// TestReaderQualityMustBeAString: a _q field that is not a string (found by
// fuzzing the replay loader) is a bad line, never a panic in Samples.
func TestReaderQualityMustBeAString(t *testing.T) {
	var bad []*LineError
	r := NewReader(strings.NewReader("x,case=C,source=s x_q=0 1772352000000000000\n" +
		"x,case=C,source=s y=1,y_q=2i 1772352000000000000\n" +
		"pump,case=C,source=hlm flow=4.5 1772352000000000000\n"))
	r.OnBadLine = func(e *LineError) { bad = append(bad, e) }
	var got []ChannelSample
	for r.Next() {
		got = r.Entry().Samples(got)
	}
	require.NoError(t, r.Err())
	require.Len(t, bad, 2)
	require.Contains(t, bad[0].Error(), "a quality is a string")
	require.Len(t, got, 1)
	require.Equal(t, "pump.flow", got[0].Channel)
}

// BookmarkLine writes the line a case file holds for a bookmark: read
// back, it is a bookmark line of the case with its text and author; an
// unset time is refused.
func TestBookmarkLine(t *testing.T) {
	line, err := BookmarkLine("C-1", Bookmark{Time: t0 + 5e9, Text: `see "MAP", here`, Author: "teacher"})
	require.NoError(t, err)
	r := NewReader(bytes.NewReader(line))
	require.True(t, r.Next(), "%s", line)
	e := r.Entry()
	require.Equal(t, KindBookmark, e.Kind())
	require.Equal(t, t0+5e9, e.Time)
	require.Contains(t, string(line), `case=C-1`)
	require.Contains(t, string(line), `text="see \"MAP\", here"`)
	require.Contains(t, string(line), `author="teacher"`)
	require.False(t, r.Next())
	require.NoError(t, r.Err())

	_, err = BookmarkLine("C-1", Bookmark{Text: "no time"})
	require.ErrorIs(t, err, ErrInvalid)
}

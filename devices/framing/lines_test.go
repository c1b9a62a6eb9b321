package framing

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	stdstrings "strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
)

type item struct {
	line   string
	off    int64
	reason string // "" for a line
}

func collect(t testing.TB, r io.Reader, max int) ([]item, error) {
	l := NewLines(r, "test", max)
	var out []item
	for {
		line, off, err := l.Next()
		var fe *devices.FrameError
		switch {
		case errors.As(err, &fe):
			out = append(out, item{string(fe.Raw), off, fe.Reason.String()})
		case err != nil:
			return out, err
		default:
			out = append(out, item{line: string(line), off: off})
		}
	}
}

func TestLines(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want []item
	}{
		{"crlf", "ab\r\ncd\r\n", 8, []item{{"ab", 0, ""}, {"cd", 4, ""}}},
		{"cr only", "ab\rcd\r", 8, []item{{"ab", 0, ""}, {"cd", 3, ""}}},
		{"lf only", "ab\ncd\n", 8, []item{{"ab", 0, ""}, {"cd", 3, ""}}},
		{"blank lines", "\r\n\r\nab\n\n", 8, []item{{"ab", 4, ""}}},
		{"exactly max", "abcd\r\nx\n", 4, []item{{"abcd", 0, ""}, {"x", 6, ""}}},
		{"oversize", "abcdef\r\nx\n", 4, []item{{"abcde", 0, "oversize"}, {"x", 8, ""}}},
		{"oversize at end", "x\nabcdefgh", 4, []item{{"x", 0, ""}, {"abcde", 2, "oversize"}}},
		{"truncated", "ab\ncd", 8, []item{{"ab", 0, ""}, {"cd", 3, "truncated"}}},
		{"empty", "", 8, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings(c.in), iotest.OneByteReader(strings(c.in)), iotest.HalfReader(strings(c.in))} {
				got, err := collect(t, r, c.max)
				require.ErrorIs(t, err, io.EOF)
				assert.Equal(t, c.want, got)
			}
		})
	}
}

func strings(s string) io.Reader { return bytes.NewReader([]byte(s)) }

func TestLinesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings("ab\ncd"), iotest.ErrReader(boom))
	got, err := collect(t, r, 8)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []item{{"ab", 0, ""}, {"cd", 3, "truncated"}}, got)
}

type zeroReader struct{ n int }

func (z *zeroReader) Read([]byte) (int, error) { z.n++; return 0, nil }

func TestLinesNoProgress(t *testing.T) {
	z := &zeroReader{}
	_, err := collect(t, z, 8)
	require.ErrorIs(t, err, io.ErrNoProgress)
	assert.Equal(t, maxEmptyReads, z.n)
}

// endless yields n bytes of 'A' without allocating, then EOF.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	for i := range p {
		p[i] = 'A'
	}
	e.n -= int64(len(p))
	return len(p), nil
}

func TestLinesHugeLineBoundedMemory(t *testing.T) {
	const size = 100 << 20
	r := io.MultiReader(strings("ok\n"), &endless{size}, strings("\nnext\n"))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := collect(t, r, 4096)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, got, 3)
	assert.Equal(t, "oversize", got[1].reason)
	assert.Equal(t, item{"next", 3 + size + 1, ""}, got[2])
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "a 100 MB line must not be buffered")
}

func TestLinesZeroAllocs(t *testing.T) {
	data := bytes.Repeat([]byte("SPO2=098 HR=072\r\n"), 100)
	rd := bytes.NewReader(data)
	l := NewLines(rd, "test", 64)
	allocs := testing.AllocsPerRun(10, func() {
		rd.Reset(data)
		l.Reset(rd)
		for {
			if _, _, err := l.Next(); err == io.EOF {
				break
			}
		}
	})
	assert.Zero(t, allocs)
}

func FuzzLines(f *testing.F) {
	f.Add([]byte("ab\r\ncd\r\n"), 4)
	f.Add([]byte("\r\r\n\nabcdefgh\nx"), 3)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<16 {
			t.Skip()
		}
		l := NewLines(iotest.HalfReader(bytes.NewReader(data)), "fuzz", max)
		last := int64(-1)
		for {
			line, off, err := l.Next()
			var fe *devices.FrameError
			if errors.As(err, &fe) {
				if fe.Offset <= last || fe.Offset >= int64(len(data)) {
					t.Fatalf("bad frame offset %d after %d", fe.Offset, last)
				}
				last = fe.Offset
				continue
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(line) == 0 || len(line) > max || off <= last {
				t.Fatalf("line %q at %d (last %d, max %d)", line, off, last, max)
			}
			if !bytes.Equal(data[off:off+int64(len(line))], line) || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("line %q does not match the input at %d", line, off)
			}
			if end := off + int64(len(line)); end < int64(len(data)) && data[end] != '\r' && data[end] != '\n' {
				t.Fatalf("line %q at %d not followed by a terminator", line, off)
			}
			last = off
		}
	})
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"0", "098", "03.60", "-1.5", "+7", "123456789012345", "0.001", "99.99", "1."} {
		want, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		got, ok := ParseDecimal([]byte(s))
		assert.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "-", ".", "1.2.3", "1e3", "0x10", "1234567890123456", "9B", " 1"} {
		_, ok := ParseDecimal([]byte(s))
		assert.False(t, ok, s)
	}
}

func FuzzParseDecimal(f *testing.F) {
	f.Add([]byte("03.60"))
	f.Add([]byte("-1."))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := ParseDecimal(b)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(stdstrings.TrimSuffix(string(b), "."), 64)
		if err != nil && !stdstrings.HasSuffix(string(b), ".") {
			t.Fatalf("%q: ParseDecimal accepts what ParseFloat rejects: %v", b, err)
		}
		if err == nil && got != want {
			t.Fatalf("%q: %v, ParseFloat %v", b, got, want)
		}
	})
}

type badFrames struct{ reasons []devices.Reason }

func (b *badFrames) FrameOK(int64, int)              {}
func (b *badFrames) FrameBad(fe *devices.FrameError) { b.reasons = append(b.reasons, fe.Reason) }

// Read returns the good lines, reports the oversize and truncated ones to
// the events, and ends with the stream's error, or ctx's once it is done.
func TestLinesRead(t *testing.T) {
	var ev badFrames
	l := NewLines(stdstrings.NewReader("ok\n"+stdstrings.Repeat("x", 40)+"\nfine\npartial"), "test", 16)
	var got []string
	var err error
	for {
		var line []byte
		line, _, err = l.Read(t.Context(), &ev)
		if err != nil {
			break
		}
		got = append(got, string(line))
	}
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, []string{"ok", "fine"}, got)
	assert.Equal(t, []devices.Reason{devices.ReasonOversize, devices.ReasonTruncated}, ev.reasons)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = NewLines(stdstrings.NewReader("ok\n"), "test", 16).Read(ctx, &ev)
	assert.ErrorIs(t, err, context.Canceled)
}

package s5

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhex reads the hexadecimal dumps as the document prints them.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// The four requests of M1017617 Appendix A, byte for byte as printed,
// checksums included (the 8-bit sum of the record's bytes, DRI_EOL_SUBR_LIST
// 0xFF among them).
var appendixA = []struct {
	name    string
	typ     byte
	ival    int16
	classes uint32
	printed string
}{
	{"request displayed values", phDispl, 10, reqExt1 | reqExt2 | reqExt3, `
		7e 31 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 ff 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 01 0a 00 0e 00 00 00
		00 00 49 7e`},
	{"stop displayed values", phDispl, 0, 0, `
		7e 31 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 ff 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00
		00 00 31 7e`},
	// The sum is 0x7D, escaped.
	{"request 60 s trend", ph60sTrend, 60, reqExt1 | reqExt2 | reqExt3, `
		7e 31 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 ff 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 03 3c 00 0e 00 00 00
		00 00 7d 5d 7e`},
	{"stop 60 s trend", ph60sTrend, 0, 0, `
		7e 31 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 ff 00 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 03 00 00 00 00 00 00
		00 00 33 7e`},
}

func TestRequestsFollowAppendixA(t *testing.T) {
	for _, ex := range appendixA {
		t.Run(ex.name, func(t *testing.T) {
			printed := unhex(t, ex.printed)
			assert.Equal(t, printed, AppendRequest(nil, ex.typ, ex.ival, ex.classes))
			typ, ival, classes, ok := parseRequest(unescape(t, printed))
			require.True(t, ok)
			assert.Equal(t, ex.typ, typ)
			assert.Equal(t, ex.ival, ival)
			assert.Equal(t, ex.classes, classes)
		})
	}
	// The driver's own request: basic, ext1 and ext2 every second.
	rec := unescape(t, AppendRequest(nil, phDispl, 1, RequestClasses))
	assert.Equal(t, []byte{1, 1, 0, 6, 0, 0, 0, 0, 0}, rec[headerSize:headerSize+requestSize])
}

// unescape deframes exactly one frame.
func unescape(t *testing.T, b []byte) []byte {
	t.Helper()
	d := newDeframer(maxRecord + 1)
	var got []byte
	n := 0
	for i, c := range b {
		switch d.push(c, int64(i)) {
		case evFrame:
			got = append([]byte(nil), d.frame()...)
			n++
		case evBad:
			t.Fatalf("bad frame at %d: %v", d.off, d.err)
		}
	}
	require.Equal(t, 1, n, "one frame in %x", b)
	return got
}

func TestEscapes(t *testing.T) {
	// M1017617, "Data transparency": 0x7E -> 0x7D 0x5E, 0x7D -> 0x7D 0x5D,
	// the checksum included (here 0x7E+0x01+0x7D+0x81 = 0x7D).
	rec := []byte{0x7E, 0x01, 0x7D, 0x81}
	f := appendEscaped(nil, rec)
	assert.Equal(t, []byte{0x7E, 0x7D, 0x5E, 0x01, 0x7D, 0x5D, 0x81, 0x7D, 0x5D, 0x7E}, f)
	assert.Equal(t, []byte{0x7E, 0x01, 0x7D, 0x81, 0x7D}, unescape(t, f))
}

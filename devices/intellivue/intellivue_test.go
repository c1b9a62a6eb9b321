package intellivue_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices/capture"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/intellivue"
)

// TestConformance runs the driver kit on the cases under testdata/ (LAN
// captures and raw MIB/RS232 streams) and on the encoder's serial frames:
// split reads, garbage, truncation, a 100 MB frame, every byte corrupted
// (the FCS must catch it), cancellation, allocations, goroutine leaks.
func TestConformance(t *testing.T) {
	devicetest.Check(t, intellivue.Name, devicetest.Options{
		Checksummed:  true,
		OversizeHead: []byte{0xC0},
		OversizeTail: []byte{0xC1},
		ZeroAllocs:   true,
	})
}

func FuzzDecode(f *testing.F) { devicetest.FuzzDecode(f, intellivue.Name, "testdata") }

// The case inputs are written from their messages.txt, the hex that
// testdata/compose.py lays out from the guide: a "@ +S" line starts a
// capture record (a LAN datagram), a file without one is a raw byte stream.
// INTELLIVUE_WRITE=1 rewrites the inputs.
func TestCaseSources(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/messages.txt")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, src := range dirs {
		dir := filepath.Dir(src)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			name, want := buildInput(t, src)
			path := filepath.Join(dir, name)
			if os.Getenv("INTELLIVUE_WRITE") != "" {
				require.NoError(t, os.WriteFile(path, want, 0o644))
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err, "INTELLIVUE_WRITE=1 writes it")
			require.Equal(t, want, got, "%s differs from %s", path, src)
		})
	}
}

func buildInput(t *testing.T, src string) (string, []byte) {
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	type rec struct {
		at   time.Duration
		data []byte
	}
	var recs []rec
	var raw []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "@ +"):
			s, err := strconv.Atoi(strings.TrimPrefix(line, "@ +"))
			require.NoError(t, err)
			recs = append(recs, rec{at: time.Duration(s) * time.Second})
		default:
			b, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
			require.NoError(t, err, line)
			if len(recs) > 0 {
				recs[len(recs)-1].data = append(recs[len(recs)-1].data, b...)
			} else {
				raw = append(raw, b...)
			}
		}
	}
	require.NoError(t, sc.Err())
	if len(recs) == 0 {
		return "input", raw
	}
	require.Empty(t, raw, "bytes before the first record")
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.Header{
		{Key: capture.KeyPort, Value: "udp 24105"},
		{Key: capture.KeyNote, Value: "written by hand from the Data Export Interface Programming Guide's layouts (testdata/compose.py); one UDP datagram a record"},
	})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(t0.Add(r.at).UnixNano(), r.data))
	}
	return "input.cap", buf.Bytes()
}

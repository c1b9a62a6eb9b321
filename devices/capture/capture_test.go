package capture

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample(t testing.TB) []byte {
	var b bytes.Buffer
	w, err := NewWriter(&b, Header{{KeyPort, "/dev/ttyUSB0"}, {KeySettings, "9600 8N1"}})
	require.NoError(t, err)
	require.NoError(t, w.Write(1000, []byte("SPO2=098 HR=072\r\n")))
	require.NoError(t, w.Write(2000, nil))
	require.NoError(t, w.Write(3000, []byte{0, 0xff, '\n'}))
	return b.Bytes()
}

func readAll(r io.Reader) (Header, []Record, error) {
	rd, err := NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	var recs []Record
	for {
		rec, err := rd.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return rd.Header(), recs, err
		}
		rec.Data = append([]byte(nil), rec.Data...)
		recs = append(recs, rec)
	}
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	assert.True(t, IsCapture(data))
	assert.True(t, IsCapture(data[:5]))
	assert.False(t, IsCapture([]byte("SPO2=")))
	h, recs, err := readAll(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, "9600 8N1", h.Get(KeySettings))
	require.Len(t, recs, 2)
	assert.Equal(t, int64(1000), recs[0].Time)
	assert.Equal(t, "SPO2=098 HR=072\r\n", string(recs[0].Data))
	assert.Equal(t, []byte{0, 0xff, '\n'}, recs[1].Data)
	assert.Equal(t, recs[0].Offset+recordOverhead+17, recs[1].Offset)
}

func TestTruncatedTail(t *testing.T) {
	data := sample(t)
	for cut := 1; cut < recordOverhead+3; cut++ {
		_, recs, err := readAll(bytes.NewReader(data[:len(data)-cut]))
		require.ErrorIs(t, err, ErrTruncated, "cut %d", cut)
		var ce *CorruptError
		require.True(t, errors.As(err, &ce))
		assert.Equal(t, recs[0].Offset+recordOverhead+17, ce.Offset)
		assert.Len(t, recs, 1)
	}
}

func TestCorruption(t *testing.T) {
	data := sample(t)
	bad := append([]byte(nil), data...)
	bad[len(bad)-6] ^= 1 // a data byte of the last record
	_, recs, err := readAll(bytes.NewReader(bad))
	var ce *CorruptError
	require.True(t, errors.As(err, &ce))
	assert.Contains(t, ce.Reason, "checksum")
	assert.NotErrorIs(t, err, ErrTruncated)
	assert.Len(t, recs, 1)

	_, _, err = readAll(bytes.NewReader([]byte("SPO2=098\r\n")))
	require.True(t, errors.As(err, &ce))
	_, err = NewWriter(io.Discard, Header{{"a:b", "c"}})
	assert.Error(t, err)
}

func TestSplitsLongData(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, nil)
	require.NoError(t, err)
	require.NoError(t, w.Write(5, make([]byte, MaxRecord+10)))
	_, recs, err := readAll(&b)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Len(t, recs[1].Data, 10)
}

func FuzzReader(f *testing.F) {
	f.Add(sample(f))
	f.Add([]byte(Magic + "a: b\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, rd.Header())
		if err != nil {
			t.Fatalf("header read back cannot be written: %v", err)
		}
		for {
			rec, err := rd.Next()
			if err != nil {
				var ce *CorruptError
				if err != io.EOF && !errors.As(err, &ce) {
					t.Fatal(err)
				}
				break
			}
			if len(rec.Data) == 0 || len(rec.Data) > MaxRecord {
				t.Fatalf("record of %d bytes", len(rec.Data))
			}
			if err := w.Write(rec.Time, rec.Data); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.HasPrefix(data, out.Bytes()) {
			t.Fatalf("intact records do not re-encode to the same bytes")
		}
	})
}

package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Magic is the first line of every capture file.
const Magic = "PUMPSIDE-CAPTURE 1\n"

// Limits of the format.
const (
	// MaxRecord is the largest data length of one record.
	MaxRecord = 1 << 20
	// MaxHeader is the largest header, magic line included.
	MaxHeader = 64 << 10
	// recordOverhead is the bytes around a record's data.
	recordOverhead = 8 + 4 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header keys written by `pumpside capture`.
const (
	KeyPort     = "port"
	KeySettings = "settings"
	KeyStarted  = "started"
	KeyNote     = "note"
	KeyProgram  = "program"
)

// Field is one header line, "key: value".
type Field struct{ Key, Value string }

// Header is the capture's metadata, in file order.
type Header []Field

// Get returns the value of key, or "".
func (h Header) Get(key string) string {
	for _, f := range h {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Record is one chunk of received bytes.
type Record struct {
	// Time is the receive time in Unix nanoseconds.
	Time int64
	// Data holds the bytes; from a Reader it is valid until the next call.
	Data []byte
	// Offset is the file offset of the record.
	Offset int64
}

// ErrTruncated is matched by the CorruptError for a capture that ends inside
// a record (the writer was stopped mid-write).
var ErrTruncated = errors.New("capture ends inside a record")

// CorruptError locates damage in a capture file.
type CorruptError struct {
	// Offset is the file offset of the damaged record or header.
	Offset int64
	Reason string
	Err    error
}

func (e *CorruptError) Error() string {
	s := fmt.Sprintf("capture: corrupt at byte %d: %s", e.Offset, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *CorruptError) Unwrap() error { return e.Err }

// IsCapture reports whether b, the first bytes of a file, starts a capture.
func IsCapture(b []byte) bool {
	return bytes.HasPrefix(b, []byte(Magic)) || (len(b) < len(Magic) && len(b) > 0 && bytes.HasPrefix([]byte(Magic), b))
}

// Writer writes a capture file.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter writes the magic line and header to w. Keys and values must not
// contain newlines, and keys no colon.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	var b strings.Builder
	b.WriteString(Magic)
	for _, f := range h {
		if f.Key == "" || strings.ContainsAny(f.Key, ":\n\r") || strings.ContainsAny(f.Value, "\n\r") {
			return nil, fmt.Errorf("capture: bad header field %q: %q", f.Key, f.Value)
		}
		b.WriteString(f.Key + ": " + f.Value + "\n")
	}
	b.WriteString("\n")
	if b.Len() > MaxHeader {
		return nil, fmt.Errorf("capture: header longer than %d bytes", MaxHeader)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// Write appends data received at t (Unix ns) as one record (several if
// longer than MaxRecord), each with a single Write to the underlying writer.
// Empty data writes nothing.
func (w *Writer) Write(t int64, data []byte) error {
	for len(data) > 0 {
		n := min(len(data), MaxRecord)
		w.buf = AppendRecord(w.buf[:0], t, data[:n])
		if _, err := w.w.Write(w.buf); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// AppendRecord appends the encoding of one record to dst. len(data) must be
// 1..MaxRecord.
func AppendRecord(dst []byte, t int64, data []byte) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// Reader reads a capture file.
type Reader struct {
	br     *bufio.Reader
	header Header
	off    int64
	buf    []byte
	err    error
}

// NewReader reads the magic line and header from r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	rd := &Reader{br: br}
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != Magic {
		return nil, &CorruptError{Offset: 0, Reason: "not a capture file (bad magic line)"}
	}
	rd.off = int64(len(Magic))
	for {
		line, err := br.ReadSlice('\n')
		rd.off += int64(len(line))
		if err != nil {
			return nil, &CorruptError{Offset: rd.off, Reason: "header not terminated", Err: err}
		}
		if rd.off > MaxHeader {
			return nil, &CorruptError{Offset: rd.off, Reason: "header too long"}
		}
		s := strings.TrimSuffix(string(line), "\n")
		if s == "" {
			break
		}
		k, v, ok := strings.Cut(s, ": ")
		if !ok || k == "" || strings.ContainsAny(k, ":") || strings.ContainsRune(s, '\r') {
			return nil, &CorruptError{Offset: rd.off - int64(len(line)), Reason: fmt.Sprintf("bad header line %q", s)}
		}
		rd.header = append(rd.header, Field{k, v})
	}
	return rd, nil
}

// Header returns the capture's header.
func (r *Reader) Header() Header { return r.header }

// Next returns the next record. Its Data is valid until the next call. At the
// end of the file it returns io.EOF; on damage, a *CorruptError (matching
// ErrTruncated for a partial last record), and the same error from then on.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (Record, error) {
	off := r.off
	var head [12]byte
	n, err := io.ReadFull(r.br, head[:])
	switch {
	case n == 0 && err == io.EOF:
		return Record{}, io.EOF
	case err == io.ErrUnexpectedEOF:
		return Record{}, &CorruptError{Offset: off, Reason: "partial record header", Err: ErrTruncated}
	case err != nil:
		return Record{}, err
	}
	t := int64(binary.BigEndian.Uint64(head[:8]))
	size := binary.BigEndian.Uint32(head[8:])
	if size == 0 || size > MaxRecord {
		return Record{}, &CorruptError{Offset: off, Reason: fmt.Sprintf("record length %d not in 1..%d", size, MaxRecord)}
	}
	if cap(r.buf) < int(size)+4 {
		r.buf = make([]byte, int(size)+4)
	}
	body := r.buf[:size+4]
	if _, err := io.ReadFull(r.br, body); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return Record{}, &CorruptError{Offset: off, Reason: "partial record", Err: ErrTruncated}
		}
		return Record{}, err
	}
	crc := crc32.Update(crc32.Checksum(head[:], castagnoli), castagnoli, body[:size])
	if crc != binary.BigEndian.Uint32(body[size:]) {
		return Record{}, &CorruptError{Offset: off, Reason: "record checksum mismatch"}
	}
	r.off += recordOverhead + int64(size)
	return Record{Time: t, Data: body[:size], Offset: off}, nil
}
